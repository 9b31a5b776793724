#include "gateway/sse_parser.hpp"

#include <charconv>

namespace mcpgate::gateway {

Status SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) {
    return make_error(ErrorCode::kFailedPrecondition, "event stream already failed");
  }
  std::size_t pos = 0;
  if (skip_lf_ && !bytes.empty()) {
    skip_lf_ = false;
    if (bytes[0] == '\n') {
      pos = 1;
    }
  }
  while (pos < bytes.size()) {
    const std::size_t end = bytes.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) {
      partial_.append(bytes.substr(pos));
      if (partial_.size() > max_event_bytes_) {
        failed_ = true;
        return make_error(ErrorCode::kResourceExhausted, "event stream line over the size limit");
      }
      return {};
    }
    Status st;
    if (partial_.empty()) {
      st = line(bytes.substr(pos, end - pos), out);
    } else {
      partial_.append(bytes.substr(pos, end - pos));
      const std::string text = std::move(partial_);
      partial_.clear();
      st = line(text, out);
    }
    if (!st) {
      failed_ = true;
      return st;
    }
    pos = end + 1;
    if (bytes[end] == '\r') {
      if (pos < bytes.size()) {
        if (bytes[pos] == '\n') {
          ++pos;
        }
      } else {
        skip_lf_ = true;  // the '\n' of a CRLF may open the next chunk
      }
    }
  }
  return {};
}

Status SseParser::line(std::string_view text, std::vector<SseEvent>& out) {
  if (text.size() > max_event_bytes_) {
    // The same limit whether the line arrived whole or was assembled from chunks.
    return make_error(ErrorCode::kResourceExhausted, "event stream line over the size limit");
  }
  if (first_line_) {
    first_line_ = false;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
      text.remove_prefix(3);
    }
  }
  if (text.empty()) {  // dispatch
    if (has_data_) {
      if (!current_.data.empty() && current_.data.back() == '\n') {
        current_.data.pop_back();
      }
      current_.id = last_id_;
      out.push_back(std::move(current_));
    }
    current_ = SseEvent{};
    has_data_ = false;
    return {};
  }
  if (text.front() == ':') {
    return {};  // comment (keep-alive)
  }
  std::string_view field = text;
  std::string_view value;
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    field = text.substr(0, colon);
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
  }
  if (field == "data") {
    if (current_.data.size() + value.size() + 1 > max_event_bytes_) {
      return make_error(ErrorCode::kResourceExhausted, "event stream event over the size limit");
    }
    current_.data.append(value);
    current_.data.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    current_.event = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      last_id_ = std::string(value);
    }
  } else if (field == "retry") {
    long ms = 0;
    const auto* first = value.data();
    const auto* last = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(first, last, ms);
    if (ec == std::errc() && ptr == last && !value.empty()) {
      current_.retry_ms = ms;
    }
  }
  // Other fields are ignored, as the format requires.
  return {};
}

}  // namespace mcpgate::gateway
