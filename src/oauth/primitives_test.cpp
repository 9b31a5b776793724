// Unit tests of the pure building blocks: forms, PKCE, resource indicators, redirect URI
// policy, scopes, the rate limiter and the expiring map.

#include <gtest/gtest.h>

#include "oauth/error_response.hpp"
#include "oauth/expiring_map.hpp"
#include "oauth/form.hpp"
#include "oauth/options.hpp"
#include "oauth/pkce.hpp"
#include "oauth/rate_limiter.hpp"
#include "oauth/redirect_uri.hpp"
#include "oauth/resource_indicator.hpp"
#include "oauth/scopes.hpp"
#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

TEST(FormTest, ParsesRepeatsPlusAndEscapes) {
  auto p = parse_form("a=1&b=x+y&c=%2F%41&a=2&&flag");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->count("a"), 2u);
  EXPECT_EQ(p->value("a"), "1");
  EXPECT_EQ(p->value("b"), "x y");
  EXPECT_EQ(p->value("c"), "/A");
  EXPECT_TRUE(p->has("flag"));
  EXPECT_EQ(p->first_repeated(), "a");
  EXPECT_EQ(p->first_repeated({"a"}), std::nullopt);
}

TEST(FormTest, RejectsBadEscapesNulAndOversize) {
  EXPECT_FALSE(parse_form("a=%zz").ok());
  EXPECT_FALSE(parse_form("a=%4").ok());
  EXPECT_FALSE(parse_form("a=%00").ok());
  EXPECT_EQ(parse_form(std::string(100 * 1024, 'a')).error().code, ErrorCode::kResourceExhausted);
  std::string many;
  for (int i = 0; i < 100; ++i) {
    many += "p" + std::to_string(i) + "=1&";
  }
  EXPECT_EQ(parse_form(many).error().code, ErrorCode::kResourceExhausted);
}

TEST(FormTest, AppendQueryKeepsExistingQuery) {
  EXPECT_EQ(append_query("https://a/cb", {{"code", "x y"}}), "https://a/cb?code=x%20y");
  EXPECT_EQ(append_query("https://a/cb?k=v", {{"state", "&"}}), "https://a/cb?k=v&state=%26");
}

TEST(PkceTest, ChallengeAndVerifierRules) {
  const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const std::string challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";  // RFC 7636 App. B
  EXPECT_EQ(s256_challenge(verifier), challenge);
  EXPECT_TRUE(verify_s256(verifier, challenge));
  EXPECT_FALSE(verify_s256(verifier + "x", challenge));
  EXPECT_TRUE(valid_code_challenge(challenge));
  EXPECT_FALSE(valid_code_challenge(challenge.substr(1)));         // 42
  EXPECT_FALSE(valid_code_challenge(challenge + "A"));             // 44
  EXPECT_FALSE(valid_code_challenge(std::string(42, 'A') + "+"));  // bad character
  EXPECT_FALSE(valid_code_challenge(std::string(42, 'A') + "B"));  // non-canonical tail bits
  EXPECT_TRUE(valid_code_verifier(verifier));
  EXPECT_TRUE(valid_code_verifier(std::string(128, '~')));
  EXPECT_FALSE(valid_code_verifier(std::string(42, 'a')));
  EXPECT_FALSE(valid_code_verifier(std::string(129, 'a')));
  EXPECT_FALSE(valid_code_verifier(std::string(43, 'a') + "!"));
}

TEST(ResourceIndicatorTest, Attacks008CanonicalizationPolicy) {
  EXPECT_EQ(*canonicalize_resource("HTTPS://MCP.Example.COM:443/mcp"), "https://mcp.example.com/mcp");
  EXPECT_EQ(*canonicalize_resource("http://h:80/"), "http://h");
  EXPECT_EQ(*canonicalize_resource("https://h/"), "https://h");
  EXPECT_EQ(*canonicalize_resource("https://h/mcp/"), "https://h/mcp");
  EXPECT_EQ(*canonicalize_resource("https://h:8443/a%7eb%2f"), "https://h:8443/a~b%2F");
  EXPECT_EQ(*canonicalize_resource("https://h/mcp?x=1"), "https://h/mcp?x=1");
}

TEST(ResourceIndicatorTest, Attacks007RefusesRelativeFragmentAndDotSegments) {
  EXPECT_FALSE(canonicalize_resource("/mcp").ok());
  EXPECT_FALSE(canonicalize_resource("mcp").ok());
  EXPECT_FALSE(canonicalize_resource("https://h/mcp#frag").ok());
  EXPECT_FALSE(canonicalize_resource("https://h/a/../mcp").ok());
  EXPECT_FALSE(canonicalize_resource("https://h/a/%2e%2e/mcp").ok());
  EXPECT_FALSE(canonicalize_resource("https://user@h/mcp").ok());
  EXPECT_FALSE(canonicalize_resource("urn:example:mcp").ok());
  EXPECT_FALSE(canonicalize_resource("").ok());
}

TEST(ResourceIndicatorTest, ResolveDefaultsRepeatsAndUnknown) {
  ResourceSet one({"http://127.0.0.1:8080/mcp"});
  EXPECT_EQ(*one.resolve({}), "http://127.0.0.1:8080/mcp");
  EXPECT_EQ(*one.resolve({"HTTP://127.0.0.1:8080/mcp/"}), "http://127.0.0.1:8080/mcp");
  // Repeated, even as the same resource: refused (ATTACKS row 7).
  EXPECT_EQ(one.resolve({"HTTP://127.0.0.1:8080/mcp/", "http://127.0.0.1:8080/mcp"}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(one.resolve({"http://127.0.0.1:8080/other"}).error().code, ErrorCode::kNotFound);
  ResourceSet two({"https://a/mcp", "https://b/mcp"});
  EXPECT_EQ(two.resolve({}).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(two.resolve({"https://a/mcp", "https://b/mcp"}).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(RedirectUriTest, Attacks002ExactMatchOnly) {
  const std::string reg = "https://app.example.com/cb";
  EXPECT_TRUE(redirect_uri_matches(reg, reg));
  for (const char* bad : {"https://APP.example.com/cb", "https://app.example.com/cb/",
                          "https://app.example.com/cb?x=1", "https://app.example.com/cb#f",
                          "https://app.example.com@evil.com/cb", "https://good@app.example.com/cb",
                          "https://app.example.com/c%62", "https://app.example.com/cb/../evil",
                          "https://app.example.com/cb/x", "http://app.example.com/cb",
                          "https://app.example.com:444/cb", "https://xn--pp-7ka.example.com/cb"}) {
    EXPECT_FALSE(redirect_uri_matches(reg, bad)) << bad;
  }
}

TEST(RedirectUriTest, Attacks003LoopbackAnyPortWhenRegisteredWithoutPort) {
  EXPECT_TRUE(redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1:53682/cb"));
  EXPECT_TRUE(redirect_uri_matches("http://[::1]/cb", "http://[::1]:1/cb"));
  EXPECT_TRUE(redirect_uri_matches("http://localhost/cb", "http://localhost:65535/cb"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1:0/cb"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1:65536/cb"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1:80/cb/x"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/cb", "http://localhost:80/cb"));
  EXPECT_FALSE(redirect_uri_matches("http://localhost/cb", "http://localhost.evil.com:80/cb"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1:3000/cb", "http://127.0.0.1:4000/cb"));
  EXPECT_FALSE(redirect_uri_matches("http://evil/cb", "http://evil:80/cb"));
}

TEST(RedirectUriTest, Attacks045RegistrationPolicy) {
  EXPECT_TRUE(validate_redirect_uri("https://app.example.com/cb").ok());
  EXPECT_TRUE(validate_redirect_uri("http://127.0.0.1/cb").ok());
  EXPECT_TRUE(validate_redirect_uri("http://localhost:3000/cb").ok());
  EXPECT_TRUE(validate_redirect_uri("com.example.app:/cb", ApplicationType::kNative).ok());
  EXPECT_FALSE(validate_redirect_uri("com.example.app:/cb", ApplicationType::kWeb).ok());
  for (const char* bad : {"javascript:alert(1)", "data:text/html,x", "http://evil.example.com/cb",
                          "https://app.example.com/cb#x", "https://*.example.com/cb", "",
                          "JavaScript:alert(1)", "vbscript:x", "file:///etc/passwd",
                          "https://user@app.example.com/cb", "/relative", "https://a b/cb"}) {
    EXPECT_FALSE(validate_redirect_uri(bad).ok()) << bad;
  }
}

TEST(ScopesTest, ParseExpandAndTools) {
  ScopeSet s(testing::test_options());
  EXPECT_EQ(join_scope(*s.parse("mail:read  calendar:write calendar:write")),
            "calendar:write mail:read");
  EXPECT_FALSE(s.parse("calendar:read admin").ok());
  EXPECT_FALSE(s.parse("calendar:read \"x").ok());
  EXPECT_TRUE(s.covers({"calendar:write"}, {"calendar:read"}));
  EXPECT_FALSE(s.covers({"calendar:read"}, {"calendar:write"}));
  EXPECT_EQ(s.tools_for({"calendar:write"}),
            (std::vector<std::string>{"create_event", "delete_event", "get_availability", "list_events"}));
  EXPECT_EQ(s.tool_scopes().at("list_events"), std::vector<std::string>{"calendar:read"});
}

TEST(RateLimiterTest, Attacks079TokenBucketPerKey) {
  RateLimiter limiter(3);
  EXPECT_TRUE(limiter.allow("a", 100));
  EXPECT_TRUE(limiter.allow("a", 100));
  EXPECT_TRUE(limiter.allow("a", 100));
  int retry = 0;
  EXPECT_FALSE(limiter.allow("a", 100, &retry));
  EXPECT_GE(retry, 1);
  EXPECT_TRUE(limiter.allow("b", 100));
  EXPECT_TRUE(limiter.allow("a", 121));  // 20 s later: one token back
  EXPECT_FALSE(limiter.available("a", 121));
  EXPECT_TRUE(limiter.available("c", 121));
  EXPECT_TRUE(limiter.available("c", 121)) << "available() spends nothing";
}

TEST(ExpiringMapTest, ExpiryCapAndInsertIfAbsent) {
  ExpiringMap<int> m(2);
  m.put("a", 1, 110, 100);
  m.put("b", 2, 120, 100);
  m.put("c", 3, 130, 100);  // full: "a" (closest to expiry) goes
  EXPECT_FALSE(m.get("a", 100));
  EXPECT_EQ(*m.get("b", 100), 2);
  EXPECT_FALSE(m.get("b", 120));  // expired
  EXPECT_FALSE(m.insert_if_absent("c", 9, 200, 100));
  EXPECT_TRUE(m.insert_if_absent("c", 9, 200, 131));
  EXPECT_EQ(*m.take("c", 131), 9);
  EXPECT_FALSE(m.get("c", 131));
}

TEST(OptionsTest, ValidateListsEveryProblem) {
  EXPECT_TRUE(validate_auth_options(testing::test_options()).ok());
  AuthOptions o = testing::test_options();
  o.issuer = "http://127.0.0.1:8080/";
  o.access_token_ttl_s = 3600;
  o.clients.push_back(StaticClientOptions{"https://evil/client", "", {"https://x/cb"}, "", ""});
  o.scope_implies["calendar:write"].push_back("nope");
  auto st = validate_auth_options(o);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("issuer"), std::string::npos);
  EXPECT_NE(st.error().message.find("access_token_ttl_s"), std::string::npos);
  EXPECT_NE(st.error().message.find("look like a URL"), std::string::npos);
  EXPECT_NE(st.error().message.find("nope"), std::string::npos);
}

// A store that is down (PostgreSQL unreachable, pool exhausted, statement timeout) is the
// client's cue to retry, not a server bug: 503 temporarily_unavailable with Retry-After (issue 7,
// "Degradation"; tests/e2e/replicas.test.mjs checks it against a stopped PostgreSQL).
TEST(ErrorResponseTest, StoreUnavailableIs503WithRetryAfter) {
  for (const ErrorCode code : {ErrorCode::kUnavailable, ErrorCode::kDeadlineExceeded}) {
    const OAuthError e = internal_error("test_store_failed", make_error(code, "database down"));
    EXPECT_EQ(e.code, OAuthErrorCode::kTemporarilyUnavailable);
    const http::Response res = json_error(e);
    EXPECT_EQ(res.result(), http::StatusCode::service_unavailable);
    EXPECT_EQ(res[http::Field::retry_after], "1");
    EXPECT_NE(res.body().find("temporarily_unavailable"), std::string::npos) << res.body();
  }
  const http::Response bug =
      json_error(internal_error("test_bug", make_error(ErrorCode::kInternal, "bug")));
  EXPECT_EQ(bug.result(), http::StatusCode::internal_server_error);
  EXPECT_TRUE(bug[http::Field::retry_after].empty());
}

}  // namespace
}  // namespace mcpgate::oauth
