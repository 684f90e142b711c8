// CNI protocol basics shared by the `calico` and `calico-ipam` plugins.
//
// The plugin side of the CNI specification (containernetworking/cni SPEC.md, spec
// versions 0.1.0 to 1.1.0): the CNI_* environment, the network configuration read from
// stdin, VERSION replies, error results and the ADD result in each version's format.
//
// Pure code: nothing here reads the process environment, stdin or files.  The caller
// passes a getenv function and the stdin bytes, and prints the returned JSON.  Every
// function reports bad input as a Result holding an Error with a CNI error code; no
// exception (nlohmann's included) escapes.  Functions are thread-compatible (no state).
#pragma once

#include <array>
#include <compare>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace calico::cni {

// ---- Errors (SPEC.md §5 "Error": codes 0-99 are reserved, 100+ are plugin specific) ----

inline constexpr int kErrIncompatibleVersion = 1;
inline constexpr int kErrUnsupportedField = 2;    // message must name the key and value
inline constexpr int kErrUnknownContainer = 3;    // runtime need not call DEL afterwards
inline constexpr int kErrInvalidEnvironment = 4;  // message names the invalid variables
inline constexpr int kErrIoFailure = 5;
inline constexpr int kErrDecodingFailure = 6;
inline constexpr int kErrInvalidNetworkConfig = 7;
inline constexpr int kErrTryAgainLater = 11;
inline constexpr int kErrPluginNotAvailable = 50;                     // STATUS: cannot service ADD
inline constexpr int kErrPluginNotAvailableLimitedConnectivity = 51;  // STATUS
inline constexpr int kErrInternal = 999;  // libcni's code for unclassified plugin failures

struct Error {
  int code = 0;
  std::string msg;      // short; always names the offending variable, field or value
  std::string details;  // optional longer text

  bool operator==(const Error&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Error& e);

// The error result printed on stdout: {"cniVersion","code","msg","details"}; "details" is
// omitted when empty.  Invalid UTF-8 in the texts is replaced, never thrown on.
std::string error_json(const Error& e, const std::string& cni_version);

// ---- Spec versions ----

inline constexpr std::array<std::string_view, 7> kSupportedVersions = {
    "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
inline constexpr std::string_view kLatestVersion = "1.1.0";
// A network config without "cniVersion" is treated as 0.2.0, as Calico does.
inline constexpr std::string_view kDefaultConfigVersion = "0.2.0";

struct SemVer {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const SemVer&) const = default;
};

// "X", "X.Y" or "X.Y.Z" with decimal parts (libcni's ParseVersion); nullopt otherwise.
std::optional<SemVer> parse_version(std::string_view text);

// True iff both parse and version >= minimum.
bool version_at_least(std::string_view version, std::string_view minimum);

// Ok iff `version` is one of kSupportedVersions (exact string, as libcni's reconciler).
// Otherwise code 1 naming the version and the supported list.
Result<void, Error> check_version(const std::string& version);

// The VERSION reply {"cniVersion": requested, "supportedVersions": [...]}; an empty
// request is answered with kLatestVersion.
std::string version_json(const std::string& requested_version);

// ---- Environment (SPEC.md §2 "Parameters") ----

struct Env {
  std::string command;  // ADD, DEL, CHECK, VERSION, GC or STATUS
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::string path;  // CNI_PATH, unsplit
  // CNI_ARGS "K=V;K2=V2" in order; duplicates are kept (arg() returns the last).
  std::vector<std::pair<std::string, std::string>> args;
};

using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

// Reads CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH and CNI_ARGS through
// `getenv`; an empty value counts as unset.  Required per command:
//   ADD, CHECK: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH
//   DEL:        CNI_COMMAND, CNI_CONTAINERID, CNI_IFNAME
//   VERSION, GC, STATUS: CNI_COMMAND only
// Errors (all code 4): "required env variables [CNI_NETNS,CNI_IFNAME] missing" listing
// every missing one; an unknown command; a required CNI_CONTAINERID or CNI_IFNAME that
// the spec forbids; a CNI_ARGS pair that is not exactly one "K=V" (empty pairs skipped).
Result<Env, Error> parse_env(const GetEnv& getenv);

// The value of CNI_ARGS key `key` (the last one if repeated), or nullopt.
std::optional<std::string> arg(const Env& env, std::string_view key);

// ---- Network configuration (SPEC.md §1, §3 "Deriving request configuration") ----

// One entry of GC's "cni.dev/valid-attachments".
struct Attachment {
  std::string container_id;
  std::string ifname;
  bool operator==(const Attachment&) const = default;
};

struct NetConf {
  std::string cni_version;  // kDefaultConfigVersion when absent; not checked here
  std::string name;         // matches ^[a-zA-Z0-9_.\-]+$
  std::string type;
  nlohmann::json raw;                         // the whole document, for plugin keys
  std::optional<nlohmann::json> prev_result;  // object when present
  nlohmann::json ipam;                        // always an object ({} when absent)
  std::vector<Attachment> valid_attachments;  // GC only
};

// Parses the stdin bytes.  Malformed JSON or a non-object: code 6 with the parser's
// message.  Missing/invalid "name" or "type", or a field of the wrong JSON type: code 7
// naming the field.  JSON null counts as absent (as Go's encoding/json does).
Result<NetConf, Error> parse_netconf(std::string_view bytes);

// ---- Results (SPEC.md §5 "ADD Success") ----

struct Interface {
  std::string name;
  std::string mac;          // omitted when empty
  std::optional<int> mtu;   // 1.x only
  std::string sandbox;      // netns path; empty for host interfaces
  std::string socket_path;  // 1.x only
  std::string pci_id;       // 1.x only
  bool operator==(const Interface&) const = default;
};

struct IpConfig {
  std::string address;  // CIDR with host bits kept, e.g. "10.244.3.66/26"
  std::optional<std::string> gateway;
  std::optional<int> interface;  // index into CniResult::interfaces
  bool operator==(const IpConfig&) const = default;
};

struct Route {
  std::string dst;  // CIDR
  std::optional<std::string> gw;
  std::optional<int> mtu, advmss, priority, table, scope;  // 1.1.0 additions
  bool operator==(const Route&) const = default;
};

struct Dns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool operator==(const Dns&) const = default;
};

struct CniResult {
  std::vector<Interface> interfaces;  // omitted by IPAM plugins
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  Dns dns;
  bool operator==(const CniResult&) const = default;
};

// Formats `r` for `cni_version` (which the caller has checked):
//   1.x:         interfaces / ips {address, gateway, interface} / routes / dns
//   0.3.x, 0.4.0: as 1.x plus "version": "4"|"6" on each ip; no interface mtu,
//                 socketPath or pciID
//   0.1.0, 0.2.0: {"ip4": {ip, gateway, routes}, "ip6": {...}, "dns"} with the first
//                 address of each family and the routes of that family (libcni's
//                 conversion); interfaces and further addresses are dropped.
// Empty lists and optional fields are omitted; "dns" is always present (as libcni).
// An unparseable version is formatted as 1.x.
std::string result_json(const CniResult& r, const std::string& cni_version);

// Reads a result in any of the formats above (e.g. a prevResult or an IPAM plugin's
// output).  The format follows "cniVersion", or the shape when that is missing.
// Addresses, gateways and routes are validated; errors are code 6 naming the field.
Result<CniResult, Error> parse_result(const nlohmann::json& j);
// Same, from bytes (an IPAM plugin's stdout).
Result<CniResult, Error> parse_result_text(std::string_view bytes);

// ---- The shared front and back of a plugin run -----------------------------------------

// What one plugin run prints on stdout and exits with.
struct PluginOutput {
  std::string stdout_text;  // result, VERSION reply or error JSON; empty for DEL/GC/CHECK
  int exit_code = 0;        // 0 success, 1 error (libcni's skel)
};

// The error JSON for `e` in the config's version, exit code 1.
PluginOutput error_output(const Error& e, const std::string& version);

// Refuses `command` (code 1, incompatible version) when the config's cniVersion is older
// than `minimum`: CHECK needs 0.4.0, GC and STATUS 1.1.0.
Result<void, Error> require_version(const NetConf& conf, const std::string& command,
                                    std::string_view minimum);

// What every plugin run starts with, as libcni's skel: the CNI_* environment; VERSION
// answered (from the stdin's cniVersion, the latest when unreadable); the network config
// parsed and its cniVersion checked.  Either the parsed invocation, or the whole output
// to print (the VERSION reply, or the error).
struct PluginInvocation {
  Env env;
  NetConf conf;
};
std::variant<PluginInvocation, PluginOutput> begin_plugin_run(std::string_view stdin_bytes,
                                                              const GetEnv& getenv);

// CHECK's input: cniVersion 0.4.0 or later and a prevResult, parsed.
Result<CniResult, Error> check_prev_result(const NetConf& conf);

}  // namespace calico::cni
