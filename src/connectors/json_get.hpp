#pragma once
// Reading fields of untrusted JSON (OpenAPI documents, user schemas) without exceptions:
// nlohmann's value() throws when a key exists with another type, which a hostile document
// can always arrange.

#include <string>

#include <nlohmann/json.hpp>

namespace mcpgate::connectors {

inline std::string get_string(const nlohmann::json& obj, const char* key,
                              const std::string& fallback = "") {
  if (!obj.is_object()) {
    return fallback;
  }
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

inline bool get_bool(const nlohmann::json& obj, const char* key, bool fallback) {
  if (!obj.is_object()) {
    return fallback;
  }
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// The member when it is an object, else an empty object.
inline nlohmann::json get_object(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) {
    return nlohmann::json::object();
  }
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? *it : nlohmann::json::object();
}

}  // namespace mcpgate::connectors
