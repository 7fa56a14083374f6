// Whether `slave --provision` may load into the slave's database, and what
// it must clear first (docs/provisioning.md "The slave's side"). A pure
// decision on what the administrator's look at the server found.
#pragma once

#include <string>
#include <vector>

namespace sqlrepl::provision {

struct GateFacts {
  std::string database;             // DB_NAME
  std::vector<std::string> tables;  // what DB_NAME holds now (tables and views)
  bool marker = false;              // an earlier provisioning did not finish
  bool force = false;               // --force
};

struct GateDecision {
  bool proceed = false;
  std::vector<std::string> drop;  // DB_NAME's objects to remove before loading
  std::string refusal;            // why not, for the console, when !proceed
};

GateDecision DecideGate(const GateFacts& facts);

// The line a slave prints, and refuses to start with, while the marker of
// an unfinished provisioning is there.
inline constexpr const char* kIncompleteMessage =
    "provisioning did not finish; run slave --provision again";

}  // namespace sqlrepl::provision
