// A lexer that reads text the way the MariaDB 10.11 server reads it
// (sql/sql_lex.cc, lex_one_token), under the default sql_mode (backslash
// escapes on, double quotes delimit strings), so that what our code sees is
// what the server will execute. Where the server's reading depends on
// something we cannot know for certain (its version, the connection's
// character set) the token is marked, and the slave policy refuses it.
//
// Rules, each with a test in tests/unit/sql/lexer_rules_test.cpp:
//
// | rule | the server's behaviour | here |
// |---|---|---|
// | strings | 'x' "x": backslash escapes, doubled quotes; byte-wise for utf8, latin1, ascii, binary
// | kString | | quoted names | `x`, doubled backticks; no escapes | kQuotedIdent | | ANSI_QUOTES,
// NO_BACKSLASH_ESCAPES | change the two rows above | not followed: the policy refuses these
// sql_modes | | white space | ctype space: 0x09-0x0D, 0x20; in latin1 also 0xA0 | ASCII ones; bytes
// >= 0x80 are marked | | "--" comment | "--" then a ctype space or control byte (0x00-0x20, 0x7F;
// latin1 adds 0xA0 and others) or the end | ASCII rule; "--" then a byte >= 0x80 is marked | | "#"
// and "--" comments | run to '\n' or a NUL byte | same | | "/* */" | not nested; the first "*/"
// closes it | same | | "/*!" "/*M!" without 5 digits | the body is code | kExecOpen ... kExecClose
// | | "/*!NNNNN" "/*!NNNNNN" | 5 digits, or 6 if a 6th follows; code if version <= the server's and
// (version < 50700 or > 99999); otherwise discarded like a comment, quotes ignored, one nested "/*
// */" allowed | read as MariaDB kServerVersion; every gate but "/*!" with a version < 50700 is
// marked | | "/*M!NNNNN(N)" | code if version <= the server's (no MySQL range) | same; always
// marked (MySQL reads it as a comment) | | "*/" in code | closes the executable comment if one is
// open (a flag, not a depth); else "*" "/" | same | | names | ident_map: [A-Za-z0-9_$] and bytes >=
// 0x80 in utf8 (letters of the charset in latin1) | [A-Za-z0-9_$] and bytes >= 0x80, which are
// marked | | name "." name | "." right after an unquoted name and before a name byte makes the next
// part a name even if it starts with a digit (t.5) | same | | @@var | "@@" then a name or `name`
// right away (else a syntax error); "." and scope join across space and comments | kVariable
// "@@name"; the classifier joins the rest | | @var @'v' @`v` | "@" then name bytes and "." (a
// host-name token) or a quoted name | kVariable |
//
// The lexer never fails: any byte it does not know is a one-byte operator,
// and a string or comment cut short by the end of input is a token marked
// unterminated.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sqlrepl::sql {

enum class TokenKind {
  kWord,            // unquoted identifier or keyword
  kQuotedIdent,     // `name`
  kString,          // 'text' or "text"
  kNumber,          // 12, 1.5e3, 0x1F, 0b101
  kVariable,        // @x, @@session.x
  kOperator,        // punctuation and operators, including ';'
  kComment,         // any comment that is not executable
  kExecOpen,        // /*! /*!NNNNN /*M! /*M!NNNNNN
  kExecClose,       // the */ that closes an executable comment
  kClientCommand,   // \G, \g and other backslash commands outside strings
};

struct Token {
  TokenKind kind = TokenKind::kOperator;
  std::string_view text;  // a view into the lexed input
  size_t begin = 0;       // offset of text in the input
  bool unterminated = false;
  bool raw_backslashes = false;  // a string read under NO_BACKSLASH_ESCAPES
  // An executable comment or a discarded version comment that another
  // server version (or MySQL) would read the other way.
  bool depends_on_version = false;
  // A byte >= 0x80 outside strings, quoted names and comment bodies: its
  // meaning (letter, space, punctuation) depends on the character set.
  bool depends_on_charset = false;

  size_t end() const { return begin + text.size(); }
  // Case-insensitive comparison with an upper-case keyword.
  bool Is(std::string_view upper_keyword) const;
  bool IsOperator(std::string_view op) const { return kind == TokenKind::kOperator && text == op; }
  // Strings, quoted identifiers, variables and comments: text in which
  // delimiters and keywords have no meaning.
  bool IsProtected() const;
};

// The server version that decides version-gated comments (10.11.0): the
// running test server is 10.11.x. Gates whose reading differs between
// versions are marked, so the exact value only matters for the master's own
// reading of them.
inline constexpr unsigned long kServerVersion = 101100;

// The sql_mode flags that change how text is read. The slave reads each
// statement under the sql_mode it ran under on the master.
struct LexMode {
  bool ansi_quotes = false;           // "x" is a quoted name, not a string
  bool no_backslash_escapes = false;  // a backslash in a string is itself

  // From a sql_mode value ("ANSI_QUOTES,STRICT_TRANS_TABLES", "ANSI", ...).
  static LexMode FromSqlMode(std::string_view sql_mode);
  bool operator==(const LexMode&) const = default;
};

class Lexer {
 public:
  explicit Lexer(std::string_view input, size_t pos = 0, LexMode mode = {})
      : in_(input), pos_(pos), mode_(mode) {}

  // The next token, skipping white space; false at the end of input.
  bool Next(Token* token);

  size_t position() const { return pos_; }

 private:
  void LexQuoted(char quote, bool backslash_escapes, Token* t);
  void LexWordChars();
  // At "/*": a comment, an executable-comment opener, or a discarded
  // version comment.
  void LexSlashStar(Token* t);
  bool LexVariable(Token* t);
  TokenKind LexNumberOrWord();
  // Marks `t` when its text holds a byte >= 0x80.
  static void MarkHighBytes(Token* t);

  std::string_view in_;
  size_t pos_;
  LexMode mode_;
  bool in_exec_ = false;  // inside /*! ... */: the server keeps a flag, not a depth
  // The end of the last unquoted name and of the last "." that followed one
  // directly, for the t.5 rule.
  size_t word_end_ = std::string_view::npos;
  size_t sep_end_ = std::string_view::npos;
};

// All tokens of `input`, comments included.
std::vector<Token> Tokenize(std::string_view input, LexMode mode = {});

// The tokens that carry meaning: without comments and executable-comment
// markers, as the server parses the text.
std::vector<Token> CodeTokens(std::string_view input, LexMode mode = {});

// The function `code[i]` calls, upper-cased, when a "(" follows it: a word,
// or a `quoted name`, which the server resolves to the same built-in
// function (`LOAD_FILE`('f') reads the file as LOAD_FILE('f') does). "" when
// nothing calls it, or when a schema qualifies it (a stored function).
std::string CalledFunction(const std::vector<Token>& code, size_t i);

// The name of the user variable in `t` (@name, @'name', @"name", @`name`),
// as the server resolves it under `mode`: quotes removed, escapes and
// doubled quotes applied (@'\a' is @a), lower case. "" for a system
// variable (@@name) or any other token.
std::string UserVariableName(const Token& t, LexMode mode);

// The value of a string token (quotes removed, escapes applied) or the name
// in a quoted identifier; for other tokens their text.
std::string Unquote(const Token& token);

}  // namespace sqlrepl::sql
