// The randomised IPAM workload and its analysis (tests/lib/ipam_workload.h).
#include "tests/lib/ipam_workload.h"

#include <time.h>

#include <algorithm>
#include <limits>
#include <random>
#include <sstream>

namespace calico::testlib {

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::string format_event(const WorkEvent& e) {
  std::string arg = e.arg;
  std::replace(arg.begin(), arg.end(), '\n', ' ');
  return "EV " + std::string(1, e.type) + " " + std::to_string(e.t_ns) + " " + e.handle +
         (arg.empty() ? "" : " " + arg) + "\n";
}

std::optional<WorkEvent> parse_event(const std::string& line) {
  std::istringstream in(line);
  std::string tag;
  std::string type;
  WorkEvent e;
  if (!(in >> tag >> type >> e.t_ns >> e.handle) || tag != "EV" || type.size() != 1) {
    return std::nullopt;
  }
  e.type = type[0];
  std::getline(in, e.arg);
  if (!e.arg.empty() && e.arg[0] == ' ') {
    e.arg.erase(0, 1);
  }
  return e;
}

int run_workload(const ipam::Allocator& allocator, const WorkloadConfig& config,
                 const std::function<void(const WorkEvent&)>& emit) {
  std::mt19937_64 rng(config.seed);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::vector<std::pair<std::string, std::string>> held;  // handle, ip
  int failures = 0;
  for (int i = 0; i < config.ops; ++i) {
    if (!held.empty() && coin(rng) < config.release_fraction) {
      const std::size_t k = rng() % held.size();
      const auto [handle, ip] = held[k];
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(k));
      emit({'R', monotonic_ns(), handle, ip});
      auto r = allocator.release_by_handle(handle);
      if (r) {
        emit({'F', monotonic_ns(), handle, ""});
      } else {
        ++failures;
        emit({'E', monotonic_ns(), handle, r.error().message});
      }
      continue;
    }
    const std::string handle = "k8s-pod-network." + config.prefix + "-" + std::to_string(i);
    const std::string& host = config.hosts[rng() % config.hosts.size()];
    ipam::AutoAssignRequest req;
    req.num4 = 1;
    req.handle_id = handle;
    req.host = host;
    req.attrs = {{"node", host}, {"pod", config.prefix + "-" + std::to_string(i)}};
    emit({'B', monotonic_ns(), handle, ""});
    auto r = allocator.auto_assign(req);
    if (r && r->ipv4.size() == 1) {
      const std::string ip = r->ipv4[0].ip.to_string();
      emit({'A', monotonic_ns(), handle, ip});
      held.emplace_back(handle, ip);
    } else {
      ++failures;
      emit({'E', monotonic_ns(), handle, r ? "wrong number of addresses" : r.error().message});
    }
  }
  return failures;
}

WorkloadAnalysis analyse_events(std::vector<WorkEvent> events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const WorkEvent& a, const WorkEvent& b) { return a.t_ns < b.t_ns; });
  WorkloadAnalysis out;
  struct Interval {
    std::int64_t start;
    std::int64_t end;
    std::string handle;
  };
  std::map<std::string, std::vector<Interval>> by_ip;
  std::map<std::string, std::size_t> open;  // handle -> index into by_ip[ip]
  std::map<std::string, std::string> ip_of;
  for (const auto& e : events) {
    switch (e.type) {
      case 'B':
      case 'R':
        out.in_flight.insert(e.handle);
        if (e.type == 'R') {
          out.live.erase(e.handle);
          auto it = open.find(e.handle);
          if (it != open.end()) {
            by_ip[ip_of[e.handle]][it->second].end = e.t_ns;
            open.erase(it);
          }
        }
        break;
      case 'A':
        ++out.assigned;
        out.in_flight.erase(e.handle);
        out.live[e.handle] = e.arg;
        ip_of[e.handle] = e.arg;
        open[e.handle] = by_ip[e.arg].size();
        by_ip[e.arg].push_back({e.t_ns, std::numeric_limits<std::int64_t>::max(), e.handle});
        break;
      case 'F':
        ++out.released;
        out.in_flight.erase(e.handle);
        break;
      case 'E':
        ++out.errors;
        out.in_flight.erase(e.handle);
        if (out.error_samples.size() < 5) {
          out.error_samples.push_back(e.handle + ": " + e.arg);
        }
        break;
      default:
        break;
    }
  }
  for (auto& [ip, list] : by_ip) {
    std::sort(list.begin(), list.end(),
              [](const Interval& a, const Interval& b) { return a.start < b.start; });
    for (std::size_t i = 1; i < list.size(); ++i) {
      if (list[i].start < list[i - 1].end) {
        out.overlaps.push_back(ip + " held by " + list[i - 1].handle + " and " + list[i].handle);
      }
    }
  }
  return out;
}

}  // namespace calico::testlib
