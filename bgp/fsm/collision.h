// Connection collision detection (RFC 4271 §6.8, RFC 6286 §2.3), as pure decisions for
// the peer glue that runs one SessionFsm per TCP connection.
//
// When both speakers connect at the same time (common at start-up in a full mesh), two
// connections exist for one peering and exactly one must survive.  RFC 4271 §6.8: keep
// the connection initiated by the speaker with the higher BGP Identifier (compared as
// 4-octet unsigned integers); RFC 6286 §2.3: when the identifiers are equal (possible
// between ASes), keep the one initiated by the speaker with the larger AS number.  A
// collision with a session already Established closes the new connection (RFC 4271 §6.8,
// CollisionDetectEstablishedState is not supported).
//
// Recommended glue, per configured peer:
//   1. A primary SessionFsm, ManualStart'ed.  Execute its actions in order.
//   2. An accepted connection from the peer's address:
//        - primary.accepts_connection() (Connect/Active): primary gets
//          TcpConnectionConfirmed (the pending outbound attempt is abandoned);
//        - primary in OpenSent/OpenConfirm/Established and no secondary yet: create a
//          secondary SessionFsm with the same config, handle ManualStart{.passive_once =
//          true} then TcpConnectionConfirmed;
//        - otherwise (primary Idle, or a secondary already exists): close the socket.
//   3. An OPEN decoded on connection X while the other FSM Y exists: if
//      negotiate(X.config(), open) fails, just deliver BgpOpen to X (it sends the OPEN
//      error).  Otherwise switch on check_collision(X, Y, open.bgp_id, open.asn()):
//        NoCollision -> X gets BgpOpen;
//        CloseThis   -> X gets OpenCollisionDump (not the OPEN);
//        CloseOther  -> Y gets OpenCollisionDump, then X gets BgpOpen.
//      Checking before delivering the OPEN means the losing connection never sends a
//      KEEPALIVE, so the peer's side of it never reaches Established.
//   4. A secondary that falls back to Idle, Connect or Active is discarded.  A primary
//      dumped by collision (Idle, no restart pending) is discarded and the secondary
//      becomes the primary; it carries the same config, so its later automatic restarts
//      connect out as usual.
// Both speakers apply the same rule, so they agree on the survivor without coordination.
#pragma once

#include <cstdint>

#include "bgp/fsm/session_fsm.h"

namespace calico::bgp::fsm {

// Whose connection survives: the one we initiated, or the one the peer initiated.
enum class CollisionWinner : std::uint8_t { LocallyInitiated, RemotelyInitiated };

// RFC 4271 §6.8: the connection initiated by the speaker with the higher BGP Identifier.
// Equal identifiers cannot be told apart without AS numbers; the locally initiated
// connection is returned (use the four-argument form between ASes).
CollisionWinner resolve_collision(std::uint32_t local_id, std::uint32_t remote_id);
// Adds the RFC 6286 §2.3 tie-break: equal identifiers -> the larger AS initiated the
// survivor.  Equal identifiers within one AS are refused earlier (Bad BGP Identifier).
CollisionWinner resolve_collision(std::uint32_t local_id, std::uint32_t remote_id,
                                  std::uint32_t local_as, std::uint32_t remote_as);

// One connection of a peering as the collision rule sees it.
struct ConnectionView {
  Initiator initiator = Initiator::Local;
  State state = State::Idle;
};

enum class CollisionVerdict : std::uint8_t {
  NoCollision,  // the other FSM has no connection with an OPEN exchange under way
  CloseThis,    // dump the connection that just received the OPEN
  CloseOther,   // dump the other connection, keep this one
};

// `self` just received an acceptable OPEN from the peer (remote_id, remote_as); `other` is
// the peering's other connection.
//   other Idle/Connect/Active    -> NoCollision;
//   other Established            -> CloseThis (RFC 4271 §6.8);
//   other OpenSent/OpenConfirm   -> the RFC 4271 §6.8 / RFC 6286 §2.3 rule.  OpenSent is
//     included: the peer's identifier is known from this OPEN (RFC 4271 §6.8 allows it),
//     which settles the collision one round trip earlier.
//   both initiated by the same side (only possible when the peer reconnects while its old
//     connection is not yet detected as dead) -> CloseOther: the newer connection wins.
CollisionVerdict check_collision(ConnectionView self, ConnectionView other, std::uint32_t local_id,
                                 std::uint32_t remote_id, std::uint32_t local_as,
                                 std::uint32_t remote_as);

// The same for two FSMs of one peering (ids and ASes from self.config()).  An FSM without
// a connection (no initiator) never collides.
CollisionVerdict check_collision(const SessionFsm& self, const SessionFsm& other,
                                 std::uint32_t remote_id, std::uint32_t remote_as);

}  // namespace calico::bgp::fsm
