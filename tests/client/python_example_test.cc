// Runs client/python/example.py (Debian's /usr/bin/python3 with
// python3-grpcio, python3-protobuf and python3-numpy) against the real
// brainserve-server, from the checkout: the script's directory holds the
// brainserve package with its committed stubs, so no install is needed. The
// script checks every output against a NumPy reference itself.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"

namespace brainserve::client {
namespace {

using ::brainserve::testing::ProcessResult;
using ::brainserve::testing::RunProcess;
using ::brainserve::testing::ServerProcess;
using ::testing::HasSubstr;

TEST(PythonExampleTest, CreateForwardUpdateForward) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(BRAINSERVE_SERVER_PATH, {"--metrics_listen="});
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<ProcessResult> result =
      RunProcess({"/usr/bin/python3", BRAINSERVE_PYTHON_EXAMPLE, "--server",
                  (*server)->address()},
                 "", {"PYTHONDONTWRITEBYTECODE=1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->out << result->err;
  EXPECT_THAT(result->out, HasSubstr("created python-example: input [4] -> "
                                     "output [3], version 1\n"));
  EXPECT_THAT(result->out, HasSubstr("forward  (version 1): "));
  EXPECT_THAT(result->out, HasSubstr("replaced fc/bias -> version 2\n"));
  EXPECT_THAT(result->out, HasSubstr("forward  (version 3): "));
  EXPECT_THAT(result->out, HasSubstr("stale update refused: "
                                     "FAILED_PRECONDITION\n"));
  EXPECT_THAT(result->out, HasSubstr("versions: 1 -> 2 -> 3; every output "
                                     "matched the NumPy reference\n"));
  EXPECT_EQ((*server)->Stop(), 0) << (*server)->log();
}

}  // namespace
}  // namespace brainserve::client
