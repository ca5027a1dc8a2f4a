#include "server/metrics/listen_address.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::metrics {
namespace {

using ::testing::HasSubstr;

TEST(ListenAddressTest, AcceptsIpLiteralsLocalhostAndBarePort) {
  EXPECT_EQ(*ToCivetwebListeningPort("0.0.0.0:9464"), "0.0.0.0:9464");
  EXPECT_EQ(*ToCivetwebListeningPort("127.0.0.1:0"), "127.0.0.1:0");
  EXPECT_EQ(*ToCivetwebListeningPort("localhost:9464"), "127.0.0.1:9464");
  EXPECT_EQ(*ToCivetwebListeningPort(":9464"), "9464");
  EXPECT_EQ(*ToCivetwebListeningPort("[::1]:9464"), "[::1]:9464");
  EXPECT_EQ(*ToCivetwebListeningPort("[::]:65535"), "[::]:65535");
}

TEST(ListenAddressTest, RejectsMalformedAddressesNamingTheFlag) {
  for (const char* bad : {"9464", "0.0.0.0", "0.0.0.0:", "0.0.0.0:65536",
                          "0.0.0.0:-1", "0.0.0.0:12ab", "0.0.0.0:123456",
                          "example.com:9464", "1.2.3.4,5.6.7.8:80", "[::1:9464",
                          "[nonsense]:80", "256.0.0.1:80", " 127.0.0.1:80"}) {
    absl::StatusOr<std::string> parsed = ToCivetwebListeningPort(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr("metrics_listen")) << bad;
  }
}

TEST(ListenAddressTest, LocalHostReachesWildcardsThroughLoopback) {
  EXPECT_EQ(LocalHostFor("0.0.0.0:9464"), "127.0.0.1");
  EXPECT_EQ(LocalHostFor(":9464"), "127.0.0.1");
  EXPECT_EQ(LocalHostFor("localhost:0"), "127.0.0.1");
  EXPECT_EQ(LocalHostFor("10.1.2.3:9464"), "10.1.2.3");
  EXPECT_EQ(LocalHostFor("[::]:9464"), "::1");
  EXPECT_EQ(LocalHostFor("[fe80::1]:9464"), "fe80::1");
}

}  // namespace
}  // namespace brainserve::metrics
