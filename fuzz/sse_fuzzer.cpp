// Bytes -> gateway::SseParser, the parser every upstream event stream goes through. The input is
// fed twice: whole, and cut into chunks at positions taken from its own bytes (a network splits
// streams anywhere, CRLF pairs included). Beyond "no crash":
//  * both feedings yield the same events (chunking never changes what a stream means);
//  * no event's data exceeds the parser's limit;
//  * after a failure the parser stays failed.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "gateway/sse_parser.hpp"

namespace {

using mcpgate::gateway::SseEvent;
using mcpgate::gateway::SseParser;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

constexpr std::size_t kLimit = 4096;

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].data != b[i].data || a[i].event != b[i].event || a[i].id != b[i].id
        || a[i].retry_ms != b[i].retry_ms) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  SseParser whole(kLimit);
  std::vector<SseEvent> a;
  const bool whole_ok = static_cast<bool>(whole.feed(input, a));

  SseParser chunked(kLimit);
  std::vector<SseEvent> b;
  bool chunked_ok = true;
  std::size_t pos = 0;
  std::size_t step = 0;
  while (pos < input.size() && chunked_ok) {
    const std::size_t len = 1 + static_cast<unsigned char>(input[step++ % input.size()]) % 7;
    chunked_ok = static_cast<bool>(chunked.feed(input.substr(pos, len), b));
    pos += len;
  }
  check(whole_ok == chunked_ok);
  if (whole_ok) {
    check(same(a, b));
  } else {
    std::vector<SseEvent> more;
    check(!whole.feed("data: x\n\n", more));
  }
  for (const auto& e : a) {
    check(e.data.size() <= kLimit);
  }
  return 0;
}
