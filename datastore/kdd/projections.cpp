// Native Kubernetes objects -> projectcalico.org/v3 values (see projections.h).
#include "datastore/kdd/projections.h"

#include <openssl/evp.h>

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "api/document.h"
#include "common/net/ip.h"
#include "datastore/kdd/crd_codec.h"

namespace calico::datastore::kdd {
namespace {

using Json = nlohmann::json;
using StringMap = std::map<std::string, std::string>;

// libcalico-go conversion/constants.go and api/pkg/apis/projectcalico/v3 label names.
constexpr std::string_view kNamespaceProfilePrefix = "kns.";
constexpr std::string_view kServiceAccountProfilePrefix = "ksa.";
constexpr std::string_view kNamespaceLabelPrefix = "pcns.";
constexpr std::string_view kServiceAccountLabelPrefix = "pcsa.";
constexpr std::string_view kNameLabel = "projectcalico.org/name";
constexpr std::string_view kNamespaceLabel = "projectcalico.org/namespace";
constexpr std::string_view kOrchestratorLabel = "projectcalico.org/orchestrator";
constexpr std::string_view kServiceAccountLabel = "projectcalico.org/serviceaccount";
constexpr std::string_view kOrchestratorK8s = "k8s";
constexpr std::string_view kEndpointEth0 = "eth0";
// Label values are at most 63 characters; Calico adds the SA label only below that.
constexpr std::size_t kMaxServiceAccountLabelLength = 63;

StoreError invalid(std::string msg) {
  return StoreError{ErrorCode::Invalid, std::move(msg)};
}

// Reads fields of an untrusted Kubernetes object.  Absent and null fields read as empty;
// a field of the wrong JSON type records an error (the first one wins) and reads as empty.
class FieldReader {
 public:
  explicit FieldReader(std::string object) : object_(std::move(object)) {}

  void set_object(std::string object) { object_ = std::move(object); }
  const std::string& object() const { return object_; }

  const Json* object_at(const Json& parent, std::string_view key, std::string_view path) {
    return typed(parent, key, path, Json::value_t::object, "object");
  }
  const Json* array_at(const Json& parent, std::string_view key, std::string_view path) {
    return typed(parent, key, path, Json::value_t::array, "list");
  }
  std::string string_at(const Json& parent, std::string_view key, std::string_view path) {
    const Json* v = typed(parent, key, path, Json::value_t::string, "string");
    return v != nullptr ? v->get<std::string>() : std::string();
  }
  bool bool_at(const Json& parent, std::string_view key, std::string_view path) {
    const Json* v = typed(parent, key, path, Json::value_t::boolean, "boolean");
    return v != nullptr && v->get<bool>();
  }
  std::int64_t int_at(const Json& parent, std::string_view key, std::string_view path) {
    const Json* v = find(parent, key);
    if (v == nullptr) {
      return 0;
    }
    if (!v->is_number_integer()) {
      add_error(path, "expected integer, got " + api::json_type_name(*v));
      return 0;
    }
    return v->is_number_unsigned() ? static_cast<std::int64_t>(v->get<std::uint64_t>())
                                   : v->get<std::int64_t>();
  }
  StringMap string_map_at(const Json& parent, std::string_view key, std::string_view path) {
    StringMap out;
    const Json* m = object_at(parent, key, path);
    if (m == nullptr) {
      return out;
    }
    for (const auto& [k, v] : m->items()) {
      if (!v.is_string()) {
        add_error(std::string(path) + "." + k, "expected string, got " + api::json_type_name(v));
        continue;
      }
      out.emplace(k, v.get<std::string>());
    }
    return out;
  }

  void add_error(std::string_view path, const std::string& why) {
    if (!error_) {
      error_ = invalid(object_ + ": " + std::string(path) + ": " + why);
    }
  }
  bool ok() const { return !error_.has_value(); }
  const StoreError& error() const { return *error_; }

 private:
  static const Json* find(const Json& parent, std::string_view key) {
    if (!parent.is_object()) {
      return nullptr;
    }
    auto it = parent.find(std::string(key));
    if (it == parent.end() || it->is_null()) {
      return nullptr;
    }
    return &*it;
  }
  const Json* typed(const Json& parent, std::string_view key, std::string_view path,
                    Json::value_t type, std::string_view type_name) {
    const Json* v = find(parent, key);
    if (v == nullptr) {
      return nullptr;
    }
    if (v->type() != type) {
      add_error(path, "expected " + std::string(type_name) + ", got " + api::json_type_name(*v));
      return nullptr;
    }
    return v;
  }

  std::string object_;
  std::optional<StoreError> error_;
};

// The identity fields every projection reads.  Fails (Invalid) when the object is not a
// JSON object, or lacks metadata.name (or metadata.namespace for namespaced kinds), and
// names the object in `r` for later errors: "Pod shop/web-1".
struct Identity {
  const Json* meta = nullptr;  // never null on success
  std::string name;
  std::string ns;
  std::string uid;
  std::string creation_timestamp;
  std::string revision;
};

Result<Identity, StoreError> read_identity(FieldReader& r, const Json& obj, const std::string& kind,
                                           bool namespaced) {
  if (!obj.is_object()) {
    return fail(invalid(kind + ": expected a JSON object, got " + api::json_type_name(obj)));
  }
  Identity id;
  id.meta = r.object_at(obj, "metadata", "metadata");
  if (id.meta != nullptr) {
    id.name = r.string_at(*id.meta, "name", "metadata.name");
    id.ns = r.string_at(*id.meta, "namespace", "metadata.namespace");
  }
  if (!r.ok()) {
    return fail(r.error());
  }
  if (id.name.empty()) {
    return fail(invalid(kind + ": metadata.name is required"));
  }
  if (namespaced && id.ns.empty()) {
    return fail(invalid(kind + " " + id.name + ": metadata.namespace is required"));
  }
  r.set_object(kind + " " + (id.ns.empty() ? "" : id.ns + "/") + id.name);
  id.uid = r.string_at(*id.meta, "uid", "metadata.uid");
  id.creation_timestamp = r.string_at(*id.meta, "creationTimestamp", "metadata.creationTimestamp");
  id.revision = r.string_at(*id.meta, "resourceVersion", "metadata.resourceVersion");
  if (!r.ok()) {
    return fail(r.error());
  }
  return id;
}

std::string value_or_empty(const StringMap& m, std::string_view key) {
  auto it = m.find(std::string(key));
  return it != m.end() ? it->second : std::string();
}

// ---- validators (libcalico-go lib/validator/v3: ValidateCIDRv4, ValidateIPv4Network...) --

std::optional<net::Cidr> cidr_or_ip(std::string_view s) {
  return net::Cidr::parse_addr_or_cidr(s);
}
bool is_cidr_v4(std::string_view s) {
  auto c = cidr_or_ip(s);
  return c && c->family() == net::Family::V4;
}
bool is_cidr_v6(std::string_view s) {
  auto c = cidr_or_ip(s);
  return c && c->family() == net::Family::V6;
}
// An IP, or a CIDR without host bits.
bool is_network_v4(std::string_view s) {
  auto c = cidr_or_ip(s);
  return c && c->family() == net::Family::V4 && c->is_masked();
}
bool is_network_v6(std::string_view s) {
  auto c = cidr_or_ip(s);
  return c && c->family() == net::Family::V6 && c->is_masked();
}
// Go's net.ParseMAC: 6, 8 or 20 octets as xx:xx:.., xx-xx-.. or xxxx.xxxx.xxxx.
bool is_mac(std::string_view s) {
  auto hex_group = [&](std::size_t pos, std::size_t len) {
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (std::isxdigit(static_cast<unsigned char>(s[i])) == 0) {
        return false;
      }
    }
    return true;
  };
  auto valid_octets = [](std::size_t n) { return n == 6 || n == 8 || n == 20; };
  if (s.size() < 14) {
    return false;
  }
  if (s[2] == ':' || s[2] == '-') {
    if ((s.size() + 1) % 3 != 0 || !valid_octets((s.size() + 1) / 3)) {
      return false;
    }
    for (std::size_t i = 0; i < s.size(); i += 3) {
      if (!hex_group(i, 2) || (i + 2 < s.size() && s[i + 2] != s[2])) {
        return false;
      }
    }
    return true;
  }
  if (s[4] == '.') {
    if ((s.size() + 1) % 5 != 0 || !valid_octets(2 * ((s.size() + 1) / 5))) {
      return false;
    }
    for (std::size_t i = 0; i < s.size(); i += 5) {
      if (!hex_group(i, 4) || (i + 4 < s.size() && s[i + 4] != '.')) {
        return false;
      }
    }
    return true;
  }
  return false;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : std::isxdigit(static_cast<unsigned char>(s[i])) == 0) {
      return false;
    }
  }
  return true;
}

// Calico's ConvertUID: fails on a uid that is not a UUID; an absent uid stays absent.
bool convert_uid(FieldReader& r, const std::string& uid, std::string& out) {
  if (uid.empty()) {
    out.clear();
    return true;
  }
  if (!is_uuid(uid)) {
    r.add_error("metadata.uid", "\"" + uid + "\" is not a UUID");
    return false;
  }
  out = reverse_uid(uid);
  return true;
}

// getAnnotation(): the value when it passes `valid`, else "" (Calico logs and ignores it).
std::string checked_annotation(const StringMap& annotations, std::string_view key,
                               bool (*valid)(std::string_view)) {
  std::string v = value_or_empty(annotations, key);
  return !v.empty() && valid(v) ? v : std::string();
}

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json string_map_json(const StringMap& m) {
  Json out = Json::object();
  for (const auto& [k, v] : m) {
    out[k] = v;
  }
  return out;
}

// A JSON object of strings, or nullopt.  "null" reads as an empty map (Go's Unmarshal).
std::optional<StringMap> parse_string_map(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_null()) {
    return StringMap{};
  }
  if (!j.is_object()) {
    return std::nullopt;
  }
  StringMap out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) {
      return std::nullopt;
    }
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

Object make_object(api::AnyResource value, std::string revision) {
  api::meta_of(value).resource_version = revision;
  Object obj;
  obj.key = key_of(value);
  obj.value = std::move(value);
  obj.revision = std::move(revision);
  return obj;
}

// ---- Node ----

std::vector<api::NodeInterface> node_interfaces(const StringMap& annotations) {
  std::vector<api::NodeInterface> out;
  auto it = annotations.find(std::string(kNodeInterfacesAnnotation));
  if (it == annotations.end()) {
    return out;
  }
  // fillAllInterfaces: unparsable JSON is ignored, addresses that are not IPs are dropped.
  Json j = Json::parse(it->second, nullptr, false);
  if (!j.is_array()) {
    return out;
  }
  for (const Json& e : j) {
    if (!e.is_object()) {
      return {};
    }
    api::NodeInterface iface;
    if (e.contains("name") && e["name"].is_string()) {
      iface.name = e["name"].get<std::string>();
    }
    if (e.contains("addresses") && e["addresses"].is_array()) {
      for (const Json& a : e["addresses"]) {
        if (a.is_string() && net::IpAddr::parse(a.get<std::string>())) {
          iface.addresses.push_back(a.get<std::string>());
        }
      }
    }
    out.push_back(std::move(iface));
  }
  return out;
}

void set_or_erase(Json& annotations, std::string_view key, const std::string& value) {
  if (!value.empty()) {
    annotations[std::string(key)] = value;
  } else {
    annotations.erase(std::string(key));
  }
}

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

std::string service_account_profile_name(std::string ns, const std::string& sa) {
  if (ns.empty()) {
    ns = "default";
  }
  return std::string(kServiceAccountProfilePrefix) + ns + "." + sa;
}

api::Rule allow_rule() {
  api::Rule rule;
  rule.action = "Allow";
  return rule;
}

}  // namespace

// ---- Node ----

Result<Object, StoreError> node_from_k8s(const Json& k8s_node) {
  FieldReader r("Node");
  auto id = read_identity(r, k8s_node, "Node", false);
  if (!id) {
    return fail(id.error());
  }
  const Json* meta = id->meta;
  const std::string& name = id->name;
  const StringMap k8s_labels = r.string_map_at(*meta, "labels", "metadata.labels");
  const StringMap annotations = r.string_map_at(*meta, "annotations", "metadata.annotations");

  api::Node node;
  node.metadata.name = name;
  node.metadata.uid = id->uid;  // unchanged (SetCalicoMetadataFromK8sAnnotations)
  node.metadata.creation_timestamp = id->creation_timestamp;

  // SetCalicoMetadataFromK8sAnnotations, then mergeCalicoAndK8sLabels (Kubernetes wins).
  if (auto it = annotations.find(std::string(kCalicoLabelsAnnotation)); it != annotations.end()) {
    if (auto m = parse_string_map(it->second)) {
      node.metadata.labels = std::move(*m);
    }
  }
  if (auto it = annotations.find(std::string(kCalicoAnnotationsAnnotation));
      it != annotations.end()) {
    if (auto m = parse_string_map(it->second)) {
      node.metadata.annotations = std::move(*m);
    }
  }
  for (const auto& [k, v] : k8s_labels) {
    node.metadata.labels[k] = v;
  }
  node.metadata.annotations[std::string(kNodeKubeLabelsAnnotation)] =
      dump(string_map_json(k8s_labels));

  api::NodeBGPSpec bgp;
  bgp.ipv4_address = checked_annotation(annotations, kNodeIPv4AddressAnnotation, is_cidr_v4);
  bgp.ipv6_address = checked_annotation(annotations, kNodeIPv6AddressAnnotation, is_cidr_v6);
  bgp.route_reflector_cluster_id =
      checked_annotation(annotations, kNodeRouteReflectorClusterIDAnnotation, is_network_v4);
  bgp.ipv4_ipip_tunnel_addr =
      checked_annotation(annotations, kNodeIPv4IPIPTunnelAddrAnnotation, is_network_v4);
  if (auto it = annotations.find(std::string(kNodeASNumberAnnotation)); it != annotations.end()) {
    // numorstring.ASNumberFromString: decimal or asdot; a bad value is ignored.
    if (auto asn = api::ASNumber::parse(it->second)) {
      bgp.as_number = api::ASNumber(asn->value());
    }
  }
  if (bgp != api::NodeBGPSpec{}) {
    node.spec.bgp = bgp;
  }
  api::NodeWireguardSpec wg;
  wg.interface_ipv4_address =
      checked_annotation(annotations, kNodeWireguardIPv4AddrAnnotation, is_network_v4);
  wg.interface_ipv6_address =
      checked_annotation(annotations, kNodeWireguardIPv6AddrAnnotation, is_network_v6);
  if (wg != api::NodeWireguardSpec{}) {
    node.spec.wireguard = wg;
  }
  node.spec.ipv4_vxlan_tunnel_addr =
      checked_annotation(annotations, kNodeIPv4VXLANTunnelAddrAnnotation, is_network_v4);
  node.spec.vxlan_tunnel_mac_addr =
      checked_annotation(annotations, kNodeVXLANTunnelMACAddrAnnotation, is_mac);
  node.spec.ipv6_vxlan_tunnel_addr =
      checked_annotation(annotations, kNodeIPv6VXLANTunnelAddrAnnotation, is_network_v6);
  node.spec.vxlan_tunnel_mac_addr_v6 =
      checked_annotation(annotations, kNodeVXLANTunnelMACAddrV6Annotation, is_mac);
  node.spec.orch_refs = {api::OrchRef{name, std::string(kOrchestratorK8s)}};
  node.status.wireguard_public_key = value_or_empty(annotations, kNodeWireguardPublicKeyAnnotation);
  node.status.wireguard_public_key_v6 =
      value_or_empty(annotations, kNodeWireguardPublicKeyV6Annotation);

  if (const Json* spec = r.object_at(k8s_node, "spec", "spec")) {
    const Json* cidrs = r.array_at(*spec, "podCIDRs", "spec.podCIDRs");
    if (cidrs != nullptr && !cidrs->empty()) {
      for (std::size_t i = 0; i < cidrs->size(); ++i) {
        const Json& c = (*cidrs)[i];
        if (!c.is_string()) {
          r.add_error("spec.podCIDRs[" + std::to_string(i) + "]",
                      "expected string, got " + api::json_type_name(c));
          continue;
        }
        node.status.pod_cidrs.push_back(c.get<std::string>());
      }
    } else if (auto c = r.string_at(*spec, "podCIDR", "spec.podCIDR"); !c.empty()) {
      node.status.pod_cidrs.push_back(c);
    }
  }

  // fillAllAddresses.
  if (node.spec.bgp) {
    for (const std::string* a : {&node.spec.bgp->ipv4_address, &node.spec.bgp->ipv6_address}) {
      if (!a->empty()) {
        node.spec.addresses.push_back(
            api::NodeAddress{*a, std::string(api::kNodeAddressCalicoNodeIP)});
      }
    }
  }
  if (const Json* status = r.object_at(k8s_node, "status", "status")) {
    if (const Json* addrs = r.array_at(*status, "addresses", "status.addresses")) {
      for (std::size_t i = 0; i < addrs->size(); ++i) {
        const std::string path = "status.addresses[" + std::to_string(i) + "]";
        const std::string type = r.string_at((*addrs)[i], "type", path + ".type");
        const std::string address = r.string_at((*addrs)[i], "address", path + ".address");
        if (type == api::kNodeAddressInternalIP || type == api::kNodeAddressExternalIP) {
          node.spec.addresses.push_back(api::NodeAddress{address, type});
        }
      }
    }
  }
  node.spec.interfaces = node_interfaces(annotations);

  if (!r.ok()) {
    return fail(r.error());
  }
  return make_object(std::move(node), id->revision);
}

Result<Json, StoreError> node_to_k8s(const api::Node& node, Json k8s_node) {
  if (!k8s_node.is_object() || !k8s_node.contains("metadata") ||
      !k8s_node["metadata"].is_object()) {
    return fail(invalid("Node " + node.metadata.name + ": Kubernetes Node without metadata"));
  }
  Json& meta = k8s_node["metadata"];
  const std::string k8s_name =
      meta.contains("name") && meta["name"].is_string() ? meta["name"].get<std::string>() : "";
  if (k8s_name.empty()) {
    return fail(invalid("Node " + node.metadata.name + ": Kubernetes Node without metadata.name"));
  }
  if (!node.metadata.name.empty() && node.metadata.name != k8s_name) {
    return fail(invalid("Node " + node.metadata.name + ": metadata.name differs from the " +
                        "Kubernetes Node's (" + k8s_name + ")"));
  }
  const std::string what = "Node " + k8s_name;

  // restoreCalicoLabels: drop the labels inherited from Kubernetes and the snapshot.
  StringMap labels = node.metadata.labels;
  StringMap annotations = node.metadata.annotations;
  if (auto it = annotations.find(std::string(kNodeKubeLabelsAnnotation)); it != annotations.end()) {
    if (!it->second.empty()) {
      auto k8s_labels = parse_string_map(it->second);
      if (!k8s_labels) {
        return fail(invalid(what + ": annotation " + std::string(kNodeKubeLabelsAnnotation) +
                            ": \"" + it->second + "\" is not a JSON map of strings"));
      }
      for (const auto& [k, v] : *k8s_labels) {
        labels.erase(k);
      }
    }
    annotations.erase(it);
  }

  if (!meta.contains("annotations") || !meta["annotations"].is_object()) {
    meta["annotations"] = Json::object();
  }
  Json& a = meta["annotations"];
  // SetK8sAnnotationsFromCalicoMetadata.
  set_or_erase(a, kCalicoLabelsAnnotation, labels.empty() ? "" : dump(string_map_json(labels)));
  set_or_erase(a, kCalicoAnnotationsAnnotation,
               annotations.empty() ? "" : dump(string_map_json(annotations)));

  set_or_erase(a, kNodeIPv4VXLANTunnelAddrAnnotation, node.spec.ipv4_vxlan_tunnel_addr);
  set_or_erase(a, kNodeVXLANTunnelMACAddrAnnotation, node.spec.vxlan_tunnel_mac_addr);
  set_or_erase(a, kNodeIPv6VXLANTunnelAddrAnnotation, node.spec.ipv6_vxlan_tunnel_addr);
  set_or_erase(a, kNodeVXLANTunnelMACAddrV6Annotation, node.spec.vxlan_tunnel_mac_addr_v6);

  const api::NodeBGPSpec bgp = node.spec.bgp.value_or(api::NodeBGPSpec{});
  set_or_erase(a, kNodeIPv4AddressAnnotation, bgp.ipv4_address);
  set_or_erase(a, kNodeIPv4IPIPTunnelAddrAnnotation, bgp.ipv4_ipip_tunnel_addr);
  set_or_erase(a, kNodeIPv6AddressAnnotation, bgp.ipv6_address);
  // ASNumber.String(): always decimal.
  set_or_erase(a, kNodeASNumberAnnotation,
               bgp.as_number ? std::to_string(bgp.as_number->value()) : std::string());
  set_or_erase(a, kNodeRouteReflectorClusterIDAnnotation, bgp.route_reflector_cluster_id);

  const api::NodeWireguardSpec wg = node.spec.wireguard.value_or(api::NodeWireguardSpec{});
  set_or_erase(a, kNodeWireguardIPv4AddrAnnotation, wg.interface_ipv4_address);
  set_or_erase(a, kNodeWireguardIPv6AddrAnnotation, wg.interface_ipv6_address);
  set_or_erase(a, kNodeWireguardPublicKeyAnnotation, node.status.wireguard_public_key);
  set_or_erase(a, kNodeWireguardPublicKeyV6Annotation, node.status.wireguard_public_key_v6);

  if (!node.spec.interfaces.empty()) {
    Json ifaces = Json::array();
    for (const auto& iface : node.spec.interfaces) {
      Json e = Json::object();  // Go: name and addresses are omitempty
      if (!iface.name.empty()) {
        e["name"] = iface.name;
      }
      if (!iface.addresses.empty()) {
        e["addresses"] = iface.addresses;
      }
      ifaces.push_back(std::move(e));
    }
    a[std::string(kNodeInterfacesAnnotation)] = dump(ifaces);
  } else {
    a.erase(std::string(kNodeInterfacesAnnotation));
  }

  if (!node.metadata.resource_version.empty()) {
    meta["resourceVersion"] = node.metadata.resource_version;
  }
  return k8s_node;
}

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

// ---- Profiles ----

Result<Object, StoreError> profile_from_namespace(const Json& ns) {
  FieldReader r("Namespace");
  auto id = read_identity(r, ns, "Namespace", false);
  if (!id) {
    return fail(id.error());
  }
  const std::string& name = id->name;
  api::Profile p;
  p.metadata.name = std::string(kNamespaceProfilePrefix) + name;
  p.metadata.creation_timestamp = id->creation_timestamp;
  convert_uid(r, id->uid, p.metadata.uid);
  for (const auto& [k, v] : r.string_map_at(*id->meta, "labels", "metadata.labels")) {
    p.spec.labels_to_apply[std::string(kNamespaceLabelPrefix) + k] = v;
  }
  p.spec.labels_to_apply[std::string(kNamespaceLabelPrefix) + std::string(kNameLabel)] = name;
  p.spec.ingress = {allow_rule()};
  p.spec.egress = {allow_rule()};
  if (!r.ok()) {
    return fail(r.error());
  }
  return make_object(std::move(p), id->revision);
}

Result<Object, StoreError> profile_from_service_account(const Json& sa) {
  FieldReader r("ServiceAccount");
  // Calico tolerates a missing namespace here (the profile then says "default").
  auto id = read_identity(r, sa, "ServiceAccount", false);
  if (!id) {
    return fail(id.error());
  }
  const std::string& name = id->name;
  api::Profile p;
  p.metadata.name = service_account_profile_name(id->ns, name);
  p.metadata.creation_timestamp = id->creation_timestamp;
  convert_uid(r, id->uid, p.metadata.uid);
  for (const auto& [k, v] : r.string_map_at(*id->meta, "labels", "metadata.labels")) {
    p.spec.labels_to_apply[std::string(kServiceAccountLabelPrefix) + k] = v;
  }
  p.spec.labels_to_apply[std::string(kServiceAccountLabelPrefix) + std::string(kNameLabel)] = name;
  if (!r.ok()) {
    return fail(r.error());
  }
  return make_object(std::move(p), id->revision);
}

Object default_allow_profile() {
  api::Profile p;
  p.metadata.name = std::string(kDefaultAllowProfileName);
  p.spec.ingress = {allow_rule()};
  p.spec.egress = {allow_rule()};
  return make_object(std::move(p), "1");
}

// ---- Kubernetes NetworkPolicy ----

Result<Object, StoreError> k8s_network_policy_from_k8s(const Json& np) {
  FieldReader r("NetworkPolicy");
  auto id = read_identity(r, np, "NetworkPolicy", true);
  if (!id) {
    return fail(id.error());
  }
  api::Json doc = api::Json::object();
  doc["apiVersion"] = std::string(api::kK8sNetworkingApiVersion);
  doc["kind"] = "NetworkPolicy";
  api::Json m = api::Json::object();
  m["name"] = id->name;
  m["namespace"] = id->ns;
  for (const auto& [k, v] : {std::pair<const char*, const std::string*>{"uid", &id->uid},
                             {"creationTimestamp", &id->creation_timestamp},
                             {"resourceVersion", &id->revision}}) {
    if (!v->empty()) {
      m[k] = *v;
    }
  }
  doc["metadata"] = std::move(m);
  const Json* spec = r.object_at(np, "spec", "spec");
  doc["spec"] = spec != nullptr ? api::Json(*spec) : api::Json::object();
  if (!r.ok()) {
    return fail(r.error());
  }
  auto decoded = api::decode_json(doc);
  if (!decoded) {
    return fail(invalid(r.object() + ": " + decoded.error().to_string_all()));
  }
  return make_object(std::move(*decoded), id->revision);
}

}  // namespace calico::datastore::kdd
