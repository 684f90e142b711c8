// The calico plugin's network-config keys (see calico_config.h).
#include "cni/calico_config.h"

#include <algorithm>
#include <utility>

#include "cni/json_reader.h"

namespace calico::cni {
namespace {

using detail::FieldReader;
using detail::in_quotes;
using nlohmann::json;

constexpr int kMinMtu = 68;  // RFC 791: every IPv4 link carries 68 octets
constexpr int kMaxMtu = 65535;

std::string indexed(const std::string& where, std::size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

bool read_bool(FieldReader& r, const json& obj, const std::string& key, const std::string& where,
               bool fallback) {
  return r.opt_bool(obj, key, where).value_or(fallback);
}

void read_mtu(FieldReader& r, const json& raw, CalicoConf& out) {
  const auto mtu = r.opt_uint(raw, "mtu", "");
  if (!mtu || *mtu == 0) {
    return;  // 0 is Calico's "auto": the kernel default for a veth, 1500
  }
  if (*mtu < kMinMtu || *mtu > kMaxMtu) {
    r.fail("mtu", "must be 0 (default) or " + std::to_string(kMinMtu) + "-" +
                      std::to_string(kMaxMtu) + ", got " + std::to_string(*mtu));
    return;
  }
  out.mtu = *mtu;
}

void read_ipam_routes(FieldReader& r, const json& ipam, CalicoConf& out) {
  const json* routes = r.array(ipam, "routes", "ipam");
  if (routes == nullptr) {
    return;
  }
  for (std::size_t i = 0; i < routes->size(); ++i) {
    const std::string where = indexed("ipam.routes", i);
    const json& e = (*routes)[i];
    if (!e.is_object()) {
      r.fail(where, "must be an object");
      return;
    }
    const std::string dst = r.required_string(e, "dst", where);
    if (!r.ok()) {
      return;
    }
    auto cidr = net::Cidr::parse(dst);
    if (!cidr) {
      r.fail(where + ".dst", "not a CIDR: " + in_quotes(dst));
      return;
    }
    out.ipam_routes.push_back(cidr->masked());
  }
}

// args.cni.labels: [{"key": k, "value": v}] (the CNI "labels" convention).
void read_labels(FieldReader& r, const json& cni, CalicoConf& out) {
  const json* labels = r.array(cni, "labels", "args.cni");
  if (labels == nullptr) {
    return;
  }
  for (std::size_t i = 0; i < labels->size(); ++i) {
    const std::string where = indexed("args.cni.labels", i);
    const json& e = (*labels)[i];
    if (!e.is_object()) {
      r.fail(where, "must be an object {\"key\", \"value\"}");
      return;
    }
    std::string key = r.required_string(e, "key", where);
    std::string value = r.string(e, "value", where);
    if (r.ok() && key.empty()) {
      r.fail(where + ".key", "must not be empty");
    }
    if (!r.ok()) {
      return;
    }
    out.labels[std::move(key)] = std::move(value);
  }
}

// args.cni.ips: ["10.0.0.5", "fd00::5"] (the CNI "ips" convention); CIDR suffixes are
// accepted and dropped, as the reference plugins do.
void read_ips(FieldReader& r, const json& cni, CalicoConf& out) {
  const auto ips = r.string_list(cni, "ips", "args.cni");
  for (std::size_t i = 0; i < ips.size(); ++i) {
    auto ip = net::Cidr::parse_addr_or_cidr(ips[i]);
    if (!ip) {
      r.fail(indexed("args.cni.ips", i), "not an IP address: " + in_quotes(ips[i]));
      return;
    }
    const bool dup =
        std::any_of(out.requested_ips.begin(), out.requested_ips.end(),
                    [&ip](const net::IpAddr& a) { return a.family() == ip->family(); });
    if (dup) {
      r.fail("args.cni.ips", "at most one IPv4 and one IPv6 address, got " + in_quotes(ips[i]));
      return;
    }
    out.requested_ips.push_back(ip->addr());
  }
}

void read_port(FieldReader& r, const json& e, const std::string& where, CalicoConf& out) {
  if (!e.is_object()) {
    r.fail(where, "must be an object {\"name\", \"protocol\", \"port\"}");
    return;
  }
  NamedPort p;
  p.name = r.required_string(e, "name", where);
  std::string proto = r.string(e, "protocol", where, "TCP");
  std::transform(proto.begin(), proto.end(), proto.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const auto port = r.opt_uint(e, "port", where);
  if (!r.ok()) {
    return;
  }
  if (p.name.empty()) {
    r.fail(where + ".name", "must not be empty");
  } else if (proto != "TCP" && proto != "UDP" && proto != "SCTP") {
    r.fail(where + ".protocol", "must be TCP, UDP or SCTP, got " + in_quotes(proto));
  } else if (!port || *port < 1 || *port > 65535) {
    r.fail(where + ".port", port ? "must be 1-65535, got " + std::to_string(*port) : "missing");
  }
  if (!r.ok()) {
    return;
  }
  p.protocol = std::move(proto);
  p.port = static_cast<std::uint16_t>(*port);
  out.ports.push_back(std::move(p));
}

void read_args(FieldReader& r, const json& raw, CalicoConf& out) {
  const json* args = r.object(raw, "args", "");
  if (args == nullptr) {
    return;
  }
  if (const json* cni = r.object(*args, "cni", "args")) {
    read_labels(r, *cni, out);
    read_ips(r, *cni, out);
  }
  const json* org = r.object(*args, "org.projectcalico", "args");
  if (org == nullptr) {
    return;
  }
  const std::string where = "args.org.projectcalico";
  out.service_account = r.string(*org, "serviceAccount", where);
  if (const json* ports = r.array(*org, "ports", where)) {
    for (std::size_t i = 0; i < ports->size() && r.ok(); ++i) {
      read_port(r, (*ports)[i], indexed(where + ".ports", i), out);
    }
  }
}

}  // namespace

Result<CalicoConf, Error> parse_calico_conf(const NetConf& conf) {
  CalicoConf out;
  auto common = parse_ipam_conf(conf);
  if (!common) {
    return fail(common.error());
  }
  out.common = std::move(*common);
  FieldReader r(kErrInvalidNetworkConfig, "invalid network config");
  const json& raw = conf.raw;
  if (out.common.ipam_type.empty()) {
    r.fail("ipam.type", "missing: the calico plugin delegates addresses to an IPAM plugin");
  } else if (out.common.ipam_type.find_first_of("/\\") != std::string::npos) {
    r.fail("ipam.type", "invalid plugin type " + in_quotes(out.common.ipam_type));
  }
  read_mtu(r, raw, out);
  read_ipam_routes(r, conf.ipam, out);
  out.include_default_routes = read_bool(r, raw, "include_default_routes", "", false);
  if (const json* cs = r.object(raw, "container_settings", "")) {
    out.allow_ip_forwarding = read_bool(r, *cs, "allow_ip_forwarding", "container_settings", false);
  }
  if (const json* fc = r.object(raw, "feature_control", "")) {
    out.ip_addrs_no_ipam = read_bool(r, *fc, "ip_addrs_no_ipam", "feature_control", false);
    out.floating_ips = read_bool(r, *fc, "floating_ips", "feature_control", false);
  }
  if (out.common.policy_type != "" && out.common.policy_type != "k8s") {
    r.fail("policy.type", "must be \"k8s\" or empty, got " + in_quotes(out.common.policy_type));
  }
  read_args(r, raw, out);
  if (!r.ok()) {
    return fail(*r.error());
  }
  return out;
}

}  // namespace calico::cni
