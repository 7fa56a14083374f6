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
#include "sql/splitter.hpp"

namespace {

using namespace sqlrepl::sql;

class AnySchema : public SchemaInfo {
 public:
  bool HasAutoIncrement(const TableRef& t) override { return !t.table.empty(); }
  int UniqueKeyCount(const TableRef& t) override { return static_cast<int>(t.table.size() % 3); }
  bool IsStoredFunction(std::string_view, std::string_view name) override { return name.size() == 4; }
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

  AnySchema schema;
  for (const std::string& statement : whole) {
    const Classification c = Classify(statement);
    (void)KindName(c.kind);
    (void)CheckSlavePolicy(c, "school", "repl_meta");
    (void)FindNondeterminism(statement, c, "school", &schema);
  }
  const Classification c = Classify(text);
  (void)CheckSlavePolicy(c, "", "repl_meta");
  return 0;
}
