#include "client/loadgen/flags.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::loadgen {
namespace {

TEST(LoadgenFlagsTest, ParsesEveryFormAndList) {
  auto config = ParseFlags(
      {"--model=w2", "--concurrency", "1,4,16,64", "--request_rate=100.5,200",
       "--arrival=poisson", "--encoding", "values", "--max-duration-s=2.5",
       "--update-rate=10", "--update-mode=add", "--metrics-url",
       "http://h:1/metrics", "--server=x:1"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->model, "w2");
  EXPECT_EQ(config->server, "x:1");
  EXPECT_EQ(config->concurrency, (std::vector<int>{1, 4, 16, 64}));
  EXPECT_EQ(config->request_rates, (std::vector<double>{100.5, 200}));
  EXPECT_EQ(config->arrival, ArrivalProcess::kPoisson);
  EXPECT_FALSE(config->input.raw_encoding);
  EXPECT_DOUBLE_EQ(config->max_duration_s, 2.5);
  EXPECT_DOUBLE_EQ(config->update_rate_hz, 10);
  EXPECT_EQ(config->update_mode, UpdateMode::kAdd);
  EXPECT_EQ(config->metrics_url, "http://h:1/metrics");
}

TEST(LoadgenFlagsTest, InputFlagsFillTheInputOptions) {
  auto config = ParseFlags({"--model=m", "--batch=8", "--input-file", "x.npy",
                            "--seed=42", "--input-pool=3", "--encoding=raw"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->input.batch_rows, 8);
  EXPECT_EQ(config->input.input_file, "x.npy");
  EXPECT_EQ(config->input.seed, 42u);
  EXPECT_EQ(config->input.pool_size, 3);
  EXPECT_TRUE(config->input.raw_encoding);
  EXPECT_FALSE(ParseFlags({"--model=m", "--batch=eight"}).ok());
}

TEST(LoadgenFlagsTest, SecurityFlagsAndTokenSources) {
  unsetenv("BRAINSERVE_TOKEN");
  auto config = ParseFlags(
      {"--model=m", "--tls-ca-file=ca.pem", "--tls_cert_file", "c.pem",
       "--tls-key-file=c.key", "--tls-server-name=brainserve", "--token=t1"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->security.tls_ca_file, "ca.pem");
  EXPECT_EQ(config->security.tls_cert_file, "c.pem");
  EXPECT_EQ(config->security.tls_key_file, "c.key");
  EXPECT_EQ(config->security.tls_server_name, "brainserve");
  EXPECT_EQ(config->security.token, "t1");
  EXPECT_TRUE(config->security.tls());

  // Plaintext and no token by default; then $BRAINSERVE_TOKEN; then a file,
  // which wins over the variable; --token wins over both.
  config = ParseFlags({"--model=m"});
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->security.tls());
  EXPECT_EQ(config->security.token, "");
  setenv("BRAINSERVE_TOKEN", "from-env", 1);
  EXPECT_EQ(ParseFlags({"--model=m"})->security.token, "from-env");
  const std::string file = ::testing::TempDir() + "/loadgen-token";
  std::ofstream(file) << "  from-file  \nsecond line\n";
  EXPECT_EQ(ParseFlags({"--model=m", "--token-file=" + file})->security.token,
            "from-file");
  EXPECT_EQ(ParseFlags({"--model=m", "--token-file=" + file, "--token=x"})
                ->security.token,
            "x");
  unsetenv("BRAINSERVE_TOKEN");
  auto missing = ParseFlags({"--model=m", "--token-file=/no/such/file"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              ::testing::HasSubstr("--token_file"));
  EXPECT_FALSE(ParseFlags({"--model=m", "--token="}).ok());
}

TEST(LoadgenFlagsTest, ParsesTheProtocol) {
  auto config = ParseFlags({"--model=m"});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->protocol, Protocol::kBrainserve);
  config = ParseFlags({"--model=m", "--protocol=oip"});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->protocol, Protocol::kOip);
  config = ParseFlags(
      {"--model=m", "--protocol", "http", "--http-server=h:8001"});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->protocol, Protocol::kHttp);
  EXPECT_EQ(config->http_server, "h:8001");
  EXPECT_FALSE(ParseFlags({"--model=m", "--protocol=grpc"}).ok());
  // The HTTP driver is closed-loop only.
  auto open_loop =
      ParseFlags({"--model=m", "--protocol=http", "--request-rate=100"});
  ASSERT_FALSE(open_loop.ok());
  EXPECT_NE(open_loop.status().message().find("--request-rate"),
            std::string::npos);
  // HTTPS takes the TLS flags, but cannot override the name it verifies.
  auto renamed = ParseFlags(
      {"--model=m", "--protocol=http", "--tls-server-name=brainserve"});
  ASSERT_FALSE(renamed.ok());
  EXPECT_NE(renamed.status().message().find("--tls-server-name"),
            std::string::npos);
}

TEST(LoadgenFlagsTest, MinWindowsIsAtLeastStableWindows) {
  auto config =
      ParseFlags({"--model=m", "--stable-windows=4", "--min-windows=2"});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->min_windows, 4);
}

TEST(LoadgenFlagsTest, RejectsBadInput) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--concurrency=0"},
                                             {"--concurrency=1,x"},
                                             {"--arrival=burst"},
                                             {"--encoding=b64"},
                                             {"--nope=1"},
                                             {"--batch"},
                                             {"positional"},
                                             {"--window-ms=abc"}}) {
    auto config = ParseFlags(args);
    ASSERT_FALSE(config.ok()) << args[0];
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(ParseFlags({"--help"}).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace brainserve::loadgen
