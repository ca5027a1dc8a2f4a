"""brainserve: a Python client for the brainserve inference server.

    import brainserve
    c = brainserve.Client("localhost:50051")
    y, version = c.forward("mlp", x)
    v = c.update("mlp", {"fc2/bias": delta}, mode="add",
                 expected_version=version)
    params = c.get_parameters("mlp")    # {"fc2/bias": np.ndarray, ...}

The generated messages and stubs are in brainserve.v1 (model_service_pb2,
model_service_pb2_grpc, layers_pb2, tensor_pb2).
"""

from brainserve.client import Client, Parameters
from brainserve.errors import (Aborted, AlreadyExists, Cancelled, DataLoss,
                               DeadlineExceeded, Error, FailedPrecondition,
                               Internal, InvalidArgument, NotFound, OutOfRange,
                               PermissionDenied, ResourceExhausted,
                               Unauthenticated, Unavailable, Unimplemented,
                               Unknown)
from brainserve.tensors import from_tensor, to_tensor

__version__ = "0.1.0"

__all__ = [
    "Client", "Parameters", "from_tensor", "to_tensor", "Error", "Aborted",
    "AlreadyExists", "Cancelled", "DataLoss", "DeadlineExceeded",
    "FailedPrecondition", "Internal", "InvalidArgument", "NotFound",
    "OutOfRange", "PermissionDenied", "ResourceExhausted", "Unauthenticated",
    "Unavailable", "Unimplemented", "Unknown",
]
