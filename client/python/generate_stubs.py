#!/usr/bin/python3
"""Generates the brainserve package's gRPC stubs from the repository's protos.

The stubs (brainserve/v1/*_pb2.py, *_pb2_grpc.py) are committed, so that
`pip install ./client/python` needs nothing but Python packages. This script
regenerates them with Debian's protoc (protobuf-compiler) and
grpc_python_plugin (protobuf-compiler-grpc), the versions that match Debian's
python3-protobuf and python3-grpcio. With --check it regenerates into a
temporary directory and fails if the committed files differ (the test
client.python_stubs_current runs that, so the stubs cannot drift from
proto/).

    /usr/bin/python3 client/python/generate_stubs.py          # rewrite
    /usr/bin/python3 client/python/generate_stubs.py --check  # compare
"""

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "proto")
PROTOS = ["brainserve/v1/tensor.proto", "brainserve/v1/layers.proto",
          "brainserve/v1/model_service.proto"]
GENERATED = ["tensor_pb2.py", "tensor_pb2_grpc.py", "layers_pb2.py",
             "layers_pb2_grpc.py", "model_service_pb2.py",
             "model_service_pb2_grpc.py"]


def generate(out_dir):
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc is None or plugin is None:
        sys.exit("generate_stubs.py: needs protoc and grpc_python_plugin "
                 "(apt-get install protobuf-compiler protobuf-compiler-grpc)")
    subprocess.run([protoc, f"-I{PROTO_DIR}", f"--python_out={out_dir}",
                    f"--grpc_python_out={out_dir}",
                    f"--plugin=protoc-gen-grpc_python={plugin}", *PROTOS],
                   check=True)
    return os.path.join(out_dir, "brainserve", "v1")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed stubs, change nothing")
    args = parser.parse_args()
    committed = os.path.join(HERE, "brainserve", "v1")
    with tempfile.TemporaryDirectory() as temp:
        fresh = generate(temp)
        if args.check:
            _, mismatch, errors = filecmp.cmpfiles(fresh, committed, GENERATED,
                                                   shallow=False)
            if mismatch or errors:
                sys.exit("generate_stubs.py: stubs out of date with proto/: "
                         f"{', '.join(mismatch + errors)}; run "
                         "/usr/bin/python3 client/python/generate_stubs.py")
            print(f"stubs current: {len(GENERATED)} files match proto/")
            return
        os.makedirs(committed, exist_ok=True)
        for name in GENERATED:
            shutil.copyfile(os.path.join(fresh, name),
                            os.path.join(committed, name))
        print(f"wrote {len(GENERATED)} files to {committed}")


if __name__ == "__main__":
    main()
