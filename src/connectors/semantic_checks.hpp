#pragma once
// The rules of a connector definition that JSON Schema cannot express: placeholders name
// declared arguments, URLs stay on the allowed hosts over https, the token has no place in any
// template, tool names fit MCP clients, annotations do not contradict the method.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpgate::connectors {

struct Problem {
  std::string pointer;  // JSON pointer into the definition
  std::string message;
};

// `doc` must already conform to connector.schema.json.
std::vector<Problem> semantic_problems(const nlohmann::json& doc);

// The rules for one tool (pointer prefix `at`), shared with the OpenAPI importer.
void check_tool(const nlohmann::json& tool, const nlohmann::json& doc, const std::string& at,
                std::vector<Problem>& out);

// A header a template may set: an RFC 9110 token, and not one the gateway owns
// (Authorization, Cookie, Host, Content-Length, ...).
bool header_name_allowed(const std::string& name, std::string& why);

}  // namespace mcpgate::connectors
