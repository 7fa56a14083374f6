// What the write path tells the user about the open transaction and the
// log, as codes with their data; the text is built here, in one place.
#pragma once

#include <cstddef>
#include <string>

namespace sqlrepl::master {

enum class WriteNote {
  kCommittedFirst,         // detail: what commits implicitly (a verb, "SET autocommit = 1")
  kServerRolledBack,       // the server rolled it back (deadlock); `statements` of it
  kStatementCommittedIt,   // a CALL or the like committed it
  kStatementRolledItBack,  // a CALL or the like rolled it back; `statements` of it
  kCommitUnknown,          // detail: why the log could not say
  kNotLogged,              // detail: why the statement's log row failed
};

std::string WriteNoteText(WriteNote note, size_t statements = 0, const std::string& detail = "");

}  // namespace sqlrepl::master
