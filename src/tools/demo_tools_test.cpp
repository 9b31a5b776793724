#include "tools/demo_tools.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "mcp/registry.hpp"
#include "mcp/schema.hpp"

namespace mcpgate::tools {
namespace {

using mcp::Json;
using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

class FakeToolContext : public mcp::ToolContext {
 public:
  asio::awaitable<void> progress(double /*progress*/, std::optional<double> /*total*/,
                                 std::string /*message*/) override {
    co_return;
  }
  asio::awaitable<void> log(std::string /*level*/, Json /*data*/) override { co_return; }
  bool cancelled() const override { return false; }
  const std::string& subject() const override { return subject_; }

 private:
  std::string subject_;
};

// Runs `aw` to completion on a private io_context. Boost 1.74's use_future needs a
// default-constructible result (Result<Json> is not), so the value travels through an optional.
template <class T>
T run_awaitable(asio::awaitable<T> aw) {
  asio::io_context ioc;
  std::optional<T> out;
  auto fut = asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(aw)); },
      asio::use_future);
  ioc.run();
  fut.get();  // rethrows
  return std::move(*out);
}

// 2025-05-02 (the seed day) and a clock fixed at 08:00 UTC that morning.
constexpr auto kToday = std::chrono::sys_days{std::chrono::year{2025} / 5 / 2};

DemoToolsOptions fixed_options() {
  DemoToolsOptions options;
  options.today = kToday;
  options.now = [] { return std::chrono::sys_seconds{kToday} + 8h; };
  return options;
}

const std::vector<std::string> kToolNames = {
    "list_events",     "get_availability", "create_event", "delete_event",
    "search_messages", "read_message",     "send_message", "delete_message"};

class DemoToolsTest : public ::testing::Test {
 protected:
  void SetUp() override { register_demo_tools(registry_, fixed_options()); }

  const mcp::Tool& tool(const std::string& name) const {
    const mcp::Tool* t = registry_.find_tool(name);
    if (t == nullptr) {
      throw std::runtime_error("no tool " + name);
    }
    return *t;
  }

  // Runs the tool's handler to completion; the handler must not fail at the protocol level.
  Json call(const std::string& name, Json args) const {
    FakeToolContext ctx;
    Result<Json> r = run_awaitable(tool(name).handler(std::move(args), ctx));
    if (!r) {
      throw std::runtime_error("protocol error from " + name + ": " + r.error().message);
    }
    return std::move(r).value();
  }

  // A successful call: no isError, the structuredContent conforms to the outputSchema, and the
  // JSON text block repeats it.
  Json call_ok(const std::string& name, Json args) const {
    const Json& input_schema = tool(name).descriptor.at("inputSchema");
    const Status input_ok = mcp::validate_json_schema(input_schema, args);
    EXPECT_TRUE(input_ok.ok()) << name << " happy-path arguments should satisfy the inputSchema: "
                               << (input_ok.ok() ? "" : input_ok.error().message);
    const Json result = call(name, std::move(args));
    EXPECT_FALSE(result.value("isError", false)) << result.dump(2);
    EXPECT_TRUE(result.contains("structuredContent")) << result.dump(2);
    const Json& structured = result.at("structuredContent");
    const Status out_ok =
        mcp::validate_json_schema(tool(name).descriptor.at("outputSchema"), structured);
    EXPECT_TRUE(out_ok.ok()) << name << ": " << (out_ok.ok() ? "" : out_ok.error().message);
    const Json& content = result.at("content");
    EXPECT_EQ(content.size(), 2U);
    EXPECT_EQ(content.at(0).at("type"), "text");
    EXPECT_FALSE(content.at(0).at("text").get<std::string>().empty());
    EXPECT_EQ(Json::parse(content.at(1).at("text").get<std::string>()), structured);
    return structured;
  }

  // A tool-level failure; returns its message.
  std::string call_error(const std::string& name, Json args) const {
    const Json result = call(name, std::move(args));
    EXPECT_TRUE(result.value("isError", false)) << result.dump(2);
    EXPECT_FALSE(result.contains("structuredContent"));
    return result.at("content").at(0).at("text").get<std::string>();
  }

  mcp::Registry registry_;
};

std::vector<std::string> ids_of(const Json& items) {
  std::vector<std::string> ids;
  for (const auto& item : items) {
    ids.push_back(item.at("id").get<std::string>());
  }
  return ids;
}

// ---- descriptors ----

TEST_F(DemoToolsTest, RegistersAllToolsWithCompleteDescriptors) {
  ASSERT_EQ(registry_.tools().size(), kToolNames.size());
  for (const auto& name : kToolNames) {
    SCOPED_TRACE(name);
    const Json& d = tool(name).descriptor;
    EXPECT_EQ(d.at("name"), name);
    EXPECT_FALSE(d.at("title").get<std::string>().empty());
    EXPECT_FALSE(d.at("description").get<std::string>().empty());
    const Json& in = d.at("inputSchema");
    EXPECT_EQ(in.at("type"), "object");
    EXPECT_EQ(in.at("additionalProperties"), false);
    for (const auto& [prop, schema] : in.at("properties").items()) {
      EXPECT_TRUE(schema.contains("description")) << prop;
      EXPECT_TRUE(schema.contains("type")) << prop;
    }
    for (const auto& req : in.value("required", Json::array())) {
      EXPECT_TRUE(in.at("properties").contains(req.get<std::string>())) << req;
    }
    EXPECT_EQ(d.at("outputSchema").at("type"), "object");
    EXPECT_EQ(d.at("outputSchema").at("additionalProperties"), false);
    const Json& hints = d.at("annotations");
    for (const char* key : {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}) {
      EXPECT_TRUE(hints.at(key).is_boolean()) << key;
    }
  }
}

TEST_F(DemoToolsTest, AnnotationsMatchWhatTheToolsDo) {
  struct Expect {
    const char* name;
    bool read_only;
    bool destructive;
    bool open_world;
  };
  for (const Expect e : {Expect{"list_events", true, false, false},
                         Expect{"get_availability", true, false, false},
                         Expect{"create_event", false, false, false},
                         Expect{"delete_event", false, true, false},
                         Expect{"search_messages", true, false, false},
                         Expect{"read_message", true, false, false},
                         Expect{"send_message", false, false, true},
                         Expect{"delete_message", false, true, false}}) {
    SCOPED_TRACE(e.name);
    const Json& hints = tool(e.name).descriptor.at("annotations");
    EXPECT_EQ(hints.at("readOnlyHint"), e.read_only);
    EXPECT_EQ(hints.at("destructiveHint"), e.destructive);
    EXPECT_EQ(hints.at("openWorldHint"), e.open_world);
  }
}

TEST_F(DemoToolsTest, UnknownArgumentsAreRejectedByEveryTool) {
  for (const auto& name : kToolNames) {
    SCOPED_TRACE(name);
    EXPECT_NE(call_error(name, Json{{"bogus", 1}}).find("unknown argument 'bogus'"),
              std::string::npos);
  }
}

// ---- list_events ----

TEST_F(DemoToolsTest, ListEventsReturnsSeedEventsEarliestFirst) {
  const Json out = call_ok("list_events", Json::object());
  EXPECT_EQ(out.at("total"), 8);
  const Json& events = out.at("events");
  ASSERT_EQ(events.size(), 8U);
  EXPECT_TRUE(std::is_sorted(events.begin(), events.end(), [](const Json& a, const Json& b) {
    return a.at("start").get<std::string>() < b.at("start").get<std::string>();
  }));
  EXPECT_EQ(events.at(0).at("title"), "Vendor security review");
  EXPECT_EQ(events.at(0).at("start"), "2025-05-01T16:00:00Z");
}

TEST_F(DemoToolsTest, ListEventsFiltersByOverlapWithRange) {
  const Json out = call_ok("list_events", {{"from", "2025-05-02T00:00:00Z"}, {"to", "2025-05-03T00:00:00Z"}});
  EXPECT_EQ(out.at("total"), 4);
  // An event that merely overlaps the range counts: 11:00-12:00 overlaps [11:30, 11:45).
  const Json overlap = call_ok("list_events", {{"from", "2025-05-02T11:30:00Z"}, {"to", "2025-05-02T11:45:00Z"}});
  ASSERT_EQ(overlap.at("events").size(), 1U);
  EXPECT_EQ(overlap.at("events").at(0).at("title"), "Design review: gateway audit log");
  // Offsets are honoured: 13:30+02:00 is 11:30Z.
  const Json offset = call_ok("list_events", {{"from", "2025-05-02T13:30:00+02:00"}, {"to", "2025-05-02T13:45:00+02:00"}});
  EXPECT_EQ(ids_of(offset.at("events")), ids_of(overlap.at("events")));
}

TEST_F(DemoToolsTest, ListEventsHonoursMaxResultsAndReportsTotal) {
  const Json out = call_ok("list_events", {{"max_results", 3}});
  EXPECT_EQ(out.at("events").size(), 3U);
  EXPECT_EQ(out.at("total"), 8);
}

TEST_F(DemoToolsTest, ListEventsRejectsBadArguments) {
  EXPECT_NE(call_error("list_events", {{"from", "tomorrow"}}).find("`from` is not an RFC 3339 date-time"),
            std::string::npos);
  EXPECT_NE(call_error("list_events", {{"to", "2025-13-01T00:00:00Z"}}).find("`to`"), std::string::npos);
  EXPECT_NE(call_error("list_events", {{"from", "2025-05-02T10:00:00Z"}, {"to", "2025-05-02T10:00:00Z"}})
                .find("must be after `from`"),
            std::string::npos);
  EXPECT_NE(call_error("list_events", {{"max_results", 0}}).find("between 1 and 500"), std::string::npos);
  EXPECT_NE(call_error("list_events", {{"max_results", 501}}).find("between 1 and 500"), std::string::npos);
  EXPECT_NE(call_error("list_events", {{"max_results", 2.5}}).find("integer"), std::string::npos);
  EXPECT_NE(call_error("list_events", {{"max_results", "5"}}).find("integer"), std::string::npos);
  EXPECT_NE(call_error("list_events", {{"from", 12}}).find("must be a string"), std::string::npos);
}

// ---- get_availability ----

TEST_F(DemoToolsTest, AvailabilityListsGapsBetweenEvents) {
  const Json out = call_ok("get_availability", {{"date", "2025-05-02"}});
  EXPECT_EQ(out.at("timezone"), "UTC");
  EXPECT_EQ(out.at("duration_minutes"), 30);
  EXPECT_EQ(out.at("working_hours").at("start"), "2025-05-02T09:00:00Z");
  // Busy: 09:30-09:45, 11:00-12:00, 13:00-14:00, 15:30-16:30.
  const std::vector<std::pair<std::string, int>> expected = {
      {"2025-05-02T09:00:00Z", 30}, {"2025-05-02T09:45:00Z", 75}, {"2025-05-02T12:00:00Z", 60},
      {"2025-05-02T14:00:00Z", 90}, {"2025-05-02T16:30:00Z", 30}};
  const Json& slots = out.at("free_slots");
  ASSERT_EQ(slots.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(slots.at(i).at("start"), expected[i].first);
    EXPECT_EQ(slots.at(i).at("minutes"), expected[i].second);
  }
}

TEST_F(DemoToolsTest, AvailabilityHonoursMinimumDuration) {
  const Json out = call_ok("get_availability", {{"date", "2025-05-02"}, {"duration_minutes", 61}});
  std::vector<int> minutes;
  for (const auto& s : out.at("free_slots")) {
    minutes.push_back(s.at("minutes").get<int>());
  }
  EXPECT_EQ(minutes, (std::vector<int>{75, 90}));
  const Json none = call_ok("get_availability", {{"date", "2025-05-02"}, {"duration_minutes", 120}});
  EXPECT_TRUE(none.at("free_slots").empty());
}

TEST_F(DemoToolsTest, AvailabilityOfAnEmptyDayIsTheWholeWorkingDay) {
  const Json out = call_ok("get_availability", {{"date", "2025-06-10"}});
  ASSERT_EQ(out.at("free_slots").size(), 1U);
  EXPECT_EQ(out.at("free_slots").at(0).at("start"), "2025-06-10T09:00:00Z");
  EXPECT_EQ(out.at("free_slots").at(0).at("end"), "2025-06-10T17:00:00Z");
  EXPECT_EQ(out.at("free_slots").at(0).at("minutes"), 480);
}

TEST_F(DemoToolsTest, AvailabilityAccountsForEventsSpanningTheDayEdges) {
  call_ok("create_event", {{"title", "Offsite"}, {"start", "2025-06-09T20:00:00Z"}, {"end", "2025-06-10T10:00:00Z"}});
  call_ok("create_event", {{"title", "Flight"}, {"start", "2025-06-10T16:00:00Z"}, {"end", "2025-06-10T23:00:00Z"}});
  const Json out = call_ok("get_availability", {{"date", "2025-06-10"}});
  ASSERT_EQ(out.at("free_slots").size(), 1U);
  EXPECT_EQ(out.at("free_slots").at(0).at("start"), "2025-06-10T10:00:00Z");
  EXPECT_EQ(out.at("free_slots").at(0).at("end"), "2025-06-10T16:00:00Z");
}

TEST_F(DemoToolsTest, AvailabilityRejectsBadArguments) {
  EXPECT_NE(call_error("get_availability", Json::object()).find("`date` is required"), std::string::npos);
  EXPECT_NE(call_error("get_availability", {{"date", "2025-02-30"}}).find("YYYY-MM-DD"), std::string::npos);
  EXPECT_NE(call_error("get_availability", {{"date", "05/02/2025"}}).find("YYYY-MM-DD"), std::string::npos);
  EXPECT_NE(call_error("get_availability", {{"date", "2025-05-02T00:00:00Z"}}).find("YYYY-MM-DD"),
            std::string::npos);
  EXPECT_NE(call_error("get_availability", {{"date", "2025-05-02"}, {"duration_minutes", 4}})
                .find("between 5 and 480"),
            std::string::npos);
}

// ---- create_event ----

TEST_F(DemoToolsTest, CreateEventStoresAndReturnsTheEvent) {
  const Json out = call_ok("create_event", {{"title", "Architecture sync"},
                                            {"start", "2025-05-06T10:00:00+02:00"},
                                            {"end", "2025-05-06T10:45:00+02:00"},
                                            {"attendees", {"ana@example.com", "ANA@example.com", "ben@example.org"}},
                                            {"location", "Room 1"}});
  const Json& event = out.at("event");
  EXPECT_EQ(event.at("title"), "Architecture sync");
  EXPECT_EQ(event.at("start"), "2025-05-06T08:00:00Z");
  EXPECT_EQ(event.at("end"), "2025-05-06T08:45:00Z");
  EXPECT_EQ(event.at("attendees"), (Json{"ana@example.com", "ben@example.org"}));
  EXPECT_EQ(event.at("location"), "Room 1");
  const Json listed = call_ok("list_events", {{"from", "2025-05-06T00:00:00Z"}, {"to", "2025-05-07T00:00:00Z"}});
  ASSERT_EQ(listed.at("events").size(), 1U);
  EXPECT_EQ(listed.at("events").at(0), event);
}

TEST_F(DemoToolsTest, CreateEventWithoutOptionalFields) {
  const Json out = call_ok("create_event", {{"title", "Focus time"},
                                            {"start", "2025-05-07T13:00:00"},
                                            {"end", "2025-05-07T15:00:00.500Z"}});
  EXPECT_EQ(out.at("event").at("start"), "2025-05-07T13:00:00Z");
  EXPECT_EQ(out.at("event").at("end"), "2025-05-07T15:00:00Z");
  EXPECT_TRUE(out.at("event").at("attendees").empty());
  EXPECT_FALSE(out.at("event").contains("location"));
}

TEST_F(DemoToolsTest, CreateEventValidatesItsInput) {
  const Json base = {{"title", "T"}, {"start", "2025-05-06T10:00:00Z"}, {"end", "2025-05-06T11:00:00Z"}};
  const auto with = [&](const char* key, Json value) {
    Json args = base;
    args[key] = std::move(value);
    return args;
  };
  const auto without = [&](const char* key) {
    Json args = base;
    args.erase(key);
    return args;
  };
  EXPECT_NE(call_error("create_event", with("end", "2025-05-06T10:00:00Z")).find("`end` (2025-05-06T10:00:00Z) must be after `start`"),
            std::string::npos);
  EXPECT_NE(call_error("create_event", with("end", "2025-05-06T09:00:00Z")).find("must be after `start`"),
            std::string::npos);
  EXPECT_NE(call_error("create_event", with("start", "2025-05-06 25:00")).find("`start` is not an RFC 3339"),
            std::string::npos);
  EXPECT_NE(call_error("create_event", without("title")).find("`title` is required"), std::string::npos);
  EXPECT_NE(call_error("create_event", without("end")).find("`end` is required"), std::string::npos);
  EXPECT_NE(call_error("create_event", with("title", "   ")).find("`title` must not be empty"), std::string::npos);
  EXPECT_NE(call_error("create_event", with("title", std::string(201, 'x'))).find("at most 200"), std::string::npos);
  // 200 multi-byte characters are fine: the limit counts characters, not bytes.
  std::string accented;
  for (int i = 0; i < 200; ++i) {
    accented += "\u00e9";
  }
  call_ok("create_event", with("title", accented));
  EXPECT_NE(call_error("create_event", with("title", "a\nb")).find("control characters"), std::string::npos);
  EXPECT_NE(call_error("create_event", with("attendees", Json{"ana@example.com", "not-an-email"}))
                .find("`attendees[1]` is not an e-mail address: 'not-an-email'"),
            std::string::npos);
  EXPECT_NE(call_error("create_event", with("attendees", "ana@example.com")).find("must be an array"),
            std::string::npos);
  EXPECT_NE(call_error("create_event", with("attendees", Json{1})).find("`attendees[0]` must be a string"),
            std::string::npos);
  EXPECT_NE(call_error("create_event", with("location", 7)).find("`location` must be a string"), std::string::npos);
  // Nothing was stored by the failed calls (only the accented one succeeded).
  EXPECT_EQ(call_ok("list_events", Json::object()).at("total"), 9);
}

// ---- delete_event ----

TEST_F(DemoToolsTest, DeleteEventRemovesItOnce) {
  const Json out = call_ok("delete_event", {{"event_id", "evt_3"}});
  EXPECT_EQ(out.at("deleted"), true);
  EXPECT_EQ(out.at("event").at("title"), "Design review: gateway audit log");
  const Json listed = call_ok("list_events", Json::object());
  const auto ids = ids_of(listed.at("events"));
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "evt_3"), 0);
  EXPECT_EQ(listed.at("total"), 7);
  EXPECT_EQ(call_error("delete_event", {{"event_id", "evt_3"}}),
            "No event with id 'evt_3'. Use list_events to find event ids.");
}

TEST_F(DemoToolsTest, DeleteEventRejectsBadArguments) {
  EXPECT_NE(call_error("delete_event", Json::object()).find("`event_id` is required"), std::string::npos);
  EXPECT_NE(call_error("delete_event", {{"event_id", 3}}).find("must be a string"), std::string::npos);
  EXPECT_NE(call_error("delete_event", {{"event_id", "evt_999"}}).find("No event with id 'evt_999'"),
            std::string::npos);
}

// ---- search_messages ----

TEST_F(DemoToolsTest, SearchMatchesSubjectBodyAndSenderCaseInsensitively) {
  const Json lunch = call_ok("search_messages", {{"query", "LUNCH"}});
  EXPECT_EQ(lunch.at("total"), 2);
  // Newest first: the reply (20:01) before the question (19:20).
  EXPECT_EQ(lunch.at("messages").at(0).at("subject"), "Re: Lunch tomorrow?");
  EXPECT_EQ(lunch.at("messages").at(1).at("subject"), "Lunch tomorrow?");
  const Json by_sender = call_ok("search_messages", {{"query", "it-helpdesk@"}});
  ASSERT_EQ(by_sender.at("messages").size(), 1U);
  EXPECT_EQ(by_sender.at("messages").at(0).at("from"), "it-helpdesk@example.com");
  const Json by_body = call_ok("search_messages", {{"query", "412.80 eur"}});
  ASSERT_EQ(by_body.at("messages").size(), 1U);
  EXPECT_EQ(by_body.at("messages").at(0).at("subject"), "Invoice 2024-118 is available");
  EXPECT_TRUE(call_ok("search_messages", {{"query", "no such words"}}).at("messages").empty());
}

TEST_F(DemoToolsTest, SearchFiltersByFolderAndLimits) {
  const Json sent = call_ok("search_messages", {{"query", "lunch"}, {"folder", "sent"}});
  ASSERT_EQ(sent.at("messages").size(), 1U);
  EXPECT_EQ(sent.at("messages").at(0).at("folder"), "sent");
  const Json all = call_ok("search_messages", {{"query", ""}});
  EXPECT_EQ(all.at("total"), 6);
  const auto& messages = all.at("messages");
  EXPECT_TRUE(std::is_sorted(messages.begin(), messages.end(), [](const Json& a, const Json& b) {
    return a.at("date").get<std::string>() > b.at("date").get<std::string>();
  }));
  const Json two = call_ok("search_messages", {{"query", ""}, {"max_results", 2}});
  EXPECT_EQ(two.at("messages").size(), 2U);
  EXPECT_EQ(two.at("total"), 6);
  // Snippets collapse whitespace and are short.
  for (const auto& m : messages) {
    const auto snippet = m.at("snippet").get<std::string>();
    EXPECT_EQ(snippet.find('\n'), std::string::npos);
    EXPECT_LE(snippet.size(), 124U);
  }
}

TEST_F(DemoToolsTest, SearchRejectsBadArguments) {
  EXPECT_NE(call_error("search_messages", Json::object()).find("`query` is required"), std::string::npos);
  EXPECT_NE(call_error("search_messages", {{"query", "x"}, {"folder", "spam"}}).find("\"inbox\" or \"sent\""),
            std::string::npos);
  EXPECT_NE(call_error("search_messages", {{"query", "x"}, {"max_results", 101}}).find("between 1 and 100"),
            std::string::npos);
  EXPECT_NE(call_error("search_messages", {{"query", std::string(201, 'q')}}).find("at most 200"),
            std::string::npos);
}

// ---- read_message ----

TEST_F(DemoToolsTest, ReadMessageReturnsTheWholeMessage) {
  const Json out = call_ok("read_message", {{"message_id", "msg_2"}});
  const Json& m = out.at("message");
  EXPECT_EQ(m.at("id"), "msg_2");
  EXPECT_EQ(m.at("from"), "marta.lopez@example.org");
  EXPECT_EQ(m.at("subject"), "Lunch tomorrow?");
  EXPECT_NE(m.at("body").get<std::string>().find("curry special"), std::string::npos);
  EXPECT_EQ(m.at("date"), "2025-04-30T19:20:00Z");
}

TEST_F(DemoToolsTest, ReadMessageRejectsUnknownIds) {
  EXPECT_EQ(call_error("read_message", {{"message_id", "msg_404"}}),
            "No message with id 'msg_404'. Use search_messages to find message ids.");
  EXPECT_NE(call_error("read_message", Json::object()).find("`message_id` is required"), std::string::npos);
}

// ---- send_message ----

TEST_F(DemoToolsTest, SendMessageFilesItInSent) {
  const Json out = call_ok("send_message", {{"to", {"priya.shah@example.com"}},
                                            {"subject", "Retention"},
                                            {"body", "90 days looks fine to me.\n\nAlex"}});
  const Json& m = out.at("message");
  EXPECT_EQ(m.at("folder"), "sent");
  EXPECT_EQ(m.at("from"), "alex.morgan@example.com");
  EXPECT_EQ(m.at("to"), Json{"priya.shah@example.com"});
  EXPECT_EQ(m.at("date"), "2025-05-02T08:00:00Z");
  const Json found = call_ok("search_messages", {{"query", "retention"}, {"folder", "sent"}});
  ASSERT_EQ(found.at("messages").size(), 1U);
  EXPECT_EQ(found.at("messages").at(0).at("id"), m.at("id"));
  EXPECT_EQ(call_ok("read_message", {{"message_id", m.at("id")}}).at("message"), m);
}

TEST_F(DemoToolsTest, SendMessageValidatesItsInput) {
  const Json base = {{"to", {"ana@example.com"}}, {"subject", "Hi"}, {"body", "Hello"}};
  const auto with = [&](const char* key, Json value) {
    Json args = base;
    args[key] = std::move(value);
    return args;
  };
  EXPECT_NE(call_error("send_message", with("to", Json::array())).find("at least 1"), std::string::npos);
  EXPECT_NE(call_error("send_message", with("to", Json{"ana@example.com", "bob@"})).find("`to[1]` is not an e-mail address"),
            std::string::npos);
  EXPECT_NE(call_error("send_message", with("to", Json{"Ana <ana@example.com>"})).find("not an e-mail address"),
            std::string::npos);
  EXPECT_NE(call_error("send_message", with("subject", "Hi\r\nBcc: eve@example.com")).find("single line"),
            std::string::npos);
  EXPECT_NE(call_error("send_message", with("subject", "")).find("`subject` must not be empty"), std::string::npos);
  EXPECT_NE(call_error("send_message", with("body", std::string("a\0b", 3))).find("control characters"),
            std::string::npos);
  Json no_body = base;
  no_body.erase("body");
  EXPECT_NE(call_error("send_message", no_body).find("`body` is required"), std::string::npos);
  EXPECT_EQ(call_ok("search_messages", {{"query", ""}, {"folder", "sent"}}).at("total"), 2);
}

// ---- delete_message ----

TEST_F(DemoToolsTest, DeleteMessageRemovesItOnce) {
  const Json out = call_ok("delete_message", {{"message_id", "msg_1"}});
  EXPECT_EQ(out.at("deleted"), true);
  EXPECT_EQ(out.at("message").at("subject"), "Invoice 2024-118 is available");
  EXPECT_TRUE(call_ok("search_messages", {{"query", "invoice"}}).at("messages").empty());
  EXPECT_NE(call_error("delete_message", {{"message_id", "msg_1"}}).find("No message with id 'msg_1'"),
            std::string::npos);
  EXPECT_NE(call_error("delete_message", {{"message_id", ""}}).find("must not be empty"), std::string::npos);
}

// ---- isolation and concurrency ----

TEST(DemoToolsIsolationTest, EachRegistrationHasItsOwnStore) {
  mcp::Registry a;
  mcp::Registry b;
  register_demo_tools(a, fixed_options());
  register_demo_tools(b, fixed_options());
  FakeToolContext ctx;
  const Json del = *run_awaitable(a.find_tool("delete_event")->handler({{"event_id", "evt_1"}}, ctx));
  EXPECT_FALSE(del.value("isError", false));
  const Json list = *run_awaitable(b.find_tool("list_events")->handler(Json::object(), ctx));
  EXPECT_EQ(list.at("structuredContent").at("total"), 8);
}

TEST_F(DemoToolsTest, ConcurrentCreatesAndDeletesKeepTheStoreConsistent) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  std::atomic<int> deleted{0};
  std::atomic<int> failures{0};
  std::atomic<bool> writers_done{false};
  std::vector<std::vector<std::string>> kept(kThreads);

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string start = "2025-07-01T10:00:00Z";
          const Json created =
              call("create_event", {{"title", "load " + std::to_string(t) + "/" + std::to_string(i)},
                                    {"start", start},
                                    {"end", "2025-07-01T11:00:00Z"}});
          const std::string id = created.at("structuredContent").at("event").at("id");
          if (i % 2 == 0) {
            const Json del = call("delete_event", {{"event_id", id}});
            if (del.value("isError", false)) {
              ++failures;
            } else {
              ++deleted;
            }
          } else {
            kept[static_cast<size_t>(t)].push_back(id);
          }
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  // A reader lists concurrently; every snapshot must be internally consistent.
  std::thread reader([&] {
    while (!writers_done) {
      try {
        const Json page = call("list_events", {{"max_results", 500}});
        const Json& events = page.at("structuredContent").at("events");
        const auto ids = ids_of(events);
        const std::set<std::string> unique(ids.begin(), ids.end());
        if (unique.size() != events.size()) {
          ++failures;
        }
      } catch (const std::exception&) {
        ++failures;
      }
    }
  });
  for (auto& th : threads) {
    th.join();
  }
  writers_done = true;
  reader.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(deleted.load(), kThreads * kPerThread / 2);
  const Json page = call_ok("list_events", {{"from", "2025-07-01T00:00:00Z"}, {"to", "2025-07-02T00:00:00Z"},
                                            {"max_results", 500}});
  std::vector<std::string> expected;
  for (const auto& ids : kept) {
    expected.insert(expected.end(), ids.begin(), ids.end());
  }
  std::vector<std::string> actual = ids_of(page.at("events"));
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(std::set<std::string>(actual.begin(), actual.end()).size(), actual.size());
  EXPECT_EQ(call_ok("list_events", {{"max_results", 500}}).at("total"),
            8 + kThreads * kPerThread / 2);
}

}  // namespace
}  // namespace mcpgate::tools
