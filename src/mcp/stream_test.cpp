#include "mcp/stream.hpp"

#include <thread>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace mcpgate::mcp {
namespace {

TEST(EventStreamTest, ReadReturnsEventsAfterCursor) {
  EventStream s("7", 16);
  s.push("a");
  s.push("b");
  s.push("c");
  auto snap = s.read(1, false);
  ASSERT_EQ(snap.events.size(), 2u);
  EXPECT_EQ(snap.events[0].data, "b");
  EXPECT_EQ(s.event_id(snap.events[0].seq), "7-2");
  EXPECT_FALSE(snap.complete);
}

TEST(EventStreamTest, CompleteAppendsFinalEventAndRejectsMore) {
  EventStream s("1", 16);
  s.push("n");
  s.complete(std::string("final"));
  EXPECT_FALSE(s.push("late"));
  auto snap = s.read(0, false);
  ASSERT_EQ(snap.events.size(), 2u);
  EXPECT_EQ(snap.events.back().data, "final");
  EXPECT_TRUE(snap.complete);
}

TEST(EventStreamTest, BoundedBufferDropsOldestAndReportsLoss) {
  EventStream s("1", 2);
  s.push("a");
  s.push("b");
  s.push("c");
  auto snap = s.read(0, false);
  ASSERT_EQ(snap.events.size(), 2u);
  EXPECT_EQ(snap.events[0].data, "b");
  EXPECT_TRUE(snap.lost_events);
}

TEST(EventStreamTest, OnlyOneReaderAtATimeAndAttachClearsCloseRequest) {
  asio::io_context ioc;
  EventStream s("1", 4);
  auto r1 = std::make_shared<Notifier>(ioc.get_executor());
  auto r2 = std::make_shared<Notifier>(ioc.get_executor());
  ASSERT_TRUE(s.attach(r1));
  EXPECT_FALSE(s.attach(r2));
  s.request_close();
  EXPECT_TRUE(s.read(0, true).close_requested);
  s.request_close();
  s.detach(r1, 0);
  ASSERT_TRUE(s.attach(r2));
  EXPECT_FALSE(s.read(0, false).close_requested);
}

TEST(EventStreamTest, CloseRequestHoldsBackLaterEventsForTheNextReader) {
  EventStream s("1", 8);
  s.push("before");
  s.request_close();
  s.complete(std::string("result"));
  auto closing = s.read(0, true);
  ASSERT_EQ(closing.events.size(), 1u);
  EXPECT_EQ(closing.events[0].data, "before");
  EXPECT_TRUE(closing.close_requested);
  EXPECT_FALSE(closing.complete);
  auto next = s.read(closing.events[0].seq, false);
  ASSERT_EQ(next.events.size(), 1u);
  EXPECT_EQ(next.events[0].data, "result");
  EXPECT_TRUE(next.complete);
}

TEST(EventStreamTest, PushFromAnotherThreadWakesTheReader) {
  asio::io_context ioc;
  EventStream s("1", 4);
  auto reader = std::make_shared<Notifier>(ioc.get_executor());
  ASSERT_TRUE(s.attach(reader));
  bool woke = false;
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        while (s.read(0, false).events.empty()) {
          co_await reader->wait(std::chrono::seconds(10));
        }
        woke = true;
      },
      asio::detached);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s.push("x");
  });
  ioc.run_for(std::chrono::seconds(5));
  producer.join();
  EXPECT_TRUE(woke);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST(EventStreamTest, ParsesEventIds) {
  auto p = parse_event_id("12-34");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->first, "12");
  EXPECT_EQ(p->second, 34u);
  EXPECT_FALSE(parse_event_id("nodash").has_value());
  EXPECT_FALSE(parse_event_id("1-x").has_value());
  EXPECT_FALSE(parse_event_id("-5").has_value());
}

}  // namespace
}  // namespace mcpgate::mcp
