#include "mcp/registry.hpp"

#include <algorithm>

#include "mcp/schema.hpp"

namespace mcpgate::mcp {

namespace {

std::string string_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

}  // namespace

void Registry::add_tool(Tool tool) {
  const std::string name = string_field(tool.descriptor, "name");
  const auto schema = tool.descriptor.find("inputSchema");
  tool.input_accepts_any_object =
      schema != tool.descriptor.end() && schema_accepts_any_object(*schema);
  auto ptr = std::make_shared<const Tool>(std::move(tool));
  bool same = false;
  {
    std::lock_guard lock(mu_);
    auto [slot, added] = tools_by_name_.try_emplace(name, ptr);
    if (added) {
      tools_.push_back(std::move(ptr));
    } else {
      // Same definition (a gateway re-reading an upstream): no list_changed for clients.
      same = slot->second->descriptor == ptr->descriptor;
      std::replace(tools_.begin(), tools_.end(), slot->second, ptr);
      slot->second = std::move(ptr);
    }
  }
  if (!same) {
    emit({ChangeKind::kToolsListChanged, {}});
  }
}

bool Registry::remove_tool(const std::string& name) {
  {
    std::lock_guard lock(mu_);
    auto it = tools_by_name_.find(name);
    if (it == tools_by_name_.end()) {
      return false;
    }
    tools_.erase(std::find(tools_.begin(), tools_.end(), it->second));
    tools_by_name_.erase(it);
  }
  emit({ChangeKind::kToolsListChanged, {}});
  return true;
}

const Tool* Registry::find_tool(const std::string& name) const {
  return get_tool(name).get();
}

std::shared_ptr<const Tool> Registry::get_tool(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = tools_by_name_.find(name);
  return it == tools_by_name_.end() ? nullptr : it->second;
}

std::vector<Tool> Registry::tools() const {
  std::lock_guard lock(mu_);
  std::vector<Tool> out;
  out.reserve(tools_.size());
  for (const auto& t : tools_) {
    out.push_back(*t);
  }
  return out;
}

void Registry::add_resource(Resource resource) {
  const std::string uri = string_field(resource.descriptor, "uri");
  bool same = false;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(resources_.begin(), resources_.end(), [&](const auto& r) {
      return string_field(r.descriptor, "uri") == uri;
    });
    if (it != resources_.end()) {
      same = it->descriptor == resource.descriptor;
      *it = std::move(resource);
    } else {
      resources_.push_back(std::move(resource));
    }
  }
  if (!same) {
    emit({ChangeKind::kResourcesListChanged, {}});
  }
}

bool Registry::remove_resource(const std::string& uri) {
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(resources_.begin(), resources_.end(), [&](const auto& r) {
      return string_field(r.descriptor, "uri") == uri;
    });
    if (it == resources_.end()) {
      return false;
    }
    resources_.erase(it);
  }
  emit({ChangeKind::kResourcesListChanged, {}});
  return true;
}

std::vector<Resource> Registry::resources() const {
  std::lock_guard lock(mu_);
  return resources_;
}

void Registry::add_resource_template(ResourceTemplate tmpl) {
  const std::string uri_template = string_field(tmpl.descriptor, "uriTemplate");
  bool same = false;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(templates_.begin(), templates_.end(), [&](const auto& t) {
      return string_field(t.descriptor, "uriTemplate") == uri_template;
    });
    if (it != templates_.end()) {
      same = it->descriptor == tmpl.descriptor;
      *it = std::move(tmpl);
    } else {
      templates_.push_back(std::move(tmpl));
    }
  }
  if (!same) {
    emit({ChangeKind::kResourcesListChanged, {}});
  }
}

bool Registry::remove_resource_template(const std::string& uri_template) {
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(templates_.begin(), templates_.end(), [&](const auto& t) {
      return string_field(t.descriptor, "uriTemplate") == uri_template;
    });
    if (it == templates_.end()) {
      return false;
    }
    templates_.erase(it);
  }
  emit({ChangeKind::kResourcesListChanged, {}});
  return true;
}

RemoteCompleter Registry::template_remote_completer(const std::string& uri_template) const {
  std::lock_guard lock(mu_);
  for (const auto& t : templates_) {
    if (string_field(t.descriptor, "uriTemplate") == uri_template) {
      return t.remote_completer;
    }
  }
  return {};
}

std::vector<ResourceTemplate> Registry::resource_templates() const {
  std::lock_guard lock(mu_);
  return templates_;
}

std::optional<Registry::ResolvedResource> Registry::resolve_resource(const std::string& uri) const {
  std::lock_guard lock(mu_);
  for (const auto& r : resources_) {
    if (string_field(r.descriptor, "uri") == uri) {
      return ResolvedResource{r.reader, {}, r.descriptor};
    }
  }
  for (const auto& t : templates_) {
    if (auto vars = match_uri_template(string_field(t.descriptor, "uriTemplate"), uri)) {
      return ResolvedResource{t.reader, std::move(*vars), t.descriptor};
    }
  }
  return std::nullopt;
}

void Registry::add_prompt(Prompt prompt) {
  const std::string name = string_field(prompt.descriptor, "name");
  auto ptr = std::make_shared<const Prompt>(std::move(prompt));
  bool same = false;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(prompts_.begin(), prompts_.end(), [&](const auto& p) {
      return string_field(p->descriptor, "name") == name;
    });
    if (it != prompts_.end()) {
      same = (*it)->descriptor == ptr->descriptor;
      *it = std::move(ptr);
    } else {
      prompts_.push_back(std::move(ptr));
    }
  }
  if (!same) {
    emit({ChangeKind::kPromptsListChanged, {}});
  }
}

bool Registry::remove_prompt(const std::string& name) {
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(prompts_.begin(), prompts_.end(), [&](const auto& p) {
      return string_field(p->descriptor, "name") == name;
    });
    if (it == prompts_.end()) {
      return false;
    }
    prompts_.erase(it);
  }
  emit({ChangeKind::kPromptsListChanged, {}});
  return true;
}

std::shared_ptr<const Prompt> Registry::get_prompt(const std::string& name) const {
  std::lock_guard lock(mu_);
  for (const auto& p : prompts_) {
    if (string_field(p->descriptor, "name") == name) {
      return p;
    }
  }
  return nullptr;
}

std::vector<Prompt> Registry::prompts() const {
  std::lock_guard lock(mu_);
  std::vector<Prompt> out;
  out.reserve(prompts_.size());
  for (const auto& p : prompts_) {
    out.push_back(*p);
  }
  return out;
}

Completer Registry::prompt_completer(const std::string& prompt_name) const {
  auto p = get_prompt(prompt_name);
  return p ? p->completer : Completer{};
}

Completer Registry::template_completer(const std::string& uri_template) const {
  std::lock_guard lock(mu_);
  for (const auto& t : templates_) {
    if (string_field(t.descriptor, "uriTemplate") == uri_template) {
      return t.completer;
    }
  }
  return {};
}

void Registry::notify_resource_updated(const std::string& uri) {
  emit({ChangeKind::kResourceUpdated, uri});
}

void Registry::notify_changed(ChangeKind kind) {
  emit({kind, {}});
}

uint64_t Registry::add_listener(ChangeListener listener) {
  std::lock_guard lock(listeners_mu_);
  const uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void Registry::remove_listener(uint64_t id) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(id);
}

void Registry::emit(const ChangeEvent& event) {
  std::vector<ChangeListener> copy;
  {
    std::lock_guard lock(listeners_mu_);
    for (const auto& [id, fn] : listeners_) {
      copy.push_back(fn);
    }
  }
  for (const auto& fn : copy) {
    fn(event);
  }
}

std::optional<std::map<std::string, std::string>> match_uri_template(const std::string& tmpl,
                                                                     const std::string& uri) {
  std::map<std::string, std::string> vars;
  size_t t = 0;
  size_t u = 0;
  while (t < tmpl.size()) {
    if (tmpl[t] == '{') {
      const size_t close = tmpl.find('}', t);
      if (close == std::string::npos) {
        return std::nullopt;
      }
      const std::string name = tmpl.substr(t + 1, close - t - 1);
      t = close + 1;
      // The variable extends to the next literal character of the template (or '/' / the end).
      const char stop = t < tmpl.size() ? tmpl[t] : '\0';
      size_t end = u;
      while (end < uri.size() && uri[end] != '/' && (stop == '\0' || uri[end] != stop)) {
        ++end;
      }
      if (end == u) {
        return std::nullopt;
      }
      vars[name] = uri.substr(u, end - u);
      u = end;
    } else {
      if (u >= uri.size() || uri[u] != tmpl[t]) {
        return std::nullopt;
      }
      ++t;
      ++u;
    }
  }
  if (u != uri.size()) {
    return std::nullopt;
  }
  return vars;
}

}  // namespace mcpgate::mcp
