#include "crypto/password.hpp"

#include <charconv>
#include <optional>
#include <vector>

#include <argon2.h>
#include <openssl/crypto.h>

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

namespace mcpgate::crypto {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// Upper bounds accepted when verifying: generous for real deployments, small enough that a
// planted hash cannot make one verification allocate gigabytes or run for minutes.
constexpr std::uint32_t kMaxMemoryKib = 256 * 1024;
constexpr std::uint32_t kMaxIterations = 16;
constexpr std::uint32_t kMaxParallelism = 8;
constexpr std::string_view kPrefix = "$argon2id$";

struct Phc {
  std::uint32_t version = 0;
  PasswordParams params;
  std::string salt;
  std::string tag;
};

bool parse_u32(std::string_view text, std::uint32_t& out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) {
    return false;
  }
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

// Parses exactly the form libargon2 writes for argon2id, v=19.
std::optional<Phc> parse_phc(std::string_view phc) {
  if (phc.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  const auto parts = split(phc.substr(kPrefix.size()), '$');
  if (parts.size() != 4 || parts[0].substr(0, 2) != "v=") {
    return std::nullopt;
  }
  Phc out;
  if (!parse_u32(parts[0].substr(2), out.version) || out.version != ARGON2_VERSION_13) {
    return std::nullopt;
  }
  const auto kv = split(parts[1], ',');
  if (kv.size() != 3 || kv[0].substr(0, 2) != "m=" || kv[1].substr(0, 2) != "t="
      || kv[2].substr(0, 2) != "p=") {
    return std::nullopt;
  }
  if (!parse_u32(kv[0].substr(2), out.params.memory_kib)
      || !parse_u32(kv[1].substr(2), out.params.iterations)
      || !parse_u32(kv[2].substr(2), out.params.parallelism)) {
    return std::nullopt;
  }
  auto salt = base64_unpadded_decode(parts[2]);
  auto tag = base64_unpadded_decode(parts[3]);
  if (!salt || !tag || salt->size() < 8 || salt->size() > 64 || tag->size() < 16
      || tag->size() > 64) {
    return std::nullopt;
  }
  out.salt = std::move(*salt);
  out.tag = std::move(*tag);
  return out;
}

bool params_in_range(const PasswordParams& p) {
  return p.iterations >= 1 && p.iterations <= kMaxIterations && p.parallelism >= 1
         && p.parallelism <= kMaxParallelism && p.memory_kib >= 8 * p.parallelism
         && p.memory_kib <= kMaxMemoryKib;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, const PasswordParams& params) {
  if (password.empty() || password.size() > kMaxPasswordBytes) {
    return make_error(ErrorCode::kInvalidArgument, "password: empty or too long");
  }
  if (!params_in_range(params)) {
    return make_error(ErrorCode::kInvalidArgument, "password: Argon2 parameters out of range");
  }
  const std::string salt = random_bytes(kSaltBytes);
  const std::size_t encoded_len = argon2_encodedlen(
      params.iterations, params.memory_kib, params.parallelism, kSaltBytes, kHashBytes, Argon2_id);
  // Room for the terminating NUL libargon2 writes, whether or not encodedlen counted it.
  std::string encoded(encoded_len + 1, '\0');
  const int rc = argon2id_hash_encoded(params.iterations,
                                       params.memory_kib,
                                       params.parallelism,
                                       password.data(),
                                       password.size(),
                                       salt.data(),
                                       salt.size(),
                                       kHashBytes,
                                       encoded.data(),
                                       encoded.size());
  if (rc != ARGON2_OK) {
    return make_error(ErrorCode::kInternal,
                      std::string("password: argon2id failed: ") + argon2_error_message(rc));
  }
  const std::size_t end = encoded.find('\0');
  if (end != std::string::npos) {
    encoded.resize(end);
  }
  return encoded;
}

bool verify_password(std::string_view password, std::string_view phc) {
  if (password.empty() || password.size() > kMaxPasswordBytes) {
    return false;
  }
  const auto parsed = parse_phc(phc);
  if (!parsed || !params_in_range(parsed->params)) {
    return false;
  }
  std::string tag(parsed->tag.size(), '\0');
  const int rc = argon2_hash(parsed->params.iterations,
                             parsed->params.memory_kib,
                             parsed->params.parallelism,
                             password.data(),
                             password.size(),
                             parsed->salt.data(),
                             parsed->salt.size(),
                             tag.data(),
                             tag.size(),
                             nullptr,
                             0,
                             Argon2_id,
                             parsed->version);
  if (rc != ARGON2_OK) {
    return false;
  }
  const bool ok = CRYPTO_memcmp(tag.data(), parsed->tag.data(), tag.size()) == 0;
  OPENSSL_cleanse(tag.data(), tag.size());
  return ok;
}

bool password_needs_rehash(std::string_view phc, const PasswordParams& params) {
  const auto parsed = parse_phc(phc);
  if (!parsed) {
    return true;
  }
  return parsed->params.memory_kib != params.memory_kib
         || parsed->params.iterations != params.iterations
         || parsed->params.parallelism != params.parallelism || parsed->salt.size() != kSaltBytes
         || parsed->tag.size() != kHashBytes;
}

const std::string& dummy_password_hash() {
  static const std::string hash = [] {
    auto h = hash_password(random_token());
    return h ? std::move(h).value() : std::string();
  }();
  return hash;
}

}  // namespace mcpgate::crypto
