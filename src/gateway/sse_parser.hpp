#pragma once
// Incremental parser for a text/event-stream body (WHATWG HTML §9.2 "server-sent events"), as
// an upstream MCP server sends it on a Streamable HTTP response. Bytes are fed as they arrive;
// complete events come out. Only what MCP uses is kept: `data` (joined with '\n'), `event`, `id`
// and `retry`; comment lines (":...") are keep-alives and ignored.
//
// Hostile input: a line longer than the limit or an event whose data grows past it fails the
// stream (kResourceExhausted) instead of buffering without end; after an error the parser stays
// failed.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mcpgate::gateway {

struct SseEvent {
  std::string event = "message";
  std::string data;
  std::optional<std::string> id;  // the event's id field, when it had one
  std::optional<long> retry_ms;
};

class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = std::size_t{4} * 1024 * 1024)
      : max_event_bytes_(max_event_bytes) {}

  // Consumes `bytes`; appends every event they complete to `out`.
  Status feed(std::string_view bytes, std::vector<SseEvent>& out);

  // The last event id seen (the stream's Last-Event-ID for a reconnect).
  const std::optional<std::string>& last_event_id() const { return last_id_; }

 private:
  Status line(std::string_view text, std::vector<SseEvent>& out);

  std::size_t max_event_bytes_;
  std::string partial_;      // bytes of an unterminated line
  bool skip_lf_ = false;     // the previous chunk ended in '\r' (a CRLF split across chunks)
  bool first_line_ = true;  // a UTF-8 BOM may open the stream
  SseEvent current_;
  bool has_data_ = false;
  std::optional<std::string> last_id_;
  bool failed_ = false;
};

}  // namespace mcpgate::gateway
