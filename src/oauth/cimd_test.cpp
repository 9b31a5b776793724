#include "oauth/cimd.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <gtest/gtest.h>

#include "http/test_server.hpp"

namespace mcpgate::oauth {
namespace {

using http::Field;
using http::Request;
using http::testing::make_reply;
using http::testing::run_awaitable;
using http::testing::TestReply;
using http::testing::TestServer;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::int64_t kT0 = 1'700'000'000;

// ---------------------------------------------------------------------------------------------
// validate_client_id_url (ATTACKS row 51)

TEST(ValidateClientIdUrlTest, AcceptsWellFormedHttpsUrls) {
  for (const char* ok : {"https://app.example.com/oauth/client-metadata.json",
                         "https://vscode.dev/oauth/client-metadata.json",
                         "https://claude.ai/oauth/claude-code-client-metadata",
                         "https://app.example.com:8443/c",
                         "https://app.example.com/a/b/",
                         "https://app.example.com/%7Euser/client",
                         "https://8.8.8.8/client",
                         "https://app.example.com/a.json",
                         "https://app.example.com/..a/.b"}) {
    const Status s = validate_client_id_url(ok);
    EXPECT_TRUE(s.ok()) << ok << ": " << s.error().message;
  }
}

TEST(ValidateClientIdUrlTest, RejectsEveryRow51Shape) {
  const std::string long_url = "https://app.example.com/" + std::string(2100, 'a');
  for (const std::string& bad : std::vector<std::string>{
           "",
           "http://app.example.com/client",              // not https
           "HTTPS://app.example.com/client",             // scheme not as the draft writes it
           "ftp://app.example.com/client",               // other scheme
           "app.example.com/client",                     // not absolute
           "https://app.example.com",                    // no path
           "https://app.example.com/",                   // root path only
           "https://app.example.com?x=1",                // query, no path
           "https://app.example.com/client?x=1",         // query
           "https://app.example.com/client?",            // empty query
           "https://app.example.com/client#f",           // fragment
           "https://app.example.com/client#",            // empty fragment
           "https://user@app.example.com/client",        // userinfo
           "https://user:pw@app.example.com/client",     // userinfo
           "https://app.example.com/./client",           // dot segment
           "https://app.example.com/a/../client",        // dot-dot segment
           "https://app.example.com/a/..",               // trailing dot-dot
           "https://app.example.com/a/.",                // trailing dot
           "https://app.example.com/a/%2e%2e/client",    // encoded dot-dot
           "https://app.example.com/a/%2E%2E/client",    // encoded dot-dot, upper case
           "https://app.example.com/a/.%2e/client",      // mixed
           "https://app.example.com/a/%2e/client",       // encoded dot
           "https://app.example.com/a\\..\\client",      // backslash
           "https://app.example.com\\@evil.com/client",  // backslash in authority
           "https://app.example.com/cli\x01ent",         // control character
           "https://app.example.com/cli\x7f"
           "ent",                                   // DEL
           "https://app.example.com/cli ent",       // space
           "https://app.example.com/cli\tent",      // tab
           " https://app.example.com/client",       // leading space
           "https://app.example.com/client\n",      // trailing newline
           "https://app.exämple.com/client",        // non-ASCII
           "https://app.example.com/%zz",           // bad escape
           "https:///client",                       // no host
           "https://app.example.com:99999/client",  // bad port
           "https://2130706433/client",             // numeric host spelling
           long_url}) {
    const Status s = validate_client_id_url(bad);
    EXPECT_FALSE(s.ok()) << "accepted: " << bad;
  }
}

TEST(ValidateClientIdUrlTest, NonPublicIpLiteralsAreRefusedUpFront) {
  for (const char* bad : {"https://127.0.0.1/client",
                          "https://10.0.0.1/client",
                          "https://169.254.169.254/latest",
                          "https://[::1]/client",
                          "https://[::ffff:127.0.0.1]/client",
                          "https://[fd00::1]/client"}) {
    const Status s = validate_client_id_url(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied) << bad;
  }
}

TEST(ValidateClientIdUrlTest, LoopbackSwitchAdmitsOnlyLoopbackHttp) {
  EXPECT_TRUE(validate_client_id_url("http://127.0.0.1:8080/client", true).ok());
  EXPECT_TRUE(validate_client_id_url("http://localhost:8080/client", true).ok());
  EXPECT_TRUE(validate_client_id_url("http://[::1]:8080/client", true).ok());
  EXPECT_TRUE(validate_client_id_url("https://127.0.0.1:8443/client", true).ok());
  EXPECT_TRUE(validate_client_id_url("https://app.example.com/client", true).ok());
  EXPECT_FALSE(validate_client_id_url("http://app.example.com/client", true).ok());
  EXPECT_FALSE(validate_client_id_url("http://10.0.0.1/client", true).ok());
  EXPECT_FALSE(validate_client_id_url("https://10.0.0.1/client", true).ok());
  // The other rules still hold.
  EXPECT_FALSE(validate_client_id_url("http://127.0.0.1:8080/", true).ok());
  EXPECT_FALSE(validate_client_id_url("http://127.0.0.1:8080/a/../b", true).ok());
  EXPECT_FALSE(validate_client_id_url("http://127.0.0.1:8080/c?x", true).ok());
}

// ---------------------------------------------------------------------------------------------
// parse_cimd_document

const std::string kUrl = "https://app.example.com/oauth/client.json";

json good_doc(const std::string& url = kUrl) {
  return {{"client_id", url},
          {"client_name", "Example MCP Client"},
          {"client_uri", "https://app.example.com"},
          {"logo_uri", "https://app.example.com/logo.png"},
          {"redirect_uris",
           {"http://127.0.0.1:3000/callback",
            "http://localhost:3000/callback",
            "https://app.example.com/cb",
            "com.example.app:/oauth2redirect"}},
          {"grant_types", {"authorization_code", "refresh_token"}},
          {"response_types", {"code"}},
          {"token_endpoint_auth_method", "none"},
          {"scope", "mcp:tools"},
          {"application_type", "native"}};
}

Result<ClientMetadata> parse(const json& doc, const std::string& url = kUrl) {
  return parse_cimd_document(url, doc.dump(), DocumentLimits{}, kT0);
}

void expect_rejected(const json& doc, const std::string& why) {
  auto m = parse(doc);
  ASSERT_FALSE(m.ok()) << "accepted (" << why << "): " << doc.dump();
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument) << why;
}

TEST(ParseCimdDocumentTest, GoodDocument) {
  auto m = parse(good_doc());
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->client_id, kUrl);
  EXPECT_EQ(m->client_name, "Example MCP Client");
  EXPECT_EQ(m->redirect_uris.size(), 4u);
  EXPECT_TRUE(m->has_redirect_uri("http://127.0.0.1:3000/callback"));
  EXPECT_FALSE(m->has_redirect_uri("http://127.0.0.1:3001/callback"));
  EXPECT_FALSE(m->has_redirect_uri("https://app.example.com/cb/"));
  EXPECT_EQ(m->token_endpoint_auth_method, "none");
  EXPECT_FALSE(m->auth_method_negotiated);
  EXPECT_EQ(m->logo_uri, "https://app.example.com/logo.png");
  EXPECT_EQ(m->client_uri, "https://app.example.com");
  EXPECT_EQ(m->grant_types, (std::vector<std::string>{"authorization_code", "refresh_token"}));
  EXPECT_EQ(m->response_types, std::vector<std::string>{"code"});
  EXPECT_EQ(m->scope, "mcp:tools");
  EXPECT_EQ(m->application_type, "native");
  EXPECT_EQ(m->host, "app.example.com");
  EXPECT_TRUE(m->jwks.is_null());
  EXPECT_EQ(m->fetched_at, kT0);
}

TEST(ParseCimdDocumentTest, MinimalDocumentGetsDefaults) {
  auto m = parse({{"client_id", kUrl},
                  {"client_name", "Minimal"},
                  {"redirect_uris", {"https://app.example.com/cb"}}});
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->token_endpoint_auth_method, "none");
  EXPECT_EQ(m->grant_types, std::vector<std::string>{"authorization_code"});
  EXPECT_EQ(m->response_types, std::vector<std::string>{"code"});
  EXPECT_EQ(m->application_type, "");
}

TEST(ParseCimdDocumentTest, ClientIdMustMatchExactly) {
  for (const std::string& other : {kUrl + "/",
                                   std::string("https://APP.example.com/oauth/client.json"),
                                   std::string("https://app.example.com/oauth/Client.json"),
                                   std::string("https://app.example.com:443/oauth/client.json"),
                                   std::string("https://app.example.com/oauth/client.json?"),
                                   std::string("https://app.example.com/oauth/%63lient.json")}) {
    json doc = good_doc();
    doc["client_id"] = other;
    expect_rejected(doc, "client_id " + other);
  }
  json doc = good_doc();
  doc.erase("client_id");
  expect_rejected(doc, "no client_id");
  doc["client_id"] = 42;
  expect_rejected(doc, "numeric client_id");
}

TEST(ParseCimdDocumentTest, MustBeAJsonObject) {
  for (const char* body : {"",
                           "not json",
                           "{",
                           "[]",
                           R"([{"client_id":"x"}])",
                           "\"str\"",
                           "42",
                           "null",
                           R"({"client_id":"a"} trailing)"}) {
    auto m = parse_cimd_document(kUrl, body, DocumentLimits{}, kT0);
    EXPECT_FALSE(m.ok()) << body;
  }
}

TEST(ParseCimdDocumentTest, DuplicateMembersAndDeepNestingAreRefused) {
  const std::string dup = R"({"client_id":"https://evil.example/x","client_id":")" + kUrl
                          + R"(","client_name":"n","redirect_uris":["https://a.example/cb"]})";
  auto m = parse_cimd_document(kUrl, dup, DocumentLimits{}, kT0);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("duplicate"), std::string::npos);

  json doc = good_doc();
  json deep = json::array();
  for (int i = 0; i < 20; ++i) {
    deep = json::array({deep});
  }
  doc["x_extension"] = deep;
  expect_rejected(doc, "deep nesting");
}

TEST(ParseCimdDocumentTest, OverTheSizeCapIsRefused) {
  json doc = good_doc();
  doc["client_name"] = std::string(6000, 'n');
  auto m = parse(doc);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kResourceExhausted);
}

TEST(ParseCimdDocumentTest, RedirectUrisAreRequiredAndChecked) {
  json doc = good_doc();
  doc.erase("redirect_uris");
  expect_rejected(doc, "missing redirect_uris");
  doc["redirect_uris"] = json::array();
  expect_rejected(doc, "empty redirect_uris");
  doc["redirect_uris"] = "https://app.example.com/cb";
  expect_rejected(doc, "string redirect_uris");
  for (const json& bad : {json(42),
                          json(""),
                          json("https://app.example.com/cb#frag"),
                          json("javascript:alert(1)"),
                          json("data:text/html,x"),
                          json("file:///etc/passwd"),
                          json("http://app.example.com/cb"),
                          json("http://10.0.0.1/cb"),
                          json("https://*.example.com/cb"),
                          json("myapp:/cb"),
                          json("com.example.app:"),
                          json("/relative/cb"),
                          json("https://user@app.example.com/cb"),
                          json("https://a.example/c b"),
                          json("https://a.example\\cb")}) {
    doc["redirect_uris"] = json::array({"https://app.example.com/cb", bad});
    expect_rejected(doc, "redirect_uri " + bad.dump());
  }
}

TEST(ParseCimdDocumentTest, ClientNameIsRequired) {
  json doc = good_doc();
  doc.erase("client_name");
  expect_rejected(doc, "missing client_name");
  doc["client_name"] = "";
  expect_rejected(doc, "empty client_name");
  doc["client_name"] = 7;
  expect_rejected(doc, "numeric client_name");
  doc["client_name"] = "Evil\nApp";
  expect_rejected(doc, "control character");
}

TEST(ParseCimdDocumentTest, SecretsAndSharedSecretMethodsAreRefused) {
  json doc = good_doc();
  doc["client_secret"] = "s3cret";
  expect_rejected(doc, "client_secret");
  doc = good_doc();
  doc["client_secret_expires_at"] = 0;
  expect_rejected(doc, "client_secret_expires_at");
  for (const char* method : {"client_secret_basic",
                             "client_secret_post",
                             "client_secret_jwt",
                             "tls_client_auth",
                             "something_else"}) {
    doc = good_doc();
    doc["token_endpoint_auth_method"] = method;
    expect_rejected(doc, method);
  }
  doc = good_doc();
  doc["token_endpoint_auth_method"] = json::array({"none"});
  expect_rejected(doc, "non-string method");
}

TEST(ParseCimdDocumentTest, PrivateKeyJwtNeedsExactlyOneKeySource) {
  const json jwks = {{"keys", {{{"kty", "EC"}, {"crv", "P-256"}, {"x", "AAA"}, {"y", "BBB"}}}}};
  json doc = good_doc();
  doc["token_endpoint_auth_method"] = "private_key_jwt";
  expect_rejected(doc, "no keys");

  doc["jwks"] = jwks;
  auto m = parse(doc);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->token_endpoint_auth_method, "private_key_jwt");
  EXPECT_EQ(m->jwks, jwks);

  doc["jwks_uri"] = "https://app.example.com/jwks.json";
  expect_rejected(doc, "jwks and jwks_uri");

  doc.erase("jwks");
  m = parse(doc);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->jwks_uri, "https://app.example.com/jwks.json");

  doc["jwks_uri"] = "http://app.example.com/jwks.json";
  expect_rejected(doc, "http jwks_uri");
  doc["jwks_uri"] = "https://169.254.169.254/jwks";
  expect_rejected(doc, "metadata-address jwks_uri");

  doc.erase("jwks_uri");
  json priv = jwks;
  priv["keys"][0]["d"] = "private";
  doc["jwks"] = priv;
  expect_rejected(doc, "private key in jwks");
  doc["jwks"] = {{"keys", {{{"kty", "oct"}, {"k", "c2VjcmV0"}}}}};
  expect_rejected(doc, "symmetric key in jwks");
  doc["jwks"] = {{"keys", json::array()}};
  expect_rejected(doc, "empty jwks");
}

// ATTACKS row 58: ChatGPT publishes token_endpoint_auth_methods_supported only.
TEST(ParseCimdDocumentTest, RpMetadataChoicesAreNegotiated) {
  json doc = good_doc();
  doc.erase("token_endpoint_auth_method");
  doc["token_endpoint_auth_methods_supported"] = {"client_secret_post", "none"};
  auto m = parse(doc);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->token_endpoint_auth_method, "none");
  EXPECT_TRUE(m->auth_method_negotiated);

  doc["token_endpoint_auth_methods_supported"] = {"private_key_jwt", "none"};
  m = parse(doc);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->token_endpoint_auth_method, "none");  // none preferred when offered

  doc["token_endpoint_auth_methods_supported"] = {"client_secret_basic", "private_key_jwt"};
  expect_rejected(doc, "private_key_jwt without keys");
  doc["jwks_uri"] = "https://app.example.com/jwks.json";
  m = parse(doc);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->token_endpoint_auth_method, "private_key_jwt");
  EXPECT_TRUE(m->auth_method_negotiated);

  doc["token_endpoint_auth_methods_supported"] = {"client_secret_basic", "client_secret_post"};
  expect_rejected(doc, "only shared-secret methods");
  doc["token_endpoint_auth_methods_supported"] = json::array();
  expect_rejected(doc, "empty list");
  doc["token_endpoint_auth_methods_supported"] = "none";
  expect_rejected(doc, "not an array");

  // The singular member wins when both are present.
  doc = good_doc();
  doc["token_endpoint_auth_methods_supported"] = {"client_secret_basic"};
  m = parse(doc);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->token_endpoint_auth_method, "none");
  EXPECT_FALSE(m->auth_method_negotiated);
}

TEST(ParseCimdDocumentTest, OtherMembersAreTypeChecked) {
  json doc = good_doc();
  doc["logo_uri"] = "http://app.example.com/logo.png";
  expect_rejected(doc, "http logo_uri");
  doc = good_doc();
  doc["client_uri"] = "javascript:alert(1)";
  expect_rejected(doc, "javascript client_uri");
  doc = good_doc();
  doc["tos_uri"] = "https://10.0.0.1/tos";
  expect_rejected(doc, "private tos_uri");
  doc = good_doc();
  doc["grant_types"] = "authorization_code";
  expect_rejected(doc, "string grant_types");
  doc = good_doc();
  doc["scope"] = json::array({"a"});
  expect_rejected(doc, "array scope");
  doc = good_doc();
  doc["application_type"] = "desktop";
  expect_rejected(doc, "bad application_type");
}

TEST(ParseCimdDocumentTest, LoopbackWebUrisOnlyWithTheTestSwitch) {
  json doc = good_doc();
  doc["jwks_uri"] = "http://127.0.0.1:9000/jwks";
  doc["token_endpoint_auth_method"] = "private_key_jwt";
  EXPECT_FALSE(parse(doc).ok());
  DocumentLimits limits;
  limits.allow_loopback_http = true;
  auto m = parse_cimd_document(kUrl, doc.dump(), limits, kT0);
  EXPECT_TRUE(m.ok()) << m.error().message;
}

// ---------------------------------------------------------------------------------------------
// CimdResolver against a local server

class CimdResolverTest : public ::testing::Test {
 protected:
  CimdResolverTest()
      : server_([this](const Request& req) {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = routes_.find(std::string(req.target()));
          if (it == routes_.end()) {
            return make_reply(404, R"({"error":"not found"})");
          }
          return it->second;
        }) {}

  CimdResolverOptions options() {
    CimdResolverOptions o;
    o.allow_loopback_for_tests = true;
    o.allow_plain_http_for_unit_tests = true;
    o.timeout = 2s;
    o.now = [this] {
      return clock_.load();
    };
    return o;
  }

  std::string url(const std::string& path) const { return server_.url(path); }

  void route(const std::string& path, TestReply reply) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[path] = std::move(reply);
  }

  // Serves a valid document for `path` with the given headers.
  void serve_good(const std::string& path,
                  std::string name = "Test Client",
                  std::initializer_list<std::pair<Field, std::string>> headers = {}) {
    json doc = good_doc(url(path));
    doc["client_name"] = std::move(name);
    route(path, make_reply(200, doc.dump(), "application/json", headers));
  }

  Result<ClientMetadata> resolve(CimdResolver& r, const std::string& id) {
    return run_awaitable(r.resolve(id));
  }

  std::atomic<std::int64_t> clock_{kT0};
  std::mutex mu_;
  std::map<std::string, TestReply> routes_;
  TestServer server_;
};

TEST_F(CimdResolverTest, ResolvesAGoodDocument) {
  serve_good("/client.json", "Test Client", {{Field::cache_control, "max-age=600"}});
  CimdResolver resolver(options());
  auto m = resolve(resolver, url("/client.json"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->client_id, url("/client.json"));
  EXPECT_EQ(m->client_name, "Test Client");
  EXPECT_EQ(m->host, "127.0.0.1");
  EXPECT_EQ(m->fetched_at, kT0);
  EXPECT_EQ(m->expires_at, kT0 + 600);
  EXPECT_FALSE(m->document.empty());
  EXPECT_EQ(server_.requests(), 1u);
  EXPECT_EQ(resolver.fetch_count(), 1u);
  EXPECT_EQ(resolver.cache_size(), 1u);
}

TEST_F(CimdResolverTest, AcceptsVendorJsonMediaTypes) {
  json doc = good_doc(url("/vendor.json"));
  route("/vendor.json",
        make_reply(200, doc.dump(), "application/oauth-client-metadata+json; charset=utf-8"));
  CimdResolver resolver(options());
  auto m = resolve(resolver, url("/vendor.json"));
  EXPECT_TRUE(m.ok()) << m.error().message;
}

// ATTACKS rows 52 and 54: every failure is invalid_client and nothing is cached.
TEST_F(CimdResolverTest, Row52And54FailuresAreErrorsAndNotCached) {
  struct Case {
    std::string name;
    std::function<TestReply(const std::string& self)> reply;
    ErrorCode code;
  };

  const std::vector<Case> cases = {
      {"trailing slash",
       [](const std::string& self) { return make_reply(200, good_doc(self + "/").dump()); },
       ErrorCode::kInvalidArgument},
      {"case",
       [](const std::string& self) {
         std::string upper = self;
         upper.replace(upper.find("/mismatch"), 9, "/MISMATCH");
         return make_reply(200, good_doc(upper).dump());
       },
       ErrorCode::kInvalidArgument},
      {"not json",
       [](const std::string&) { return make_reply(200, "<html>hi</html>"); },
       ErrorCode::kInvalidArgument},
      {"html content type",
       [](const std::string& self) { return make_reply(200, good_doc(self).dump(), "text/html"); },
       ErrorCode::kInvalidArgument},
      {"no content type",
       [](const std::string& self) { return make_reply(200, good_doc(self).dump(), ""); },
       ErrorCode::kInvalidArgument},
      {"json array",
       [](const std::string& self) {
         return make_reply(200, json::array({good_doc(self)}).dump());
       },
       ErrorCode::kInvalidArgument},
      {"over the size cap",
       [](const std::string& self) {
         json doc = good_doc(self);
         doc["padding"] = std::string(6000, 'p');
         return make_reply(200, doc.dump());
       },
       ErrorCode::kResourceExhausted},
      {"chunked over the size cap",
       [](const std::string&) {
         TestReply r;
         r.raw =
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n";
         for (int i = 0; i < 8; ++i) {
           r.raw += "400\r\n" + std::string(1024, ' ') + "\r\n";
         }
         r.raw += "0\r\n\r\n";
         return r;
       },
       ErrorCode::kResourceExhausted},
      {"slow",
       [](const std::string& self) {
         TestReply r = make_reply(200, good_doc(self).dump());
         r.delay = 3s;
         return r;
       },
       ErrorCode::kDeadlineExceeded},
      {"404", [](const std::string&) { return make_reply(404, "{}"); }, ErrorCode::kUnavailable},
      {"500", [](const std::string&) { return make_reply(500, "{}"); }, ErrorCode::kUnavailable},
      {"201",
       [](const std::string& self) { return make_reply(201, good_doc(self).dump()); },
       ErrorCode::kUnavailable},
      {"302 redirect",
       [this](const std::string&) {
         return make_reply(302, "", "", {{Field::location, url("/good.json")}});
       },
       ErrorCode::kUnavailable},
      {"308 redirect",
       [this](const std::string&) {
         return make_reply(308, "", "", {{Field::location, url("/good.json")}});
       },
       ErrorCode::kUnavailable},
      {"missing redirect_uris",
       [](const std::string& self) {
         json doc = good_doc(self);
         doc.erase("redirect_uris");
         return make_reply(200, doc.dump());
       },
       ErrorCode::kInvalidArgument},
      {"client_secret",
       [](const std::string& self) {
         json doc = good_doc(self);
         doc["client_secret"] = "x";
         return make_reply(200, doc.dump());
       },
       ErrorCode::kInvalidArgument},
      {"client_secret_basic",
       [](const std::string& self) {
         json doc = good_doc(self);
         doc["token_endpoint_auth_method"] = "client_secret_basic";
         return make_reply(200, doc.dump());
       },
       ErrorCode::kInvalidArgument},
  };
  serve_good("/good.json");
  CimdResolverOptions opt = options();
  opt.timeout = 400ms;
  CimdResolver resolver(opt);
  for (const Case& c : cases) {
    const std::string path = "/mismatch-" + std::to_string(&c - cases.data());
    const std::string self = url(path);
    route(path, c.reply(self));
    const size_t before = server_.requests();
    const auto start = std::chrono::steady_clock::now();
    auto m = resolve(resolver, self);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(m.ok()) << c.name;
    EXPECT_EQ(m.error().code, c.code) << c.name << ": " << m.error().message;
    EXPECT_LT(elapsed, 1500ms) << c.name;
    EXPECT_EQ(server_.requests(), before + 1) << c.name << " (redirects must not be followed)";
    EXPECT_EQ(resolver.cache_size(), 0u) << c.name;
    // The message is fit for a client: no addresses, no internals.
    EXPECT_EQ(m.error().message.find("127.0.0.1"), std::string::npos) << m.error().message;
  }
}

TEST_F(CimdResolverTest, CacheHonoursMaxAgeAndRefetchesAChangedDocument) {
  serve_good("/c.json", "Version 1", {{Field::cache_control, "public, max-age=120"}});
  CimdResolver resolver(options());
  auto first = resolve(resolver, url("/c.json"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->expires_at, kT0 + 120);

  serve_good("/c.json", "Version 2", {{Field::cache_control, "max-age=120"}});
  clock_ += 119;
  auto second = resolve(resolver, url("/c.json"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->client_name, "Version 1");
  EXPECT_EQ(server_.requests(), 1u);

  clock_ += 1;  // expired now
  auto third = resolve(resolver, url("/c.json"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->client_name, "Version 2");
  EXPECT_EQ(third->fetched_at, kT0 + 120);
  EXPECT_EQ(server_.requests(), 2u);
}

TEST_F(CimdResolverTest, LifetimesAreClampedAndDefaulted) {
  CimdResolver resolver(options());

  serve_good("/short.json", "n", {{Field::cache_control, "max-age=5"}});
  auto m = resolve(resolver, url("/short.json"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->expires_at, kT0 + 60);  // min 60 s

  serve_good("/zero.json", "n", {{Field::cache_control, "max-age=0"}});
  m = resolve(resolver, url("/zero.json"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->expires_at, kT0 + 60);

  serve_good("/long.json", "n", {{Field::cache_control, "max-age=99999999999"}});
  m = resolve(resolver, url("/long.json"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->expires_at, kT0 + 24 * 3600);  // max 24 h

  serve_good("/plain.json");
  m = resolve(resolver, url("/plain.json"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->expires_at, kT0 + 300);  // default

  serve_good("/shared.json", "n", {{Field::cache_control, "max-age=100, s-maxage=200"}});
  m = resolve(resolver, url("/shared.json"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->expires_at, kT0 + 200);

  serve_good("/expires.json",
             "n",
             {{Field::date, "Sun, 06 Nov 1994 08:49:37 GMT"},
              {Field::expires, "Sun, 06 Nov 1994 09:49:37 GMT"}});
  m = resolve(resolver, url("/expires.json"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->expires_at, kT0 + 3600);

  serve_good("/bad-expires.json", "n", {{Field::expires, "0"}});
  m = resolve(resolver, url("/bad-expires.json"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->expires_at, kT0 + 60);  // invalid Expires = stale, clamped up to the minimum

  EXPECT_EQ(resolver.cache_size(), 7u);
}

TEST_F(CimdResolverTest, NoStoreIsNotCached) {
  for (const char* directive : {"no-store", "no-cache", "private, NO-STORE"}) {
    const std::string path = std::string("/ns-") + std::to_string(server_.requests()) + ".json";
    serve_good(path, "n", {{Field::cache_control, directive}});
    CimdResolver resolver(options());
    const size_t before = server_.requests();
    ASSERT_TRUE(resolve(resolver, url(path)).ok());
    ASSERT_TRUE(resolve(resolver, url(path)).ok());
    EXPECT_EQ(server_.requests(), before + 2) << directive;
    EXPECT_EQ(resolver.cache_size(), 0u) << directive;
  }
}

TEST_F(CimdResolverTest, FailuresAreNotCached) {
  route("/flaky.json", make_reply(500, "{}"));
  CimdResolver resolver(options());
  auto m = resolve(resolver, url("/flaky.json"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(resolver.cache_size(), 0u);

  serve_good("/flaky.json", "Fixed");
  m = resolve(resolver, url("/flaky.json"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->client_name, "Fixed");
  EXPECT_EQ(server_.requests(), 2u);
}

asio::awaitable<void> resolve_into(CimdResolver* resolver,
                                   std::string id,
                                   std::optional<Result<ClientMetadata>>* out) {
  *out = co_await resolver->resolve(std::move(id));
}

// ATTACKS row 56: a fetch storm for one URL is merged into one request.
TEST_F(CimdResolverTest, ConcurrentResolutionsShareOneFetch) {
  TestReply slow = make_reply(200, good_doc(url("/storm.json")).dump());
  slow.delay = 200ms;  // keep the fetch in flight while the others arrive
  route("/storm.json", slow);
  CimdResolver resolver(options());

  asio::io_context ioc;
  std::vector<std::optional<Result<ClientMetadata>>> results(20);
  for (auto& r : results) {
    asio::co_spawn(ioc, resolve_into(&resolver, url("/storm.json"), &r), asio::detached);
  }
  ioc.run();

  EXPECT_EQ(server_.requests(), 1u);
  EXPECT_EQ(resolver.fetch_count(), 1u);
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->ok()) << r->error().message;
    EXPECT_EQ((*r)->client_id, url("/storm.json"));
    EXPECT_EQ((*r)->fetched_at, kT0);
  }
}

TEST_F(CimdResolverTest, ConcurrentResolutionsAcrossThreadsShareOneFailure) {
  TestReply slow = make_reply(503, "{}");
  slow.delay = 200ms;
  route("/down.json", slow);
  CimdResolver resolver(options());

  asio::io_context ioc;
  std::vector<std::optional<Result<ClientMetadata>>> results(20);
  for (auto& r : results) {
    asio::co_spawn(
        asio::make_strand(ioc), resolve_into(&resolver, url("/down.json"), &r), asio::detached);
  }
  std::thread second([&ioc] { ioc.run(); });
  ioc.run();
  second.join();

  EXPECT_EQ(server_.requests(), 1u);
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(r->error().message, results.front()->error().message);
  }
  EXPECT_EQ(resolver.cache_size(), 0u);

  // The failure was not kept: the next resolution fetches again.
  serve_good("/down.json");
  EXPECT_TRUE(resolve(resolver, url("/down.json")).ok());
  EXPECT_EQ(server_.requests(), 2u);
}

TEST_F(CimdResolverTest, CacheIsBoundedLeastRecentlyUsedFirst) {
  CimdResolverOptions opt = options();
  opt.max_cache_entries = 2;
  CimdResolver resolver(opt);
  for (const char* p : {"/a.json", "/b.json", "/c.json"}) {
    serve_good(p);
  }
  ASSERT_TRUE(resolve(resolver, url("/a.json")).ok());
  ASSERT_TRUE(resolve(resolver, url("/b.json")).ok());
  ASSERT_TRUE(resolve(resolver, url("/a.json")).ok());  // a is now the most recent
  ASSERT_TRUE(resolve(resolver, url("/c.json")).ok());  // evicts b
  EXPECT_EQ(resolver.cache_size(), 2u);
  EXPECT_EQ(server_.requests(), 3u);
  ASSERT_TRUE(resolve(resolver, url("/a.json")).ok());
  EXPECT_EQ(server_.requests(), 3u);
  ASSERT_TRUE(resolve(resolver, url("/b.json")).ok());
  EXPECT_EQ(server_.requests(), 4u);

  resolver.clear_cache();
  EXPECT_EQ(resolver.cache_size(), 0u);
}

TEST_F(CimdResolverTest, InvalidUrlsNeverReachTheNetwork) {
  serve_good("/client.json");
  CimdResolver resolver(options());
  for (const std::string& bad : {url("/a/../client.json"),
                                 url("/%2e%2e/client.json"),
                                 url("/client.json?x=1"),
                                 url("/client.json#f"),
                                 url("/"),
                                 url("/client.json").replace(0, 7, "ftp://")}) {
    auto m = resolve(resolver, bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(server_.connections(), 0u);
}

// With the loopback switch off (production), loopback URLs are refused before connecting.
TEST_F(CimdResolverTest, PublicOnlyPolicyRefusesLoopbackBeforeConnecting) {
  serve_good("/client.json");
  CimdResolverOptions opt = options();
  opt.allow_loopback_for_tests = false;
  CimdResolver resolver(opt);
  const std::string port = std::to_string(server_.port());

  auto m = resolve(resolver, "https://localhost:" + port + "/client.json");  // name → 127.0.0.1
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kPermissionDenied) << m.error().message;

  m = resolve(resolver, "https://127.0.0.1:" + port + "/client.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kPermissionDenied) << m.error().message;

  m = resolve(resolver, "https://[::ffff:127.0.0.1]:" + port + "/client.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kPermissionDenied) << m.error().message;

  m = resolve(resolver, url("/client.json"));  // http://127.0.0.1:port: not https
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument) << m.error().message;

  EXPECT_EQ(server_.connections(), 0u);
  EXPECT_EQ(resolver.fetch_count(), 1u);  // only the localhost one got as far as resolving
}

TEST_F(CimdResolverTest, WorksOverTlsWithAnExplicitCa) {
  const auto cert = http::testing::make_self_signed_certificate("DNS:localhost,IP:127.0.0.1");
  const std::string ca_path = ::testing::TempDir() + "cimd-test-ca.pem";
  {
    std::FILE* f = std::fopen(ca_path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(cert.cert_pem.c_str(), f);
    std::fclose(f);
  }
  std::string self;
  TestServer tls_server([&self](const Request&) { return make_reply(200, good_doc(self).dump()); },
                        http::testing::make_server_tls(cert));
  self = tls_server.url("/client.json", "localhost");

  CimdResolverOptions opt = options();
  auto client = http::HttpClient::create({.ca_file = ca_path, .pool = {}});
  ASSERT_TRUE(client.ok()) << client.error().message;
  opt.http_client = std::make_shared<const http::HttpClient>(std::move(client).value());
  CimdResolver resolver(opt);
  auto m = resolve(resolver, self);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->host, "localhost");

  // The default client (system CA store) refuses the self-signed certificate.
  CimdResolver strict(options());
  m = resolve(strict, self);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kUnavailable);
  std::remove(ca_path.c_str());
}

}  // namespace
}  // namespace mcpgate::oauth
