// Bytes -> mcp::SessionSealer, which opens every Mcp-Session-Id a client presents (hostile input
// on every session-era request). First byte selects the mode:
//  * even: the rest is presented as a session id. Beyond "no crash": it never opens — forging
//    an AES-GCM tag by chance does not happen — and the error is one of the documented codes.
//  * odd: the rest becomes session state (subject and an attachment), is sealed, and must open
//    to the same state; the sealed id with one bit flipped (position taken from the input) must
//    not open.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "crypto/encoding.hpp"
#include "mcp/session_seal.hpp"

namespace {

using mcpgate::ErrorCode;
using mcpgate::mcp::SessionSealer;
using mcpgate::mcp::SessionState;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

const SessionSealer& sealer() {
  static const SessionSealer s = SessionSealer::from_master_key(
      mcpgate::crypto::MasterKey::from_bytes(std::string(32, 'k')).value(), 2,
      std::chrono::hours(24));
  return s;
}

constexpr std::int64_t kNow = 1'800'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    auto opened = sealer().open(rest, kNow);
    check(!opened.ok());
    const ErrorCode c = opened.error().code;
    check(c == ErrorCode::kInvalidArgument || c == ErrorCode::kPermissionDenied);
    return 0;
  }
  SessionState state;
  state.subject = rest.substr(0, rest.size() / 2);
  state.protocol_version = "2025-11-25";
  state.attachments = nlohmann::json{{"upstreams", {{"u", rest.substr(rest.size() / 2)}}}};
  auto id = sealer().seal(state, kNow);
  if (!id.ok()) {
    check(id.error().code == ErrorCode::kResourceExhausted);
    return 0;
  }
  auto opened = sealer().open(*id, kNow);
  check(opened.ok());
  // Invalid UTF-8 is replaced when the state is serialised; compare what survives that.
  const std::string subject =
      nlohmann::json(state.subject).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  check(nlohmann::json(opened->subject).dump() == subject);
  auto blob = mcpgate::crypto::base64url_decode(*id);
  check(blob.ok());
  std::string altered = *blob;
  const std::size_t at = size % altered.size();
  altered[at] = static_cast<char>(altered[at] ^ (1 << (data[0] % 8)));
  check(!sealer().open(mcpgate::crypto::base64url_encode(altered), kNow).ok());
  return 0;
}
