"""brainserve.Client's TLS and token options, against a small in-process
gRPC server (grpcio) that records what it receives. Needs /usr/bin/openssl
to make a throw-away CA and server certificate; no brainserve server."""

import concurrent.futures
import os
import shutil
import subprocess
import tempfile
import unittest

import grpc

import brainserve
from brainserve.v1 import model_service_pb2, model_service_pb2_grpc


class RecordingService(model_service_pb2_grpc.ModelServiceServicer):
    """Answers ListModels with one model and remembers the call metadata."""

    def __init__(self):
        self.metadata = []

    def ListModels(self, request, context):
        self.metadata.append(dict(context.invocation_metadata()))
        return model_service_pb2.ListModelsResponse(
            models=[model_service_pb2.ModelInfo(name="m", version=4)])


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certificates(directory):
    """ca.pem, server.pem/.key (CN and SAN localhost), client.pem/.key."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.pem",
            cwd=directory)
    with open(os.path.join(directory, "san.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    for name in ("server", "client"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj",
                "/CN=localhost", "-keyout", f"{name}.key", "-out",
                f"{name}.csr", cwd=directory)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem",
                "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", "san.cnf", "-out", f"{name}.pem", cwd=directory)


def read(directory, name):
    with open(os.path.join(directory, name), "rb") as f:
        return f.read()


@unittest.skipIf(shutil.which("openssl") is None, "needs openssl")
class ChannelOptionsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        make_certificates(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def serve(self, credentials=None):
        service = RecordingService()
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(2))
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(service,
                                                                  server)
        if credentials is None:
            port = server.add_insecure_port("localhost:0")
        else:
            port = server.add_secure_port("localhost:0", credentials)
        server.start()
        self.addCleanup(server.stop, None)
        return service, f"localhost:{port}"

    def test_token_is_sent_as_bearer_metadata(self):
        service, address = self.serve()
        with brainserve.Client(address, token="s3cret") as client:
            self.assertEqual(client.list()[0]["name"], "m")
        self.assertEqual(service.metadata[0]["authorization"], "Bearer s3cret")
        with brainserve.Client(address) as client:
            client.list()
        self.assertNotIn("authorization", service.metadata[1])

    def test_tls_with_root_certificates_from_a_file_or_bytes(self):
        credentials = grpc.ssl_server_credentials(
            [(read(self.dir, "server.key"), read(self.dir, "server.pem"))])
        service, address = self.serve(credentials)
        ca_path = os.path.join(self.dir, "ca.pem")
        for roots in (ca_path, read(self.dir, "ca.pem")):
            with brainserve.Client(address, root_certificates=roots,
                                   token="t") as client:
                self.assertEqual(client.list()[0]["version"], "4")
        self.assertEqual(service.metadata[-1]["authorization"], "Bearer t")
        # Without the CA the server's certificate is not trusted.
        with brainserve.Client(address, tls=True, timeout=5) as client:
            with self.assertRaises(brainserve.Unavailable):
                client.list()

    def test_mutual_tls_presents_the_client_certificate(self):
        credentials = grpc.ssl_server_credentials(
            [(read(self.dir, "server.key"), read(self.dir, "server.pem"))],
            root_certificates=read(self.dir, "ca.pem"),
            require_client_auth=True)
        _, address = self.serve(credentials)
        with brainserve.Client(
                address, root_certificates=os.path.join(self.dir, "ca.pem"),
                private_key=os.path.join(self.dir, "client.key"),
                certificate_chain=os.path.join(self.dir, "client.pem")) as client:
            self.assertEqual(len(client.list()), 1)
        with brainserve.Client(address,
                               root_certificates=os.path.join(self.dir, "ca.pem"),
                               timeout=5) as client:
            with self.assertRaises(brainserve.Unavailable):
                client.list()


if __name__ == "__main__":
    unittest.main()
