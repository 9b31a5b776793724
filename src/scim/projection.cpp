#include "scim/projection.hpp"

#include "core/ascii.hpp"

namespace mcpgate::scim {

namespace {

bool names_attribute(const Resolved& r, const Schema* schema, const Attribute* attr) {
  return r.schema == schema && r.attr == attr && r.sub == nullptr;
}

bool names_sub(const Resolved& r, const Schema* schema, const Attribute* attr, const Attribute* sub) {
  return r.schema == schema && r.attr == attr && r.sub == sub;
}

bool names_parent_of(const Resolved& r, const Schema* schema, const Attribute* attr) {
  return r.schema == schema && r.attr == attr && r.sub != nullptr;
}

bool names_extension(const Resolved& r, const Schema* schema) { return r.schema == schema && r.attr == nullptr; }

bool any_of_list(const std::vector<Resolved>& list, auto predicate) {
  for (const auto& r : list) {
    if (predicate(r)) {
      return true;
    }
  }
  return false;
}

class Projector {
 public:
  Projector(const std::vector<Resolved>& attributes, const std::vector<Resolved>& excluded)
      : attributes_(attributes), excluded_(excluded) {}

  // The attribute's value as returned, or null when it is not returned.
  nlohmann::json attribute(const Schema* schema, const Attribute& a, const nlohmann::json& value) const {
    if (a.returned == Returned::kNever) {
      return nullptr;
    }
    const bool listed_whole = any_of_list(attributes_, [&](const Resolved& r) {
      return names_attribute(r, schema, &a) || names_extension(r, schema);
    });
    const bool listed_sub = any_of_list(attributes_, [&](const Resolved& r) { return names_parent_of(r, schema, &a); });
    if (a.returned != Returned::kAlways) {
      if (!attributes_.empty() || a.returned == Returned::kRequest) {
        if (!listed_whole && !listed_sub) {
          return nullptr;
        }
      } else if (any_of_list(excluded_, [&](const Resolved& r) { return names_attribute(r, schema, &a); })) {
        return nullptr;
      }
    }
    if (a.type != AttrType::kComplex) {
      return value;
    }
    const bool only_listed_subs = a.returned != Returned::kAlways && listed_sub && !listed_whole;
    if (value.is_array()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : value) {
        auto projected = complex_value(schema, a, e, only_listed_subs);
        if (!projected.empty()) {
          out.push_back(std::move(projected));
        }
      }
      return out.empty() ? nlohmann::json() : out;
    }
    auto projected = complex_value(schema, a, value, only_listed_subs);
    return projected.empty() ? nlohmann::json() : projected;
  }

 private:
  nlohmann::json complex_value(const Schema* schema, const Attribute& a, const nlohmann::json& value,
                               bool only_listed_subs) const {
    nlohmann::json out = nlohmann::json::object();
    if (!value.is_object()) {
      return out;
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      const Attribute* sub = a.find_sub(it.key());
      if (sub == nullptr || sub->returned == Returned::kNever) {
        continue;
      }
      const bool listed = any_of_list(attributes_, [&](const Resolved& r) { return names_sub(r, schema, &a, sub); });
      if (sub->returned != Returned::kAlways) {
        if ((only_listed_subs || sub->returned == Returned::kRequest) && !listed) {
          continue;
        }
        if (any_of_list(excluded_, [&](const Resolved& r) { return names_sub(r, schema, &a, sub); })) {
          continue;
        }
      }
      out[it.key()] = it.value();
    }
    return out;
  }

  const std::vector<Resolved>& attributes_;
  const std::vector<Resolved>& excluded_;
};

}  // namespace

Result<std::vector<Resolved>> parse_attribute_list(std::string_view list, const ResourceType& type) {
  std::vector<Resolved> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    while (!item.empty() && item.back() == ' ') {
      item.remove_suffix(1);
    }
    if (item.empty()) {
      continue;
    }
    MCPGATE_ASSIGN_OR_RETURN(const AttrPath path, parse_attr_path(item));
    if (auto resolved = resolve_path(type, path)) {
      out.push_back(*resolved);
    }
  }
  return out;
}

nlohmann::json project(const nlohmann::json& resource, const ResourceType& type,
                       const std::vector<Resolved>& attributes, const std::vector<Resolved>& excluded) {
  nlohmann::json out = nlohmann::json::object();
  if (!resource.is_object()) {
    return out;
  }
  const Projector projector(attributes, excluded);
  for (auto it = resource.begin(); it != resource.end(); ++it) {
    const std::string& key = it.key();
    if (ascii::iequals(key, "schemas")) {
      out[key] = it.value();
      continue;
    }
    if (const Schema* ext = type.find_extension(key)) {
      if (any_of_list(excluded, [&](const Resolved& r) { return names_extension(r, ext); }) || !it.value().is_object()) {
        continue;
      }
      nlohmann::json projected = nlohmann::json::object();
      for (auto e = it.value().begin(); e != it.value().end(); ++e) {
        if (const Attribute* a = ext->find(e.key())) {
          auto v = projector.attribute(ext, *a, e.value());
          if (!v.is_null()) {
            projected[e.key()] = std::move(v);
          }
        }
      }
      if (!projected.empty()) {
        out[key] = std::move(projected);
      }
      continue;
    }
    const Schema* schema = type.core;
    const Attribute* a = schema->find(key);
    if (a == nullptr) {
      schema = &common_schema();
      a = schema->find(key);
    }
    if (a == nullptr) {
      continue;
    }
    auto v = projector.attribute(schema, *a, it.value());
    if (!v.is_null()) {
      out[key] = std::move(v);
    }
  }
  return out;
}

}  // namespace mcpgate::scim
