"""A client written only from the Open Inference Protocol.

Its stubs are generated at test time from the project's
proto/inference/grpc_predict_v2.proto alone (protoc + grpc_python_plugin),
as any KServe v2 / Triton client's would be. It runs every RPC of
inference.GRPCInferenceService against a real server and checks that
ModelInfer's outputs equal brainserve's Forward bitwise, for typed
(fp32_contents) and raw contents, at batch 1 and 7. Forward is called with the
brainserve package, only as the reference.

Environment: BRAINSERVE_SERVER (HOST:PORT), BRAINSERVE_PROTO_DIR (proto/).
"""

import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import grpc
import numpy as np

SERVER = os.environ.get("BRAINSERVE_SERVER", "localhost:50051")
PROTO_DIR = os.environ["BRAINSERVE_PROTO_DIR"]


def generate_protocol_stubs(out_dir):
    subprocess.run(
        [shutil.which("protoc"), f"-I{PROTO_DIR}", f"--python_out={out_dir}",
         f"--grpc_python_out={out_dir}",
         f"--plugin=protoc-gen-grpc_python={shutil.which('grpc_python_plugin')}",
         "inference/grpc_predict_v2.proto"], check=True)
    sys.path.insert(0, out_dir)
    return (importlib.import_module("inference.grpc_predict_v2_pb2"),
            importlib.import_module("inference.grpc_predict_v2_pb2_grpc"))


class ProtocolClientTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.stub_dir = tempfile.mkdtemp()
        cls.pb, pb_grpc = generate_protocol_stubs(cls.stub_dir)
        cls.channel = grpc.insecure_channel(SERVER)
        cls.stub = pb_grpc.GRPCInferenceServiceStub(cls.channel)
        import brainserve  # the reference (Forward) and model set-up only
        cls.brainserve = brainserve.Client(SERVER)
        cls.model = "oip-mlp"
        try:
            cls.brainserve.delete(cls.model)
        except brainserve.NotFound:
            pass
        cls.brainserve.create(cls.model, {"input_shape": [6], "layers": [
            {"name": "fc1", "linear": {"out_size": 16}},
            {"name": "norm", "layer_norm": {}},
            {"name": "act", "activation": {"function": "GELU"}},
            {"name": "fc2", "linear": {"out_size": 5}}]}, seed=3)

    @classmethod
    def tearDownClass(cls):
        cls.brainserve.delete(cls.model)
        cls.brainserve.close()
        cls.channel.close()
        shutil.rmtree(cls.stub_dir)

    def infer_request(self, x, raw):
        pb = self.pb
        tensor = pb.ModelInferRequest.InferInputTensor(
            name="input", datatype="FP32", shape=list(x.shape))
        request = pb.ModelInferRequest(model_name=self.model, id="q")
        if raw:
            request.raw_input_contents.append(x.astype("<f4").tobytes())
        else:
            tensor.contents.fp32_contents.extend(x.ravel().tolist())
        request.inputs.append(tensor)
        return request

    def test_server_live_ready_metadata(self):
        self.assertTrue(self.stub.ServerLive(self.pb.ServerLiveRequest()).live)
        self.assertTrue(self.stub.ServerReady(self.pb.ServerReadyRequest()).ready)
        metadata = self.stub.ServerMetadata(self.pb.ServerMetadataRequest())
        self.assertEqual(metadata.name, "brainserve")
        self.assertIn("binary_tensor_data", metadata.extensions)

    def test_model_ready_and_metadata(self):
        pb = self.pb
        self.assertTrue(self.stub.ModelReady(
            pb.ModelReadyRequest(name=self.model)).ready)
        self.assertFalse(self.stub.ModelReady(
            pb.ModelReadyRequest(name="no-such-model")).ready)
        metadata = self.stub.ModelMetadata(pb.ModelMetadataRequest(name=self.model))
        self.assertEqual(metadata.name, self.model)
        self.assertEqual(list(metadata.versions), ["1"])
        self.assertEqual([(t.name, t.datatype, list(t.shape)) for t in metadata.inputs],
                         [("input", "FP32", [-1, 6])])
        self.assertEqual([(t.name, t.datatype, list(t.shape)) for t in metadata.outputs],
                         [("output", "FP32", [-1, 5])])
        with self.assertRaises(grpc.RpcError) as raised:
            self.stub.ModelMetadata(pb.ModelMetadataRequest(name="no-such-model"))
        self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_model_infer_equals_forward_bitwise(self):
        rng = np.random.default_rng(5)
        for rows in (1, 7):
            for raw in (False, True):
                with self.subTest(rows=rows, raw=raw):
                    x = rng.standard_normal((rows, 6)).astype(np.float32)
                    reference, version = self.brainserve.forward(self.model, x)
                    response = self.stub.ModelInfer(self.infer_request(x, raw))
                    self.assertEqual(response.model_name, self.model)
                    self.assertEqual(response.model_version, str(version))
                    self.assertEqual(response.id, "q")
                    (output,) = response.outputs
                    self.assertEqual((output.name, output.datatype, list(output.shape)),
                                     ("output", "FP32", [rows, 5]))
                    if raw:
                        y = np.frombuffer(response.raw_output_contents[0], "<f4")
                        self.assertEqual(len(output.contents.fp32_contents), 0)
                    else:
                        self.assertEqual(len(response.raw_output_contents), 0)
                        y = np.array(output.contents.fp32_contents, np.float32)
                    self.assertEqual(y.reshape(rows, 5).tobytes(),
                                     reference.astype("<f4").tobytes())

    def test_errors_name_the_field(self):
        x = np.ones((1, 6), np.float32)
        cases = []
        wrong_type = self.infer_request(x, False)
        wrong_type.inputs[0].datatype = "INT64"
        cases.append((wrong_type, "inputs[0].datatype"))
        two = self.infer_request(x, False)
        two.inputs.append(two.inputs[0])
        cases.append((two, "inputs: 2 tensors"))
        output = self.infer_request(x, True)
        output.outputs.add(name="probabilities")
        cases.append((output, "outputs[0].name"))
        shape = self.infer_request(np.ones((2, 3), np.float32), False)
        cases.append((shape, "inputs[0].shape"))
        for request, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(grpc.RpcError) as raised:
                    self.stub.ModelInfer(request)
                self.assertEqual(raised.exception.code(),
                                 grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn(field, raised.exception.details())
        future = self.infer_request(x, False)
        future.model_version = "99"
        # Read-your-writes: a version not applied yet is waited for, at most
        # --max_min_version_wait_ms (300 on the test server), then
        # UNAVAILABLE: retry later.
        with self.assertRaises(grpc.RpcError) as raised:
            self.stub.ModelInfer(future, timeout=10)
        self.assertEqual(raised.exception.code(),
                         grpc.StatusCode.UNAVAILABLE)
        self.assertIn("model_version", raised.exception.details())


if __name__ == "__main__":
    unittest.main()
