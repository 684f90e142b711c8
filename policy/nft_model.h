// The nftables value model: what we program into ONE table of ours (family inet), the
// desired-state plan, the minimal transaction between two plans, and its nft text.
//
// Pure code: no libnftnl, no sockets.  netlink/nft_committer serializes an NftBatch into
// one netlink transaction; policy/compile builds NftPlans.  Layout (research doc 4.8):
//   - base chains (hook, type, priority, policy) and regular chains, each a list of rules;
//   - named sets: single-field (ipv4_addr / ipv6_addr with the interval flag for CIDRs,
//     inet_service, inet_proto, ifname) or concatenations (ipv4_addr . inet_proto .
//     inet_service for named ports);
//   - verdict maps keyed by ifname for O(1) dispatch (`iifname vmap @m`, elements
//     `"cali1" : goto tw-cali1`).
//
// Values.  Every key field holds the bytes the kernel compares (addresses and ports in
// network byte order, interface names NUL-padded to 16 bytes), as an inclusive range
// lo..hi; lo == hi is a single value.  A CIDR is the range of its addresses, "cali*" is
// the range "cali\0..." to "cali\xff...".  Interval sets are canonicalized before they
// are compared or programmed: overlapping and adjacent ranges of a single-field interval
// set are merged (the kernel refuses overlapping intervals and reports merged ones), so
// a pod IP inside a NetworkSet CIDR is simply absorbed.
//
// Rules.  A rule is a list of matches (all must hold), then fixed-order statements
// (counter, log, mark set), then a terminal: a verdict or an ifname vmap dispatch.
// Matches: `field [. field...] [!=] value | { values } | @set`, ct state, masked mark.
// Fields that need a protocol context get it implicitly like nft does (ip saddr in an
// inet table only matches IPv4 packets, icmp type only ICMP); th sport/dport must follow
// an l4proto match (or sit in the same concatenation as meta l4proto), see validate().
//
// Rule identity.  Each rule carries a fingerprint: a 64-bit FNV-1a hash of its canonical
// text, stored in the kernel as the rule comment "cal:<16 hex>[ <comment>]" (felix's
// "cali:<hash>" idea).  Reading a table back yields rules that are only (handle,
// fingerprint): enough for diff() to decide which chains changed.
//
// Transactions.  diff(have, want) emits the smallest batch in felix's order (4.8):
// create the table if absent; new sets and maps; element deletions; new and changed
// base chains, new regular chains; changed chains flushed and re-added wholesale;
// element additions; chains no longer wanted (flushed, then deleted, with unwanted maps
// deleted in between because map elements pin chains); unwanted sets last.  If a set's
// or map's declaration changed, or a base chain's hook/type/priority, the batch rebuilds
// the table instead ("add table; delete table; add table; everything"), still atomic.
//
// Text.  to_nft_text() prints a plan as an `nft -f` file and a batch as nft commands,
// deterministically (names sorted).  Names must be identifiers ([A-Za-z_.][A-Za-z0-9_./-]*,
// validate()); nft's lexer also reserves keywords ("fwd", "input", ...), so give chains
// and sets a prefix with a '-' ("filter-FORWARD") to keep the text loadable.
//
// Plain value types, no shared state: safe to use from any thread.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/net/ip.h"
#include "common/result.h"

namespace calico::policy {

// ---------------------------------------------------------------------------------------
// Values and key types

// The data type of one key field.  The first five may be set/map key types; the ICMP ones
// only appear in literal matches.
enum class NftType : std::uint8_t {
  Ipv4Addr,
  Ipv6Addr,
  InetProto,
  InetService,
  Ifname,
  IcmpType,
  IcmpCode,
  Icmpv6Type,
  Icmpv6Code,
};

// Bytes the kernel compares for a field of this type: 4, 16, 1, 2, 16, 1, 1, 1, 1.
std::size_t nft_type_width(NftType type);
// nft's name for the type: "ipv4_addr", "inet_service", "ifname", ...
std::string_view nft_type_name(NftType type);

// One field of a key: the inclusive byte range lo..hi, left-aligned in 16 bytes (bytes
// past the type's width are zero).  Build with the factories, which put the bytes where
// the kernel expects them.
struct NftValue {
  std::array<std::uint8_t, 16> lo{};
  std::array<std::uint8_t, 16> hi{};

  bool is_single() const { return lo == hi; }
  auto operator<=>(const NftValue&) const = default;

  static NftValue addr(const net::IpAddr& ip);
  static NftValue cidr(const net::Cidr& cidr);  // host bits are ignored
  static NftValue addr_range(const net::IpAddr& first, const net::IpAddr& last);
  static NftValue port(std::uint16_t port);
  static NftValue port_range(std::uint16_t first, std::uint16_t last);
  static NftValue proto(std::uint8_t proto);  // also ICMP type/code bytes
  // An interface name (at most 15 bytes); a trailing '*' makes it a prefix wildcard.
  static NftValue ifname(std::string_view name);
};

// One value per field of a (possibly concatenated) key.
using NftKey = std::vector<NftValue>;

// "10.0.0.0/8", "80-90", "tcp", "\"cali*\"": nft syntax for one field.
std::string format_value(NftType type, const NftValue& value);
// Fields joined with " . ".
std::string format_key(const std::vector<NftType>& types, const NftKey& key);

// ---------------------------------------------------------------------------------------
// Verdicts

struct NftVerdict {
  enum class Kind : std::uint8_t { Continue, Accept, Drop, Return, Jump, Goto };
  Kind kind = Kind::Continue;
  std::string chain;  // Jump and Goto only

  static NftVerdict accept() { return {Kind::Accept, {}}; }
  static NftVerdict drop() { return {Kind::Drop, {}}; }
  static NftVerdict ret() { return {Kind::Return, {}}; }
  static NftVerdict jump(std::string chain) { return {Kind::Jump, std::move(chain)}; }
  static NftVerdict go_to(std::string chain) { return {Kind::Goto, std::move(chain)}; }
  auto operator<=>(const NftVerdict&) const = default;
};

// "accept", "jump tw-cali1", ... ("" for Continue).
std::string format_verdict(const NftVerdict& verdict);

// ---------------------------------------------------------------------------------------
// Rules

// What a match loads from the packet.  Ip* imply IPv4 (meta nfproto ipv4), Ip6* IPv6,
// Icmp* imply ICMP and Icmpv6* ICMPv6 (plus the family), Th* read the transport header.
enum class NftField : std::uint8_t {
  Iifname,
  Oifname,
  L4proto,
  IpSaddr,
  IpDaddr,
  Ip6Saddr,
  Ip6Daddr,
  ThSport,
  ThDport,
  IcmpType,
  IcmpCode,
  Icmpv6Type,
  Icmpv6Code,
};

NftType nft_field_type(NftField field);
// nft syntax: "iifname", "meta l4proto", "ip saddr", "th dport", "icmpv6 type", ...
std::string_view nft_field_text(NftField field);

// fields [!=] value            one literal key (a range is a range or prefix match)
// fields [!=] { v1, v2, ... }  several literal keys (an anonymous set)
// fields [!=] @set             a named set whose key types equal the fields' types
struct NftMatch {
  std::vector<NftField> fields;
  bool negate = false;
  std::vector<NftKey> values;  // literals, or empty when `set` is given
  std::string set;

  static NftMatch eq(NftField field, NftValue value);
  static NftMatch in(NftField field, const std::vector<NftValue>& values);
  static NftMatch in_set(std::vector<NftField> fields, std::string set);
  NftMatch negated() const;
  auto operator<=>(const NftMatch&) const = default;
};

// The match's literal keys as programmed: sorted, duplicates removed and, for a single
// field, overlapping/adjacent ranges merged (so {80, 81} becomes 80-81).
std::vector<NftKey> canonical_values(const NftMatch& match);

// Connection tracking states, as the kernel's ct state bits.
inline constexpr std::uint32_t kNftCtInvalid = 1U << 0;
inline constexpr std::uint32_t kNftCtEstablished = 1U << 1;
inline constexpr std::uint32_t kNftCtRelated = 1U << 2;
inline constexpr std::uint32_t kNftCtNew = 1U << 3;
inline constexpr std::uint32_t kNftCtUntracked = 1U << 6;

// ct state s1,s2: true if the packet's state is any of `states`.
struct NftCtStateMatch {
  std::uint32_t states = 0;
  auto operator<=>(const NftCtStateMatch&) const = default;
};

// meta mark & mask ==/!= value.
struct NftMarkMatch {
  std::uint32_t mask = 0;
  std::uint32_t value = 0;
  bool negate = false;
  auto operator<=>(const NftMarkMatch&) const = default;
};

using NftExpr = std::variant<NftMatch, NftCtStateMatch, NftMarkMatch>;

// meta mark set (meta mark & ~mask) | value.
struct NftMarkSet {
  std::uint32_t mask = 0;
  std::uint32_t value = 0;
  auto operator<=>(const NftMarkSet&) const = default;
};

// iifname/oifname vmap @map: O(1) dispatch on the interface name.
struct NftDispatch {
  NftField field = NftField::Iifname;  // Iifname or Oifname
  std::string map;
  auto operator<=>(const NftDispatch&) const = default;
};

struct NftRule {
  std::vector<NftExpr> matches;
  bool counter = false;
  std::optional<std::string> log_prefix;
  std::optional<NftMarkSet> mark_set;
  std::optional<NftDispatch> dispatch;  // exclusive with a verdict other than Continue
  // `masquerade` (source NAT to the outgoing interface's address): a terminal statement,
  // only in chains reached from a nat postrouting hook; exclusive with dispatch and verdict.
  bool masquerade = false;
  NftVerdict verdict;
  std::string comment;  // free text after the fingerprint; no '"'

  // Filled in only by reading the kernel: the rule's handle and the fingerprint its
  // comment carried ("kernel:<handle>" when it had none, so it never matches a wanted
  // rule).  Such a rule has no matches; it stands for the kernel's rule in diff().
  std::uint64_t handle = 0;
  std::string kernel_fingerprint;
};

// Canonical nft text of the rule without any comment (literal values sorted and merged).
std::string format_rule_body(const NftRule& rule);
// 16 hex digits hashing the body and the user comment; for a rule read back from the
// kernel, its stored kernel_fingerprint.
std::string rule_fingerprint(const NftRule& rule);
// The comment stored in the kernel: "cal:<fingerprint>" plus " <comment>" if any.
std::string rule_kernel_comment(const NftRule& rule);
// Parses a kernel comment back into the fingerprint ("" if it is not one of ours).
std::string fingerprint_from_comment(std::string_view comment);
// The full line: body plus `comment "cal:..."`.
std::string format_rule(const NftRule& rule);

// ---------------------------------------------------------------------------------------
// Chains, sets, maps, plans

enum class NftHook : std::uint8_t { Prerouting, Input, Forward, Output, Postrouting };
enum class NftChainType : std::uint8_t { Filter, Nat, Route };

std::string_view nft_hook_name(NftHook hook);
std::string_view nft_chain_type_name(NftChainType type);

struct NftBaseChain {
  NftHook hook = NftHook::Forward;
  NftChainType type = NftChainType::Filter;
  std::int32_t priority = 0;
  bool policy_drop = false;  // the chain's policy: accept (default) or drop
  auto operator<=>(const NftBaseChain&) const = default;
};

struct NftChain {
  std::string name;
  std::optional<NftBaseChain> base;  // nullopt: a regular chain (jump/goto target)
  std::vector<NftRule> rules;
};

struct NftSet {
  std::string name;
  std::vector<NftType> key;  // more than one: a concatenation
  bool interval = false;     // required for ranges (CIDRs, port ranges, "cali*")
  std::set<NftKey> elements;
};

// A verdict map; no interval flag (exact keys, e.g. interface names).
struct NftMap {
  std::string name;
  std::vector<NftType> key;
  std::map<NftKey, NftVerdict> elements;  // verdicts: Accept, Drop, Return, Jump, Goto
};

// The desired (or read-back) content of one inet table.  Keys of the maps equal the
// objects' names; sets and maps share one namespace in the kernel.
struct NftPlan {
  std::string table = "calico";
  bool table_exists = true;  // false: the kernel has no such table (read-back only)
  std::map<std::string, NftChain> chains;
  std::map<std::string, NftSet> sets;
  std::map<std::string, NftMap> maps;

  // Insert (replacing a same-named object) and return a reference for filling in.
  NftChain& add_chain(std::string name, std::optional<NftBaseChain> base = std::nullopt);
  NftSet& add_set(std::string name, std::vector<NftType> key, bool interval = false);
  NftMap& add_map(std::string name, std::vector<NftType> key);
};

// The set with overlapping/adjacent ranges merged (single-field interval sets; other
// sets are returned unchanged).  diff(), to_nft_text() and the committer use this form.
std::set<NftKey> canonical_elements(const NftSet& set);

// Checks everything the kernel would otherwise reject (or nft could not print): names,
// key types and widths, interval flags, references to chains/sets/maps and their key
// types, dispatch maps keyed by ifname, th ports only under a port protocol, comment and
// log prefix limits.  The error names the object: "chain fw-x rule 3: jump to unknown
// chain tw-y".  diff() does not validate; call this on a freshly built plan.
Result<void, std::string> validate(const NftPlan& plan);

// ---------------------------------------------------------------------------------------
// Transactions

struct NftAddTable {};
struct NftDeleteTable {};
struct NftAddSet {
  NftSet set;  // declaration; elements come in NftSetElements
};
struct NftAddMap {
  NftMap map;  // declaration; elements come in NftMapElements
};
struct NftDeleteSet {
  std::string name;
};
struct NftDeleteMap {
  std::string name;
};
// Element additions or deletions; key types and the interval flag travel along because
// the encoding depends on them.
struct NftSetElements {
  bool add = true;
  std::string set;
  std::vector<NftType> key;
  bool interval = false;
  std::vector<NftKey> elements;
};
struct NftMapElements {
  bool add = true;
  std::string map;
  std::vector<NftType> key;
  std::vector<std::pair<NftKey, NftVerdict>> elements;  // verdict unused for deletions
};
// Creates the chain, or updates a base chain's policy if it exists.
struct NftAddChain {
  std::string name;
  std::optional<NftBaseChain> base;
};
struct NftFlushChain {
  std::string name;
};
struct NftAddRule {
  std::string chain;
  NftRule rule;
};
struct NftDeleteChain {
  std::string name;
};

using NftOp = std::variant<NftAddTable, NftDeleteTable, NftAddSet, NftAddMap, NftDeleteSet,
                           NftDeleteMap, NftSetElements, NftMapElements, NftAddChain, NftFlushChain,
                           NftAddRule, NftDeleteChain>;

// One atomic transaction on one table.  Applied in order, all or nothing.
struct NftBatch {
  std::string table = "calico";
  std::vector<NftOp> ops;
  bool empty() const { return ops.empty(); }
};

// The minimal batch turning `have` (typically read from the kernel) into `want`, in the
// order described at the top.  Precondition: both name the same table (or have is
// absent).  diff(p, p) is empty.
NftBatch diff(const NftPlan& have, const NftPlan& want);
// Recreates the table from scratch in one transaction: add table; delete table; add
// table; sets, maps, chains, rules, elements.  The escape hatch after repeated failures.
NftBatch rebuild(const NftPlan& want);

// ---------------------------------------------------------------------------------------
// Text

// The plan as an `nft -f` file: `table inet NAME { set ... map ... chain ... }`.
std::string to_nft_text(const NftPlan& plan);
// The batch as nft commands, one per line ("add rule inet calico c ...").
std::string to_nft_text(const NftBatch& batch);
// One op as an nft command (what error messages quote).
std::string format_op(const std::string& table, const NftOp& op);

}  // namespace calico::policy
