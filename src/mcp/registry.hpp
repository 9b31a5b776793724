#pragma once
// Registry: the tools, resources, resource templates and prompts one MCP endpoint serves.
//
// Usually filled at start-up, but primitives may be added or removed at run time (list_changed
// notifications): every method is thread-safe. Change listeners (the protocol layer) are told
// about list changes and resource updates; they run on the caller's thread and must not block.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mcp/tool.hpp"

namespace mcpgate::mcp {

// A resources/read handler: returns a ReadResourceResult ({"contents":[...]}). `vars` holds the
// values of a template's {variables} (empty for a fixed resource). kNotFound → "Resource not
// found".
using ResourceReader = std::function<asio::awaitable<Result<Json>>(
    std::string uri, std::map<std::string, std::string> vars, ToolContext& ctx)>;

// A completion source for one argument: the candidate values for `value` typed so far, given the
// other already-resolved arguments (`context`, an object).
using Completer = std::function<std::vector<std::string>(
    const std::string& argument, const std::string& value, const Json& context)>;

// Completion answered elsewhere (a gateway's upstream): gets the request's `argument` object and
// `context` (null when absent) and returns the whole CompleteResult ({"completion": {...}}).
using RemoteCompleter =
    std::function<asio::awaitable<Result<Json>>(Json argument, Json context)>;

struct Resource {
  Json descriptor;  // uri, name, title?, description?, mimeType?, size?, annotations?
  ResourceReader reader;
};

struct ResourceTemplate {
  Json descriptor;  // uriTemplate (RFC 6570 level 1: {var}), name, title?, description?, mimeType?
  ResourceReader reader;
  Completer completer;  // optional; completion/complete for ref/resource
  RemoteCompleter remote_completer{};  // optional; takes precedence over `completer`
};

// A prompts/get handler: returns a GetPromptResult ({"description"?, "messages":[...]}). The
// arguments are strings; required ones were checked by the protocol layer.
using PromptHandler =
    std::function<asio::awaitable<Result<Json>>(Json arguments, ToolContext& ctx)>;

struct Prompt {
  Json descriptor;  // name, title?, description?, arguments?: [{name, description?, required?}]
  PromptHandler handler;
  Completer completer;  // optional; completion/complete for ref/prompt
  RemoteCompleter remote_completer{};  // optional; takes precedence over `completer`
  bool stateless_only = false;
};

enum class ChangeKind {
  kToolsListChanged,
  kPromptsListChanged,
  kResourcesListChanged,
  kResourceUpdated
};

struct ChangeEvent {
  ChangeKind kind = ChangeKind::kToolsListChanged;
  std::string uri;  // for kResourceUpdated
};

using ChangeListener = std::function<void(const ChangeEvent&)>;

class Registry {
 public:
  // Adds a tool; a second tool with the same name replaces the first (in place). Adding (or
  // replacing with) an identical descriptor tells no listener: nothing visible changed.
  void add_tool(Tool tool);
  // Removes a tool; true when it existed.
  bool remove_tool(const std::string& name);
  // The tool, or nullptr. The pointer stays valid until the tool is removed or replaced; prefer
  // get_tool() when that can happen concurrently.
  const Tool* find_tool(const std::string& name) const;
  std::shared_ptr<const Tool> get_tool(const std::string& name) const;
  // In registration order (deterministic tools/list order). A snapshot copy.
  std::vector<Tool> tools() const;

  void add_resource(Resource resource);
  bool remove_resource(const std::string& uri);
  std::vector<Resource> resources() const;
  // Replaces a template with the same uriTemplate.
  void add_resource_template(ResourceTemplate tmpl);
  // Removes the template with this uriTemplate; true when it existed.
  bool remove_resource_template(const std::string& uri_template);
  std::vector<ResourceTemplate> resource_templates() const;

  // Finds the reader for `uri`: a fixed resource first, then the first matching template.
  struct ResolvedResource {
    ResourceReader reader;
    std::map<std::string, std::string> vars;
    Json descriptor;
  };

  std::optional<ResolvedResource> resolve_resource(const std::string& uri) const;

  void add_prompt(Prompt prompt);
  bool remove_prompt(const std::string& name);
  std::shared_ptr<const Prompt> get_prompt(const std::string& name) const;
  std::vector<Prompt> prompts() const;

  // Completion source for a prompt argument / template variable (nullptr when none).
  Completer prompt_completer(const std::string& prompt_name) const;
  Completer template_completer(const std::string& uri_template) const;
  RemoteCompleter template_remote_completer(const std::string& uri_template) const;

  // Notifies listeners that a resource changed (notifications/resources/updated to subscribers).
  void notify_resource_updated(const std::string& uri);
  // Notifies listeners of a list change without modifying anything.
  void notify_changed(ChangeKind kind);

  // Listener registration; the returned id removes it again.
  uint64_t add_listener(ChangeListener listener);
  void remove_listener(uint64_t id);

 private:
  void emit(const ChangeEvent& event);

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const Tool>> tools_;  // registration order, for tools/list
  // The same tools by name: tools/call looks a tool up on every call (twice).
  std::unordered_map<std::string, std::shared_ptr<const Tool>> tools_by_name_;
  std::vector<Resource> resources_;
  std::vector<ResourceTemplate> templates_;
  std::vector<std::shared_ptr<const Prompt>> prompts_;

  std::mutex listeners_mu_;
  std::map<uint64_t, ChangeListener> listeners_;
  uint64_t next_listener_ = 1;
};

// Matches `uri` against an RFC 6570 level-1 template ("test://template/{id}/data"). A variable
// matches one or more characters other than '/'. Returns the variable values on a match.
std::optional<std::map<std::string, std::string>> match_uri_template(const std::string& tmpl,
                                                                     const std::string& uri);

}  // namespace mcpgate::mcp
