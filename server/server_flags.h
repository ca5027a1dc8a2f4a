// The brainserve-server command-line flags (Abseil) and their conversion to
// ServerOptions. Linked only into the brainserve-server binary.
#ifndef BRAINSERVE_SERVER_SERVER_FLAGS_H_
#define BRAINSERVE_SERVER_SERVER_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "server/server_options.h"

ABSL_DECLARE_FLAG(std::string, ready_file);

namespace brainserve::server {

// ServerOptions from the parsed flags (not yet validated).
ServerOptions ServerOptionsFromFlags();

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_SERVER_FLAGS_H_
