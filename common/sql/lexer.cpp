#include "sql/lexer.hpp"

#include "base/strings.hpp"

namespace sqlrepl::sql {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Bytes >= 0x80 belong to names, as in utf8; in other character sets they
// may not, so tokens holding them are marked (Token::depends_on_charset).
bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// What follows "--" to make it a comment: the server's my_isspace or
// my_iscntrl, which for ASCII are 0x00-0x20 and 0x7F (DEL).
bool StartsDashComment(unsigned char c) { return c <= 0x20 || c == 0x7F; }

// The server's version-gate rule: the body is code when the version is not
// newer than the server's, except that /*! (not /*M!) gates for MySQL 5.7 and
// later (50700..99999) are always discarded.
bool GateIsCode(unsigned long version, bool mariadb_marker) {
  return version <= kServerVersion && (version < 50700 || version > 99999 || mariadb_marker);
}

constexpr std::string_view kMultiCharOperators[] = {
    "<=>", "->>", "<=", ">=", "<>", "!=", ":=", "||", "&&", "<<", ">>", "->",
};

}  // namespace

bool Token::Is(std::string_view upper_keyword) const {
  if (kind != TokenKind::kWord || text.size() != upper_keyword.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (AsciiUpper(text[i]) != upper_keyword[i]) return false;
  }
  return true;
}

bool Token::IsProtected() const {
  return kind == TokenKind::kString || kind == TokenKind::kQuotedIdent ||
         kind == TokenKind::kVariable || kind == TokenKind::kComment;
}

void Lexer::LexQuoted(char quote, bool backslash_escapes, Token* t) {
  const size_t start = pos_++;
  while (pos_ < in_.size()) {
    const char c = in_[pos_];
    if (backslash_escapes && c == '\\') {
      pos_ += 2;
      continue;
    }
    if (c == quote) {
      if (pos_ + 1 < in_.size() && in_[pos_ + 1] == quote) {  // doubled quote
        pos_ += 2;
        continue;
      }
      ++pos_;
      t->text = in_.substr(start, pos_ - start);
      return;
    }
    ++pos_;
  }
  pos_ = in_.size();
  t->text = in_.substr(start);
  t->unterminated = true;
}

void Lexer::LexWordChars() {
  while (pos_ < in_.size() && IsIdentChar(in_[pos_])) ++pos_;
}

void Lexer::MarkHighBytes(Token* t) {
  for (char c : t->text) {
    if (static_cast<unsigned char>(c) >= 0x80) t->depends_on_charset = true;
  }
}

void Lexer::LexSlashStar(Token* t) {
  const size_t start = pos_;
  const bool mariadb = pos_ + 3 < in_.size() && in_[pos_ + 2] == 'M' && in_[pos_ + 3] == '!';
  const bool exec = mariadb || (pos_ + 2 < in_.size() && in_[pos_ + 2] == '!');
  auto close_at = [&](size_t from) {  // the first "*/" at or after `from`
    const size_t close = in_.find("*/", from);
    if (close == std::string_view::npos) {
      t->unterminated = true;
      return in_.size();
    }
    return close + 2;
  };
  if (!exec) {
    pos_ = close_at(pos_ + 2);
    t->kind = TokenKind::kComment;
    t->text = in_.substr(start, pos_ - start);
    return;
  }
  size_t p = pos_ + (mariadb ? 4 : 3);
  size_t digits = 0;
  while (p + digits < in_.size() && digits < 6 && IsDigit(in_[p + digits])) ++digits;
  if (digits < 5) {  // no version: the body is code everywhere (but MySQL ignores /*M!)
    pos_ = p;
    in_exec_ = true;
    t->kind = TokenKind::kExecOpen;
    t->depends_on_version = mariadb;
    t->text = in_.substr(start, pos_ - start);
    return;
  }
  unsigned long version = 0;
  for (size_t i = 0; i < digits; ++i)
    version = version * 10 + static_cast<unsigned long>(in_[p + i] - '0');
  p += digits;
  // Only gates older than MySQL 5.7 read the same on every MariaDB and MySQL.
  t->depends_on_version = mariadb || version >= 50700;
  if (GateIsCode(version, mariadb)) {
    pos_ = p;
    in_exec_ = true;
    t->kind = TokenKind::kExecOpen;
    t->text = in_.substr(start, pos_ - start);
    return;
  }
  // Discarded: quotes mean nothing here, and one nested /* */ is skipped
  // whole, so its "*/" does not end the gate.
  t->kind = TokenKind::kComment;
  while (p < in_.size()) {
    if (in_[p] == '/' && p + 1 < in_.size() && in_[p + 1] == '*') {
      p = close_at(p + 2);
      continue;
    }
    if (in_[p] == '*' && p + 1 < in_.size() && in_[p + 1] == '/') {
      pos_ = p + 2;
      t->text = in_.substr(start, pos_ - start);
      return;
    }
    ++p;
  }
  pos_ = in_.size();
  t->unterminated = true;
  t->text = in_.substr(start);
}

// At '@': a user variable (@name, @'quoted'), or a system one (@@name,
// @@session.name). A quoted name completes the token here (true); a plain
// one leaves it to the caller (false), which marks high bytes in it.
bool Lexer::LexVariable(Token* t) {
  const size_t start = pos_;
  ++pos_;
  if (pos_ < in_.size() && in_[pos_] == '@') ++pos_;
  if (pos_ < in_.size() && (in_[pos_] == '\'' || in_[pos_] == '"' || in_[pos_] == '`')) {
    Token quoted;
    const bool string = in_[pos_] == '\'' || (in_[pos_] == '"' && !mode_.ansi_quotes);
    LexQuoted(in_[pos_], string && !mode_.no_backslash_escapes, &quoted);
    t->unterminated = quoted.unterminated;
    t->kind = TokenKind::kVariable;
    t->text = in_.substr(start, pos_ - start);
    return true;
  }
  while (pos_ < in_.size() && (IsIdentChar(in_[pos_]) || in_[pos_] == '.')) ++pos_;
  return false;
}

// At a digit, or a '.' before one: a number (12, 1.5, .5, 1e-3, 0x1F), or
// a name that starts with digits (1abc), as MariaDB reads it.
TokenKind Lexer::LexNumberOrWord() {
  const size_t start = pos_;
  const char next = pos_ + 1 < in_.size() ? in_[pos_ + 1] : '\0';
  if (in_[pos_] == '0' && (next == 'x' || next == 'X') && pos_ + 2 < in_.size() &&
      IsHexDigit(in_[pos_ + 2])) {
    pos_ += 2;
    while (pos_ < in_.size() && IsHexDigit(in_[pos_])) ++pos_;
  } else {
    while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < in_.size() && (in_[p] == '+' || in_[p] == '-')) ++p;
      if (p < in_.size() && IsDigit(in_[p])) {
        pos_ = p;
        while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
      }
    }
  }
  if (pos_ < in_.size() && IsIdentChar(in_[pos_]) &&
      in_.substr(start, pos_ - start).find('.') == std::string_view::npos) {
    LexWordChars();
    word_end_ = pos_;
    return TokenKind::kWord;
  }
  return TokenKind::kNumber;
}

bool Lexer::Next(Token* t) {
  while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  if (pos_ >= in_.size()) return false;
  *t = Token{};
  t->begin = pos_;
  const size_t start = pos_;
  const char c = in_[pos_];
  const char next = pos_ + 1 < in_.size() ? in_[pos_ + 1] : '\0';
  // The t.5 rule: "." right after an unquoted name, then a name.
  const bool after_ident_sep = sep_end_ == pos_;
  const bool touches_word = word_end_ == pos_;
  auto finish = [&](TokenKind kind) {
    t->kind = kind;
    t->text = in_.substr(start, pos_ - start);
    if (kind == TokenKind::kWord || kind == TokenKind::kNumber || kind == TokenKind::kOperator ||
        kind == TokenKind::kVariable) {
      MarkHighBytes(t);
    }
    return true;
  };

  if (c == '\'' || (c == '"' && !mode_.ansi_quotes)) {
    t->kind = TokenKind::kString;
    t->raw_backslashes = mode_.no_backslash_escapes;
    LexQuoted(c, /*backslash_escapes=*/!mode_.no_backslash_escapes, t);
    return true;
  }
  if (c == '`' || c == '"') {  // "x" here only under ANSI_QUOTES
    t->kind = TokenKind::kQuotedIdent;
    LexQuoted(c, /*backslash_escapes=*/false, t);
    return true;
  }
  const bool dash_comment =
      c == '-' && next == '-' &&
      (pos_ + 2 >= in_.size() || StartsDashComment(static_cast<unsigned char>(in_[pos_ + 2])));
  if (c == '#' || dash_comment) {
    // The server also stops at a NUL byte, which then ends the statement.
    while (pos_ < in_.size() && in_[pos_] != '\n' && in_[pos_] != '\0') ++pos_;
    t->kind = TokenKind::kComment;
    t->text = in_.substr(start, pos_ - start);
    return true;
  }
  if (c == '/' && next == '*') {
    LexSlashStar(t);
    return true;
  }
  if (c == '*' && next == '/' && in_exec_) {
    pos_ += 2;
    in_exec_ = false;
    return finish(TokenKind::kExecClose);
  }
  if (c == '@') {
    if (LexVariable(t)) return true;
    return finish(TokenKind::kVariable);
  }
  if (c == '\\') {
    pos_ += (next != '\0') ? 2 : 1;
    return finish(TokenKind::kClientCommand);
  }
  if (c == '.' && touches_word && IsIdentChar(next)) {
    ++pos_;
    sep_end_ = pos_;
    return finish(TokenKind::kOperator);
  }
  if (after_ident_sep && IsIdentChar(c)) {  // t.5abc: the part after the dot is a name
    LexWordChars();
    word_end_ = pos_;
    return finish(TokenKind::kWord);
  }
  if (IsDigit(c) || (c == '.' && IsDigit(next))) return finish(LexNumberOrWord());
  if (IsIdentChar(c)) {
    LexWordChars();
    word_end_ = pos_;
    return finish(TokenKind::kWord);
  }
  for (std::string_view op : kMultiCharOperators) {
    if (in_.substr(pos_, op.size()) == op) {
      pos_ += op.size();
      return finish(TokenKind::kOperator);
    }
  }
  ++pos_;
  return finish(TokenKind::kOperator);
}

LexMode LexMode::FromSqlMode(std::string_view sql_mode) {
  LexMode mode;
  size_t start = 0;
  while (start <= sql_mode.size()) {
    const size_t comma = std::min(sql_mode.find(',', start), sql_mode.size());
    const std::string one = AsciiUpper(sql_mode.substr(start, comma - start));
    // ANSI and the emulation modes include ANSI_QUOTES.
    if (one == "ANSI_QUOTES" || one == "ANSI" || one == "ORACLE" || one == "MSSQL" ||
        one == "DB2" || one == "MAXDB" || one == "POSTGRESQL") {
      mode.ansi_quotes = true;
    }
    if (one == "NO_BACKSLASH_ESCAPES") mode.no_backslash_escapes = true;
    start = comma + 1;
  }
  return mode;
}

std::vector<Token> Tokenize(std::string_view input, LexMode mode) {
  std::vector<Token> out;
  Lexer lexer(input, 0, mode);
  Token t;
  while (lexer.Next(&t)) out.push_back(t);
  return out;
}

std::vector<Token> CodeTokens(std::string_view input, LexMode mode) {
  std::vector<Token> out;
  Lexer lexer(input, 0, mode);
  Token t;
  while (lexer.Next(&t)) {
    if (t.kind == TokenKind::kComment || t.kind == TokenKind::kExecOpen ||
        t.kind == TokenKind::kExecClose) {
      continue;
    }
    out.push_back(t);
  }
  return out;
}

std::string CalledFunction(const std::vector<Token>& code, size_t i) {
  const Token& t = code[i];
  if (t.kind != TokenKind::kWord && t.kind != TokenKind::kQuotedIdent) return "";
  if (i + 1 >= code.size() || !code[i + 1].IsOperator("(")) return "";
  if (i > 0 && code[i - 1].IsOperator(".")) return "";
  std::string name = Unquote(t);
  for (char& c : name) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return name;
}

std::string UserVariableName(const Token& t, LexMode mode) {
  if (t.kind != TokenKind::kVariable || t.text.size() < 2 || t.text[1] == '@') return "";
  Token name = t;
  name.text = t.text.substr(1);
  const char q = name.text[0];
  if (q == '\'' || (q == '"' && !mode.ansi_quotes)) {
    name.kind = TokenKind::kString;
    name.raw_backslashes = mode.no_backslash_escapes;
  } else if (q == '`' || q == '"') {
    name.kind = TokenKind::kQuotedIdent;
  } else {
    name.kind = TokenKind::kWord;
  }
  std::string out = Unquote(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Unquote(const Token& token) {
  if (token.kind != TokenKind::kString && token.kind != TokenKind::kQuotedIdent) {
    return std::string(token.text);
  }
  std::string_view body = token.text.substr(1);
  const char quote = token.text.front();
  if (!token.unterminated && !body.empty()) body.remove_suffix(1);
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\\' && token.kind == TokenKind::kString && !token.raw_backslashes &&
        i + 1 < body.size()) {
      const char e = body[++i];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '0': out += '\0'; break;
        case 'Z': out += '\x1a'; break;
        case 'b': out += '\b'; break;
        default: out += e; break;
      }
    } else if (c == quote && i + 1 < body.size() && body[i + 1] == quote) {
      out += c;
      ++i;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace sqlrepl::sql
