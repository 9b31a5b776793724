// Conformance resources, resource template and prompts (both eras).

#include "mcp/json_io.hpp"
#include "tools/conformance_fixtures.hpp"

namespace mcpgate::tools::conformance {

namespace {

using mcp::Json;
using mcp::ToolContext;
using Vars = std::map<std::string, std::string>;

Json text_contents(const std::string& uri, const char* mime, std::string text) {
  return Json{{"contents",
               Json::array({Json{{"uri", uri}, {"mimeType", mime}, {"text", std::move(text)}}})}};
}

asio::awaitable<Result<Json>> read_static_text(std::string uri, Vars, ToolContext&) {
  co_return text_contents(uri, "text/plain", "This is the content of the static text resource.");
}

asio::awaitable<Result<Json>> read_static_binary(std::string uri, Vars, ToolContext&) {
  co_return Json{
      {"contents",
       Json::array({Json{{"uri", uri}, {"mimeType", "image/png"}, {"blob", png_base64()}}})}};
}

asio::awaitable<Result<Json>> read_template(std::string uri, Vars vars, ToolContext&) {
  const std::string id = vars["id"];
  co_return text_contents(
      uri,
      "application/json",
      mcp::dump_json(Json{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}}));
}

asio::awaitable<Result<Json>> read_watched(std::string uri, Vars, ToolContext&) {
  co_return text_contents(uri, "text/plain", "Watched resource content");
}

Json user_text(std::string text) {
  return Json{{"role", "user"}, {"content", mcp::text_content(std::move(text))}};
}

asio::awaitable<Result<Json>> simple_prompt(Json, ToolContext&) {
  co_return Json{{"messages", Json::array({user_text("This is a simple prompt for testing.")})}};
}

asio::awaitable<Result<Json>> prompt_with_arguments(Json args, ToolContext&) {
  co_return Json{{"messages",
                  Json::array({user_text("Prompt with arguments: arg1='" + args.value("arg1", "")
                                         + "', arg2='" + args.value("arg2", "") + "'")})}};
}

asio::awaitable<Result<Json>> prompt_with_embedded_resource(Json args, ToolContext&) {
  Json resource{{"uri", args.value("resourceUri", "")},
                {"mimeType", "text/plain"},
                {"text", "Embedded resource content for testing."}};
  co_return Json{{"messages",
                  Json::array({Json{{"role", "user"},
                                    {"content", {{"type", "resource"}, {"resource", resource}}}},
                               user_text("Please process the embedded resource above.")})}};
}

asio::awaitable<Result<Json>> prompt_with_image(Json, ToolContext&) {
  Json image{{"type", "image"}, {"data", png_base64()}, {"mimeType", "image/png"}};
  co_return Json{{"messages",
                  Json::array({Json{{"role", "user"}, {"content", image}},
                               user_text("Please analyze the image above.")})}};
}

Json argument(const char* name, const char* description) {
  return Json{{"name", name}, {"description", description}, {"required", true}};
}

// Candidate values that start with what the user typed so far.
std::vector<std::string> complete_from(std::vector<std::string> options, const std::string& typed) {
  std::vector<std::string> out;
  for (auto& o : options) {
    if (o.rfind(typed, 0) == 0) {
      out.push_back(std::move(o));
    }
  }
  return out;
}

}  // namespace

void register_resources_and_prompts(mcp::Registry& registry) {
  registry.add_resource({Json{{"uri", "test://static-text"},
                              {"name", "static-text"},
                              {"title", "Static Text Resource"},
                              {"description", "A static text resource for testing"},
                              {"mimeType", "text/plain"}},
                         read_static_text});
  registry.add_resource({Json{{"uri", "test://static-binary"},
                              {"name", "static-binary"},
                              {"title", "Static Binary Resource"},
                              {"description", "A static binary resource (image) for testing"},
                              {"mimeType", "image/png"}},
                         read_static_binary});
  registry.add_resource({Json{{"uri", "test://watched-resource"},
                              {"name", "watched-resource"},
                              {"title", "Watched Resource"},
                              {"description", "A resource clients can subscribe to"},
                              {"mimeType", "text/plain"}},
                         read_watched});
  registry.add_resource_template(
      {Json{{"uriTemplate", "test://template/{id}/data"},
            {"name", "template"},
            {"title", "Resource Template"},
            {"description", "A resource template with parameter substitution"},
            {"mimeType", "application/json"}},
       read_template,
       [](const std::string& arg, const std::string& value, const Json&) {
         return arg == "id" ? complete_from({"1", "2", "3", "123"}, value)
                            : std::vector<std::string>{};
       }});

  registry.add_prompt({Json{{"name", "test_simple_prompt"},
                            {"title", "Simple Test Prompt"},
                            {"description", "A simple prompt without arguments"}},
                       simple_prompt,
                       {}});
  registry.add_prompt({Json{{"name", "test_prompt_with_arguments"},
                            {"title", "Prompt With Arguments"},
                            {"description", "A prompt with required arguments"},
                            {"arguments",
                             Json::array({argument("arg1", "First test argument"),
                                          argument("arg2", "Second test argument")})}},
                       prompt_with_arguments,
                       [](const std::string&, const std::string& value, const Json&) {
                         return complete_from({"test", "testing", "test-value", "example"}, value);
                       }});
  registry.add_prompt(
      {Json{{"name", "test_prompt_with_embedded_resource"},
            {"title", "Prompt With Embedded Resource"},
            {"description", "A prompt that includes an embedded resource"},
            {"arguments", Json::array({argument("resourceUri", "URI of the resource to embed")})}},
       prompt_with_embedded_resource,
       {}});
  registry.add_prompt({Json{{"name", "test_prompt_with_image"},
                            {"title", "Prompt With Image"},
                            {"description", "A prompt that includes image content"}},
                       prompt_with_image,
                       {}});
}

}  // namespace mcpgate::tools::conformance
