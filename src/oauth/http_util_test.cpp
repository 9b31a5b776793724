#include "oauth/http_util.hpp"

#include <gtest/gtest.h>

namespace mcpgate::oauth {
namespace {

http::Request post_from(const char* origin) {
  http::Request req;
  req.method(http::bhttp::verb::post);
  req.target("/authorize");
  if (origin != nullptr) {
    req.set("Origin", origin);
  }
  return req;
}

TEST(FormOriginAllowed, OnlyTheGatesOwnOriginNullOrNone) {
  constexpr const char* kOwn = "https://gate.example:8443";
  EXPECT_TRUE(form_origin_allowed(post_from(nullptr), kOwn));
  EXPECT_TRUE(form_origin_allowed(post_from("null"), kOwn));
  EXPECT_TRUE(form_origin_allowed(post_from(kOwn), kOwn));
  for (const char* other :
       {"https://evil.example", "https://gate.example", "http://gate.example:8443",
        "https://gate.example:8443/", "https://gate.example:8443.evil", "NULL"}) {
    EXPECT_FALSE(form_origin_allowed(post_from(other), kOwn)) << other;
  }
}

}  // namespace
}  // namespace mcpgate::oauth
