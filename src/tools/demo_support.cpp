#include "tools/demo_support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace mcpgate::tools::demo {

namespace {

bool read_digits(std::string_view s, size_t& pos, size_t count, int& out) {
  if (pos + count > s.size()) {
    return false;
  }
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  pos += count;
  out = value;
  return true;
}

bool consume(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

std::optional<sys_days> read_ymd(std::string_view s, size_t& pos) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (!read_digits(s, pos, 4, y) || !consume(s, pos, '-') || !read_digits(s, pos, 2, m) ||
      !consume(s, pos, '-') || !read_digits(s, pos, 2, d)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (y < 1 || !ymd.ok()) {
    return std::nullopt;
  }
  return sys_days{ymd};
}

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

// The offending value for an error message, shortened so a huge argument doesn't flood it.
std::string quote(std::string_view value) { return fmt::format("'{}'", utf8_truncate(value, 60)); }

std::string type_name(const Json& v) { return v.type_name(); }


}  // namespace

std::optional<sys_seconds> parse_date_time(std::string_view text) {
  size_t pos = 0;
  const auto day = read_ymd(text, pos);
  if (!day) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return std::nullopt;
  }
  ++pos;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!read_digits(text, pos, 2, hour) || !consume(text, pos, ':') ||
      !read_digits(text, pos, 2, minute)) {
    return std::nullopt;
  }
  if (consume(text, pos, ':')) {
    if (!read_digits(text, pos, 2, second)) {
      return std::nullopt;
    }
    if (consume(text, pos, '.')) {
      const size_t digits_start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        ++pos;
      }
      if (pos == digits_start) {
        return std::nullopt;
      }
    }
  }
  // RFC 3339 allows a leap second (:60); the store has one-second resolution, so fold it into :59.
  if (hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  second = std::min(second, 59);
  int offset_minutes = 0;
  if (pos < text.size()) {
    const char sign = text[pos];
    if (sign == 'Z' || sign == 'z') {
      ++pos;
    } else if (sign == '+' || sign == '-') {
      ++pos;
      int oh = 0;
      int om = 0;
      if (!read_digits(text, pos, 2, oh) || !consume(text, pos, ':') ||
          !read_digits(text, pos, 2, om) || oh > 23 || om > 59) {
        return std::nullopt;
      }
      offset_minutes = (sign == '+' ? 1 : -1) * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  return sys_seconds{*day} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second} - std::chrono::minutes{offset_minutes};
}

std::optional<sys_days> parse_date(std::string_view text) {
  size_t pos = 0;
  auto day = read_ymd(text, pos);
  if (!day || pos != text.size()) {
    return std::nullopt;
  }
  return day;
}

std::string format_date_time(sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::string format_date(sys_days d) {
  const std::chrono::year_month_day ymd{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

bool is_email(std::string_view text) {
  if (text.size() > 254) {
    return false;
  }
  const size_t at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view local = text.substr(0, at);
  std::string_view domain = text.substr(at + 1);
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return false;
  }
  constexpr std::string_view kAtext = "!#$%&'*+/=?^_`{|}~-.";
  for (const char c : local) {
    if (!is_ascii_alnum(c) && kAtext.find(c) == std::string_view::npos) {
      return false;
    }
  }
  size_t labels = 0;
  std::string_view last_label;
  while (true) {
    const size_t dot = domain.find('.');
    const std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      if (!is_ascii_alnum(c) && c != '-') {
        return false;
      }
    }
    ++labels;
    last_label = label;
    if (dot == std::string_view::npos) {
      break;
    }
    domain.remove_prefix(dot + 1);
  }
  // A numeric last label would be an IP address written without brackets.
  const bool numeric_tld = std::all_of(last_label.begin(), last_label.end(),
                                       [](char c) { return c >= '0' && c <= '9'; });
  return labels >= 2 && !numeric_tld;
}

size_t utf8_length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

std::string utf8_truncate(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) {
      if (chars == max_chars) {
        return std::string(text.substr(0, i)) + "\u2026";
      }
      ++chars;
    }
  }
  return std::string(text);
}

bool has_control_chars(std::string_view text, bool allow_whitespace) {
  return std::any_of(text.begin(), text.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    if (allow_whitespace && (c == '\t' || c == '\n' || c == '\r')) {
      return false;
    }
    return u < 0x20U || u == 0x7FU;
  });
}

bool contains_ignore_case(std::string_view haystack, std::string_view needle) {
  const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                              [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
  return it != haystack.end() || needle.empty();
}

Status Args::only(std::initializer_list<std::string_view> allowed) const {
  if (!args_.is_object()) {
    return invalid_argument("arguments must be a JSON object");
  }
  for (const auto& item : args_.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      return invalid_argument(fmt::format("unknown argument {}", quote(item.key())));
    }
  }
  return {};
}

const Json* Args::find(const char* name) const {
  if (!args_.is_object()) {
    return nullptr;
  }
  const auto it = args_.find(name);
  return it == args_.end() ? nullptr : &*it;
}

Result<std::string> Args::required_string(const char* name, size_t min_chars,
                                          size_t max_chars) const {
  const Json* v = find(name);
  if (v == nullptr) {
    return invalid_argument(fmt::format("`{}` is required", name));
  }
  if (!v->is_string()) {
    return invalid_argument(fmt::format("`{}` must be a string, got {}", name, type_name(*v)));
  }
  const auto& s = v->get_ref<const std::string&>();
  const size_t length = utf8_length(s);
  if (min_chars > 0 && (length < min_chars || is_blank(s))) {
    return invalid_argument(fmt::format("`{}` must not be empty", name));
  }
  if (length > max_chars) {
    return invalid_argument(fmt::format("`{}` must be at most {} characters (got {})", name, max_chars, length));
  }
  return s;
}

Result<std::optional<std::string>> Args::optional_string(const char* name, size_t max_chars) const {
  if (find(name) == nullptr) {
    return std::optional<std::string>{};
  }
  MCPGATE_ASSIGN_OR_RETURN(std::string s, required_string(name, 0, max_chars));
  return std::optional<std::string>{std::move(s)};
}

Result<std::optional<std::int64_t>> Args::optional_int(const char* name, std::int64_t min,
                                                       std::int64_t max) const {
  const Json* v = find(name);
  if (v == nullptr) {
    return std::optional<std::int64_t>{};
  }
  const auto out_of_range = [&] {
    return invalid_argument(fmt::format("`{}` must be between {} and {}", name, min, max));
  };
  std::int64_t n = 0;
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(max)) {
      return out_of_range();
    }
    n = static_cast<std::int64_t>(u);
  } else if (v->is_number_integer()) {
    n = v->get<std::int64_t>();
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    if (!std::isfinite(d) || std::trunc(d) != d) {
      return invalid_argument(fmt::format("`{}` must be an integer", name));
    }
    if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
      return out_of_range();
    }
    n = static_cast<std::int64_t>(d);
  } else {
    return invalid_argument(fmt::format("`{}` must be an integer, got {}", name, type_name(*v)));
  }
  if (n < min || n > max) {
    return out_of_range();
  }
  return std::optional<std::int64_t>{n};
}

Result<sys_seconds> Args::required_date_time(const char* name) const {
  MCPGATE_ASSIGN_OR_RETURN(std::string s, required_string(name, 1, 64));
  const auto t = parse_date_time(s);
  if (!t) {
    return invalid_argument(fmt::format(
        "`{}` is not an RFC 3339 date-time such as 2025-05-02T14:00:00Z: {}", name, quote(s)));
  }
  return *t;
}

Result<std::optional<sys_seconds>> Args::optional_date_time(const char* name) const {
  if (find(name) == nullptr) {
    return std::optional<sys_seconds>{};
  }
  MCPGATE_ASSIGN_OR_RETURN(sys_seconds t, required_date_time(name));
  return std::optional<sys_seconds>{t};
}

Result<std::vector<std::string>> Args::email_list(const char* name, size_t min_items,
                                                  size_t max_items) const {
  const Json* v = find(name);
  if (v == nullptr) {
    if (min_items > 0) {
      return invalid_argument(fmt::format("`{}` is required", name));
    }
    return std::vector<std::string>{};
  }
  if (!v->is_array()) {
    return invalid_argument(fmt::format("`{}` must be an array of e-mail addresses, got {}", name, type_name(*v)));
  }
  if (v->size() < min_items) {
    return invalid_argument(fmt::format("`{}` must have at least {} address(es)", name, min_items));
  }
  if (v->size() > max_items) {
    return invalid_argument(fmt::format("`{}` must have at most {} addresses", name, max_items));
  }
  std::vector<std::string> out;
  std::vector<std::string> seen;  // lower-cased, for de-duplication
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    if (!item.is_string()) {
      return invalid_argument(fmt::format("`{}[{}]` must be a string, got {}", name, i, type_name(item)));
    }
    const auto& addr = item.get_ref<const std::string&>();
    if (!is_email(addr)) {
      return invalid_argument(fmt::format("`{}[{}]` is not an e-mail address: {}", name, i, quote(addr)));
    }
    std::string key = addr;
    std::transform(key.begin(), key.end(), key.begin(), ascii_lower);
    if (std::find(seen.begin(), seen.end(), key) == seen.end()) {
      seen.push_back(std::move(key));
      out.push_back(addr);
    }
  }
  return out;
}

Json tool_success(std::string summary, Json structured) {
  Json result = Json::object();
  result["content"] = Json::array(
      {mcp::text_content(std::move(summary)),
       mcp::text_content(structured.dump(-1, ' ', false, Json::error_handler_t::replace))});
  result["structuredContent"] = std::move(structured);
  return result;
}

Json tool_descriptor(std::string_view name, std::string_view title, std::string_view description,
                     std::string_view input_schema, std::string_view output_schema, Hints hints) {
  Json d = Json::object();
  d["name"] = name;
  d["title"] = title;
  d["description"] = description;
  d["inputSchema"] = Json::parse(input_schema);
  d["outputSchema"] = Json::parse(output_schema);
  Json annotations = Json::object();
  annotations["title"] = title;
  annotations["readOnlyHint"] = hints.read_only;
  annotations["destructiveHint"] = hints.destructive;
  annotations["idempotentHint"] = hints.idempotent;
  annotations["openWorldHint"] = hints.open_world;
  d["annotations"] = std::move(annotations);
  return d;
}

void add_tool(mcp::Registry& registry, std::string server, Json descriptor, mcp::ToolHandler handler) {
  mcp::Tool tool;
  tool.descriptor = std::move(descriptor);
  tool.handler = std::move(handler);
  tool.server = std::move(server);
  registry.add_tool(std::move(tool));
}

std::string expand_schema(std::string_view schema, std::string_view name, std::string_view with) {
  std::string out{schema};
  const std::string placeholder = fmt::format("\"{}\"", name);
  for (size_t pos = out.find(placeholder); pos != std::string::npos;
       pos = out.find(placeholder, pos + with.size())) {
    out.replace(pos, placeholder.size(), with);
  }
  return out;
}

namespace {

asio::awaitable<Result<Json>> ready(Result<Json> result) { co_return result; }

}  // namespace

mcp::ToolHandler make_handler(ToolBody body) {
  // Not a coroutine itself: the body runs now, and the returned frame only holds the result, so
  // nothing refers to this lambda (or to `args`) after it returns.
  return [body = std::move(body)](Json args, mcp::ToolContext& /*ctx*/) {
    Result<Json> result = body(args);
    if (!result) {
      return ready(mcp::tool_error(result.error().message));
    }
    return ready(std::move(result));
  };
}

}  // namespace mcpgate::tools::demo
