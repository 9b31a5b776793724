#include "oauth/form.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"
#include "http/message.hpp"

namespace mcpgate::oauth {
namespace {

}  // namespace

std::size_t Params::count(std::string_view name) const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [&](const auto& kv) { return kv.first == name; }));
}

std::optional<std::string> Params::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Params::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : items_) {
    if (k == name) {
      out.push_back(v);
    }
  }
  return out;
}

std::optional<std::string> Params::first_repeated(
    const std::vector<std::string_view>& repeatable) const {
  for (std::size_t i = 0; i < items_.size(); ++i) {
    const std::string& name = items_[i].first;
    if (std::find(repeatable.begin(), repeatable.end(), name) != repeatable.end()) {
      continue;
    }
    for (std::size_t j = i + 1; j < items_.size(); ++j) {
      if (items_[j].first == name) {
        return name;
      }
    }
  }
  return std::nullopt;
}

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return make_error(ErrorCode::kInvalidArgument, "truncated %-escape");
      }
      const int hi = ascii::hex_value(text[i + 1]);
      const int lo = ascii::hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return make_error(ErrorCode::kInvalidArgument, "bad %-escape");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<Params> parse_form(std::string_view text, const FormLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(ErrorCode::kResourceExhausted, "form too large");
  }
  std::vector<std::pair<std::string, std::string>> items;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('&', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view piece = text.substr(pos, end - pos);
    pos = end + 1;
    if (piece.empty()) {
      if (end == text.size()) {
        break;
      }
      continue;
    }
    if (items.size() >= limits.max_params) {
      return make_error(ErrorCode::kResourceExhausted, "too many parameters");
    }
    const std::size_t eq = piece.find('=');
    auto name = percent_decode(piece.substr(0, eq), true);
    if (!name) {
      return name.error();
    }
    Result<std::string> value = eq == std::string_view::npos
                                    ? Result<std::string>(std::string())
                                    : percent_decode(piece.substr(eq + 1), true);
    if (!value) {
      return value.error();
    }
    if (name->size() > limits.max_value_bytes || value->size() > limits.max_value_bytes) {
      return make_error(ErrorCode::kResourceExhausted, "parameter too large");
    }
    if (name->find('\0') != std::string::npos || value->find('\0') != std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument, "NUL in parameter");
    }
    items.emplace_back(std::move(name).value(), std::move(value).value());
    if (end == text.size()) {
      break;
    }
  }
  return Params(std::move(items));
}

std::string_view query_of(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) {
    return {};
  }
  std::string_view query = target.substr(q + 1);
  const std::size_t hash = query.find('#');
  return hash == std::string_view::npos ? query : query.substr(0, hash);
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ascii::is_unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

std::string encode_form(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out;
  for (const auto& [k, v] : items) {
    if (!out.empty()) {
      out.push_back('&');
    }
    out += percent_encode(k);
    out.push_back('=');
    out += percent_encode(v);
  }
  return out;
}

std::string append_query(std::string_view uri,
                         const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out(uri);
  const std::string extra = encode_form(items);
  if (extra.empty()) {
    return out;
  }
  if (out.find('?') == std::string::npos) {
    out.push_back('?');
  } else if (out.back() != '?' && out.back() != '&') {
    out.push_back('&');
  }
  out += extra;
  return out;
}

bool media_type_is(std::string_view content_type, std::string_view media_type) {
  const std::size_t semi = content_type.find(';');
  const std::string_view type = http::trim_ows(content_type.substr(0, semi));
  return ascii::to_lower(type) == ascii::to_lower(media_type);
}

}  // namespace mcpgate::oauth
