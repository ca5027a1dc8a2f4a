"""brainserve.Client: brainserve.v1.ModelService from Python with NumPy."""

import os

import grpc
from google.protobuf import json_format

from brainserve import errors
from brainserve.tensors import from_tensor, to_tensor
from brainserve.v1 import model_service_pb2, model_service_pb2_grpc

_MODES = {
    "replace": model_service_pb2.ParameterUpdate.REPLACE,
    "add": model_service_pb2.ParameterUpdate.ADD,
}


class Parameters(dict):
    """{"layer/name": np.ndarray} plus the `version` they were read at."""

    def __init__(self, values, version):
        super().__init__(values)
        self.version = version


def _pem(value):
    """PEM bytes from bytes, or from a file path given as str / PathLike."""
    if value is None or isinstance(value, bytes):
        return value
    with open(os.fspath(value), "rb") as f:
        return f.read()


def _message_to_dict(message):
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


class Client:
    """A connection to one brainserve server.

        c = brainserve.Client("localhost:50051")
        y, version = c.forward("mlp", x)

    TLS: pass `root_certificates` (the CA that signed the server's
    certificate; None with tls=True uses the system roots) and, for mutual
    TLS, `private_key` and `certificate_chain`; each is PEM bytes or a path
    to a PEM file. Any of them, or tls=True, makes the channel secure.
    `server_name` overrides the name the server certificate must carry.
    `token` is sent with every call as `authorization: Bearer TOKEN`.
    `timeout` (seconds) is the default deadline of each call.

    Every method raises a subclass of brainserve.Error named after the gRPC
    status code (brainserve.NotFound, brainserve.FailedPrecondition, ...).
    Thread-safe, like the gRPC channel under it; use as a context manager or
    call close().
    """

    def __init__(self, address="localhost:50051", *, root_certificates=None,
                 private_key=None, certificate_chain=None, tls=False,
                 server_name=None, token=None, timeout=30.0, options=None):
        self.address = address
        self.timeout = timeout
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        channel_options = list(options or [])
        if server_name:
            channel_options.append(("grpc.ssl_target_name_override",
                                    server_name))
        secure = tls or any(v is not None for v in (
            root_certificates, private_key, certificate_chain))
        if secure:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_pem(root_certificates),
                private_key=_pem(private_key),
                certificate_chain=_pem(certificate_chain))
            self._channel = grpc.secure_channel(address, credentials,
                                                channel_options)
        else:
            self._channel = grpc.insecure_channel(address, channel_options)
        self._stub = model_service_pb2_grpc.ModelServiceStub(self._channel)

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method, request, timeout):
        try:
            return getattr(self._stub, method)(
                request, timeout=self.timeout if timeout is None else timeout,
                metadata=self._metadata)
        except grpc.RpcError as error:
            raise errors.from_rpc_error(error) from error

    def forward(self, model, x, *, masks=None, timeout=None):
        """Runs `x` ([batch, *input_shape], anything np.asarray accepts)
        through `model`; returns (output as np.ndarray float32, version).

        `masks` maps a layer_norm layer's name to a mask broadcastable to
        that layer's input. Tensors travel in the raw encoding.
        """
        request = model_service_pb2.ForwardRequest(model=model,
                                                   input=to_tensor(x))
        for layer, mask in (masks or {}).items():
            request.masks[layer].CopyFrom(to_tensor(mask))
        response = self._call("Forward", request, timeout)
        return from_tensor(response.output), response.version

    def update(self, model, updates, *, mode="replace", expected_version=None,
               timeout=None):
        """Applies {"layer/name": value} atomically; returns the new version.

        mode is "replace" or "add" (for every update). With
        expected_version set, nothing changes unless the model is at that
        version (brainserve.FailedPrecondition otherwise).
        """
        if mode not in _MODES:
            raise ValueError(f"mode must be 'replace' or 'add', not {mode!r}")
        request = model_service_pb2.UpdateParametersRequest(model=model)
        if expected_version is not None:
            request.expected_version = expected_version
        for key, value in updates.items():
            layer, name = key if isinstance(key, tuple) else key.split("/", 1)
            request.updates.add(layer=layer, name=name, mode=_MODES[mode],
                                value=to_tensor(value))
        return self._call("UpdateParameters", request, timeout).version

    def get_parameters(self, model, *, layer="", name="", timeout=None):
        """The current parameters ({"layer/name": np.ndarray}, all or those
        of one layer / one name) with their `.version`."""
        response = self._call("GetParameters", model_service_pb2.GetParametersRequest(
            model=model, layer=layer, name=name), timeout)
        return Parameters({f"{p.layer}/{p.name}": from_tensor(p.value)
                           for p in response.parameters}, response.version)

    def create(self, name, spec, *, seed=0, batching=None, precision="FP32",
               timeout=None):
        """Creates model `name` from `spec` (a ModelSpec, or a dict in its
        protobuf JSON form, e.g. {"input_shape": [4], "layers": [{"name":
        "fc", "linear": {"out_size": 3}}]}); `batching` is a dict of
        BatchingOptions; `precision` is "FP32" (exact, the default) or
        "BF16" (bfloat16 matmuls, float32 parameters). Returns the ModelInfo
        as a dict."""
        request = model_service_pb2.CreateModelRequest(
            name=name, seed=seed,
            precision=model_service_pb2.Precision.Value(precision))
        if isinstance(spec, dict):
            json_format.ParseDict(spec, request.spec)
        else:
            request.spec.CopyFrom(spec)
        if batching:
            json_format.ParseDict(batching, request.batching)
        return _message_to_dict(self._call("CreateModel", request, timeout))

    def delete(self, name, *, timeout=None):
        self._call("DeleteModel",
                   model_service_pb2.DeleteModelRequest(name=name), timeout)

    def get(self, name, *, timeout=None):
        """The model's ModelInfo as a dict (spec, shapes, version, ...)."""
        return _message_to_dict(self._call(
            "GetModel", model_service_pb2.GetModelRequest(name=name), timeout))

    def list(self, *, timeout=None):
        """Every served model's ModelInfo, as dicts, ordered by name."""
        response = self._call("ListModels",
                              model_service_pb2.ListModelsRequest(), timeout)
        return [_message_to_dict(m) for m in response.models]


__all__ = ["Client", "Parameters"]
