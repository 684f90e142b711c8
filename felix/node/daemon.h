// NodeDaemon: calico-node's process.  One process, three kinds of threads:
//   - the felix loop (the caller of run()): datastore events -> felix::Agent -> routes,
//     nftables, sysctls; retries with backoff; a full resync every refresh interval;
//   - the event loop (Boost.Asio): the BGP speaker (BgpRunner), its control socket, the
//     health/metrics HTTP endpoints and the signal handler;
//   - one watcher thread per watched kind (datastore::Watcher), which only queue events.
// Why one process: felix and the speaker share the node's identity, its datastore view and
// its health report; a single process has one configuration, one log and one restart
// domain, and the speaker's configuration moves between them as a function call instead
// of through generated files and reloads (BIRD + confd).  The speaker runs on its own
// thread so a slow nftables commit never delays a keepalive.
//
// Start-up: registers the Node (address from IP/IP6 or autodetection), writes the node
// name file for the CNI plugin, upgrades the host's IPAM data (Datastore::upgrade_host),
// then watches.  Nothing reaches the kernel before every watch is in sync (felix/agent.h).
// SIGTERM/SIGINT: Cease to the BGP peers, then exit; routes and nftables tables stay for
// the next start, which reconciles them without disturbing running workloads.
#pragma once

#include <string>

#include "datastore/config.h"
#include "felix/node_config.h"

namespace calico::felix {

// Runs until SIGTERM/SIGINT; returns the exit code.
int run_node_daemon(const NodeOptions& options, const datastore::DatastoreConfig& datastore);

// The interfaces' addresses as (name, "addr/len"), in the system's order (getifaddrs).
std::vector<std::pair<std::string, std::string>> interface_addresses();

}  // namespace calico::felix
