#pragma once
// JSON-RPC messages the gateway sends upstream, built in plain functions: g++ 12 rejects nested
// braced nlohmann::json initializers inside coroutines ("array used as initializer"), so
// coroutines call these instead of spelling the objects out.

#include <string>
#include <string_view>

#include <boost/container/small_vector.hpp>
#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::gateway {

using Json = nlohmann::json;

Json rpc_request(const Json& id, const std::string& method, Json params);
// `params` is left out when null or empty.
Json rpc_notification(const std::string& method, Json params = nullptr);
Json rpc_result_reply(const Json& id, Json result);
Json rpc_error_reply(const Json& id, int code, const std::string& message);

// initialize: the version the gateway asks for, the capabilities it relays, its clientInfo.
Json initialize_params(Json capabilities);
// tools/call of the upstream's `name`, with a progress token of the gateway's own.
Json tool_call_params(const std::string& name, Json arguments, const std::string& progress_token);
// The same serialised, without building a DOM (the tools/call path).
std::string tool_call_params_text(const std::string& name,
                                  const Json& arguments,
                                  const std::string& progress_token);
Json prompt_get_params(const std::string& name, Json arguments);
Json uri_params(const std::string& uri);
// completion/complete for a prompt (`ref/prompt`) or a resource template (`ref/resource`).
Json completion_params(const std::string& ref_type,
                       const std::string& ref_key,
                       const std::string& ref_value,
                       Json argument,
                       Json context);
Json cancelled_params(const Json& request_id, const std::string& reason);
// One header of an HTTP request head (views; the values outlive the head's construction).
struct HeadField {
  std::string_view name;
  std::string_view value;
};
using HeadFields = boost::container::small_vector<HeadField, 12>;

// Adds a header, replacing an earlier one of the same name (case-insensitive) as Beast's set()
// did: a configured header may override a default one, never duplicate it.
void set_head_field(HeadFields& fields, std::string_view name, std::string_view value);

// "METHOD target HTTP/1.1", the fields in order, Content-Length when `with_body`, the blank
// line: the head of a request to an upstream, written without Beast's message and serializer
// (a field allocation per header and a buffer-sequence walk per write). kInternal when a name
// or value could break out of its line (CR, LF or NUL; a name with ':' or white space, or an
// empty name): an upstream's protocol version or session id, a configured header or a vault
// token must never become a header of its own.
Result<std::string> request_head(std::string_view method,
                                 std::string_view target,
                                 const HeadFields& fields,
                                 std::size_t content_length,
                                 bool with_body);

// j[key] when j is an object and that member is a string, else `fallback`. Upstream messages
// are untrusted: nlohmann's value() throws on a member of another type.
std::string string_member(const Json& j, const char* key, const std::string& fallback = "");
// j[key] == true (a boolean member), false otherwise.
bool true_member(const Json& j, const char* key);

// {field: {before, after}} for the top-level fields in which two tool definitions differ.
Json definition_diff(const Json& before, const Json& after);

}  // namespace mcpgate::gateway
