// Object names of the IPAM storage kinds, as Calico derives them
// (libcalico-go/lib/names): pure string functions.
//
//   block_name("10.244.3.64/26")         == "10-244-3-64-26"
//   block_name("fd00:10:244::c0/122")    == "fd00-10-244--c0-122"
//   block_cidr_from_name(...)            inverts block_name (unambiguous for block names)
//   affinity_name("worker-1", "10.244.3.64/26") == "worker-1-10-244-3-64-26"
//     (>= 253 characters: host truncated, then "-<11 hex of SHA-256("<host>+<mangled>")>")
//   handle_name("K8s-Pod-Network.ABC")   == "k8s-pod-network.abc"
#pragma once

#include <optional>
#include <string>

namespace calico::api {

std::string block_name(const std::string& cidr);
std::optional<std::string> block_cidr_from_name(const std::string& name);
std::string affinity_name(const std::string& host, const std::string& cidr);
std::string handle_name(const std::string& handle_id);
// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(const std::string& data);

}  // namespace calico::api
