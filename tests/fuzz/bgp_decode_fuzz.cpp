// libFuzzer target for the BGP wire codec (bgp/wire/codec.h).
//
// Each input is decoded twice per option set (4-octet AS session without extended
// messages; 2-octet AS session with extended messages): once as a single message with
// decode_message() and once as a byte stream cut into pieces and fed to MessageFramer.
// Every result is checked for consistency, and every successfully decoded message is
// re-encoded and decoded again:
//   - errors are session resets with a known code, a reason and an in-range offset;
//   - `action` is the strongest of `soft_errors`, and only UPDATEs have soft errors;
//   - a message decoded without treat-as-withdraw re-encodes (unless it grew past the
//     size limit) and decodes back to the same value with no soft error; the encoding is
//     then a fixed point;
//   - encoded_update_size() equals the size of the real encoding of the same attributes.
// Violations abort (CALICO_CHECK), which libFuzzer reports as a crash.
//
// Built as `bgp_decode_fuzz` with -fsanitize=fuzzer (Clang, CALICO_FUZZ=ON) and always as
// `bgp_decode_fuzz_replay` (replay_main.cpp) so that every build runs the seed corpus.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bgp/wire/codec.h"
#include "common/result.h"

namespace {

using namespace calico::bgp;

void check_error(const DecodeError& e, std::size_t size) {
  CALICO_CHECK(e.action == ErrorAction::SessionReset);
  const auto code = static_cast<int>(e.code);
  CALICO_CHECK(code >= 1 && code <= 7);
  CALICO_CHECK(!e.reason.empty());
  CALICO_CHECK(e.offset <= size);
  CALICO_CHECK(!e.to_string().empty());
  const Notification n = e.to_notification();
  CALICO_CHECK(n.code == static_cast<std::uint8_t>(e.code) && n.subcode == e.subcode);
}

void check_soft_errors(const Decoded& d, std::size_t size) {
  CALICO_CHECK(d.action.has_value() == !d.soft_errors.empty());
  std::optional<ErrorAction> strongest;
  for (const auto& e : d.soft_errors) {
    CALICO_CHECK(e.code == ErrorCode::UpdateMessage);
    CALICO_CHECK(e.action == ErrorAction::TreatAsWithdraw ||
                 e.action == ErrorAction::AttributeDiscard);
    CALICO_CHECK(e.offset <= size);
    CALICO_CHECK(!e.reason.empty());
    if (!strongest || e.action < *strongest) {
      strongest = e.action;
    }
  }
  CALICO_CHECK(strongest == d.action);
  if (d.action) {
    CALICO_CHECK(type_of(d.message) == MessageType::Update);
  }
}

void check_update_size(const Update& u, const CodecOptions& opts) {
  if (!u.attrs) {
    return;
  }
  Update probe;
  probe.attrs = u.attrs;
  std::optional<AfiSafi> family;
  if (u.mp_reach) {
    family = u.mp_reach->af;
    probe.mp_reach = MpReach{*family, {}};
  }
  const auto bytes = encode_message(probe, opts);
  if (bytes) {
    CALICO_CHECK(bytes->size() == encoded_update_size(*u.attrs, family, opts));
  }
}

void check_round_trip(const Decoded& d, std::size_t size, const CodecOptions& opts) {
  if (const auto* n = std::get_if<Notification>(&d.message)) {
    CALICO_CHECK(!n->to_string().empty());
  }
  const bool withdraw = d.action == ErrorAction::TreatAsWithdraw;
  const auto bytes = encode_message(d.message, opts);
  if (!bytes) {
    // A treat-as-withdraw UPDATE may lack what an encodable one needs (a next hop...);
    // anything else may only fail by growing past the limit: a few bytes of layout
    // differences, or (2-octet peers) an AS4_PATH spelling out the whole merged path.
    if (!withdraw) {
      const std::size_t limit =
          type_of(d.message) == MessageType::Open ? kMaxMessageSize : opts.max_message_size();
      CALICO_CHECK(bytes.error().find("exceeds") != std::string::npos);
      CALICO_CHECK(size + 64 > limit || !opts.four_octet_as);
    }
    return;
  }
  const auto again = decode_message(*bytes, opts);
  if (!again) {
    check_error(again.error(), bytes->size());
    CALICO_CHECK(withdraw);  // only a treat-as-withdraw message may fail to come back
    return;
  }
  check_soft_errors(*again, bytes->size());
  if (withdraw) {
    return;
  }
  CALICO_CHECK(!again->action.has_value());
  CALICO_CHECK(again->message == d.message);
  const auto bytes2 = encode_message(again->message, opts);
  CALICO_CHECK(bytes2.has_value() && *bytes2 == *bytes);
  if (const auto* u = std::get_if<Update>(&d.message)) {
    check_update_size(*u, opts);
  }
}

void check_result(const calico::Result<Decoded, DecodeError>& r, std::size_t size,
                  const CodecOptions& opts) {
  if (!r) {
    check_error(r.error(), size);
    return;
  }
  check_soft_errors(*r, size);
  check_round_trip(*r, size, opts);
}

void run(std::span<const std::uint8_t> input, const CodecOptions& opts) {
  // The whole input as one message.
  check_result(decode_message(input, opts), input.size(), opts);

  // The input as a stream, cut into pieces whose sizes come from the input itself.
  MessageFramer framer;
  std::size_t pos = 0;
  std::size_t step = input.empty() ? 1 : static_cast<std::size_t>(input[0] % 23) + 1;
  while (pos < input.size()) {
    const std::size_t n = std::min(step, input.size() - pos);
    framer.feed(input.subspan(pos, n));
    pos += n;
    step = step * 7 % 31 + 1;
    for (;;) {
      const std::size_t before = framer.buffered();
      auto r = framer.next(opts);
      if (!r) {
        break;
      }
      // No bytes are fed inside this loop, so what next() consumed is the message.
      const std::size_t consumed = before - framer.buffered();
      if (!r->has_value()) {
        check_error(r->error(), before);
        if (consumed == 0) {
          return;  // a header error: sticky, the stream cannot be resynchronised
        }
        continue;
      }
      CALICO_CHECK(consumed >= kHeaderSize);
      check_soft_errors(**r, consumed);
      check_round_trip(**r, consumed, opts);
    }
    CALICO_CHECK(framer.buffered() <= input.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming): libFuzzer API
    const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  CodecOptions four_octet;  // defaults: 4-octet AS, 4096-byte messages
  CodecOptions two_octet_extended;
  two_octet_extended.four_octet_as = false;
  two_octet_extended.extended_message = true;
  run(input, four_octet);
  run(input, two_octet_extended);
  return 0;
}
