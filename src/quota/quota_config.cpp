#include "quota/quota_config.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace mcpgate::quota {
namespace {

constexpr std::int64_t kMaxCallsPerMinute = 1'000'000;
constexpr std::int64_t kMaxConcurrent = 100'000;
constexpr std::int64_t kMaxKeys = 10'000'000;

// Collects "quotas[i].field (line n): reason" messages.
class Problems {
 public:
  void add(const std::string& where, const YAML::Node& node, const std::string& reason) {
    std::string msg = where;
    if (node.IsDefined() && node.Mark().line >= 0) {
      msg += " (line " + std::to_string(node.Mark().line + 1) + ")";
    }
    msg += ": " + reason;
    list_.push_back(std::move(msg));
  }

  bool empty() const { return list_.empty(); }

  std::size_t size() const { return list_.size(); }

  std::string joined() const {
    std::string out;
    for (const auto& p : list_) {
      out += out.empty() ? "" : "; ";
      out += p;
    }
    return out;
  }

 private:
  std::vector<std::string> list_;
};

// A decimal integer in [1, max], strictly: no sign, fraction, exponent, hex or trailing text.
bool parse_count(const YAML::Node& node,
                 std::int64_t max,
                 const std::string& where,
                 Problems& problems,
                 std::int64_t& out) {
  const std::string range = "must be an integer from 1 to " + std::to_string(max);
  if (!node.IsScalar()) {
    problems.add(where, node, range);
    return false;
  }
  const std::string& text = node.Scalar();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    problems.add(where, node, range + " (got " + text + ")");
    return false;
  }
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    problems.add(where, node, range + " (got '" + text + "')");
    return false;
  }
  if (value < 1 || value > max) {
    problems.add(where, node, range + " (got " + text + ")");
    return false;
  }
  out = value;
  return true;
}

std::string default_name(std::size_t index, const QuotaRule& rule) {
  std::string parts;
  auto add = [&](bool on, const char* part) {
    if (on) {
      parts += parts.empty() ? "" : "+";
      parts += part;
    }
  };
  add(rule.per_user, "user");
  add(rule.per_client, "client");
  add(rule.per_tool, "tool");
  return "quotas[" + std::to_string(index) + "] (" + (parts.empty() ? "global" : parts) + ")";
}

void parse_per(const YAML::Node& node,
               const std::string& where,
               Problems& problems,
               QuotaRule& rule) {
  if (!node.IsSequence()) {
    problems.add(where, node, "must be a list of key parts (user, client, tool)");
    return;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node part = node[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    const std::string value = part.IsScalar() ? part.Scalar() : std::string();
    bool* flag = value == "user"     ? &rule.per_user
                 : value == "client" ? &rule.per_client
                 : value == "tool"   ? &rule.per_tool
                                     : nullptr;
    if (flag == nullptr) {
      problems.add(at, part, "unknown key part '" + value + "' (expected user, client or tool)");
    } else if (*flag) {
      problems.add(at, part, "'" + value + "' is listed twice");
    } else {
      *flag = true;
    }
  }
}

void parse_match(const YAML::Node& node,
                 const std::string& where,
                 Problems& problems,
                 QuotaRule& rule) {
  if (!node.IsMap()) {
    problems.add(where, node, "must be a map such as { tool: \"name\" }");
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.Scalar();
    const YAML::Node value = it->second;
    if (key != "tool") {
      problems.add(where + "." + key, it->first, "unknown key (expected tool)");
      continue;
    }
    const std::string text = value.IsScalar() ? value.Scalar() : std::string();
    const auto star = text.find('*');
    if (text.empty() || text == "*") {
      problems.add(where + ".tool", value, "must be a tool name, or a prefix followed by '*'");
    } else if (star != std::string::npos && star + 1 != text.size()) {
      problems.add(where + ".tool", value, "'*' is only allowed at the end (prefix match)");
    } else {
      rule.match_tool = text;
    }
  }
}

void parse_rule(const YAML::Node& node,
                std::size_t index,
                Problems& problems,
                std::vector<QuotaRule>& out) {
  const std::string where = "quotas[" + std::to_string(index) + "]";
  if (!node.IsMap()) {
    problems.add(where, node, "must be a map");
    return;
  }
  QuotaRule rule;
  bool has_per = false;
  bool has_limit = false;
  bool has_name = false;
  const std::size_t problems_before = problems.size();
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
    const YAML::Node value = it->second;
    const std::string at = where + "." + key;
    std::int64_t n = 0;
    if (key == "per") {
      has_per = true;
      parse_per(value, at, problems, rule);
    } else if (key == "match") {
      parse_match(value, at, problems, rule);
    } else if (key == "calls_per_minute") {
      has_limit = true;
      if (parse_count(value, kMaxCallsPerMinute, at, problems, n)) {
        rule.calls_per_minute = static_cast<std::uint32_t>(n);
      }
    } else if (key == "max_concurrent") {
      has_limit = true;
      if (parse_count(value, kMaxConcurrent, at, problems, n)) {
        rule.max_concurrent = static_cast<std::uint32_t>(n);
      }
    } else if (key == "max_keys") {
      if (parse_count(value, kMaxKeys, at, problems, n)) {
        rule.max_keys = static_cast<std::size_t>(n);
      }
    } else if (key == "name") {
      if (!value.IsScalar() || value.Scalar().empty()) {
        problems.add(at, value, "must be a non-empty string");
      } else {
        has_name = true;
        rule.name = value.Scalar();
      }
    } else {
      problems.add(
          at,
          it->first,
          "unknown key (expected per, match, calls_per_minute, max_concurrent, max_keys, name)");
    }
  }
  if (!has_per) {
    problems.add(
        where, node, "missing 'per' (key parts: user, client, tool; [] for one shared budget)");
  }
  if (!has_limit) {
    problems.add(where, node, "needs calls_per_minute or max_concurrent");
  }
  if (problems.size() > problems_before) {
    return;
  }
  if (!has_name) {
    rule.name = default_name(index, rule);
  }
  out.push_back(std::move(rule));
}

}  // namespace

Result<std::vector<QuotaRule>> parse_quota_rules(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) {
    return std::vector<QuotaRule>{};
  }
  Problems problems;
  std::vector<QuotaRule> rules;
  try {
    if (!node.IsSequence()) {
      problems.add("quotas", node, "must be a list of rules");
    } else {
      for (std::size_t i = 0; i < node.size(); ++i) {
        parse_rule(node[i], i, problems, rules);
      }
    }
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on some malformed shapes (e.g. a node it cannot convert).
    problems.add("quotas", node, e.what());
  }
  for (std::size_t i = 0; i < rules.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (rules[i].name == rules[j].name) {
        problems.add("quotas", node, "two rules are named '" + rules[i].name + "'");
      }
    }
  }
  if (!problems.empty()) {
    return make_error(ErrorCode::kInvalidArgument, problems.joined());
  }
  return rules;
}

}  // namespace mcpgate::quota
