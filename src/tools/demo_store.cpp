#include "tools/demo_store.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include "tools/demo_support.hpp"

namespace mcpgate::tools::demo {

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

sys_seconds at(sys_days day, int hour, int minute) {
  return sys_seconds{day} + hours{hour} + minutes{minute};
}

}  // namespace

DemoStore::DemoStore(sys_days today, std::function<sys_seconds()> now) : now_(std::move(now)) {
  if (!now_) {
    now_ = [] { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); };
  }
  seed(today);
}

void DemoStore::seed(sys_days today) {
  const std::string me{kOwnAddress};
  const auto add_event = [&](std::string title, sys_seconds start, sys_seconds end,
                             std::vector<std::string> attendees, std::string location) {
    const std::string id = "evt_" + std::to_string(next_event_++);
    events_[id] = CalendarEvent{id, std::move(title), start, end, std::move(attendees),
                                std::move(location)};
  };
  add_event("Vendor security review", at(today - days{1}, 16, 0), at(today - days{1}, 17, 0),
            {"sam.okafor@example.com", "security@vendor.example.net"}, "Video call");
  add_event("Daily stand-up", at(today, 9, 30), at(today, 9, 45), {"team-platform@example.com"},
            "Video call");
  add_event("Design review: gateway audit log", at(today, 11, 0), at(today, 12, 0),
            {"priya.shah@example.com", "jonas.weber@example.com"}, "Room 4.12");
  add_event("Lunch with Marta", at(today, 13, 0), at(today, 14, 0), {"marta.lopez@example.org"},
            "Canteen, ground floor");
  add_event("Quarterly planning", at(today, 15, 30), at(today, 16, 30), {"leads@example.com"},
            "Room 2.01");
  add_event("Daily stand-up", at(today + days{1}, 9, 30), at(today + days{1}, 9, 45),
            {"team-platform@example.com"}, "Video call");
  add_event("1:1 with Priya", at(today + days{1}, 10, 0), at(today + days{1}, 10, 30),
            {"priya.shah@example.com"}, "");
  add_event("Dentist", at(today + days{2}, 14, 0), at(today + days{2}, 15, 0), {},
            "Smile Dental, 12 High Street");

  const auto add_message = [&](std::string folder, std::string from, std::vector<std::string> to,
                               std::string subject, std::string body, sys_seconds date) {
    const std::string id = "msg_" + std::to_string(next_message_++);
    messages_[id] = MailMessage{id,       std::move(folder),  std::move(from), std::move(to),
                                std::move(subject), std::move(body), date};
  };
  add_message("inbox", "billing@cloudhost.example.net", {me}, "Invoice 2024-118 is available",
              "Hello,\n\nYour invoice 2024-118 for the period of last month is now available in "
              "the billing console. Amount due: 412.80 EUR, payable within 30 days.\n\n"
              "CloudHost Billing",
              at(today - days{3}, 6, 0));
  add_message("inbox", "marta.lopez@example.org", {me}, "Lunch tomorrow?",
              "Hey Alex!\n\nAre we still on for lunch tomorrow at 13:00? The canteen has the "
              "curry special again.\n\nMarta",
              at(today - days{2}, 19, 20));
  add_message("sent", me, {"marta.lopez@example.org"}, "Re: Lunch tomorrow?",
              "Yes, 13:00 works. See you at the canteen!\n\nAlex", at(today - days{2}, 20, 1));
  add_message("inbox", "it-helpdesk@example.com", {me}, "Your replacement laptop is ready",
              "Hi Alex,\n\nYour replacement laptop (ticket IT-5521) is ready for pickup at the IT "
              "desk on floor 3, weekdays 09:00-16:00. Please bring the old device.\n\nIT Helpdesk",
              at(today - days{1}, 10, 5));
  add_message("sent", me, {"priya.shah@example.com", "jonas.weber@example.com"},
              "Gateway load test results",
              "Hi both,\n\nThe load test finished overnight: throughput is within target and p99 "
              "latency stayed flat. Numbers are in the benchmarks doc.\n\nAlex",
              at(today - days{1}, 12, 30));
  add_message("inbox", "priya.shah@example.com", {me, "jonas.weber@example.com"},
              "Audit log design: comments welcome",
              "Hi Alex,\n\nThe first draft of the audit log design is in the shared folder. Could "
              "you look at the retention section before tomorrow's design review? I am not sure "
              "90 days is enough for the compliance team.\n\nThanks,\nPriya",
              at(today - days{1}, 17, 42));
}

Page<CalendarEvent> DemoStore::list_events(std::optional<sys_seconds> from,
                                           std::optional<sys_seconds> to, size_t limit) const {
  Page<CalendarEvent> page;
  {
    const std::lock_guard lock(mu_);
    for (const auto& [id, event] : events_) {
      if ((!from || event.end > *from) && (!to || event.start < *to)) {
        page.items.push_back(event);
      }
    }
  }
  std::sort(page.items.begin(), page.items.end(), [](const auto& a, const auto& b) {
    return std::tie(a.start, a.end, a.id) < std::tie(b.start, b.end, b.id);
  });
  page.total = page.items.size();
  if (page.items.size() > limit) {
    page.items.resize(limit);
  }
  return page;
}

CalendarEvent DemoStore::create_event(std::string title, sys_seconds start, sys_seconds end,
                                      std::vector<std::string> attendees, std::string location) {
  const std::lock_guard lock(mu_);
  std::string id = "evt_" + std::to_string(next_event_++);
  CalendarEvent event{id, std::move(title), start, end, std::move(attendees), std::move(location)};
  events_.emplace(std::move(id), event);
  return event;
}

std::optional<CalendarEvent> DemoStore::delete_event(const std::string& id) {
  const std::lock_guard lock(mu_);
  auto node = events_.extract(id);
  if (node.empty()) {
    return std::nullopt;
  }
  return std::move(node.mapped());
}

size_t DemoStore::event_count() const {
  const std::lock_guard lock(mu_);
  return events_.size();
}

Page<MailMessage> DemoStore::search_messages(std::string_view query,
                                             std::optional<std::string> folder,
                                             size_t limit) const {
  Page<MailMessage> page;
  {
    const std::lock_guard lock(mu_);
    for (const auto& [id, message] : messages_) {
      if (folder && message.folder != *folder) {
        continue;
      }
      if (contains_ignore_case(message.subject, query) || contains_ignore_case(message.body, query) ||
          contains_ignore_case(message.from, query)) {
        page.items.push_back(message);
      }
    }
  }
  std::sort(page.items.begin(), page.items.end(), [](const auto& a, const auto& b) {
    return std::tie(b.date, b.id) < std::tie(a.date, a.id);
  });
  page.total = page.items.size();
  if (page.items.size() > limit) {
    page.items.resize(limit);
  }
  return page;
}

std::optional<MailMessage> DemoStore::find_message(const std::string& id) const {
  const std::lock_guard lock(mu_);
  const auto it = messages_.find(id);
  if (it == messages_.end()) {
    return std::nullopt;
  }
  return it->second;
}

MailMessage DemoStore::send_message(std::vector<std::string> to, std::string subject,
                                    std::string body) {
  const sys_seconds date = now_();
  const std::lock_guard lock(mu_);
  std::string id = "msg_" + std::to_string(next_message_++);
  MailMessage message{id,   "sent", std::string{kOwnAddress}, std::move(to), std::move(subject),
                      std::move(body), date};
  messages_.emplace(std::move(id), message);
  return message;
}

std::optional<MailMessage> DemoStore::delete_message(const std::string& id) {
  const std::lock_guard lock(mu_);
  auto node = messages_.extract(id);
  if (node.empty()) {
    return std::nullopt;
  }
  return std::move(node.mapped());
}

size_t DemoStore::message_count() const {
  const std::lock_guard lock(mu_);
  return messages_.size();
}

}  // namespace mcpgate::tools::demo
