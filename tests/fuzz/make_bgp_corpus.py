#!/usr/bin/env python3
"""Writes the seed corpus for the BGP decoder fuzzer (tests/fuzz/corpus/bgp_decode/).

The messages are laid out by hand from the RFC formats (RFC 4271 §4, RFC 4760, RFC 5492,
RFC 4724, RFC 6793, RFC 9072, RFC 2918/7313, RFC 8203), independently of the C++ encoder:
valid messages of every type plus a few malformed ones and a multi-message stream.
Files named regress_* in that directory are inputs the fuzzer once crashed on, kept as
seeds; this script leaves them alone.

    tests/fuzz/make_bgp_corpus.py   # rewrites the corpus directory
"""
import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "bgp_decode"


def h(text):
    return bytes.fromhex(text.replace(" ", ""))


def msg(msg_type, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), msg_type) + body


def attr(flags, code, value):
    if len(value) > 255 or flags & 0x10:
        return struct.pack("!BBH", flags | 0x10, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def update(withdrawn=b"", attrs=b"", nlri=b""):
    return msg(2, struct.pack("!H", len(withdrawn)) + withdrawn +
               struct.pack("!H", len(attrs)) + attrs + nlri)


def as_path(segments, size=4):
    out = b""
    for seg_type, asns in segments:
        out += struct.pack("!BB", seg_type, len(asns))
        for asn in asns:
            out += struct.pack("!I" if size == 4 else "!H", asn)
    return out


def open_msg(caps, my_as=65001, hold=90, bgp_id=0x0A000001, version=4):
    params = b"\x02" + bytes([len(caps)]) + caps if caps else b""
    return msg(1, struct.pack("!BHHIB", version, my_as, hold, bgp_id, len(params)) + params)


ORIGIN = attr(0x40, 1, b"\x00")
AS_PATH = attr(0x40, 2, as_path([(2, [65001, 65002])]))
NEXT_HOP = attr(0x40, 3, h("c0000201"))
NLRI = h("18 0a0102 10 c0a8 00")
CAPS = (h("01 04 0001 00 01") + h("01 04 0002 00 01") + h("02 00") + h("80 00") +
        h("06 00") + h("40 06 8078 0001 01 80") + h("41 04 0000fde9") + h("46 00") +
        h("49 05 03 6e6f6465"))  # FQDN-like raw capability
V6_NH = h("20010db8000000000000000000000001")
V6_LL = h("fe800000000000000000000000000001")

corpus = {
    "keepalive": msg(4, b""),
    "open_minimal": open_msg(b""),
    "open_capabilities": open_msg(CAPS),
    "open_extended_params": msg(1, struct.pack("!BHHIBBH", 4, 23456, 180, 0xC0000201, 255, 255,
                                               len(CAPS) + 3) + b"\x02" +
                                struct.pack("!H", len(CAPS)) + CAPS),
    "notification_hold_timer": msg(3, h("04 00")),
    "notification_shutdown": msg(3, h("06 02") + bytes([11]) + b"maintenance"),
    "route_refresh": msg(5, h("0001 00 01")),
    "route_refresh_borr": msg(5, h("0002 01 01")),
    "update_eor_ipv4": update(),
    "update_eor_ipv6": update(attrs=attr(0x90, 15, h("0002 01"))),
    "update_ipv4_all_attrs": update(
        withdrawn=h("0c ac10"),
        attrs=ORIGIN + AS_PATH + NEXT_HOP + attr(0x80, 4, h("00000064")) +
        attr(0x40, 5, h("000000c8")) + attr(0x40, 6, b"") +
        attr(0xC0, 7, h("0000fde9 c0000209")) + attr(0xC0, 8, h("fde90001 ffffff01")) +
        attr(0x80, 9, h("0a000009")) + attr(0x80, 10, h("0a000001 0a000002")) +
        attr(0xC0, 32, h("0000fde9 00000001 00000002")) + attr(0xC0, 99, h("abcd")) +
        attr(0x80, 100, h("01")),
        nlri=NLRI),
    "update_ipv6_ll_next_hop": update(attrs=attr(0x90, 14, h("0002 01 20") + V6_NH + V6_LL +
                                                 h("00 30 20010db80001 40 20010db800020000")) +
                                      ORIGIN + attr(0x40, 2, b"")),
    "update_withdraw_both": update(withdrawn=h("08 0a 20 c0000201"),
                                   attrs=attr(0x90, 15, h("0002 01 20 20010db8"))),
    "update_two_octet_as4": update(
        attrs=ORIGIN + attr(0x40, 2, as_path([(2, [65001, 23456, 23456])], 2)) + NEXT_HOP +
        attr(0xC0, 7, h("5ba0 c0000209")) +
        attr(0xC0, 17, as_path([(2, [4200000001, 4200000002])])) +
        attr(0xC0, 18, h("fa56ea03 c0000209")),
        nlri=NLRI),
    "update_confed_and_set": update(
        attrs=ORIGIN + attr(0x40, 2, as_path([(3, [65100]), (4, [65101, 65102]), (2, [65001]),
                                              (1, [1, 2, 3])])) + NEXT_HOP,
        nlri=h("20 c0000201")),
    "update_extended_length": update(
        attrs=ORIGIN + AS_PATH + NEXT_HOP + attr(0xD0, 8, b"".join(
            struct.pack("!I", 0xFDE90000 + i) for i in range(70))),
        nlri=NLRI),
    "update_ipv4_in_mp_reach": update(
        attrs=attr(0x80, 14, h("0001 01 04 c0000201 00 08 0a")) + ORIGIN + AS_PATH),
    # Malformed ones.
    "bad_marker": b"\xff" * 15 + b"\x00" + h("0013 04"),
    "bad_type": msg(9, b""),
    "bad_open_version": open_msg(b"", version=3),
    "bad_open_capability_length": open_msg(h("41 02 fde9")),
    "bad_update_origin": update(attrs=attr(0x40, 1, b"\x05") + AS_PATH + NEXT_HOP, nlri=NLRI),
    "bad_update_as_path_overrun": update(attrs=ORIGIN + attr(0x40, 2, h("02 05 0000fde9")) +
                                         NEXT_HOP, nlri=NLRI),
    "bad_update_attr_overrun": update(attrs=ORIGIN + AS_PATH + NEXT_HOP + h("c0 08 10 0001"),
                                      nlri=NLRI),
    "bad_update_prefix_length": update(attrs=ORIGIN + AS_PATH + NEXT_HOP, nlri=h("21 0a000000 00")),
    "bad_update_mp_next_hop": update(attrs=attr(0x80, 14, h("0002 01 04 c0000201 00"))),
    "stream_open_keepalive_update": (open_msg(CAPS) + msg(4, b"") +
                                     update(attrs=ORIGIN + AS_PATH + NEXT_HOP, nlri=NLRI) +
                                     msg(4, b"")),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in corpus.items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(corpus)} files to {OUT}")


if __name__ == "__main__":
    main()
