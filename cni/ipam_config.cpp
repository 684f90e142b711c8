// calico-ipam's network-config keys and Kubernetes CNI_ARGS.
#include "cni/ipam_config.h"

#include <string_view>
#include <utility>

#include "cni/json_reader.h"

namespace calico::cni {
namespace {

using detail::FieldReader;
using detail::in_quotes;
using nlohmann::json;

// Calico declares AssignIpv4/AssignIpv6 as *string and compares with "true"/"false".
bool read_flag(FieldReader& r, const json& ipam, const std::string& key, bool fallback) {
  const json* v = FieldReader::find(ipam, key);
  if (v == nullptr) {
    return fallback;
  }
  if (v->is_boolean()) {
    return v->get<bool>();
  }
  if (v->is_string() && (*v == "true" || *v == "false")) {
    return *v == "true";
  }
  r.fail("ipam." + key, "must be \"true\" or \"false\", got " + detail::compact(*v));
  return fallback;
}

// An empty string means "use the default" for these keys.
std::string string_or_default(FieldReader& r, const json& obj, const std::string& key,
                              const std::string& fallback) {
  std::string v = r.string(obj, key, "");
  return v.empty() ? fallback : v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<IpamConf, Error> parse_ipam_conf(const NetConf& conf) {
  FieldReader r(kErrInvalidNetworkConfig, "invalid network config");
  IpamConf out;
  out.network_name = conf.name;
  const json& ipam = conf.ipam;
  if (!ipam.is_object() && !ipam.is_null()) {
    r.fail("ipam", "must be an object, got " + detail::compact(ipam));
  }
  out.ipam_type = r.string(ipam, "type", "ipam");
  out.assign_ipv4 = read_flag(r, ipam, "assign_ipv4", out.assign_ipv4);
  out.assign_ipv6 = read_flag(r, ipam, "assign_ipv6", out.assign_ipv6);
  out.ipv4_pools = r.string_list(ipam, "ipv4_pools", "ipam");
  out.ipv6_pools = r.string_list(ipam, "ipv6_pools", "ipam");

  const json& raw = conf.raw;
  out.nodename = r.string(raw, "nodename", "");
  out.nodename_file = string_or_default(r, raw, "nodename_file", out.nodename_file);
  out.nodename_file_optional =
      r.opt_bool(raw, "nodename_file_optional", "").value_or(out.nodename_file_optional);
  out.datastore_type = string_or_default(r, raw, "datastore_type", out.datastore_type);
  if (out.datastore_type != "etcdv3" && out.datastore_type != "kubernetes") {
    r.fail("datastore_type",
           "must be \"etcdv3\" or \"kubernetes\", got " + in_quotes(out.datastore_type));
  }
  out.etcd_endpoints = r.string(raw, "etcd_endpoints", "");
  out.etcd_key_file = r.string(raw, "etcd_key_file", "");
  out.etcd_cert_file = r.string(raw, "etcd_cert_file", "");
  out.etcd_ca_cert_file = r.string(raw, "etcd_ca_cert_file", "");
  if (const json* k8s = r.object(raw, "kubernetes", "")) {
    out.kubeconfig = r.string(*k8s, "kubeconfig", "kubernetes");
  }
  if (const json* policy = r.object(raw, "policy", "")) {
    out.policy_type = r.string(*policy, "type", "policy");
  }
  out.ipam_lock_file = string_or_default(r, raw, "ipam_lock_file", out.ipam_lock_file);
  out.log_level = string_or_default(r, raw, "log_level", out.log_level);
  out.log_file_path = r.string(raw, "log_file_path", "");
  if (!r.ok()) {
    return fail(*r.error());
  }
  return out;
}

Result<K8sArgs, Error> parse_k8s_args(const Env& env) {
  K8sArgs out;
  out.pod_namespace = arg(env, "K8S_POD_NAMESPACE").value_or("");
  out.pod_name = arg(env, "K8S_POD_NAME").value_or("");
  out.infra_container_id = arg(env, "K8S_POD_INFRA_CONTAINER_ID").value_or("");
  auto ip = arg(env, "IP");
  if (!ip || ip->empty()) {
    return out;
  }
  auto invalid = [&ip](const std::string& why) {
    return Error{kErrInvalidEnvironment, "invalid CNI_ARGS IP=" + *ip + ": " + why, {}};
  };
  bool have_v4 = false;
  bool have_v6 = false;
  std::string_view rest = *ip;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    const auto addr = net::IpAddr::parse(item);
    if (!addr) {
      return fail(invalid(in_quotes(item) + " is not an IP address"));
    }
    bool& seen = addr->is_v4() ? have_v4 : have_v6;
    if (seen) {
      return fail(
          invalid(std::string("more than one IPv") + (addr->is_v4() ? "4" : "6") + " address"));
    }
    seen = true;
    out.ips.push_back(*addr);
    if (comma == std::string_view::npos) {
      break;
    }
    rest = rest.substr(comma + 1);
  }
  out.ip = std::move(ip);
  return out;
}

}  // namespace calico::cni
