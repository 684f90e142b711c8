// policy::NftBatch -> one nfnetlink batch (libnftnl).  See nft_encode.h for the encodings.
#include "netlink/nft_encode.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netlink/nft_ptr.h"

namespace calico::netlink {
namespace {

using policy::NftField;
using policy::NftKey;
using policy::NftType;
using policy::NftValue;
using policy::NftVerdict;

constexpr std::size_t kMaxMessageBytes = 256 << 10;  // one message never exceeds this
constexpr std::size_t kElementsPerMessage = 256;     // logical elements per element message
constexpr std::uint32_t kTypeBits = 6;               // nft: concatenated key type ids
constexpr const char* kAnonymousSetName = "__set%d";

std::uint32_t round4(std::size_t n) {
  return static_cast<std::uint32_t>((n + 3U) & ~std::size_t{3});
}

std::uint32_t nft_type_id(NftType t) {
  // nft's datatype numbers (userspace ABI, stored in the kernel for `nft list`).
  switch (t) {
    case NftType::Ipv4Addr:
      return 7;
    case NftType::Ipv6Addr:
      return 8;
    case NftType::InetProto:
      return 12;
    case NftType::InetService:
      return 13;
    case NftType::IcmpType:
      return 14;
    case NftType::Icmpv6Type:
      return 29;
    case NftType::IcmpCode:
      return 32;
    case NftType::Icmpv6Code:
      return 33;
    case NftType::Ifname:
      return 41;
  }
  return 0;
}

std::vector<NftType> field_types(const std::vector<NftField>& fields) {
  std::vector<NftType> types;
  types.reserve(fields.size());
  for (const NftField f : fields) {
    types.push_back(policy::nft_field_type(f));
  }
  return types;
}

bool any_range(const std::vector<NftKey>& keys) {
  return std::any_of(keys.begin(), keys.end(), [](const NftKey& k) {
    return std::any_of(k.begin(), k.end(), [](const NftValue& v) { return !v.is_single(); });
  });
}

// The kernel's verdict code (NF_* / NFT_*): immediates and verdict map elements.
std::uint32_t verdict_code(NftVerdict::Kind kind) {
  switch (kind) {
    case NftVerdict::Kind::Accept:
      return NF_ACCEPT;
    case NftVerdict::Kind::Drop:
      return NF_DROP;
    case NftVerdict::Kind::Return:
      return static_cast<std::uint32_t>(NFT_RETURN);
    case NftVerdict::Kind::Jump:
      return static_cast<std::uint32_t>(NFT_JUMP);
    case NftVerdict::Kind::Goto:
      return static_cast<std::uint32_t>(NFT_GOTO);
    case NftVerdict::Kind::Continue:
      break;
  }
  return static_cast<std::uint32_t>(NFT_CONTINUE);
}

// libnftnl objects naming their table and themselves (a rule names its chain).
NftTablePtr table_object(const std::string& table) {
  NftTablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
  return t;
}
NftChainPtr chain_object(const std::string& table, const std::string& name) {
  NftChainPtr chain(nftnl_chain_alloc());
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, name.c_str());
  return chain;
}
NftSetPtr set_object(const std::string& table, const std::string& name) {
  NftSetPtr set(nftnl_set_alloc());
  nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(set.get(), NFTNL_SET_NAME, name.c_str());
  return set;
}
NftRulePtr rule_object(const std::string& table, const std::string& chain) {
  NftRulePtr rule(nftnl_rule_alloc());
  nftnl_rule_set_str(rule.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(rule.get(), NFTNL_RULE_CHAIN, chain.c_str());
  return rule;
}

// The message payload of one object (Writer::write picks the overload).
void build_payload(nlmsghdr* nlh, nftnl_table* t) {
  nftnl_table_nlmsg_build_payload(nlh, t);
}
void build_payload(nlmsghdr* nlh, nftnl_chain* c) {
  nftnl_chain_nlmsg_build_payload(nlh, c);
}
void build_payload(nlmsghdr* nlh, nftnl_set* s) {
  nftnl_set_nlmsg_build_payload(nlh, s);
}
void build_payload(nlmsghdr* nlh, nftnl_rule* r) {
  nftnl_rule_nlmsg_build_payload(nlh, r);
}

// One element as the kernel stores it (see nft_encode.h).
struct KernelElement {
  std::vector<std::uint8_t> key;
  std::vector<std::uint8_t> key_end;  // concatenated interval sets only
  bool interval_end = false;
  const NftVerdict* verdict = nullptr;
  std::size_t logical = 0;  // index of the element in the op
};

void append_kernel_elements(const std::vector<NftType>& types, bool interval, const NftKey& key,
                            const NftVerdict* verdict, std::size_t logical,
                            std::vector<KernelElement>& out) {
  KernelElement start;
  start.key = nft_key_bytes(types, key, false);
  start.verdict = verdict;
  start.logical = logical;
  if (!interval) {
    out.push_back(std::move(start));
    return;
  }
  if (types.size() > 1) {
    start.key_end = nft_key_bytes(types, key, true);
    out.push_back(std::move(start));
    return;
  }
  out.push_back(std::move(start));
  // The end element is hi + 1, flagged; none when hi is the type's maximum.
  std::vector<std::uint8_t> end = nft_key_bytes(types, key, true);
  for (std::size_t i = end.size(); i-- > 0;) {
    if (end[i] != 0xff) {
      ++end[i];
      KernelElement e;
      e.key = std::move(end);
      e.interval_end = true;
      e.logical = logical;
      out.push_back(std::move(e));
      return;
    }
    end[i] = 0;
  }
}

// Builds the batch bytes message by message.
class Writer {
 public:
  Writer(const std::string& table, std::uint32_t first_seq) : table_(table), seq_(first_seq) {}

  const std::string& table() const { return table_; }

  nlmsghdr* start(std::uint16_t type, std::uint16_t flags) {
    reserve();
    return nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(out_.bytes.data() + used_), type,
                                 NFPROTO_INET, flags, seq_);
  }

  // Closes the message started last; records it for error attribution.
  void finish(nlmsghdr* nlh, std::size_t op,
              std::vector<std::pair<std::uint32_t, std::size_t>> elements = {}) {
    used_ += NLMSG_ALIGN(nlh->nlmsg_len);
    out_.messages.push_back(NftEncodedMessage{seq_, op, std::move(elements)});
    ++seq_;
  }

  // One complete message carrying a table, chain, set or rule object.
  template <class ObjectPtr>
  void write(std::uint16_t type, std::uint16_t flags, std::size_t op, const ObjectPtr& object) {
    nlmsghdr* nlh = start(type, flags);
    build_payload(nlh, object.get());
    finish(nlh, op);
  }

  void begin_batch() {
    reserve();
    out_.begin_seq = seq_;
    nlmsghdr* nlh = nftnl_batch_begin(reinterpret_cast<char*>(out_.bytes.data() + used_), seq_++);
    used_ += NLMSG_ALIGN(nlh->nlmsg_len);
  }

  NftEncodedBatch end_batch() {
    reserve();
    out_.end_seq = seq_;
    nlmsghdr* nlh = nftnl_batch_end(reinterpret_cast<char*>(out_.bytes.data() + used_), seq_++);
    used_ += NLMSG_ALIGN(nlh->nlmsg_len);
    out_.bytes.resize(used_);
    return std::move(out_);
  }

  std::uint32_t next_set_id() { return ++set_id_; }

 private:
  void reserve() {
    if (out_.bytes.size() < used_ + kMaxMessageBytes) {
      out_.bytes.resize(std::max(out_.bytes.size() * 2, used_ + kMaxMessageBytes));
    }
  }

  const std::string& table_;
  std::uint32_t seq_;
  std::uint32_t set_id_ = 0;
  std::size_t used_ = 0;
  NftEncodedBatch out_;
};

// Attribute offsets of the elements inside a NEWSETELEM/DELSETELEM message.
std::vector<std::uint32_t> element_offsets(const nlmsghdr* nlh) {
  std::vector<std::uint32_t> offsets;
  const auto* base = reinterpret_cast<const std::uint8_t*>(nlh);
  const std::size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  for (std::size_t off = start; off + sizeof(nlattr) <= nlh->nlmsg_len;) {
    const auto* attr = reinterpret_cast<const nlattr*>(base + off);
    if (attr->nla_len < sizeof(nlattr)) {
      break;
    }
    if ((attr->nla_type & NLA_TYPE_MASK) == NFTA_SET_ELEM_LIST_ELEMENTS) {
      for (std::size_t in = off + NLA_HDRLEN; in + sizeof(nlattr) <= off + attr->nla_len;) {
        const auto* el = reinterpret_cast<const nlattr*>(base + in);
        if (el->nla_len < sizeof(nlattr)) {
          break;
        }
        offsets.push_back(static_cast<std::uint32_t>(in));
        in += NLA_ALIGN(el->nla_len);
      }
    }
    off += NLA_ALIGN(attr->nla_len);
  }
  return offsets;
}

// Writes element messages (chunked) for the set `name` (set_id != 0: created in this batch).
void write_elements(Writer& w, std::size_t op, bool add, const std::string& name,
                    std::uint32_t set_id, const std::vector<KernelElement>& elements) {
  std::size_t i = 0;
  while (i < elements.size()) {
    NftSetPtr set = set_object(w.table(), name);
    if (set_id != 0) {
      nftnl_set_set_u32(set.get(), NFTNL_SET_ID, set_id);
    }
    std::vector<std::size_t> logical;
    const std::size_t first_logical = elements[i].logical;
    for (; i < elements.size() && elements[i].logical - first_logical < kElementsPerMessage; ++i) {
      const KernelElement& k = elements[i];
      NftSetElemPtr e(nftnl_set_elem_alloc());
      nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY, k.key.data(),
                         static_cast<std::uint32_t>(k.key.size()));
      if (!k.key_end.empty()) {
        nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY_END, k.key_end.data(),
                           static_cast<std::uint32_t>(k.key_end.size()));
      }
      if (k.interval_end) {
        nftnl_set_elem_set_u32(e.get(), NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
      }
      if (add && k.verdict != nullptr) {
        const NftVerdict& v = *k.verdict;
        nftnl_set_elem_set_u32(e.get(), NFTNL_SET_ELEM_VERDICT, verdict_code(v.kind));
        if (!v.chain.empty()) {
          nftnl_set_elem_set_str(e.get(), NFTNL_SET_ELEM_CHAIN, v.chain.c_str());
        }
      }
      nftnl_set_elem_add(set.get(), e.release());
      logical.push_back(k.logical);
    }
    nlmsghdr* nlh = w.start(add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
                            static_cast<std::uint16_t>(add ? NLM_F_CREATE : 0));
    nftnl_set_elems_nlmsg_build_payload(nlh, set.get());
    const std::vector<std::uint32_t> offsets = element_offsets(nlh);
    std::vector<std::pair<std::uint32_t, std::size_t>> map;
    for (std::size_t k = 0; k < offsets.size() && k < logical.size(); ++k) {
      map.emplace_back(offsets[k], logical[k]);
    }
    w.finish(nlh, op, std::move(map));
  }
}

// NEWSET for a named or anonymous set/map.
void write_set(Writer& w, std::size_t op, const std::string& name, std::uint32_t set_id,
               const std::vector<NftType>& key, bool interval, bool map, std::uint32_t extra) {
  NftSetPtr set = set_object(w.table(), name);
  std::uint32_t flags = extra;
  if (interval) {
    flags |= NFT_SET_INTERVAL;
    if (key.size() > 1) {
      flags |= NFT_SET_CONCAT;
      std::uint8_t lens[NFT_REG32_COUNT] = {};
      for (std::size_t i = 0; i < key.size() && i < NFT_REG32_COUNT; ++i) {
        lens[i] = static_cast<std::uint8_t>(policy::nft_type_width(key[i]));
      }
      nftnl_set_set_data(set.get(), NFTNL_SET_DESC_CONCAT, lens,
                         static_cast<std::uint32_t>(std::min<std::size_t>(key.size(), 16)));
    }
  }
  if (map) {
    flags |= NFT_SET_MAP;
    nftnl_set_set_u32(set.get(), NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
  }
  nftnl_set_set_u32(set.get(), NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_TYPE, nft_key_type_id(key));
  nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_LEN, nft_key_len(key));
  nftnl_set_set_u32(set.get(), NFTNL_SET_ID, set_id);
  // nft needs the key byte order to print elements (an ifname is a host-order string;
  // reversed, "cali1" would print as ""): 1 = host, 2 = big endian, 0 = n/a, like nft.
  std::uint32_t byteorder = 0;
  if (key.size() == 1 && key[0] == NftType::Ifname) {
    byteorder = 1;
  } else if (key.size() == 1 && policy::nft_type_width(key[0]) > 1) {
    byteorder = 2;
  }
  NftUdataPtr udata(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
  nftnl_udata_put_u32(udata.get(), NFTNL_UDATA_SET_KEYBYTEORDER, byteorder);
  nftnl_set_set_data(set.get(), NFTNL_SET_USERDATA, nftnl_udata_buf_data(udata.get()),
                     nftnl_udata_buf_len(udata.get()));
  w.write(NFT_MSG_NEWSET, NLM_F_CREATE, op, set);
}

// Encodes one rule's expressions; anonymous sets go to the writer first.
class RuleEncoder {
 public:
  RuleEncoder(Writer& w, std::size_t op, nftnl_rule* rule) : w_(w), op_(op), rule_(rule) {}

  void encode(const policy::NftRule& r) {
    for (const auto& e : r.matches) {
      if (const auto* m = std::get_if<policy::NftMatch>(&e)) {
        match(*m);
      } else if (const auto* ct = std::get_if<policy::NftCtStateMatch>(&e)) {
        ct_state(ct->states);
      } else {
        const auto& mark = std::get<policy::NftMarkMatch>(e);
        meta_load(NFT_META_MARK, NFT_REG_1);
        bitwise(mark.mask, 0);
        cmp(mark.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, &mark.value, sizeof(mark.value));
      }
    }
    if (r.counter) {
      add(make("counter"));
    }
    if (r.log_prefix) {
      NftExprPtr e = make("log");
      nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOG_PREFIX, r.log_prefix->c_str());
      add(std::move(e));
    }
    if (r.mark_set) {
      meta_load(NFT_META_MARK, NFT_REG_1);
      bitwise(~r.mark_set->mask, r.mark_set->value);
      NftExprPtr e = make("meta");
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, NFT_META_MARK);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_SREG, NFT_REG_1);
      add(std::move(e));
    }
    if (r.dispatch) {
      meta_load(r.dispatch->field == NftField::Oifname ? NFT_META_OIFNAME : NFT_META_IIFNAME,
                NFT_REG_1);
      NftExprPtr e = make("lookup");
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
      nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, r.dispatch->map.c_str());
      add(std::move(e));
    }
    if (r.masquerade) {
      add(make("masq"));
    }
    verdict(r.verdict);
  }

 private:
  NftExprPtr make(const char* name) {
    NftExprPtr e(nftnl_expr_alloc(name));
    CALICO_CHECK(e != nullptr);
    return e;
  }
  void add(NftExprPtr e) { nftnl_rule_add_expr(rule_, e.release()); }

  void meta_load(std::uint32_t key, std::uint32_t dreg) {
    NftExprPtr e = make("meta");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, dreg);
    add(std::move(e));
  }

  void payload_load(std::uint32_t base, std::uint32_t offset, std::uint32_t len,
                    std::uint32_t dreg) {
    NftExprPtr e = make("payload");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, dreg);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, len);
    add(std::move(e));
  }

  void cmp(std::uint32_t op, const void* data, std::size_t len) {
    NftExprPtr e = make("cmp");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data, static_cast<std::uint32_t>(len));
    add(std::move(e));
  }

  // reg1 = (reg1 & mask) ^ xor_value, 4 bytes in host order (mark, ct state).
  void bitwise(std::uint32_t mask, std::uint32_t xor_value) {
    bitwise_bytes(&mask, &xor_value, sizeof(mask));
  }

  void bitwise_bytes(const void* mask, const void* xor_value, std::size_t len) {
    NftExprPtr e = make("bitwise");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_LEN, static_cast<std::uint32_t>(len));
    nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_MASK, mask, static_cast<std::uint32_t>(len));
    nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_XOR, xor_value, static_cast<std::uint32_t>(len));
    add(std::move(e));
  }

  void ct_state(std::uint32_t states) {
    NftExprPtr e = make("ct");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_DREG, NFT_REG_1);
    add(std::move(e));
    bitwise(states, 0);
    const std::uint32_t zero = 0;
    cmp(NFT_CMP_NEQ, &zero, sizeof(zero));
  }

  // meta nfproto / meta l4proto dependencies nft adds implicitly, once per rule.
  void dependency(std::uint32_t meta_key, std::uint8_t value) {
    if (!deps_.insert({meta_key, value}).second) {
      return;
    }
    meta_load(meta_key, NFT_REG_1);
    cmp(NFT_CMP_EQ, &value, sizeof(value));
  }

  void dependencies(NftField f) {
    switch (f) {
      case NftField::IpSaddr:
      case NftField::IpDaddr:
        dependency(NFT_META_NFPROTO, NFPROTO_IPV4);
        break;
      case NftField::Ip6Saddr:
      case NftField::Ip6Daddr:
        dependency(NFT_META_NFPROTO, NFPROTO_IPV6);
        break;
      case NftField::IcmpType:
      case NftField::IcmpCode:
        dependency(NFT_META_NFPROTO, NFPROTO_IPV4);
        dependency(NFT_META_L4PROTO, IPPROTO_ICMP);
        break;
      case NftField::Icmpv6Type:
      case NftField::Icmpv6Code:
        dependency(NFT_META_NFPROTO, NFPROTO_IPV6);
        dependency(NFT_META_L4PROTO, IPPROTO_ICMPV6);
        break;
      default:
        break;
    }
  }

  void load(NftField f, std::uint32_t dreg) {
    switch (f) {
      case NftField::Iifname:
        return meta_load(NFT_META_IIFNAME, dreg);
      case NftField::Oifname:
        return meta_load(NFT_META_OIFNAME, dreg);
      case NftField::L4proto:
        return meta_load(NFT_META_L4PROTO, dreg);
      case NftField::IpSaddr:
        return payload_load(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, dreg);
      case NftField::IpDaddr:
        return payload_load(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, dreg);
      case NftField::Ip6Saddr:
        return payload_load(NFT_PAYLOAD_NETWORK_HEADER, 8, 16, dreg);
      case NftField::Ip6Daddr:
        return payload_load(NFT_PAYLOAD_NETWORK_HEADER, 24, 16, dreg);
      case NftField::ThSport:
        return payload_load(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, dreg);
      case NftField::ThDport:
        return payload_load(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg);
      case NftField::IcmpType:
      case NftField::Icmpv6Type:
        return payload_load(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, dreg);
      case NftField::IcmpCode:
      case NftField::Icmpv6Code:
        return payload_load(NFT_PAYLOAD_TRANSPORT_HEADER, 1, 1, dreg);
    }
  }

  void lookup(const std::string& set, std::uint32_t set_id, bool negate) {
    NftExprPtr e = make("lookup");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, set.c_str());
    if (set_id != 0) {
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SET_ID, set_id);
    }
    if (negate) {
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
    }
    add(std::move(e));
  }

  void match(const policy::NftMatch& m) {
    for (const NftField f : m.fields) {
      dependencies(f);
    }
    const std::vector<NftType> types = field_types(m.fields);
    if (m.fields.size() == 1) {
      load(m.fields[0], NFT_REG_1);
    } else {
      std::uint32_t word = 0;
      for (const NftField f : m.fields) {
        load(f, NFT_REG32_00 + word);
        word += round4(policy::nft_type_width(policy::nft_field_type(f))) / 4;
      }
    }
    if (!m.set.empty()) {
      return lookup(m.set, 0, m.negate);
    }
    const std::vector<NftKey> values = policy::canonical_values(m);
    if (m.fields.size() == 1 && values.size() == 1) {
      return single_value(types[0], values[0][0], m.negate);
    }
    // An anonymous constant set, created just before the rule.
    const bool interval = any_range(values);
    const std::uint32_t id = w_.next_set_id();
    write_set(w_, op_, kAnonymousSetName, id, types, interval, false,
              NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
    std::vector<KernelElement> elements;
    for (std::size_t i = 0; i < values.size(); ++i) {
      append_kernel_elements(types, interval, values[i], nullptr, i, elements);
    }
    write_elements(w_, op_, true, kAnonymousSetName, id, elements);
    lookup(kAnonymousSetName, id, m.negate);
  }

  void single_value(NftType type, const NftValue& v, bool negate) {
    const std::size_t width = policy::nft_type_width(type);
    const std::uint32_t op = negate ? NFT_CMP_NEQ : NFT_CMP_EQ;
    if (v.is_single()) {
      return cmp(op, v.lo.data(), width);
    }
    // Interface wildcard "cali*": compare the prefix bytes only.
    std::size_t prefix = 0;
    while (prefix < width && v.lo[prefix] == v.hi[prefix]) {
      ++prefix;
    }
    const bool lo_zero = std::all_of(v.lo.begin() + static_cast<std::ptrdiff_t>(prefix),
                                     v.lo.begin() + static_cast<std::ptrdiff_t>(width),
                                     [](std::uint8_t b) { return b == 0; });
    const bool hi_ones = std::all_of(v.hi.begin() + static_cast<std::ptrdiff_t>(prefix),
                                     v.hi.begin() + static_cast<std::ptrdiff_t>(width),
                                     [](std::uint8_t b) { return b == 0xff; });
    if (type == NftType::Ifname && prefix > 0 && lo_zero && hi_ones) {
      return cmp(op, v.lo.data(), prefix);
    }
    // An address prefix: mask, then compare (bit-level prefix).
    if ((type == NftType::Ipv4Addr || type == NftType::Ipv6Addr)) {
      std::array<std::uint8_t, 16> mask{};
      bool is_prefix = true;
      bool in_host = false;
      for (std::size_t bit = 0; bit < width * 8 && is_prefix; ++bit) {
        const auto b = static_cast<std::uint8_t>(0x80U >> (bit % 8));
        const bool l = (v.lo[bit / 8] & b) != 0;
        const bool h = (v.hi[bit / 8] & b) != 0;
        if (!in_host && l != h) {
          in_host = true;
        }
        if (in_host) {
          is_prefix = !l && h;
        } else {
          mask[bit / 8] = static_cast<std::uint8_t>(mask[bit / 8] | b);
        }
      }
      if (is_prefix) {
        const std::array<std::uint8_t, 16> zero{};
        bitwise_bytes(mask.data(), zero.data(), width);
        return cmp(op, v.lo.data(), width);
      }
    }
    NftExprPtr e = make("range");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_RANGE_OP, negate ? NFT_RANGE_NEQ : NFT_RANGE_EQ);
    nftnl_expr_set(e.get(), NFTNL_EXPR_RANGE_FROM_DATA, v.lo.data(),
                   static_cast<std::uint32_t>(width));
    nftnl_expr_set(e.get(), NFTNL_EXPR_RANGE_TO_DATA, v.hi.data(),
                   static_cast<std::uint32_t>(width));
    add(std::move(e));
  }

  void verdict(const NftVerdict& v) {
    if (v.kind == NftVerdict::Kind::Continue) {
      return;  // no statement: evaluation goes on
    }
    NftExprPtr e = make("immediate");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, verdict_code(v.kind));
    if (!v.chain.empty()) {
      nftnl_expr_set_str(e.get(), NFTNL_EXPR_IMM_CHAIN, v.chain.c_str());
    }
    add(std::move(e));
  }

  Writer& w_;
  std::size_t op_;
  nftnl_rule* rule_;
  std::set<std::pair<std::uint32_t, std::uint8_t>> deps_;
};

std::uint32_t hook_number(policy::NftHook hook) {
  switch (hook) {
    case policy::NftHook::Prerouting:
      return NF_INET_PRE_ROUTING;
    case policy::NftHook::Input:
      return NF_INET_LOCAL_IN;
    case policy::NftHook::Forward:
      return NF_INET_FORWARD;
    case policy::NftHook::Output:
      return NF_INET_LOCAL_OUT;
    case policy::NftHook::Postrouting:
      return NF_INET_POST_ROUTING;
  }
  return NF_INET_FORWARD;
}

// One message (or a few) per op.
class OpEncoder {
 public:
  OpEncoder(Writer& w, std::size_t op) : w_(w), op_(op) {}

  void operator()(const policy::NftAddTable&) {
    w_.write(NFT_MSG_NEWTABLE, NLM_F_CREATE, op_, table_object(w_.table()));
  }
  void operator()(const policy::NftDeleteTable&) {
    w_.write(NFT_MSG_DELTABLE, 0, op_, table_object(w_.table()));
  }

  void operator()(const policy::NftAddSet& o) {
    write_set(w_, op_, o.set.name, w_.next_set_id(), o.set.key, o.set.interval, false, 0);
  }
  void operator()(const policy::NftAddMap& o) {
    write_set(w_, op_, o.map.name, w_.next_set_id(), o.map.key, false, true, 0);
  }
  void operator()(const policy::NftDeleteSet& o) {
    w_.write(NFT_MSG_DELSET, 0, op_, set_object(w_.table(), o.name));
  }
  void operator()(const policy::NftDeleteMap& o) {
    w_.write(NFT_MSG_DELSET, 0, op_, set_object(w_.table(), o.name));
  }

  void operator()(const policy::NftSetElements& o) {
    std::vector<KernelElement> elements;
    for (std::size_t i = 0; i < o.elements.size(); ++i) {
      append_kernel_elements(o.key, o.interval, o.elements[i], nullptr, i, elements);
    }
    write_elements(w_, op_, o.add, o.set, 0, elements);
  }
  void operator()(const policy::NftMapElements& o) {
    std::vector<KernelElement> elements;
    for (std::size_t i = 0; i < o.elements.size(); ++i) {
      append_kernel_elements(o.key, false, o.elements[i].first, &o.elements[i].second, i, elements);
    }
    write_elements(w_, op_, o.add, o.map, 0, elements);
  }

  void operator()(const policy::NftAddChain& o) {
    NftChainPtr chain = chain_object(w_.table(), o.name);
    if (o.base) {
      nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_HOOKNUM, hook_number(o.base->hook));
      nftnl_chain_set_s32(chain.get(), NFTNL_CHAIN_PRIO, o.base->priority);
      nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TYPE,
                          std::string(policy::nft_chain_type_name(o.base->type)).c_str());
      nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_POLICY,
                          o.base->policy_drop ? NF_DROP : NF_ACCEPT);
    }
    w_.write(NFT_MSG_NEWCHAIN, NLM_F_CREATE, op_, chain);
  }
  void operator()(const policy::NftDeleteChain& o) {
    w_.write(NFT_MSG_DELCHAIN, 0, op_, chain_object(w_.table(), o.name));
  }
  void operator()(const policy::NftFlushChain& o) {
    // DELRULE naming a chain and no handle deletes all of the chain's rules.
    w_.write(NFT_MSG_DELRULE, 0, op_, rule_object(w_.table(), o.name));
  }
  void operator()(const policy::NftAddRule& o) {
    NftRulePtr rule = rule_object(w_.table(), o.chain);
    RuleEncoder(w_, op_, rule.get()).encode(o.rule);
    NftUdataPtr udata(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
    const std::string comment = policy::rule_kernel_comment(o.rule);
    nftnl_udata_put_strz(udata.get(), NFTNL_UDATA_RULE_COMMENT, comment.c_str());
    nftnl_rule_set_data(rule.get(), NFTNL_RULE_USERDATA, nftnl_udata_buf_data(udata.get()),
                        nftnl_udata_buf_len(udata.get()));
    w_.write(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, op_, rule);
  }

 private:
  Writer& w_;
  std::size_t op_;
};

}  // namespace

NftEncodedBatch encode_batch(const policy::NftBatch& batch, std::uint32_t first_seq) {
  Writer w(batch.table, first_seq);
  w.begin_batch();
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    std::visit(OpEncoder(w, i), batch.ops[i]);
  }
  return w.end_batch();
}

std::uint32_t nft_key_type_id(const std::vector<NftType>& key) {
  std::uint32_t id = 0;
  for (const NftType t : key) {
    id = (id << kTypeBits) | nft_type_id(t);
  }
  return id;
}

std::optional<std::vector<NftType>> nft_key_types(std::uint32_t type_id, std::uint32_t key_len) {
  static constexpr NftType kTypes[] = {
      NftType::Ipv4Addr,    NftType::Ipv6Addr,   NftType::InetProto,
      NftType::InetService, NftType::Ifname,     NftType::IcmpType,
      NftType::IcmpCode,    NftType::Icmpv6Type, NftType::Icmpv6Code};
  std::vector<NftType> key;
  for (std::uint32_t id = type_id; id != 0; id >>= kTypeBits) {
    const std::uint32_t sub = id & ((1U << kTypeBits) - 1);
    auto it = std::find_if(std::begin(kTypes), std::end(kTypes),
                           [&](NftType t) { return nft_type_id(t) == sub; });
    if (it == std::end(kTypes)) {
      return std::nullopt;
    }
    key.insert(key.begin(), *it);
  }
  if (key.empty() || nft_key_len(key) != key_len) {
    return std::nullopt;
  }
  return key;
}

std::uint32_t nft_key_len(const std::vector<NftType>& key) {
  if (key.size() == 1) {
    return static_cast<std::uint32_t>(policy::nft_type_width(key[0]));
  }
  std::uint32_t len = 0;
  for (const NftType t : key) {
    len += round4(policy::nft_type_width(t));
  }
  return len;
}

std::vector<std::uint8_t> nft_key_bytes(const std::vector<NftType>& key, const NftKey& value,
                                        bool high) {
  std::vector<std::uint8_t> out(nft_key_len(key), 0);
  std::size_t off = 0;
  for (std::size_t i = 0; i < key.size() && i < value.size(); ++i) {
    const std::size_t width = policy::nft_type_width(key[i]);
    const auto& bytes = high ? value[i].hi : value[i].lo;
    std::copy_n(bytes.begin(), width, out.begin() + static_cast<std::ptrdiff_t>(off));
    off += key.size() == 1 ? width : round4(width);
  }
  return out;
}

std::optional<NftKey> nft_key_from_bytes(const std::vector<NftType>& key, const std::uint8_t* data,
                                         std::size_t len) {
  if (len != nft_key_len(key)) {
    return std::nullopt;
  }
  NftKey out;
  std::size_t off = 0;
  for (const NftType t : key) {
    const std::size_t width = policy::nft_type_width(t);
    NftValue v;
    std::copy_n(data + off, width, v.lo.begin());
    v.hi = v.lo;
    out.push_back(v);
    off += key.size() == 1 ? width : round4(width);
  }
  return out;
}

}  // namespace calico::netlink
