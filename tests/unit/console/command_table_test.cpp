#include "console/command_table.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::console {
namespace {

CommandAction Handled(std::string_view, bool) { return CommandAction::kHandled; }

const CommandTable& Table() {
  static const CommandTable table = {
      {{"status"}, {"\\s"}, CommandArgs::kNone, false, "", "show the status", Handled},
      {{"clear"}, {"\\c"}, CommandArgs::kNone, true, "", "drop the statement", Handled},
      {{"use"}, {"\\u"}, CommandArgs::kRequired, false, "db", "choose a database", Handled},
      {{"source"}, {"\\."}, CommandArgs::kAny, false, "file", "run a file", Handled},
      {{}, {"\\slaves"}, CommandArgs::kNone, false, "", "the slaves", Handled},
      {{}, {"\\verify"}, CommandArgs::kAny, false, "[t ...]", "compare", Handled},
      {{"quit", "exit"}, {"\\q"}, CommandArgs::kNone, false, "", "leave", Handled},
      {{"help"}, {"\\h", "\\?", "?"}, CommandArgs::kNone, false, "", "this text", Handled},
      {{"DELIMITER"}, {}, CommandArgs::kRequired, false, "xyz", "help only", nullptr},
  };
  return table;
}

struct Case {
  const char* line;
  bool typing;
  const char* command;  // the first name or form of the command found; "" none
  const char* arg;
};

// The rules the master's prompt had, matched three ways, now one table.
TEST(CommandTable, FindsTheCommandALineNames) {
  const Case cases[] = {
      {"status", false, "status", ""},
      {"  STATUS ;", false, "status", ""},
      {"\\s", false, "status", ""},
      {"status now", false, "", ""},        // takes no argument: SQL, not the command
      {"\\slaves", false, "\\slaves", ""},  // not \s with "laves"
      {"\\slaves x", false, "", ""},
      {"\\verify", false, "\\verify", ""},
      {"\\verify t1 t2;", false, "\\verify", "t1 t2"},
      {"\\verifyx", false, "", ""},
      {"use school", false, "use", "school"},
      {"\\uschool", false, "use", "school"},  // a backslash form runs into its argument
      {"use", false, "", ""},                 // needs its argument
      {"user", false, "", ""},
      {"source", false, "source", ""},
      {"\\. a.sql", false, "source", "a.sql"},
      {"exit", false, "quit", ""},
      {"\\q", false, "quit", ""},
      {"?", false, "help", ""},
      {"\\?", false, "help", ""},
      {"DELIMITER //", false, "", ""},  // the splitter's, not a command
      {"clear", true, "clear", ""},     // acts while a statement is typed
      {"\\c", true, "clear", ""},
      {"status", true, "", ""},  // the others wait for the statement's end
      {"\\q", true, "", ""},
      {"SELECT 1;", false, "", ""},
  };
  for (const Case& c : cases) {
    std::string_view arg = "unset";
    const Command* found = FindCommand(Table(), c.line, c.typing, &arg);
    const std::string name =
        found == nullptr
            ? ""
            : std::string(found->names.empty() ? found->shorthands[0] : found->names[0]);
    EXPECT_EQ(name, c.command) << c.line;
    if (found != nullptr) {
      EXPECT_EQ(arg, c.arg) << c.line;
    }
  }
}

TEST(CommandTable, HelpHasOneAlignedLinePerCommand) {
  const CommandTable table = {
      {{"source"}, {"\\."}, CommandArgs::kAny, false, "file", "run a file", Handled},
      {{}, {"\\slaves"}, CommandArgs::kNone, false, "", "the slaves", Handled},
      {{"quit", "exit"}, {"\\q"}, CommandArgs::kNone, false, "", "leave", Handled},
  };
  EXPECT_EQ(HelpText(table),
            "  source    (\\.) file  run a file\n"
            "  \\slaves              the slaves\n"
            "  quit, exit (\\q)      leave\n");
}

TEST(CommandTable, TabOffersTheLongNamesAndTheDatabasesNames) {
  db::QueryResult names;
  names.rows = {{std::string("students")}, {std::nullopt}, {std::string("age")}};
  const std::vector<std::string> expected = {"status", "clear", "use",       "source",   "quit",
                                             "exit",   "help",  "DELIMITER", "students", "age"};
  EXPECT_EQ(CompletionWords(Table(), &names), expected);
  EXPECT_EQ(CompletionWords(Table(), nullptr).size(), 8u);
}

}  // namespace
}  // namespace sqlrepl::console
