#pragma once
// TEST ONLY: a mock OpenID Provider on 127.0.0.1 (http::testing::TestServer) serving discovery,
// a JWKS that tests can rotate, and a token endpoint whose answer tests decide; plus the keys
// and signing helpers the identity tests share (one header, so the module's tests can share a
// unity translation unit).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwk.hpp"
#include "crypto/jws.hpp"
#include "crypto/jwt.hpp"
#include "http/test_server.hpp"
#include "identity/relying_party.hpp"

namespace mcpgate::identity::testing {

inline constexpr std::int64_t kIdpNow = 1'800'000'000;
inline constexpr const char* kIdpClientId = "mcpgate-client";
inline constexpr const char* kIdpClientSecret = "s3cret with spaces&symbols";

// Keys generated once per test binary (RSA generation is slow under sanitizers).
inline const crypto::SigningKey& idp_rsa_key() {
  static const crypto::SigningKey key =
      crypto::SigningKey::generate(crypto::JwsAlgorithm::kRS256).value();
  return key;
}

inline const crypto::SigningKey& idp_rotated_rsa_key() {
  static const crypto::SigningKey key =
      crypto::SigningKey::generate(crypto::JwsAlgorithm::kRS256).value();
  return key;
}

inline const crypto::SigningKey& idp_ps256_key() {
  static const crypto::SigningKey key =
      crypto::SigningKey::from_pem(idp_rsa_key().to_pem().value(), crypto::JwsAlgorithm::kPS256)
          .value();
  return key;
}

inline const crypto::SigningKey& idp_ec_key() {
  static const crypto::SigningKey key =
      crypto::SigningKey::generate(crypto::JwsAlgorithm::kES256).value();
  return key;
}

inline const crypto::SigningKey& idp_ed_key() {
  static const crypto::SigningKey key =
      crypto::SigningKey::generate(crypto::JwsAlgorithm::kEdDSA).value();
  return key;
}

// A JWKS document with the public halves of `keys`.
inline nlohmann::json jwks_of(const std::vector<const crypto::SigningKey*>& keys) {
  nlohmann::json out = {{"keys", nlohmann::json::array()}};
  for (const auto* k : keys) {
    out["keys"].push_back(k->public_jwk());
  }
  return out;
}

inline std::string b64(std::string_view s) {
  return crypto::base64url_encode(s);
}

// ID token claims that pass every check for (issuer, nonce) at kIdpNow.
inline nlohmann::json good_claims(const std::string& issuer, const std::string& nonce) {
  return {{"iss", issuer},
          {"sub", "248289761001"},
          {"aud", kIdpClientId},
          {"exp", kIdpNow + 300},
          {"iat", kIdpNow - 5},
          {"nonce", nonce},
          {"email", "jane@example.com"},
          {"email_verified", true},
          {"name", "Jane Doe"},
          {"groups", {"staff", "admins"}}};
}

inline std::string sign_token(const crypto::SigningKey& key,
                              const nlohmann::json& claims,
                              std::string_view typ = "JWT") {
  return crypto::sign_jwt(key, claims, typ).value();
}

// A token with a hand-made header, signed with `key` (for alg/kid games).
inline std::string sign_with_header(const crypto::SigningKey& key,
                                    const nlohmann::json& header,
                                    const nlohmann::json& claims) {
  const std::string input = b64(header.dump()) + "." + b64(claims.dump());
  return input + "." + b64(crypto::jws_sign(key, input).value());
}

class MockIdp {
 public:
  struct TokenCall {
    std::string body;
    std::string authorization;
  };

  using TokenHandler = std::function<http::testing::TestReply(const TokenCall&)>;

  MockIdp()
      : server_([this](const http::Request& req) { return handle(req); }),
        issuer_(server_.url("")) {
    discovery_ = {{"issuer", issuer_},
                  {"authorization_endpoint", issuer_ + "/authorize"},
                  {"token_endpoint", issuer_ + "/token"},
                  {"jwks_uri", issuer_ + "/jwks"},
                  {"response_types_supported", {"code"}},
                  {"subject_types_supported", {"public"}},
                  {"id_token_signing_alg_values_supported", {"RS256", "PS256", "ES256", "EdDSA"}},
                  {"code_challenge_methods_supported", {"S256"}},
                  {"token_endpoint_auth_methods_supported",
                   {"client_secret_basic", "client_secret_post", "private_key_jwt"}},
                  {"authorization_response_iss_parameter_supported", true}};
    jwks_ = jwks_of({&idp_rsa_key(), &idp_ec_key(), &idp_ed_key()});
  }

  const std::string& issuer() const { return issuer_; }

  void set_discovery(nlohmann::json doc) {
    std::lock_guard lock(mu_);
    discovery_ = std::move(doc);
  }

  nlohmann::json discovery() const {
    std::lock_guard lock(mu_);
    return discovery_;
  }

  void set_jwks(nlohmann::json jwks) {
    std::lock_guard lock(mu_);
    jwks_raw_.clear();
    jwks_ = std::move(jwks);
  }

  void set_jwks_raw(std::string body) {
    std::lock_guard lock(mu_);
    jwks_raw_ = std::move(body);
  }

  void set_token_handler(TokenHandler handler) {
    std::lock_guard lock(mu_);
    token_handler_ = std::move(handler);
  }

  // Delay of every JWKS answer (so concurrent refetches overlap).
  void set_jwks_delay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    jwks_delay_ = delay;
  }

  std::size_t discovery_requests() const { return discovery_requests_.load(); }

  std::size_t jwks_requests() const { return jwks_requests_.load(); }

  std::size_t token_requests() const { return token_requests_.load(); }

  TokenCall last_token_call() const {
    std::lock_guard lock(mu_);
    return last_token_call_;
  }

 private:
  http::testing::TestReply handle(const http::Request& req) {
    const std::string target(req.target());
    std::lock_guard lock(mu_);
    if (target == "/.well-known/openid-configuration") {
      ++discovery_requests_;
      return http::testing::make_reply(200, discovery_.dump());
    }
    if (target == "/jwks") {
      ++jwks_requests_;
      auto reply = http::testing::make_reply(200, jwks_raw_.empty() ? jwks_.dump() : jwks_raw_);
      reply.delay = jwks_delay_;
      return reply;
    }
    if (target == "/token" && req.method() == http::bhttp::verb::post) {
      ++token_requests_;
      last_token_call_.body = req.body();
      last_token_call_.authorization = std::string(req[http::Field::authorization]);
      if (token_handler_) {
        return token_handler_(last_token_call_);
      }
      return http::testing::make_reply(400, R"({"error":"invalid_grant"})");
    }
    return http::testing::make_reply(404, "{}");
  }

  mutable std::mutex mu_;
  nlohmann::json discovery_;
  nlohmann::json jwks_;
  std::string jwks_raw_;
  std::chrono::milliseconds jwks_delay_{0};
  TokenHandler token_handler_;
  TokenCall last_token_call_;
  std::atomic<std::size_t> discovery_requests_{0};
  std::atomic<std::size_t> jwks_requests_{0};
  std::atomic<std::size_t> token_requests_{0};
  http::testing::TestServer server_;  // last: stops before the members its handler uses go
  std::string issuer_;
};

// A provider configuration for `idp` (client_secret_basic, loopback http allowed).
inline ProviderConfig config_for(const MockIdp& idp) {
  ProviderConfig c;
  c.issuer = idp.issuer();
  c.client_id = kIdpClientId;
  c.client_secret = kIdpClientSecret;
  c.redirect_uri = "http://127.0.0.1:8080/sso/callback";
  c.address_policy = http::AddressPolicy::kAllowLoopback;
  c.allow_loopback_http = true;
  return c;
}

// A settable clock shared with a RelyingParty.
struct TestClock {
  std::shared_ptr<std::atomic<std::int64_t>> t =
      std::make_shared<std::atomic<std::int64_t>>(kIdpNow);

  std::function<std::int64_t()> fn() const {
    return [t = t] {
      return t->load();
    };
  }

  void advance(std::int64_t seconds) const { *t += seconds; }
};

inline RelyingPartyOptions options_with(const TestClock& clock) {
  RelyingPartyOptions o;
  o.http_client = std::make_shared<const http::HttpClient>(http::HttpClient::create().value());
  o.now = clock.fn();
  o.fetch_timeout = std::chrono::milliseconds(3000);
  return o;
}

// The query parameters of a URL (values %-decoded), as a JSON object of strings.
inline nlohmann::json url_query(const std::string& url) {
  nlohmann::json out = nlohmann::json::object();
  const auto q = url.find('?');
  if (q == std::string::npos) {
    return out;
  }
  std::string_view rest = std::string_view(url).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view piece = rest.substr(0, amp);
    const auto eq = piece.find('=');
    std::string value;
    const std::string_view raw = piece.substr(eq + 1);
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size()) {
        value += static_cast<char>(std::stoi(std::string(raw.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        value += raw[i];
      }
    }
    out[std::string(piece.substr(0, eq))] = value;
    if (amp == std::string_view::npos) {
      break;
    }
    rest = rest.substr(amp + 1);
  }
  return out;
}

}  // namespace mcpgate::identity::testing
