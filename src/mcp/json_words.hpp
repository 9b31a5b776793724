#pragma once
// Word-at-a-time scanning for the JSON reader and writer: most string bytes need no attention,
// and testing eight of them at once for the few that do is several times cheaper than a byte
// loop on the short strings of protocol messages.

#include <cstdint>
#include <cstring>

namespace mcpgate::mcp::json_words {

// Advances over whole 8-byte words holding no '"', no '\\' and no byte below 0x20 (and, when
// `stop_at_non_ascii`, no byte of 0x80 or above). Returns where it stopped: at the start of the
// first word holding such a byte, or within the last 7 bytes before `end`; the caller looks at
// the bytes from there one by one.
inline const char* skip_plain(const char* p, const char* end, bool stop_at_non_ascii) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  // Whether any byte of x is zero, and whether any is below 0x20: exact for "any" (the classic
  // haszero/hasless tricks; only which byte it was may be misreported, and that is not used).
  const auto any_zero = [](std::uint64_t x) {
    return (x - kOnes) & ~x & kHighs;
  };
  const std::uint64_t non_ascii_mask = stop_at_non_ascii ? kHighs : 0;
  while (end - p >= 8) {
    std::uint64_t x;
    std::memcpy(&x, p, sizeof x);
    const std::uint64_t stop = any_zero(x ^ (kOnes * '"')) | any_zero(x ^ (kOnes * '\\'))
                               | ((x - kOnes * 0x20) & ~x & kHighs) | (x & non_ascii_mask);
    if (stop != 0) {
      break;
    }
    p += 8;
  }
  return p;
}

}  // namespace mcpgate::mcp::json_words
