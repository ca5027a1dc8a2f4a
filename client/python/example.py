#!/usr/bin/python3
"""brainserve from Python: create a model, forward, update, forward again.

Uses Debian's python3-grpcio, python3-protobuf and python3-numpy. The gRPC
stubs are generated from the repository's proto/ directory with protoc and
grpc_python_plugin (Debian: protobuf-compiler, protobuf-compiler-grpc) into
--stubs-dir, or a temporary directory if none is given.

    /usr/bin/python3 client/python/example.py --server localhost:50051

Against a server with TLS (mutual TLS) and tokens, as brainserve-cli does:

    BRAINSERVE_TOKEN=... /usr/bin/python3 client/python/example.py \
        --server localhost:50051 --tls_ca_file ca.pem \
        [--tls_cert_file client.pem --tls_key_file client.key]

The script checks every output against a NumPy reference computed from the
parameters the server reports, and exits non-zero on any mismatch.
"""

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROTO_FILES = ["brainserve/v1/tensor.proto", "brainserve/v1/layers.proto",
               "brainserve/v1/model_service.proto"]


def generate_stubs(proto_dir, out_dir):
    """Runs protoc with the gRPC Python plugin; returns out_dir."""
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc is None or plugin is None:
        sys.exit("example.py: needs protoc and grpc_python_plugin "
                 "(apt-get install protobuf-compiler protobuf-compiler-grpc)")
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run([protoc, f"-I{proto_dir}", f"--python_out={out_dir}",
                    f"--grpc_python_out={out_dir}",
                    f"--plugin=protoc-gen-grpc_python={plugin}", *PROTO_FILES],
                   check=True)
    return out_dir


def load_stubs(stubs_dir):
    sys.path.insert(0, stubs_dir)
    pb2 = importlib.import_module("brainserve.v1.model_service_pb2")
    grpc_pb2 = importlib.import_module("brainserve.v1.model_service_pb2_grpc")
    tensor_pb2 = importlib.import_module("brainserve.v1.tensor_pb2")
    return pb2, grpc_pb2, tensor_pb2


def to_tensor(tensor_pb2, array):
    """A float32 NumPy array as a Tensor using the `raw` encoding."""
    array = np.ascontiguousarray(array, dtype="<f4")
    return tensor_pb2.Tensor(shape=array.shape, raw=array.tobytes())


def from_tensor(tensor):
    """A Tensor (`raw` or `values`) as a float32 NumPy array."""
    if tensor.raw:
        data = np.frombuffer(tensor.raw, dtype="<f4")
    else:
        data = np.asarray(tensor.values, dtype=np.float32)
    return data.reshape(tuple(tensor.shape))


def read_token(args):
    """--token, else the first line of --token_file, else $BRAINSERVE_TOKEN."""
    if args.token:
        return args.token
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as f:
            token = f.readline().strip()
        if not token:
            sys.exit(f"example.py: --token_file {args.token_file} holds no token")
        return token
    return os.environ.get("BRAINSERVE_TOKEN", "")


def make_channel(grpc, args):
    """A plaintext or TLS (mutual TLS) channel; every call carries the token."""
    def read(path):
        with open(path, "rb") as f:
            return f.read()

    tls = args.tls_ca_file or args.tls_cert_file or args.tls_key_file
    if tls:
        if bool(args.tls_cert_file) != bool(args.tls_key_file):
            sys.exit("example.py: --tls_cert_file and --tls_key_file go together")
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read(args.tls_ca_file) if args.tls_ca_file else None,
            private_key=read(args.tls_key_file) if args.tls_key_file else None,
            certificate_chain=read(args.tls_cert_file) if args.tls_cert_file else None)
        options = []
        if args.tls_server_name:
            options.append(("grpc.ssl_target_name_override", args.tls_server_name))
        channel = grpc.secure_channel(args.server, credentials, options=options)
    else:
        channel = grpc.insecure_channel(args.server)
    token = read_token(args)
    if not token:
        return channel

    class BearerToken(grpc.UnaryUnaryClientInterceptor):
        """Adds `authorization: Bearer TOKEN` to every call."""

        def intercept_unary_unary(self, continuation, details, request):
            metadata = list(details.metadata or [])
            metadata.append(("authorization", f"Bearer {token}"))
            return continuation(details._replace(metadata=metadata), request)

    return grpc.intercept_channel(channel, BearerToken())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get(
        "BRAINSERVE_SERVER", "localhost:50051"), help="HOST:PORT")
    parser.add_argument("--model", default="python-example",
                        help="name of the model to create (replaced if it "
                             "exists, deleted at the end)")
    parser.add_argument("--stubs-dir", help="where to generate the stubs")
    parser.add_argument("--proto-dir", default=os.path.join(REPO_ROOT, "proto"))
    parser.add_argument("--tls_ca_file", "--tls-ca-file",
                        help="use TLS, verifying the server with this PEM CA")
    parser.add_argument("--tls_cert_file", "--tls-cert-file",
                        help="PEM client certificate (mutual TLS)")
    parser.add_argument("--tls_key_file", "--tls-key-file",
                        help="PEM key of --tls_cert_file")
    parser.add_argument("--tls_server_name", "--tls-server-name",
                        help="name the server certificate must carry")
    parser.add_argument("--token", help="bearer token (default: --token_file, "
                        "else $BRAINSERVE_TOKEN)")
    parser.add_argument("--token_file", "--token-file",
                        help="read the bearer token from this file")
    args = parser.parse_args()

    import grpc  # python3-grpcio

    with tempfile.TemporaryDirectory() as temp:
        stubs = generate_stubs(args.proto_dir, args.stubs_dir or temp)
        pb2, grpc_pb2, tensor_pb2 = load_stubs(stubs)

        channel = make_channel(grpc, args)
        try:
            grpc.channel_ready_future(channel).result(timeout=30)
        except grpc.FutureTimeoutError:
            sys.exit(f"example.py: cannot reach a server at {args.server}")
        stub = grpc_pb2.ModelServiceStub(channel)

        # Start from a clean slate.
        try:
            stub.DeleteModel(pb2.DeleteModelRequest(name=args.model))
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise

        # input [4] -> Linear(3) with W = 0.5, b = 0 -> ReLU
        spec = {
            "input_shape": [4],
            "layers": [
                {"name": "fc", "linear": {
                    "out_size": 3,
                    "w_init": {"constant": {"value": 0.5}},
                    "b_init": {"constant": {"value": 0.0}}}},
                {"name": "act", "activation": {"function": "RELU"}},
            ],
        }
        from google.protobuf import json_format
        request = json_format.ParseDict({"name": args.model, "spec": spec},
                                        pb2.CreateModelRequest())
        info = stub.CreateModel(request)
        print(f"created {info.name}: input {list(info.input_shape)} -> "
              f"output {list(info.output_shape)}, version {info.version}")

        x = np.array([[1, 2, 3, 4], [-1, 0, 1, -2]], dtype=np.float32)

        def forward():
            response = stub.Forward(pb2.ForwardRequest(
                model=args.model, input=to_tensor(tensor_pb2, x)))
            output = from_tensor(response.output)
            params = stub.GetParameters(pb2.GetParametersRequest(
                model=args.model, layer="fc"))
            p = {q.name: from_tensor(q.value) for q in params.parameters}
            expected = np.maximum(x @ p["weight"] + p["bias"], 0)
            if params.version != response.version or not np.allclose(
                    output, expected, rtol=1e-5, atol=1e-5):
                sys.exit(f"mismatch at version {response.version}: got "
                         f"{output.tolist()}, expected {expected.tolist()}")
            print(f"forward  (version {response.version}): {output.tolist()}")
            return response.version

        versions = [forward()]

        # Replace the bias, guarded by the version we just saw.
        updated = stub.UpdateParameters(pb2.UpdateParametersRequest(
            model=args.model, expected_version=versions[-1], updates=[
                pb2.ParameterUpdate(
                    layer="fc", name="bias", mode=pb2.ParameterUpdate.REPLACE,
                    value=to_tensor(tensor_pb2, [1.0, -10.0, 0.25]))]))
        print(f"replaced fc/bias -> version {updated.version}")
        versions.append(forward())

        # Push a delta onto the weight (a gradient-style ADD).
        delta = np.full((4, 3), 0.125, dtype=np.float32)
        updated = stub.UpdateParameters(pb2.UpdateParametersRequest(
            model=args.model, updates=[pb2.ParameterUpdate(
                layer="fc", name="weight", mode=pb2.ParameterUpdate.ADD,
                value=to_tensor(tensor_pb2, delta))]))
        print(f"added 0.125 to fc/weight -> version {updated.version}")
        versions.append(forward())

        # A stale expected_version is refused and changes nothing.
        try:
            stub.UpdateParameters(pb2.UpdateParametersRequest(
                model=args.model, expected_version=1, updates=[
                    pb2.ParameterUpdate(layer="fc", name="bias",
                                        value=to_tensor(tensor_pb2,
                                                        [0.0, 0.0, 0.0]))]))
            sys.exit("stale expected_version was accepted")
        except grpc.RpcError as error:
            print(f"stale update refused: {error.code().name}")
            if error.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise

        stub.DeleteModel(pb2.DeleteModelRequest(name=args.model))
        if versions != [1, 2, 3]:
            sys.exit(f"unexpected versions {versions}")
        print(f"versions: {' -> '.join(map(str, versions))}; every output "
              "matched the NumPy reference")


if __name__ == "__main__":
    main()
