#pragma once
// An RFC 5322 message for providers that take one whole (Gmail's users.messages.send takes
// {"raw": base64url(message)}). Header fields are built here, not by templates, so an argument
// cannot inject a header: line breaks in header arguments are refused, a non-ASCII subject is
// an RFC 2047 encoded-word and the body travels as base64.

#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::connectors {

// From `to` (string or array of strings), `cc`, `bcc`, `subject`, `text`, `in_reply_to`.
Result<std::string> build_mime_message(const nlohmann::json& arguments);

}  // namespace mcpgate::connectors
