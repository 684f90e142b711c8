// Blocking HTTP/1.1 (+ OpenSSL) for etcd's gateway and the Kubernetes API (see http_conn.h).
#include "datastore/http/http_conn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace calico::datastore::http {
namespace {

constexpr std::string_view kTimedOut = "timed out";
constexpr std::size_t kMaxHead = 64 * 1024;
constexpr std::size_t kMaxBody = std::size_t{1} << 30;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool parse_size(std::string_view s, int base, std::size_t& out) {
  if (s.empty() || s.size() > 16) {
    return false;
  }
  std::size_t v = 0;
  for (char c : s) {
    int d = -1;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    }
    if (d < 0) {
      return false;
    }
    v = v * static_cast<std::size_t>(base) + static_cast<std::size_t>(d);
  }
  out = v;
  return true;
}

std::string errno_text(int err) {
  return std::strerror(err);
}

std::string ssl_error_text() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "TLS error" : out;
}

// Waits until fd is ready for `events` or the deadline passes.
Result<void, std::string> wait_fd(int fd, short events, HttpConnection::Deadline deadline,
                                  const char* what) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return fail(std::string(kTimedOut) + " " + what);
    }
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (r > 0) {
      return {};
    }
    if (r < 0 && errno != EINTR) {
      return fail(std::string("poll: ") + errno_text(errno));
    }
  }
}

// OpenSSL writes with write(2): a peer that closed would raise SIGPIPE.  Ignore it once,
// process-wide, unless the program installed its own handler.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction cur {};
    if (::sigaction(SIGPIPE, nullptr, &cur) == 0 && cur.sa_handler == SIG_DFL) {
      ::signal(SIGPIPE, SIG_IGN);
    }
  });
}

bool is_ip_literal(const std::string& host) {
  in6_addr a6{};
  in_addr a4{};
  return ::inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr pem_bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate in `pem` into the context's trust store.
bool load_ca_pem(SSL_CTX* ctx, const std::string& pem) {
  BioPtr bio = pem_bio(pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) {
      ++added;
    }
    X509_free(cert);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  return added > 0;
}

// The leaf certificate and any chain certificates after it.
bool use_cert_pem(SSL_CTX* ctx, const std::string& pem) {
  BioPtr bio = pem_bio(pem);
  X509* leaf = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf) != 1) {
    X509_free(leaf);
    return false;
  }
  X509_free(leaf);
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return false;
    }
  }
  ERR_clear_error();
  return true;
}

bool use_key_pem(SSL_CTX* ctx, const std::string& pem) {
  BioPtr bio = pem_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  const bool ok = key != nullptr && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  return ok;
}

std::string request_text(const HttpRequest& req, const std::string& host) {
  std::string out;
  out.reserve(req.body.size() + 256);
  out += req.method;
  out += ' ';
  out += req.path;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\n";
  for (const auto& [name, value] : req.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!req.body.empty() || (req.method != "GET" && req.method != "DELETE")) {
    out += "Content-Type: ";
    out += req.content_type;
    out += "\r\nContent-Length: ";
    out += std::to_string(req.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += req.body;
  return out;
}

}  // namespace

Result<HttpUrl, std::string> parse_http_url(std::string_view url) {
  HttpUrl out;
  std::string_view rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return fail("\"" + std::string(url) + "\" is not an http:// or https:// URL");
  }
  if (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
  }
  if (rest.find('/') != std::string_view::npos || rest.empty()) {
    return fail("\"" + std::string(url) + "\": expected scheme://host[:port]");
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return fail("\"" + std::string(url) + "\": unterminated [IPv6] address");
    }
    host = rest.substr(1, close - 1);
    const auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return fail("\"" + std::string(url) + "\": junk after the address");
      }
      port = after.substr(1);
    }
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  std::size_t p = 0;
  if (!port.empty() && (!parse_size(port, 10, p) || p == 0 || p > 65535)) {
    return fail("\"" + std::string(url) + "\": invalid port");
  }
  if (host.empty()) {
    return fail("\"" + std::string(url) + "\": no host");
  }
  out.host = std::string(host);
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  return out;
}

// ---- HttpResponseParser ----

Result<HttpResponseParser::State, std::string> HttpResponseParser::feed(std::string_view bytes) {
  if (phase_ == Phase::Done) {
    return fail(std::string("unexpected bytes after the response"));
  }
  buf_.append(bytes);
  return parse();
}

Result<HttpResponseParser::State, std::string> HttpResponseParser::eof() {
  if (phase_ == Phase::UntilClose) {
    resp_.body = std::move(buf_);
    buf_.clear();
    phase_ = Phase::Done;
  }
  if (phase_ == Phase::Done) {
    return State::Done;
  }
  return fail(std::string(phase_ == Phase::Head ? "connection closed before a response"
                                                : "connection closed inside the response body"));
}

Result<bool, std::string> HttpResponseParser::parse_head() {
  const auto end = buf_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (buf_.size() > kMaxHead) {
      return fail(std::string("response headers larger than 64 KiB"));
    }
    return false;
  }
  const std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  std::string_view rest = head;
  const auto eol = rest.find("\r\n");
  const std::string_view status_line = rest.substr(0, eol);
  rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
  // "HTTP/1.1 200 OK"
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12 || status_line[8] != ' ') {
    return fail("malformed status line \"" + std::string(status_line.substr(0, 80)) + "\"");
  }
  std::size_t code = 0;
  if (!parse_size(status_line.substr(9, 3), 10, code) || code < 100 || code > 999) {
    return fail("malformed status code in \"" + std::string(status_line.substr(0, 80)) + "\"");
  }
  resp_.status = static_cast<int>(code);
  resp_.keep_alive = status_line[7] == '1';
  std::optional<std::size_t> length;
  bool chunked = false;
  while (!rest.empty()) {
    const auto e = rest.find("\r\n");
    const std::string_view line = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return fail("malformed header line \"" + std::string(line.substr(0, 80)) + "\"");
    }
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string value = lower(trim(line.substr(colon + 1)));
    if (name == "content-length") {
      std::size_t n = 0;
      if (!parse_size(value, 10, n) || n > kMaxBody) {
        return fail("invalid Content-Length \"" + value + "\"");
      }
      length = n;
    } else if (name == "transfer-encoding") {
      chunked = value.find("chunked") != std::string::npos;
    } else if (name == "connection") {
      if (value.find("close") != std::string::npos) {
        resp_.keep_alive = false;
      } else if (value.find("keep-alive") != std::string::npos) {
        resp_.keep_alive = true;
      }
    }
  }
  if (resp_.status < 200) {  // 1xx interim response: the real one follows
    resp_ = HttpResponse{};
    return true;
  }
  if (resp_.status == 204 || resp_.status == 304) {
    phase_ = Phase::Done;
  } else if (chunked) {
    phase_ = Phase::Chunked;
  } else if (length) {
    remaining_ = *length;
    phase_ = Phase::Length;
  } else {
    resp_.keep_alive = false;  // the body ends when the server closes
    phase_ = Phase::UntilClose;
  }
  return true;
}

// Chunks: "<hex size>[;ext]\r\n<data>\r\n" ... "0\r\n" [trailers] "\r\n".
Result<bool, std::string> HttpResponseParser::parse_chunks() {
  for (;;) {
    if (remaining_ == 0) {
      const auto eol = buf_.find("\r\n");
      if (eol == std::string::npos) {
        if (buf_.size() > 1024) {
          return fail(std::string("malformed chunk header"));
        }
        return false;
      }
      std::string_view line = std::string_view(buf_).substr(0, eol);
      line = trim(line.substr(0, line.find(';')));
      std::size_t size = 0;
      if (!parse_size(line, 16, size) || resp_.body.size() + size > kMaxBody) {
        return fail("malformed chunk size \"" + std::string(line.substr(0, 20)) + "\"");
      }
      if (size == 0) {
        // Trailers end with an empty line; "0\r\n\r\n" without trailers.
        const auto end = buf_.find("\r\n\r\n", eol);
        if (end == std::string::npos) {
          return false;
        }
        buf_.erase(0, end + 4);
        phase_ = Phase::Done;
        return true;
      }
      buf_.erase(0, eol + 2);
      remaining_ = size + 2;  // data + CRLF
    }
    if (buf_.size() < remaining_) {
      return false;
    }
    if (buf_.compare(remaining_ - 2, 2, "\r\n") != 0) {
      return fail(std::string("chunk not terminated by CRLF"));
    }
    resp_.body.append(buf_, 0, remaining_ - 2);
    buf_.erase(0, remaining_);
    remaining_ = 0;
  }
}

Result<HttpResponseParser::State, std::string> HttpResponseParser::parse() {
  for (;;) {
    switch (phase_) {
      case Phase::Head: {
        auto r = parse_head();
        if (!r) {
          return fail(r.error());
        }
        if (!*r) {
          return State::Incomplete;
        }
        break;
      }
      case Phase::Length: {
        const std::size_t take = std::min(remaining_, buf_.size());
        resp_.body.append(buf_, 0, take);
        buf_.erase(0, take);
        remaining_ -= take;
        if (remaining_ > 0) {
          return State::Incomplete;
        }
        phase_ = Phase::Done;
        break;
      }
      case Phase::Chunked: {
        auto r = parse_chunks();
        if (!r) {
          return fail(r.error());
        }
        if (!*r) {
          return State::Incomplete;
        }
        break;
      }
      case Phase::UntilClose:
        if (buf_.size() > kMaxBody) {
          return fail(std::string("response body larger than 1 GiB"));
        }
        return State::Incomplete;
      case Phase::Done:
        if (!buf_.empty()) {
          return fail(std::string("unexpected bytes after the response"));
        }
        return State::Done;
    }
  }
}

// ---- HttpConnection ----

struct HttpConnection::Impl {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  std::string host;

  ~Impl() {
    if (ssl != nullptr) {
      SSL_free(ssl);
    }
    if (ctx != nullptr) {
      SSL_CTX_free(ctx);
    }
    if (fd >= 0) {
      ::close(fd);
    }
  }

  // TLS: waits as OpenSSL asks; returns false (with err) on a hard error.
  Result<void, std::string> tls_wait(int ret, Deadline deadline, const char* what) {
    const int e = SSL_get_error(ssl, ret);
    if (e == SSL_ERROR_WANT_READ) {
      return wait_fd(fd, POLLIN, deadline, what);
    }
    if (e == SSL_ERROR_WANT_WRITE) {
      return wait_fd(fd, POLLOUT, deadline, what);
    }
    if (e == SSL_ERROR_SYSCALL && errno != 0) {
      return fail(std::string(what) + ": " + errno_text(errno));
    }
    return fail(std::string(what) + ": " + ssl_error_text());
  }

  Result<void, std::string> write_all(std::string_view data, Deadline deadline) {
    while (!data.empty()) {
      if (ssl != nullptr) {
        ERR_clear_error();
        errno = 0;
        const int n = SSL_write(ssl, data.data(), static_cast<int>(data.size()));
        if (n > 0) {
          data.remove_prefix(static_cast<std::size_t>(n));
        } else if (auto w = tls_wait(n, deadline, "sending the request"); !w) {
          return w;
        }
        continue;
      }
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (auto w = wait_fd(fd, POLLOUT, deadline, "sending the request"); !w) {
          return w;
        }
      } else if (n < 0 && errno != EINTR) {
        return fail("sending the request: " + errno_text(errno));
      }
    }
    return {};
  }

  // Reads some bytes; empty result = orderly end of the connection.
  Result<std::string, std::string> read_some(Deadline deadline) {
    char buf[16384];
    for (;;) {
      if (ssl != nullptr) {
        ERR_clear_error();
        errno = 0;
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n > 0) {
          return std::string(buf, static_cast<std::size_t>(n));
        }
        const int e = SSL_get_error(ssl, n);
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0)) {
          return std::string();
        }
        if (auto w = tls_wait(n, deadline, "reading the response"); !w) {
          return fail(w.error());
        }
        continue;
      }
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        return std::string(buf, static_cast<std::size_t>(n));
      }
      if (n == 0) {
        return std::string();
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (auto w = wait_fd(fd, POLLIN, deadline, "waiting for the response"); !w) {
          return fail(w.error());
        }
      } else if (errno != EINTR) {
        return fail("reading the response: " + errno_text(errno));
      }
    }
  }

  Result<void, std::string> start_tls(const HttpUrl& url, const TlsFiles& files,
                                      Deadline deadline) {
    ignore_sigpipe_once();
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) {
      return fail("TLS: " + ssl_error_text());
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (!files.ca_pem.empty()) {
      if (!load_ca_pem(ctx, files.ca_pem)) {
        return fail("TLS: the CA data holds no PEM certificate: " + ssl_error_text());
      }
    } else {
      const int ca_ok = files.ca_file.empty()
                            ? SSL_CTX_set_default_verify_paths(ctx)
                            : SSL_CTX_load_verify_locations(ctx, files.ca_file.c_str(), nullptr);
      if (ca_ok != 1) {
        return fail("TLS: cannot load CA file " + files.ca_file + ": " + ssl_error_text());
      }
    }
    if (!files.cert_pem.empty()) {
      if (!use_cert_pem(ctx, files.cert_pem)) {
        return fail("TLS: the client certificate data is not a PEM certificate: " +
                    ssl_error_text());
      }
    } else if (!files.cert_file.empty() &&
               SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1) {
      return fail("TLS: cannot load certificate " + files.cert_file + ": " + ssl_error_text());
    }
    if (!files.key_pem.empty()) {
      if (!use_key_pem(ctx, files.key_pem) || SSL_CTX_check_private_key(ctx) != 1) {
        return fail("TLS: the client key data is not a PEM key matching the certificate: " +
                    ssl_error_text());
      }
    } else if (!files.key_file.empty() &&
               (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
                SSL_CTX_check_private_key(ctx) != 1)) {
      return fail("TLS: cannot load key " + files.key_file + ": " + ssl_error_text());
    }
    SSL_CTX_set_verify(ctx, files.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                       nullptr);
    ssl = SSL_new(ctx);
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
      return fail("TLS: " + ssl_error_text());
    }
    if (files.insecure_skip_verify) {
      // no name check either
    } else if (is_ip_literal(url.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
    } else {
      // SSL_set_tlsext_host_name() without its C cast.
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(url.host.c_str()));
      SSL_set1_host(ssl, url.host.c_str());
    }
    for (;;) {
      ERR_clear_error();
      errno = 0;
      const int r = SSL_connect(ssl);
      if (r == 1) {
        return {};
      }
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        return fail(std::string("TLS: certificate verify failed: ") +
                    X509_verify_cert_error_string(verify));
      }
      if (auto w = tls_wait(r, deadline, "TLS handshake"); !w) {
        return w;
      }
    }
  }
};

HttpConnection::HttpConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpConnection::~HttpConnection() = default;

Result<std::unique_ptr<HttpConnection>, std::string> HttpConnection::connect(const HttpUrl& url,
                                                                             const TlsFiles& tls,
                                                                             Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = is_ip_literal(url.host) ? AI_NUMERICHOST : 0;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &res); rc != 0) {
    return fail("cannot resolve " + url.host + ": " + ::gai_strerror(rc));
  }
  std::string last = "no address for " + url.host;
  auto impl = std::make_unique<Impl>();
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = "socket: " + errno_text(errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      if (auto w = wait_fd(fd, POLLOUT, deadline, "connecting"); !w) {
        last = w.error();
        ::close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc < 0) {
      last = "connect: " + errno_text(errno);
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    impl->fd = fd;
    break;
  }
  ::freeaddrinfo(res);
  if (impl->fd < 0) {
    return fail(last);
  }
  impl->host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  impl->host += ":" + url.port;
  if (url.tls) {
    if (auto t = impl->start_tls(url, tls, deadline); !t) {
      return fail(t.error());
    }
  }
  return std::unique_ptr<HttpConnection>(new HttpConnection(std::move(impl)));
}

Result<HttpResponse, std::string> HttpConnection::post(const std::string& path,
                                                       const std::string& body, Deadline deadline) {
  HttpRequest req;
  req.method = "POST";
  req.path = path;
  req.body = body;
  return request(req, deadline);
}

Result<HttpResponse, std::string> HttpConnection::request(const HttpRequest& req,
                                                          Deadline deadline) {
  if (auto w = impl_->write_all(request_text(req, impl_->host), deadline); !w) {
    return fail(w.error());
  }
  HttpResponseParser parser;
  for (;;) {
    auto bytes = impl_->read_some(deadline);
    if (!bytes) {
      return fail(bytes.error());
    }
    auto st = bytes->empty() ? parser.eof() : parser.feed(*bytes);
    if (!st) {
      return fail(st.error());
    }
    if (*st == HttpResponseParser::State::Done) {
      return parser.response();
    }
  }
}

Result<HttpResponse, std::string> HttpConnection::stream(
    const HttpRequest& req, const std::function<void(int status)>& on_head,
    const std::function<bool(std::string_view)>& on_body, std::stop_token stop,
    std::chrono::milliseconds idle, Deadline connect_deadline) {
  if (auto w = impl_->write_all(request_text(req, impl_->host), connect_deadline); !w) {
    return fail(w.error());
  }
  using Clock = std::chrono::steady_clock;
  constexpr auto kSlice = std::chrono::milliseconds(200);  // how promptly stop is seen
  HttpResponseParser parser;
  bool head_seen = false;
  bool streaming = false;
  auto last_byte = Clock::now();
  for (;;) {
    if (stop.stop_requested()) {
      return fail(std::string("stopped"));
    }
    auto bytes = impl_->read_some(Clock::now() + kSlice);
    if (!bytes) {
      if (bytes.error().rfind(kTimedOut, 0) != 0) {
        return fail(bytes.error());
      }
      if (Clock::now() - last_byte > idle) {
        return fail("no data for " + std::to_string(idle.count()) + " ms");
      }
      continue;
    }
    last_byte = Clock::now();
    auto st = bytes->empty() ? parser.eof() : parser.feed(*bytes);
    if (!st) {
      return fail(st.error());
    }
    if (!head_seen && parser.head_done()) {
      head_seen = true;
      streaming = parser.response().status / 100 == 2;
      if (on_head) {
        on_head(parser.response().status);
      }
    }
    if (streaming) {
      const std::string chunk = parser.take_body();
      if (!chunk.empty() && !on_body(chunk)) {
        return fail(std::string("stopped"));
      }
    }
    if (*st == HttpResponseParser::State::Done) {
      return parser.response();
    }
  }
}

}  // namespace calico::datastore::http
