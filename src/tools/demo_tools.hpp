#pragma once
// The `demo` tool set: a small calendar and a mailbox over an in-process store, so a fresh
// gateway has tools worth calling. Nothing leaves the process: "sending" a message files it in
// the "sent" folder.
//
// Tools (all argument objects are closed: unknown keys are rejected):
//   calendar  list_events, get_availability, create_event, delete_event
//   mailbox   search_messages, read_message, send_message, delete_message
//
// Each registration owns its own store, seeded with a few events around the current day and a
// handful of messages. Handlers lock the store for the duration of one operation only, so they
// may run concurrently on any thread. All times are UTC; date-times are written as
// "YYYY-MM-DDTHH:MM:SSZ".
//
// Failures a caller can fix (bad dates, end before start, malformed addresses, unknown ids) come
// back as CallToolResults with isError: true and a message naming the argument; handlers never
// return a protocol-level Error.

#include <chrono>
#include <functional>

#include "mcp/registry.hpp"

namespace mcpgate::tools {

struct DemoToolsOptions {
  // The day the seed data is arranged around (events today, tomorrow, ...).
  std::chrono::sys_days today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  // Timestamp of sent messages. Defaults to the system clock.
  std::function<std::chrono::sys_seconds()> now;
};

// Registers the eight demo tools with a fresh store seeded around today (UTC).
void register_demo_tools(mcp::Registry& registry);
// The same with a fixed day and clock (tests, reproducible demos).
void register_demo_tools(mcp::Registry& registry, DemoToolsOptions options);

}  // namespace mcpgate::tools
