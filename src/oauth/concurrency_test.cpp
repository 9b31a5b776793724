// Single use under concurrency (ATTACKS rows 18 and 29): 50 simultaneous exchanges of one code
// and 50 simultaneous refreshes of one token each yield exactly one success.

#include <gtest/gtest.h>

#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::Browser;
using testing::Harness;
using testing::authorize_code;
using testing::code_exchange;
using testing::jwt_payload;
using testing::refresh_call;

constexpr int kRacers = 50;

Harness::Setup file_backed() {
  Harness::Setup setup;
  setup.file_db = true;
  setup.executor_threads = 8;
  return setup;
}

TEST(ConcurrencyTest, Attacks018FiftyConcurrentCodeExchangesExactlyOneSucceeds) {
  Harness h(file_backed());
  Browser b(h);
  auto a = authorize_code(h, b, "public-app", "https://app.example.com/cb");
  ASSERT_FALSE(a.code.empty());
  std::vector<testing::Call> calls(kRacers, code_exchange(a, "public-app"));
  auto results = h.call_concurrently(calls, 4);
  int ok = 0;
  int invalid_grant = 0;
  std::string access_token;
  for (const auto& ex : results) {
    ASSERT_EQ(ex->responses(), 1);
    if (ex->status() == 200) {
      ++ok;
      access_token = ex->json()["access_token"];
    } else if (ex->json().value("error", "") == "invalid_grant") {
      ++invalid_grant;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(invalid_grant, kRacers - 1);
  // The others were replays: the winner's tokens are revoked with the grant.
  ASSERT_FALSE(access_token.empty());
  EXPECT_TRUE(*h.store().is_access_token_revoked(jwt_payload(access_token)["jti"].get<std::string>()));
}

TEST(ConcurrencyTest, Attacks029FiftyConcurrentRefreshesExactlyOneSucceeds) {
  Harness h(file_backed());
  Browser b(h);
  auto a = authorize_code(h, b, "public-app", "https://app.example.com/cb");
  auto first = h.call(code_exchange(a, "public-app"));
  ASSERT_EQ(first->status(), 200u);
  const std::string rt = first->json()["refresh_token"];
  std::vector<testing::Call> calls(kRacers, refresh_call(rt, "public-app"));
  auto results = h.call_concurrently(calls, 4);
  int ok = 0;
  int invalid_grant = 0;
  std::string successor;
  for (const auto& ex : results) {
    if (ex->status() == 200) {
      ++ok;
      successor = ex->json()["refresh_token"];
    } else if (ex->json().value("error", "") == "invalid_grant") {
      ++invalid_grant;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(invalid_grant, kRacers - 1);
  // No fork of the family: the successor is dead too (reuse revoked the family).
  ASSERT_FALSE(successor.empty());
  EXPECT_EQ(h.call(refresh_call(successor, "public-app"))->json()["error"], "invalid_grant");
}

TEST(ConcurrencyTest, ManyIndependentFlowsInParallel) {
  Harness h(file_backed());
  std::vector<testing::Call> calls;
  for (int i = 0; i < 10; ++i) {
    Browser b(h);
    auto a = authorize_code(h, b, "public-app", "https://app.example.com/cb");
    ASSERT_FALSE(a.code.empty());
    calls.push_back(code_exchange(a, "public-app"));
  }
  for (const auto& ex : h.call_concurrently(calls, 4)) {
    EXPECT_EQ(ex->status(), 200u) << ex->body();
  }
}

}  // namespace
}  // namespace mcpgate::oauth
