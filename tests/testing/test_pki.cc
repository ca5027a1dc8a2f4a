#include "tests/testing/test_pki.h"

#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {
namespace {

absl::Status Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<ProcessResult> result = RunProcess(argv);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    std::string command;
    for (const std::string& a : argv) absl::StrAppend(&command, a, " ");
    return absl::InternalError(
        absl::StrCat(command, "exited ", result->exit_code, ": ", result->err));
  }
  return absl::OkStatus();
}

absl::StatusOr<CertKey> SelfSigned(const std::string& dir,
                                   const std::string& name,
                                   const std::string& subject) {
  CertKey ck{absl::StrCat(dir, "/", name, ".pem"),
             absl::StrCat(dir, "/", name, ".key")};
  absl::Status status = Openssl(
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", ck.key_file, "-out", ck.cert_file, "-days", "2",
       "-subj", subject, "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
  if (!status.ok()) return status;
  return ck;
}

absl::StatusOr<CertKey> Signed(const std::string& dir, const std::string& name,
                               const std::string& subject, const CertKey& ca,
                               const std::string& extensions) {
  CertKey ck{absl::StrCat(dir, "/", name, ".pem"),
             absl::StrCat(dir, "/", name, ".key")};
  const std::string csr = absl::StrCat(dir, "/", name, ".csr");
  const std::string ext = absl::StrCat(dir, "/", name, ".ext");
  std::ofstream(ext) << extensions << "\n";
  absl::Status status = Openssl({"req", "-newkey", "ec", "-pkeyopt",
                                 "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                                 ck.key_file, "-out", csr, "-subj", subject});
  if (!status.ok()) return status;
  status = Openssl({"x509", "-req", "-in", csr, "-CA", ca.cert_file, "-CAkey",
                    ca.key_file, "-CAcreateserial", "-out", ck.cert_file,
                    "-days", "2", "-extfile", ext});
  if (!status.ok()) return status;
  return ck;
}

}  // namespace

std::string CertKey::cert_pem() const { return ReadFileOrEmpty(cert_file); }
std::string CertKey::key_pem() const { return ReadFileOrEmpty(key_file); }

absl::StatusOr<TestPki> TestPki::Create() {
  TestPki pki;
  pki.dir = absl::StrCat(::testing::TempDir(), "/brainserve-pki-XXXXXX");
  if (mkdtemp(pki.dir.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  constexpr char kServerExt[] =
      "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
      "extendedKeyUsage=serverAuth";
  constexpr char kClientExt[] = "extendedKeyUsage=clientAuth";
  absl::StatusOr<CertKey> ca =
      SelfSigned(pki.dir, "ca", "/CN=brainserve test CA");
  if (!ca.ok()) return ca.status();
  pki.ca = *ca;
  absl::StatusOr<CertKey> other_ca =
      SelfSigned(pki.dir, "other_ca", "/CN=another CA");
  if (!other_ca.ok()) return other_ca.status();
  pki.other_ca = *other_ca;
  struct Leaf {
    CertKey* out;
    const char* name;
    const char* subject;
    const CertKey* issuer;
    const char* ext;
  };
  for (const Leaf& leaf : std::vector<Leaf>{
           {&pki.server, "server", "/CN=localhost", &pki.ca, kServerExt},
           {&pki.rotated_server, "rotated_server", "/CN=localhost",
            &pki.other_ca, kServerExt},
           {&pki.client, "client", "/O=brainserve test/CN=trainer", &pki.ca,
            kClientExt},
           {&pki.other_client, "other_client", "/CN=intruder", &pki.other_ca,
            kClientExt}}) {
    absl::StatusOr<CertKey> ck =
        Signed(pki.dir, leaf.name, leaf.subject, *leaf.issuer, leaf.ext);
    if (!ck.ok()) return ck.status();
    *leaf.out = *ck;
  }
  return pki;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void ReplaceFile(const std::string& path, const std::string& contents) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << contents;
  }
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0) << path;
}

}  // namespace brainserve::testing
