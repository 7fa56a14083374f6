#include "console/command_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "base/strings.hpp"

namespace sqlrepl::console {
namespace {

bool Blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && Blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && Blank(s.back())) s.remove_suffix(1);
  return s;
}

// `cmd` invokes the form: true, with what follows it in `rest`.
bool Matches(std::string_view form, std::string_view cmd, bool any_case, std::string_view* rest) {
  if (cmd.size() < form.size()) return false;
  const std::string_view head = cmd.substr(0, form.size());
  if (any_case ? !EqualsIgnoreCase(head, form) : head != form) return false;
  *rest = cmd.substr(form.size());
  // "\u" runs into its argument; any other form ends at a blank.
  const bool runs_in = form.size() == 2 && form[0] == '\\';
  return runs_in || rest->empty() || Blank(rest->front());
}

bool TakesArg(CommandArgs args, std::string_view arg) {
  switch (args) {
    case CommandArgs::kNone:
      return arg.empty();
    case CommandArgs::kRequired:
      return !arg.empty();
    case CommandArgs::kAny:
      return true;
  }
  return false;
}

std::string LeftColumn(const Command& c) {
  std::string left;
  if (!c.names.empty()) {
    left = fmt::format("{}", fmt::join(c.names, ", "));
    left.resize(std::max<size_t>(left.size() + 1, 10), ' ');
    if (!c.shorthands.empty()) left += fmt::format("({})", fmt::join(c.shorthands, ", "));
  } else {
    left = fmt::format("{}", fmt::join(c.shorthands, ", "));
  }
  // Appended in two steps: GCC 12 at -O3 flags `" " + std::string(...)`
  // with a false -Wrestrict.
  if (!c.hint.empty()) {
    left += ' ';
    left += c.hint;
  }
  return left;
}

}  // namespace

std::string_view CommandText(std::string_view line) {
  line = Trim(line);
  while (!line.empty() && (line.back() == ';' || Blank(line.back()))) line.remove_suffix(1);
  return line;
}

const Command* FindCommand(const CommandTable& table, std::string_view line, bool typing,
                           std::string_view* arg) {
  const std::string_view cmd = CommandText(line);
  for (const Command& c : table) {
    if (!c.run || (typing && !c.while_typing)) continue;
    std::string_view rest;
    const bool named =
        std::any_of(c.names.begin(), c.names.end(),
                    [&](std::string_view n) { return Matches(n, cmd, true, &rest); }) ||
        std::any_of(c.shorthands.begin(), c.shorthands.end(),
                    [&](std::string_view s) { return Matches(s, cmd, false, &rest); });
    if (named && TakesArg(c.args, Trim(rest))) {
      *arg = Trim(rest);
      return &c;
    }
  }
  return nullptr;
}

std::string HelpText(const CommandTable& table) {
  size_t width = 0;
  for (const Command& c : table) width = std::max(width, LeftColumn(c).size());
  std::string out;
  for (const Command& c : table) out += fmt::format("  {:<{}}  {}\n", LeftColumn(c), width, c.help);
  return out;
}

std::vector<std::string> CompletionWords(const CommandTable& table, const db::QueryResult* names) {
  std::vector<std::string> words;
  for (const Command& c : table) {
    for (std::string_view n : c.names) words.emplace_back(n);
  }
  if (names == nullptr) return words;
  for (const db::Row& row : names->rows) {
    if (!row.empty() && row[0]) words.push_back(*row[0]);
  }
  return words;
}

}  // namespace sqlrepl::console
