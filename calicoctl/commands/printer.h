// `calicoctl get` output: Calico's ps-style tables (default and wide columns per kind,
// custom-columns), YAML, JSON and names.
//
// ps / wide / custom-columns follow calicoctl's resource printer: a Go tabwriter (minimum
// width 5, padding 3) over one header row and one row per resource, every cell (the last
// one too) padded, then an empty line.  When the command named several resources each
// one is printed as its own table, as calicoctl does.  A NAMESPACE column is prepended for
// namespaced kinds when -n or -A was given.  Column values are computed the way Calico's
// templates do (e.g. IPPool IPIPMODE "Never" when unset, BGPPeer NODE "(global)", Node
// ASN "(64512)" when inherited from the BGPConfiguration).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/kind.h"
#include "common/result.h"
#include "datastore/datastore.h"

namespace calico::calicoctl {

struct PrintRequest {
  api::Kind kind = api::Kind::IPPool;
  std::string output = "ps";  // ps | wide | yaml | json | name | custom-columns=A,B
  bool print_namespace = false;
  // Items as listed (a list) or, when `by_name`, one per named resource.
  std::vector<datastore::Object> items;
  bool by_name = false;
  std::string list_revision;  // metadata.resourceVersion of a list
  // The cluster's default AS number as Calico's `config "asnumber"` template function
  // reports it ("64512" without a BGPConfiguration default); asked for only when needed.
  std::string default_asn = "64512";
};

// True if the output names a format `get` supports.
bool valid_output(const std::string& output);

// True if rendering this request needs the cluster's default AS number.
bool needs_default_asn(const PrintRequest& req);

// The text to print, or an error (an unknown custom column).
Result<std::string, std::string> render_get(const PrintRequest& req);

// Calico's table headings for a kind: default or wide.
std::vector<std::string> table_headings(api::Kind kind, bool wide);

}  // namespace calico::calicoctl
