// BGPFilter: validation of the four rule lists (no defaults).
#include "api/validation.h"
#include "common/net/ip.h"

namespace calico::api {
namespace {

std::string at(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void check_operation(Checker& c, const std::string& path, const BGPFilterOperation& op) {
  const int set =
      (op.add_community ? 1 : 0) + (op.prepend_as_path ? 1 : 0) + (op.set_priority ? 1 : 0);
  if (set != 1) {
    c.add(path, "exactly one of addCommunity, prependASPath and setPriority must be set");
  }
  if (op.add_community) {
    if (!op.add_community->value) {
      c.add(path + ".addCommunity.value", "is required");
    } else {
      c.community(path + ".addCommunity.value", *op.add_community->value);
    }
  }
  if (op.prepend_as_path &&
      (op.prepend_as_path->prefix.empty() || op.prepend_as_path->prefix.size() > 10)) {
    c.add(path + ".prependASPath.prefix", "must list 1-10 AS numbers");
  }
  if (op.set_priority) {
    if (!op.set_priority->value) {
      c.add(path + ".setPriority.value", "is required");
    } else {
      c.in_range(path + ".setPriority.value", *op.set_priority->value, 1, 2147483646);
    }
  }
}

void check_rule(Checker& c, const std::string& path, const BGPFilterRule& r, int version) {
  const int max_len = version == 4 ? 32 : 128;
  if (c.required(path + ".action", r.action)) {
    c.one_of(path + ".action", r.action, {"Accept", "Reject"});
  }
  c.cidr_of_version(path + ".cidr", r.cidr, version);
  if (r.cidr.empty() != r.match_operator.empty()) {
    c.add(path + ".matchOperator", "cidr and matchOperator must both be set or both be empty");
  }
  c.one_of(path + ".matchOperator", r.match_operator, {"Equal", "NotEqual", "In", "NotIn"});
  if (r.prefix_length) {
    if (r.cidr.empty()) {
      c.add(path + ".prefixLength", "cidr is required when prefixLength is set");
    }
    const auto& pl = *r.prefix_length;
    if (pl.min) {
      c.in_range(path + ".prefixLength.min", *pl.min, 0, max_len);
    }
    if (pl.max) {
      c.in_range(path + ".prefixLength.max", *pl.max, 0, max_len);
    }
    if (pl.min && pl.max && *pl.min > *pl.max) {
      c.add(path + ".prefixLength", "min must not be greater than max");
    }
    const auto cidr = net::Cidr::parse(r.cidr);
    if (cidr && pl.min && *pl.min < cidr->prefix_len()) {
      c.add(path + ".prefixLength.min",
            "must be at least the CIDR's prefix length " + std::to_string(cidr->prefix_len()));
    }
  }
  c.one_of(path + ".source", r.source, {"RemotePeers"});
  c.interface_name(path + ".interface", r.interface, true);
  c.one_of(path + ".peerType", r.peer_type, {"eBGP", "iBGP"});
  if (r.communities) {
    if (r.communities->values.size() != 1) {
      c.add(path + ".communities.values", "must contain exactly one community");
    }
    for (std::size_t i = 0; i < r.communities->values.size(); ++i) {
      c.community(at(path + ".communities.values", i), r.communities->values[i]);
    }
  }
  if (r.priority) {
    c.in_range(path + ".priority", *r.priority, 1, 2147483646);
  }
  if (r.operations.size() > 10) {
    c.add(path + ".operations", "at most 10 operations are allowed");
  }
  if (!r.operations.empty() && r.action != "Accept") {
    c.add(path + ".operations", "operations may only be used with action Accept");
  }
  for (std::size_t i = 0; i < r.operations.size(); ++i) {
    check_operation(c, at(path + ".operations", i), r.operations[i]);
  }
}

void check_rules(Checker& c, const std::string& path, const std::vector<BGPFilterRule>& rules,
                 int version) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    check_rule(c, at(path, i), rules[i], version);
  }
}

}  // namespace

void apply_defaults_to(BGPFilter& /*r*/) {}

void validate_into(const BGPFilter& r, std::vector<FieldError>& errs) {
  validate_metadata(BGPFilter::kKind, r.metadata, errs);
  Checker c(errs);
  check_rules(c, "spec.exportV4", r.spec.export_v4, 4);
  check_rules(c, "spec.importV4", r.spec.import_v4, 4);
  check_rules(c, "spec.exportV6", r.spec.export_v6, 6);
  check_rules(c, "spec.importV6", r.spec.import_v6, 6);
}

}  // namespace calico::api
