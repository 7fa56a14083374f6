#include "provision/gate.hpp"

#include <fmt/format.h>

namespace sqlrepl::provision {

namespace {

// "a, b, c and 4 more": enough to recognise the database, never a wall.
std::string Some(const std::vector<std::string>& names) {
  constexpr size_t kShown = 5;
  std::string out;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kShown) out += fmt::format(" and {} more", names.size() - kShown);
  return out;
}

}  // namespace

GateDecision DecideGate(const GateFacts& facts) {
  GateDecision d;
  // The partial copy of an unfinished provisioning is ours to replace:
  // starting clean must not need --force.
  if (facts.tables.empty() || facts.marker || facts.force) {
    d.proceed = true;
    d.drop = facts.tables;
    return d;
  }
  d.refusal = fmt::format(
      "database '{}' is not empty ({} object{}: {}); provisioning replaces everything in it: run "
      "slave --provision --force to do so",
      facts.database, facts.tables.size(), facts.tables.size() == 1 ? "" : "s", Some(facts.tables));
  return d;
}

}  // namespace sqlrepl::provision
