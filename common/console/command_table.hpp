// A prompt's commands as one table: the names each answers to, what it
// takes, its line in `help`, and what it does. The same table drives the
// dispatch, the help text and the words Tab offers, so that the three cannot
// disagree (they were kept apart, and commands matched three ways).
//
// Forms, as in the mysql client: a long name in any case ("status"), alone on
// its line or followed by its argument; a backslash form of two characters
// matched exactly, which may run into its argument ("\ufoo" is "\u foo"); a
// longer backslash form ("\slaves"), followed by a blank or the end.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "db/query_result.hpp"

namespace sqlrepl::console {

// What a command did: the prompt goes on, ends, or sends the statement
// being typed (go, ego).
enum class CommandAction { kHandled, kQuit, kSend, kSendVertical };

enum class CommandArgs { kNone, kRequired, kAny };

struct Command {
  std::vector<std::string_view> names;       // long forms, any case; may be empty
  std::vector<std::string_view> shorthands;  // "\q", "\slaves", "?": exactly
  CommandArgs args = CommandArgs::kNone;     // a form with another argument is no match
  bool while_typing = false;                 // also acts in the middle of a statement
  std::string_view hint;                     // the argument, as help shows it
  std::string_view help;                     // one line
  // `arg` without surrounding blanks; `interactive`: the input is a terminal.
  // Empty for an entry of the help alone (DELIMITER, which the splitter reads).
  std::function<CommandAction(std::string_view arg, bool interactive)> run;
};

using CommandTable = std::vector<Command>;

// `line` without blanks around it and the ';' after it.
std::string_view CommandText(std::string_view line);

// The command `line` invokes, with its argument in `arg`; nullptr when none
// does. With `typing` (a statement is being typed) only the commands that
// act while typing are looked for.
const Command* FindCommand(const CommandTable& table, std::string_view line, bool typing,
                           std::string_view* arg);

// One line per command: its names, backslash forms and argument, then what
// it does, in aligned columns.
std::string HelpText(const CommandTable& table);

// The tables and columns of the current database, for Tab.
inline constexpr std::string_view kCompletionQuery =
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() UNION "
    "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()";

// What Tab offers besides SQL keywords: the commands' long names, and the
// first column of `names` (kCompletionQuery's answer; null: none).
std::vector<std::string> CompletionWords(const CommandTable& table, const db::QueryResult* names);

}  // namespace sqlrepl::console
