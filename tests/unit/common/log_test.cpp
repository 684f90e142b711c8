#include "common/log.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace calico {
namespace {

class LogCapture {
 public:
  LogCapture() {
    set_log_sink([this](std::string_view l) { lines.emplace_back(l); });
  }
  ~LogCapture() {
    set_log_sink(nullptr);
    set_log_level(LogLevel::Info);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::vector<std::string> lines;
};

TEST(Log, FormatsComponentMessageContextAndFields) {
  const auto line = format_log_line("T", LogLevel::Warn, "bgp", "session down",
                                    {{"peer", "10.0.0.2"}}, {{"reason", "hold timer expired"}});
  EXPECT_EQ(line, "T warn  bgp msg=\"session down\" peer=10.0.0.2 reason=\"hold timer expired\"");
}

TEST(Log, QuotesAndEscapesValues) {
  const auto line = format_log_line("T", LogLevel::Info, "x", "a\"b", {}, {{"k", ""}});
  EXPECT_EQ(line, "T info  x msg=\"a\\\"b\" k=\"\"");
}

TEST(Log, RespectsLevelThresholdAndCarriesContext) {
  LogCapture cap;
  set_log_level(LogLevel::Info);
  const Logger log = Logger("ipam").with("node", "n1").with("count", 3);
  log.debug("hidden");
  log.info("claimed block", {kv("block", "10.0.0.0/26")});
  ASSERT_EQ(cap.lines.size(), 1u);
  EXPECT_NE(cap.lines[0].find("info  ipam msg=\"claimed block\" node=n1 count=3 block=10.0.0.0/26"),
            std::string::npos)
      << cap.lines[0];
}

TEST(Log, ParsesLevels) {
  LogLevel l = LogLevel::Info;
  EXPECT_TRUE(parse_log_level("WARNING", l));
  EXPECT_EQ(l, LogLevel::Warn);
  EXPECT_TRUE(parse_log_level("debug", l));
  EXPECT_EQ(l, LogLevel::Debug);
  EXPECT_FALSE(parse_log_level("loud", l));
}

}  // namespace
}  // namespace calico
