// The write path's notes (write_notes.hpp) as a table: each code with its
// data gives the text the user reads.
#include "master/write_notes.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::master {
namespace {

TEST(WriteNotes, EachCodeWithItsData) {
  struct Row {
    WriteNote note;
    size_t statements;
    const char* detail;
    const char* text;
  };
  // clang-format off
  const Row rows[] = {
    {WriteNote::kCommittedFirst, 0, "CREATE TABLE",
     "The open transaction was committed first, as the server does before CREATE TABLE."},
    {WriteNote::kServerRolledBack, 2, "",
     "The server rolled the transaction back; none of its 2 statement(s) will be replicated."},
    {WriteNote::kStatementCommittedIt, 0, "", "This statement committed the open transaction, as the server does."},
    {WriteNote::kStatementRolledItBack, 3, "",
     "The open transaction was rolled back; none of its 3 statement(s) will be replicated."},
    {WriteNote::kCommitUnknown, 0, "ERROR 2013", "Could not tell whether the open transaction committed: ERROR 2013"},
    {WriteNote::kNotLogged, 0, "ERROR 1114", "Executed on the master but not logged for the slaves: ERROR 1114"},
  };
  // clang-format on
  for (const Row& r : rows) EXPECT_EQ(WriteNoteText(r.note, r.statements, r.detail), r.text);
}

}  // namespace
}  // namespace sqlrepl::master
