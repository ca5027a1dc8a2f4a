#!/usr/bin/python3
"""brainserve from Python: create a model, forward, update, forward again.

Uses the brainserve package of this directory (`pip install ./client/python`,
or run this script from a checkout: its directory is on sys.path) with
Debian's python3-grpcio, python3-protobuf and python3-numpy.

    /usr/bin/python3 client/python/example.py --server localhost:50051

Against a server with TLS (mutual TLS) and tokens, as brainserve-cli does:

    BRAINSERVE_TOKEN=... /usr/bin/python3 client/python/example.py \
        --server localhost:50051 --tls_ca_file ca.pem \
        [--tls_cert_file client.pem --tls_key_file client.key]

The script checks every output against a NumPy reference computed from the
parameters the server reports, and exits non-zero on any mismatch.
"""

import argparse
import os
import sys

import numpy as np

import brainserve


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get(
        "BRAINSERVE_SERVER", "localhost:50051"), help="HOST:PORT")
    parser.add_argument("--model", default="python-example",
                        help="name of the model to create (replaced if it "
                             "exists, deleted at the end)")
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
    if bool(args.tls_cert_file) != bool(args.tls_key_file):
        sys.exit("example.py: --tls_cert_file and --tls_key_file go together")
    tls = bool(args.tls_ca_file or args.tls_cert_file)

    with brainserve.Client(args.server, tls=tls,
                           root_certificates=args.tls_ca_file,
                           private_key=args.tls_key_file,
                           certificate_chain=args.tls_cert_file,
                           server_name=args.tls_server_name,
                           token=read_token(args) or None) as client:
        # Start from a clean slate.
        try:
            client.delete(args.model)
        except brainserve.NotFound:
            pass

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
        info = client.create(args.model, spec)
        print(f"created {info['name']}: input "
              f"{[int(d) for d in info['input_shape']]} -> output "
              f"{[int(d) for d in info['output_shape']]}, version "
              f"{info['version']}")

        x = np.array([[1, 2, 3, 4], [-1, 0, 1, -2]], dtype=np.float32)

        def forward():
            output, version = client.forward(args.model, x)
            p = client.get_parameters(args.model, layer="fc")
            expected = np.maximum(x @ p["fc/weight"] + p["fc/bias"], 0)
            if p.version != version or not np.allclose(
                    output, expected, rtol=1e-5, atol=1e-5):
                sys.exit(f"mismatch at version {version}: got "
                         f"{output.tolist()}, expected {expected.tolist()}")
            print(f"forward  (version {version}): {output.tolist()}")
            return version

        versions = [forward()]

        # Replace the bias, guarded by the version we just saw.
        version = client.update(args.model, {"fc/bias": [1.0, -10.0, 0.25]},
                                expected_version=versions[-1])
        print(f"replaced fc/bias -> version {version}")
        versions.append(forward())

        # Push a delta onto the weight (a gradient-style ADD).
        version = client.update(
            args.model, {"fc/weight": np.full((4, 3), 0.125, np.float32)},
            mode="add")
        print(f"added 0.125 to fc/weight -> version {version}")
        versions.append(forward())

        # A stale expected_version is refused and changes nothing.
        try:
            client.update(args.model, {"fc/bias": [0.0, 0.0, 0.0]},
                          expected_version=1)
            sys.exit("stale expected_version was accepted")
        except brainserve.FailedPrecondition as error:
            print(f"stale update refused: {error.code.name}")

        client.delete(args.model)
        if versions != [1, 2, 3]:
            sys.exit(f"unexpected versions {versions}")
        print(f"versions: {' -> '.join(map(str, versions))}; every output "
              "matched the NumPy reference")


if __name__ == "__main__":
    main()
