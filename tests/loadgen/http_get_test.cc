#include "client/loadgen/http_get.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace brainserve::loadgen {
namespace {

TEST(LoadgenParseHttpUrlTest, Forms) {
  auto url = ParseHttpUrl("http://127.0.0.1:9464/metrics");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 9464);
  EXPECT_EQ(url->path, "/metrics");
  url = ParseHttpUrl("http://example");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->path, "/");
  url = ParseHttpUrl("http://[::1]:8080/m?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path, "/m?x=1");
  EXPECT_FALSE(ParseHttpUrl("https://host/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://host:0/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://host:abc/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://:80/").ok());
}

// Serves one canned response to one connection on a loopback port.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 1);
    thread_ = std::thread([this, response] {
      int conn = accept(fd_, nullptr, nullptr);
      char buffer[4096];
      std::string request;
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(conn, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        request.append(buffer, n);
      }
      request_ = request;
      send(conn, response.data(), response.size(), MSG_NOSIGNAL);
      close(conn);
    });
  }
  ~OneShotServer() {
    thread_.join();
    close(fd_);
  }
  std::string url() const {
    return absl::StrCat("http://127.0.0.1:", port_, "/metrics");
  }
  const std::string& request() const { return request_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

TEST(LoadgenHttpGetTest, SendsBasicAuthFromTheUrlAndNeverEchoesIt) {
  auto url = ParseHttpUrl("http://prom:s3cret@127.0.0.1:9/metrics");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->userinfo, "prom:s3cret");
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 9);
  {
    OneShotServer server("HTTP/1.0 200 OK\r\n\r\nok");
    const std::string with_auth = absl::StrCat(
        "http://prom:s3cret@", server.url().substr(strlen("http://")));
    auto body = HttpGet(with_auth, absl::Seconds(5));
    ASSERT_TRUE(body.ok()) << body.status();
    // base64("prom:s3cret")
    EXPECT_NE(server.request().find("Authorization: Basic cHJvbTpzM2NyZXQ=\r\n"),
              std::string::npos)
        << server.request();
  }
  OneShotServer refusing(
      "HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic\r\n\r\n");
  auto refused = HttpGet(
      absl::StrCat("http://prom:s3cret@", refusing.url().substr(7)),
      absl::Seconds(5));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(std::string(refused.status().message()).find("s3cret"),
            std::string::npos);
  EXPECT_NE(std::string(refused.status().message()).find("401"),
            std::string::npos);
}

TEST(LoadgenHttpGetTest, ReadsBodyUntilClose) {
  std::string body = "brainserve_models 3\n";
  OneShotServer server(absl::StrCat(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ",
      body.size(), "\r\n\r\n", body));
  auto got = HttpGet(server.url(), absl::Seconds(5));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, body);
  EXPECT_EQ(server.request().rfind("GET /metrics HTTP/1.0\r\n", 0), 0u);
}

TEST(LoadgenHttpGetTest, DecodesChunkedBodies) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n");
  auto got = HttpGet(server.url(), absl::Seconds(5));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "hello, world");
}

TEST(LoadgenHttpGetTest, NonOkStatusIsUnavailable) {
  OneShotServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  auto got = HttpGet(server.url(), absl::Seconds(5));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(got.status().message().find("404"), std::string::npos);
}

TEST(LoadgenHttpGetTest, RefusedConnectionIsUnavailable) {
  // Bind and close a socket to get a port nobody listens on.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  auto got = HttpGet(
      absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port), "/metrics"),
      absl::Seconds(5));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace brainserve::loadgen
