// The etcd client's HTTP/1.1 response parser and URL parsing (pure); the connection itself
// is exercised by every real-etcd test (plain and TLS).
#include "datastore/http/http_conn.h"

#include <gtest/gtest.h>

namespace calico::datastore::http {
namespace {

using State = HttpResponseParser::State;

// Feeds `text` in pieces of `step` bytes; returns the parser after the last piece.
HttpResponseParser feed_in_steps(const std::string& text, std::size_t step,
                                 Result<State, std::string>* last) {
  HttpResponseParser p;
  for (std::size_t i = 0; i < text.size(); i += step) {
    *last = p.feed(std::string_view(text).substr(i, step));
    if (!*last) {
      break;
    }
  }
  return p;
}

TEST(HttpResponseParser, ContentLengthInAnySplit) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
      "{\"a\":\"bc\"}\n";
  for (std::size_t step : {1U, 2U, 7U, 1000U}) {
    Result<State, std::string> last = State::Incomplete;
    auto p = feed_in_steps(text, step, &last);
    ASSERT_TRUE(last) << last.error();
    EXPECT_EQ(*last, State::Done) << step;
    EXPECT_EQ(p.response().status, 200);
    EXPECT_EQ(p.response().body, "{\"a\":\"bc\"}\n");
    EXPECT_TRUE(p.response().keep_alive);
  }
}

TEST(HttpResponseParser, ChunkedWithExtensionsAndTrailers) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n"
      "7\r\n, world\r\n"
      "0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t step : {1U, 3U, 1000U}) {
    Result<State, std::string> last = State::Incomplete;
    auto p = feed_in_steps(text, step, &last);
    ASSERT_TRUE(last) << last.error();
    EXPECT_EQ(*last, State::Done);
    EXPECT_EQ(p.response().body, "hello, world");
  }
}

TEST(HttpResponseParser, ConnectionCloseAndUnframedBodies) {
  HttpResponseParser p;
  auto r = p.feed("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\nbusy");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, State::Incomplete);  // no length: the body runs to the end of the stream
  r = p.eof();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, State::Done);
  EXPECT_EQ(p.response().status, 503);
  EXPECT_EQ(p.response().body, "busy");
  EXPECT_FALSE(p.response().keep_alive);

  HttpResponseParser old;
  ASSERT_TRUE(old.feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(old.response().keep_alive);
}

TEST(HttpResponseParser, InterimResponsesAreSkipped) {
  HttpResponseParser p;
  auto r =
      p.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, State::Done);
  EXPECT_EQ(p.response().status, 201);
  EXPECT_EQ(p.response().body, "ok");
}

TEST(HttpResponseParser, MalformedInputIsAnErrorNamingIt) {
  auto err = [](const std::string& text) {
    HttpResponseParser p;
    auto r = p.feed(text);
    return r ? std::string() : r.error();
  };
  EXPECT_NE(err("SMTP ready\r\n\r\n").find("status line"), std::string::npos);
  EXPECT_NE(err("HTTP/1.1 abc OK\r\n\r\n").find("status code"), std::string::npos);
  EXPECT_NE(err("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").find("header line"), std::string::npos);
  EXPECT_NE(err("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").find("Content-Length"),
            std::string::npos);
  EXPECT_NE(err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").find("chunk"),
            std::string::npos);
  EXPECT_NE(err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY").find("CRLF"),
            std::string::npos);
  EXPECT_NE(err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab").find("after the response"),
            std::string::npos);

  HttpResponseParser cut;
  ASSERT_TRUE(cut.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  auto r = cut.eof();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("inside the response body"), std::string::npos);
  HttpResponseParser none;
  EXPECT_FALSE(none.eof());
}

TEST(HttpUrl, Parsing) {
  auto u = parse_http_url("http://127.0.0.1:2379");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "2379");
  u = parse_http_url("https://etcd.example:4001/");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "etcd.example");
  u = parse_http_url("https://[fd00::1]:2379");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "fd00::1");
  EXPECT_EQ(u->port, "2379");
  u = parse_http_url("http://localhost");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, "80");
  EXPECT_FALSE(parse_http_url("ftp://x:1"));
  EXPECT_FALSE(parse_http_url("http://x:99999"));
  EXPECT_FALSE(parse_http_url("http://x:2379/v3"));
  EXPECT_FALSE(parse_http_url("http://[::1"));
  EXPECT_FALSE(parse_http_url("http://"));
}

}  // namespace
}  // namespace calico::datastore::http
