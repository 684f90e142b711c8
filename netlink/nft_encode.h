// Serialization of policy::NftBatch into one nfnetlink batch, and the key/type codecs the
// read-back shares (internal to calico::netlink; used by nft_committer.cpp and tests).
//
// encode_batch() builds, with libnftnl, the byte stream
//   NFNL_MSG_BATCH_BEGIN, one or more messages per op, NFNL_MSG_BATCH_END
// with consecutive sequence numbers, and remembers which op (and which set element, by
// attribute offset) every message carries, so a kernel error can be named precisely.
//
// Kernel encodings (what `nft --debug=netlink` shows for the same objects):
//   - keys: each field's bytes; in a concatenation every field starts on a 4-byte
//     boundary (one 32-bit register each);
//   - single-field interval sets: a range lo..hi is a start element `lo` plus, unless hi
//     is the type's maximum, an end element `hi+1` flagged NFT_SET_ELEM_INTERVAL_END;
//   - concatenated interval sets (flags interval|concat, field lengths in the set
//     description): one element with KEY = lo and KEY_END = hi;
//   - literal lists in rules become anonymous constant sets ("__set%d", bound by id) sent
//     just before the rule, like nft does;
//   - ip/ip6/icmp fields get nft's implicit dependencies (meta nfproto, meta l4proto).
//   - every rule carries a userdata comment "cal:<fingerprint>[ comment]".
//
// Thread affinity: none (pure functions over values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/nft_model.h"

namespace calico::netlink {

struct NftEncodedMessage {
  std::uint32_t seq = 0;
  std::size_t op = 0;  // index into NftBatch::ops
  // Element ops: (offset of the element's attribute from the message start, index of the
  // logical element in the op), ascending by offset.
  std::vector<std::pair<std::uint32_t, std::size_t>> elements;
};

struct NftEncodedBatch {
  std::vector<std::uint8_t> bytes;
  std::uint32_t begin_seq = 0;
  std::uint32_t end_seq = 0;
  std::vector<NftEncodedMessage> messages;  // ascending by seq
};

// Serializes `batch` with sequence numbers from first_seq on.
NftEncodedBatch encode_batch(const policy::NftBatch& batch, std::uint32_t first_seq);

// The key type id nft stores in NFTA_SET_KEY_TYPE (concatenations: 6 bits per field).
std::uint32_t nft_key_type_id(const std::vector<policy::NftType>& key);
// The inverse; nullopt for types we do not model or a length that does not fit.
std::optional<std::vector<policy::NftType>> nft_key_types(std::uint32_t type_id,
                                                          std::uint32_t key_len);
// NFTA_SET_KEY_LEN: the field width, or the sum of 4-byte-rounded widths.
std::uint32_t nft_key_len(const std::vector<policy::NftType>& key);
// Key bytes as the kernel stores them (lo or hi side of each field).
std::vector<std::uint8_t> nft_key_bytes(const std::vector<policy::NftType>& key,
                                        const policy::NftKey& value, bool high);
// Splits kernel key bytes back into a key of single values; nullopt if the length is off.
std::optional<policy::NftKey> nft_key_from_bytes(const std::vector<policy::NftType>& key,
                                                 const std::uint8_t* data, std::size_t len);

}  // namespace calico::netlink
