// Owning smart pointers for libnftnl and libmnl objects (internal to calico::netlink).
//
// Ownership handovers follow libnftnl: nftnl_rule_add_expr() and nftnl_set_elem_add() take
// the expression / element, so release() the pointer when handing it over.
//
// Thread affinity: none (plain ownership).  Error contract: none (deleters never fail).
#pragma once

#include <memory>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

namespace calico::netlink {

template <class T, auto Release>
struct NftDeleter {
  void operator()(T* p) const {
    if (p != nullptr) {
      Release(p);
    }
  }
};

inline void free_udata_buf(nftnl_udata_buf* b) {
  nftnl_udata_buf_free(b);
}
inline void free_gen(nftnl_gen* g) {
  nftnl_gen_free(g);
}
inline void close_mnl(mnl_socket* s) {
  (void)mnl_socket_close(s);
}

using NftTablePtr = std::unique_ptr<nftnl_table, NftDeleter<nftnl_table, nftnl_table_free>>;
using NftChainPtr = std::unique_ptr<nftnl_chain, NftDeleter<nftnl_chain, nftnl_chain_free>>;
using NftRulePtr = std::unique_ptr<nftnl_rule, NftDeleter<nftnl_rule, nftnl_rule_free>>;
using NftSetPtr = std::unique_ptr<nftnl_set, NftDeleter<nftnl_set, nftnl_set_free>>;
using NftSetElemPtr =
    std::unique_ptr<nftnl_set_elem, NftDeleter<nftnl_set_elem, nftnl_set_elem_free>>;
using NftExprPtr = std::unique_ptr<nftnl_expr, NftDeleter<nftnl_expr, nftnl_expr_free>>;
using NftUdataPtr = std::unique_ptr<nftnl_udata_buf, NftDeleter<nftnl_udata_buf, free_udata_buf>>;
using NftGenPtr = std::unique_ptr<nftnl_gen, NftDeleter<nftnl_gen, free_gen>>;
using MnlSocketPtr = std::unique_ptr<mnl_socket, NftDeleter<mnl_socket, close_mnl>>;

}  // namespace calico::netlink
