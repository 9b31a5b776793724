#include "scim/path.hpp"

#include "core/ascii.hpp"
#include "scim/error.hpp"
#include "scim/names.hpp"

namespace mcpgate::scim {

std::string AttrPath::to_string() const {
  std::string out;
  if (!urn.empty()) {
    out = urn + ":";
  }
  out += name;
  if (!sub.empty()) {
    out += "." + sub;
  }
  return out;
}

Result<AttrPath> parse_attr_path(std::string_view text) {
  const auto split = split_attr_path(text);
  if (!split) {
    return scim_error(ScimType::kInvalidPath, "'" + printable(text) + "' is not an attribute path");
  }
  return *split;
}

std::string Resolved::key() const {
  std::string out;
  if (in_extension) {
    out = schema->id;
    if (attr != nullptr) {
      out += ":";
    }
  }
  if (attr != nullptr) {
    out += attr->name;
  }
  if (sub != nullptr) {
    out += "." + sub->name;
  }
  return ascii::to_lower(out);
}

std::optional<Resolved> resolve_path(const ResourceType& type, const AttrPath& path) {
  Resolved r;
  if (!path.urn.empty()) {
    const std::string whole = path.urn + ":" + path.name;
    if (path.sub.empty()) {
      if (const Schema* ext = type.find_extension(whole)) {
        r.schema = ext;
        r.in_extension = true;
        return r;
      }
    }
    if (ascii::iequals(path.urn, type.core->id)) {
      r.schema = type.core;
      r.attr = type.core->find(path.name);
      if (r.attr == nullptr) {
        r.schema = &common_schema();
        r.attr = common_schema().find(path.name);
      }
    } else if (const Schema* ext = type.find_extension(path.urn)) {
      r.schema = ext;
      r.in_extension = true;
      r.attr = ext->find(path.name);
    }
  } else {
    r.schema = type.core;
    r.attr = type.core->find(path.name);
    if (r.attr == nullptr) {
      r.schema = &common_schema();
      r.attr = common_schema().find(path.name);
    }
    if (r.attr == nullptr) {
      int found = 0;
      for (const auto& e : type.extensions) {
        if (const Attribute* a = e.schema->find(path.name)) {
          r.schema = e.schema;
          r.in_extension = true;
          r.attr = a;
          ++found;
        }
      }
      if (found != 1) {
        return std::nullopt;
      }
    }
  }
  if (r.attr == nullptr) {
    return std::nullopt;
  }
  if (!path.sub.empty()) {
    r.sub = r.attr->find_sub(path.sub);
    if (r.sub == nullptr) {
      return std::nullopt;
    }
  }
  return r;
}

const nlohmann::json* find_member(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto exact = object.find(key);
  if (exact != object.end()) {
    return &*exact;
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (ascii::iequals(it.key(), key)) {
      return &it.value();
    }
  }
  return nullptr;
}

nlohmann::json* find_member(nlohmann::json& object, std::string_view key) {
  const nlohmann::json& as_const = object;
  return const_cast<nlohmann::json*>(find_member(as_const, key));  // NOLINT: same object, non-const access
}

std::size_t erase_member(nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) {
    return 0;
  }
  std::size_t erased = 0;
  for (auto it = object.begin(); it != object.end();) {
    if (ascii::iequals(it.key(), key)) {
      it = object.erase(it);
      ++erased;
    } else {
      ++it;
    }
  }
  return erased;
}

const nlohmann::json* attribute_container(const nlohmann::json& resource, const Resolved& r) {
  if (r.in_extension) {
    return find_member(resource, r.schema->id);
  }
  return &resource;
}

}  // namespace mcpgate::scim
