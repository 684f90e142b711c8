// Boxed tables as released calicoctl prints them (olekukonko/tablewriter defaults, used by
// `node status` and `ipam show` up to Calico 3.32):
//
//   +--------------+-------------------+
//   | PEER ADDRESS |     PEER TYPE     |
//   +--------------+-------------------+
//   | 172.17.8.102 | node-to-node mesh |
//   +--------------+-------------------+
//
// Column width = longest cell (after wrapping); one space of padding each side; headers
// centred (odd spare space on the right); cells left-aligned unless they are a plain
// number (`-?\d+(\.\d+)?`, optionally with thousands commas), which is right-aligned.
// A cell longer than 30 characters is word-wrapped to max(30, longest word) over several
// lines, as tablewriter's auto-wrap does.
#pragma once

#include <string>
#include <vector>

namespace calico::calicoctl {

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// True for the cells tablewriter right-aligns.
bool is_table_number(const std::string& cell);

}  // namespace calico::calicoctl
