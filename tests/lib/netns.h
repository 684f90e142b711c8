// Test fixtures for network topology: namespaces ("hosts"), veth pairs and bridges, all
// uniquely named and removed on destruction, also when a test fails.
//
//   NetNs a, b;                                   // ip netns add cal<pid><n>, lo up
//   VethPair link(a, "10.199.0.1/30", b, "10.199.0.2/30");
//   EXPECT_EQ(a.exec({"ping", "-c1", "-W1", "10.199.0.2"}).exit_code, 0);
//
// Destruction kills any process still inside a namespace (by PID, from `ip netns pids`)
// before deleting it.  Addresses used by tests must live only inside namespaces the test
// created; nothing is routed to the host or beyond.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace calico::testlib {

struct CommandResult {
  int exit_code = -1;  // -1 if the command could not be started
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv (no shell) and waits for it; bounded by `timeout`.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));

class NetNs {
 public:
  NetNs();  // creates "cal<unique>"; check ok()
  ~NetNs();
  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  // Runs argv inside the namespace.
  CommandResult exec(const std::vector<std::string>& argv,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(20000)) const;
  // Kills every process in the namespace (SIGKILL by PID, from `ip netns pids`).
  void kill_all();
  // kill_all(), then deletes the namespace (and with it every interface inside).  The
  // destructor calls it; calling it again is a no-op.
  void remove();

 private:
  std::string name_;
  bool created_ = false;  // we added the namespace and have not removed it yet
  bool ok_ = false;
  std::string error_;
};

// A veth pair; each end created inside a namespace (nullptr = host namespace) and given
// an address (CIDR notation, IPv4 or IPv6; empty = none).  Both ends are brought up.
// Only namespace names are kept, so the pair may outlive the NetNs objects: if a
// namespace is gone, so is the pair.
class VethPair {
 public:
  VethPair(const NetNs* ns_a, const std::string& addr_a, const NetNs* ns_b,
           const std::string& addr_b);
  ~VethPair();
  VethPair(const VethPair&) = delete;
  VethPair& operator=(const VethPair&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& name_a() const { return name_a_; }
  const std::string& name_b() const { return name_b_; }
  // Deletes the pair (both ends); idempotent, also called by the destructor.
  void remove();

 private:
  std::string ns_a_;  // namespace of end a ("" = host)
  std::string name_a_, name_b_;
  bool created_ = false;
  bool ok_ = false;
  std::string error_;
};

// A Linux bridge inside a namespace; attach() plugs a new veth whose other end sits in
// another namespace with the given address.
class Bridge {
 public:
  Bridge(const NetNs& ns, const std::string& addr = "");
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  // Connects `host` to the bridge with `addr` on its end (empty = none); returns false on
  // error (see error()).
  bool attach(const NetNs& host, const std::string& addr);
  // Deletes the ports and the bridge; idempotent, also called by the destructor.
  void remove();

 private:
  std::string ns_;  // namespace holding the bridge
  std::string name_;
  bool created_ = false;
  bool ok_ = false;
  std::string error_;
  std::vector<std::string> ports_;  // bridge-side veth names (inside ns_)
};

// True if an interface with this name exists in the namespace ("" = host namespace).
bool link_exists(const std::string& netns, const std::string& ifname);
// True if a network namespace with this name exists.
bool netns_exists(const std::string& name);

}  // namespace calico::testlib
