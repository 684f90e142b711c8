// Text output of the lab (pure): aligned tables and the reachability matrix.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace calico::lab {

// Columns left-aligned, separated by three spaces, headers as given.
std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows);

// cells[i][j]: row i reaches column j (nullopt: not probed, e.g. a pod to itself).
//   FROM \ TO     demo/web-1   demo/web-2
//   demo/web-1    -            yes
//   demo/web-2    no           -
// followed by "N of M connected".
std::string render_matrix(const std::vector<std::string>& from, const std::vector<std::string>& to,
                          const std::vector<std::vector<std::optional<bool>>>& cells);

// "1.2s" / "350ms".
std::string format_duration(double seconds);

}  // namespace calico::lab
