// The flags of brainserve-cli (defined in cli_flags.cc). They are set by
// ParseCliArgs (cli_args.h), not by absl::ParseCommandLine, so that usage
// errors exit with code 2 and hyphenated spellings (--expected-version) work.
// Only the CLI binary and its tests link these definitions.
#ifndef BRAINSERVE_CLIENT_CLI_FLAGS_H_
#define BRAINSERVE_CLIENT_CLI_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/declare.h"

// Global.
ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(int64_t, timeout_ms);
ABSL_DECLARE_FLAG(int64_t, max_message_bytes);
ABSL_DECLARE_FLAG(std::string, tls_ca_file);
ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(std::string, tls_server_name);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(std::string, token_file);
// create
ABSL_DECLARE_FLAG(std::string, spec);
ABSL_DECLARE_FLAG(std::string, name);
// forward
ABSL_DECLARE_FLAG(std::string, input);
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(std::string, encoding);
ABSL_DECLARE_FLAG(std::vector<std::string>, mask);
// update / params
ABSL_DECLARE_FLAG(std::string, layer);
ABSL_DECLARE_FLAG(std::string, param);
ABSL_DECLARE_FLAG(std::string, value);
ABSL_DECLARE_FLAG(std::string, mode);
ABSL_DECLARE_FLAG(std::string, expected_version);
ABSL_DECLARE_FLAG(std::string, updates);
// forward / get / params
ABSL_DECLARE_FLAG(std::string, min_version);
// health
ABSL_DECLARE_FLAG(std::string, service);

#endif  // BRAINSERVE_CLIENT_CLI_FLAGS_H_
