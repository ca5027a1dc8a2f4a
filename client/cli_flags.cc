#include "client/cli_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, server, "",
          "Server address HOST:PORT (default: $BRAINSERVE_SERVER, else "
          "localhost:50051)");
ABSL_FLAG(bool, json, false,
          "Print responses as JSON (protobuf JSON mapping; tensors as values)");
ABSL_FLAG(int64_t, timeout_ms, 30000,
          "Deadline of each RPC in milliseconds (0 = none)");
ABSL_FLAG(int64_t, max_message_bytes, 64 << 20,
          "Largest message sent or received, in bytes");
ABSL_FLAG(std::string, tls_ca_file, "",
          "Use TLS; verify the server against this PEM CA bundle");
ABSL_FLAG(std::string, tls_cert_file, "",
          "Use TLS and present this PEM client certificate (mutual TLS)");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_server_name, "",
          "Verify the server certificate against this name, not the "
          "address's host");
ABSL_FLAG(std::string, token, "",
          "Bearer token sent with every call (default: --token_file, else "
          "$BRAINSERVE_TOKEN)");
ABSL_FLAG(std::string, token_file, "",
          "Read the bearer token from this file's first line");
ABSL_FLAG(std::string, spec, "",
          "create: CreateModelRequest in protobuf JSON (file or - for stdin)");
ABSL_FLAG(std::string, name, "", "create: overrides the model name of --spec");
ABSL_FLAG(std::string, input, "-",
          "forward: input tensor, .npy or JSON (file or - for stdin)");
ABSL_FLAG(std::string, output, "",
          "forward/params: write the tensor here (.npy if the name ends in "
          ".npy, else JSON)");
ABSL_FLAG(std::string, encoding, "raw",
          "forward/update: tensor encoding on the wire, raw or values");
ABSL_FLAG(std::vector<std::string>, mask, {},
          "forward: LAYER=FILE layer_norm statistics mask (repeatable)");
ABSL_FLAG(std::string, layer, "", "update/params: layer name");
ABSL_FLAG(std::string, param, "", "update/params: parameter name");
ABSL_FLAG(std::string, value, "",
          "update: new value or delta, .npy or JSON (file or - for stdin)");
ABSL_FLAG(std::string, mode, "replace", "update: replace or add");
ABSL_FLAG(std::string, expected_version, "",
          "update: fail with FAILED_PRECONDITION unless the model is at this "
          "version");
ABSL_FLAG(std::string, min_version, "",
          "forward/get/params: read-your-writes; answer only from this "
          "version or newer (e.g. the version an update printed), waiting "
          "for a replica that has not applied it yet");
ABSL_FLAG(std::string, updates, "",
          "update: an UpdateParametersRequest in protobuf JSON (several "
          "updates applied atomically)");
ABSL_FLAG(std::string, service, "",
          "health: service name (default: the whole server)");
