// Test fixture: a real etcd server on a free loopback port with a temporary data dir.
//
//   auto etcd = EtcdServer::start();          // Result<unique_ptr<EtcdServer>, string>
//   ASSERT_TRUE(etcd) << etcd.error();
//   (*etcd)->endpoint();                       // "http://127.0.0.1:23791"
//   (*etcd)->stop(); (*etcd)->restart();       // same port, same data dir
//   (*etcd)->compact_to(rev);                  // force compaction (for Gone tests)
//
// The process is stopped by PID in the destructor and the data dir removed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tests/lib/http.h"
#include "tests/lib/process.h"

namespace calico::testlib {

struct EtcdOptions {
  std::string host = "127.0.0.1";
  // TLS: if set, the server requires client certificates signed by ca_file.
  std::string cert_file, key_file, ca_file;
};

class EtcdServer {
 public:
  // With TLS options, `client` are the credentials the fixture itself uses to probe and
  // administer the server (the server requires client certificates).
  static Result<std::unique_ptr<EtcdServer>, std::string> start(const EtcdOptions& opts = {},
                                                                const HttpTls& client = {});
  ~EtcdServer();

  std::string endpoint() const;  // http(s)://127.0.0.1:<client port>
  int client_port() const { return client_port_; }
  pid_t pid() const;
  // The member's data directory (inside a temp dir removed by the destructor).
  std::string data_dir() const;

  // Stops the server (SIGTERM), keeping the data dir and ports.
  void stop();
  // Kills it hard (SIGKILL), keeping the data dir and ports.
  void kill();
  // Starts it again on the same ports with the same data; waits until it serves.
  Result<void, std::string> restart();
  // Freeze/thaw the server process (a hung etcd: connections stay open, nothing answers).
  void pause();
  void resume();

  // Current store revision (via the HTTP gateway), and compaction up to `revision`.
  Result<std::int64_t, std::string> current_revision() const;
  Result<void, std::string> compact_to(std::int64_t revision) const;

 private:
  EtcdServer() = default;
  Result<void, std::string> launch();
  EtcdOptions opts_;
  HttpTls client_tls_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Process> proc_;
  int client_port_ = 0;
  int peer_port_ = 0;
  std::string name_;  // member name, fixed at first launch (restart reuses the data dir)
};

}  // namespace calico::testlib
