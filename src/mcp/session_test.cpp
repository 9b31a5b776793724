#include "mcp/session.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace mcpgate::mcp {
namespace {

TEST(SessionTableTest, IssuesDistinctRandomIds) {
  SessionTable table(10, std::chrono::seconds(60));
  auto a = table.create("2025-11-25", Json::object(), Json::object(), "", 8);
  auto b = table.create("2025-11-25", Json::object(), Json::object(), "", 8);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->id(), b->id());
  EXPECT_EQ(table.find(a->id()), a);
}

TEST(SessionTableTest, ExpiresIdleSessionsButKeepsBusyOnes) {
  SessionTable table(10, std::chrono::seconds(0));
  auto idle = table.create("2025-11-25", Json::object(), Json::object(), "", 8);
  auto busy = table.create("2025-11-25", Json::object(), Json::object(), "", 8);
  auto flag = busy->begin_request("1");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  table.expire_idle();
  EXPECT_EQ(table.find(idle->id()), nullptr);
  EXPECT_TRUE(idle->closed());
  EXPECT_EQ(table.find(busy->id()), busy);
}

TEST(SessionTableTest, RefusesSessionsBeyondTheCap) {
  SessionTable table(1, std::chrono::seconds(3600));
  ASSERT_NE(table.create("2025-11-25", Json::object(), Json::object(), "", 8), nullptr);
  EXPECT_EQ(table.create("2025-11-25", Json::object(), Json::object(), "", 8), nullptr);
}

TEST(SessionTableTest, RemoveClosesStreamsAndCancelsRequests) {
  SessionTable table(4, std::chrono::seconds(3600));
  auto s = table.create("2025-11-25", Json::object(), Json::object(), "", 8);
  auto stream = s->new_stream();
  auto flag = s->begin_request("7");
  ASSERT_TRUE(table.remove(s->id()));
  EXPECT_TRUE(stream->read(0, false).killed);
  EXPECT_TRUE(flag->load());
  EXPECT_FALSE(table.remove(s->id()));
}

TEST(SessionTest, CancelRequestSetsTheRequestsFlag) {
  Session s("id", "2025-11-25", Json::object(), Json::object(), "", 8);
  auto flag = s.begin_request("\"abc\"");
  s.cancel_request("\"other\"");
  EXPECT_FALSE(flag->load());
  s.cancel_request("\"abc\"");
  EXPECT_TRUE(flag->load());
}

TEST(SessionTest, FindsStreamsForResumption) {
  Session s("id", "2025-11-25", Json::object(), Json::object(), "", 8);
  auto stream = s.new_stream();
  EXPECT_EQ(s.find_stream(stream->id()), stream);
  EXPECT_EQ(s.find_stream("0"), s.standalone());
  EXPECT_EQ(s.find_stream("999"), nullptr);
}

}  // namespace
}  // namespace mcpgate::mcp
