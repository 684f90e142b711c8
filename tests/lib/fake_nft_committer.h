// An in-memory policy::NftCommitter that follows the kernel's nf_tables semantics as the
// real adapter (netlink::NftCommitter) exposes them, so policy and felix logic can be
// tested without root.  Header-only: it links nothing but calico::policy.
//
//   testlib::FakeNftCommitter nft;
//   ASSERT_TRUE(nft.commit(policy::diff(*nft.read_table("calico"), want)));
//   EXPECT_EQ(nft.table("calico")->chains.size(), 7U);
//
// commit(batch) — all or nothing: the ops are applied in order to a copy of the table;
// the first op the kernel would refuse fails the whole batch, nothing changes, and the
// error names the op (element ops: only the failing element) with the errno text, like
// the real adapter: "add rule inet calico fw-x jump nope: No such file or directory".
// What the kernel refuses, and with which errno:
//   - any op but "add table" on an absent table; "delete table" of an absent table: ENOENT;
//   - add set/map/chain of an existing object: fine with the same declaration (nft "add"
//     semantics; a base chain's policy is updated); with another one EEXIST for a set or
//     map (key type, interval flag, set vs map), EOPNOTSUPP for a chain (regular vs base,
//     hook, type, priority);
//   - delete set/map (one namespace: DELSET deletes either) or chain that is missing,
//     and flush of a missing chain: ENOENT;
//   - delete of a set/map a rule still looks up (@set, vmap @map), or of a chain a rule
//     or a verdict-map element still jumps to (rules of the chain itself go with it): EBUSY;
//   - a rule in a missing chain, or referring to an unknown set, map or chain: ENOENT; a
//     jump/goto to a base chain: EOPNOTSUPP; to its own chain: EMLINK; a vmap on a plain
//     set, or an inverted lookup in a map: EINVAL;
//   - element ops on a missing set/map: ENOENT; on the other kind (set vs map), with
//     another key length, or with another interval flag than the set's: EINVAL;
//   - adding an element that exists is fine, unless a map element with another verdict
//     (EEXIST); adding a range that overlaps a different range of an interval set
//     (canonical_elements would merge them; the kernel refuses them): EEXIST; adjacent
//     ranges are fine; deleting an element (exactly that range) that is not there: ENOENT.
// Keys are stored as the kernel stores them: a non-interval set keeps only each field's
// low end; interval sets keep the ranges as added (read_table canonicalizes).
//
// read_table(name) — like the kernel read-back: chains with their base declaration and
// rules reduced to (handle, kernel_fingerprint) — the fingerprint the rule comment carries,
// "kernel:<handle>" if it carries none; sets with canonical elements; maps; an absent
// table is a plan with table_exists = false.  Handles come from one per-table counter
// that, like the kernel's, also numbers chains, sets, maps and the anonymous sets of
// literal lists; so they increase in every chain, and equal the kernel's (checked by
// tests/integration/netlink/fake_vs_real_nft_test.cpp) unless a commit failed: the
// kernel does not give back the handles an aborted batch used.
//
// delete_table(name) — absent is success.
//
// Test hooks: stats() counts commits, failures and ops; fail_next_commit() makes the next
// non-empty commit fail (nothing applied) naming one of its ops; table() gives the table
// as programmed, with full rules, for assertions.
//
// Thread affinity: one thread at a time.  Errors are values.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "policy/nft_committer.h"
#include "policy/nft_model.h"

namespace calico::testlib {

class FakeNftCommitter final : public policy::NftCommitter {
 public:
  struct Stats {
    std::size_t commits = 0;         // commit() calls with a non-empty batch
    std::size_t failed_commits = 0;  // ... of which failed (nothing applied)
    std::size_t ops_applied = 0;     // ops of the successful commits
    std::size_t reads = 0;           // read_table() calls
    std::size_t table_deletes = 0;   // delete_table() calls
  };

  Result<void, std::string> commit(const policy::NftBatch& batch) override {
    if (batch.ops.empty()) {
      return {};
    }
    ++stats_.commits;
    if (batch.table.empty() || batch.table.size() > 255) {
      ++stats_.failed_commits;
      return fail("invalid table name '" + batch.table + "'");
    }
    if (injected_) {
      const Injected injected = *injected_;
      injected_.reset();
      ++stats_.failed_commits;
      const std::size_t op = std::min(injected.op, batch.ops.size() - 1);
      return fail(policy::format_op(batch.table, batch.ops[op]) + ": " +
                  errno_text(injected.errno_value));
    }
    std::optional<Table> work;
    if (auto it = tables_.find(batch.table); it != tables_.end()) {
      work = it->second;
    }
    for (const policy::NftOp& op : batch.ops) {
      // Every op but "add table" needs the table.
      const Outcome refused = !work && !std::holds_alternative<policy::NftAddTable>(op)
                                  ? Refusal{ENOENT, {}}
                                  : std::visit(Apply{batch.table, work}, op);
      if (refused) {
        ++stats_.failed_commits;
        return fail(describe(batch.table, op, refused->element) + ": " +
                    errno_text(refused->errno_value));
      }
    }
    if (work) {
      tables_.insert_or_assign(batch.table, std::move(*work));
    } else {
      tables_.erase(batch.table);
    }
    stats_.ops_applied += batch.ops.size();
    return {};
  }

  Result<policy::NftPlan, std::string> read_table(const std::string& name) override {
    ++stats_.reads;
    policy::NftPlan out;
    out.table = name;
    auto it = tables_.find(name);
    if (it == tables_.end()) {
      out.table_exists = false;
      return out;
    }
    const policy::NftPlan& have = it->second.plan;
    for (const auto& [chain_name, chain] : have.chains) {
      policy::NftChain& c = out.add_chain(chain_name, chain.base);
      for (const policy::NftRule& rule : chain.rules) {
        policy::NftRule r;
        r.handle = rule.handle;
        r.kernel_fingerprint = policy::fingerprint_from_comment(policy::rule_kernel_comment(rule));
        if (r.kernel_fingerprint.empty()) {
          r.kernel_fingerprint = "kernel:" + std::to_string(rule.handle);
        }
        c.rules.push_back(std::move(r));
      }
    }
    for (const auto& [set_name, set] : have.sets) {
      out.add_set(set_name, set.key, set.interval).elements = policy::canonical_elements(set);
    }
    for (const auto& [map_name, map] : have.maps) {
      out.add_map(map_name, map.key).elements = map.elements;
    }
    return out;
  }

  Result<void, std::string> delete_table(const std::string& name) override {
    ++stats_.table_deletes;
    tables_.erase(name);
    return {};
  }

  // The next commit() of a non-empty batch fails with errno_value and changes nothing;
  // the error names op `op_index` (the last op if the batch is shorter).
  void fail_next_commit(int errno_value = EIO, std::size_t op_index = 0) {
    injected_ = Injected{errno_value, op_index};
  }

  // The table as programmed (rules in full, each with its handle; set elements as the
  // kernel stores them), or nullptr if there is no such table.
  const policy::NftPlan* table(const std::string& name) const {
    auto it = tables_.find(name);
    return it == tables_.end() ? nullptr : &it->second.plan;
  }

  const Stats& stats() const { return stats_; }

 private:
  struct Table {
    policy::NftPlan plan;
    std::uint64_t last_handle = 0;  // the kernel's per-table handle generator
  };
  struct Injected {
    int errno_value = EIO;
    std::size_t op = 0;
  };
  // Why the kernel refuses an op; element: index of the failing element of element ops.
  struct Refusal {
    int errno_value = 0;
    std::optional<std::size_t> element;
  };
  using Outcome = std::optional<Refusal>;

  static std::string errno_text(int errno_value) {
    return std::generic_category().message(errno_value);  // strerror's text
  }

  // The op in nft syntax; an element op narrowed to its failing element.
  static std::string describe(const std::string& table, const policy::NftOp& op,
                              std::optional<std::size_t> element) {
    policy::NftOp copy = op;
    if (element) {
      if (auto* s = std::get_if<policy::NftSetElements>(&copy)) {
        s->elements = {s->elements.at(*element)};
      } else if (auto* m = std::get_if<policy::NftMapElements>(&copy)) {
        m->elements = {m->elements.at(*element)};
      }
    }
    return policy::format_op(table, copy);
  }

  // NFTA_SET_KEY_LEN: what the kernel compares between a set and an element op.
  static std::size_t key_len(const std::vector<policy::NftType>& key) {
    if (key.size() == 1) {
      return policy::nft_type_width(key[0]);
    }
    std::size_t len = 0;
    for (const policy::NftType t : key) {
      len += (policy::nft_type_width(t) + 3U) & ~std::size_t{3};
    }
    return len;
  }

  // A non-interval set or map keeps only the low end of each field.
  static policy::NftKey stored_key(policy::NftKey key, bool interval) {
    if (!interval) {
      for (policy::NftValue& v : key) {
        v.hi = v.lo;
      }
    }
    return key;
  }

  static bool overlaps(const policy::NftKey& a, const policy::NftKey& b) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (b[i].hi < a[i].lo || a[i].hi < b[i].lo) {
        return false;
      }
    }
    return true;
  }

  static bool same_hook(const policy::NftBaseChain& a, const policy::NftBaseChain& b) {
    return a.hook == b.hook && a.type == b.type && a.priority == b.priority;
  }

  // True if any rule looks up the set/map `name`.
  static bool set_in_use(const policy::NftPlan& plan, const std::string& name) {
    for (const auto& [chain_name, chain] : plan.chains) {
      for (const policy::NftRule& rule : chain.rules) {
        if (rule.dispatch && rule.dispatch->map == name) {
          return true;
        }
        for (const policy::NftExpr& e : rule.matches) {
          const auto* m = std::get_if<policy::NftMatch>(&e);
          if (m != nullptr && m->set == name) {
            return true;
          }
        }
      }
    }
    return false;
  }

  static bool targets(const policy::NftVerdict& v, const std::string& chain) {
    return (v.kind == policy::NftVerdict::Kind::Jump || v.kind == policy::NftVerdict::Kind::Goto) &&
           v.chain == chain;
  }

  // True if a rule of another chain or a verdict map element jumps to `name`.
  static bool chain_in_use(const policy::NftPlan& plan, const std::string& name) {
    for (const auto& [chain_name, chain] : plan.chains) {
      if (chain_name == name) {
        continue;
      }
      for (const policy::NftRule& rule : chain.rules) {
        if (targets(rule.verdict, name)) {
          return true;
        }
      }
    }
    for (const auto& [map_name, map] : plan.maps) {
      for (const auto& [key, verdict] : map.elements) {
        if (targets(verdict, name)) {
          return true;
        }
      }
    }
    return false;
  }

  // A jump/goto target as nft_verdict_init checks it.
  static Outcome check_target(const policy::NftPlan& plan, const policy::NftVerdict& v,
                              const std::string* from_chain) {
    if (v.kind != policy::NftVerdict::Kind::Jump && v.kind != policy::NftVerdict::Kind::Goto) {
      return std::nullopt;
    }
    auto it = plan.chains.find(v.chain);
    if (it == plan.chains.end()) {
      return Refusal{ENOENT, {}};
    }
    if (it->second.base) {
      return Refusal{EOPNOTSUPP, {}};
    }
    if (from_chain != nullptr && *from_chain == v.chain) {
      return Refusal{EMLINK, {}};
    }
    return std::nullopt;
  }

  // Applies one op to the table copy `t` (nullopt: absent, only for "add table"), or says
  // why the kernel would refuse it.
  struct Apply {
    const std::string& name;
    std::optional<Table>& t;

    Outcome operator()(const policy::NftAddTable&) const {
      if (!t) {
        t.emplace();
        t->plan.table = name;
      }
      return std::nullopt;
    }
    Outcome operator()(const policy::NftDeleteTable&) const {
      t.reset();
      return std::nullopt;
    }
    Outcome operator()(const policy::NftAddSet& o) const {
      if (t->plan.maps.count(o.set.name) != 0) {
        return Refusal{EEXIST, {}};
      }
      if (auto it = t->plan.sets.find(o.set.name); it != t->plan.sets.end()) {
        const bool same = it->second.key == o.set.key && it->second.interval == o.set.interval;
        return same ? Outcome{} : Refusal{EEXIST, {}};
      }
      t->plan.add_set(o.set.name, o.set.key, o.set.interval);  // elements come separately
      ++t->last_handle;
      return std::nullopt;
    }
    Outcome operator()(const policy::NftAddMap& o) const {
      if (t->plan.sets.count(o.map.name) != 0) {
        return Refusal{EEXIST, {}};
      }
      if (auto it = t->plan.maps.find(o.map.name); it != t->plan.maps.end()) {
        return it->second.key == o.map.key ? Outcome{} : Refusal{EEXIST, {}};
      }
      t->plan.add_map(o.map.name, o.map.key);
      ++t->last_handle;
      return std::nullopt;
    }
    Outcome operator()(const policy::NftDeleteSet& o) const { return delete_set(o.name); }
    Outcome operator()(const policy::NftDeleteMap& o) const { return delete_set(o.name); }

    Outcome operator()(const policy::NftSetElements& o) const {
      auto it = t->plan.sets.find(o.set);
      if (it == t->plan.sets.end()) {
        return Refusal{t->plan.maps.count(o.set) != 0 ? EINVAL : ENOENT, {}};
      }
      policy::NftSet& set = it->second;
      if (key_len(o.key) != key_len(set.key) || o.interval != set.interval) {
        return Refusal{EINVAL, {}};
      }
      for (std::size_t i = 0; i < o.elements.size(); ++i) {
        if (o.elements[i].size() != set.key.size()) {
          return Refusal{EINVAL, i};
        }
        const policy::NftKey key = stored_key(o.elements[i], set.interval);
        const bool present = set.elements.count(key) != 0;
        if (!o.add) {
          if (!present) {
            return Refusal{ENOENT, i};
          }
          set.elements.erase(key);
          continue;
        }
        if (present) {
          continue;
        }
        if (set.interval &&
            std::any_of(set.elements.begin(), set.elements.end(),
                        [&](const policy::NftKey& k) { return overlaps(k, key); })) {
          return Refusal{EEXIST, i};
        }
        set.elements.insert(key);
      }
      return std::nullopt;
    }

    Outcome operator()(const policy::NftMapElements& o) const {
      auto it = t->plan.maps.find(o.map);
      if (it == t->plan.maps.end()) {
        return Refusal{t->plan.sets.count(o.map) != 0 ? EINVAL : ENOENT, {}};
      }
      policy::NftMap& map = it->second;
      if (key_len(o.key) != key_len(map.key)) {
        return Refusal{EINVAL, {}};
      }
      for (std::size_t i = 0; i < o.elements.size(); ++i) {
        const auto& [raw_key, verdict] = o.elements[i];
        if (raw_key.size() != map.key.size()) {
          return Refusal{EINVAL, i};
        }
        const policy::NftKey key = stored_key(raw_key, false);
        auto el = map.elements.find(key);
        if (!o.add) {
          if (el == map.elements.end()) {
            return Refusal{ENOENT, i};
          }
          map.elements.erase(el);
          continue;
        }
        if (auto bad = check_target(t->plan, verdict, nullptr)) {
          return Refusal{bad->errno_value, i};
        }
        if (el != map.elements.end()) {
          if (el->second != verdict) {
            return Refusal{EEXIST, i};
          }
          continue;
        }
        map.elements.emplace(key, verdict);
      }
      return std::nullopt;
    }

    Outcome operator()(const policy::NftAddChain& o) const {
      auto it = t->plan.chains.find(o.name);
      if (it == t->plan.chains.end()) {
        t->plan.add_chain(o.name, o.base);
        ++t->last_handle;
        return std::nullopt;
      }
      if (!o.base) {
        return std::nullopt;  // nothing to update
      }
      std::optional<policy::NftBaseChain>& have = it->second.base;
      if (!have || !same_hook(*have, *o.base)) {
        return Refusal{EOPNOTSUPP, {}};
      }
      have->policy_drop = o.base->policy_drop;
      return std::nullopt;
    }

    Outcome operator()(const policy::NftFlushChain& o) const {
      auto it = t->plan.chains.find(o.name);
      if (it == t->plan.chains.end()) {
        return Refusal{ENOENT, {}};
      }
      it->second.rules.clear();
      return std::nullopt;
    }

    Outcome operator()(const policy::NftAddRule& o) const {
      auto it = t->plan.chains.find(o.chain);
      if (it == t->plan.chains.end()) {
        return Refusal{ENOENT, {}};
      }
      std::uint64_t anonymous_sets = 0;
      for (const policy::NftExpr& e : o.rule.matches) {
        const auto* m = std::get_if<policy::NftMatch>(&e);
        if (m == nullptr) {
          continue;
        }
        if (m->set.empty()) {
          // A literal list is sent as an anonymous set (netlink/nft_encode.h), which takes
          // a handle; a single literal is a plain comparison.
          if (m->fields.size() != 1 || policy::canonical_values(*m).size() != 1) {
            ++anonymous_sets;
          }
          continue;
        }
        if (t->plan.sets.count(m->set) == 0) {
          if (t->plan.maps.count(m->set) == 0) {
            return Refusal{ENOENT, {}};
          }
          if (m->negate) {
            return Refusal{EINVAL, {}};  // nft_lookup: an inverted lookup in a map
          }
        }
      }
      if (o.rule.dispatch && t->plan.maps.count(o.rule.dispatch->map) == 0) {
        return Refusal{t->plan.sets.count(o.rule.dispatch->map) != 0 ? EINVAL : ENOENT, {}};
      }
      if (auto bad = check_target(t->plan, o.rule.verdict, &o.chain)) {
        return bad;
      }
      t->last_handle += anonymous_sets;
      policy::NftRule rule = o.rule;
      rule.handle = ++t->last_handle;
      it->second.rules.push_back(std::move(rule));
      return std::nullopt;
    }

    Outcome operator()(const policy::NftDeleteChain& o) const {
      auto it = t->plan.chains.find(o.name);
      if (it == t->plan.chains.end()) {
        return Refusal{ENOENT, {}};
      }
      if (chain_in_use(t->plan, o.name)) {
        return Refusal{EBUSY, {}};
      }
      t->plan.chains.erase(it);
      return std::nullopt;
    }

    Outcome delete_set(const std::string& set) const {
      const bool is_set = t->plan.sets.count(set) != 0;
      if (!is_set && t->plan.maps.count(set) == 0) {
        return Refusal{ENOENT, {}};
      }
      if (set_in_use(t->plan, set)) {
        return Refusal{EBUSY, {}};
      }
      if (is_set) {
        t->plan.sets.erase(set);
      } else {
        t->plan.maps.erase(set);
      }
      return std::nullopt;
    }
  };

  std::map<std::string, Table> tables_;
  std::optional<Injected> injected_;
  Stats stats_;
};

}  // namespace calico::testlib
