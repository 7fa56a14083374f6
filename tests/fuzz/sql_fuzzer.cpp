// libFuzzer target over the lexer, the splitter and the classifier (with the
// slave policy and the determinism check). Besides crashes and sanitizer
// reports it checks two invariants:
//   - tokens are non-empty, in order and inside the input;
//   - feeding the splitter in two chunks gives the same statements as
//     feeding it all at once.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sql/classifier.hpp"
#include "sql/determinism.hpp"
#include "sql/lexer.hpp"
#include "sql/policy.hpp"
#include "sql/redact.hpp"
#include "sql/splitter.hpp"

namespace {

using namespace sqlrepl::sql;

class AnySchema : public SchemaInfo {
 public:
  bool HasAutoIncrement(const TableRef& t) override { return !t.table.empty(); }
  int UniqueKeyCount(const TableRef& t) override { return static_cast<int>(t.table.size() % 3); }
  bool IsStoredFunction(std::string_view, std::string_view name) override {
    return name.size() == 4;
  }
  // Every table is a view of itself with a trigger: the depth limit ends it.
  TableDefinition Definition(const TableRef& t) override {
    return {{{"c", "uuid()"}},
            {},
            {{"tr", "INSERT", "INSERT INTO " + t.table + " () VALUES ()", ""}},
            "select * from " + t.table};
  }
};

std::vector<std::string> Split(std::string_view text, size_t cut) {
  StatementSplitter s;
  s.Feed(text.substr(0, cut));
  s.Feed(text.substr(cut));
  s.Finish();
  std::vector<std::string> out;
  while (auto st = s.Next()) out.push_back(st->error.empty() ? st->text : "!" + st->error);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  size_t previous_end = 0;
  for (const Token& t : Tokenize(text)) {
    if (t.text.empty() || t.begin < previous_end || t.end() > size) __builtin_trap();
    previous_end = t.end();
    (void)Unquote(t);
  }

  const std::vector<std::string> whole = Split(text, size);
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  if (Split(text, cut) != whole) __builtin_trap();

  // A sequence: each statement read under the quoting mode a master's
  // session could have switched to before it (ANSI_QUOTES,
  // NO_BACKSLASH_ESCAPES, both or neither), as a slave reads an event.
  AnySchema schema;
  for (size_t i = 0; i < whole.size(); ++i) {
    const uint8_t pick = size == 0 ? 0 : data[(i * 7) % size];
    const LexMode mode{(pick & 1) != 0, (pick & 2) != 0};
    const std::string& statement = whole[i];
    const Classification c = Classify(statement, mode);
    if (!(c.mode == mode)) __builtin_trap();
    for (const std::string& name : c.user_variables) {
      if (name.empty()) __builtin_trap();
    }
    (void)KindName(c.kind);
    (void)CheckSlavePolicy(c, "school", "repl_meta");
    (void)FindNondeterminism(statement, c, "school", &schema);
    (void)RedactPasswords(statement, mode);
  }
  const Classification c = Classify(text);
  (void)CheckSlavePolicy(c, "", "repl_meta");
  return 0;
}
