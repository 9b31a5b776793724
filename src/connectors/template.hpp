#pragma once
// The template language of connector requests, deliberately tiny: literal text and `{name}`
// placeholders, nothing else (no filters, no expressions, no loops). `name` is a tool argument,
// or `conn.<var>` for a per-connection variable. Credentials have no name here at all.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mcpgate::connectors {

struct TemplatePart {
  bool placeholder = false;
  std::string text;  // the literal, or the placeholder's name
};

// Splits a template. Unbalanced or nested braces, empty names and names outside
// [A-Za-z0-9_.-] are kInvalidArgument.
Result<std::vector<TemplatePart>> parse_template(std::string_view text);

// True when the template is exactly one placeholder ("{limit}"): the value keeps the argument's
// JSON type and the parameter is left out when the argument is absent.
bool is_single_placeholder(const std::vector<TemplatePart>& parts);

// Names that look like credentials (token, access_token, client_secret, cred.*, ...). Such a
// placeholder is refused anywhere in a request: only the gateway injects the token, and only
// into the Authorization header.
bool is_credential_name(std::string_view name);

}  // namespace mcpgate::connectors
