#include "client/loadgen/flags.h"

#include <cstdlib>
#include <functional>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace brainserve::loadgen {
namespace {

using Setter = std::function<bool(const std::string&, LoadgenConfig*)>;

// The struct a flag's field lives in: the config itself or its inputs.
template <typename S>
S& Owner(LoadgenConfig* c) {
  if constexpr (std::is_same_v<S, InputOptions>) {
    return c->input;
  } else {
    return *c;
  }
}

template <typename T, typename S>
Setter Number(T S::*field) {
  return [field](const std::string& v, LoadgenConfig* c) {
    S& owner = Owner<S>(c);
    if constexpr (std::is_floating_point_v<T>) {
      double d;
      if (!absl::SimpleAtod(v, &d)) return false;
      owner.*field = static_cast<T>(d);
      return true;
    } else {
      return absl::SimpleAtoi(v, &(owner.*field));
    }
  };
}

template <typename S>
Setter Text(std::string S::*field) {
  return [field](const std::string& v, LoadgenConfig* c) {
    Owner<S>(c).*field = v;
    return true;
  };
}

template <typename T>
Setter List(std::vector<T> LoadgenConfig::*field) {
  return [field](const std::string& v, LoadgenConfig* c) {
    (c->*field).clear();
    for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipEmpty())) {
      T value;
      bool ok;
      if constexpr (std::is_floating_point_v<T>) {
        ok = absl::SimpleAtod(part, &value);
      } else {
        ok = absl::SimpleAtoi(part, &value);
      }
      if (!ok || !(value > 0)) return false;
      (c->*field).push_back(value);
    }
    return !(c->*field).empty();
  };
}

const std::map<std::string, Setter>& Setters() {
  static const auto* const kSetters = new std::map<std::string, Setter>{
      {"server", Text(&LoadgenConfig::server)},
      {"model", Text(&LoadgenConfig::model)},
      {"tls-ca-file",
       [](const std::string& v, LoadgenConfig* c) {
         c->security.tls_ca_file = v;
         return true;
       }},
      {"tls-cert-file",
       [](const std::string& v, LoadgenConfig* c) {
         c->security.tls_cert_file = v;
         return true;
       }},
      {"tls-key-file",
       [](const std::string& v, LoadgenConfig* c) {
         c->security.tls_key_file = v;
         return true;
       }},
      {"tls-server-name",
       [](const std::string& v, LoadgenConfig* c) {
         c->security.tls_server_name = v;
         return true;
       }},
      {"token",
       [](const std::string& v, LoadgenConfig* c) {
         c->security.token = v;
         return !v.empty();
       }},
      {"token-file", Text(&LoadgenConfig::token_file)},
      {"protocol",
       [](const std::string& v, LoadgenConfig* c) {
         if (v == "brainserve") {
           c->protocol = Protocol::kBrainserve;
         } else if (v == "oip") {
           c->protocol = Protocol::kOip;
         } else if (v == "http") {
           c->protocol = Protocol::kHttp;
         } else {
           return false;
         }
         return true;
       }},
      {"http-server", Text(&LoadgenConfig::http_server)},
      {"concurrency", List(&LoadgenConfig::concurrency)},
      {"request-rate", List(&LoadgenConfig::request_rates)},
      {"arrival",
       [](const std::string& v, LoadgenConfig* c) {
         if (v != "constant" && v != "poisson") return false;
         c->arrival = v == "poisson" ? ArrivalProcess::kPoisson
                                     : ArrivalProcess::kConstant;
         return true;
       }},
      {"batch", Number(&InputOptions::batch_rows)},
      {"input-file", Text(&InputOptions::input_file)},
      {"encoding",
       [](const std::string& v, LoadgenConfig* c) {
         if (v != "raw" && v != "values") return false;
         c->input.raw_encoding = v == "raw";
         return true;
       }},
      {"seed", Number(&InputOptions::seed)},
      {"input-pool", Number(&InputOptions::pool_size)},
      {"connections", Number(&LoadgenConfig::connections)},
      {"threads", Number(&LoadgenConfig::threads)},
      {"timeout-ms", Number(&LoadgenConfig::timeout_ms)},
      {"max-inflight", Number(&LoadgenConfig::max_inflight)},
      {"warmup-ms", Number(&LoadgenConfig::warmup_ms)},
      {"window-ms", Number(&LoadgenConfig::window_ms)},
      {"stability-pct", Number(&LoadgenConfig::stability_pct)},
      {"stable-windows", Number(&LoadgenConfig::stable_windows)},
      {"min-windows", Number(&LoadgenConfig::min_windows)},
      {"max-duration-s", Number(&LoadgenConfig::max_duration_s)},
      {"max-requests", Number(&LoadgenConfig::max_requests)},
      {"metrics-url", Text(&LoadgenConfig::metrics_url)},
      {"csv", Text(&LoadgenConfig::csv_path)},
      {"json", Text(&LoadgenConfig::json_path)},
      {"update-rate", Number(&LoadgenConfig::update_rate_hz)},
      {"update-mode",
       [](const std::string& v, LoadgenConfig* c) {
         if (v != "add" && v != "replace") return false;
         c->update_mode = v == "add" ? UpdateMode::kAdd : UpdateMode::kReplace;
         return true;
       }},
      {"update-add-delta", Number(&LoadgenConfig::update_add_delta)},
      {"update-params",
       [](const std::string& v, LoadgenConfig* c) {
         c->update_parameters = absl::StrSplit(v, ',', absl::SkipEmpty());
         return !c->update_parameters.empty();
       }},
      {"dump-request", Text(&LoadgenConfig::dump_request_path)},
      {"progress",
       [](const std::string& v, LoadgenConfig* c) {
         if (v != "true" && v != "false") return false;
         c->progress = v == "true";
         return true;
       }},
  };
  return *kSetters;
}

}  // namespace

std::string Usage() {
  return R"(brainserve-loadgen: load generator for brainserve's Forward RPC (or the
Open Inference Protocol's ModelInfer, over gRPC or HTTP).

usage: brainserve-loadgen --model NAME [flags]

target and input
  --server HOST:PORT        gRPC server (default $BRAINSERVE_SERVER or localhost:50051)
  --model NAME              model to load (its input shape comes from GetModel)
  --tls-ca-file PEM         use TLS, verifying the server with this CA bundle
  --tls-cert-file PEM --tls-key-file PEM
                            client certificate and key (mutual TLS)
  --tls-server-name NAME    name the server certificate must carry
  --token TOKEN             bearer token for every call (default: --token-file
                            FILE, else $BRAINSERVE_TOKEN)
  --protocol brainserve|oip|http
                            inference API: brainserve.v1 Forward (default),
                            the Open Inference Protocol's ModelInfer over gRPC
                            (oip) or its REST infer over HTTP/1.1 (http; JSON
                            data, or binary tensor data with --encoding raw;
                            closed loop only, one keep-alive connection and
                            thread per caller; HTTPS and the token with the
                            flags above, except --tls-server-name)
  --http-server HOST:PORT   HTTP/REST server for --protocol http
                            (default localhost:8000)
  --batch B                 rows per request (default 1)
  --input-file F.npy|F.json input instead of seeded random values; shape
                            [*input_shape] (tiled to B rows) or [B, *input_shape]
  --encoding raw|values     Tensor encoding (default raw)
  --seed N                  random inputs / Poisson arrivals (default 1)
  --input-pool N            distinct random requests cycled (default 16)
load
  --concurrency 1,4,16,64   closed-loop levels (default 1 if no --request-rate)
  --request-rate R1,R2      open-loop levels in requests/s; latency from the
                            intended send time
  --arrival constant|poisson  open-loop arrival process (default constant)
  --connections N           HTTP/2 connections for Forward (default 2)
  --threads N               completion-queue threads (default 1)
  --timeout-ms N            per-call deadline (default 10000)
  --max-inflight N          open-loop cap on outstanding calls (default 20000)
measurement (per level)
  --warmup-ms N             warm-up, then drain (default 1000)
  --window-ms N             window length (default 1000)
  --stability-pct P         stop when the last --stable-windows windows agree
                            within P% of throughput (default 10)
  --stable-windows N        (default 3)
  --min-windows N           fewest windows measured and reported (default 3)
  --max-duration-s S        hard cap per level, warm-up included (default 60)
  --max-requests N          hard cap on calls per measured level (default none)
  --metrics-url URL         server /metrics for the queue/compute/batch split,
                            e.g. http://localhost:9464/metrics (basic auth:
                            http://USER:PASSWORD@localhost:9464/metrics)
updates under load
  --update-rate HZ          UpdateParameters per second; each level then runs a
                            baseline phase and an updates phase
  --update-mode replace|add replace every parameter (default) or add a small delta
  --update-add-delta D      add mode: per-element delta, alternating sign (1e-6)
  --update-params L/N,...   only these parameters (layer/name), e.g. fc2/weight
output
  --csv FILE  --json FILE   machine-readable results
  --progress true|false     live line on stderr (default: when it is a terminal)
  --dump-request FILE       write one gRPC-framed ForwardRequest (5-byte prefix
                            + message, for h2load -d) and exit
)";
}

absl::StatusOr<LoadgenConfig> ParseFlags(const std::vector<std::string>& args) {
  LoadgenConfig config;
  if (const char* env = std::getenv("BRAINSERVE_SERVER"); env && *env) {
    config.server = env;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h" || arg == "--helpfull") {
      return absl::NotFoundError(Usage());
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "' (see --help)"));
    }
    arg = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    const std::string name = absl::StrReplaceAll(arg, {{"_", "-"}});
    auto it = Setters().find(name);
    if (it == Setters().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", arg, " (see --help)"));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", arg, " needs a value"));
      }
      value = args[++i];
    }
    if (!it->second(value, &config)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value '", value, "' for --", arg));
    }
  }
  if (config.protocol == Protocol::kHttp && !config.request_rates.empty()) {
    return absl::InvalidArgumentError(
        "--request-rate: open-loop levels need --protocol brainserve or oip");
  }
  if (config.protocol == Protocol::kHttp &&
      !config.security.tls_server_name.empty()) {
    return absl::InvalidArgumentError(
        "--tls-server-name: not supported with --protocol http (connect by "
        "the name the server certificate carries)");
  }
  if (config.min_windows < config.stable_windows) {
    config.min_windows = config.stable_windows;
  }
  absl::StatusOr<std::string> token =
      client::ResolveToken(config.security.token, config.token_file);
  if (!token.ok()) return token.status();
  config.security.token = *std::move(token);
  return config;
}

}  // namespace brainserve::loadgen
