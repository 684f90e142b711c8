#include "calicoctl/commands/printer.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>

#include "api/document.h"
#include "api/yaml.h"

namespace calico::calicoctl {
namespace {

using Json = api::Json;
using Getter = std::function<std::string(const Json& obj, const std::string& default_asn)>;

struct Column {
  std::string heading;
  Getter get;
};

struct KindColumns {
  std::vector<std::string> ps;
  std::vector<std::string> wide;
  std::vector<Column> columns;  // every heading the kind knows, NAMESPACE included if namespaced
};

const Json* at(const Json& obj, const char* pointer) {
  const Json::json_pointer p(pointer);
  return obj.contains(p) ? &obj.at(p) : nullptr;
}

// Go's %v of a float64 (shortest representation, no trailing ".0").
std::string go_number(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    return v.dump();
  }
  const double d = v.get<double>();
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, res.ptr);
}

std::string go_value(const Json* v, const std::string& if_absent) {
  if (v == nullptr || v->is_null()) {
    return if_absent;
  }
  if (v->is_string()) {
    return v->get<std::string>();
  }
  if (v->is_boolean()) {
    return v->get<bool>() ? "true" : "false";
  }
  if (v->is_number()) {
    return go_number(*v);
  }
  return v->dump();
}

// Field with Go's zero value when absent ("" for strings, "false" for bools, ...).
Getter field(const char* pointer, std::string zero = "") {
  return
      [pointer, zero](const Json& o, const std::string&) { return go_value(at(o, pointer), zero); };
}

// {{if .X}}{{.X}}{{else}}DEFAULT{{end}}
Getter field_or(const char* pointer, std::string otherwise) {
  return [pointer, otherwise](const Json& o, const std::string&) {
    const Json* v = at(o, pointer);
    if (v == nullptr || v->is_null() || (v->is_string() && v->get<std::string>().empty())) {
      return otherwise;
    }
    return go_value(v, otherwise);
  };
}

// {{join .X ","}} and {{joinAndTruncate .X "," max}}.
Getter joined(const char* pointer, std::size_t max_len = 0) {
  return [pointer, max_len](const Json& o, const std::string&) {
    const Json* v = at(o, pointer);
    std::string out;
    if (v == nullptr || v->is_null()) {
      return out;
    }
    std::vector<std::string> parts;
    if (v->is_object()) {
      for (const auto& [k, val] : v->items()) {
        parts.push_back(k + "=" + go_value(&val, ""));
      }
      std::sort(parts.begin(), parts.end());
    } else if (v->is_array()) {
      for (const auto& val : *v) {
        parts.push_back(go_value(&val, ""));
      }
    } else {
      parts.push_back(go_value(v, ""));
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      out += (i > 0 ? "," : "") + parts[i];
      if (max_len > 0 && out.size() > max_len) {
        out = out.substr(0, max_len - 3) + "...";
        break;
      }
    }
    return out;
  };
}

Getter count(const char* pointer) {
  return [pointer](const Json& o, const std::string&) {
    const Json* v = at(o, pointer);
    return std::to_string(v != nullptr && v->is_array() ? v->size() : 0);
  };
}

const Column kName{"NAME", field("/metadata/name")};
const Column kNamespace{"NAMESPACE", field("/metadata/namespace")};

std::vector<std::string> cols(std::initializer_list<const char*> names) {
  return {names.begin(), names.end()};
}

KindColumns policy_columns(bool namespaced) {
  KindColumns k{cols({"NAME", "TIER"}),
                cols({"NAME", "TIER", "ORDER", "SELECTOR"}),
                {kName,
                 {"ORDER", field("/spec/order", "<nil>")},
                 {"SELECTOR", field("/spec/selector")},
                 {"TIER", field("/spec/tier")}}};
  if (namespaced) {
    k.columns.push_back(kNamespace);
  }
  return k;
}

KindColumns columns_for(api::Kind kind) {
  using api::Kind;
  switch (kind) {
    case Kind::IPPool:
      return {cols({"NAME", "CIDR", "SELECTOR"}),
              cols({"NAME", "CIDR", "NAT", "IPIPMODE", "VXLANMODE", "DISABLED", "DISABLEBGPEXPORT",
                    "SELECTOR", "ASSIGNMENTMODE"}),
              {kName,
               {"CIDR", field("/spec/cidr")},
               {"NAT", field("/spec/natOutgoing", "false")},
               {"IPIPMODE", field_or("/spec/ipipMode", "Never")},
               {"VXLANMODE", field_or("/spec/vxlanMode", "Never")},
               {"DISABLED", field("/spec/disabled", "false")},
               {"DISABLEBGPEXPORT", field("/spec/disableBGPExport", "false")},
               {"SELECTOR", field("/spec/nodeSelector")},
               {"ASSIGNMENTMODE", field("/spec/assignmentMode")}}};
    case Kind::BGPPeer:
      return {cols({"NAME", "PEERIP", "NODE", "ASN"}),
              cols({"NAME", "PEERIP", "NODE", "ASN"}),
              {kName,
               {"PEERIP", field("/spec/peerIP")},
               {"NODE",
                [](const Json& o, const std::string&) {
                  const std::string node = go_value(at(o, "/spec/node"), "");
                  const std::string sel = go_value(at(o, "/spec/nodeSelector"), "");
                  return !node.empty() ? node : (!sel.empty() ? sel : std::string("(global)"));
                }},
               {"ASN", field("/spec/asNumber", "0")}}};
    case Kind::BGPConfiguration:
      return {cols({"NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"}),
              cols({"NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"}),
              {kName,
               {"LOGSEVERITY", field("/spec/logSeverityScreen")},
               {"MESHENABLED", field_or("/spec/nodeToNodeMeshEnabled", "-")},
               {"ASNUMBER", field_or("/spec/asNumber", "-")}}};
    case Kind::BGPFilter:
      return {cols({"NAME", "NUMEXPORTV4", "NUMIMPORTV4", "NUMEXPORTV6", "NUMIMPORTV6"}),
              cols({"NAME", "NUMEXPORTV4", "NUMIMPORTV4", "NUMEXPORTV6", "NUMIMPORTV6"}),
              {kName,
               {"NUMEXPORTV4", count("/spec/exportV4")},
               {"NUMIMPORTV4", count("/spec/importV4")},
               {"NUMEXPORTV6", count("/spec/exportV6")},
               {"NUMIMPORTV6", count("/spec/importV6")}}};
    case Kind::ClusterInformation:
      return {cols({"NAME", "CLUSTERGUID", "CLUSTERTYPE", "CALICOVERSION", "DATASTOREREADY"}),
              cols({"NAME", "CLUSTERGUID", "CLUSTERTYPE", "CALICOVERSION", "DATASTOREREADY"}),
              {kName,
               {"CLUSTERGUID", field("/spec/clusterGUID")},
               {"CLUSTERTYPE", field("/spec/clusterType")},
               {"CALICOVERSION", field("/spec/calicoVersion")},
               {"DATASTOREREADY", field("/spec/datastoreReady", "<nil>")}}};
    case Kind::GlobalNetworkPolicy:
      return policy_columns(false);
    case Kind::NetworkPolicy:
      return policy_columns(true);
    case Kind::GlobalNetworkSet:
      return {cols({"NAME"}), cols({"NAME", "NETS"}), {kName, {"NETS", joined("/spec/nets", 80)}}};
    case Kind::NetworkSet:
      return {cols({"NAME"}),
              cols({"NAME", "NETS"}),
              {kName, kNamespace, {"NETS", joined("/spec/nets", 80)}}};
    case Kind::HostEndpoint:
      return {cols({"NAME", "NODE"}),
              cols({"NAME", "NODE", "INTERFACE", "IPS", "PROFILES"}),
              {kName,
               {"NODE", field("/spec/node")},
               {"INTERFACE", field("/spec/interfaceName")},
               {"IPS", joined("/spec/expectedIPs")},
               {"PROFILES", joined("/spec/profiles")}}};
    case Kind::IPReservation:
      return {cols({"NAME"}),
              cols({"NAME", "CIDRS"}),
              {kName, {"CIDRS", joined("/spec/reservedCIDRs", 80)}}};
    case Kind::IPAMConfiguration:
      return {cols({"NAME", "STRICTAFFINITY", "AUTOALLOCATEBLOCKS"}),
              cols({"NAME", "STRICTAFFINITY", "AUTOALLOCATEBLOCKS", "MAXBLOCKSPERHOST"}),
              {kName,
               {"STRICTAFFINITY", field("/spec/strictAffinity", "false")},
               {"AUTOALLOCATEBLOCKS", field("/spec/autoAllocateBlocks", "false")},
               {"MAXBLOCKSPERHOST", field("/spec/maxBlocksPerHost", "0")}}};
    case Kind::Node:
      return {cols({"NAME"}),
              cols({"NAME", "ASN", "IPV4", "IPV6"}),
              {kName,
               {"ASN",
                [](const Json& o, const std::string& default_asn) {
                  const Json* bgp = at(o, "/spec/bgp");
                  if (bgp == nullptr || bgp->is_null()) {
                    return std::string();
                  }
                  const std::string asn = go_value(at(o, "/spec/bgp/asNumber"), "");
                  return asn.empty() ? "(" + default_asn + ")" : asn;
                }},
               {"IPV4", field("/spec/bgp/ipv4Address")},
               {"IPV6", field("/spec/bgp/ipv6Address")}}};
    case Kind::Profile:
      return {cols({"NAME"}),
              cols({"NAME", "LABELS"}),
              {kName, {"LABELS", joined("/spec/labelsToApply")}}};
    case Kind::Tier:
      return {cols({"NAME", "ORDER"}),
              cols({"NAME", "ORDER"}),
              {kName, {"ORDER", field("/spec/order", "<nil>")}}};
    case Kind::WorkloadEndpoint:
      return {cols({"WORKLOAD", "NODE", "NETWORKS", "INTERFACE"}),
              cols({"NAME", "WORKLOAD", "NODE", "NETWORKS", "INTERFACE", "PROFILES", "NATS"}),
              {kName,
               kNamespace,
               {"NODE", field("/spec/node")},
               {"ORCHESTRATOR", field("/spec/orchestrator")},
               {"WORKLOAD",
                [](const Json& o, const std::string&) {
                  const std::string w = go_value(at(o, "/spec/workload"), "");
                  return w.empty() ? go_value(at(o, "/spec/pod"), "") : w;
                }},
               {"NETWORKS", joined("/spec/ipNetworks")},
               {"NATS", joined("/spec/ipNATs")},
               {"PROFILES", joined("/spec/profiles")},
               {"INTERFACE", field("/spec/interfaceName")}}};
    case Kind::BlockAffinity:
      return {cols({"NAME", "NODE", "CIDR", "STATE"}),
              cols({"NAME", "NODE", "CIDR", "STATE"}),
              {kName,
               {"NODE", field("/spec/node")},
               {"CIDR", field("/spec/cidr")},
               {"STATE", field("/spec/state")}}};
    case Kind::IPAMBlock:
      return {cols({"NAME", "CIDR", "AFFINITY"}),
              cols({"NAME", "CIDR", "AFFINITY"}),
              {kName, {"CIDR", field("/spec/cidr")}, {"AFFINITY", field("/spec/affinity")}}};
    case Kind::IPAMHandle:
      return {cols({"NAME", "HANDLEID"}),
              cols({"NAME", "HANDLEID"}),
              {kName, {"HANDLEID", field("/spec/handleID")}}};
    case Kind::FelixConfiguration:
    case Kind::KubernetesNetworkPolicy:
      break;
  }
  return {cols({"NAME"}), cols({"NAME"}), {kName}};
}

// Go's text/tabwriter with minwidth 5, tabwidth 1, padding 3, flags 0, every cell
// tab-terminated.
std::string tabwrite(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& r : rows) {
    widths.resize(std::max(widths.size(), r.size()), 5);
    for (std::size_t c = 0; c < r.size(); ++c) {
      widths[c] = std::max(widths[c], r[c].size() + 3);
    }
  }
  std::string out;
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < r.size(); ++c) {
      out += r[c] + std::string(widths[c] - r[c].size(), ' ');
    }
    out += "\n";
  }
  return out;
}

Result<std::string, std::string> render_table_output(const PrintRequest& req,
                                                     std::vector<std::string> headings,
                                                     bool print_namespace) {
  const KindColumns kc = columns_for(req.kind);
  auto find = [&](const std::string& h) -> const Column* {
    for (const auto& c : kc.columns) {
      if (c.heading == h) {
        return &c;
      }
    }
    return nullptr;
  };
  if (print_namespace && find("NAMESPACE") != nullptr) {
    headings.insert(headings.begin(), "NAMESPACE");
  }
  std::vector<const Column*> chosen;
  for (const auto& h : headings) {
    const Column* c = find(h);
    if (c == nullptr) {
      std::vector<std::string> valid;
      for (const auto& col : kc.columns) {
        valid.push_back(col.heading);
      }
      std::sort(valid.begin(), valid.end());
      std::string list;
      for (const auto& v : valid) {
        list += (list.empty() ? "" : ", ") + v;
      }
      return fail("unknown heading " + h + ", valid values are: " + list);
    }
    chosen.push_back(c);
  }
  auto row_of = [&](const datastore::Object& o) {
    const Json j = api::encode_json(o.value);
    std::vector<std::string> row;
    for (const Column* c : chosen) {
      row.push_back(c->get(j, req.default_asn));
    }
    return row;
  };
  std::string out;
  if (req.by_name) {
    for (const auto& o : req.items) {
      out += tabwrite({headings, row_of(o)}) + "\n";
    }
    return out;
  }
  std::vector<std::vector<std::string>> rows{headings};
  for (const auto& o : req.items) {
    rows.push_back(row_of(o));
  }
  return tabwrite(rows) + "\n";
}

}  // namespace

std::vector<std::string> table_headings(api::Kind kind, bool wide) {
  const auto kc = columns_for(kind);
  return wide ? kc.wide : kc.ps;
}

bool valid_output(const std::string& output) {
  return output == "ps" || output == "wide" || output == "yaml" || output == "yml" ||
         output == "json" || output == "name" || output.rfind("custom-columns=", 0) == 0;
}

bool needs_default_asn(const PrintRequest& req) {
  if (req.kind != api::Kind::Node) {
    return false;
  }
  if (req.output == "wide") {
    return true;
  }
  return req.output.rfind("custom-columns=", 0) == 0 && req.output.find("ASN") != std::string::npos;
}

Result<std::string, std::string> render_get(const PrintRequest& req) {
  const std::string& o = req.output;
  if (o == "yaml" || o == "yml" || o == "json") {
    Json doc;
    if (req.by_name && req.items.size() == 1) {
      doc = api::encode_json(req.items[0].value);
    } else if (req.by_name) {
      doc = Json::array();
      for (const auto& item : req.items) {
        doc.push_back(api::encode_json(item.value));
      }
    } else {
      doc = Json::object();
      doc["apiVersion"] = std::string(api::kCalicoApiVersion);
      doc["items"] = Json::array();
      for (const auto& item : req.items) {
        doc["items"].push_back(api::encode_json(item.value));
      }
      doc["kind"] = std::string(api::info(req.kind).name) + "List";
      doc["metadata"] = Json::object();
      if (!req.list_revision.empty()) {
        doc["metadata"]["resourceVersion"] = req.list_revision;
      }
    }
    return o == "json" ? api::safe_dump(doc, 2) + "\n" : api::json_to_yaml(doc);
  }
  if (o == "name") {
    std::string out;
    for (const auto& item : req.items) {
      out += item.key.name + "\n";
    }
    return out;
  }
  if (o == "ps" || o == "wide") {
    return render_table_output(req, table_headings(req.kind, o == "wide"), req.print_namespace);
  }
  if (o.rfind("custom-columns=", 0) == 0) {
    std::vector<std::string> headings;
    std::string rest = o.substr(std::string("custom-columns=").size());
    if (rest.empty()) {
      return fail(std::string("need to specify at least one column"));
    }
    std::size_t start = 0;
    while (start <= rest.size()) {
      const auto comma = rest.find(',', start);
      headings.push_back(
          rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
    return render_table_output(req, headings, /*print_namespace=*/false);
  }
  return fail("unrecognized output format '" + o + "'");
}

}  // namespace calico::calicoctl
