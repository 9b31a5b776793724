#include "mcp/session.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace mcpgate::mcp {
namespace {

SessionTable::NewSession fresh_session() {
  SessionTable::NewSession s;
  s.protocol_version = "2025-11-25";
  s.max_stream_events = 8;
  return s;
}

TEST(SessionTableTest, IssuesDistinctRandomIds) {
  SessionTable table(10, std::chrono::seconds(60));
  auto a = table.create(fresh_session());
  auto b = table.create(fresh_session());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->id(), b->id());
  EXPECT_EQ(table.find(a->id()), a);
}

TEST(SessionTableTest, ExpiresIdleSessionsButKeepsBusyOnes) {
  SessionTable table(10, std::chrono::seconds(0));
  auto idle = table.create(fresh_session());
  auto busy = table.create(fresh_session());
  auto flag = busy->begin_request("1");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  table.expire_idle();
  EXPECT_EQ(table.find(idle->id()), nullptr);
  EXPECT_TRUE(idle->closed());
  EXPECT_EQ(table.find(busy->id()), busy);
}

TEST(SessionTableTest, RefusesSessionsBeyondTheCap) {
  SessionTable table(1, std::chrono::seconds(3600));
  ASSERT_NE(table.create(fresh_session()), nullptr);
  EXPECT_EQ(table.create(fresh_session()), nullptr);
}

TEST(SessionTableTest, RemoveClosesStreamsAndCancelsRequests) {
  SessionTable table(4, std::chrono::seconds(3600));
  auto s = table.create(fresh_session());
  auto stream = s->new_stream();
  auto flag = s->begin_request("7");
  ASSERT_TRUE(table.remove(s->id()));
  EXPECT_TRUE(stream->read(0, false).killed);
  EXPECT_TRUE(flag->load());
  EXPECT_FALSE(table.remove(s->id()));
}

TEST(SessionTableTest, CreateWithAGivenIdReturnsTheExistingSessionOnASecondCall) {
  SessionTable table(4, std::chrono::seconds(3600));
  auto fresh = fresh_session();
  fresh.id = "sealed-id";
  fresh.attachments = Json{{"upstreams", {{"crm", "u-1"}}}};
  auto first = table.create(fresh);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->id(), "sealed-id");
  EXPECT_EQ(first->attachments()["upstreams"]["crm"], "u-1");
  auto second = table.create(fresh);  // two requests resuming the same id at once
  EXPECT_EQ(second, first);
  EXPECT_EQ(table.size(), 1u);
}

TEST(SessionTableTest, TerminatedIdsAreRememberedUntilTheirDeadline) {
  SessionTable table(4, std::chrono::seconds(3600));
  const auto now = Session::Clock::now();
  table.mark_terminated("gone", now + std::chrono::hours(1));
  table.mark_terminated("long-gone", now - std::chrono::seconds(1));
  EXPECT_TRUE(table.terminated("gone"));
  EXPECT_FALSE(table.terminated("long-gone"));
  EXPECT_FALSE(table.terminated("never-seen"));
}

TEST(SessionTableTest, HasRoomReflectsTheCap) {
  SessionTable table(1, std::chrono::seconds(3600));
  EXPECT_TRUE(table.has_room());
  ASSERT_NE(table.create(fresh_session()), nullptr);
  EXPECT_FALSE(table.has_room());
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
