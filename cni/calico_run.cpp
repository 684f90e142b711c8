// The calico plugin process: environment, config, datastore, dispatch and output (see
// run_calico_plugin in calico_plugin.h).
#include <utility>

#include "cni/calico_plugin.h"

namespace calico::cni {
namespace {

void log_line(const PluginIo& io, const CalicoConf& conf, const std::string& line) {
  if (io.log && !conf.common.log_file_path.empty()) {
    io.log(conf.common.log_file_path, line);
  }
}

Result<void, Error> gate_version(const Env& env, const NetConf& conf) {
  if (env.command == "CHECK") {
    return require_version(conf, env.command, "0.4.0");
  }
  if (env.command == "GC" || env.command == "STATUS") {
    return require_version(conf, env.command, "1.1.0");
  }
  return {};
}

Result<std::string, Error> execute(CalicoRequest req, const CalicoPluginIo& io) {
  if (auto v = gate_version(req.env, req.conf); !v) {
    return fail(v.error());
  }
  auto k8s = parse_k8s_args(req.env);
  if (!k8s) {
    return fail(k8s.error());
  }
  req.k8s = std::move(*k8s);
  if (io.dataplane == nullptr || !io.delegate) {
    return fail(Error{kErrInternal, "plugin wiring: no dataplane or IPAM delegate", {}});
  }
  if (req.env.command != "STATUS") {
    auto node = determine_nodename(req.calico.common, io.base);
    if (!node) {
      return fail(node.error());
    }
    req.nodename = std::move(*node);
  }
  auto cfg = datastore_config(req.conf, req.calico.common, io.base);
  if (!cfg) {
    return fail(cfg.error());
  }
  auto ds = io.base.open_datastore(*cfg);
  if (!ds) {
    return fail(Error{kErrInvalidNetworkConfig, "cannot open the datastore: " + ds.error(), {}});
  }
  const CalicoPlugin plugin(**ds, *io.dataplane, io.delegate);
  const std::string& cmd = req.env.command;
  if (cmd == "ADD") {
    auto r = plugin.add(req);
    if (!r) {
      return fail(r.error());
    }
    return result_json(*r, req.conf.cni_version) + "\n";
  }
  Result<void, Error> done;
  if (cmd == "DEL") {
    done = plugin.del(req);
  } else if (cmd == "CHECK") {
    done = plugin.check(req);
  } else if (cmd == "STATUS") {
    done = plugin.status(req);
  } else if (auto r = plugin.gc(req); !r) {
    done = fail(r.error());
  }
  if (!done) {
    return fail(done.error());
  }
  return std::string();
}

}  // namespace

PluginOutput run_calico_plugin(std::string_view stdin_bytes, const CalicoPluginIo& io) {
  auto begun = begin_plugin_run(stdin_bytes, io.base.getenv);
  if (auto* done = std::get_if<PluginOutput>(&begun)) {
    return std::move(*done);
  }
  auto& [env_value, conf_value] = std::get<PluginInvocation>(begun);
  Env* env = &env_value;
  const NetConf* conf = &conf_value;
  auto calico = parse_calico_conf(*conf);
  if (!calico) {
    return error_output(calico.error(), conf->cni_version);
  }
  const std::string who = env->command + " " + env->container_id;
  const CalicoConf logged = *calico;
  CalicoRequest req{std::move(*env), *conf, std::move(*calico), {}, {}, std::string(stdin_bytes)};
  auto out = execute(std::move(req), io);
  const std::string now = io.base.now ? go_time_string(io.base.now()) : std::string();
  if (!out) {
    log_line(io.base, logged,
             now + " calico error " + who + ": code " + std::to_string(out.error().code) + ": " +
                 out.error().msg);
    return error_output(out.error(), conf->cni_version);
  }
  log_line(io.base, logged, now + " calico ok " + who);
  return PluginOutput{std::move(*out), 0};
}

}  // namespace calico::cni
