#pragma once
// Internal to the demo tool set: value parsing and formatting (RFC 3339 date-times, dates,
// e-mail addresses), typed access to tool arguments, and CallToolResult construction.

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "mcp/registry.hpp"
#include "mcp/tool.hpp"

namespace mcpgate::tools::demo {

using Json = mcp::Json;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

// "YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM]"; 'T' may also be 't' or a space, and a
// missing offset means UTC. Fractions of a second are dropped. Rejects impossible calendar
// values (2025-02-30, 24:00, offset hours > 23).
std::optional<sys_seconds> parse_date_time(std::string_view text);
// "YYYY-MM-DD", a real calendar day.
std::optional<sys_days> parse_date(std::string_view text);
// "YYYY-MM-DDTHH:MM:SSZ".
std::string format_date_time(sys_seconds t);
// "YYYY-MM-DD".
std::string format_date(sys_days d);

// A plain addr-spec: local@domain, dot-atom local part of at most 64 bytes, a domain of at least
// two LDH labels, 254 bytes in total. No display names, comments or quoted local parts.
bool is_email(std::string_view text);

// Number of code points in valid UTF-8 (the input comes from a JSON parser, so it is valid).
size_t utf8_length(std::string_view text);
// At most `max_chars` code points of `text`, with "…" appended when something was cut.
std::string utf8_truncate(std::string_view text, size_t max_chars);
// True when `text` has a C0 control character or DEL; with `allow_whitespace`, tab, CR and LF
// are allowed.
bool has_control_chars(std::string_view text, bool allow_whitespace);
// ASCII case-insensitive substring search (non-ASCII bytes compare exactly).
bool contains_ignore_case(std::string_view haystack, std::string_view needle);

// Typed reads of a tool's argument object. Every failure is kInvalidArgument with a message that
// names the argument; the handlers turn it into an isError result.
class Args {
 public:
  explicit Args(const Json& args) : args_(args) {}

  // Rejects keys outside `allowed` (the schemas say additionalProperties: false).
  Status only(std::initializer_list<std::string_view> allowed) const;

  // A string of [min_chars, max_chars] code points; with min_chars > 0, blank strings fail too.
  Result<std::string> required_string(const char* name, size_t min_chars, size_t max_chars) const;
  Result<std::optional<std::string>> optional_string(const char* name, size_t max_chars) const;
  // Integral JSON number (20 or 20.0) within [min, max]; absent → nullopt.
  Result<std::optional<std::int64_t>> optional_int(const char* name, std::int64_t min,
                                                   std::int64_t max) const;
  Result<sys_seconds> required_date_time(const char* name) const;
  Result<std::optional<sys_seconds>> optional_date_time(const char* name) const;
  // An array of e-mail addresses with [min_items, max_items] entries; duplicates are removed
  // (case-insensitively), first spelling kept.
  Result<std::vector<std::string>> email_list(const char* name, size_t min_items,
                                              size_t max_items) const;

 private:
  const Json* find(const char* name) const;

  const Json& args_;
};

// Hints a client may show or use to ask for confirmation (never a basis for authorization).
struct Hints {
  bool read_only = false;
  bool destructive = false;
  bool idempotent = false;
  bool open_world = false;
};

// A Tool descriptor; the schemas are JSON text (parsed here, so a typo fails at registration).
Json tool_descriptor(std::string_view name, std::string_view title, std::string_view description,
                     std::string_view input_schema, std::string_view output_schema, Hints hints);

// `schema` with every occurrence of the JSON string `"<name>"` replaced by the JSON text `with`
// (so shared sub-schemas are written once).
std::string expand_schema(std::string_view schema, std::string_view name, std::string_view with);

// Registers a tool of `server` (the name policies see: `tool:{server}/{tool}`) that needs no
// client capabilities and serves both protocol eras.
void add_tool(mcp::Registry& registry, std::string server, Json descriptor, mcp::ToolHandler handler);

// Adapts a synchronous tool body to a ToolHandler: an Error from the body becomes an isError
// result carrying its message. The body runs when the handler is called, not when awaited.
using ToolBody = std::function<Result<Json>(const Json& args)>;
mcp::ToolHandler make_handler(ToolBody body);

// A successful CallToolResult: a human-readable summary, then the JSON of `structured` as a
// second text block (for clients that ignore structuredContent), and structuredContent itself.
Json tool_success(std::string summary, Json structured);

}  // namespace mcpgate::tools::demo
