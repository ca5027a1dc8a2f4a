"""NumPy arrays <-> brainserve.v1.Tensor."""

import numpy as np

from brainserve.v1 import tensor_pb2


def to_tensor(array):
    """A float32 array as a Tensor in the `raw` encoding (little-endian)."""
    array = np.ascontiguousarray(array, dtype="<f4")
    return tensor_pb2.Tensor(shape=array.shape, raw=array.tobytes())


def from_tensor(tensor):
    """A Tensor (`raw` or `values` encoding) as a float32 NumPy array."""
    if tensor.raw:
        data = np.frombuffer(tensor.raw, dtype="<f4").astype(np.float32)
    else:
        data = np.asarray(tensor.values, dtype=np.float32)
    return data.reshape(tuple(tensor.shape))
