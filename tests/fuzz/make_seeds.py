#!/usr/bin/python3
"""Writes the seed corpus under tests/fuzz/corpus/ (run from anywhere).

Protobuf seeds are text-format (*.textproto), encoded by scripts/fuzz.sh;
.npy, JSON and HTTP body seeds are the raw bytes. Crash reproducers added by
hand (corpus/<target>/crash-*) are not touched by this script.
"""
import io
import json
import os
import struct

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(d, name), mode) as f:
        f.write(data)


def raw(values):
    return "".join("\\x%02x" % b for b in struct.pack("<%df" % len(values), *values))


# --- model_spec_fuzzer: CreateModelRequest ---------------------------------
SPECS = {
    "mlp": 'input_shape: 4 layers { name: "fc1" linear { out_size: 5 } } '
           'layers { activation { function: RELU } } layers { name: "norm" layer_norm {} } '
           'layers { scaled_ws_linear { out_size: 3 } } layers { signed_w_linear { out_size: 2 } }',
    "identity": "input_shape: [2, 3]",
    "no_input": 'layers { linear { out_size: 2 } }',
    "zero_dim": 'input_shape: [0] layers { linear { out_size: 2 } }',
    "negative_dim": 'input_shape: [-3] layers { linear { out_size: 2 } }',
    "huge_input_no_layers": "input_shape: [4194304]",
    "huge_linear": 'input_shape: 4096 layers { linear { out_size: 4096 } }',
    "overflow_shape": "input_shape: [4611686018427387904, 4]",
    "linear_rank3": 'input_shape: [2, 3, 8] layers { name: "fc" linear { out_size: 4 } }',
    "linear_inits": 'input_shape: 3 layers { linear { out_size: 2 '
                    'w_init { tensor { shape: [3, 2] values: [1, 2, 3, 4, 5, 6] } } '
                    'b_init { constant { value: 0.5 } } } }',
    "linear_bad_tensor_init": 'input_shape: 3 layers { linear { out_size: 2 '
                              'w_init { tensor { shape: [2, 3] values: [1, 2, 3] } } } }',
    "linear_mask": 'input_shape: 3 layers { linear { out_size: 2 '
                   'w_mask { shape: [3, 1] values: [1, 0, 1] } b_init { none {} } } }',
    "linear_mask_raw": 'input_shape: 2 layers { linear { out_size: 2 '
                       'w_mask { shape: [2, 2] raw: "%s" } } }' % raw([1, 0, 0, 1]),
    "kaiming_xavier": 'input_shape: 3 layers { linear { out_size: 2 w_init { kaiming_normal { scale: 1.0 } } } } '
                      'layers { linear { out_size: 2 w_init { xavier_normal { } } } }',
    "signed": 'input_shape: 3 layers { signed_w_linear { out_size: 2 w_sign { shape: [3, 2] values: [1, -1, 1, -1, 0, 1] } } }',
    "ws_linear": 'input_shape: 6 layers { scaled_ws_linear { out_size: 3 ws_gain: false eps: 0.001 '
                 'w_mask { shape: [6, 1] values: [1, 1, 0, 1, 1, 1] } b_init { none {} } } }',
    "conv_default": 'input_shape: [12, 4] layers { scaled_ws_conv1d { out_channels: 8 kernel_size: 3 } }',
    "conv_full": 'input_shape: [12, 4] layers { scaled_ws_conv1d { out_channels: 6 kernel_size: 5 groups: 2 '
                 'stride: 2 b_init { constant { value: 0.1 } } padding { mode: "VALID" } } }',
    "conv_explicit_pad": 'input_shape: [10, 2] layers { scaled_ws_conv1d { out_channels: 2 kernel_size: 3 '
                         'padding { lo: 1 hi: 2 } lhs_dilation: 2 rhs_dilation: 2 } }',
    "conv_channel_first": 'input_shape: [3, 9] layers { scaled_ws_conv1d { out_channels: 4 kernel_size: 2 '
                          'channel_first: true w_mask { shape: [1, 1, 4] values: [1, 0, 1, 1] } } }',
    "conv_bad_groups": 'input_shape: [12, 4] layers { scaled_ws_conv1d { out_channels: 5 kernel_size: 3 groups: 3 } }',
    "conv_kernel_too_big": 'input_shape: [2, 1] layers { scaled_ws_conv1d { out_channels: 1 kernel_size: 9 padding { mode: "VALID" } } }',
    "layer_norm_axes": 'input_shape: [3, 4] layers { name: "n" layer_norm { reduction_axes: [-2, -1] feature_axes: [-1] '
                       'epsilon: 0.01 use_fast_variance: false } }',
    "layer_norm_no_affine": 'input_shape: [5] layers { layer_norm { use_bias: false use_scale: false '
                            'scale_init { constant { value: 2 } } } }',
    "layer_norm_bad_axis": 'input_shape: [5] layers { layer_norm { reduction_axes: [3] } }',
    "activations": "input_shape: 3 " + " ".join(
        'layers { activation { function: %s alpha: 0.2 } }' % f
        for f in ["IDENTITY", "RELU", "GELU", "GELU_TANH", "SIGMOID", "TANH",
                  "SILU", "SOFTPLUS", "LEAKY_RELU", "ELU"]),
    "bad_activation": 'input_shape: 3 layers { activation { function: 77 } }',
    "duplicate_names": 'input_shape: 3 layers { name: "a" linear { out_size: 2 } } layers { name: "a" linear { out_size: 2 } }',
    "empty_layer": 'input_shape: 3 layers { name: "x" }',
    "too_many_layers": "input_shape: 2 " + " ".join(
        'layers { activation { function: RELU } }' for _ in range(20)),
    "nan_init": 'input_shape: 1 layers { linear { out_size: 1 b_init { constant { value: nan } } } }',
}
for name, spec in SPECS.items():
    put("model_spec_fuzzer", name + ".textproto",
        'name: "m-%s" seed: 7 spec { %s }\n' % (name.replace("_", "-"), spec))
put("model_spec_fuzzer", "bad_name.textproto", 'name: "-bad name" spec { input_shape: 1 }\n')
put("model_spec_fuzzer", "no_spec.textproto", 'name: "m"\n')

# --- tensor_decode_fuzzer: Tensor -------------------------------------------
TENSORS = {
    "values": "shape: [2, 2] values: [1, 2, 3, 4]",
    "raw": 'shape: [3] raw: "%s"' % raw([0.5, -1, 1e30]),
    "scalar": "values: [7]",
    "empty": "shape: [0, 3]",
    "empty_with_values": "shape: [0] values: [1]",
    "both": 'shape: [1] values: [1] raw: "%s"' % raw([1]),
    "short_raw": 'shape: [2] raw: "\\x00\\x00\\x80"',
    "count_mismatch": "shape: [2, 3] values: [1, 2]",
    "negative_dim": "shape: [-1, 2] values: [1, 2]",
    "overflow": "shape: [4294967296, 4294967296, 4] values: [1]",
    "nan_inf": "shape: [3] values: [nan, inf, -inf]",
    "big_zero_dim": "shape: [0, 9223372036854775807, 9223372036854775807]",
}
for name, t in TENSORS.items():
    put("tensor_decode_fuzzer", name + ".textproto", t + "\n")

# --- update_fuzzer: UpdateParametersRequest ---------------------------------
UPDATES = {
    "mlp_bias": 'model: "mlp" updates { layer: "fc1" name: "bias" value { shape: [5] values: [1, 2, 3, 4, 5] } }',
    "mlp_weight_add": 'model: "mlp" expected_version: 1 updates { layer: "fc1" name: "weight" mode: ADD '
                      'value { shape: [4, 5] raw: "%s" } }' % raw([0.25] * 20),
    "mlp_two": 'model: "mlp" updates { layer: "norm" name: "scale" value { shape: [5] values: [1, 1, 1, 1, 2] } } '
               'updates { layer: "ws" name: "gain" value { shape: [1, 3] values: [1, 2, 3] } }',
    "mlp_head": 'model: "mlp" updates { layer: "head" name: "weight" value { shape: [3, 2] values: [1, -1, 1, -1, 1, -1] } }',
    "mlp_stale": 'model: "mlp" expected_version: 2 updates { layer: "fc1" name: "bias" value { shape: [5] values: [0, 0, 0, 0, 0] } }',
    "mlp_unknown_layer": 'model: "mlp" updates { layer: "nope" name: "bias" value { shape: [5] values: [0, 0, 0, 0, 0] } }',
    "mlp_unknown_param": 'model: "mlp" updates { layer: "act" name: "bias" value { shape: [5] values: [0, 0, 0, 0, 0] } }',
    "mlp_wrong_shape": 'model: "mlp" updates { layer: "fc1" name: "bias" value { shape: [4] values: [0, 0, 0, 0] } }',
    "mlp_nan": 'model: "mlp" updates { layer: "fc1" name: "bias" value { shape: [5] values: [0, nan, 0, 0, 0] } }',
    "mlp_add_overflow": 'model: "mlp" updates { layer: "fc1" name: "bias" mode: ADD value { shape: [5] values: [3e38, 3e38, 3e38, 3e38, 3e38] } }',
    "mlp_duplicate": 'model: "mlp" updates { layer: "fc1" name: "bias" value { shape: [5] values: [0, 0, 0, 0, 0] } } '
                     'updates { layer: "fc1" name: "bias" value { shape: [5] values: [1, 1, 1, 1, 1] } }',
    "mlp_empty": 'model: "mlp"',
    "conv_weight": 'model: "conv" updates { layer: "conv" name: "weight" value { shape: [3, 2, 3] values: '
                   '[1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9] } }',
    "conv_bias_gain": 'model: "conv" updates { layer: "conv" name: "bias" mode: ADD value { shape: [3] values: [1, 2, 3] } } '
                      'updates { layer: "conv" name: "gain" value { shape: [1, 1, 3] values: [1, 0, 2] } }',
    "conv_norm": 'model: "conv" updates { layer: "norm" name: "bias" value { shape: [3] values: [1, 2, 3] } }',
}
for name, u in UPDATES.items():
    put("update_fuzzer", name + ".textproto", u + "\n")

# --- forward_fuzzer: ForwardRequest -------------------------------------------
FORWARDS = {
    "mlp_values": 'model: "mlp" input { shape: [1, 4] values: [1, 2, 3, 4] }',
    "mlp_raw": 'model: "mlp" input { shape: [2, 4] raw: "%s" }' % raw([1, -2, 3, 0.5, 0, 0, 1e-3, 9]),
    "mlp_mask": 'model: "mlp" input { shape: [2, 4] values: [1, 2, 3, 4, 5, 6, 7, 8] } '
                'masks { key: "norm" value { shape: [5] values: [1, 0, 1, 1, 0] } }',
    "mlp_mask_rows": 'model: "mlp" input { shape: [2, 4] values: [1, 2, 3, 4, 5, 6, 7, 8] } '
                     'masks { key: "norm" value { shape: [2, 1] values: [1, 0] } }',
    "mlp_mask_full": 'model: "mlp" input { shape: [1, 4] values: [1, 2, 3, 4] } '
                     'masks { key: "norm" value { shape: [1, 5] raw: "%s" } }' % raw([1, 1, 0, 0, 1]),
    "mlp_mask_not_norm": 'model: "mlp" input { shape: [1, 4] values: [1, 2, 3, 4] } '
                         'masks { key: "fc1" value { shape: [1] values: [1] } }',
    "mlp_nan": 'model: "mlp" input { shape: [1, 4] values: [nan, inf, -inf, 0] }',
    "mlp_rows": 'model: "mlp" input { shape: [9, 4] values: [%s] }' % ", ".join(str(i % 7 - 3) for i in range(36)),
    "mlp_bad_shape": 'model: "mlp" input { shape: [1, 5] values: [1, 2, 3, 4, 5] }',
    "mlp_zero_rows": 'model: "mlp" input { shape: [0, 4] }',
    "mlp_min_version": 'model: "mlp" min_version: 1 input { shape: [1, 4] values: [1, 2, 3, 4] }',
    "conv_values": 'model: "conv" input { shape: [1, 6, 2] values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }',
    "conv_mask": 'model: "conv" input { shape: [1, 6, 2] values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] } '
                 'masks { key: "norm" value { shape: [6, 1] values: [1, 1, 0, 1, 0, 1] } }',
    "unknown_model": 'model: "nope" input { shape: [1, 4] values: [1, 2, 3, 4] }',
    "bad_name": 'model: "a/b" input { shape: [1, 4] values: [1, 2, 3, 4] }',
}
for name, f in FORWARDS.items():
    put("forward_fuzzer", name + ".textproto", f + "\n")

# --- model_infer_fuzzer: inference.ModelInferRequest ------------------------
INFERS = {
    "values": 'model_name: "mlp" inputs { name: "input" datatype: "FP32" shape: [1, 4] '
              'contents { fp32_contents: [1, 2, 3, 4] } }',
    "raw": 'model_name: "mlp" model_version: "1" id: "r" inputs { name: "input" datatype: "FP32" shape: [2, 4] } '
           'raw_input_contents: "%s" outputs { name: "output" }' % raw([1, 2, 3, 4, 5, 6, 7, 8]),
    "conv": 'model_name: "conv" inputs { name: "input" datatype: "FP32" shape: [1, 6, 2] '
            'contents { fp32_contents: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] } }',
    "wrong_datatype": 'model_name: "mlp" inputs { name: "input" datatype: "INT32" shape: [1, 4] '
                      'contents { int_contents: [1, 2, 3, 4] } }',
    "future_version": 'model_name: "mlp" model_version: "9" inputs { name: "input" datatype: "FP32" shape: [1, 4] '
                      'contents { fp32_contents: [1, 2, 3, 4] } }',
    "two_inputs": 'model_name: "mlp" inputs { name: "input" datatype: "FP32" shape: [1, 4] } '
                  'inputs { name: "x" datatype: "FP32" shape: [1, 4] }',
    "unknown_output": 'model_name: "mlp" inputs { name: "input" datatype: "FP32" shape: [1, 4] '
                      'contents { fp32_contents: [1, 2, 3, 4] } } outputs { name: "y" }',
}
for name, i in INFERS.items():
    put("model_infer_fuzzer", name + ".textproto", i + "\n")

# --- v2_json_fuzzer: HTTP bodies ---------------------------------------------
def body(obj):
    return json.dumps(obj)

inp = {"name": "input", "datatype": "FP32"}
put("v2_json_fuzzer", "flat.json", body({"inputs": [dict(inp, shape=[1, 4], data=[1, 2, 3, 4])]}))
put("v2_json_fuzzer", "nested.json", body({"id": "x", "parameters": {"a": 1}, "inputs": [
    dict(inp, shape=[2, 4], data=[[1, 2, 3, 4], [5, 6, 7, 8]])],
    "outputs": [{"name": "output", "parameters": {"binary_data": False}}]}))
put("v2_json_fuzzer", "conv.json", body({"inputs": [dict(inp, shape=[1, 6, 2], data=list(range(12)))]}) )
put("v2_json_fuzzer", "bad_type.json", body({"inputs": [dict(inp, shape=[1, 4], data=["a", None, True, {}])]}))
put("v2_json_fuzzer", "ragged.json", body({"inputs": [dict(inp, shape=[2, 2], data=[[1, 2], [3]])]}))
put("v2_json_fuzzer", "binary_output.json", body({"parameters": {"binary_data_output": True},
    "inputs": [dict(inp, shape=[1, 4], data=[1, 2, 3, 4])]}))
j = body({"inputs": [dict(inp, shape=[1, 4], parameters={"binary_data_size": 16})]}).encode()
put("v2_json_fuzzer", "binary_input.bin", b"B" + struct.pack("<H", len(j)) + j + struct.pack("<4f", 1, 2, 3, 4))
put("v2_json_fuzzer", "binary_short.bin", b"B" + struct.pack("<H", len(j)) + j + b"\x00\x00")
put("v2_json_fuzzer", "not_json.txt", "{\"inputs\": [")

# --- npy_fuzzer ----------------------------------------------------------------
def npy(arr, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, arr)
    else:
        np.lib.format.write_array(b, arr, version=version)
    return b.getvalue()

a = np.arange(6, dtype="<f4").reshape(2, 3)
put("npy_fuzzer", "f4.npy", npy(a))
put("npy_fuzzer", "f8.npy", npy(a.astype("<f8")))
put("npy_fuzzer", "i4.npy", npy(a.astype("<i4")))
put("npy_fuzzer", "i8.npy", npy(np.array([2**40, -3], dtype="<i8")))
put("npy_fuzzer", "scalar.npy", npy(np.float32(3.5)))
put("npy_fuzzer", "empty.npy", npy(np.zeros((0, 4), dtype="<f4")))
put("npy_fuzzer", "v2.npy", npy(a, version=(2, 0)))
put("npy_fuzzer", "v3.npy", npy(a, version=(3, 0)))
put("npy_fuzzer", "fortran.npy", npy(np.asfortranarray(a)))
put("npy_fuzzer", "big_endian.npy", npy(a.astype(">f4")))
put("npy_fuzzer", "u1.npy", npy(a.astype("u1")))
put("npy_fuzzer", "truncated.npy", npy(a)[:-5])
put("npy_fuzzer", "nonfinite.npy", npy(np.array([np.nan, np.inf, -np.inf, 1e300], dtype="<f8")))

# --- json_tensor_fuzzer ------------------------------------------------------
JSONS = {
    "nested": "[[1, 2], [3, 4]]",
    "scalar": "3.25",
    "empty": "[]",
    "deep": "[[[[1]]], [[[2]]]]",
    "ragged": "[[1, 2], [3]]",
    "object": '{"shape": [2, 2], "values": [1, 2, 3, 4]}',
    "object_strings": '{"shape": ["2"], "values": ["NaN", "-Infinity"]}',
    "object_raw": '{"shape": [1], "raw": "AACAPw=="}',
    "nonnumeric": '[1, "x", null]',
    "big": "[1e39, -1e39, 1e-50]",
}
for name, text in JSONS.items():
    put("json_tensor_fuzzer", name + ".json", text)
