#include "tests/lib/http.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace calico::testlib {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

Result<HttpResponse, std::string> http_request(const std::string& url, const std::string& body,
                                               const HttpTls* tls,
                                               std::chrono::milliseconds timeout) {
  std::vector<std::string> args = {"curl",
                                   "-s",
                                   "-S",
                                   "--max-time",
                                   std::to_string(static_cast<double>(timeout.count()) / 1000.0),
                                   "-w",
                                   "\n%{http_code}"};
  if (!body.empty()) {
    args.insert(args.end(),
                {"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body});
  }
  if (tls != nullptr) {
    args.insert(args.end(),
                {"--cacert", tls->ca_file, "--cert", tls->cert_file, "--key", tls->key_file});
  }
  args.push_back(url);
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return fail(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return fail(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(out_pipe[1], STDERR_FILENO);
    ::execvp("curl", argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  std::string out;
  std::array<char, 4096> buf{};
  while (true) {
    const ssize_t n = ::read(out_pipe[0], buf.data(), buf.size());
    if (n > 0) {
      out.append(buf.data(), static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail("curl " + url + " failed: " + out);
  }
  const auto nl = out.rfind('\n');
  HttpResponse r;
  r.status = std::atoi(out.c_str() + (nl == std::string::npos ? 0 : nl + 1));
  r.body = nl == std::string::npos ? "" : out.substr(0, nl);
  return r;
}

std::string base64_encode(const std::string& in) {
  std::string out;
  unsigned val = 0;
  int bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kB64[(val >> bits) & 0x3f]);
      bits -= 6;
    }
  }
  if (bits > -6) {
    out.push_back(kB64[((val << 8) >> (bits + 8)) & 0x3f]);
  }
  while (out.size() % 4 != 0) {
    out.push_back('=');
  }
  return out;
}

std::string base64_decode(const std::string& in) {
  std::string out;
  std::array<int, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kB64[i])] = i;
  }
  unsigned val = 0;
  int bits = -8;
  for (unsigned char c : in) {
    if (t[c] == -1) {
      break;
    }
    val = (val << 6) + static_cast<unsigned>(t[c]);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace calico::testlib
