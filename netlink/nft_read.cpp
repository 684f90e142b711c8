// netlink::NftCommitter::read_table: the table's chains, sets/maps with elements and rule
// fingerprints, dumped consistently with one ruleset generation.  Contract in
// nft_committer.h.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "netlink/nft_committer.h"
#include "netlink/nft_encode.h"
#include "netlink/nft_ptr.h"
#include "netlink/nl_socket.h"

namespace calico::netlink {
namespace {

using policy::NftKey;
using policy::NftPlan;
using policy::NftType;
using policy::NftValue;
using policy::NftVerdict;

constexpr std::size_t kReceiveChunkBytes = 128 << 10;  // > the largest dump datagram
constexpr int kReadAttempts = 5;

// Decrements a big-endian number of `width` bytes (the value is never zero here).
void decrement(std::array<std::uint8_t, 16>& b, std::size_t width) {
  for (std::size_t i = width; i-- > 0;) {
    if (b[i] != 0) {
      --b[i];
      return;
    }
    b[i] = 0xff;
  }
}

std::optional<policy::NftHook> hook_from_number(std::uint32_t n) {
  switch (n) {
    case NF_INET_PRE_ROUTING:
      return policy::NftHook::Prerouting;
    case NF_INET_LOCAL_IN:
      return policy::NftHook::Input;
    case NF_INET_FORWARD:
      return policy::NftHook::Forward;
    case NF_INET_LOCAL_OUT:
      return policy::NftHook::Output;
    case NF_INET_POST_ROUTING:
      return policy::NftHook::Postrouting;
    default:
      return std::nullopt;
  }
}

NftVerdict verdict_from_kernel(std::uint32_t code, const char* chain) {
  switch (static_cast<std::int32_t>(code)) {
    case NF_ACCEPT:
      return NftVerdict::accept();
    case NF_DROP:
      return NftVerdict::drop();
    case NFT_RETURN:
      return NftVerdict::ret();
    case NFT_JUMP:
      return NftVerdict::jump(chain != nullptr ? chain : "");
    case NFT_GOTO:
      return NftVerdict::go_to(chain != nullptr ? chain : "");
    default:
      return NftVerdict{};
  }
}

int udata_comment_cb(const nftnl_udata* attr, void* data) {
  if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT) {
    const auto* text = static_cast<const char*>(nftnl_udata_get(attr));
    *static_cast<std::string*>(data) = std::string(text, ::strnlen(text, nftnl_udata_len(attr)));
  }
  return MNL_CB_OK;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Read-back

class NftCommitter::Reader {
 public:
  Reader(NftCommitter& c, const std::string& table) : c_(c), table_(table) {}

  bool interrupted() const { return interrupted_; }

  // One request; replies go to on_message until the ack or the end of the dump.
  using MessageFn = std::function<void(const nlmsghdr*)>;
  using BuildFn = std::function<void(nlmsghdr*)>;
  Result<void, Failure> request(std::uint16_t type, bool dump, const BuildFn& build,
                                const MessageFn& on_message) {
    std::vector<char> out(MNL_SOCKET_BUFFER_SIZE);
    const std::uint32_t seq = ++c_.seq_;
    nlmsghdr* nlh =
        nftnl_nlmsg_build_hdr(out.data(), type, NFPROTO_INET,
                              static_cast<std::uint16_t>(dump ? NLM_F_DUMP : NLM_F_ACK), seq);
    build(nlh);
    if (mnl_socket_sendto(c_.sock_, nlh, nlh->nlmsg_len) < 0) {
      return fail(Failure{errno, "send: " + errno_text(errno)});
    }
    std::vector<std::uint8_t> buf(kReceiveChunkBytes);
    struct Ctx {
      Reader* self;
      const MessageFn* fn;
    } ctx{this, &on_message};
    auto cb = [](const nlmsghdr* m, void* data) -> int {
      auto* x = static_cast<Ctx*>(data);
      if ((m->nlmsg_flags & NLM_F_DUMP_INTR) != 0) {
        x->self->interrupted_ = true;
      }
      (*x->fn)(m);
      return MNL_CB_OK;
    };
    for (;;) {
      const ssize_t n = mnl_socket_recvfrom(c_.sock_, buf.data(), buf.size());
      if (n < 0) {
        const int e = errno;
        return fail(Failure{
            e, e == EAGAIN ? std::string("timed out waiting for the kernel") : errno_text(e)});
      }
      const int r = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, c_.portid_, cb, &ctx);
      if (r == MNL_CB_ERROR) {
        const int e = errno;
        return fail(Failure{e, errno_text(e)});
      }
      if (r == MNL_CB_STOP) {
        return {};
      }
    }
  }

  Result<std::uint32_t, Failure> generation() {
    std::uint32_t id = 0;
    auto r = request(
        NFT_MSG_GETGEN, false, [](nlmsghdr*) {},
        [&](const nlmsghdr* m) {
          NftGenPtr gen(nftnl_gen_alloc());
          if (nftnl_gen_nlmsg_parse(m, gen.get()) >= 0) {
            id = nftnl_gen_get_u32(gen.get(), NFTNL_GEN_ID);
          }
        });
    if (!r) {
      return fail(std::move(r.error()));
    }
    return id;
  }

  Result<NftPlan, Failure> read() {
    NftPlan plan;
    plan.table = table_;
    plan.table_exists = false;
    auto table = request(
        NFT_MSG_GETTABLE, false,
        [&](nlmsghdr* nlh) {
          NftTablePtr t(nftnl_table_alloc());
          nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table_.c_str());
          nftnl_table_nlmsg_build_payload(nlh, t.get());
        },
        [&](const nlmsghdr*) { plan.table_exists = true; });
    if (!table) {
      if (table.error().first == ENOENT) {
        return plan;
      }
      return fail(Failure{table.error().first, "table: " + table.error().second});
    }
    plan.table_exists = true;
    if (auto r = read_chains(plan); !r) {
      return fail(std::move(r.error()));
    }
    if (auto r = read_sets(plan); !r) {
      return fail(std::move(r.error()));
    }
    if (auto r = read_rules(plan); !r) {
      return fail(std::move(r.error()));
    }
    return plan;
  }

 private:
  Result<void, Failure> read_chains(NftPlan& plan) {
    std::string error;
    auto r = request(
        NFT_MSG_GETCHAIN, true,
        [&](nlmsghdr* nlh) {
          NftChainPtr c(nftnl_chain_alloc());
          nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table_.c_str());
          nftnl_chain_nlmsg_build_payload(nlh, c.get());
        },
        [&](const nlmsghdr* m) {
          NftChainPtr c(nftnl_chain_alloc());
          if (nftnl_chain_nlmsg_parse(m, c.get()) < 0) {
            error = "unparsable chain message";
            return;
          }
          if (!ours(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE),
                    nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_FAMILY))) {
            return;
          }
          policy::NftChain& chain = plan.add_chain(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME));
          if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_HOOKNUM)) {
            policy::NftBaseChain base;
            const auto hook = hook_from_number(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM));
            base.hook = hook.value_or(policy::NftHook::Prerouting);
            // A hook we do not model never equals a wanted chain: diff() rebuilds.
            base.priority = hook ? nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO) : INT32_MIN;
            const char* type = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TYPE);
            const std::string t = type != nullptr ? type : "";
            base.type = t == "nat"     ? policy::NftChainType::Nat
                        : t == "route" ? policy::NftChainType::Route
                                       : policy::NftChainType::Filter;
            base.policy_drop = nftnl_chain_is_set(c.get(), NFTNL_CHAIN_POLICY) &&
                               nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_POLICY) == NF_DROP;
            chain.base = base;
          }
        });
    if (!r) {
      return fail(Failure{r.error().first, "chains: " + r.error().second});
    }
    if (!error.empty()) {
      return fail(Failure{EPROTO, "chains: " + error});
    }
    return {};
  }

  Result<void, Failure> read_sets(NftPlan& plan) {
    struct SetInfo {
      std::string name;
      std::uint32_t flags = 0;
      std::optional<std::vector<NftType>> key;
      bool verdict_map = false;
    };
    std::vector<SetInfo> sets;
    auto r = request(
        NFT_MSG_GETSET, true,
        [&](nlmsghdr* nlh) {
          NftSetPtr s(nftnl_set_alloc());
          nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table_.c_str());
          nftnl_set_nlmsg_build_payload(nlh, s.get());
        },
        [&](const nlmsghdr* m) {
          NftSetPtr s(nftnl_set_alloc());
          if (nftnl_set_nlmsg_parse(m, s.get()) < 0 ||
              !ours(nftnl_set_get_str(s.get(), NFTNL_SET_TABLE),
                    nftnl_set_get_u32(s.get(), NFTNL_SET_FAMILY))) {
            return;
          }
          SetInfo info;
          info.name = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
          info.flags = nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS);
          if ((info.flags & NFT_SET_ANONYMOUS) != 0) {
            return;
          }
          info.key = nft_key_types(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE),
                                   nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN));
          const bool is_map = (info.flags & NFT_SET_MAP) != 0;
          info.verdict_map = is_map &&
                             nftnl_set_get_u32(s.get(), NFTNL_SET_DATA_TYPE) == NFT_DATA_VERDICT &&
                             (info.flags & NFT_SET_INTERVAL) == 0;
          if (is_map && !info.verdict_map) {
            info.key.reset();  // a data map or interval map: not modelled
          }
          sets.push_back(std::move(info));
        });
    if (!r) {
      return fail(Failure{r.error().first, "sets: " + r.error().second});
    }
    for (const SetInfo& info : sets) {
      if (!info.key) {
        plan.add_set(info.name, {}, false);  // unknown shape: diff() deletes or rebuilds it
        continue;
      }
      auto elements = read_elements(info.name);
      if (!elements) {
        return fail(Failure{elements.error().first,
                            "set " + info.name + " elements: " + elements.error().second});
      }
      if (info.verdict_map) {
        policy::NftMap& map = plan.add_map(info.name, *info.key);
        for (const auto& el : *elements) {
          if (auto key = nft_key_from_bytes(map.key, el.key.data(), el.key.size())) {
            map.elements[*key] = el.verdict;
          }
        }
        continue;
      }
      const bool interval = (info.flags & NFT_SET_INTERVAL) != 0;
      policy::NftSet& set = plan.add_set(info.name, *info.key, interval);
      to_model(set, *elements);
      set.elements = policy::canonical_elements(set);
    }
    return {};
  }

  struct RawElement {
    std::vector<std::uint8_t> key;
    std::vector<std::uint8_t> key_end;
    bool interval_end = false;
    NftVerdict verdict;
  };

  Result<std::vector<RawElement>, Failure> read_elements(const std::string& set_name) {
    std::vector<RawElement> out;
    bool unparsable = false;
    auto r = request(
        NFT_MSG_GETSETELEM, true,
        [&](nlmsghdr* nlh) {
          NftSetPtr s(nftnl_set_alloc());
          nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table_.c_str());
          nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set_name.c_str());
          nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
        },
        [&](const nlmsghdr* m) {
          NftSetPtr s(nftnl_set_alloc());
          if (nftnl_set_elems_nlmsg_parse(m, s.get()) < 0) {
            unparsable = true;  // never guess: a partial set would make diff() wrong
            return;
          }
          nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s.get());
          if (it == nullptr) {
            return;
          }
          for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e != nullptr;
               e = nftnl_set_elems_iter_next(it)) {
            RawElement raw;
            std::uint32_t len = 0;
            if (const auto* k = static_cast<const std::uint8_t*>(
                    nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len))) {
              raw.key.assign(k, k + len);
            }
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) {
              const auto* k = static_cast<const std::uint8_t*>(
                  nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len));
              raw.key_end.assign(k, k + len);
            }
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS)) {
              raw.interval_end = (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) &
                                  NFT_SET_ELEM_INTERVAL_END) != 0;
            }
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
              const char* chain = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN)
                                      ? nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN)
                                      : nullptr;
              raw.verdict =
                  verdict_from_kernel(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT), chain);
            }
            out.push_back(std::move(raw));
          }
          nftnl_set_elems_iter_destroy(it);
        });
    if (!r) {
      return fail(std::move(r.error()));
    }
    if (unparsable) {
      return fail(Failure{EPROTO, "unparsable element message"});
    }
    return out;
  }

  // Kernel elements -> model elements (pairs start/end elements of rbtree interval sets).
  static void to_model(policy::NftSet& set, std::vector<RawElement>& raw) {
    const std::size_t width = policy::nft_type_width(set.key[0]);
    if (!set.interval) {
      for (const auto& el : raw) {
        if (auto key = nft_key_from_bytes(set.key, el.key.data(), el.key.size())) {
          set.elements.insert(*key);
        }
      }
      return;
    }
    if (set.key.size() > 1) {
      for (const auto& el : raw) {
        auto lo = nft_key_from_bytes(set.key, el.key.data(), el.key.size());
        auto hi = el.key_end.empty()
                      ? lo
                      : nft_key_from_bytes(set.key, el.key_end.data(), el.key_end.size());
        if (lo && hi) {
          for (std::size_t i = 0; i < lo->size(); ++i) {
            (*lo)[i].hi = (*hi)[i].lo;
          }
          set.elements.insert(*lo);
        }
      }
      return;
    }
    // Ascending keys; at equal keys an end closes before a start opens.
    std::sort(raw.begin(), raw.end(), [](const RawElement& a, const RawElement& b) {
      return std::tie(a.key, b.interval_end) < std::tie(b.key, a.interval_end);
    });
    std::optional<NftValue> open;
    for (const auto& el : raw) {
      auto key = nft_key_from_bytes(set.key, el.key.data(), el.key.size());
      if (!key) {
        continue;
      }
      NftValue point = (*key)[0];
      if (open) {
        // An end closes [start, end - 1]; a second start closes at start - 1.
        if (point.lo == open->lo && !el.interval_end) {
          continue;
        }
        decrement(point.lo, width);
        open->hi = point.lo;
        set.elements.insert(NftKey{*open});
        open.reset();
      }
      if (!el.interval_end) {
        open = (*key)[0];
      }
    }
    if (open) {
      std::fill(open->hi.begin(), open->hi.begin() + static_cast<std::ptrdiff_t>(width),
                std::uint8_t{0xff});
      set.elements.insert(NftKey{*open});
    }
  }

  Result<void, Failure> read_rules(NftPlan& plan) {
    auto r = request(
        NFT_MSG_GETRULE, true,
        [&](nlmsghdr* nlh) {
          NftRulePtr rule(nftnl_rule_alloc());
          nftnl_rule_set_str(rule.get(), NFTNL_RULE_TABLE, table_.c_str());
          nftnl_rule_nlmsg_build_payload(nlh, rule.get());
        },
        [&](const nlmsghdr* m) {
          NftRulePtr rule(nftnl_rule_alloc());
          if (nftnl_rule_nlmsg_parse(m, rule.get()) < 0 ||
              !ours(nftnl_rule_get_str(rule.get(), NFTNL_RULE_TABLE),
                    nftnl_rule_get_u32(rule.get(), NFTNL_RULE_FAMILY))) {
            return;
          }
          auto chain = plan.chains.find(nftnl_rule_get_str(rule.get(), NFTNL_RULE_CHAIN));
          if (chain == plan.chains.end()) {
            return;
          }
          policy::NftRule out;
          out.handle = nftnl_rule_get_u64(rule.get(), NFTNL_RULE_HANDLE);
          std::string comment;
          if (nftnl_rule_is_set(rule.get(), NFTNL_RULE_USERDATA)) {
            std::uint32_t len = 0;
            const void* data = nftnl_rule_get_data(rule.get(), NFTNL_RULE_USERDATA, &len);
            (void)nftnl_udata_parse(data, len, udata_comment_cb, &comment);
          }
          out.kernel_fingerprint = policy::fingerprint_from_comment(comment);
          if (out.kernel_fingerprint.empty()) {
            out.kernel_fingerprint = "kernel:" + std::to_string(out.handle);
          }
          chain->second.rules.push_back(std::move(out));
        });
    if (!r) {
      return fail(Failure{r.error().first, "rules: " + r.error().second});
    }
    return {};
  }

  bool ours(const char* table, std::uint32_t family) const {
    return table != nullptr && table_ == table && family == NFPROTO_INET;
  }

  NftCommitter& c_;
  const std::string& table_;
  bool interrupted_ = false;
};

Result<NftPlan, std::string> NftCommitter::read_table(const std::string& name) {
  std::string last_error;
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    Reader reader(*this, name);
    auto before = reader.generation();
    if (!before) {
      return fail("reading table inet " + name + ": generation: " + before.error().second);
    }
    auto plan = reader.read();
    if (!plan) {
      // A change racing the dump (EINTR/EAGAIN on some kernels) is retried like DUMP_INTR.
      if (plan.error().first != EINTR && plan.error().first != EAGAIN) {
        return fail("reading table inet " + name + ": " + plan.error().second);
      }
      last_error = plan.error().second;
      continue;
    }
    auto after = reader.generation();
    if (!after) {
      return fail("reading table inet " + name + ": generation: " + after.error().second);
    }
    if (*before == *after && !reader.interrupted()) {
      return std::move(*plan);
    }
    last_error = "the ruleset changed while it was being read";
  }
  return fail("reading table inet " + name + ": " + last_error + " (" +
              std::to_string(kReadAttempts) + " attempts)");
}

}  // namespace calico::netlink
