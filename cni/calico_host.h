// The real-system side of the `calico` plugin: running the delegate IPAM plugin as a
// child process (CNI spec "delegation"), and the CalicoPluginIo the binary uses.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cni/calico_plugin.h"
#include "common/result.h"

namespace calico::cni {

// The first executable `type` in the ':'-separated `cni_path`; error naming both when
// there is none (or `type` holds a '/').
Result<std::string, std::string> find_plugin(const std::string& type, const std::string& cni_path);

// Runs `binary` with stdin `input` and exactly the environment `env` ("K=V" entries),
// collecting stdout and stderr; the child is SIGKILLed after `timeout`.  Errors: the
// process could not be started, or timed out.
Result<DelegateOutput, std::string> run_plugin_binary(const std::string& binary,
                                                      std::string_view input,
                                                      const std::vector<std::string>& env,
                                                      std::chrono::milliseconds timeout);

// DelegateFn for this process: the plugin found on this process's CNI_PATH, run with this
// process's environment, CNI_COMMAND set to the command and `env` applied on top.
Result<DelegateOutput, std::string> exec_delegate(const std::string& type,
                                                  const std::string& command,
                                                  std::string_view stdin_bytes,
                                                  const std::map<std::string, std::string>& env);

// system_io() (host_io.h) plus exec_delegate and `dataplane`.
CalicoPluginIo calico_system_io(WorkloadDataplane& dataplane);

}  // namespace calico::cni
