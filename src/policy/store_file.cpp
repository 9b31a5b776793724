#include "policy/store_file.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "authz/dsl.hpp"
#include "mcp/json_io.hpp"

namespace mcpgate::policy {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;


bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<std::string> read_text(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    // Also refuses FIFOs and devices, which could block or never end.
    return make_error(ErrorCode::kNotFound, path.string() + ": not a readable regular file");
  }
  const auto size = fs::file_size(path, ec);
  if (ec || size > kMaxFileBytes) {
    return invalid_argument(path.string() + ": unreadable or larger than 16 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return invalid_argument(path.string() + ": unreadable");
  }
  return ss.str();
}

// A file named inside a store file, resolved against the store file's directory. Unless allowed,
// it must stay inside that directory once symlinks are resolved.
}  // namespace

Result<fs::path> resolve_policy_file(const fs::path& base, const std::string& ref, bool allow_external) {
  if (ref.empty()) {
    return invalid_argument("empty file reference");
  }
  const fs::path p(ref);
  if (allow_external) {
    return p.is_absolute() ? p : base / p;
  }
  if (p.is_absolute()) {
    return invalid_argument("file reference '" + ref + "' is absolute (use --allow-external-files)");
  }
  std::error_code ec;
  const fs::path canon_base = fs::weakly_canonical(base.empty() ? fs::path(".") : base, ec);
  const fs::path canon = fs::weakly_canonical((base.empty() ? fs::path(".") : base) / p, ec);
  if (ec) {
    return invalid_argument("file reference '" + ref + "': " + ec.message());
  }
  const fs::path rel = canon.lexically_relative(canon_base);
  if (rel.empty() || *rel.begin() == "..") {
    return invalid_argument("file reference '" + ref + "' leaves the store file's directory (use --allow-external-files)");
  }
  return canon;
}

// YAML scalars to JSON the way YAML 1.2's core schema types them; quoted scalars are strings.
std::string yaml_scalar(const YAML::Node& node) {
  return node && node.IsScalar() ? node.Scalar() : std::string();
}

Json yaml_to_json(const YAML::Node& node, int depth) {
  if (depth > 64) {
    throw YAML::Exception(node.Mark(), "nested too deeply");
  }
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        out[kv.first.as<std::string>()] = yaml_to_json(kv.second, depth + 1);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& v : node) {
        out.push_back(yaml_to_json(v, depth + 1));
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") {
        return s;
      }
      if (s == "true" || s == "True" || s == "TRUE") {
        return true;
      }
      if (s == "false" || s == "False" || s == "FALSE") {
        return false;
      }
      if (s == "~" || s == "null" || s == "Null" || s == "NULL") {
        return nullptr;
      }
      if (!s.empty() && s.find_first_not_of("+-0123456789") == std::string::npos) {
        try {
          std::size_t used = 0;
          const long long i = std::stoll(s, &used);
          if (used == s.size()) {
            return i;
          }
        } catch (const std::exception&) {  // out of range: try unsigned, then keep the text
          try {
            std::size_t used = 0;
            const unsigned long long u = std::stoull(s, &used);
            if (used == s.size() && s[0] != '-') {
              return u;
            }
          } catch (const std::exception&) {
          }
        }
      }
      if (!s.empty() && s.find_first_not_of("+-0123456789.eE") == std::string::npos &&
          s.find_first_of("0123456789") != std::string::npos) {
        try {
          std::size_t used = 0;
          const double d = std::stod(s, &used);
          if (used == s.size()) {
            return d;
          }
        } catch (const std::exception&) {
        }
      }
      return s;
    }
    default:
      return nullptr;
  }
}

namespace {


Result<authz::TupleRecord> tuple_from_yaml(const YAML::Node& n, const std::string& at) {
  if (!n.IsMap()) {
    return invalid_argument(at + ": a tuple is a mapping {user, relation, object}");
  }
  authz::TupleRecord t;
  t.user = yaml_scalar(n["user"]);
  t.relation = yaml_scalar(n["relation"]);
  t.object = yaml_scalar(n["object"]);
  if (t.user.empty() || t.relation.empty() || t.object.empty()) {
    return invalid_argument(at + ": a tuple needs user, relation and object");
  }
  if (const YAML::Node c = n["condition"]) {
    if (!c.IsMap() || yaml_scalar(c["name"]).empty()) {
      return invalid_argument(at + ": condition needs a name");
    }
    t.condition_name = yaml_scalar(c["name"]);
    if (c["context"] && !c["context"].IsNull()) {
      t.condition_context = yaml_to_json(c["context"]);
      if (!t.condition_context.is_object()) {
        return invalid_argument(at + ": condition context must be a mapping");
      }
    }
  }
  return t;
}

}  // namespace

Result<std::vector<authz::TupleRecord>> tuples_from_yaml(const YAML::Node& list, const std::string& where) {
  if (!list.IsSequence()) {
    return invalid_argument(where + ": tuples must be a list");
  }
  std::vector<authz::TupleRecord> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    MCPGATE_ASSIGN_OR_RETURN(auto t, tuple_from_yaml(list[i], where + ": tuple " + std::to_string(i + 1)));
    out.push_back(std::move(t));
  }
  return out;
}

namespace {


// One CSV line (RFC 4180 quoting).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

// The OpenFGA CLI's CSV tuple files: a header naming user_type, user_id, user_relation?,
// relation, object_type, object_id, condition_name?, condition_context?.
Result<std::vector<authz::TupleRecord>> tuples_from_csv(const std::string& text, const std::string& where) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) {
    return invalid_argument(where + ": empty CSV file");
  }
  std::map<std::string, std::size_t> col;
  const auto header = csv_fields(line);
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string h = header[i];
    h.erase(0, h.find_first_not_of(' '));
    h.erase(h.find_last_not_of(' ') + 1);
    col[h] = i;
  }
  for (const char* required : {"user_type", "user_id", "relation", "object_type", "object_id"}) {
    if (!col.count(required)) {
      return invalid_argument(where + ": CSV header lacks " + required);
    }
  }
  std::vector<authz::TupleRecord> out;
  int n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line == "\r") {
      continue;
    }
    const auto f = csv_fields(line);
    auto get = [&](const char* name) -> std::string {
      auto it = col.find(name);
      return it == col.end() || it->second >= f.size() ? std::string() : f[it->second];
    };
    authz::TupleRecord t;
    // Built with append: g++ 12 -O3 reports a false -Wrestrict on operator+ chains here.
    t.user = get("user_type");
    t.user.append(":").append(get("user_id"));
    if (const std::string rel = get("user_relation"); !rel.empty()) {
      t.user.append("#").append(rel);
    }
    t.relation = get("relation");
    t.object = get("object_type");
    t.object.append(":").append(get("object_id"));
    t.condition_name = get("condition_name");
    if (const std::string ctx = get("condition_context"); !ctx.empty()) {
      auto parsed = mcp::parse_json(ctx);
      if (!parsed || !parsed->is_object()) {
        return invalid_argument(where + ":" + std::to_string(n) + ": condition_context is not a JSON object");
      }
      t.condition_context = std::move(parsed).value();
    }
    out.push_back(std::move(t));
  }
  return out;
}

// A tuple file in YAML, JSON (a list of tuples) or CSV.
}  // namespace

Result<std::vector<authz::TupleRecord>> load_tuple_file(const fs::path& path) {
  MCPGATE_ASSIGN_OR_RETURN(std::string text, read_text(path));
  if (path.extension() == ".csv") {
    return tuples_from_csv(text, path.string());
  }
  try {
    return tuples_from_yaml(YAML::Load(text), path.string());
  } catch (const YAML::Exception& e) {
    return invalid_argument(path.string() + ": " + e.what());
  }
}

namespace {


// "L:C: what" from the DSL parser, shifted by the line where an inline model starts.
std::string shift_dsl_error(const std::string& message, int line_offset) {
  const auto colon = message.find(':');
  if (colon == std::string::npos || colon == 0) {
    return message;
  }
  const std::string line = message.substr(0, colon);
  if (line.find_first_not_of("0123456789") != std::string::npos || line.size() > 9) {
    return message;
  }
  return std::to_string(std::stoi(line) + line_offset) + message.substr(colon);
}

Result<authz::AuthorizationModel> model_from_text(const std::string& text, const std::string& where,
                                                  int line_offset) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    auto json = mcp::parse_json(text, 512);
    if (!json) {
      return invalid_argument(where + ": " + json.error().message);
    }
    auto model = authz::model_from_json(*json);
    if (!model) {
      return invalid_argument(where + ": " + model.error().message);
    }
    return model;
  }
  auto model = authz::parse_dsl(text);
  if (!model) {
    return invalid_argument(where + ":" + shift_dsl_error(model.error().message, line_offset));
  }
  return model;
}

}  // namespace

Result<StoreFile> load_store_file(const std::string& path, bool allow_external) {
  MCPGATE_ASSIGN_OR_RETURN(std::string text, read_text(path));
  StoreFile s;
  s.dir = fs::path(path).parent_path();
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      return invalid_argument(path + ": a store file is a YAML mapping");
    }
    s.name = yaml_scalar(root["name"]);
    if (root["model"] && !yaml_scalar(root["model"]).empty()) {
      // A block scalar's text starts on the line after `model: |`.
      MCPGATE_ASSIGN_OR_RETURN(s.model, model_from_text(yaml_scalar(root["model"]), path, root["model"].Mark().line + 1));
    } else if (root["model_file"]) {
      MCPGATE_ASSIGN_OR_RETURN(fs::path file, resolve_policy_file(s.dir, yaml_scalar(root["model_file"]), allow_external));
      std::error_code ec;
      if (!fs::is_regular_file(file, ec)) {
        return invalid_argument(file.string() + ": not a readable regular file");
      }
      MCPGATE_ASSIGN_OR_RETURN(s.model, load_model_file(file.string()));
    } else {
      return invalid_argument(path + ": needs model or model_file");
    }
    if (auto st = authz::validate_model(s.model); !st) {
      return invalid_argument(path + ": invalid model: " + st.error().message);
    }
    if (root["tuples"] && !root["tuples"].IsNull()) {
      MCPGATE_ASSIGN_OR_RETURN(s.tuples, tuples_from_yaml(root["tuples"], path));
    }
    std::vector<std::string> files;
    if (root["tuple_file"]) {
      files.push_back(yaml_scalar(root["tuple_file"]));
    }
    if (const YAML::Node list = root["tuple_files"]; list && list.IsSequence()) {
      for (const auto& f : list) {
        files.push_back(yaml_scalar(f));
      }
    }
    for (const auto& f : files) {
      MCPGATE_ASSIGN_OR_RETURN(fs::path file, resolve_policy_file(s.dir, f, allow_external));
      MCPGATE_ASSIGN_OR_RETURN(auto more, load_tuple_file(file));
      s.tuples.insert(s.tuples.end(), more.begin(), more.end());
    }
    // Copying an undefined node throws (yaml-cpp's "invalid node"): only a present key is kept.
    if (const YAML::Node tests = root["tests"]; tests.IsDefined()) {
      s.tests = tests;
    }
    if (s.tests && !s.tests.IsNull() && !s.tests.IsSequence()) {
      return invalid_argument(path + ": tests must be a list");
    }
  } catch (const YAML::Exception& e) {
    return invalid_argument(path + ": " + e.what());
  }
  return s;
}

Result<authz::AuthorizationModel> load_model_file(const std::string& path) {
  MCPGATE_ASSIGN_OR_RETURN(std::string text, read_text(fs::path(path)));
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

}  // namespace mcpgate::policy
