#pragma once
// Internal to the demo tool set: the in-process calendar and mailbox the tools operate on.
// Thread-safe: every method takes the store's mutex for its whole operation and returns copies,
// so a caller never holds a reference into the store.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/registry.hpp"

namespace mcpgate::tools::demo {

using std::chrono::sys_days;
using std::chrono::sys_seconds;

struct CalendarEvent {
  std::string id;  // "evt_<n>"
  std::string title;
  sys_seconds start;
  sys_seconds end;  // > start
  std::vector<std::string> attendees;
  std::string location;  // "" when none
};

struct MailMessage {
  std::string id;      // "msg_<n>"
  std::string folder;  // "inbox" | "sent"
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body;
  sys_seconds date;
};

template <class T>
struct Page {
  std::vector<T> items;  // at most the requested limit
  size_t total = 0;      // how many matched before the limit
};

class DemoStore {
 public:
  // The mailbox owner: sender of every sent message.
  static constexpr std::string_view kOwnAddress = "alex.morgan@example.com";

  // Seeds events around `today` and a few messages dated before it. `now` stamps sent messages.
  DemoStore(sys_days today, std::function<sys_seconds()> now);

  // Events overlapping [from, to) (unbounded on an absent side), by start time then id.
  Page<CalendarEvent> list_events(std::optional<sys_seconds> from, std::optional<sys_seconds> to,
                                  size_t limit) const;
  CalendarEvent create_event(std::string title, sys_seconds start, sys_seconds end,
                             std::vector<std::string> attendees, std::string location);
  // The removed event, or nullopt when no event has that id.
  std::optional<CalendarEvent> delete_event(const std::string& id);
  size_t event_count() const;

  // Messages whose subject, body or sender contains `query` (ASCII case-insensitive; "" matches
  // all), in `folder` or in every folder, newest first.
  Page<MailMessage> search_messages(std::string_view query, std::optional<std::string> folder,
                                    size_t limit) const;
  std::optional<MailMessage> find_message(const std::string& id) const;
  // Files a message from kOwnAddress in "sent", dated now().
  MailMessage send_message(std::vector<std::string> to, std::string subject, std::string body);
  std::optional<MailMessage> delete_message(const std::string& id);
  size_t message_count() const;

 private:
  void seed(sys_days today);

  std::function<sys_seconds()> now_;
  mutable std::mutex mu_;
  std::map<std::string, CalendarEvent> events_;
  std::map<std::string, MailMessage> messages_;
  std::uint64_t next_event_ = 1;
  std::uint64_t next_message_ = 1;
};

// The tool definitions over a shared store (demo_calendar.cpp, demo_mailbox.cpp).
void add_calendar_tools(mcp::Registry& registry, const std::shared_ptr<DemoStore>& store);
void add_mailbox_tools(mcp::Registry& registry, const std::shared_ptr<DemoStore>& store);

}  // namespace mcpgate::tools::demo
