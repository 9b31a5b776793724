#include "mcp/tool.hpp"

namespace mcpgate::mcp {

namespace {
const std::string kEmptyString;
const Json kEmptyObject = Json::object();
const Json kNull = nullptr;
const std::optional<std::string> kNoState;
}  // namespace

const std::string& ToolContext::protocol_version() const {
  return kEmptyString;
}

const Json& ToolContext::client_capabilities() const {
  return kEmptyObject;
}

asio::awaitable<Result<Json>> ToolContext::request_client(std::string method, Json /*params*/) {
  co_return make_error(ErrorCode::kFailedPrecondition,
                       "Server-to-client request '" + method + "' is not available here");
}

const std::string& ToolContext::session_id() const {
  return kEmptyString;
}

const Json& ToolContext::session_attachments() const {
  return kEmptyObject;
}

const Json& ToolContext::input_responses() const {
  return kNull;
}

const std::optional<std::string>& ToolContext::request_state() const {
  return kNoState;
}

Error url_elicitation_required(std::string message, std::vector<UrlElicitation> elicitations) {
  auto detail = std::make_shared<UrlElicitationRequired>();
  detail->elicitations = std::move(elicitations);
  Error out = make_error(ErrorCode::kFailedPrecondition, std::move(message));
  out.detail = ErrorDetailPtr(std::shared_ptr<const ErrorDetail>(std::move(detail)));
  return out;
}

const UrlElicitationRequired* url_elicitation_of(const Error& error) {
  return dynamic_cast<const UrlElicitationRequired*>(error.detail.get());
}

// Built member by member: nlohmann's initializer lists copy every element (json_ref), which
// costs more than the rest of a small tool's answer.
Json text_content(std::string text) {
  Json item = Json::object();
  item["type"] = "text";
  item["text"] = std::move(text);
  return item;
}

Json tool_result_text(std::string text) {
  Json content = Json::array();
  content.push_back(text_content(std::move(text)));
  Json result = Json::object();
  result["content"] = std::move(content);
  return result;
}

Json tool_error(std::string text) {
  Json result = tool_result_text(std::move(text));
  result["isError"] = true;
  return result;
}

Json input_required_result(Json input_requests, std::optional<std::string> request_state) {
  Json out{{"resultType", "input_required"}, {"inputRequests", std::move(input_requests)}};
  if (request_state) {
    out["requestState"] = std::move(*request_state);
  }
  return out;
}

}  // namespace mcpgate::mcp
