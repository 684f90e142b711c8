#include "lab/render.h"

#include <algorithm>
#include <cstdio>

namespace calico::lab {

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(headers.size(), 0);
  auto measure = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], r[i].size());
    }
  };
  measure(headers);
  for (const auto& r : rows) {
    measure(r);
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    std::string l;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < r.size() ? r[i] : "";
      l += cell;
      if (i + 1 < width.size()) {
        l += std::string(width[i] - cell.size() + 3, ' ');
      }
    }
    while (!l.empty() && l.back() == ' ') {
      l.pop_back();
    }
    out += l + "\n";
  };
  line(headers);
  for (const auto& r : rows) {
    line(r);
  }
  return out;
}

std::string render_matrix(const std::vector<std::string>& from, const std::vector<std::string>& to,
                          const std::vector<std::vector<std::optional<bool>>>& cells) {
  std::vector<std::string> headers = {"FROM \\ TO"};
  headers.insert(headers.end(), to.begin(), to.end());
  std::vector<std::vector<std::string>> rows;
  int connected = 0;
  int probed = 0;
  for (std::size_t i = 0; i < from.size(); ++i) {
    std::vector<std::string> r = {from[i]};
    for (std::size_t j = 0; j < to.size(); ++j) {
      const auto& c = cells.at(i).at(j);
      if (!c) {
        r.emplace_back("-");
        continue;
      }
      ++probed;
      connected += *c ? 1 : 0;
      r.emplace_back(*c ? "yes" : "no");
    }
    rows.push_back(std::move(r));
  }
  return render_table(headers, rows) + std::to_string(connected) + " of " + std::to_string(probed) +
         " connected\n";
}

std::string format_duration(double seconds) {
  char buf[32];
  if (seconds < 1.0) {
    std::snprintf(buf, sizeof buf, "%.0fms", seconds * 1000.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  }
  return buf;
}

}  // namespace calico::lab
