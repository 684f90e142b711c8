#include "common/log.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace calico {
namespace {

LogLevel initial_level() {
  LogLevel level = LogLevel::Info;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once during static initialisation.
  if (const char* env = std::getenv("CALICO_LOG_LEVEL")) {
    parse_log_level(env, level);
  }
  return level;
}

std::atomic<LogLevel>& level_ref() {
  static std::atomic<LogLevel> level{initial_level()};
  return level;
}

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}

LogSink& sink_ref() {
  static LogSink sink;
  return sink;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) {
    return true;
  }
  for (char c : v) {
    if (c == ' ' || c == '=' || c == '"' || c == '\n' || c == '\t') {
      return true;
    }
  }
  return false;
}

void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string now_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& out) {
  std::string lower;
  for (char c : text) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "debug" || lower == "trace") {
    out = LogLevel::Debug;
  } else if (lower == "info") {
    out = LogLevel::Info;
  } else if (lower == "warn" || lower == "warning") {
    out = LogLevel::Warn;
  } else if (lower == "error" || lower == "fatal" || lower == "panic") {
    out = LogLevel::Error;
  } else if (lower == "off" || lower == "none") {
    out = LogLevel::Off;
  } else {
    return false;
  }
  return true;
}

void set_log_level(LogLevel level) {
  level_ref().store(level);
}
LogLevel log_level() {
  return level_ref().load(std::memory_order_relaxed);
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
    case LogLevel::Off:
      return "off";
  }
  return "?";
}

void set_log_sink(LogSink sink) {
  const std::lock_guard<std::mutex> lock(sink_mutex());
  sink_ref() = std::move(sink);
}

std::string format_log_line(std::string_view timestamp, LogLevel level, std::string_view component,
                            std::string_view msg, const std::vector<LogField>& context,
                            const std::vector<LogField>& fields) {
  std::string line;
  line.reserve(128);
  line += timestamp;
  line += ' ';
  std::string_view lvl = to_string(level);
  line += lvl;
  line.append(6 - lvl.size(), ' ');
  line += component;
  line += " msg=";
  append_value(line, msg);
  for (const auto* list : {&context, &fields}) {
    for (const auto& f : *list) {
      line += ' ';
      line += f.key;
      line += '=';
      append_value(line, f.value);
    }
  }
  return line;
}

void Logger::log(LogLevel level, std::string_view msg, const std::vector<LogField>& fields) const {
  if (!enabled(level)) {
    return;
  }
  std::string line = format_log_line(now_timestamp(), level, component_, msg, context_, fields);
  const std::lock_guard<std::mutex> lock(sink_mutex());
  if (sink_ref()) {
    sink_ref()(line);
    return;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace calico
