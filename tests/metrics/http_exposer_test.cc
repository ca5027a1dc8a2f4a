// The HTTP side: the exposer binds (port 0 included), serves GET /metrics, and
// turns bind failures into Status values instead of exceptions.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics/prometheus_reporter.h"
#include "tests/metrics/exposition.h"

namespace brainserve::metrics {
namespace {

using ::brainserve::metrics::testing::HasModelSeries;
using ::brainserve::metrics::testing::HttpGet;
using ::brainserve::metrics::testing::Sample;
using ::testing::HasSubstr;
using ::testing::Optional;

std::unique_ptr<PrometheusReporter> StartOnFreePort() {
  PrometheusReporterOptions options;
  options.listen_address = "127.0.0.1:0";
  auto reporter = PrometheusReporter::Create(options);
  EXPECT_TRUE(reporter.ok()) << reporter.status();
  return reporter.ok() ? *std::move(reporter) : nullptr;
}

// A socket listening on a free loopback port; closed on destruction.
class OccupiedPort {
 public:
  OccupiedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
            0 &&
        listen(fd_, 1) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~OccupiedPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(HttpExposerTest, ServesTheExpositionOnAnEphemeralPort) {
  auto reporter = StartOnFreePort();
  ASSERT_NE(reporter, nullptr);
  ASSERT_GT(reporter->port(), 0);
  auto model = reporter->AddModel("mlp");
  model->RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.001);
  model->RecordRequest(Method::kForward, absl::StatusCode::kDeadlineExceeded,
                       0.5);
  reporter->SetModelCount(1);

  absl::StatusOr<std::string> body = HttpGet(reporter->port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_THAT(Sample(*body,
                     "brainserve_requests_total{model=\"mlp\",method="
                     "\"Forward\",code=\"OK\"}"),
              Optional(1.0));
  EXPECT_THAT(Sample(*body,
                     "brainserve_requests_total{model=\"mlp\",method="
                     "\"Forward\",code=\"DEADLINE_EXCEEDED\"}"),
              Optional(1.0));
  EXPECT_THAT(Sample(*body, "brainserve_models"), Optional(1.0));
  EXPECT_THAT(Sample(*body, "brainserve_build_info{version=\"0.1.0\"}"),
              Optional(1.0));
  // Everything Scrape() exports is served over HTTP too.
  for (const auto& [series, value] :
       testing::ParseExposition(reporter->Scrape())) {
    EXPECT_TRUE(Sample(*body, series).has_value()) << series;
  }

  reporter->RemoveModel("mlp");
  absl::StatusOr<std::string> after = HttpGet(reporter->port(), "/metrics");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(HasModelSeries(*after, "mlp"));
}

TEST(HttpExposerTest, UnknownPathIsNotServed) {
  auto reporter = StartOnFreePort();
  ASSERT_NE(reporter, nullptr);
  EXPECT_FALSE(HttpGet(reporter->port(), "/nope").ok());
}

TEST(HttpExposerTest, StopsServingWhenDestroyed) {
  auto reporter = StartOnFreePort();
  ASSERT_NE(reporter, nullptr);
  const int port = reporter->port();
  reporter.reset();
  EXPECT_FALSE(HttpGet(port, "/metrics").ok());
}

TEST(HttpExposerTest, PortInUseIsUnavailableNamingTheFlag) {
  OccupiedPort occupied;
  ASSERT_GT(occupied.port(), 0);
  PrometheusReporterOptions options;
  options.listen_address = absl::StrCat("127.0.0.1:", occupied.port());
  auto reporter = PrometheusReporter::Create(options);
  EXPECT_EQ(reporter.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(reporter.status().message(), HasSubstr("metrics_listen"));
  EXPECT_THAT(reporter.status().message(), HasSubstr(options.listen_address));
}

TEST(HttpExposerTest, MalformedAddressIsInvalidArgument) {
  for (const char* bad : {"nonsense", "example.com:9464", "127.0.0.1:99999"}) {
    PrometheusReporterOptions options;
    options.listen_address = bad;
    auto reporter = PrometheusReporter::Create(options);
    EXPECT_EQ(reporter.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(reporter.status().message(), HasSubstr("metrics_listen"));
  }
}

TEST(HttpExposerTest, ZeroExposerThreadsIsInvalidArgument) {
  PrometheusReporterOptions options;
  options.listen_address = "127.0.0.1:0";
  options.exposer_threads = 0;
  EXPECT_EQ(PrometheusReporter::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HttpExposerTest, EmptyListenAddressRunsNoExposer) {
  PrometheusReporterOptions options;
  options.listen_address = "";
  auto reporter = PrometheusReporter::Create(options);
  ASSERT_TRUE(reporter.ok()) << reporter.status();
  EXPECT_EQ((*reporter)->port(), 0);
  EXPECT_THAT((*reporter)->Scrape(), HasSubstr("brainserve_build_info"));
}

}  // namespace
}  // namespace brainserve::metrics
