#include "connectors/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <regex>

namespace mcpgate::connectors {
namespace {

Error located_error(std::string_view source, int line, const std::string& message) {
  std::string out(source);
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  return make_error(ErrorCode::kInvalidArgument, out + ": " + message);
}

// YAML 1.2 core schema, for plain scalars only: a quoted "true" stays a string.
Json plain_scalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") {
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    return false;
  }
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return nullptr;
  }
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (s.size() <= 19 && std::regex_match(s, kInt)) {
    errno = 0;
    const long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno == 0) {
      return v;
    }
  }
  if (s.size() <= 64 && std::regex_match(s, kFloat)) {
    errno = 0;
    const double v = std::strtod(s.c_str(), nullptr);
    if (errno == 0) {
      return v;
    }
  }
  return s;
}

class Converter {
 public:
  Converter(std::string_view source, const YamlLimits& limits, SourceJson& out)
      : source_(source), limits_(limits), out_(out) {}

  Result<Json> convert(const YAML::Node& node, const std::string& pointer, size_t depth) {
    if (++nodes_ > limits_.max_nodes) {
      return located_error(source_, line(node),
                           "document too large (more than " + std::to_string(limits_.max_nodes) +
                               " nodes after expanding aliases)");
    }
    if (depth > limits_.max_depth) {
      return located_error(source_, line(node), "nesting deeper than " +
                                                    std::to_string(limits_.max_depth) + " levels");
    }
    if (line(node) > 0 && out_.lines.size() < limits_.max_nodes) {
      out_.lines.emplace(pointer, line(node));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar:
        // "!" is the tag of a quoted or otherwise non-plain scalar.
        return node.Tag() == "!" ? Json(node.Scalar()) : plain_scalar(node.Scalar());
      case YAML::NodeType::Sequence: {
        Json arr = Json::array();
        size_t i = 0;
        for (const auto& item : node) {
          MCPGATE_ASSIGN_OR_RETURN(Json v, convert(item, pointer + "/" + std::to_string(i), depth + 1));
          arr.push_back(std::move(v));
          ++i;
        }
        return arr;
      }
      case YAML::NodeType::Map: {
        Json obj = Json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return located_error(source_, line(kv.first), "mapping keys must be scalars");
          }
          const std::string key = kv.first.Scalar();
          if (key == "<<") {
            return located_error(source_, line(kv.first), "merge keys (<<) are not supported");
          }
          if (obj.contains(key)) {
            return located_error(source_, line(kv.first), "duplicate key '" + key + "'");
          }
          MCPGATE_ASSIGN_OR_RETURN(Json v,
                                   convert(kv.second, pointer + "/" + pointer_token(key), depth + 1));
          obj[key] = std::move(v);
        }
        return obj;
      }
    }
    return Json(nullptr);
  }

 private:
  static int line(const YAML::Node& node) {
    return node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  }

  std::string_view source_;
  const YamlLimits& limits_;
  SourceJson& out_;
  size_t nodes_ = 0;
};

}  // namespace

int SourceJson::line_of(std::string pointer) const {
  while (true) {
    if (auto it = lines.find(pointer); it != lines.end()) {
      return it->second;
    }
    if (pointer.empty()) {
      return 0;
    }
    const size_t slash = pointer.rfind('/');
    pointer.resize(slash == std::string::npos ? 0 : slash);
  }
}

std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string located(std::string_view source, const SourceJson& doc, const std::string& pointer,
                    const std::string& message) {
  std::string out(source);
  if (const int line = doc.line_of(pointer); line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  return out + ": " + message;
}

Result<SourceJson> yaml_to_json(std::string_view text, std::string_view source,
                                const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return located_error(source, 0,
                         "file too large (limit " + std::to_string(limits.max_bytes) + " bytes)");
  }
  // yaml-cpp recurses once per nesting level while parsing (its own guard stops at 2000, deep
  // enough to exhaust a sanitizer build's stack first): count flow brackets and indentation
  // depth cheaply before handing it the text.
  {
    size_t flow = 0;
    for (char c : text) {
      if (c == '[' || c == '{') {
        if (++flow > limits.max_depth) {
          return located_error(source, 0, "nesting deeper than " +
                                              std::to_string(limits.max_depth) + " levels");
        }
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
    }
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return located_error(source, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
  SourceJson out;
  try {
    Converter conv(source, limits, out);
    MCPGATE_ASSIGN_OR_RETURN(out.value, conv.convert(root, "", 0));
  } catch (const YAML::Exception& e) {
    return located_error(source, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
  return out;
}

}  // namespace mcpgate::connectors
