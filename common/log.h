// Structured logging used by every component.
//
// One line per event on stderr (or a sink set by set_log_sink), logfmt-style:
//   2026-11-23T05:50:01.123Z info  datastore msg="watch resynced" kind=IPPool items=3
// Levels: error (operator must act), warn (degraded, self-healing), info (state changes),
// debug (per message).  A Logger carries a component tag and context fields that are
// appended to every line, e.g. Logger("bgp").with("peer", "10.0.0.2").
//
// Thread-safe: lines are written whole under a mutex.  The global threshold comes from
// CALICO_LOG_LEVEL (error|warn|info|debug, default info) or set_log_level().
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace calico {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

// Parses "debug", "info", "warn"/"warning", "error", "off" (case-insensitive).
bool parse_log_level(std::string_view text, LogLevel& out);
void set_log_level(LogLevel level);
LogLevel log_level();
std::string_view to_string(LogLevel level);

// Replaces the output (default: stderr).  Used by tests to capture lines.
using LogSink = std::function<void(std::string_view line)>;
void set_log_sink(LogSink sink);

struct LogField {
  std::string key;
  std::string value;
};

class Logger {
 public:
  explicit Logger(std::string component) : component_(std::move(component)) {}

  // Returns a copy of this logger with one more context field.
  template <class V>
  Logger with(std::string key, const V& value) const {
    Logger copy = *this;
    copy.context_.push_back({std::move(key), field_value(value)});
    return copy;
  }

  bool enabled(LogLevel level) const { return level >= log_level(); }

  void debug(std::string_view msg, std::vector<LogField> fields = {}) const {
    log(LogLevel::Debug, msg, fields);
  }
  void info(std::string_view msg, std::vector<LogField> fields = {}) const {
    log(LogLevel::Info, msg, fields);
  }
  void warn(std::string_view msg, std::vector<LogField> fields = {}) const {
    log(LogLevel::Warn, msg, fields);
  }
  void error(std::string_view msg, std::vector<LogField> fields = {}) const {
    log(LogLevel::Error, msg, fields);
  }
  void log(LogLevel level, std::string_view msg, const std::vector<LogField>& fields) const;

  const std::string& component() const { return component_; }

  static std::string field_value(const std::string& v) { return v; }
  static std::string field_value(std::string_view v) { return std::string(v); }
  static std::string field_value(const char* v) { return v; }
  static std::string field_value(bool v) { return v ? "true" : "false"; }
  template <class N>
  static std::string field_value(const N& v) requires std::is_arithmetic_v<N> {
    return std::to_string(v);
  }

 private:
  std::string component_;
  std::vector<LogField> context_;
};

// Builds a field: kv("peer", addr), kv("count", 3).
template <class V>
LogField kv(std::string key, const V& value) {
  return LogField{std::move(key), Logger::field_value(value)};
}

// Formats one line (exposed for tests): quotes values containing spaces, '=' or '"'.
std::string format_log_line(std::string_view timestamp, LogLevel level, std::string_view component,
                            std::string_view msg, const std::vector<LogField>& context,
                            const std::vector<LogField>& fields);

}  // namespace calico
