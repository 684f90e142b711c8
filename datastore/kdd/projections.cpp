// Native Kubernetes objects -> projectcalico.org/v3 values (see projections.h): Node,
// profiles, Kubernetes NetworkPolicy, and the shared helpers; pods are in projections_pod.cpp.
#include "datastore/kdd/projections.h"

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "api/document.h"
#include "common/net/ip.h"
#include "datastore/kdd/crd_codec.h"
#include "datastore/kdd/projection_support.h"

namespace calico::datastore::kdd {
namespace detail {

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

}  // namespace detail

using namespace detail;

namespace {

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
