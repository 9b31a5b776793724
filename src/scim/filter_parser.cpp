// The filter grammar (RFC 7644 §3.4.2.2), by recursive descent with an explicit depth budget:
//
//   filter    = and_expr *("or" and_expr)
//   and_expr  = unary *("and" unary)
//   unary     = "not" [SP] "(" filter ")" / "(" filter ")" / attrPath "[" valFilter "]"
//             / attrPath SP "pr" / attrPath SP compareOp SP compValue
//
// Precedence falls out of the levels (not > and > or). and/or chains are n-ary nodes built in
// a loop, so a long chain costs nodes, not stack; only parentheses, not and value paths
// recurse, and each of those spends one unit of the depth budget.

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "core/ascii.hpp"
#include "scim/error.hpp"
#include "scim/filter.hpp"
#include "scim/names.hpp"

namespace mcpgate::scim {

namespace {

constexpr int kDepthCeiling = 64;

constexpr std::array<std::pair<std::string_view, CompareOp>, 10> kCompareOps = {{
    {"eq", CompareOp::kEq},
    {"ne", CompareOp::kNe},
    {"co", CompareOp::kCo},
    {"sw", CompareOp::kSw},
    {"ew", CompareOp::kEw},
    {"gt", CompareOp::kGt},
    {"ge", CompareOp::kGe},
    {"lt", CompareOp::kLt},
    {"le", CompareOp::kLe},
    {"pr", CompareOp::kPr},
}};

bool is_filter_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

class FilterParser {
 public:
  FilterParser(std::string_view text, const FilterLimits& limits, Filter& out, ScimType error_type)
      : text_(text),
        max_depth_(std::clamp(limits.max_depth, 1, kDepthCeiling)),
        max_nodes_(limits.max_nodes),
        out_(out),
        error_type_(error_type) {}

  Result<NodeId> whole_filter() {
    skip_spaces();
    if (pos_ == text_.size()) {
      return fail("the filter is empty");
    }
    MCPGATE_ASSIGN_OR_RETURN(const NodeId root, or_expr(false));
    skip_spaces();
    if (pos_ != text_.size()) {
      return fail("unexpected '" + printable(text_.substr(pos_)) + "'");
    }
    return root;
  }

  // attrPath ["[" valFilter "]" ["." subAttr]], the whole text.
  Result<PatchPath> whole_patch_path() {
    PatchPath path;
    skip_spaces();
    MCPGATE_ASSIGN_OR_RETURN(path.attr, attr_path());
    if (pos_ < text_.size() && text_[pos_] == '[') {
      MCPGATE_ASSIGN_OR_RETURN(const NodeId inner, bracketed_filter());
      out_.root = inner;
      if (pos_ < text_.size() && text_[pos_] == '.') {
        ++pos_;
        const std::size_t start = pos_;
        while (pos_ < text_.size() && is_path_char(text_[pos_])) {
          ++pos_;
        }
        const std::string_view sub = text_.substr(start, pos_ - start);
        if (!is_attr_name(sub)) {
          return fail("expected a sub-attribute name after the value filter");
        }
        path.sub = std::string(sub);
      }
      path.filter = std::move(out_);
    }
    skip_spaces();
    if (pos_ != text_.size()) {
      return fail("unexpected '" + printable(text_.substr(pos_)) + "'");
    }
    return path;
  }

 private:
  Error fail(const std::string& what) const {
    return scim_error(error_type_, "at offset " + std::to_string(pos_) + ": " + what);
  }

  void skip_spaces() {
    while (pos_ < text_.size() && is_filter_space(text_[pos_])) {
      ++pos_;
    }
  }

  // The keyword at pos_ (ignoring case), not followed by a name character.
  bool at_keyword(std::string_view keyword) const {
    if (text_.size() - pos_ < keyword.size() || !ascii::iequals(text_.substr(pos_, keyword.size()), keyword)) {
      return false;
    }
    const std::size_t after = pos_ + keyword.size();
    return after == text_.size() || !(ascii::is_alnum(text_[after]) || text_[after] == '_' || text_[after] == '-');
  }

  Result<NodeId> add_node(Node node) {
    if (out_.nodes.size() >= max_nodes_) {
      return fail("the filter has more than " + std::to_string(max_nodes_) + " terms");
    }
    out_.nodes.push_back(std::move(node));
    return static_cast<NodeId>(out_.nodes.size() - 1);
  }

  Status enter() {
    if (++depth_ > max_depth_) {
      return fail("the filter nests deeper than " + std::to_string(max_depth_) + " levels");
    }
    return {};
  }

  Result<NodeId> chain(NodeKind kind, std::string_view keyword, bool in_brackets) {
    const std::size_t start = pos_;
    auto first = kind == NodeKind::kOr ? chain(NodeKind::kAnd, "and", in_brackets) : unary(in_brackets);
    if (!first) {
      return first.error();
    }
    std::vector<NodeId> operands{*first};
    while (true) {
      skip_spaces();
      if (!at_keyword(keyword)) {
        break;
      }
      pos_ += keyword.size();
      skip_spaces();
      auto next = kind == NodeKind::kOr ? chain(NodeKind::kAnd, "and", in_brackets) : unary(in_brackets);
      if (!next) {
        return next.error();
      }
      operands.push_back(*next);
    }
    if (operands.size() == 1) {
      return operands.front();
    }
    Node node;
    node.kind = kind;
    node.children = std::move(operands);
    node.offset = start;
    return add_node(std::move(node));
  }

  Result<NodeId> or_expr(bool in_brackets) { return chain(NodeKind::kOr, "or", in_brackets); }

  Result<NodeId> parenthesized(bool in_brackets) {
    // at '('
    ++pos_;
    MCPGATE_TRY(enter());
    skip_spaces();
    MCPGATE_ASSIGN_OR_RETURN(const NodeId inner, or_expr(in_brackets));
    skip_spaces();
    if (pos_ >= text_.size() || text_[pos_] != ')') {
      return fail("expected ')'");
    }
    ++pos_;
    --depth_;
    return inner;
  }

  Result<NodeId> unary(bool in_brackets) {
    skip_spaces();
    if (pos_ >= text_.size()) {
      return fail("expected an attribute, 'not' or '('");
    }
    const std::size_t start = pos_;
    if (at_keyword("not")) {
      const std::size_t saved = pos_;
      pos_ += 3;
      skip_spaces();
      if (pos_ < text_.size() && text_[pos_] == '(') {
        MCPGATE_ASSIGN_OR_RETURN(const NodeId inner, parenthesized(in_brackets));
        Node node;
        node.kind = NodeKind::kNot;
        node.children = {inner};
        node.offset = start;
        return add_node(std::move(node));
      }
      pos_ = saved;  // an attribute called "not"
    }
    if (text_[pos_] == '(') {
      return parenthesized(in_brackets);
    }
    return attr_expression(in_brackets);
  }

  Result<AttrPath> attr_path() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_path_char(text_[pos_])) {
      ++pos_;
    }
    const std::string_view token = text_.substr(start, pos_ - start);
    if (token.empty()) {
      pos_ = start;
      return fail("expected an attribute name");
    }
    auto path = split_attr_path(token);
    if (!path) {
      pos_ = start;
      return fail("'" + printable(token) + "' is not an attribute path");
    }
    return std::move(*path);
  }

  Result<NodeId> bracketed_filter() {
    // at '['
    ++pos_;
    MCPGATE_TRY(enter());
    skip_spaces();
    MCPGATE_ASSIGN_OR_RETURN(const NodeId inner, or_expr(true));
    skip_spaces();
    if (pos_ >= text_.size() || text_[pos_] != ']') {
      return fail("expected ']'");
    }
    ++pos_;
    --depth_;
    return inner;
  }

  Result<NodeId> attr_expression(bool in_brackets) {
    const std::size_t start = pos_;
    MCPGATE_ASSIGN_OR_RETURN(AttrPath path, attr_path());
    if (pos_ < text_.size() && text_[pos_] == '[') {
      if (in_brackets) {
        return fail("a value filter can not contain another value filter");
      }
      MCPGATE_ASSIGN_OR_RETURN(const NodeId inner, bracketed_filter());
      Node node;
      node.kind = NodeKind::kValuePath;
      node.path = std::move(path);
      node.children = {inner};
      node.offset = start;
      return add_node(std::move(node));
    }
    if (pos_ >= text_.size() || !is_filter_space(text_[pos_])) {
      return fail("expected an operator after '" + printable(path.to_string()) + "'");
    }
    skip_spaces();
    const std::size_t op_start = pos_;
    while (pos_ < text_.size() && ascii::is_alpha(text_[pos_])) {
      ++pos_;
    }
    const std::string_view op_text = text_.substr(op_start, pos_ - op_start);
    const auto op = std::find_if(kCompareOps.begin(), kCompareOps.end(),
                                 [&](const auto& entry) { return ascii::iequals(entry.first, op_text); });
    if (op == kCompareOps.end() || (pos_ < text_.size() && is_path_char(text_[pos_]))) {
      pos_ = op_start;
      return fail("unknown operator '" + printable(text_.substr(op_start, std::min<std::size_t>(8, text_.size() - op_start)))
                  + "'");
    }
    Node node;
    node.kind = NodeKind::kCompare;
    node.path = std::move(path);
    node.op = op->second;
    node.offset = start;
    if (node.op != CompareOp::kPr) {
      if (pos_ >= text_.size() || !is_filter_space(text_[pos_])) {
        return fail("expected a value after '" + std::string(op_text) + "'");
      }
      skip_spaces();
      MCPGATE_ASSIGN_OR_RETURN(node.literal, comp_value());
    }
    return add_node(std::move(node));
  }

  // compValue = false / null / true / number / string (RFC 7159 literals; keywords ignoring case).
  Result<nlohmann::json> comp_value() {
    const std::size_t start = pos_;
    if (pos_ >= text_.size()) {
      return fail("expected a value");
    }
    const char c = text_[pos_];
    if (c == '"') {
      ++pos_;
      while (pos_ < text_.size() && text_[pos_] != '"') {
        pos_ += text_[pos_] == '\\' ? 2 : 1;
      }
      if (pos_ >= text_.size()) {
        pos_ = start;
        return fail("unterminated string");
      }
      ++pos_;
      auto value = nlohmann::json::parse(text_.substr(start, pos_ - start), nullptr, false);
      if (!value.is_string()) {
        pos_ = start;
        return fail("invalid string (bad escape, control character or invalid UTF-8)");
      }
      if (value.get_ref<const std::string&>().find('\0') != std::string::npos) {
        // SQLite's LIKE and C APIs stop at a NUL: refuse it rather than match differently.
        pos_ = start;
        return fail("a string may not contain \\u0000");
      }
      return value;
    }
    if (c == '-' || ascii::is_digit(c)) {
      while (pos_ < text_.size()
             && (ascii::is_digit(text_[pos_]) || text_[pos_] == '-' || text_[pos_] == '+' || text_[pos_] == '.'
                 || text_[pos_] == 'e' || text_[pos_] == 'E')) {
        ++pos_;
      }
      auto value = nlohmann::json::parse(text_.substr(start, pos_ - start), nullptr, false);
      if (!value.is_number() || (value.is_number_float() && !std::isfinite(value.get<double>()))) {
        pos_ = start;
        return fail("invalid number");
      }
      return value;
    }
    for (const auto& [word, json] : {std::pair<std::string_view, nlohmann::json>{"true", true},
                                     std::pair<std::string_view, nlohmann::json>{"false", false},
                                     std::pair<std::string_view, nlohmann::json>{"null", nullptr}}) {
      if (at_keyword(word)) {
        pos_ += word.size();
        return json;
      }
    }
    return fail("expected a value (a string, number, true, false or null)");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int max_depth_;
  std::size_t max_nodes_;
  Filter& out_;
  ScimType error_type_;
};

void render_node(const Filter& filter, NodeId id, std::string& out);

void render_operand(const Filter& filter, NodeId id, std::string& out) {
  const NodeKind kind = filter.nodes[id].kind;
  if (kind == NodeKind::kAnd || kind == NodeKind::kOr) {
    out += '(';
    render_node(filter, id, out);
    out += ')';
  } else {
    render_node(filter, id, out);
  }
}

void render_node(const Filter& filter, NodeId id, std::string& out) {
  const Node& node = filter.nodes[id];
  switch (node.kind) {
    case NodeKind::kAnd:
    case NodeKind::kOr:
      for (std::size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) {
          out += node.kind == NodeKind::kAnd ? " and " : " or ";
        }
        render_operand(filter, node.children[i], out);
      }
      break;
    case NodeKind::kNot:
      out += "not (";
      render_node(filter, node.children[0], out);
      out += ')';
      break;
    case NodeKind::kValuePath:
      out += node.path.to_string();
      out += '[';
      render_node(filter, node.children[0], out);
      out += ']';
      break;
    case NodeKind::kCompare:
      out += node.path.to_string();
      out += ' ';
      out += compare_op_name(node.op);
      if (node.op != CompareOp::kPr) {
        out += ' ';
        out += node.literal.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      break;
  }
}

}  // namespace

std::string_view compare_op_name(CompareOp op) {
  for (const auto& [name, o] : kCompareOps) {
    if (o == op) {
      return name;
    }
  }
  return "eq";
}

Result<Filter> parse_filter(std::string_view text, const FilterLimits& limits) {
  if (text.size() > limits.max_length) {
    return scim_error(ScimType::kInvalidFilter,
                      "the filter is longer than " + std::to_string(limits.max_length) + " bytes");
  }
  Filter filter;
  FilterParser parser(text, limits, filter, ScimType::kInvalidFilter);
  MCPGATE_ASSIGN_OR_RETURN(filter.root, parser.whole_filter());
  return filter;
}

Result<PatchPath> parse_patch_path(std::string_view text, const FilterLimits& limits) {
  if (text.size() > limits.max_length) {
    return scim_error(ScimType::kInvalidPath, "the path is longer than " + std::to_string(limits.max_length) + " bytes");
  }
  Filter filter;
  FilterParser parser(text, limits, filter, ScimType::kInvalidPath);
  return parser.whole_patch_path();
}

std::string to_string(const Filter& filter) {
  std::string out;
  if (!filter.nodes.empty()) {
    render_node(filter, filter.root, out);
  }
  return out;
}

}  // namespace mcpgate::scim
