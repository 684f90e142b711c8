// run_in_netns: the helper thread that enters a named network namespace.  Contract in
// netns_thread.h.
#include "netlink/netns_thread.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "netlink/nl_socket.h"

namespace calico::netlink::detail {
namespace {

// Accepts what `ip netns add` accepts as a plain file name under /run/netns.
bool valid_netns_name(const std::string& name) {
  return !name.empty() && name.size() < 256 && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

// Opens `path`, enters it on a throwaway thread and runs body there.  `label` names the
// namespace in error messages (the `ip netns` name, or the path itself).
Result<void, std::string> enter_and_run(const std::string& label, const std::string& path,
                                        const std::function<void()>& body) {
  const int ns_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) {
    return fail("network namespace " + label + ": " + path + ": " + errno_text(errno));
  }
  // The namespace switch happens on a throwaway thread: the caller's thread never leaves
  // its namespace, whatever fails.
  Result<void, std::string> entered = fail(std::string("netns helper thread did not run"));
  try {
    std::thread helper([&] {
      if (::setns(ns_fd, CLONE_NEWNET) != 0) {
        entered = fail("setns(" + path + "): " + errno_text(errno));
        return;
      }
      entered = Result<void, std::string>{};
      body();
    });
    helper.join();
  } catch (const std::system_error& e) {
    ::close(ns_fd);
    return fail(std::string("starting the netns helper thread: ") + e.what());
  }
  ::close(ns_fd);
  if (!entered) {
    return fail("network namespace " + label + ": " + entered.error());
  }
  return {};
}

}  // namespace

Result<void, std::string> run_on_netns_thread(const std::string& netns,
                                              const std::function<void()>& body) {
  if (!valid_netns_name(netns)) {
    return fail("invalid network namespace name '" + netns + "'");
  }
  return enter_and_run(netns, "/run/netns/" + netns, body);
}

Result<void, std::string> run_on_netns_path_thread(const std::string& path,
                                                   const std::function<void()>& body) {
  if (path.empty() || path.find('\0') != std::string::npos) {
    return fail("invalid network namespace path '" + path + "'");
  }
  return enter_and_run(path, path, body);
}

}  // namespace calico::netlink::detail
