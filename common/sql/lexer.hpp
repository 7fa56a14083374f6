// A lexer that follows MySQL/MariaDB's lexical rules, so that what our code
// sees is what the server will execute (default sql_mode: backslash escapes
// on, double quotes delimit strings).
//
//   'str' "str"     strings; backslash escapes and doubled quotes
//   `ident`         quoted identifiers; doubled backticks
//   -- comment      only when "--" is followed by white space, a control
//                   character or the end of input; "--1" is two minuses
//   # comment       to the end of the line
//   /* comment */   not nested
//   /*! code */  /*!50700 code */  /*M! code */  /*M!100500 code */
//                   executable comments: the content is lexed as code, and
//                   the opening and closing markers are tokens of their own
//   @var @'v' @@global.var      variables
//   \G \g           client commands (the splitter's business)
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

  size_t end() const { return begin + text.size(); }
  // Case-insensitive comparison with an upper-case keyword.
  bool Is(std::string_view upper_keyword) const;
  bool IsOperator(std::string_view op) const { return kind == TokenKind::kOperator && text == op; }
  // Strings, quoted identifiers, variables and comments: text in which
  // delimiters and keywords have no meaning.
  bool IsProtected() const;
};

class Lexer {
 public:
  explicit Lexer(std::string_view input, size_t pos = 0) : in_(input), pos_(pos) {}

  // The next token, skipping white space; false at the end of input.
  bool Next(Token* token);

  size_t position() const { return pos_; }

 private:
  void LexQuoted(char quote, bool backslash_escapes, Token* t);
  void LexWordChars();

  std::string_view in_;
  size_t pos_;
  int exec_depth_ = 0;  // inside /*! ... */
};

// All tokens of `input`, comments included.
std::vector<Token> Tokenize(std::string_view input);

// The tokens that carry meaning: without comments and executable-comment
// markers, as the server parses the text.
std::vector<Token> CodeTokens(std::string_view input);

// The value of a string token (quotes removed, escapes applied) or the name
// in a quoted identifier; for other tokens their text.
std::string Unquote(const Token& token);

}  // namespace sqlrepl::sql
