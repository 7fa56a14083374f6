#include "master/write_notes.hpp"

#include <fmt/format.h>

namespace sqlrepl::master {

std::string WriteNoteText(WriteNote note, size_t statements, const std::string& detail) {
  switch (note) {
    case WriteNote::kCommittedFirst:
      return "The open transaction was committed first, as the server does before " + detail + ".";
    case WriteNote::kServerRolledBack:
      return fmt::format(
          "The server rolled the transaction back; none of its {} statement(s) will be replicated.",
          statements);
    case WriteNote::kStatementCommittedIt:
      return "This statement committed the open transaction, as the server does.";
    case WriteNote::kStatementRolledItBack:
      return fmt::format(
          "The open transaction was rolled back; none of its {} statement(s) will be replicated.",
          statements);
    case WriteNote::kCommitUnknown:
      return "Could not tell whether the open transaction committed: " + detail;
    case WriteNote::kNotLogged:
      return "Executed on the master but not logged for the slaves: " + detail;
  }
  return detail;
}

}  // namespace sqlrepl::master
