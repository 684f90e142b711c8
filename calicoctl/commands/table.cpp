#include "calicoctl/commands/table.h"

#include <algorithm>
#include <regex>
#include <sstream>

namespace calico::calicoctl {
namespace {

constexpr std::size_t kMaxColWidth = 30;

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> words;
  std::istringstream in(s);
  std::string w;
  while (in >> w) {
    words.push_back(w);
  }
  return words;
}

// tablewriter's WrapString: greedy word wrap to max(kMaxColWidth, longest word).
std::vector<std::string> wrap_cell(const std::string& cell) {
  if (cell.size() <= kMaxColWidth) {
    return {cell};
  }
  const auto words = split_words(cell);
  if (words.size() <= 1) {
    return {cell};
  }
  std::size_t limit = kMaxColWidth;
  for (const auto& w : words) {
    limit = std::max(limit, w.size());
  }
  std::vector<std::string> lines;
  std::string line;
  for (const auto& w : words) {
    if (!line.empty() && line.size() + 1 + w.size() > limit) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  lines.push_back(line);
  return lines;
}

std::string border(const std::vector<std::size_t>& widths) {
  std::string s = "+";
  for (auto w : widths) {
    s += std::string(w + 2, '-') + "+";
  }
  return s + "\n";
}

}  // namespace

bool is_table_number(const std::string& cell) {
  static const std::regex kDecimal(R"(^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$)");
  return std::regex_match(cell, kDecimal);
}

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  const std::size_t cols = header.size();
  std::vector<std::size_t> widths(cols, 0);
  for (std::size_t c = 0; c < cols; ++c) {
    widths[c] = header[c].size();
  }
  std::vector<std::vector<std::vector<std::string>>> wrapped;  // row -> col -> lines
  for (const auto& row : rows) {
    auto& r = wrapped.emplace_back();
    for (std::size_t c = 0; c < cols; ++c) {
      r.push_back(wrap_cell(c < row.size() ? row[c] : std::string()));
      for (const auto& line : r.back()) {
        widths[c] = std::max(widths[c], line.size());
      }
    }
  }
  std::string out = border(widths);
  out += "|";
  for (std::size_t c = 0; c < cols; ++c) {
    const std::size_t gap = widths[c] - header[c].size();
    const std::size_t left = gap / 2;
    out += " " + std::string(left, ' ') + header[c] + std::string(gap - left, ' ') + " |";
  }
  out += "\n" + border(widths);
  for (std::size_t r = 0; r < wrapped.size(); ++r) {
    std::size_t height = 1;
    for (const auto& cell : wrapped[r]) {
      height = std::max(height, cell.size());
    }
    for (std::size_t line = 0; line < height; ++line) {
      out += "|";
      for (std::size_t c = 0; c < cols; ++c) {
        const auto& lines = wrapped[r][c];
        const std::string text = line < lines.size() ? lines[line] : std::string();
        const std::string pad(widths[c] - text.size(), ' ');
        const bool right = lines.size() == 1 && is_table_number(text);
        out += " " + (right ? pad + text : text + pad) + " |";
      }
      out += "\n";
    }
  }
  out += border(widths);  // also for no rows: tablewriter then repeats the separator
  return out;
}

}  // namespace calico::calicoctl
