#include "sql/redact.hpp"

#include <vector>

#include "sql/lexer.hpp"

namespace sqlrepl::sql {
namespace {

bool IsLiteral(const Token& t) {
  return t.kind == TokenKind::kString || t.kind == TokenKind::kNumber;
}

bool MentionsSecret(const Token& t) {
  std::string upper = Unquote(t);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper.find("IDENTIFIED") != std::string::npos ||
         upper.find("PASSWORD") != std::string::npos;
}

// Marks the literals of the IDENTIFIED clause that starts at tokens[i].
// Returns the index where the clause ended.
size_t MarkIdentifiedClause(const std::vector<Token>& tokens, size_t i, std::vector<bool>* redact) {
  const size_t start = i++;
  int depth = 0;
  for (; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.IsOperator("(")) ++depth;
    if (t.IsOperator(")")) {
      if (depth == 0) break;
      --depth;
    }
    if (depth == 0) {
      // The next user, or an option clause after the authentication.
      if (t.IsOperator(",") || t.IsOperator(";") || t.Is("REQUIRE") || t.Is("ACCOUNT")) break;
      if (t.Is("WITH") && i != start + 1) break;  // IDENTIFIED WITH plugin is still the clause
      if (t.Is("PASSWORD") && i + 1 < tokens.size() && tokens[i + 1].Is("EXPIRE")) break;
    }
    if (IsLiteral(t)) (*redact)[i] = true;
  }
  return i;
}

// GRANT, or CREATE [OR REPLACE] / ALTER of a USER, ROLE or SERVER: the
// statements whose IDENTIFIED and PASSWORD clauses hold secrets (a table may
// well have a column named password with a default).
bool IsAccountOrServerStatement(const std::vector<Token>& tokens) {
  if (tokens[0].Is("GRANT")) return true;
  if (!tokens[0].Is("CREATE") && !tokens[0].Is("ALTER")) return false;
  size_t i = 1;
  if (i + 1 < tokens.size() && tokens[i].Is("OR") && tokens[i + 1].Is("REPLACE")) i += 2;
  return i < tokens.size() &&
         (tokens[i].Is("USER") || tokens[i].Is("ROLE") || tokens[i].Is("SERVER"));
}

}  // namespace

std::string RedactPasswords(std::string_view sql, LexMode mode) {
  const std::vector<Token> tokens = CodeTokens(sql, mode);
  if (tokens.empty()) return std::string(sql);
  // SET STATEMENT var = value, ... FOR <statement>: the statement after FOR
  // is what runs.
  if (tokens.size() > 1 && tokens[0].Is("SET") && tokens[1].Is("STATEMENT")) {
    for (size_t i = 2; i < tokens.size(); ++i) {
      if (!tokens[i].Is("FOR")) continue;
      const size_t rest = tokens[i].end();
      return std::string(sql.substr(0, rest)) + RedactPasswords(sql.substr(rest), mode);
    }
  }
  std::vector<bool> redact(tokens.size(), false);
  const Token& verb = tokens[0];

  if (IsAccountOrServerStatement(tokens)) {
    for (size_t i = 1; i < tokens.size(); ++i) {
      if (tokens[i].Is("IDENTIFIED")) {
        i = MarkIdentifiedClause(tokens, i, &redact);
      } else if (tokens[i].Is("PASSWORD") && i + 1 < tokens.size() && IsLiteral(tokens[i + 1])) {
        redact[i + 1] = true;  // CREATE SERVER ... OPTIONS (PASSWORD 'x')
      }
    }
  } else if (verb.Is("SET") && tokens.size() > 1 && tokens[1].Is("PASSWORD")) {
    bool after_equals = false;
    for (size_t i = 2; i < tokens.size(); ++i) {
      if (tokens[i].IsOperator("=")) after_equals = true;
      if (after_equals && IsLiteral(tokens[i])) redact[i] = true;
    }
  } else if (verb.Is("CHANGE")) {
    for (size_t i = 1; i + 1 < tokens.size(); ++i) {
      if (!tokens[i].Is("MASTER_PASSWORD")) continue;
      const size_t value = tokens[i + 1].IsOperator("=") ? i + 2 : i + 1;
      if (value < tokens.size() && IsLiteral(tokens[value])) redact[value] = true;
    }
  } else if (verb.Is("PREPARE") || verb.Is("EXECUTE")) {
    // The text is itself a statement; it is only run, never stored, so the
    // whole string goes when it may hold a secret.
    for (size_t i = 1; i < tokens.size(); ++i) {
      if (tokens[i].kind == TokenKind::kString && MentionsSecret(tokens[i])) redact[i] = true;
    }
  }

  std::string out;
  out.reserve(sql.size());
  size_t copied = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!redact[i]) continue;
    out.append(sql.substr(copied, tokens[i].begin - copied));
    out.append(kRedacted);
    copied = tokens[i].end();
  }
  out.append(sql.substr(copied));
  return out;
}

}  // namespace sqlrepl::sql
