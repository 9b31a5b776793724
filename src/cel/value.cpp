// Values: construction, the strict JSON → typed value conversion, and the text formats CEL and
// OpenFGA use for durations, timestamps and IP addresses.
//
// Conversion rules (as OpenFGA's condition parameter converters behave, checked in its source):
//  * int / uint / double accept a JSON number or a base-10 numeric string ("42", "1e3", "-0.5").
//    int and uint require an integral value; uint rejects negatives. Deliberate differences:
//    OpenFGA saturates out-of-range integers, we reject them; OpenFGA lets the string "Inf" through
//    for a double, we reject non-finite values.
//  * A double from a string must be exactly representable after parsing the decimal with a 64-bit
//    mantissa (OpenFGA's big.Float route): "0.5" is accepted, "0.1" is not. x86-64's long double
//    has exactly that mantissa, so strtold followed by a round-trip test reproduces it.
//  * bool and string take only their JSON kind; duration, timestamp, ipaddress take only strings.
//  * `any` keeps the JSON shape, with every number a double (protobuf Struct has no integers).
//  * JSON null is accepted only for `any`.

#include "cel/value.hpp"

#include "core/ascii.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace mcpgate::cel {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

// `[+-]?(D+(.D*)?|.D+)([eE][+-]?D+)?`, the base-10 subset of Go's big.ParseFloat syntax.
bool is_decimal_syntax(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
  }
  std::size_t digits = 0;
  while (i < s.size() && ascii::is_digit(s[i])) {
    ++i;
    ++digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && ascii::is_digit(s[i])) {
      ++i;
      ++digits;
    }
  }
  if (digits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    std::size_t exp_digits = 0;
    while (i < s.size() && ascii::is_digit(s[i])) {
      ++i;
      ++exp_digits;
    }
    if (exp_digits == 0) {
      return false;
    }
  }
  return i == s.size();
}

// Parses a numeric string to long double (64-bit mantissa on x86-64). Integers that fit are
// parsed exactly as well so that int64 extremes survive.
struct ParsedNumber {
  long double value = 0;
  bool exact_int = false;
  bool negative = false;
  std::uint64_t magnitude = 0;
};

Result<ParsedNumber> parse_numeric_string(std::string_view s) {
  if (s.size() > 256 || !is_decimal_syntax(s)) {
    return invalid("invalid numeric string '" + std::string(s.substr(0, 64)) + "'");
  }
  ParsedNumber out;
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    out.negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.magnitude);
  out.exact_int = ec == std::errc() && ptr == digits.data() + digits.size();
  std::string copy(s);
  errno = 0;
  out.value = std::strtold(copy.c_str(), nullptr);
  return out;
}

Result<std::int64_t> to_int(const nlohmann::json& json) {
  if (json.is_number_integer() && !json.is_number_unsigned()) {
    return json.get<std::int64_t>();
  }
  if (json.is_number_unsigned()) {
    const auto v = json.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return invalid("int value out of range");
    }
    return static_cast<std::int64_t>(v);
  }
  long double value = 0;
  if (json.is_number_float()) {
    value = json.get<double>();
  } else if (json.is_string()) {
    auto parsed = parse_numeric_string(json.get_ref<const std::string&>());
    if (!parsed) {
      return invalid("expected an int value, but found invalid string");
    }
    if (parsed->exact_int) {
      constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
      if (!parsed->negative && parsed->magnitude <= kMax) {
        return static_cast<std::int64_t>(parsed->magnitude);
      }
      if (parsed->negative && parsed->magnitude <= kMax + 1) {
        return static_cast<std::int64_t>(0 - parsed->magnitude);
      }
      return invalid("int value out of range");
    }
    value = parsed->value;
  } else {
    return invalid(std::string("expected an int value, but found ") + json.type_name());
  }
  if (!std::isfinite(value) || std::trunc(value) != value) {
    return invalid("expected an int value, but found a non-integral number");
  }
  if (value < -9223372036854775808.0L || value >= 9223372036854775808.0L) {
    return invalid("int value out of range");
  }
  return static_cast<std::int64_t>(value);
}

Result<std::uint64_t> to_uint(const nlohmann::json& json) {
  if (json.is_number_unsigned()) {
    return json.get<std::uint64_t>();
  }
  if (json.is_number_integer()) {
    const auto v = json.get<std::int64_t>();
    if (v < 0) {
      return invalid("expected a uint value, but found a negative number");
    }
    return static_cast<std::uint64_t>(v);
  }
  long double value = 0;
  if (json.is_number_float()) {
    value = json.get<double>();
  } else if (json.is_string()) {
    auto parsed = parse_numeric_string(json.get_ref<const std::string&>());
    if (!parsed) {
      return invalid("expected a uint value, but found invalid string");
    }
    if (parsed->exact_int) {
      if (parsed->negative && parsed->magnitude != 0) {
        return invalid("expected a uint value, but found a negative number");
      }
      return parsed->magnitude;
    }
    value = parsed->value;
  } else {
    return invalid(std::string("expected a uint value, but found ") + json.type_name());
  }
  if (!std::isfinite(value) || std::trunc(value) != value) {
    return invalid("expected a uint value, but found a non-integral number");
  }
  if (value < 0 && value != 0) {
    return invalid("expected a uint value, but found a negative number");
  }
  if (value >= 18446744073709551616.0L) {
    return invalid("uint value out of range");
  }
  return static_cast<std::uint64_t>(value);
}

Result<double> to_double(const nlohmann::json& json) {
  if (json.is_number()) {
    const double v = json.get<double>();
    if (!std::isfinite(v)) {
      return invalid("double value out of range");
    }
    return v;
  }
  if (!json.is_string()) {
    return invalid(std::string("expected a double value, but found ") + json.type_name());
  }
  auto parsed = parse_numeric_string(json.get_ref<const std::string&>());
  if (!parsed) {
    return invalid("expected a double value, but found invalid string");
  }
  const long double wide = parsed->value;
  const auto narrow = static_cast<double>(wide);
  if (!std::isfinite(narrow) || static_cast<long double>(narrow) != wide) {
    return invalid("number cannot be represented exactly as a double");
  }
  return narrow;
}

constexpr int kMaxJsonDepth = 32;

Result<ValuePtr> convert(const nlohmann::json& json, const Type& type, int depth);

Result<ValuePtr> convert_any(const nlohmann::json& json, int depth) {
  if (depth > kMaxJsonDepth) {
    return invalid("context value is nested too deeply");
  }
  switch (json.type()) {
    case nlohmann::json::value_t::null:
      return Value::make_scalar(Val::null());
    case nlohmann::json::value_t::boolean:
      return Value::make_scalar(Val::boolean(json.get<bool>()));
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return Value::make_scalar(Val::dbl(json.get<double>()));
    case nlohmann::json::value_t::string:
      return Value::make_string(json.get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<ValuePtr> items;
      items.reserve(json.size());
      for (const auto& item : json) {
        auto converted = convert_any(item, depth + 1);
        if (!converted) {
          return converted.error();
        }
        items.push_back(std::move(converted).value());
      }
      return Value::make_list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      std::vector<std::pair<std::string, ValuePtr>> entries;
      entries.reserve(json.size());
      for (const auto& [key, item] : json.items()) {
        auto converted = convert_any(item, depth + 1);
        if (!converted) {
          return converted.error();
        }
        entries.emplace_back(key, std::move(converted).value());
      }
      return Value::make_map(std::move(entries));
    }
    default:
      return invalid("unsupported JSON value");
  }
}

Result<ValuePtr> convert(const nlohmann::json& json, const Type& type, int depth) {
  if (depth > kMaxJsonDepth) {
    return invalid("context value is nested too deeply");
  }
  switch (type.kind) {
    case TypeKind::kAny:
      return convert_any(json, depth);
    case TypeKind::kBool:
      if (!json.is_boolean()) {
        return invalid(std::string("expected a bool value, but found ") + json.type_name());
      }
      return Value::make_scalar(Val::boolean(json.get<bool>()));
    case TypeKind::kString:
      if (!json.is_string()) {
        return invalid(std::string("expected a string value, but found ") + json.type_name());
      }
      return Value::make_string(json.get<std::string>());
    case TypeKind::kBytes:
      if (!json.is_string()) {
        return invalid(std::string("expected a bytes value, but found ") + json.type_name());
      }
      return Value::make_string(json.get<std::string>(), Kind::kBytes);
    case TypeKind::kInt: {
      auto v = to_int(json);
      if (!v) {
        return v.error();
      }
      return Value::make_scalar(Val::integer(*v));
    }
    case TypeKind::kUint: {
      auto v = to_uint(json);
      if (!v) {
        return v.error();
      }
      return Value::make_scalar(Val::uinteger(*v));
    }
    case TypeKind::kDouble: {
      auto v = to_double(json);
      if (!v) {
        return v.error();
      }
      return Value::make_scalar(Val::dbl(*v));
    }
    case TypeKind::kDuration: {
      if (!json.is_string()) {
        return invalid(std::string("expected a duration string, but found ") + json.type_name());
      }
      auto v = parse_duration(json.get_ref<const std::string&>());
      if (!v) {
        return v.error();
      }
      return Value::make_scalar(Val::duration(*v));
    }
    case TypeKind::kTimestamp: {
      if (!json.is_string()) {
        return invalid(std::string("expected an RFC 3339 timestamp string, but found ")
                       + json.type_name());
      }
      auto v = parse_timestamp(json.get_ref<const std::string&>());
      if (!v) {
        return v.error();
      }
      return Value::make_scalar(*v);
    }
    case TypeKind::kIpAddress: {
      if (!json.is_string()) {
        return invalid(std::string("expected an ipaddress string, but found ") + json.type_name());
      }
      auto v = parse_ip(json.get_ref<const std::string&>());
      if (!v) {
        return v.error();
      }
      return Value::make_ip(std::move(v).value());
    }
    case TypeKind::kList: {
      if (!json.is_array()) {
        return invalid(std::string("list requires a list, found ") + json.type_name());
      }
      const Type element = type.generic.empty() ? Type{} : type.generic[0];
      std::vector<ValuePtr> items;
      items.reserve(json.size());
      std::size_t index = 0;
      for (const auto& item : json) {
        auto converted = convert(item, element, depth + 1);
        if (!converted) {
          return invalid("invalid list item at index " + std::to_string(index) + ": "
                         + converted.error().message);
        }
        items.push_back(std::move(converted).value());
        ++index;
      }
      return Value::make_list(std::move(items));
    }
    case TypeKind::kMap: {
      if (!json.is_object()) {
        return invalid(std::string("map requires a map, found ") + json.type_name());
      }
      const Type element = type.generic.empty() ? Type{} : type.generic[0];
      std::vector<std::pair<std::string, ValuePtr>> entries;
      entries.reserve(json.size());
      for (const auto& [key, item] : json.items()) {
        auto converted = convert(item, element, depth + 1);
        if (!converted) {
          return invalid("invalid value for key '" + key + "': " + converted.error().message);
        }
        entries.emplace_back(key, std::move(converted).value());
      }
      return Value::make_map(std::move(entries));
    }
  }
  return invalid("unsupported parameter type");
}

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null_type";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kUint:
      return "uint";
    case Kind::kDouble:
      return "double";
    case Kind::kString:
      return "string";
    case Kind::kBytes:
      return "bytes";
    case Kind::kDuration:
      return "google.protobuf.Duration";
    case Kind::kTimestamp:
      return "google.protobuf.Timestamp";
    case Kind::kIpAddress:
      return "IPAddress";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "map";
    case Kind::kError:
      return "error";
    case Kind::kUnknown:
      return "unknown";
  }
  return "?";
}

void MapData::build_index() {
  if (entries.size() <= 8) {
    return;
  }
  for (std::uint32_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first.kind != Kind::kString) {
      string_index.clear();
      return;
    }
    string_index.emplace(entries[i].first.view(), i);
  }
}

ValuePtr Value::make_scalar(const Val& scalar) {
  auto out = std::make_shared<Value>();
  out->val_ = scalar;
  return out;
}

ValuePtr Value::make_string(std::string text, Kind kind) {
  auto out = std::make_shared<Value>();
  out->text_ = std::move(text);
  out->val_ = Val::str(out->text_, kind);
  return out;
}

ValuePtr Value::make_ip(IpAddr ip) {
  auto out = std::make_shared<Value>();
  out->ip_ = std::move(ip);
  out->val_ = Val::of_ip(&out->ip_);
  return out;
}

ValuePtr Value::make_list(std::vector<ValuePtr> items) {
  auto out = std::make_shared<Value>();
  out->list_.items.reserve(items.size());
  for (const auto& item : items) {
    out->list_.items.push_back(item->val());
  }
  out->children_ = std::move(items);
  out->val_ = Val::of_list(&out->list_);
  return out;
}

ValuePtr Value::make_map(std::vector<std::pair<std::string, ValuePtr>> entries) {
  auto out = std::make_shared<Value>();
  out->keys_.reserve(entries.size());
  out->children_.reserve(entries.size());
  for (auto& [key, value] : entries) {
    out->keys_.push_back(std::move(key));
    out->children_.push_back(std::move(value));
  }
  out->map_.entries.reserve(entries.size());
  for (std::size_t i = 0; i < out->keys_.size(); ++i) {
    out->map_.entries.emplace_back(Val::str(out->keys_[i]), out->children_[i]->val());
  }
  out->map_.build_index();
  out->val_ = Val::of_map(&out->map_);
  return out;
}

ValuePtr Value::make_map(std::vector<std::pair<ValuePtr, ValuePtr>> entries) {
  auto out = std::make_shared<Value>();
  out->children_.reserve(entries.size() * 2);
  out->map_.entries.reserve(entries.size());
  for (auto& [key, value] : entries) {
    out->map_.entries.emplace_back(key->val(), value->val());
    out->children_.push_back(std::move(key));
    out->children_.push_back(std::move(value));
  }
  out->map_.build_index();
  out->val_ = Val::of_map(&out->map_);
  return out;
}

Result<ValuePtr> value_from_json(const nlohmann::json& json, const Type& type) {
  return convert(json, type, 0);
}

// ---------------------------------------------------------------------------------------------
// Durations (Go's time.ParseDuration grammar).

Result<std::int64_t> parse_duration(std::string_view text) {
  const std::string_view original = text;
  auto bad = [&] {
    return invalid("invalid duration '" + std::string(original.substr(0, 64)) + "'");
  };
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == "0") {
    return std::int64_t{0};
  }
  if (text.empty()) {
    return bad();
  }
  // Sum in 128 bits; Go's limit is the int64 range (with -2^63 allowed).
  Int128 total = 0;
  const Int128 limit = static_cast<Int128>(std::numeric_limits<std::int64_t>::max()) + 1;
  while (!text.empty()) {
    if (!(ascii::is_digit(text[0]) || text[0] == '.')) {
      return bad();
    }
    Int128 whole = 0;
    std::size_t pre = 0;
    while (!text.empty() && ascii::is_digit(text[0])) {
      whole = whole * 10 + (text[0] - '0');
      if (whole > limit) {
        return bad();
      }
      text.remove_prefix(1);
      ++pre;
    }
    Int128 frac = 0;
    Int128 scale = 1;
    std::size_t post = 0;
    if (!text.empty() && text[0] == '.') {
      text.remove_prefix(1);
      while (!text.empty() && ascii::is_digit(text[0])) {
        // Digits beyond nanosecond precision of the largest unit cannot matter; Go drops them too.
        if (scale < static_cast<Int128>(1000000000000000000LL)) {
          frac = frac * 10 + (text[0] - '0');
          scale *= 10;
        }
        text.remove_prefix(1);
        ++post;
      }
    }
    if (pre == 0 && post == 0) {
      return bad();
    }
    std::size_t unit_len = 0;
    while (unit_len < text.size() && text[unit_len] != '.' && !ascii::is_digit(text[unit_len])) {
      ++unit_len;
    }
    const std::string_view unit = text.substr(0, unit_len);
    text.remove_prefix(unit_len);
    std::int64_t unit_ns = 0;
    if (unit == "ns") {
      unit_ns = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      unit_ns = 1000;
    } else if (unit == "ms") {
      unit_ns = 1000000;
    } else if (unit == "s") {
      unit_ns = 1000000000;
    } else if (unit == "m") {
      unit_ns = 60LL * 1000000000;
    } else if (unit == "h") {
      unit_ns = 3600LL * 1000000000;
    } else {
      return bad();
    }
    total += whole * unit_ns + frac * unit_ns / scale;
    if (total > limit) {
      return bad();
    }
  }
  if (!negative && total == limit) {
    return bad();
  }
  return static_cast<std::int64_t>(negative ? -total : total);
}

std::string format_duration(std::int64_t nanos) {
  // cel-go prints durations as seconds with up to 9 fractional digits and an "s" suffix.
  const bool negative = nanos < 0;
  const auto magnitude =
      negative ? 0 - static_cast<std::uint64_t>(nanos) : static_cast<std::uint64_t>(nanos);
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / 1000000000ULL);
  auto frac = magnitude % 1000000000ULL;
  if (frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, 9 - digits.size(), '0');
    while (!digits.empty() && digits.back() == '0') {
      digits.pop_back();
    }
    out += '.';
    out += digits;
  }
  out += 's';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Civil calendar (days since 1970-01-01, proleptic Gregorian).

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned shifted_month = month > 2 ? month - 3 : month + 9;
  const unsigned day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

void civil_from_days(std::int64_t days, std::int64_t& year, unsigned& month, unsigned& day) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned shifted_month = (5 * day_of_year + 2) / 153;
  day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  year = static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
}

namespace {

bool leap(std::int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(std::int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

bool fixed_digits(std::string_view s, std::size_t pos, std::size_t count, unsigned& out) {
  if (pos + count > s.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!ascii::is_digit(s[i])) {
      return false;
    }
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

}  // namespace

Result<Val> parse_timestamp(std::string_view text) {
  auto bad = [&] {
    return invalid("expected an RFC 3339 timestamp, but found '" + std::string(text.substr(0, 64))
                   + "'");
  };
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!fixed_digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-'
      || !fixed_digits(text, 5, 2, month) || text[7] != '-' || !fixed_digits(text, 8, 2, day)
      || text[10] != 'T' || !fixed_digits(text, 11, 2, hour) || text[13] != ':'
      || !fixed_digits(text, 14, 2, minute) || text[16] != ':'
      || !fixed_digits(text, 17, 2, second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23
      || minute > 59 || second > 59) {
    return bad();
  }
  std::size_t pos = 19;
  std::uint32_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && ascii::is_digit(text[pos])) {
      if (digits < 9) {
        nanos = nanos * 10 + static_cast<std::uint32_t>(text[pos] - '0');
      }
      ++digits;
      ++pos;
    }
    if (digits == 0) {
      return bad();
    }
    for (std::size_t i = digits; i < 9; ++i) {
      nanos *= 10;
    }
  }
  std::int64_t offset = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    unsigned oh = 0, om = 0;
    if (!fixed_digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':'
        || !fixed_digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad();
    }
    offset = (static_cast<std::int64_t>(oh) * 3600 + om * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != text.size()) {
    return bad();
  }
  const std::int64_t seconds =
      days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  return Val::timestamp(seconds, nanos);
}

std::string format_timestamp(std::int64_t seconds, std::uint32_t nanos) {
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, year, month, day);
  char buf[64];
  int n = std::snprintf(buf,
                        sizeof buf,
                        "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(year),
                        month,
                        day,
                        static_cast<long long>(rem / 3600),
                        static_cast<long long>(rem / 60 % 60),
                        static_cast<long long>(rem % 60));
  std::string out(buf, static_cast<std::size_t>(n));
  if (nanos != 0) {
    std::string digits = std::to_string(nanos);
    digits.insert(0, 9 - digits.size(), '0');
    while (digits.back() == '0') {
      digits.pop_back();
    }
    out += '.';
    out += digits;
  }
  out += 'Z';
  return out;
}

// ---------------------------------------------------------------------------------------------
// IP addresses (Go's netip syntax).

namespace {

bool parse_ipv4(std::string_view s, std::uint8_t* out) {
  for (int field = 0; field < 4; ++field) {
    if (field > 0) {
      if (s.empty() || s[0] != '.') {
        return false;
      }
      s.remove_prefix(1);
    }
    std::size_t len = 0;
    unsigned value = 0;
    while (len < s.size() && len < 4 && ascii::is_digit(s[len])) {
      value = value * 10 + static_cast<unsigned>(s[len] - '0');
      ++len;
    }
    // netip rejects leading zeros ("010") as ambiguous octal.
    if (len == 0 || len > 3 || value > 255 || (len > 1 && s[0] == '0')) {
      return false;
    }
    out[field] = static_cast<std::uint8_t>(value);
    s.remove_prefix(len);
  }
  return s.empty();
}

bool parse_ipv6(std::string_view s, std::uint8_t* out) {
  int ellipsis = -1;  // byte index where "::" was found
  int i = 0;          // bytes written
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    s.remove_prefix(2);
    if (s.empty()) {
      std::fill(out, out + 16, 0);
      return true;
    }
  }
  while (i < 16) {
    std::size_t len = 0;
    unsigned value = 0;
    while (len < s.size() && len < 5 && ascii::hex_value(s[len]) >= 0) {
      value = value * 16 + static_cast<unsigned>(ascii::hex_value(s[len]));
      ++len;
    }
    if (len == 0 || len > 4) {
      return false;
    }
    if (len < s.size() && s[len] == '.') {
      // Embedded IPv4 in the last 32 bits.
      if ((ellipsis < 0 && i != 12) || i + 4 > 16) {
        return false;
      }
      if (!parse_ipv4(s, out + i)) {
        return false;
      }
      s = {};
      i += 4;
      break;
    }
    out[i] = static_cast<std::uint8_t>(value >> 8);
    out[i + 1] = static_cast<std::uint8_t>(value & 0xff);
    i += 2;
    s.remove_prefix(len);
    if (s.empty()) {
      break;
    }
    if (s[0] != ':') {
      return false;
    }
    s.remove_prefix(1);
    if (!s.empty() && s[0] == ':') {
      if (ellipsis >= 0) {
        return false;
      }
      ellipsis = i;
      s.remove_prefix(1);
      if (s.empty()) {
        break;
      }
    } else if (s.empty()) {
      return false;
    }
  }
  if (!s.empty()) {
    return false;
  }
  if (i < 16) {
    if (ellipsis < 0) {
      return false;
    }
    const int n = 16 - i;
    for (int j = i - 1; j >= ellipsis; --j) {
      out[j + n] = out[j];
    }
    for (int j = ellipsis; j < ellipsis + n; ++j) {
      out[j] = 0;
    }
  } else if (ellipsis >= 0) {
    return false;  // "::" must stand for at least one group
  }
  return true;
}

bool is_v4_mapped(const IpAddr& ip) {
  if (ip.v4) {
    return false;
  }
  for (int i = 0; i < 10; ++i) {
    if (ip.bytes[static_cast<std::size_t>(i)] != 0) {
      return false;
    }
  }
  return ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
}

void unmap(IpAddr& ip) {
  if (is_v4_mapped(ip)) {
    std::array<std::uint8_t, 16> v4{};
    std::copy(ip.bytes.begin() + 12, ip.bytes.end(), v4.begin());
    ip.bytes = v4;
    ip.v4 = true;
    ip.zone.clear();
  }
}

Result<IpAddr> parse_ip_raw(std::string_view text) {
  auto bad = [&] {
    return invalid("expected a well-formed IP address, but found '"
                   + std::string(text.substr(0, 64)) + "'");
  };
  IpAddr ip;
  if (text.size() > 64) {
    return bad();
  }
  if (text.find(':') == std::string_view::npos) {
    if (!parse_ipv4(text, ip.bytes.data())) {
      return bad();
    }
    ip.v4 = true;
    return ip;
  }
  std::string_view addr = text;
  const auto percent = text.find('%');
  if (percent != std::string_view::npos) {
    addr = text.substr(0, percent);
    ip.zone = std::string(text.substr(percent + 1));
    if (ip.zone.empty()) {
      return bad();
    }
  }
  if (!parse_ipv6(addr, ip.bytes.data())) {
    return bad();
  }
  return ip;
}

}  // namespace

Result<IpAddr> parse_ip(std::string_view text) {
  auto ip = parse_ip_raw(text);
  if (ip) {
    unmap(*ip);
  }
  return ip;
}

Result<bool> ip_in_cidr(const IpAddr& ip, std::string_view cidr) {
  auto bad = [&] {
    // Built with append: g++ 12 -O3 reports a false -Wrestrict on the operator+ chain.
    std::string message = "'";
    message.append(cidr.substr(0, 64));
    message.append("' is a malformed CIDR string");
    return invalid(std::move(message));
  };
  const auto slash = cidr.rfind('/');
  if (slash == std::string_view::npos) {
    return bad();
  }
  auto network = parse_ip_raw(cidr.substr(0, slash));
  if (!network || !network->zone.empty()) {
    return bad();
  }
  const std::string_view bits_text = cidr.substr(slash + 1);
  unsigned bits = 0;
  if (bits_text.empty() || bits_text.size() > 3 || (bits_text.size() > 1 && bits_text[0] == '0')) {
    return bad();
  }
  for (char c : bits_text) {
    if (!ascii::is_digit(c)) {
      return bad();
    }
    bits = bits * 10 + static_cast<unsigned>(c - '0');
  }
  if (bits > (network->v4 ? 32U : 128U)) {
    return bad();
  }
  // OpenFGA: an IPv4-mapped IPv6 prefix of at least 96 bits is the corresponding IPv4 prefix.
  if (is_v4_mapped(*network) && bits >= 96) {
    unmap(*network);
    bits -= 96;
  }
  if (!ip.zone.empty() || ip.v4 != network->v4) {
    return false;
  }
  for (unsigned bit = 0; bit < bits; ++bit) {
    const unsigned mask = 0x80U >> (bit % 8);
    if ((ip.bytes[bit / 8] & mask) != (network->bytes[bit / 8] & mask)) {
      return false;
    }
  }
  return true;
}

std::string format_ip(const IpAddr& ip) {
  char buf[64];
  if (ip.v4) {
    std::snprintf(
        buf, sizeof buf, "%u.%u.%u.%u", ip.bytes[0], ip.bytes[1], ip.bytes[2], ip.bytes[3]);
    return buf;
  }
  std::string out;
  for (int i = 0; i < 16; i += 2) {
    if (i > 0) {
      out += ':';
    }
    std::snprintf(buf,
                  sizeof buf,
                  "%x",
                  (static_cast<unsigned>(ip.bytes[static_cast<std::size_t>(i)]) << 8)
                      | ip.bytes[static_cast<std::size_t>(i) + 1]);
    out += buf;
  }
  if (!ip.zone.empty()) {
    out += '%';
    out += ip.zone;
  }
  return out;
}

bool ip_equal(const IpAddr& a, const IpAddr& b) {
  return a.v4 == b.v4 && a.bytes == b.bytes && a.zone == b.zone;
}

}  // namespace mcpgate::cel
