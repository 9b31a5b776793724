#include "policy/store_file.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "authz/dsl.hpp"

namespace mcpgate::policy {
namespace {

constexpr std::size_t kMaxPolicyFileBytes = 16 * 1024 * 1024;

Result<std::string> read_text(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return make_error(ErrorCode::kNotFound, path + ": " + ec.message());
  }
  if (size > kMaxPolicyFileBytes) {
    return make_error(ErrorCode::kInvalidArgument, path + ": larger than 16 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return make_error(ErrorCode::kInvalidArgument, path + ": unreadable");
  }
  return ss.str();
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// YAML (any shape) -> JSON, for condition contexts.
nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) {
        out[kv.first.as<std::string>()] = to_json(kv.second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& v : node) {
        out.push_back(to_json(v));
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = node.Scalar();
      if (node.Tag() == "!") {  // quoted: a string
        return s;
      }
      if (s == "true" || s == "false") {
        return s == "true";
      }
      try {
        std::size_t used = 0;
        const long long i = std::stoll(s, &used);
        if (used == s.size()) {
          return i;
        }
        const double d = std::stod(s, &used);
        if (used == s.size()) {
          return d;
        }
      } catch (...) {  // not a number: a string
      }
      return s;
    }
    default:
      return nullptr;
  }
}

Result<std::vector<authz::TupleRecord>> parse_tuples(const YAML::Node& list, const std::string& where) {
  std::vector<authz::TupleRecord> out;
  if (!list.IsSequence()) {
    return make_error(ErrorCode::kInvalidArgument, where + ": tuples must be a list");
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& n = list[i];
    const std::string at = where + ": tuple " + std::to_string(i + 1);
    if (!n.IsMap() || !n["user"] || !n["relation"] || !n["object"]) {
      return make_error(ErrorCode::kInvalidArgument, at + " needs user, relation and object");
    }
    authz::TupleRecord t;
    t.user = n["user"].as<std::string>();
    t.relation = n["relation"].as<std::string>();
    t.object = n["object"].as<std::string>();
    if (const YAML::Node c = n["condition"]) {
      if (!c.IsMap() || !c["name"]) {
        return make_error(ErrorCode::kInvalidArgument, at + ": condition needs a name");
      }
      t.condition_name = c["name"].as<std::string>();
      if (c["context"]) {
        t.condition_context = to_json(c["context"]);
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Result<authz::AuthorizationModel> load_model_file(const std::string& path) {
  MCPGATE_ASSIGN_OR_RETURN(std::string text, read_text(path));
  if (ends_with(path, ".json")) {
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded()) {
      return make_error(ErrorCode::kInvalidArgument, path + ": not valid JSON");
    }
    auto model = authz::model_from_json(json);
    if (!model) {
      return make_error(ErrorCode::kInvalidArgument, path + ": " + model.error().message);
    }
    return model;
  }
  auto model = authz::parse_dsl(text);
  if (!model) {
    return make_error(ErrorCode::kInvalidArgument, path + ":" + model.error().message);
  }
  return model;
}

Result<StoreFile> load_store_file(const std::string& path) {
  MCPGATE_ASSIGN_OR_RETURN(std::string text, read_text(path));
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      return make_error(ErrorCode::kInvalidArgument, path + ": a store file is a YAML mapping");
    }
    StoreFile out;
    out.name = root["name"] ? root["name"].as<std::string>() : std::string();
    if (root["model"]) {
      auto model = authz::parse_dsl(root["model"].as<std::string>());
      if (!model) {
        return make_error(ErrorCode::kInvalidArgument, path + ": model: " + model.error().message);
      }
      out.model = std::move(*model);
    } else if (root["model_file"]) {
      MCPGATE_ASSIGN_OR_RETURN(out.model, load_model_file((dir / root["model_file"].as<std::string>()).string()));
    } else {
      return make_error(ErrorCode::kInvalidArgument, path + ": needs model or model_file");
    }
    if (root["tuples"]) {
      MCPGATE_ASSIGN_OR_RETURN(out.tuples, parse_tuples(root["tuples"], path));
    }
    if (root["tuple_file"]) {
      const std::string file = (dir / root["tuple_file"].as<std::string>()).string();
      MCPGATE_ASSIGN_OR_RETURN(std::string tuples_text, read_text(file));
      MCPGATE_ASSIGN_OR_RETURN(auto more, parse_tuples(YAML::Load(tuples_text), file));
      out.tuples.insert(out.tuples.end(), more.begin(), more.end());
    }
    MCPGATE_TRY(authz::validate_model(out.model));
    return out;
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument, path + ": " + e.what());
  }
}

}  // namespace mcpgate::policy
