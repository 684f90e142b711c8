// The real-system side of the CNI plugins' PluginIo (see ipam_plugin.h): files, the host
// name, the host-wide lock file and the log file.  Kept apart from the plugin logic so
// that logic is unit-tested without root or a real /var/lib/calico.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cni/ipam_plugin.h"
#include "common/result.h"

namespace calico::cni {

// Whole file; nullopt if it does not exist; errors name the path and errno text.
Result<std::optional<std::string>, std::string> read_whole_file(const std::string& path);

std::string system_hostname();

// flock(LOCK_EX) on `path` (created, with its parent directory, if missing), polled every
// 10 ms up to `timeout`.  The lock is released when the returned guard is destroyed (or
// the process dies: the kernel drops flock locks with the file descriptor).
Result<LockGuard, std::string> lock_file(const std::string& path,
                                         std::chrono::milliseconds timeout);

// Appends `line` + '\n' to `path` (parent directory created); failures are ignored (the
// plugin's answer on stdout must not depend on its log).
void append_log(const std::string& path, const std::string& line);

// PluginIo wired to the process environment, the files above and the real datastore.
PluginIo system_io();

}  // namespace calico::cni
