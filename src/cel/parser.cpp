// Lexer and recursive-descent parser for CEL (cel-spec langdef grammar):
//
//   Expr    = Or ["?" Or ":" Expr]          Or   = And {"||" And}      And = Rel {"&&" Rel}
//   Rel     = Add {relop Add}               Add  = Mul {("+"|"-") Mul}  Mul = Unary {("*"|"/"|"%")
//   Unary} Unary   = Member | "!" {"!"} Member | "-" {"-"} Member Member  = Primary {"." IDENT ["("
//   args ")"] | "[" Expr "]"} Primary = IDENT ["(" args ")"] | "(" Expr ")" | "[" list "]" | "{"
//   map "}" | literal
//
// Two bounds keep hostile input from exhausting the stack: the recursion through Expr is limited
// to Limits::max_nesting, and every node's height is limited to kHeightFactor × max_nesting, so
// left-associative chains (`a + a + a ...`) that parse iteratively still cannot produce a tree
// the checker and evaluator would recurse deeply into. && and || chains are built balanced (as
// cel-go does), which is sound because both operators are commutative in CEL.

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "cel/ast.hpp"
#include "core/ascii.hpp"

namespace mcpgate::cel {
namespace {

constexpr std::uint32_t kHeightFactor = 4;

enum class Tok : std::uint8_t {
  kEof,
  kIdent,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kPunct,  // text holds the operator
  kError,
};

struct Token {
  Tok kind = Tok::kEof;
  std::uint32_t pos = 0;
  std::string_view text;  // identifier or punctuation
  std::string value;      // decoded string / bytes literal
  std::uint64_t u = 0;    // integer magnitude
  double d = 0;
  std::string error;  // kError
};

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

int hex_digit(char c) {
  if (ascii::is_digit(c)) {
    return c - '0';
  }
  return (c | 0x20) - 'a' + 10;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Strict UTF-8 validation (no overlongs, no surrogates), so string functions can trust it.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) {
        return false;
      }
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF
        || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

constexpr std::string_view kReserved[] = {"as",
                                          "break",
                                          "const",
                                          "continue",
                                          "else",
                                          "for",
                                          "function",
                                          "if",
                                          "import",
                                          "let",
                                          "loop",
                                          "package",
                                          "namespace",
                                          "return",
                                          "var",
                                          "void",
                                          "while"};

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Token next() {
    skip_space();
    Token tok;
    tok.pos = static_cast<std::uint32_t>(pos_);
    if (pos_ >= src_.size()) {
      tok.kind = Tok::kEof;
      return tok;
    }
    const char c = src_[pos_];
    // String and bytes literals with optional r/b prefixes (in either order, any case).
    {
      std::size_t p = pos_;
      bool raw = false;
      bool bytes = false;
      for (int k = 0; k < 2 && p < src_.size(); ++k) {
        const char pc = static_cast<char>(src_[p] | 0x20);
        if (pc == 'r' && !raw) {
          raw = true;
          ++p;
        } else if (pc == 'b' && !bytes) {
          bytes = true;
          ++p;
        } else {
          break;
        }
      }
      if (p < src_.size() && (src_[p] == '"' || src_[p] == '\'')) {
        pos_ = p;
        return lex_string(tok, raw, bytes);
      }
    }
    if (is_ident_start(c)) {
      std::size_t end = pos_ + 1;
      while (end < src_.size() && (is_ident_start(src_[end]) || ascii::is_digit(src_[end]))) {
        ++end;
      }
      tok.kind = Tok::kIdent;
      tok.text = src_.substr(pos_, end - pos_);
      pos_ = end;
      return tok;
    }
    if (ascii::is_digit(c) || (c == '.' && pos_ + 1 < src_.size() && ascii::is_digit(src_[pos_ + 1]))) {
      return lex_number(tok);
    }
    static constexpr std::string_view kTwo[] = {"&&", "||", "==", "!=", "<=", ">="};
    for (auto op : kTwo) {
      if (src_.substr(pos_, 2) == op) {
        tok.kind = Tok::kPunct;
        tok.text = src_.substr(pos_, 2);
        pos_ += 2;
        return tok;
      }
    }
    if (std::strchr("+-*/%!<>?:.,()[]{}", c) != nullptr) {
      tok.kind = Tok::kPunct;
      tok.text = src_.substr(pos_, 1);
      ++pos_;
      return tok;
    }
    return fail(tok, "unexpected character");
  }

 private:
  Token& fail(Token& tok, std::string message) {
    tok.kind = Tok::kError;
    tok.error = std::move(message);
    return tok;
  }

  void skip_space() {
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '/') {
        while (pos_ < src_.size() && src_[pos_] != '\n') {
          ++pos_;
        }
      } else {
        break;
      }
    }
  }

  Token lex_number(Token& tok) {
    const std::size_t start = pos_;
    if (src_[pos_] == '0' && pos_ + 1 < src_.size()
        && (src_[pos_ + 1] == 'x' || src_[pos_ + 1] == 'X')) {
      std::size_t end = pos_ + 2;
      while (end < src_.size() && ascii::is_hex(src_[end])) {
        ++end;
      }
      if (end == pos_ + 2) {
        return fail(tok, "invalid hex literal");
      }
      auto [ptr, ec] = std::from_chars(src_.data() + pos_ + 2, src_.data() + end, tok.u, 16);
      if (ec != std::errc()) {
        return fail(tok, "integer literal out of range");
      }
      (void)ptr;
      pos_ = end;
      return finish_int(tok);
    }
    std::size_t end = pos_;
    while (end < src_.size() && ascii::is_digit(src_[end])) {
      ++end;
    }
    bool is_float = false;
    if (end + 1 < src_.size() && src_[end] == '.' && ascii::is_digit(src_[end + 1])) {
      is_float = true;
      end += 1;
      while (end < src_.size() && ascii::is_digit(src_[end])) {
        ++end;
      }
    }
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      std::size_t e = end + 1;
      if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) {
        ++e;
      }
      if (e < src_.size() && ascii::is_digit(src_[e])) {
        while (e < src_.size() && ascii::is_digit(src_[e])) {
          ++e;
        }
        is_float = true;
        end = e;
      }
    }
    if (is_float) {
      const std::string text(src_.substr(start, end - start));
      tok.kind = Tok::kDouble;
      tok.d =
          std::strtod(text.c_str(), nullptr);  // ±inf for huge exponents, as cel-go's ParseFloat
      pos_ = end;
      return tok;
    }
    auto [ptr, ec] = std::from_chars(src_.data() + start, src_.data() + end, tok.u, 10);
    (void)ptr;
    if (ec != std::errc()) {
      return fail(tok, "integer literal out of range");
    }
    pos_ = end;
    return finish_int(tok);
  }

  Token finish_int(Token& tok) {
    if (pos_ < src_.size() && (src_[pos_] == 'u' || src_[pos_] == 'U')) {
      ++pos_;
      tok.kind = Tok::kUint;
    } else {
      tok.kind = Tok::kInt;
    }
    if (pos_ < src_.size() && (is_ident_start(src_[pos_]) || ascii::is_digit(src_[pos_]))) {
      return fail(tok, "invalid number literal");
    }
    return tok;
  }

  Token lex_string(Token& tok, bool raw, bool bytes) {
    const char quote = src_[pos_];
    const bool triple = src_.substr(pos_, 3) == std::string(3, quote);
    pos_ += triple ? 3 : 1;
    tok.kind = bytes ? Tok::kBytes : Tok::kString;
    std::string& out = tok.value;
    while (true) {
      if (pos_ >= src_.size()) {
        return fail(tok, "unterminated string literal");
      }
      const char c = src_[pos_];
      if (triple ? src_.substr(pos_, 3) == std::string(3, quote) : c == quote) {
        pos_ += triple ? 3 : 1;
        return tok;
      }
      if (!triple && (c == '\n' || c == '\r')) {
        return fail(tok, "newline in string literal");
      }
      if (c != '\\' || raw) {
        out += c;
        ++pos_;
        continue;
      }
      // Escape sequence.
      if (pos_ + 1 >= src_.size()) {
        return fail(tok, "unterminated string literal");
      }
      const char e = src_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case 'a':
          out += '\a';
          continue;
        case 'b':
          out += '\b';
          continue;
        case 'f':
          out += '\f';
          continue;
        case 'n':
          out += '\n';
          continue;
        case 'r':
          out += '\r';
          continue;
        case 't':
          out += '\t';
          continue;
        case 'v':
          out += '\v';
          continue;
        case '\\':
          out += '\\';
          continue;
        case '\'':
          out += '\'';
          continue;
        case '"':
          out += '"';
          continue;
        case '`':
          out += '`';
          continue;
        case '?':
          out += '?';
          continue;
        default:
          break;
      }
      std::uint32_t cp = 0;
      std::size_t digits = 0;
      int base = 16;
      if (e == 'x' || e == 'X') {
        digits = 2;
      } else if (e == 'u') {
        digits = 4;
      } else if (e == 'U') {
        digits = 8;
      } else if (e >= '0' && e <= '3') {
        base = 8;
        digits = 2;
        cp = static_cast<std::uint32_t>(e - '0');
      } else {
        pos_ -= 1;
        return fail(tok, "invalid escape sequence");
      }
      if (bytes && (e == 'u' || e == 'U')) {
        return fail(tok, "\\u escapes are not allowed in bytes literals");
      }
      for (std::size_t k = 0; k < digits; ++k) {
        if (pos_ >= src_.size()) {
          return fail(tok, "invalid escape sequence");
        }
        const char d = src_[pos_];
        if (base == 8 ? !(d >= '0' && d <= '7') : !ascii::is_hex(d)) {
          return fail(tok, "invalid escape sequence");
        }
        cp = cp * static_cast<std::uint32_t>(base) + static_cast<std::uint32_t>(hex_digit(d));
        ++pos_;
      }
      if (bytes && (e == 'x' || e == 'X' || base == 8)) {
        out += static_cast<char>(cp);
        continue;
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return fail(tok, "invalid unicode code point in escape");
      }
      append_utf8(out, cp);
    }
  }

  std::string_view src_;
  std::size_t pos_ = 0;
};

class Parser {
 public:
  Parser(std::string_view src, const Limits& limits)
      : src_(src),
        lexer_(src),
        max_depth_(limits.max_nesting),
        max_height_(static_cast<std::uint32_t>(
            std::min<std::size_t>(limits.max_nesting * kHeightFactor, 1U << 20))) {}

  Result<Ast> run() {
    advance();
    Node* root = parse_expr();
    if (root != nullptr && tok_.kind != Tok::kEof) {
      error_at(tok_.pos, "unexpected " + describe(tok_));
    }
    if (!error_.empty()) {
      return make_error(ErrorCode::kInvalidArgument, error_);
    }
    ast_.root = root;
    return std::move(ast_);
  }

 private:
  // --- token helpers ---
  void advance() {
    if (has_peek_) {
      tok_ = std::move(peek_);
      has_peek_ = false;
    } else {
      tok_ = lexer_.next();
    }
    if (tok_.kind == Tok::kError) {
      error_at(tok_.pos, tok_.error);
    }
  }

  const Token& peek() {
    if (!has_peek_) {
      peek_ = lexer_.next();
      has_peek_ = true;
    }
    return peek_;
  }

  bool is(std::string_view punct) const { return tok_.kind == Tok::kPunct && tok_.text == punct; }

  bool is_keyword(std::string_view word) const {
    return tok_.kind == Tok::kIdent && tok_.text == word;
  }

  bool accept(std::string_view punct) {
    if (is(punct)) {
      advance();
      return true;
    }
    return false;
  }

  bool expect(std::string_view punct) {
    if (accept(punct)) {
      return true;
    }
    error_at(tok_.pos, "expected '" + std::string(punct) + "' but found " + describe(tok_));
    return false;
  }

  static std::string describe(const Token& tok) {
    switch (tok.kind) {
      case Tok::kEof:
        return "end of input";
      case Tok::kIdent:
      case Tok::kPunct:
        return "'" + std::string(tok.text) + "'";
      case Tok::kError:
        return "invalid token";
      default:
        return "literal";
    }
  }

  Node* error_at(std::uint32_t pos, std::string message) {
    if (error_.empty()) {
      error_ = source_location(src_, pos) + ": " + message;
    }
    return nullptr;
  }

  bool failed() const { return !error_.empty(); }

  // --- node construction (with the height bound) ---
  Node* make(NodeKind kind, std::uint32_t pos, std::vector<Node*> args = {}) {
    std::uint32_t height = 1;
    for (const Node* arg : args) {
      height = std::max(height, arg->height + 1);
    }
    if (height > max_height_) {
      return error_at(pos, "expression nests too deeply");
    }
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->pos = pos;
    node->height = height;
    node->args = std::move(args);
    Node* raw = node.get();
    ast_.nodes.push_back(std::move(node));
    return raw;
  }

  Node* call(std::string name, std::uint32_t pos, std::vector<Node*> args) {
    Node* node = make(NodeKind::kCall, pos, std::move(args));
    if (node != nullptr) {
      node->name = std::move(name);
    }
    return node;
  }

  Node* literal(ValuePtr value, std::uint32_t pos) {
    Node* node = make(NodeKind::kLiteral, pos);
    if (node != nullptr) {
      node->literal = std::move(value);
    }
    return node;
  }

  // Balanced tree over a chain of the same commutative operator.
  Node* balance(const std::string& op,
                std::vector<Node*>& terms,
                std::vector<std::uint32_t>& ops,
                std::size_t lo,
                std::size_t hi) {
    if (lo == hi) {
      return terms[lo];
    }
    const std::size_t mid = (lo + hi) / 2;
    Node* left = balance(op, terms, ops, lo, mid);
    Node* right = balance(op, terms, ops, mid + 1, hi);
    if (left == nullptr || right == nullptr) {
      return nullptr;
    }
    return call(op, ops[mid], {left, right});
  }

  // --- grammar ---
  Node* parse_expr() {
    if (++depth_ > max_depth_) {
      --depth_;
      return error_at(tok_.pos, "expression nests too deeply");
    }
    Node* out = parse_conditional();
    --depth_;
    return out;
  }

  Node* parse_conditional() {
    Node* cond = parse_logical("||");
    if (cond == nullptr || !is("?")) {
      return cond;
    }
    const std::uint32_t pos = tok_.pos;
    advance();
    Node* then_branch = parse_logical("||");
    if (then_branch == nullptr || !expect(":")) {
      return nullptr;
    }
    Node* else_branch = parse_expr();
    if (else_branch == nullptr) {
      return nullptr;
    }
    return call("_?_:_", pos, {cond, then_branch, else_branch});
  }

  Node* parse_logical(std::string_view op) {
    const bool is_or = op == "||";
    std::vector<Node*> terms;
    std::vector<std::uint32_t> ops;
    Node* first = is_or ? parse_logical("&&") : parse_relation();
    if (first == nullptr) {
      return nullptr;
    }
    terms.push_back(first);
    while (is(op)) {
      ops.push_back(tok_.pos);
      advance();
      Node* term = is_or ? parse_logical("&&") : parse_relation();
      if (term == nullptr) {
        return nullptr;
      }
      terms.push_back(term);
    }
    if (terms.size() == 1) {
      return first;
    }
    return balance(is_or ? "_||_" : "_&&_", terms, ops, 0, terms.size() - 1);
  }

  Node* parse_relation() {
    Node* left = parse_addition();
    while (left != nullptr) {
      std::string name;
      if (is("<")) {
        name = "_<_";
      } else if (is("<=")) {
        name = "_<=_";
      } else if (is(">")) {
        name = "_>_";
      } else if (is(">=")) {
        name = "_>=_";
      } else if (is("==")) {
        name = "_==_";
      } else if (is("!=")) {
        name = "_!=_";
      } else if (is_keyword("in")) {
        name = "@in";
      } else {
        break;
      }
      const std::uint32_t pos = tok_.pos;
      advance();
      Node* right = parse_addition();
      if (right == nullptr) {
        return nullptr;
      }
      left = call(std::move(name), pos, {left, right});
    }
    return left;
  }

  Node* parse_addition() {
    Node* left = parse_multiplication();
    while (left != nullptr && (is("+") || is("-"))) {
      std::string name = is("+") ? "_+_" : "_-_";
      const std::uint32_t pos = tok_.pos;
      advance();
      Node* right = parse_multiplication();
      if (right == nullptr) {
        return nullptr;
      }
      left = call(std::move(name), pos, {left, right});
    }
    return left;
  }

  Node* parse_multiplication() {
    Node* left = parse_unary();
    while (left != nullptr && (is("*") || is("/") || is("%"))) {
      std::string name = is("*") ? "_*_" : (is("/") ? "_/_" : "_%_");
      const std::uint32_t pos = tok_.pos;
      advance();
      Node* right = parse_unary();
      if (right == nullptr) {
        return nullptr;
      }
      left = call(std::move(name), pos, {left, right});
    }
    return left;
  }

  Node* parse_unary() {
    if (is("!") || is("-")) {
      const std::string op = std::string(tok_.text);
      std::vector<std::uint32_t> positions;
      while (is(op)) {
        positions.push_back(tok_.pos);
        advance();
      }
      Node* operand = nullptr;
      // `-9223372036854775808` and `-1.5` are literals, not negations (cel-go folds them too).
      if (op == "-" && (tok_.kind == Tok::kInt || tok_.kind == Tok::kDouble)
          && !(peek().kind == Tok::kPunct && (peek().text == "." || peek().text == "["))) {
        const std::uint32_t pos = positions.back();
        positions.pop_back();
        if (tok_.kind == Tok::kInt) {
          if (tok_.u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) {
            return error_at(tok_.pos, "integer literal out of range");
          }
          operand =
              literal(Value::make_scalar(Val::integer(static_cast<std::int64_t>(0 - tok_.u))), pos);
        } else {
          operand = literal(Value::make_scalar(Val::dbl(-tok_.d)), pos);
        }
        advance();
      } else {
        operand = parse_member();
      }
      for (auto it = positions.rbegin(); it != positions.rend() && operand != nullptr; ++it) {
        operand = call(op == "!" ? "!_" : "-_", *it, {operand});
      }
      return operand;
    }
    return parse_member();
  }

  bool parse_args(std::vector<Node*>& args, std::string_view close) {
    if (accept(close)) {
      return true;
    }
    while (true) {
      Node* arg = parse_expr();
      if (arg == nullptr) {
        return false;
      }
      args.push_back(arg);
      if (accept(close)) {
        return true;
      }
      if (!expect(",")) {
        return false;
      }
      if (close == "]" && accept(close)) {  // trailing comma in list literals
        return true;
      }
    }
  }

  Node* parse_member() {
    Node* node = parse_primary();
    while (node != nullptr) {
      if (is(".")) {
        advance();
        if (tok_.kind != Tok::kIdent) {
          return error_at(tok_.pos, "expected a field or method name after '.'");
        }
        const std::uint32_t pos = tok_.pos;
        std::string name(tok_.text);
        advance();
        if (is("(")) {
          advance();
          std::vector<Node*> args{node};
          if (!parse_args(args, ")")) {
            return nullptr;
          }
          node = method_call(std::move(name), pos, std::move(args));
        } else {
          node = make(NodeKind::kSelect, pos, {node});
          if (node != nullptr) {
            node->name = std::move(name);
          }
        }
      } else if (is("[")) {
        const std::uint32_t pos = tok_.pos;
        advance();
        Node* index = parse_expr();
        if (index == nullptr || !expect("]")) {
          return nullptr;
        }
        node = call("_[_]", pos, {node, index});
      } else {
        break;
      }
    }
    return node;
  }

  // Receiver calls, expanding the comprehension macros.
  Node* method_call(std::string name, std::uint32_t pos, std::vector<Node*> args) {
    static constexpr std::pair<std::string_view, Macro> kMacros[] = {
        {"all", Macro::kAll},
        {"exists", Macro::kExists},
        {"exists_one", Macro::kExistsOne},
        {"map", Macro::kMap},
        {"filter", Macro::kFilter},
    };
    for (const auto& [macro_name, macro] : kMacros) {
      if (name != macro_name) {
        continue;
      }
      const bool three = macro == Macro::kMap && args.size() == 4;
      if (args.size() != 3 && !three) {
        return error_at(pos,
                        "macro '" + name + "' takes 2 arguments"
                            + (macro == Macro::kMap ? std::string(" or 3") : std::string()));
      }
      if (args[1]->kind != NodeKind::kIdent) {
        return error_at(args[1]->pos,
                        "macro '" + name + "' needs a variable name as first argument");
      }
      std::string var = args[1]->name;
      std::vector<Node*> parts{args[0]};
      for (std::size_t i = 2; i < args.size(); ++i) {
        parts.push_back(args[i]);
      }
      Node* node = make(NodeKind::kComprehension, pos, std::move(parts));
      if (node != nullptr) {
        node->macro = three ? Macro::kMapFilter : macro;
        node->name = std::move(var);
      }
      return node;
    }
    Node* node = call(std::move(name), pos, std::move(args));
    if (node != nullptr) {
      node->receiver_style = true;
    }
    return node;
  }

  Node* parse_primary() {
    const std::uint32_t pos = tok_.pos;
    switch (tok_.kind) {
      case Tok::kError:
        return nullptr;
      case Tok::kEof:
        return error_at(pos, "unexpected end of input");
      case Tok::kInt: {
        if (tok_.u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          return error_at(pos, "integer literal out of range");
        }
        auto value = Value::make_scalar(Val::integer(static_cast<std::int64_t>(tok_.u)));
        advance();
        return literal(std::move(value), pos);
      }
      case Tok::kUint: {
        auto value = Value::make_scalar(Val::uinteger(tok_.u));
        advance();
        return literal(std::move(value), pos);
      }
      case Tok::kDouble: {
        auto value = Value::make_scalar(Val::dbl(tok_.d));
        advance();
        return literal(std::move(value), pos);
      }
      case Tok::kString:
      case Tok::kBytes: {
        if (tok_.kind == Tok::kString && !valid_utf8(tok_.value)) {
          return error_at(pos, "string literal is not valid UTF-8");
        }
        auto value = Value::make_string(std::move(tok_.value),
                                        tok_.kind == Tok::kString ? Kind::kString : Kind::kBytes);
        advance();
        return literal(std::move(value), pos);
      }
      case Tok::kIdent:
        return parse_identifier();
      case Tok::kPunct:
        break;
    }
    if (accept("(")) {
      Node* inner = parse_expr();
      if (inner == nullptr || !expect(")")) {
        return nullptr;
      }
      return inner;
    }
    if (accept("[")) {
      std::vector<Node*> items;
      if (++depth_ > max_depth_) {
        return error_at(pos, "expression nests too deeply");
      }
      const bool ok = parse_args(items, "]");
      --depth_;
      if (!ok) {
        return nullptr;
      }
      return make(NodeKind::kList, pos, std::move(items));
    }
    if (accept("{")) {
      std::vector<Node*> items;
      while (!is("}")) {
        Node* key = parse_expr();
        if (key == nullptr || !expect(":")) {
          return nullptr;
        }
        Node* value = parse_expr();
        if (value == nullptr) {
          return nullptr;
        }
        items.push_back(key);
        items.push_back(value);
        if (!accept(",")) {
          break;
        }
      }
      if (!expect("}")) {
        return nullptr;
      }
      return make(NodeKind::kMap, pos, std::move(items));
    }
    if (is(".")) {
      return error_at(pos, "leading-dot identifiers are not supported");
    }
    return error_at(pos, "unexpected " + describe(tok_));
  }

  Node* parse_identifier() {
    const std::uint32_t pos = tok_.pos;
    const std::string name(tok_.text);
    advance();
    if (name == "true" || name == "false") {
      return literal(Value::make_scalar(Val::boolean(name == "true")), pos);
    }
    if (name == "null") {
      return literal(Value::make_scalar(Val::null()), pos);
    }
    if (name == "in") {
      return error_at(pos, "unexpected 'in'");
    }
    for (auto word : kReserved) {
      if (name == word) {
        return error_at(pos, "reserved identifier '" + name + "'");
      }
    }
    if (is("(")) {
      advance();
      std::vector<Node*> args;
      if (!parse_args(args, ")")) {
        return nullptr;
      }
      if (name == "has") {
        if (args.size() != 1 || args[0]->kind != NodeKind::kSelect) {
          return error_at(pos, "invalid argument to has() macro");
        }
        Node* node = make(NodeKind::kHas, pos, {args[0]->args[0]});
        if (node != nullptr) {
          node->name = args[0]->name;
        }
        return node;
      }
      return call(name, pos, std::move(args));
    }
    Node* node = make(NodeKind::kIdent, pos);
    if (node != nullptr) {
      node->name = name;
    }
    return node;
  }

  std::string_view src_;
  Lexer lexer_;
  Token tok_;
  Token peek_;
  bool has_peek_ = false;
  std::size_t depth_ = 0;
  std::size_t max_depth_;
  std::uint32_t max_height_;
  std::string error_;
  Ast ast_;
};

}  // namespace

std::string source_location(std::string_view source, std::uint32_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

Result<Ast> parse(std::string_view source, const Limits& limits) {
  if (source.size() > limits.max_expression_bytes) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "expression is longer than " + std::to_string(limits.max_expression_bytes) + " bytes");
  }
  if (!valid_utf8(source)) {
    return make_error(ErrorCode::kInvalidArgument, "expression is not valid UTF-8");
  }
  Parser parser(source, limits);
  return parser.run();
}

}  // namespace mcpgate::cel
