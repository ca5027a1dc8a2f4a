#include "client/loadgen/level_report.h"

#include <cstdio>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace brainserve::loadgen {
namespace {

std::string CodesText(const std::map<std::string, int64_t>& codes) {
  std::vector<std::string> parts;
  for (const auto& [code, count] : codes) {
    parts.push_back(absl::StrCat(code, ":", count));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, " ");
}

std::string Ms(double us) { return absl::StrFormat("%.3f", us / 1e3); }

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  return absl::StrFormat("%.6g", v);
}

std::string JsonLatency(const LatencySummary& l) {
  return absl::StrCat("{\"count\":", l.count,
                      ",\"mean_us\":", JsonNumber(l.mean_us),
                      ",\"p50_us\":", JsonNumber(l.p50_us),
                      ",\"p90_us\":", JsonNumber(l.p90_us),
                      ",\"p95_us\":", JsonNumber(l.p95_us),
                      ",\"p99_us\":", JsonNumber(l.p99_us),
                      ",\"max_us\":", JsonNumber(l.max_us), "}");
}

template <typename Map>
std::string JsonCounts(const Map& counts) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : counts) {
    parts.push_back(absl::StrCat(JsonString(key), ":", JsonNumber(value)));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

}  // namespace

int64_t LevelReport::Failed() const {
  auto it = codes.find("OK");
  return sent - (it == codes.end() ? 0 : it->second);
}

std::string LevelReport::LoadLabel() const {
  std::string label =
      concurrency > 0 ? absl::StrCat("c=", concurrency)
                      : absl::StrFormat("rate=%g/s %s", request_rate, arrival);
  if (batch_rows != 1) absl::StrAppend(&label, " B=", batch_rows);
  return label;
}

void PrintTable(const std::vector<LevelReport>& reports, std::ostream& out) {
  if (reports.empty()) return;
  out << "model " << reports[0].model << " (latency in ms; server columns "
      << "from /metrics deltas)\n";
  out << absl::StrFormat(
      "%-20s %-8s %10s %8s %8s %8s %8s %8s %7s %-22s %9s %9s %6s %s\n", "load",
      "phase", "req/s", "p50", "p90", "p95", "p99", "max", "cpu/req",
      "codes (all sent)", "srv queue", "srv comp", "batch", "stop");
  for (const LevelReport& r : reports) {
    out << absl::StrFormat(
        "%-20s %-8s %10.1f %8s %8s %8s %8s %8s %6.1fu %-22s %9s %9s %6s %s\n",
        r.LoadLabel(), r.phase.empty() ? "-" : r.phase, r.throughput_rps,
        Ms(r.latency.p50_us), Ms(r.latency.p90_us), Ms(r.latency.p95_us),
        Ms(r.latency.p99_us), Ms(r.latency.max_us), r.client_cpu_us_per_call,
        CodesText(r.codes),
        r.server.available ? absl::StrFormat("%.1fus", r.server.queue_mean_us)
                           : "-",
        r.server.available ? absl::StrFormat("%.1fus", r.server.compute_mean_us)
                           : "-",
        r.server.available ? absl::StrFormat("%.2f", r.server.batch_size_mean)
                           : "-",
        absl::StrCat(r.stop_reason, " ", r.windows_reported, "/",
                     r.windows_measured, "w"));
  }
  bool any_updates = false;
  for (const LevelReport& r : reports) any_updates |= r.has_updates;
  if (!any_updates) return;
  out << "\nupdates under load (forward p99 ratio = updates phase / baseline "
         "phase of the same level)\n";
  out << absl::StrFormat("%-20s %8s %10s %8s %8s %8s %8s %-16s %9s %9s %s\n",
                         "load", "mode", "upd bytes", "n", "p50", "p99", "max",
                         "update codes", "fwd fail", "p99 ratio",
                         "version regressions");
  const LevelReport* baseline = nullptr;
  for (const LevelReport& r : reports) {
    if (r.phase == "baseline") baseline = &r;
    if (!r.has_updates) continue;
    const double ratio = baseline != nullptr && baseline->latency.p99_us > 0
                             ? r.latency.p99_us / baseline->latency.p99_us
                             : 0;
    out << absl::StrFormat(
        "%-20s %8s %10d %8d %8s %8s %8s %-16s %9d %9.2f %d\n", r.LoadLabel(),
        r.update_mode, r.update_payload_bytes, r.update_latency.count,
        Ms(r.update_latency.p50_us), Ms(r.update_latency.p99_us),
        Ms(r.update_latency.max_us), CodesText(r.update_codes), r.Failed(),
        ratio, r.version_regressions);
  }
}

std::string ToCsv(const std::vector<LevelReport>& reports) {
  std::ostringstream out;
  out << "model,concurrency,request_rate,arrival,batch,phase,throughput_rps,"
         "p50_us,p90_us,p95_us,p99_us,max_us,mean_us,latency_count,sent,ok,"
         "failed,codes,version_regressions,client_cpu_us_per_call,"
         "server_forward_total,server_queue_mean_us,server_compute_mean_us,"
         "server_batch_size_mean,stable,stop_reason,windows_reported,"
         "update_rate_hz,update_mode,update_count,update_p50_us,update_p99_us,"
         "update_max_us,update_codes\n";
  for (const LevelReport& r : reports) {
    auto ok = r.codes.find("OK");
    out << absl::StrJoin(
               std::vector<std::string>{
                   r.model,
                   absl::StrCat(r.concurrency),
                   JsonNumber(r.request_rate),
                   r.arrival,
                   absl::StrCat(r.batch_rows),
                   r.phase,
                   JsonNumber(r.throughput_rps),
                   JsonNumber(r.latency.p50_us),
                   JsonNumber(r.latency.p90_us),
                   JsonNumber(r.latency.p95_us),
                   JsonNumber(r.latency.p99_us),
                   JsonNumber(r.latency.max_us),
                   JsonNumber(r.latency.mean_us),
                   absl::StrCat(r.latency.count),
                   absl::StrCat(r.sent),
                   absl::StrCat(ok == r.codes.end() ? 0 : ok->second),
                   absl::StrCat(r.Failed()),
                   CodesText(r.codes),
                   absl::StrCat(r.version_regressions),
                   JsonNumber(r.client_cpu_us_per_call),
                   JsonNumber(r.server.forward_total),
                   JsonNumber(r.server.queue_mean_us),
                   JsonNumber(r.server.compute_mean_us),
                   JsonNumber(r.server.batch_size_mean),
                   r.stable ? "true" : "false",
                   r.stop_reason,
                   absl::StrCat(r.windows_reported),
                   JsonNumber(r.update_rate_hz),
                   r.update_mode,
                   absl::StrCat(r.update_latency.count),
                   JsonNumber(r.update_latency.p50_us),
                   JsonNumber(r.update_latency.p99_us),
                   JsonNumber(r.update_latency.max_us),
                   CodesText(r.update_codes)},
               ",")
        << "\n";
  }
  return out.str();
}

std::string ToJson(const std::vector<LevelReport>& reports) {
  std::vector<std::string> levels;
  for (const LevelReport& r : reports) {
    std::string level = absl::StrCat(
        "{\"model\":", JsonString(r.model), ",\"concurrency\":", r.concurrency,
        ",\"request_rate\":", JsonNumber(r.request_rate),
        ",\"arrival\":", JsonString(r.arrival), ",\"batch\":", r.batch_rows,
        ",\"phase\":", JsonString(r.phase),
        ",\"throughput_rps\":", JsonNumber(r.throughput_rps),
        ",\"latency\":", JsonLatency(r.latency), ",\"sent\":", r.sent,
        ",\"failed\":", r.Failed(), ",\"codes\":", JsonCounts(r.codes),
        ",\"version_regressions\":", r.version_regressions,
        ",\"bad_responses\":", r.bad_responses,
        ",\"client_cpu_us_per_call\":", JsonNumber(r.client_cpu_us_per_call),
        ",\"stable\":", r.stable ? "true" : "false",
        ",\"stop_reason\":", JsonString(r.stop_reason),
        ",\"windows_measured\":", r.windows_measured,
        ",\"windows_reported\":", r.windows_reported,
        ",\"reported_seconds\":", JsonNumber(r.reported_seconds));
    if (r.server.available) {
      absl::StrAppend(
          &level, ",\"server\":{\"forward_by_code\":",
          JsonCounts(r.server.forward_by_code),
          ",\"forward_total\":", JsonNumber(r.server.forward_total),
          ",\"queue_mean_us\":", JsonNumber(r.server.queue_mean_us),
          ",\"compute_mean_us\":", JsonNumber(r.server.compute_mean_us),
          ",\"batch_size_mean\":", JsonNumber(r.server.batch_size_mean),
          ",\"batches\":", JsonNumber(r.server.batches),
          ",\"updates\":", JsonNumber(r.server.updates),
          ",\"update_mean_us\":", JsonNumber(r.server.update_mean_us), "}");
    }
    if (r.has_updates) {
      absl::StrAppend(
          &level, ",\"updates\":{\"rate_hz\":", JsonNumber(r.update_rate_hz),
          ",\"mode\":", JsonString(r.update_mode),
          ",\"payload_bytes\":", r.update_payload_bytes,
          ",\"parameters\":", r.update_parameter_count,
          ",\"latency\":", JsonLatency(r.update_latency),
          ",\"codes\":", JsonCounts(r.update_codes),
          ",\"late_starts\":", r.update_late_starts, "}");
    }
    levels.push_back(level + "}");
  }
  return absl::StrCat("{\"levels\":[", absl::StrJoin(levels, ","), "]}\n");
}

}  // namespace brainserve::loadgen
