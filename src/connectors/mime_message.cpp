#include "connectors/mime_message.hpp"

#include <algorithm>

#include "mcp/json_io.hpp"

namespace mcpgate::connectors {
namespace {

using Json = nlohmann::json;

Error mime_error(std::string why) { return make_error(ErrorCode::kInvalidArgument, std::move(why)); }

bool has_line_break(const std::string& s) {
  return s.find_first_of("\r\n") != std::string::npos || s.find('\0') != std::string::npos;
}

bool ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return c >= 0x20 && c < 0x7F; });
}

// "a@x, b@y" from a string or an array of strings.
Result<std::string> address_list(const Json& args, const char* name) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null()) {
    return std::string();
  }
  std::vector<std::string> list;
  if (it->is_string()) {
    list.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const auto& v : *it) {
      if (!v.is_string()) {
        return mime_error(std::string(name) + ": addresses are strings");
      }
      list.push_back(v.get<std::string>());
    }
  } else {
    return mime_error(std::string(name) + ": a string or an array of strings");
  }
  std::string out;
  for (const auto& a : list) {
    if (has_line_break(a) || !ascii(a) || a.find('@') == std::string::npos) {
      return mime_error(std::string(name) + ": '" + a.substr(0, 64) + "' is not an e-mail address");
    }
    if (!out.empty()) {
      out += ", ";
    }
    out += a;
  }
  return out;
}

// RFC 2047 "B" encoded-words of at most 75 characters, split on UTF-8 character boundaries.
std::string encode_subject(const std::string& subject) {
  if (ascii(subject)) {
    return subject;
  }
  std::string out;
  size_t i = 0;
  while (i < subject.size()) {
    size_t end = std::min(subject.size(), i + 45);  // 45 bytes → 60 base64 chars
    while (end < subject.size() && (static_cast<unsigned char>(subject[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) {
      out += "\r\n ";
    }
    out += "=?UTF-8?B?" + mcp::base64_encode(subject.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

// Base64 in 76-character lines (RFC 2045).
std::string base64_lines(const std::string& text) {
  const std::string b64 = mcp::base64_encode(text);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) {
    out += b64.substr(i, 76) + "\r\n";
  }
  return out;
}

}  // namespace

Result<std::string> build_mime_message(const Json& args) {
  MCPGATE_ASSIGN_OR_RETURN(const std::string to, address_list(args, "to"));
  MCPGATE_ASSIGN_OR_RETURN(const std::string cc, address_list(args, "cc"));
  MCPGATE_ASSIGN_OR_RETURN(const std::string bcc, address_list(args, "bcc"));
  if (to.empty()) {
    return mime_error("to: at least one recipient");
  }
  const std::string subject = args.value("subject", "");
  const std::string text = args.value("text", "");
  const std::string in_reply_to = args.value("in_reply_to", "");
  if (has_line_break(subject) || has_line_break(in_reply_to) ||
      (!in_reply_to.empty() && !ascii(in_reply_to))) {
    return mime_error("subject and in_reply_to are single lines");
  }
  if (!mcp::is_valid_utf8(subject) || !mcp::is_valid_utf8(text)) {
    return mime_error("subject and text must be UTF-8");
  }
  std::string m;
  m += "To: " + to + "\r\n";
  if (!cc.empty()) {
    m += "Cc: " + cc + "\r\n";
  }
  if (!bcc.empty()) {
    m += "Bcc: " + bcc + "\r\n";
  }
  m += "Subject: " + encode_subject(subject) + "\r\n";
  if (!in_reply_to.empty()) {
    m += "In-Reply-To: " + in_reply_to + "\r\nReferences: " + in_reply_to + "\r\n";
  }
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: base64\r\n\r\n";
  m += base64_lines(text);
  return m;
}

}  // namespace mcpgate::connectors
