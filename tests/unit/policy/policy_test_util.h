// Helpers shared by the policy unit tests: decoding resources from YAML, and building
// endpoints and packets tersely.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/document.h"
#include "policy/convert.h"
#include "policy/evaluate.h"
#include "policy/model.h"

namespace calico::policy::testing {

inline net::IpAddr ip(const char* s) {
  return *net::IpAddr::parse(s);
}
inline net::Cidr cidr(const char* s) {
  return *net::Cidr::parse(s);
}

// The single resource in `yaml`, decoded and defaulted (not validated: tests may feed
// shapes validation would reject).
inline api::AnyResource resource(const std::string& yaml) {
  auto docs = api::decode_yaml(yaml);
  EXPECT_TRUE(docs) << (docs ? "" : docs.error().to_string());
  if (!docs || docs->size() != 1) {
    ADD_FAILURE() << "expected exactly one document in:\n" << yaml;
    return api::AnyResource{};
  }
  api::AnyResource r = docs->front();
  api::apply_defaults(r);
  return r;
}

template <class T>
T decode(const std::string& yaml) {
  auto r = resource(yaml);
  const T* t = std::get_if<T>(&r);
  EXPECT_NE(t, nullptr) << "wrong kind for:\n" << yaml;
  return t != nullptr ? *t : T{};
}

// Converts and adds every document of `yaml` to `set`; fails the test on error.
inline void add_yaml(PolicySet& set, const std::string& yaml) {
  auto docs = api::decode_yaml(yaml);
  ASSERT_TRUE(docs) << docs.error().to_string();
  for (auto& r : *docs) {
    api::apply_defaults(r);
    auto added = add_resource(set, r);
    ASSERT_TRUE(added) << added.error().to_string();
  }
}

// A Kubernetes pod endpoint with the kns./ksa. profiles of its namespace, added to `set`
// together with those profiles (once).
inline Endpoint& add_pod(PolicySet& set, const std::string& ns, const std::string& name,
                         const char* addr, Labels labels, const std::string& sa = "default") {
  if (set.find_profile(namespace_profile_name(ns)) == nullptr) {
    set.profiles.push_back(namespace_profile(ns, {{"name", ns}}));
  }
  if (set.find_profile(service_account_profile_name(ns, sa)) == nullptr) {
    set.profiles.push_back(service_account_profile(ns, sa, {}));
  }
  Endpoint ep;
  ep.ns = ns;
  ep.name = name;
  ep.labels = std::move(labels);
  ep.addrs = {ip(addr)};
  ep.service_account = sa;
  ep.profiles = {namespace_profile_name(ns), service_account_profile_name(ns, sa)};
  set.endpoints.push_back(std::move(ep));
  return set.endpoints.back();
}

// A packet between two endpoints of `set` (their first addresses).
inline Packet between(const PolicySet& set, const EndpointKey& from, const EndpointKey& to,
                      std::uint8_t protocol = kProtoTcp, std::uint16_t dst_port = 80) {
  Packet p;
  p.src = set.find_endpoint(from)->addrs.front();
  p.dst = set.find_endpoint(to)->addrs.front();
  p.src_endpoint = from;
  p.dst_endpoint = to;
  p.protocol = protocol;
  p.src_port = 40000;
  p.dst_port = dst_port;
  return p;
}

}  // namespace calico::policy::testing
