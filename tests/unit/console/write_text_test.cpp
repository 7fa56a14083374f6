// The write path's notes as the user reads them (console/write_text.hpp):
// each code with its data gives one text, and an error the master
// explains keeps the error's code and numbers.
#include "console/write_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sqlrepl::console {
namespace {

using master::Note;
using master::NoteCode;
using ::testing::HasSubstr;

TEST(WriteText, EachTransactionNoteWithItsData) {
  struct Row {
    Note note;
    const char* text;
  };
  // clang-format off
  const Row rows[] = {
    {{.code = NoteCode::kCommittedFirst, .detail = "CREATE TABLE"},
     "The open transaction was committed first, as the server does before CREATE TABLE."},
    {{.code = NoteCode::kServerRolledBack, .statements = 2},
     "The server rolled the transaction back; none of its 2 statement(s) will be replicated."},
    {{.code = NoteCode::kStatementCommittedIt}, "This statement committed the open transaction, as the server does."},
    {{.code = NoteCode::kStatementRolledItBack, .statements = 3},
     "The open transaction was rolled back; none of its 3 statement(s) will be replicated."},
    {{.code = NoteCode::kCommitUnknown, .detail = "ERROR 2013"}, "Could not tell whether the open transaction committed: ERROR 2013"},
    {{.code = NoteCode::kNotLogged, .detail = "ERROR 1114"}, "Executed on the master but not logged for the slaves: ERROR 1114"},
    {{.code = NoteCode::kReconnecting}, "No connection. Trying to reconnect..."},
    {{.code = NoteCode::kConnectionId, .session = 42}, "Connection id:    42"},
    {{.code = NoteCode::kCurrentDatabase, .detail = "school"}, "Current database: school"},
    {{.code = NoteCode::kCurrentDatabase}, "Current database: *** NONE ***"},
  };
  // clang-format on
  for (const Row& r : rows) EXPECT_EQ(NoteText(r.note), r.text);
}

TEST(WriteText, MessagesNameTheWriteAndNeverSayRolledBackOnAGuess) {
  const std::string statement = "INSERT INTO t VALUES (1)";
  const std::string unknown = NoteText({.code = NoteCode::kWriteUnknown,
                                        .seq = 7,
                                        .statement = statement,
                                        .detail = "Can't connect"});
  EXPECT_THAT(unknown,
              HasSubstr("unknown: the write may have committed; check write #7 before running "
                        "it again: INSERT INTO t VALUES (1)"));
  EXPECT_THAT(unknown, HasSubstr("Can't connect"));
  EXPECT_THAT(unknown, ::testing::Not(HasSubstr("rolled back")));
  EXPECT_EQ(NoteText({.code = NoteCode::kCommittedBeforeLoss, .seq = 7, .statement = statement}),
            "Write #7 committed before the connection was lost; it is replicated now: INSERT INTO "
            "t VALUES (1)");
  const std::string not_committed =
      NoteText({.code = NoteCode::kNotCommittedBeforeLoss, .seq = 7, .statement = statement});
  EXPECT_THAT(not_committed, HasSubstr("Write #7 did not commit"));
  EXPECT_THAT(not_committed, HasSubstr("INSERT INTO t VALUES (1)"));
}

TEST(WriteText, EachDecisionThatLeavesTheStatementToTheUserSaysWhy) {
  struct Row {
    NoteCode code;
    const char* says;
  };
  // clang-format off
  const Row rows[] = {
    {NoteCode::kTransactionLost,        "the server rolled back its 3 statement(s)"},
    {NoteCode::kTransactionCommitted,   "is replicated as write #9"},
    {NoteCode::kAutocommitNotRunAgain,  "Set autocommit = 0 again, then run it."},
    {NoteCode::kMayHaveTakenEffect,     "it may have taken effect before the connection was lost"},
  };
  // clang-format on
  for (const Row& r : rows) {
    const std::string message = NoteText({.code = r.code, .seq = 9, .statements = 3});
    EXPECT_THAT(message, HasSubstr(r.says));
    EXPECT_THAT(message, ::testing::Not(HasSubstr("{}")));
  }
  EXPECT_THAT(NoteText({.code = NoteCode::kAutocommitLost}),
              HasSubstr("SET autocommit = 0 was lost with the session"));
}

// Each code has a text of its own: none falls through to its bare detail
// (the renderer reads the codes in groups, by their order).
TEST(WriteText, EveryCodeHasItsText) {
  const int last = static_cast<int>(NoteCode::kNotReconnectedMayHaveRun);
  for (int i = 0; i <= last; ++i) {
    const Note note{.code = static_cast<NoteCode>(i), .detail = "DETAIL"};
    EXPECT_NE(NoteText(note), "DETAIL") << "code " << i;
  }
}

// The reconnection's own error comes first, with its numbers; then what the
// loss meant for the statement.
TEST(WriteText, AnErrorTheMasterExplainsKeepsItsCodeAndNumbers) {
  master::Executed e;
  e.result = Status::SqlError(2003, "HY000", "Can't connect to server");
  EXPECT_EQ(ShownError(e).message(), "Can't connect to server") << "no explanation: its own";
  e.error_note = Note{.code = NoteCode::kNotReconnectedMayHaveRun,
                      .statements = 2,
                      .detail = "Lost connection to server during query"};
  const Status shown = ShownError(e);
  EXPECT_EQ(shown.code(), StatusCode::kSqlError);
  EXPECT_EQ(shown.sql_errno(), 2003u);
  EXPECT_EQ(shown.sqlstate(), "HY000");
  EXPECT_EQ(shown.message(),
            "Can't connect to server (reconnecting after the connection was lost: Lost connection "
            "to server during query; it may have taken effect; check before running it again, and "
            "the open transaction (2 statements) was lost with it)");
  e.result = Status::Unavailable("the write is in doubt");
  e.error_note = Note{.code = NoteCode::kTransactionLost, .statements = 1};
  EXPECT_EQ(ShownError(e).code(), StatusCode::kUnavailable);
  EXPECT_THAT(ShownError(e).message(), HasSubstr("The open transaction was lost"));
}

}  // namespace
}  // namespace sqlrepl::console
