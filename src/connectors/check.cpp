#include "connectors/check.hpp"

#include <fstream>

#include "connectors/loader.hpp"
#include "connectors/openapi_import.hpp"

namespace mcpgate::connectors {
namespace {

const char* kind(const ToolDef& t) {
  if (t.annotations.read_only) {
    return "read";
  }
  return t.annotations.destructive ? "destructive" : "write";
}

void print_tools(const std::vector<ToolDef>& tools, std::ostream& out) {
  for (const auto& t : tools) {
    out << "  " << mcp_tool_name(t) << "  " << t.method << " " << t.url << "  (" << kind(t)
        << (t.annotations.idempotent ? ", idempotent" : "") << ")\n";
  }
}

}  // namespace

int check_connector_command(const std::string& path, std::ostream& out, std::ostream& err) {
  auto def = load_connector_file(path);
  if (!def) {
    err << def.error().message << "\n";
    return 1;
  }
  for (const auto& w : def->warnings) {
    err << path << ": warning: " << w << "\n";
  }
  out << path << ": OK — connector '" << def->id << "' (" << def->display_name << "), "
      << def->tools.size() << " tools";
  if (def->openapi) {
    out << " (" << def->imported_tools << " imported from " << def->openapi->file << ")";
  }
  out << "\n";
  print_tools(def->tools, out);
  return 0;
}

int check_openapi_command(const std::string& path, const std::string& connector_id,
                          std::ostream& out, std::ostream& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << path << ": cannot open\n";
    return 1;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  OpenApiImportOptions options;
  options.connector_id = connector_id.empty() ? "api" : connector_id;
  auto imported = import_openapi_text(text, path, options);
  if (!imported) {
    err << imported.error().message << "\n";
    return 1;
  }
  for (const auto& w : imported->warnings) {
    err << path << ": warning: " << w << "\n";
  }
  out << path << ": OK — " << imported->tools.size() << " tools\n";
  print_tools(imported->tools, out);
  return 0;
}

}  // namespace mcpgate::connectors
