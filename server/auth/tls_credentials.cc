#include "server/auth/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace brainserve::auth {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM data";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  return buffer;
}

absl::StatusOr<BioPtr> OpenFile(const std::string& path, const char* flag) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read '", path, "'"));
  }
  return bio;
}

// Every certificate of a PEM file; INVALID_ARGUMENT if there is none.
absl::StatusOr<std::vector<X509Ptr>> ReadCertificates(const std::string& path,
                                                      const char* flag) {
  absl::StatusOr<BioPtr> bio = OpenFile(path, flag);
  if (!bio.ok()) return bio.status();
  std::vector<X509Ptr> certificates;
  while (X509* x = PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr)) {
    certificates.emplace_back(x);
  }
  ERR_clear_error();  // the end of the file reads as an error
  if (certificates.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": '", path, "' holds no PEM certificate"));
  }
  return certificates;
}

std::string Rfc2253(X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

std::string TimeText(const ASN1_TIME* time) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), time);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

}  // namespace

absl::StatusOr<TlsSummary> CheckTlsFiles(const TlsFiles& files) {
  TlsSummary summary;
  if (!files.enabled()) {
    if (files.mutual()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca_file needs --tls_cert_file and --tls_key_file");
    }
    return summary;
  }
  if (files.cert_file.empty() || files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file must be given together");
  }
  absl::StatusOr<std::vector<X509Ptr>> chain =
      ReadCertificates(files.cert_file, "tls_cert_file");
  if (!chain.ok()) return chain.status();
  absl::StatusOr<BioPtr> key_bio = OpenFile(files.key_file, "tls_key_file");
  if (!key_bio.ok()) return key_bio.status();
  KeyPtr key(
      PEM_read_bio_PrivateKey(key_bio->get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key_file: '", files.key_file,
        "' holds no unencrypted PEM private key: ", OpenSslError()));
  }
  X509* leaf = chain->front().get();
  if (X509_check_private_key(leaf, key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key_file: the key in '", files.key_file,
        "' does not belong to the first certificate of --tls_cert_file '",
        files.cert_file, "'"));
  }
  summary.subject = Rfc2253(X509_get_subject_name(leaf));
  summary.not_after = TimeText(X509_get0_notAfter(leaf));
  summary.expired = X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0;
  if (files.mutual()) {
    absl::StatusOr<std::vector<X509Ptr>> cas =
        ReadCertificates(files.client_ca_file, "tls_client_ca_file");
    if (!cas.ok()) return cas.status();
    summary.client_ca_certificates = static_cast<int>(cas->size());
  }
  return summary;
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    const TlsFiles& files) {
  if (!files.enabled()) return grpc::InsecureServerCredentials();
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          files.key_file, files.cert_file, files.client_ca_file,
          files.reload_interval_seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (files.mutual()) {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace brainserve::auth
