"""Every HTTP/REST route of a real server with Python's urllib (stdlib only),
including the documented errors and their HTTP status codes.

Environment: BRAINSERVE_HTTP (http://HOST:PORT of --http_listen).
"""

import json
import os
import struct
import unittest
import urllib.error
import urllib.request

BASE = os.environ.get("BRAINSERVE_HTTP", "http://localhost:8000")
MODEL = "rest-lin"


def call(method, path, body=None, headers=None):
    """(status, headers, body bytes) of one request; never raises on 4xx/5xx."""
    data = body if isinstance(body, (bytes, type(None))) else body.encode()
    request = urllib.request.Request(BASE + path, data=data, method=method,
                                     headers=headers or {})
    if data is not None and "Content-Type" not in (headers or {}):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def infer_body(rows, data, datatype="FP32", extra=""):
    return json.dumps({"inputs": [{"name": "input", "datatype": datatype,
                                   "shape": [rows, 2], "data": data}]})[:-1] + extra + "}"


class RestTest(unittest.TestCase):

    def setUp(self):
        call("DELETE", f"/v1/models/{MODEL}")
        # y = x @ [[1, 2], [3, 4]] + [0.5, -0.5]: exact in float32.
        status, _, body = call("POST", "/v1/models", json.dumps({
            "name": MODEL, "spec": {"input_shape": [2], "layers": [{
                "name": "fc", "linear": {"out_size": 2, "w_init": {"tensor": {
                    "shape": [2, 2], "values": [1, 2, 3, 4]}},
                    "b_init": {"tensor": {"shape": [2], "values": [0.5, -0.5]}}}}]}}))
        self.assertEqual(status, 200, body)
        self.addCleanup(call, "DELETE", f"/v1/models/{MODEL}")

    def assertError(self, response, status, fragment):
        code, headers, body = response
        self.assertEqual(code, status, body)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertIn(fragment, json.loads(body)["error"])

    def test_health_and_metadata(self):
        self.assertEqual(call("GET", "/v2/health/live")[0], 200)
        self.assertEqual(call("GET", "/v2/health/ready")[0], 200)
        status, _, body = call("GET", "/v2")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["name"], "brainserve")
        status, _, body = call("GET", f"/v2/models/{MODEL}")
        self.assertEqual(status, 200)
        metadata = json.loads(body)
        self.assertEqual(metadata["inputs"], [{"name": "input", "datatype": "FP32",
                                               "shape": [-1, 2]}])
        self.assertEqual(metadata["versions"], ["1"])
        self.assertEqual(call("GET", f"/v2/models/{MODEL}/ready")[0], 200)
        self.assertError(call("GET", "/v2/models/nope/ready"), 400, "not ready")
        self.assertError(call("GET", "/v2/models/nope"), 404, "nope")

    def test_infer_json_and_binary(self):
        status, _, body = call("POST", f"/v2/models/{MODEL}/infer",
                               infer_body(2, [[1, 0], [0.5, 1]]))
        self.assertEqual(status, 200, body)
        answer = json.loads(body)
        self.assertEqual(answer["model_version"], "1")
        self.assertEqual(answer["outputs"], [{"name": "output", "datatype": "FP32",
                                              "shape": [2, 2],
                                              "data": [1.5, 1.5, 4, 4.5]}])
        header = json.dumps({"inputs": [{"name": "input", "datatype": "FP32",
                                         "shape": [1, 2],
                                         "parameters": {"binary_data_size": 8}}],
                             "outputs": [{"name": "output",
                                          "parameters": {"binary_data": True}}]})
        status, headers, body = call(
            "POST", f"/v2/models/{MODEL}/versions/1/infer",
            header.encode() + struct.pack("<2f", 1, 1),
            {"Inference-Header-Content-Length": str(len(header)),
             "Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, body)
        length = int(headers["Inference-Header-Content-Length"])
        self.assertEqual(json.loads(body[:length])["outputs"][0]["parameters"],
                         {"binary_data_size": 8})
        self.assertEqual(struct.unpack("<2f", body[length:]), (4.5, 5.5))

    def test_infer_errors(self):
        path = f"/v2/models/{MODEL}/infer"
        self.assertError(call("POST", "/v2/models/nope/infer", infer_body(1, [1, 2])),
                         404, "nope")
        self.assertError(call("POST", path, "{not json"), 400, "not valid JSON")
        self.assertError(call("POST", path, infer_body(1, [1, 2, 3])), 400,
                         "inputs[0].contents.fp32_contents: 3 elements")
        self.assertError(call("POST", path, json.dumps({"inputs": [{
            "name": "input", "datatype": "FP32", "shape": [1, 3],
            "data": [1, 2, 3]}]})), 400, "inputs[0].shape")
        self.assertError(call("POST", path, infer_body(1, [1, 2], "INT32")), 400,
                         "inputs[0].datatype")
        self.assertError(call("POST", path, infer_body(
            1, [1, 2], extra=', "outputs": [{"name": "y"}]')), 400, "outputs[0].name")
        # A version not applied yet is waited for (--max_min_version_wait_ms),
        # then 503: retry later.
        self.assertError(call("POST", f"/v2/models/{MODEL}/versions/2/infer",
                              infer_body(1, [1, 2])), 503, "model_version")
        self.assertError(call("GET", "/v2/unknown"), 404, "no route")

    def test_model_service_routes(self):
        status, _, body = call("GET", "/v1/models")
        self.assertEqual(status, 200)
        self.assertIn(MODEL, [m["name"] for m in json.loads(body)["models"]])
        status, _, body = call("GET", f"/v1/models/{MODEL}")
        self.assertEqual((status, json.loads(body)["version"]), (200, "1"))
        self.assertError(call("GET", "/v1/models/nope"), 404, "nope")
        self.assertError(call("POST", "/v1/models", json.dumps({
            "name": MODEL, "spec": {"input_shape": [2]}})), 409, MODEL)
        self.assertError(call("POST", "/v1/models", "{"), 400, "request body")
        update = json.dumps({"updates": [{"layer": "fc", "name": "bias", "mode": "ADD",
                                          "value": {"shape": [2], "values": [1, 1]}}],
                             "expected_version": "1"})
        status, _, body = call("POST", f"/v1/models/{MODEL}/parameters", update)
        self.assertEqual((status, json.loads(body)), (200, {"version": "2"}))
        self.assertError(call("POST", f"/v1/models/{MODEL}/parameters", update), 400,
                         "expected_version")
        status, _, body = call("GET", f"/v1/models/{MODEL}/parameters?layer=fc&name=bias")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["parameters"][0]["value"]["values"], [1.5, 0.5])
        self.assertError(call("GET", f"/v1/models/{MODEL}/parameters?name=gain"), 404,
                         "gain")
        self.assertEqual(call("DELETE", f"/v1/models/{MODEL}")[0], 200)
        self.assertError(call("DELETE", f"/v1/models/{MODEL}"), 404, MODEL)


if __name__ == "__main__":
    unittest.main()
