#include "tests/lib/http.h"

#include <vector>

#include "tests/lib/netns.h"

namespace calico::testlib {

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
  const CommandResult cmd = run_command(args, timeout + std::chrono::milliseconds(2000));
  if (cmd.exit_code != 0) {
    return fail("curl " + url + " failed: " + cmd.output);
  }
  const std::string& out = cmd.output;
  const auto nl = out.rfind('\n');
  HttpResponse r;
  r.status = std::atoi(out.c_str() + (nl == std::string::npos ? 0 : nl + 1));
  r.body = nl == std::string::npos ? "" : out.substr(0, nl);
  return r;
}

}  // namespace calico::testlib
