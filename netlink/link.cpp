// ifindex_of(): one RTM_GETLINK request by IFLA_IFNAME (built by libnl), answered with the
// interface's ifinfomsg.  See link.h for the contract.
#include "netlink/link.h"

#include <net/if.h>

#include <cstring>
#include <vector>

#include <linux/rtnetlink.h>

#include "netlink/nl_ptr.h"
#include "netlink/nl_socket.h"

namespace calico::netlink {

Result<int, std::string> ifindex_of(NetlinkSocket& socket, const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('/') != std::string::npos) {
    return fail("interface '" + name + "': invalid name");
  }
  nl_msg* raw = nullptr;
  const int err = rtnl_link_build_get_request(0, name.c_str(), &raw);
  const NlMsgPtr msg(raw);
  if (err < 0) {
    return fail("interface " + name + ": building RTM_GETLINK: " + nl_geterror(err));
  }
  const nlmsghdr* hdr = nlmsg_hdr(msg.get());
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(hdr);
  int index = 0;
  auto done = socket.request(std::vector<std::uint8_t>(bytes, bytes + hdr->nlmsg_len),
                             [&](nlmsghdr& reply) {
                               if (reply.nlmsg_type != RTM_NEWLINK ||
                                   nlmsg_datalen(&reply) < static_cast<int>(sizeof(ifinfomsg))) {
                                 return;
                               }
                               ifinfomsg info{};
                               std::memcpy(&info, nlmsg_data(&reply), sizeof(info));
                               index = info.ifi_index;
                             });
  if (!done) {
    return fail("interface " + name + ": " + done.error().message);
  }
  if (index <= 0) {
    return fail("interface " + name + ": no RTM_NEWLINK in the kernel's reply");
  }
  return index;
}

}  // namespace calico::netlink
