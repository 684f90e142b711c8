// Pod -> WorkloadEndpoint (see projections.h): podToDefaultWorkloadEndpoint.
#include <openssl/evp.h>

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "datastore/kdd/projection_support.h"
#include "datastore/kdd/projections.h"

namespace calico::datastore::kdd {

using namespace detail;

namespace {

// ---- Pod ----

bool pod_is_finished(const Json& pod, const StringMap& annotations) {
  // IsFinished: a pod being deleted whose IP the CNI plugin has released (annotation
  // explicitly blanked), or a pod in a terminal phase.
  const Json* meta = pod.contains("metadata") ? &pod["metadata"] : nullptr;
  if (meta != nullptr && meta->is_object() && meta->contains("deletionTimestamp") &&
      !(*meta)["deletionTimestamp"].is_null()) {
    for (std::string_view key : {kPodIPAnnotation, kAwsPodIPsAnnotation}) {
      auto it = annotations.find(std::string(key));
      if (it != annotations.end() && it->second.empty()) {
        return true;
      }
    }
  }
  std::string phase;
  if (pod.contains("status") && pod["status"].is_object() && pod["status"].contains("phase") &&
      pod["status"]["phase"].is_string()) {
    phase = pod["status"]["phase"].get<std::string>();
  }
  return phase == "Succeeded" || phase == "Failed" || phase == "Completed";
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) {
      return out;
    }
    start = comma + 1;
  }
}

// getPodIPs: the first non-empty source wins; every entry must parse (IP or CIDR).
std::vector<net::Cidr> pod_ips(FieldReader& r, const Json& pod, const StringMap& annotations) {
  std::vector<std::string> texts;
  std::string source;
  const Json* status = r.object_at(pod, "status", "status");
  const Json* ips = status != nullptr ? r.array_at(*status, "podIPs", "status.podIPs") : nullptr;
  const std::string ip =
      status != nullptr ? r.string_at(*status, "podIP", "status.podIP") : std::string();
  if (ips != nullptr && !ips->empty()) {
    source = "status.podIPs";
    for (std::size_t i = 0; i < ips->size(); ++i) {
      const std::string path = "status.podIPs[" + std::to_string(i) + "]";
      texts.push_back(r.string_at((*ips)[i], "ip", path + ".ip"));
    }
  } else if (!ip.empty()) {
    source = "status.podIP";
    texts.push_back(ip);
  } else if (auto v = value_or_empty(annotations, kPodIPsAnnotation); !v.empty()) {
    source = "annotation " + std::string(kPodIPsAnnotation);
    texts = split_commas(v);
  } else if (v = value_or_empty(annotations, kPodIPAnnotation); !v.empty()) {
    source = "annotation " + std::string(kPodIPAnnotation);
    texts.push_back(v);
  } else if (v = value_or_empty(annotations, kAwsPodIPsAnnotation); !v.empty()) {
    source = "annotation " + std::string(kAwsPodIPsAnnotation);
    texts = split_commas(v);
  }
  std::vector<net::Cidr> out;
  for (const auto& t : texts) {
    auto c = cidr_or_ip(t);
    if (!c) {
      r.add_error(source, "\"" + t + "\" is not an IP address or CIDR");
      return {};
    }
    out.push_back(c->masked());
  }
  return out;
}

std::vector<api::IPNAT> floating_ips(FieldReader& r, const StringMap& annotations,
                                     const std::vector<net::Cidr>& ips) {
  std::vector<api::IPNAT> out;
  auto it = annotations.find(std::string(kFloatingIPsAnnotation));
  if (it == annotations.end() || ips.empty()) {
    return out;
  }
  const std::string where = "annotation " + std::string(kFloatingIPsAnnotation);
  Json j = Json::parse(it->second, nullptr, false);
  if (!j.is_array()) {
    r.add_error(where, "\"" + it->second + "\" is not a JSON list");
    return out;
  }
  std::optional<net::IpAddr> v4;
  std::optional<net::IpAddr> v6;
  for (const auto& c : ips) {
    if (c.prefix_len() != c.addr().bits()) {
      r.add_error(where, "pod IP " + c.to_string() + " is not a single address");
      return {};
    }
    (c.addr().is_v4() ? v4 : v6) = c.addr();
  }
  for (const Json& e : j) {
    if (!e.is_string()) {
      r.add_error(where, "expected a list of strings, got " + api::json_type_name(e));
      return {};
    }
    const std::string external = e.get<std::string>();
    const auto& internal = external.find(':') != std::string::npos ? v6 : v4;
    if (internal) {
      out.push_back(api::IPNAT{internal->to_string(), external});
    }
  }
  return out;
}

std::vector<std::string> allowed_source_prefixes(FieldReader& r, const StringMap& annotations) {
  std::vector<std::string> out;
  const std::string text = value_or_empty(annotations, kAllowedSourcePrefixesAnnotation);
  if (text.empty()) {
    return out;
  }
  const std::string where = "annotation " + std::string(kAllowedSourcePrefixesAnnotation);
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array() && !j.is_null()) {
    r.add_error(where, "\"" + text + "\" is not a JSON list");
    return out;
  }
  for (const Json& e : j) {
    // cnet.ParseCIDR: a prefix length is required; the network is stored masked.
    auto c = e.is_string() ? net::Cidr::parse(e.get<std::string>()) : std::nullopt;
    if (!c) {
      r.add_error(where, dump(e) + " is not a CIDR");
      return {};
    }
    out.push_back(c->masked().to_string());
  }
  return out;
}

// appendEndpointPorts.
void append_ports(FieldReader& r, const Json& spec, std::string_view list,
                  std::vector<api::WorkloadEndpointPort>& out) {
  const std::string list_path = "spec." + std::string(list);
  const Json* containers = r.array_at(spec, list, list_path);
  if (containers == nullptr) {
    return;
  }
  for (std::size_t i = 0; i < containers->size(); ++i) {
    const std::string cpath = list_path + "[" + std::to_string(i) + "]";
    const Json* ports = r.array_at((*containers)[i], "ports", cpath + ".ports");
    if (ports == nullptr) {
      continue;
    }
    for (std::size_t k = 0; k < ports->size(); ++k) {
      const Json& p = (*ports)[k];
      const std::string ppath = cpath + ".ports[" + std::to_string(k) + "]";
      const std::int64_t container_port = r.int_at(p, "containerPort", ppath + ".containerPort");
      const std::int64_t host_port = r.int_at(p, "hostPort", ppath + ".hostPort");
      const std::string name = r.string_at(p, "name", ppath + ".name");
      const std::string protocol = r.string_at(p, "protocol", ppath + ".protocol");
      const std::string host_ip = r.string_at(p, "hostIP", ppath + ".hostIP");
      if (container_port < 0 || container_port > 65535 || host_port < 0 || host_port > 65535) {
        r.add_error(ppath, "port out of range 0-65535");
        return;
      }
      if (container_port == 0 || (host_port == 0 && name.empty())) {
        continue;
      }
      std::string proto;
      if (protocol == "UDP" || protocol == "SCTP") {
        proto = protocol;
      } else if (protocol == "TCP" || protocol.empty()) {  // Kubernetes defaults to TCP
        proto = "TCP";
      } else {
        continue;  // Calico ignores ports with other protocols
      }
      api::WorkloadEndpointPort port;
      port.name = name;
      port.protocol = api::Protocol::named(proto);
      port.port = static_cast<std::uint16_t>(container_port);
      port.host_port = static_cast<std::uint16_t>(host_port);
      port.host_ip = host_ip;
      out.push_back(std::move(port));
    }
  }
}

}  // namespace

// ---- WorkloadEndpoint ----

std::string wep_name(const std::string& node, const std::string& pod, const std::string& endpoint) {
  auto escape = [](const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
      out += c;
      if (c == '-') {
        out += '-';
      }
    }
    return out;
  };
  return escape(node) + "-" + std::string(kOrchestratorK8s) + "-" + escape(pod) + "-" +
         escape(endpoint);
}

std::string workload_interface_name(std::string_view ns, std::string_view pod) {
  const std::string input = std::string(ns) + "." + std::string(pod);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "cali";
  constexpr std::size_t kHexDigits = 11;  // Linux interface names are <= 15 characters
  for (std::size_t i = 0; i < kHexDigits; ++i) {
    const unsigned char byte = digest[i / 2];
    out += kHex[(i % 2 == 0) ? (byte >> 4U) : (byte & 0xfU)];
  }
  return out;
}

bool pod_is_host_networked(const Json& pod) {
  return pod.is_object() && pod.contains("spec") && pod["spec"].is_object() &&
         pod["spec"].contains("hostNetwork") && pod["spec"]["hostNetwork"].is_boolean() &&
         pod["spec"]["hostNetwork"].get<bool>();
}

Result<Object, StoreError> wep_from_pod(const Json& pod) {
  FieldReader r("Pod");
  auto id = read_identity(r, pod, "Pod", true);
  if (!id) {
    return fail(id.error());
  }
  const Json* meta = id->meta;
  const std::string& name = id->name;
  const std::string& ns = id->ns;
  const Json* spec = r.object_at(pod, "spec", "spec");
  const bool host_network = spec != nullptr && r.bool_at(*spec, "hostNetwork", "spec.hostNetwork");
  const std::string node_name =
      spec != nullptr ? r.string_at(*spec, "nodeName", "spec.nodeName") : std::string();
  if (!r.ok()) {
    return fail(r.error());
  }
  // IsValidCalicoWorkloadEndpoint: host-network and unscheduled pods have no endpoint.
  if (host_network) {
    return fail(
        StoreError{ErrorCode::NotFound, r.object() + ": host-network pod has no WorkloadEndpoint"});
  }
  if (node_name.empty()) {
    return fail(StoreError{ErrorCode::NotFound,
                           r.object() + ": not scheduled (no spec.nodeName), no WorkloadEndpoint"});
  }
  const std::string sa = r.string_at(*spec, "serviceAccountName", "spec.serviceAccountName");
  const StringMap pod_labels = r.string_map_at(*meta, "labels", "metadata.labels");
  const StringMap annotations = r.string_map_at(*meta, "annotations", "metadata.annotations");

  api::WorkloadEndpoint wep;
  wep.metadata.name = wep_name(node_name, name);
  wep.metadata.ns = ns;
  wep.metadata.uid = id->uid;  // the pod's, unchanged
  wep.metadata.generate_name = r.string_at(*meta, "generateName", "metadata.generateName");
  wep.metadata.creation_timestamp = id->creation_timestamp;
  wep.metadata.labels = pod_labels;
  wep.metadata.labels[std::string(kNamespaceLabel)] = ns;
  wep.metadata.labels[std::string(kOrchestratorLabel)] = std::string(kOrchestratorK8s);
  if (!sa.empty() && sa.size() < kMaxServiceAccountLabelLength) {
    wep.metadata.labels[std::string(kServiceAccountLabel)] = sa;
  }
  if (auto it = annotations.find(std::string(kNetworkStatusAnnotation)); it != annotations.end()) {
    wep.metadata.annotations.emplace(it->first, it->second);
  }

  std::vector<net::Cidr> ips = pod_ips(r, pod, annotations);
  if (pod_is_finished(pod, annotations)) {
    ips.clear();  // the IPs have been (or will be) released to IPAM
  }

  auto& s = wep.spec;
  s.orchestrator = std::string(kOrchestratorK8s);
  s.node = node_name;
  s.pod = name;
  s.container_id = value_or_empty(annotations, kContainerIDAnnotation);
  s.endpoint = std::string(kEndpointEth0);
  s.interface_name = workload_interface_name(ns, name);
  s.profiles.push_back(std::string(kNamespaceProfilePrefix) + ns);
  if (!sa.empty()) {
    s.profiles.push_back(service_account_profile_name(ns, sa));
  }
  for (const auto& c : ips) {
    s.ip_networks.push_back(c.to_string());
  }
  s.ip_nats = floating_ips(r, annotations, ips);
  s.service_account_name = sa;
  s.allow_spoofed_source_prefixes = allowed_source_prefixes(r, annotations);
  append_ports(r, *spec, "containers", s.ports);
  append_ports(r, *spec, "initContainers", s.ports);

  if (!r.ok()) {
    return fail(r.error());
  }
  return make_object(std::move(wep), id->revision);
}

}  // namespace calico::datastore::kdd
