// Connection collision resolution (see collision.h).
#include "bgp/fsm/collision.h"

namespace calico::bgp::fsm {

CollisionWinner resolve_collision(std::uint32_t local_id, std::uint32_t remote_id) {
  // RFC 4271 §6.8: "retain only the connection initiated by the BGP speaker with the
  // higher-valued BGP Identifier".
  return local_id >= remote_id ? CollisionWinner::LocallyInitiated
                               : CollisionWinner::RemotelyInitiated;
}

CollisionWinner resolve_collision(std::uint32_t local_id, std::uint32_t remote_id,
                                  std::uint32_t local_as, std::uint32_t remote_as) {
  if (local_id == remote_id) {
    // RFC 6286 §2.3: identical identifiers -> the speaker with the larger AS number.
    return local_as >= remote_as ? CollisionWinner::LocallyInitiated
                                 : CollisionWinner::RemotelyInitiated;
  }
  return resolve_collision(local_id, remote_id);
}

CollisionVerdict check_collision(ConnectionView self, ConnectionView other, std::uint32_t local_id,
                                 std::uint32_t remote_id, std::uint32_t local_as,
                                 std::uint32_t remote_as) {
  switch (other.state) {
    case State::Idle:
    case State::Connect:
    case State::Active:
      return CollisionVerdict::NoCollision;
    case State::Established:
      return CollisionVerdict::CloseThis;
    case State::OpenSent:
    case State::OpenConfirm:
      break;
  }
  if (self.initiator == other.initiator) {
    return CollisionVerdict::CloseOther;
  }
  const CollisionWinner winner = resolve_collision(local_id, remote_id, local_as, remote_as);
  const Initiator keep =
      winner == CollisionWinner::LocallyInitiated ? Initiator::Local : Initiator::Remote;
  return self.initiator == keep ? CollisionVerdict::CloseOther : CollisionVerdict::CloseThis;
}

CollisionVerdict check_collision(const SessionFsm& self, const SessionFsm& other,
                                 std::uint32_t remote_id, std::uint32_t remote_as) {
  if (!self.initiator() || !other.initiator()) {
    return CollisionVerdict::NoCollision;
  }
  return check_collision(ConnectionView{*self.initiator(), self.state()},
                         ConnectionView{*other.initiator(), other.state()},
                         self.config().local_router_id, remote_id, self.config().local_as,
                         remote_as);
}

}  // namespace calico::bgp::fsm
