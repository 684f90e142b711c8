// Helpers for the felix unit tests: resources from YAML text.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "api/document.h"
#include "api/resources.h"

namespace calico::felix::test {

template <class T>
T from_yaml(const std::string& text) {
  auto docs = api::decode_yaml(text, "test");
  EXPECT_TRUE(docs) << (docs ? "" : docs.error().to_string());
  if (!docs || docs->size() != 1 || !std::holds_alternative<T>(docs->front())) {
    ADD_FAILURE() << "expected one document of the requested kind in:\n" << text;
    return T{};
  }
  return std::get<T>(docs->front());
}

inline api::Node node(const std::string& name, const std::string& v4, const std::string& extra = "",
                      const std::string& labels = "") {
  std::string y = "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: " + name + "\n";
  if (!labels.empty()) {
    y += "  labels: {" + labels + "}\n";
  }
  y += "spec:\n  bgp:\n";
  if (!v4.empty()) {
    y += "    ipv4Address: " + v4 + "\n";
  }
  y += extra;
  return from_yaml<api::Node>(y);
}

}  // namespace calico::felix::test
