// The OpenFGA DSL: a lexer that follows openfga/language's lexer rules (longest match, ties to
// the rule listed first, a separate mode for condition parameter lists) and a recursive-descent
// parser over its tokens that accepts exactly the grammar's sentences. The model it builds
// mirrors what @openfga/syntax-transformer's listener builds, quirks included; dsl_test.cpp and
// tests/authz hold the cases that pin each of them.

#include "authz/dsl.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cel/cel.hpp"

namespace mcpgate::authz {
namespace {

// ---------------------------------------------------------------------------------------------
// Comments. The transformer removes them line by line before lexing: a line whose first non-blank
// character is '#' becomes empty, anything from the first " #" on is cut, and every line loses its
// trailing blanks (JavaScript's notion of blank, which includes a few Unicode spaces). Lines keep
// their number and their remaining bytes their column, so positions still point into the input.

// Byte length of the JavaScript white-space or line-terminator character starting at `pos`, or 0.
std::size_t js_space_at(std::string_view s, std::size_t pos) {
  const auto c = static_cast<unsigned char>(s[pos]);
  if (c == ' ' || (c >= 0x09 && c <= 0x0d)) {
    return 1;
  }
  auto byte = [&](std::size_t i) -> unsigned {
    return pos + i < s.size() ? static_cast<unsigned char>(s[pos + i]) : 0U;
  };
  if (c == 0xc2 && byte(1) == 0xa0) {
    return 2;  // U+00A0
  }
  if (c == 0xe1 && byte(1) == 0x9a && byte(2) == 0x80) {
    return 3;  // U+1680
  }
  if (c == 0xe2 && byte(1) == 0x80 &&
      (byte(2) <= 0x8a || byte(2) == 0xa8 || byte(2) == 0xa9 || byte(2) == 0xaf) && byte(2) >= 0x80) {
    return 3;  // U+2000..U+200A, U+2028, U+2029, U+202F
  }
  if (c == 0xe2 && byte(1) == 0x81 && byte(2) == 0x9f) {
    return 3;  // U+205F
  }
  if (c == 0xe3 && byte(1) == 0x80 && byte(2) == 0x80) {
    return 3;  // U+3000
  }
  if (c == 0xef && byte(1) == 0xbb && byte(2) == 0xbf) {
    return 3;  // U+FEFF
  }
  return 0;
}

std::size_t js_space_ending_at(std::string_view s) {
  for (std::size_t len = 1; len <= 3 && len <= s.size(); ++len) {
    if (js_space_at(s, s.size() - len) == len) {
      return len;
    }
  }
  return 0;
}

std::string strip_comments(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find('\n', start);
    std::string_view line =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    std::size_t lead = 0;
    while (lead < line.size()) {
      const std::size_t n = js_space_at(line, lead);
      if (n == 0) {
        break;
      }
      lead += n;
    }
    if (lead < line.size() && line[lead] == '#') {
      line = {};
    } else {
      if (const std::size_t hash = line.find(" #"); hash != std::string_view::npos) {
        line = line.substr(0, hash);
      }
      while (const std::size_t n = js_space_ending_at(line)) {
        line.remove_suffix(n);
      }
    }
    out.append(line);
    if (end == std::string_view::npos) {
      break;
    }
    out.push_back('\n');
    start = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lexer.

enum class Tok {
  kHash, kColon, kComma, kAnd, kOr, kButNot, kFrom, kModule, kModel, kSchema, kSchemaVersion,
  kExtend, kType, kCondition, kRelations, kRelation, kDefine, kWith, kEquals, kNotEquals, kIn,
  kLess, kLessEquals, kGreaterEquals, kGreater, kLogicalAnd, kLogicalOr, kLBracket, kRBracket,
  kLBrace, kRBrace, kLParen, kRParen, kDot, kMinus, kExclam, kQuestion, kPlus, kStar, kSlash,
  kPercent, kTrue, kFalse, kNull, kWhitespace, kComment, kNumFloat, kNumInt, kNumUint, kString,
  kBytes, kIdentifier, kExtendedIdentifier, kNewline,
  // Condition parameter list mode only.
  kParamContainer, kParamType,
  kEof,
};

struct Token {
  Tok kind = Tok::kEof;
  std::size_t offset = 0;
  std::string_view text;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_word(char c) { return is_letter(c) || is_digit(c) || c == '_'; }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  // Every token, hidden comments included (the condition body needs to know where they were).
  // On a character no rule matches, returns false and sets error_offset().
  bool run(std::vector<Token>& out) {
    bool condition_mode = false;
    std::size_t p = 0;
    while (p < s_.size()) {
      best_len_ = 0;
      if (condition_mode) {
        lex_condition_mode(p);
      } else {
        lex_default_mode(p);
      }
      if (best_len_ == 0) {
        error_offset_ = p;
        return false;
      }
      out.push_back(Token{best_, p, s_.substr(p, best_len_)});
      if (!condition_mode && best_ == Tok::kCondition) {
        condition_mode = true;
      } else if (condition_mode && best_ == Tok::kRParen) {
        condition_mode = false;
      }
      p += best_len_;
    }
    out.push_back(Token{Tok::kEof, s_.size(), {}});
    return true;
  }

  std::size_t error_offset() const { return error_offset_; }

 private:
  char at(std::size_t i) const { return i < s_.size() ? s_[i] : '\0'; }

  // Candidates are offered in the grammar's rule order; only a strictly longer match replaces
  // the current best, which is ANTLR's tie-break.
  void consider(Tok kind, std::size_t len) {
    if (len > best_len_) {
      best_len_ = len;
      best_ = kind;
    }
  }

  void literal(Tok kind, std::size_t p, std::string_view word) {
    if (s_.compare(p, word.size(), word) == 0) {
      consider(kind, word.size());
    }
  }

  std::size_t digits(std::size_t p) const {
    std::size_t n = 0;
    while (is_digit(at(p + n))) {
      ++n;
    }
    return n;
  }

  std::size_t hex_digits(std::size_t p) const {
    std::size_t n = 0;
    while (is_hex(at(p + n))) {
      ++n;
    }
    return n;
  }

  std::size_t exponent(std::size_t p) const {
    if (at(p) != 'e' && at(p) != 'E') {
      return 0;
    }
    std::size_t q = p + 1;
    if (at(q) == '+' || at(q) == '-') {
      ++q;
    }
    const std::size_t n = digits(q);
    return n == 0 ? 0 : q + n - p;
  }

  // A backslash escape at p (CEL's escapes), or 0 when the backslash starts none.
  std::size_t escape(std::size_t p) const {
    const char c = at(p + 1);
    if (std::string_view("abfnrtv\"'\\?`").find(c) != std::string_view::npos && c != '\0') {
      return 2;
    }
    if (c >= '0' && c <= '3' && at(p + 2) >= '0' && at(p + 2) <= '7' && at(p + 3) >= '0' &&
        at(p + 3) <= '7') {
      return 4;
    }
    if ((c == 'x' || c == 'X') && is_hex(at(p + 2)) && is_hex(at(p + 3))) {
      return 4;
    }
    if (c == 'u' && hex_digits(p + 2) >= 4) {
      return 6;
    }
    if (c == 'U' && hex_digits(p + 2) >= 8) {
      return 10;
    }
    return 0;
  }

  // One of CEL's string literal forms starting at p; 0 when none matches.
  std::size_t string_literal(std::size_t p) const {
    std::size_t best = 0;
    const bool raw = at(p) == 'r' || at(p) == 'R';
    const std::size_t q0 = raw ? p + 1 : p;
    const char quote = at(q0);
    if (quote != '"' && quote != '\'') {
      return 0;
    }
    const std::string triple(3, quote);
    // Single-line form.
    for (std::size_t q = q0 + 1; q < s_.size();) {
      const char c = s_[q];
      if (c == quote) {
        best = std::max(best, q + 1 - p);
        break;
      }
      if (c == '\n' || c == '\r') {
        break;
      }
      if (c == '\\' && !raw) {
        const std::size_t n = escape(q);
        if (n == 0) {
          break;
        }
        q += n;
      } else {
        ++q;
      }
    }
    // Triple-quoted form: up to the first closing triple (a non-greedy loop).
    if (s_.compare(q0, 3, triple) == 0) {
      for (std::size_t q = q0 + 3; q < s_.size();) {
        if (s_.compare(q, 3, triple) == 0) {
          best = std::max(best, q + 3 - p);
          break;
        }
        if (s_[q] == '\\' && !raw) {
          const std::size_t n = escape(q);
          if (n == 0) {
            break;
          }
          q += n;
        } else {
          ++q;
        }
      }
    }
    return best;
  }

  void lex_default_mode(std::size_t p) {
    const char c = s_[p];
    literal(Tok::kHash, p, "#");
    literal(Tok::kColon, p, ":");
    literal(Tok::kComma, p, ",");
    if (is_letter(c)) {
      literal(Tok::kAnd, p, "and");
      literal(Tok::kOr, p, "or");
      literal(Tok::kButNot, p, "but not");
      literal(Tok::kFrom, p, "from");
      literal(Tok::kModule, p, "module");
      literal(Tok::kModel, p, "model");
      literal(Tok::kSchema, p, "schema");
    }
    if (is_digit(c)) {
      const std::size_t d1 = digits(p);
      if (at(p + d1) == '.') {
        if (const std::size_t d2 = digits(p + d1 + 1); d2 > 0) {
          consider(Tok::kSchemaVersion, d1 + 1 + d2);
        }
      }
    }
    if (is_letter(c)) {
      literal(Tok::kExtend, p, "extend");
      literal(Tok::kType, p, "type");
      literal(Tok::kCondition, p, "condition");
      literal(Tok::kRelations, p, "relations");
      literal(Tok::kRelation, p, "relation");
      literal(Tok::kDefine, p, "define");
      literal(Tok::kWith, p, "with");
    }
    literal(Tok::kEquals, p, "==");
    literal(Tok::kNotEquals, p, "!=");
    literal(Tok::kIn, p, "in");
    literal(Tok::kLess, p, "<");
    literal(Tok::kLessEquals, p, "<=");
    literal(Tok::kGreaterEquals, p, ">=");
    literal(Tok::kGreater, p, ">");
    literal(Tok::kLogicalAnd, p, "&&");
    literal(Tok::kLogicalOr, p, "||");
    literal(Tok::kLBracket, p, "[");
    literal(Tok::kRBracket, p, "]");
    literal(Tok::kLBrace, p, "{");
    literal(Tok::kRBrace, p, "}");
    literal(Tok::kLParen, p, "(");
    literal(Tok::kRParen, p, ")");
    literal(Tok::kDot, p, ".");
    literal(Tok::kMinus, p, "-");
    literal(Tok::kExclam, p, "!");
    literal(Tok::kQuestion, p, "?");
    literal(Tok::kPlus, p, "+");
    literal(Tok::kStar, p, "*");
    literal(Tok::kSlash, p, "/");
    literal(Tok::kPercent, p, "%");
    literal(Tok::kTrue, p, "true");
    literal(Tok::kFalse, p, "false");
    literal(Tok::kNull, p, "null");
    // WHITESPACE is [ \t\f]+; NEWLINE is any run of blanks and line breaks that holds a line
    // break ('\f' counts as both, and on a tie WHITESPACE is listed first).
    std::size_t blanks = 0;
    while (at(p + blanks) == ' ' || at(p + blanks) == '\t' || at(p + blanks) == '\f') {
      ++blanks;
    }
    consider(Tok::kWhitespace, blanks);
    if (c == '/' && at(p + 1) == '/') {
      std::size_t n = 2;
      while (p + n < s_.size() && s_[p + n] != '\n') {
        ++n;
      }
      consider(Tok::kComment, n);
    }
    if (is_digit(c) || c == '.') {
      const std::size_t d1 = digits(p);
      std::size_t float_len = 0;
      if (d1 > 0 && at(p + d1) == '.') {
        if (const std::size_t d2 = digits(p + d1 + 1); d2 > 0) {
          float_len = d1 + 1 + d2 + exponent(p + d1 + 1 + d2);
        }
      }
      if (d1 > 0 && exponent(p + d1) > 0) {
        float_len = std::max(float_len, d1 + exponent(p + d1));
      }
      if (c == '.') {
        if (const std::size_t d2 = digits(p + 1); d2 > 0) {
          float_len = std::max(float_len, 1 + d2 + exponent(p + 1 + d2));
        }
      }
      consider(Tok::kNumFloat, float_len);
      const std::size_t hex = (c == '0' && at(p + 1) == 'x') ? hex_digits(p + 2) : 0;
      consider(Tok::kNumInt, std::max(d1, hex > 0 ? hex + 2 : 0));
      std::size_t uint_len = 0;
      if (d1 > 0 && (at(p + d1) == 'u' || at(p + d1) == 'U')) {
        uint_len = d1 + 1;
      }
      if (hex > 0 && (at(p + 2 + hex) == 'u' || at(p + 2 + hex) == 'U')) {
        uint_len = std::max(uint_len, hex + 3);
      }
      consider(Tok::kNumUint, uint_len);
    }
    consider(Tok::kString, string_literal(p));
    if (c == 'b' || c == 'B') {
      if (const std::size_t n = string_literal(p + 1); n > 0) {
        consider(Tok::kBytes, n + 1);
      }
    }
    if (is_letter(c) || c == '_') {
      std::size_t n = 1;
      while (is_word(at(p + n)) || at(p + n) == '-') {
        ++n;
      }
      consider(Tok::kIdentifier, n);
      std::size_t q = p + 1;
      while (true) {
        std::size_t r = q;
        if (at(r) == '/' || at(r) == '.' || at(r) == '-') {
          ++r;
        }
        std::size_t words = 0;
        while (is_word(at(r + words))) {
          ++words;
        }
        if (words == 0) {
          break;
        }
        q = r + words;
      }
      consider(Tok::kExtendedIdentifier, q - p);
    }
    std::size_t run = 0;
    bool has_break = false;
    for (char x = at(p); x == ' ' || x == '\t' || x == '\f' || x == '\r' || x == '\n';
         x = at(p + run)) {
      has_break = has_break || x == '\r' || x == '\n';
      ++run;
    }
    if (has_break) {
      consider(Tok::kNewline, run);
    }
  }

  void lex_condition_mode(std::size_t p) {
    const char c = s_[p];
    literal(Tok::kRParen, p, ")");
    literal(Tok::kParamContainer, p, "map");
    literal(Tok::kParamContainer, p, "list");
    for (std::string_view word :
         {"bool", "string", "int", "uint", "double", "duration", "timestamp", "ipaddress"}) {
      literal(Tok::kParamType, p, word);
    }
    literal(Tok::kLess, p, "<");
    literal(Tok::kGreater, p, ">");
    literal(Tok::kLParen, p, "(");
    literal(Tok::kColon, p, ":");
    literal(Tok::kComma, p, ",");
    std::size_t blanks = 0;
    while (at(p + blanks) == ' ' || at(p + blanks) == '\t' || at(p + blanks) == '\f') {
      ++blanks;
    }
    consider(Tok::kWhitespace, blanks);
    if (is_letter(c) || c == '_') {
      std::size_t n = 1;
      while (is_word(at(p + n)) || at(p + n) == '-') {
        ++n;
      }
      consider(Tok::kIdentifier, n);
    }
  }

  std::string_view s_;
  std::size_t best_len_ = 0;
  Tok best_ = Tok::kEof;
  std::size_t error_offset_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Parser.

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEof:
      return "end of input";
    case Tok::kNewline:
      return "end of line";
    case Tok::kWhitespace:
      return "blank";
    default:
      return "'" + std::string(t.text) + "'";
  }
}

bool is_extended_identifier(Tok k) {
  return k == Tok::kIdentifier || k == Tok::kExtendedIdentifier || k == Tok::kModel ||
         k == Tok::kSchema || k == Tok::kType || k == Tok::kRelation || k == Tok::kModule ||
         k == Tok::kExtend;
}

enum class Op { kNone, kOr, kAnd, kButNot };

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, const DslLimits& limits)
      : text_(text), limits_(limits) {
    // The parser never sees comments; the condition body reads the text around them.
    for (auto& t : tokens) {
      if (t.kind != Tok::kComment) {
        tokens_.push_back(t);
      }
    }
  }

  Result<AuthorizationModel> parse_model() {
    accept(Tok::kWhitespace);
    accept(Tok::kNewline);
    if (peek().kind == Tok::kModule) {
      return fail(peek(), "modular models ('module') are not supported; combine the modules into "
                          "one model");
    }
    MCPGATE_TRY(expect(Tok::kModel, "the model must start with 'model'"));
    MCPGATE_TRY(expect(Tok::kNewline, "expected a line break after 'model'"));
    MCPGATE_TRY(expect(Tok::kSchema, "expected 'schema' on the line after 'model'"));
    MCPGATE_TRY(expect(Tok::kWhitespace, "expected a blank after 'schema'"));
    if (peek().kind != Tok::kSchemaVersion) {
      return fail(peek(), "expected a schema version such as 1.1 after 'schema'");
    }
    model_.schema_version = std::string(next().text);
    accept(Tok::kWhitespace);

    // Sections are separated by one line break. The grammar has optional line breaks after the
    // header, after the types and before the end, so where a `//` comment line splits a break
    // in two, a second (or third) one is accepted exactly where those optional ones fit.
    enum class Phase { kHeader, kTypes, kConditions } phase = Phase::kHeader;
    while (true) {
      std::vector<const Token*> breaks;
      while (peek().kind == Tok::kNewline) {
        breaks.push_back(&next());
      }
      const Token& t = peek();
      std::size_t min_breaks = 1;
      std::size_t max_breaks = 1;
      switch (t.kind) {
        case Tok::kEof:
          min_breaks = 0;
          max_breaks = phase == Phase::kHeader ? 3 : phase == Phase::kTypes ? 2 : 1;
          break;
        case Tok::kType:
          if (phase == Phase::kConditions) {
            return fail(t, "type definitions must come before conditions");
          }
          max_breaks = phase == Phase::kHeader ? 2 : 1;
          break;
        case Tok::kCondition:
          max_breaks = phase == Phase::kHeader ? 3 : phase == Phase::kTypes ? 2 : 1;
          break;
        case Tok::kExtend:
          return fail(t, "extend can only be used in a modular model, which is not supported");
        case Tok::kDefine:
          return fail(t, "'define' must follow a 'relations' line of a type");
        case Tok::kRelations:
          return fail(t, "'relations' must follow a 'type' line");
        default:
          if (breaks.empty()) {
            return fail(t, "unexpected " + describe(t) + "; expected the end of the line");
          }
          return fail(t, "unexpected " + describe(t) + "; expected 'type' or 'condition'");
      }
      if (breaks.size() > max_breaks) {
        // Point at the comment that split the line break.
        std::size_t at = breaks[max_breaks]->offset;
        for (const auto& comment : all_comments_) {
          if (comment.offset > breaks[max_breaks - 1]->offset &&
              comment.offset < breaks[max_breaks]->offset) {
            at = comment.offset;
          }
        }
        return fail_at(at, "a '//' comment line cannot stand here (comments in a model start "
                           "with '#')");
      }
      if (breaks.size() < min_breaks) {
        return fail(t, "unexpected " + describe(t) + "; expected the end of the line");
      }
      if (t.kind == Tok::kEof) {
        break;
      }
      if (t.kind == Tok::kType) {
        phase = Phase::kTypes;
        MCPGATE_TRY(parse_type());
      } else {
        phase = Phase::kConditions;
        MCPGATE_TRY(parse_condition());
      }
    }
    return std::move(model_);
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    const std::size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }

  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) {
      ++pos_;
    }
    return t;
  }

  bool accept(Tok kind) {
    if (peek().kind == kind) {
      next();
      return true;
    }
    return false;
  }

  Error fail(const Token& at, const std::string& message) const { return fail_at(at.offset, message); }

  Error fail_at(std::size_t offset, const std::string& message) const {
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return make_error(ErrorCode::kInvalidArgument, std::to_string(line) + ":" +
                                                       std::to_string(offset - line_start + 1) +
                                                       ": " + message);
  }

  Status expect(Tok kind, const std::string& message) {
    if (peek().kind != kind) {
      return fail(peek(), message + " (found " + describe(peek()) + ")");
    }
    next();
    return {};
  }

  Result<std::string> identifier(const std::string& what) {
    if (!is_extended_identifier(peek().kind)) {
      return fail(peek(), "expected " + what + ", found " + describe(peek()));
    }
    return std::string(next().text);
  }

  Status parse_type() {
    next();  // 'type'
    MCPGATE_TRY(expect(Tok::kWhitespace, "expected a blank after 'type'"));
    TypeDefinition type;
    MCPGATE_ASSIGN_OR_RETURN(type.name, identifier("a type name"));
    relation_names_.clear();
    if (peek().kind == Tok::kNewline && peek(1).kind == Tok::kRelations) {
      next();
      next();
      if (!(peek().kind == Tok::kNewline && peek(1).kind == Tok::kDefine)) {
        return fail(peek(peek().kind == Tok::kNewline ? 1 : 0),
                    "'relations' must be followed by at least one 'define' line");
      }
      while (peek().kind == Tok::kNewline && peek(1).kind == Tok::kDefine) {
        next();
        MCPGATE_TRY(parse_relation(type));
      }
    }
    model_.types.push_back(std::move(type));
    return {};
  }

  Status parse_relation(TypeDefinition& type) {
    next();  // 'define'
    MCPGATE_TRY(expect(Tok::kWhitespace, "expected a blank after 'define'"));
    const Token name_token = peek();
    Relation relation;
    MCPGATE_ASSIGN_OR_RETURN(relation.name, identifier("a relation name"));
    accept(Tok::kWhitespace);
    MCPGATE_TRY(expect(Tok::kColon, "expected ':' after the relation name"));
    accept(Tok::kWhitespace);
    MCPGATE_ASSIGN_OR_RETURN(relation.rewrite,
                             parse_definition(/*allow_direct=*/true, 0, relation.directly_related));
    if (!relation_names_.insert(relation.name).second) {
      return fail(name_token,
                  "'" + relation.name + "' is already defined in '" + type.name + "'");
    }
    type.relations.push_back(std::move(relation));
    return {};
  }

  // relationDef / relationDefNoDirect: one operand, then any number of operands joined by one
  // kind of operator (`but not` exactly once). Direct type restrictions may only be the first
  // operand of a definition or of a parenthesised group that itself comes first.
  Result<Rewrite> parse_definition(bool allow_direct, std::size_t depth,
                                   std::vector<RelatedType>& direct) {
    std::vector<Rewrite> operands;
    MCPGATE_ASSIGN_OR_RETURN(Rewrite first, parse_operand(allow_direct, depth, direct));
    operands.push_back(std::move(first));
    Op op = Op::kNone;
    while (peek().kind == Tok::kWhitespace &&
           (peek(1).kind == Tok::kOr || peek(1).kind == Tok::kAnd ||
            peek(1).kind == Tok::kButNot)) {
      const Token& op_token = peek(1);
      const Op this_op = op_token.kind == Tok::kOr    ? Op::kOr
                         : op_token.kind == Tok::kAnd ? Op::kAnd
                                                      : Op::kButNot;
      if (op == Op::kButNot) {
        return fail(op_token, "'but not' takes exactly one relation after it; use parentheses");
      }
      if (op != Op::kNone && this_op != op) {
        return fail(op_token, "cannot mix '" + std::string(op == Op::kOr ? "or" : "and") +
                                  "' with '" + std::string(op_token.text) +
                                  "' without parentheses");
      }
      op = this_op;
      next();
      next();
      MCPGATE_TRY(expect(Tok::kWhitespace,
                         "expected a blank after '" + std::string(op_token.text) + "'"));
      MCPGATE_ASSIGN_OR_RETURN(Rewrite operand, parse_operand(false, depth, direct));
      operands.push_back(std::move(operand));
    }
    if (operands.size() == 1) {
      return std::move(operands.front());
    }
    Rewrite node;
    node.kind = op == Op::kOr    ? Rewrite::Kind::kUnion
                : op == Op::kAnd ? Rewrite::Kind::kIntersection
                                 : Rewrite::Kind::kDifference;
    node.children = std::move(operands);
    return node;
  }

  Result<Rewrite> parse_operand(bool allow_direct, std::size_t depth,
                                std::vector<RelatedType>& direct) {
    const Token& t = peek();
    if (t.kind == Tok::kLBracket) {
      if (!allow_direct) {
        return fail(t, "direct type restrictions [...] must come first in a definition");
      }
      MCPGATE_TRY(parse_direct(direct));
      return Rewrite{};
    }
    if (t.kind == Tok::kLParen) {
      if (depth + 1 > limits_.max_nesting) {
        return fail(t, "parentheses are nested more than " +
                           std::to_string(limits_.max_nesting) + " deep");
      }
      next();
      accept(Tok::kWhitespace);
      MCPGATE_ASSIGN_OR_RETURN(Rewrite inner, parse_definition(allow_direct, depth + 1, direct));
      accept(Tok::kWhitespace);
      MCPGATE_TRY(expect(Tok::kRParen, "expected ')' or an operator"));
      return inner;
    }
    if (is_extended_identifier(t.kind)) {
      Rewrite leaf;
      leaf.kind = Rewrite::Kind::kComputed;
      leaf.relation = std::string(next().text);
      if (peek().kind == Tok::kWhitespace && peek(1).kind == Tok::kFrom) {
        next();
        next();
        MCPGATE_TRY(expect(Tok::kWhitespace, "expected a blank after 'from'"));
        leaf.kind = Rewrite::Kind::kTupleToUserset;
        MCPGATE_ASSIGN_OR_RETURN(leaf.tupleset, identifier("a relation name after 'from'"));
      }
      return leaf;
    }
    return fail(t, "expected a relation name, '[' or '(', found " + describe(t));
  }

  Status parse_direct(std::vector<RelatedType>& direct) {
    next();  // '['
    while (true) {
      accept(Tok::kWhitespace);
      accept(Tok::kNewline);
      RelatedType related;
      MCPGATE_ASSIGN_OR_RETURN(related.type, identifier("a type name"));
      if (accept(Tok::kColon)) {
        MCPGATE_TRY(expect(Tok::kStar, "expected '*' after ':' (a wildcard is written type:*)"));
        related.wildcard = true;
      } else if (accept(Tok::kHash)) {
        MCPGATE_ASSIGN_OR_RETURN(related.relation, identifier("a relation name after '#'"));
      }
      if (peek().kind == Tok::kWhitespace && peek(1).kind == Tok::kWith) {
        next();
        next();
        MCPGATE_TRY(expect(Tok::kWhitespace, "expected a blank after 'with'"));
        if (peek().kind != Tok::kIdentifier) {
          return fail(peek(), "expected a condition name after 'with', found " + describe(peek()));
        }
        related.condition = std::string(next().text);
      }
      direct.push_back(std::move(related));
      accept(Tok::kNewline);
      accept(Tok::kWhitespace);
      if (accept(Tok::kRBracket)) {
        return {};
      }
      if (!accept(Tok::kComma)) {
        return fail(peek(), "expected ',' or ']' in the type restrictions, found " +
                                describe(peek()));
      }
    }
  }

  Status parse_condition() {
    next();  // 'condition'
    MCPGATE_TRY(expect(Tok::kWhitespace, "expected a blank after 'condition'"));
    const Token name_token = peek();
    if (name_token.kind != Tok::kIdentifier) {
      return fail(name_token, "expected a condition name, found " + describe(name_token));
    }
    Condition condition;
    condition.name = std::string(next().text);
    if (model_.find_condition(condition.name) != nullptr) {
      return fail(name_token,
                  "condition '" + condition.name + "' is already defined in the model");
    }
    accept(Tok::kWhitespace);
    MCPGATE_TRY(expect(Tok::kLParen, "expected '(' and the condition's parameters"));
    while (true) {
      accept(Tok::kWhitespace);
      const Token param_token = peek();
      if (param_token.kind != Tok::kIdentifier) {
        return fail(param_token, "expected a parameter name, found " + describe(param_token));
      }
      ConditionParameter param;
      param.name = std::string(next().text);
      accept(Tok::kWhitespace);
      MCPGATE_TRY(expect(Tok::kColon, "expected ':' and a type after the parameter name"));
      accept(Tok::kWhitespace);
      std::string spelling;
      if (peek().kind == Tok::kParamType) {
        spelling = std::string(next().text);
      } else if (peek().kind == Tok::kParamContainer) {
        spelling = std::string(next().text);
        MCPGATE_TRY(expect(Tok::kLess, "expected '<' after '" + spelling + "'"));
        if (peek().kind != Tok::kParamType) {
          return fail(peek(), "expected the element type of " + spelling + "<T>, found " +
                                  describe(peek()));
        }
        spelling += "<" + std::string(next().text) + ">";
        MCPGATE_TRY(expect(Tok::kGreater, "expected '>'"));
      } else {
        return fail(peek(), "expected a parameter type (bool, string, int, uint, double, "
                            "duration, timestamp, ipaddress, list<T>, map<T>), found " +
                                describe(peek()));
      }
      auto type = cel::type_from_dsl(spelling);
      if (!type) {
        return fail(param_token, type.error().message);
      }
      param.type = std::move(type).value();
      for (const auto& existing : condition.parameters) {
        if (existing.name == param.name) {
          return fail(param_token, "parameter '" + param.name +
                                       "' is already defined in the condition '" +
                                       condition.name + "'");
        }
      }
      condition.parameters.push_back(std::move(param));
      accept(Tok::kWhitespace);
      if (accept(Tok::kRParen)) {
        break;
      }
      if (!accept(Tok::kComma)) {
        return fail(peek(), "expected ',' or ')' after a parameter (the parameter list must "
                            "stay on one line), found " + describe(peek()));
      }
    }
    accept(Tok::kWhitespace);
    if (peek().kind != Tok::kLBrace) {
      return fail(peek(), "expected '{' and the condition's expression, found " +
                              describe(peek()));
    }
    const std::size_t body_start = next().offset + 1;
    while (peek().kind != Tok::kRBrace) {
      if (peek().kind == Tok::kEof) {
        return fail(name_token, "condition '" + condition.name + "' has no closing '}'");
      }
      next();
    }
    condition.expression = body_text(body_start, next().offset);
    model_.conditions.push_back(std::move(condition));
    return {};
  }

  // The body as the transformer keeps it: its tokens' text without the `//` comments, trimmed.
  std::string body_text(std::size_t begin, std::size_t end) const {
    std::string out;
    std::size_t p = begin;
    for (const auto& t : all_comments_) {
      if (t.offset >= begin && t.offset < end) {
        out.append(text_.substr(p, t.offset - p));
        p = t.offset + t.text.size();
      }
    }
    out.append(text_.substr(p, end - p));
    const auto blank = [](char c) {
      return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    std::size_t a = 0;
    std::size_t b = out.size();
    while (a < b && blank(out[a])) {
      ++a;
    }
    while (b > a && blank(out[b - 1])) {
      --b;
    }
    return out.substr(a, b - a);
  }

 public:
  void set_comments(std::vector<Token> comments) { all_comments_ = std::move(comments); }

 private:
  std::string_view text_;
  DslLimits limits_;
  std::vector<Token> tokens_;
  std::vector<Token> all_comments_;
  std::unordered_set<std::string> relation_names_;  // of the type being parsed
  std::size_t pos_ = 0;
  AuthorizationModel model_;
};

// ---------------------------------------------------------------------------------------------
// Writer.

void write_rewrite(const Rewrite& rewrite, const std::vector<RelatedType>& direct, bool top,
                   std::string& out);

void write_direct(const std::vector<RelatedType>& direct, std::string& out) {
  out += '[';
  for (std::size_t i = 0; i < direct.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    const auto& r = direct[i];
    out += r.type;
    if (r.wildcard) {
      out += ":*";
    } else if (!r.relation.empty()) {
      out += "#" + r.relation;
    }
    if (!r.condition.empty()) {
      out += " with " + r.condition;
    }
  }
  out += ']';
}

void write_rewrite(const Rewrite& rewrite, const std::vector<RelatedType>& direct, bool top,
                   std::string& out) {
  switch (rewrite.kind) {
    case Rewrite::Kind::kThis:
      write_direct(direct, out);
      return;
    case Rewrite::Kind::kComputed:
      out += rewrite.relation;
      return;
    case Rewrite::Kind::kTupleToUserset:
      out += rewrite.relation + " from " + rewrite.tupleset;
      return;
    case Rewrite::Kind::kUnion:
    case Rewrite::Kind::kIntersection:
    case Rewrite::Kind::kDifference:
      break;
  }
  const char* op = rewrite.kind == Rewrite::Kind::kUnion          ? " or "
                   : rewrite.kind == Rewrite::Kind::kIntersection ? " and "
                                                                  : " but not ";
  // The DSL can only spell a direct part first; union and intersection do not depend on order.
  std::vector<const Rewrite*> children;
  for (const auto& child : rewrite.children) {
    children.push_back(&child);
  }
  if (rewrite.kind != Rewrite::Kind::kDifference) {
    std::stable_partition(children.begin(), children.end(),
                          [](const Rewrite* c) { return c->kind == Rewrite::Kind::kThis; });
  }
  if (!top) {
    out += '(';
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (i > 0) {
      out += op;
    }
    write_rewrite(*children[i], direct, false, out);
  }
  if (!top) {
    out += ')';
  }
}

}  // namespace

Result<AuthorizationModel> parse_dsl(std::string_view text, const DslLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      "1:1: the model is " + std::to_string(text.size()) +
                          " bytes, over the limit of " + std::to_string(limits.max_bytes));
  }
  const std::string cleaned = strip_comments(text);
  std::vector<Token> tokens;
  Lexer lexer(cleaned);
  if (!lexer.run(tokens)) {
    const std::size_t at = lexer.error_offset();
    const auto c = static_cast<unsigned char>(cleaned[at]);
    std::string shown;
    if (c == '\n' || c == '\r') {
      shown = "a line break";
    } else if (c >= 0x20 && c < 0x7f) {
      shown = std::string("'") + static_cast<char>(c) + "'";
    } else {
      static const char* const kHex = "0123456789abcdef";
      shown = std::string("byte 0x") + kHex[c >> 4] + kHex[c & 15];
    }
    std::string message = "unexpected " + shown;
    if (c == '\n' || c == '\r') {
      message += " (a condition's parameter list must stay on one line)";
    }
    return make_error(ErrorCode::kInvalidArgument, [&] {
      std::size_t line = 1;
      std::size_t line_start = 0;
      for (std::size_t i = 0; i < at; ++i) {
        if (cleaned[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
      }
      return std::to_string(line) + ":" + std::to_string(at - line_start + 1) + ": " + message;
    }());
  }
  std::vector<Token> comments;
  for (const auto& t : tokens) {
    if (t.kind == Tok::kComment) {
      comments.push_back(t);
    }
  }
  Parser parser(cleaned, std::move(tokens), limits);
  parser.set_comments(std::move(comments));
  return parser.parse_model();
}

std::string model_to_dsl(const AuthorizationModel& model) {
  std::string out = "model\n  schema " + model.schema_version + "\n";
  for (const auto& type : model.types) {
    out += "\ntype " + type.name + "\n";
    if (!type.relations.empty()) {
      out += "  relations\n";
      for (const auto& relation : type.relations) {
        out += "    define " + relation.name + ": ";
        write_rewrite(relation.rewrite, relation.directly_related, true, out);
        out += '\n';
      }
    }
  }
  for (const auto& condition : model.conditions) {
    out += "\ncondition " + condition.name + "(";
    for (std::size_t i = 0; i < condition.parameters.size(); ++i) {
      if (i > 0) {
        out += ", ";
      }
      out += condition.parameters[i].name + ": " + cel::type_to_dsl(condition.parameters[i].type);
    }
    out += ") {\n  " + condition.expression + "\n}\n";
  }
  return out;
}

}  // namespace mcpgate::authz
