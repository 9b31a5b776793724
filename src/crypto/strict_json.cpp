#include "crypto/strict_json.hpp"

#include <string>
#include <unordered_set>
#include <vector>

namespace mcpgate::crypto {

Result<nlohmann::json> parse_json_strict(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(ErrorCode::kInvalidArgument, "json: document too large");
  }
  // nlohmann silently skips a leading UTF-8 byte order mark; RFC 8259 §8.1 lets us refuse it,
  // and a token header has no business carrying one.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    return make_error(ErrorCode::kInvalidArgument, "json: byte order mark");
  }
  std::vector<std::unordered_set<std::string>> open_objects;
  const char* problem = nullptr;
  // The callback sees every structural event; it always keeps the value (returns true) and only
  // records the first problem, so the parser's own bookkeeping stays simple.
  auto on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
        open_objects.emplace_back();
        [[fallthrough]];
      case Event::array_start:
        // `depth` counts the containers already open around this one.
        if (depth + 1 > limits.max_depth && problem == nullptr) {
          problem = "json: nesting too deep";
        }
        break;
      case Event::key:
        if (!open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second
            && problem == nullptr) {
          problem = "json: duplicate member name";
        }
        break;
      case Event::object_end:
        if (!open_objects.empty()) {
          open_objects.pop_back();
        }
        break;
      default:
        break;
    }
    return true;
  };
  nlohmann::json value = nlohmann::json::parse(text.begin(),
                                               text.end(),
                                               on_event,
                                               /*allow_exceptions=*/false,
                                               /*ignore_comments=*/false);
  if (value.is_discarded()) {
    return make_error(ErrorCode::kInvalidArgument, "json: not valid JSON");
  }
  if (problem != nullptr) {
    return make_error(ErrorCode::kInvalidArgument, problem);
  }
  return value;
}

}  // namespace mcpgate::crypto
