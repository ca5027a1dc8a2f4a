"""brainserve.Client against a real server (BRAINSERVE_SERVER=HOST:PORT).

Run with the interpreter the package is installed in, e.g.
    BRAINSERVE_SERVER=localhost:50051 .venv/bin/python -m unittest discover \
        -s client/python/tests
"""

import os
import unittest
import uuid

import numpy as np

import brainserve

SERVER = os.environ.get("BRAINSERVE_SERVER", "localhost:50051")

SPEC = {
    "input_shape": [4],
    "layers": [
        {"name": "fc", "linear": {"out_size": 3}},
        {"name": "norm", "layer_norm": {}},
        {"name": "act", "activation": {"function": "RELU"}},
    ],
}


def reference(x, p):
    """fc -> LayerNorm (eps 1e-6, fast variance) -> ReLU in NumPy."""
    h = x @ p["fc/weight"] + p["fc/bias"]
    mean = h.mean(axis=-1, keepdims=True)
    var = np.maximum((h * h).mean(axis=-1, keepdims=True) - mean * mean, 0)
    h = (h - mean) / np.sqrt(var + 1e-6) * p["norm/scale"] + p["norm/bias"]
    return np.maximum(h, 0)


class ClientTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.client = brainserve.Client(SERVER)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def setUp(self):
        self.name = f"py-{uuid.uuid4().hex[:8]}"
        self.info = self.client.create(self.name, SPEC, seed=7)
        self.addCleanup(self._delete)

    def _delete(self):
        try:
            self.client.delete(self.name)
        except brainserve.NotFound:
            pass

    def test_create_get_list(self):
        self.assertEqual(self.info["name"], self.name)
        self.assertEqual(self.info["version"], "1")
        self.assertEqual(self.info["output_shape"], ["3"])
        info = self.client.get(self.name)
        self.assertEqual(info["input_shape"], ["4"])
        self.assertIn(self.name, [m["name"] for m in self.client.list()])

    def test_forward_matches_numpy_and_reports_version(self):
        x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
        y, version = self.client.forward(self.name, x)
        self.assertEqual(version, 1)
        self.assertEqual(y.dtype, np.float32)
        self.assertEqual(y.shape, (5, 3))
        params = self.client.get_parameters(self.name)
        np.testing.assert_allclose(y, reference(x, params), rtol=1e-4,
                                   atol=1e-5)
        # Lists work as input too; a single sample is [1, 4].
        y1, _ = self.client.forward(self.name, [x[0].tolist()])
        np.testing.assert_array_equal(y1, y[:1])

    def test_bf16_model_says_so_and_stays_close(self):
        # FP32 is the default, which protobuf's JSON form leaves out.
        self.assertNotIn("precision", self.info)
        name = self.name + "-bf16"
        info = self.client.create(name, SPEC, seed=7, precision="BF16")
        self.addCleanup(self.client.delete, name)
        self.assertEqual(info["precision"], "BF16")
        self.assertEqual(self.client.get(name)["precision"], "BF16")
        x = np.random.default_rng(3).standard_normal((6, 4)).astype(np.float32)
        y16, _ = self.client.forward(name, x)
        y32, _ = self.client.forward(self.name, x)
        np.testing.assert_allclose(y16, y32, rtol=0,
                                   atol=2**-5 * np.abs(y32).max())
        with self.assertRaises(ValueError):
            self.client.create(name + "x", SPEC, precision="FP16")

    def test_update_add_with_expected_version(self):
        before = self.client.get_parameters(self.name)
        self.assertEqual(before.version, 1)
        self.assertEqual(sorted(before), ["fc/bias", "fc/weight", "norm/bias",
                                          "norm/scale"])
        delta = np.array([0.5, -1.0, 2.0], np.float32)
        version = self.client.update(self.name, {"fc/bias": delta}, mode="add",
                                     expected_version=1)
        self.assertEqual(version, 2)
        after = self.client.get_parameters(self.name, layer="fc", name="bias")
        self.assertEqual(list(after), ["fc/bias"])
        self.assertEqual(after.version, 2)
        np.testing.assert_array_equal(after["fc/bias"],
                                      before["fc/bias"] + delta)
        _, forward_version = self.client.forward(self.name, np.ones((1, 4)))
        self.assertEqual(forward_version, 2)

    def test_replace_with_tuple_keys(self):
        version = self.client.update(
            self.name, {("norm", "scale"): np.full(3, 2.0, np.float32)})
        self.assertEqual(version, 2)
        np.testing.assert_array_equal(
            self.client.get_parameters(self.name)["norm/scale"], [2, 2, 2])

    def test_stale_expected_version_is_failed_precondition(self):
        self.client.update(self.name, {"fc/bias": np.ones(3)}, mode="add")
        with self.assertRaises(brainserve.FailedPrecondition) as raised:
            self.client.update(self.name, {"fc/bias": np.ones(3)},
                               expected_version=1)
        self.assertIn("expected_version", raised.exception.details)
        self.assertEqual(raised.exception.code.name, "FAILED_PRECONDITION")
        self.assertIsInstance(raised.exception, brainserve.Error)

    def test_errors_are_typed(self):
        with self.assertRaises(brainserve.NotFound):
            self.client.forward("no-such-model", np.ones((1, 4)))
        with self.assertRaises(brainserve.NotFound):
            self.client.get_parameters(self.name, layer="nope")
        with self.assertRaises(brainserve.AlreadyExists):
            self.client.create(self.name, SPEC)
        with self.assertRaises(brainserve.InvalidArgument) as raised:
            self.client.forward(self.name, np.ones((2, 5)))
        self.assertIn("input.shape", str(raised.exception))
        with self.assertRaises(brainserve.InvalidArgument):
            self.client.create("bad name", SPEC)
        with self.assertRaises(ValueError):
            self.client.update(self.name, {"fc/bias": np.ones(3)}, mode="sub")
        self.client.delete(self.name)
        with self.assertRaises(brainserve.NotFound):
            self.client.delete(self.name)

    def test_unreachable_server_is_unavailable(self):
        with brainserve.Client("127.0.0.1:1", timeout=5) as client:
            with self.assertRaises(brainserve.Unavailable):
                client.list()

    def test_masks_reach_the_layer_norm(self):
        x = np.random.default_rng(2).standard_normal((2, 4)).astype(np.float32)
        y_all, _ = self.client.forward(self.name, x)
        y_ones, _ = self.client.forward(self.name, x,
                                        masks={"norm": np.ones(3, np.float32)})
        np.testing.assert_array_equal(y_all, y_ones)
        y_masked, _ = self.client.forward(
            self.name, x, masks={"norm": np.array([1, 1, 0], np.float32)})
        self.assertFalse(np.array_equal(y_all, y_masked))


if __name__ == "__main__":
    unittest.main()
