// run_in_netns: runs a callable inside the `ip netns` namespace /run/netns/NAME on a
// short-lived helper thread and returns its result.
//
//   auto sock = run_in_netns("ns1", [&] { return open_socket_here(); });
//
// Why a thread: setns(CLONE_NEWNET) switches only the calling thread.  Doing it on a
// throwaway thread means no caller thread ever leaves its namespace, whatever fails.  A
// socket created there keeps that namespace for its whole life, which is what the netlink
// adapters rely on (NetlinkSocket::open, NftCommitter::open).
//
// Contract:
//   - netns == "": fn runs on the calling thread, in the caller's namespace; its result is
//     returned unchanged.
//   - otherwise the name must be a plain file name under /run/netns (what `ip netns add`
//     accepts); fn runs once on a new thread that has entered the namespace, and the
//     caller blocks until it returns.
//   - fn returns Result<T, std::string>.  Errors: "invalid network namespace name 'x'",
//     "network namespace NAME: /run/netns/NAME: <errno text>" (cannot open),
//     "starting the netns helper thread: ..." (no thread), "network namespace NAME:
//     setns(...): ..." and, for an error fn returned, "network namespace NAME: <error>".
//
// Thread affinity: any thread; fn must not depend on thread-local state of the caller.
// Errors are values (no exceptions escape).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "common/result.h"

namespace calico::netlink {

namespace detail {
// Runs body on a helper thread inside /run/netns/netns (netns non-empty).  Fails with the
// messages listed above, before body runs; body itself cannot fail here.
Result<void, std::string> run_on_netns_thread(const std::string& netns,
                                              const std::function<void()>& body);
// The same for a namespace given by a file path (any non-empty path).
Result<void, std::string> run_on_netns_path_thread(const std::string& path,
                                                   const std::function<void()>& body);
}  // namespace detail

template <class Fn>
std::invoke_result_t<Fn&> run_in_netns(const std::string& netns, Fn&& fn) {
  using R = std::invoke_result_t<Fn&>;
  static_assert(std::is_same_v<std::decay_t<decltype(std::declval<R&>().error())>, std::string>,
                "run_in_netns: fn must return Result<T, std::string>");
  if (netns.empty()) {
    return fn();
  }
  std::optional<R> result;
  if (auto ran = detail::run_on_netns_thread(netns, [&] { result.emplace(fn()); }); !ran) {
    return fail(ran.error());
  }
  CALICO_CHECK(result.has_value());
  if (!*result) {
    return fail("network namespace " + netns + ": " + result->error());
  }
  return std::move(*result);
}

// run_in_netns_path: as run_in_netns, for a namespace given by a file path instead of an
// `ip netns` name: /run/netns/x, /proc/<pid>/ns/net or any bind mount of a namespace
// (what a CNI runtime passes in CNI_NETNS).  The path must be non-empty; fn always runs
// on a helper thread.  Errors: "network namespace PATH: PATH: <errno text>" (cannot
// open; ENOENT for a namespace that is gone), "network namespace PATH: setns(...): ...",
// "starting the netns helper thread: ...", and "network namespace PATH: <error>" for an
// error fn returned.
template <class Fn>
std::invoke_result_t<Fn&> run_in_netns_path(const std::string& path, Fn&& fn) {
  using R = std::invoke_result_t<Fn&>;
  static_assert(std::is_same_v<std::decay_t<decltype(std::declval<R&>().error())>, std::string>,
                "run_in_netns_path: fn must return Result<T, std::string>");
  std::optional<R> result;
  if (auto ran = detail::run_on_netns_path_thread(path, [&] { result.emplace(fn()); }); !ran) {
    return fail(ran.error());
  }
  CALICO_CHECK(result.has_value());
  if (!*result) {
    return fail("network namespace " + path + ": " + result->error());
  }
  return std::move(*result);
}

}  // namespace calico::netlink
