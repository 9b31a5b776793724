// Calendar tools of the demo set: list_events, get_availability, create_event, delete_event.

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "tools/demo_store.hpp"
#include "tools/demo_support.hpp"

namespace mcpgate::tools::demo {

namespace {

using std::chrono::hours;
using std::chrono::minutes;

// The JSON Schema of one event, as found in list_events, create_event and delete_event output.
constexpr std::string_view kEventSchema = R"json({
  "type": "object",
  "properties": {
    "id": {"type": "string", "description": "Event id, used by delete_event."},
    "title": {"type": "string"},
    "start": {"type": "string", "format": "date-time", "description": "UTC start time."},
    "end": {"type": "string", "format": "date-time", "description": "UTC end time (exclusive)."},
    "attendees": {"type": "array", "items": {"type": "string", "format": "email"}},
    "location": {"type": "string", "description": "Absent when the event has no location."}
  },
  "required": ["id", "title", "start", "end", "attendees"],
  "additionalProperties": false
})json";

std::string with_event_schema(std::string_view schema) {
  return expand_schema(schema, "$EVENT", kEventSchema);
}

Json event_json(const CalendarEvent& e) {
  Json j = Json::object();
  j["id"] = e.id;
  j["title"] = e.title;
  j["start"] = format_date_time(e.start);
  j["end"] = format_date_time(e.end);
  j["attendees"] = e.attendees;
  if (!e.location.empty()) {
    j["location"] = e.location;
  }
  return j;
}

// "2025-05-02 09:30–10:00 UTC", or with both dates when the event spans midnight.
std::string describe_span(sys_seconds start, sys_seconds end) {
  const auto day_start = std::chrono::floor<std::chrono::days>(start);
  const auto day_end = std::chrono::floor<std::chrono::days>(end - std::chrono::seconds{1});
  const std::chrono::hh_mm_ss s{start - day_start};
  const std::chrono::hh_mm_ss e{end - std::chrono::floor<std::chrono::days>(end)};
  if (day_start == day_end) {
    return fmt::format("{} {:02}:{:02}\u2013{:02}:{:02} UTC", format_date(day_start),
                       s.hours().count(), s.minutes().count(), e.hours().count(),
                       e.minutes().count());
  }
  return fmt::format("{} \u2013 {} UTC", format_date_time(start), format_date_time(end));
}

std::string describe_event(const CalendarEvent& e) {
  std::string line = fmt::format("{}  {} [{}]", describe_span(e.start, e.end), e.title, e.id);
  if (!e.location.empty()) {
    line += fmt::format(" @ {}", e.location);
  }
  if (!e.attendees.empty()) {
    line += fmt::format(" with {}", fmt::join(e.attendees, ", "));
  }
  return line;
}

std::string plural(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}


// ---- list_events ----

constexpr std::string_view kListEventsInput = R"json({
  "type": "object",
  "properties": {
    "from": {"type": "string", "format": "date-time",
             "description": "Only events ending after this RFC 3339 date-time (e.g. 2025-05-02T00:00:00Z; no offset means UTC). Default: no lower bound."},
    "to": {"type": "string", "format": "date-time",
           "description": "Only events starting before this RFC 3339 date-time; must be after `from`. Default: no upper bound."},
    "max_results": {"type": "integer", "minimum": 1, "maximum": 500, "default": 20,
                    "description": "Maximum number of events to return (earliest first)."}
  },
  "additionalProperties": false
})json";

constexpr std::string_view kListEventsOutput = R"json({
  "type": "object",
  "properties": {
    "events": {"type": "array", "items": "$EVENT", "description": "Earliest first."},
    "total": {"type": "integer", "minimum": 0,
              "description": "Number of matching events before max_results was applied."}
  },
  "required": ["events", "total"],
  "additionalProperties": false
})json";

Result<Json> list_events(DemoStore& store, const Json& args) {
  const Args a(args);
  MCPGATE_TRY(a.only({"from", "to", "max_results"}));
  MCPGATE_ASSIGN_OR_RETURN(auto from, a.optional_date_time("from"));
  MCPGATE_ASSIGN_OR_RETURN(auto to, a.optional_date_time("to"));
  MCPGATE_ASSIGN_OR_RETURN(auto max_results, a.optional_int("max_results", 1, 500));
  if (from && to && *to <= *from) {
    return invalid_argument(fmt::format("`to` ({}) must be after `from` ({})", format_date_time(*to),
                               format_date_time(*from)));
  }
  const auto page = store.list_events(from, to, static_cast<size_t>(max_results.value_or(20)));

  Json structured = Json::object();
  structured["events"] = Json::array();
  for (const auto& e : page.items) {
    structured["events"].push_back(event_json(e));
  }
  structured["total"] = page.total;

  std::string range;
  if (from) {
    range += " from " + format_date_time(*from);
  }
  if (to) {
    range += " until " + format_date_time(*to);
  }
  std::string summary;
  if (page.items.empty()) {
    summary = "No events" + range + ".";
  } else {
    summary = plural(page.total, "event", "events") + range;
    if (page.items.size() < page.total) {
      summary += fmt::format(" (showing the first {})", page.items.size());
    }
    summary += ":";
    for (const auto& e : page.items) {
      summary += "\n- " + describe_event(e);
    }
  }
  return tool_success(std::move(summary), std::move(structured));
}

// ---- get_availability ----

constexpr std::string_view kAvailabilityInput = R"json({
  "type": "object",
  "properties": {
    "date": {"type": "string", "format": "date", "description": "The day to check, YYYY-MM-DD."},
    "duration_minutes": {"type": "integer", "minimum": 5, "maximum": 480, "default": 30,
                         "description": "Only report free slots at least this long."}
  },
  "required": ["date"],
  "additionalProperties": false
})json";

constexpr std::string_view kAvailabilityOutput = R"json({
  "type": "object",
  "properties": {
    "date": {"type": "string", "format": "date"},
    "timezone": {"type": "string", "const": "UTC"},
    "working_hours": {
      "type": "object",
      "properties": {
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"}
      },
      "required": ["start", "end"],
      "additionalProperties": false
    },
    "duration_minutes": {"type": "integer"},
    "free_slots": {
      "type": "array",
      "description": "Free intervals of the working day not covered by any event, earliest first.",
      "items": {
        "type": "object",
        "properties": {
          "start": {"type": "string", "format": "date-time"},
          "end": {"type": "string", "format": "date-time"},
          "minutes": {"type": "integer", "minimum": 1}
        },
        "required": ["start", "end", "minutes"],
        "additionalProperties": false
      }
    }
  },
  "required": ["date", "timezone", "working_hours", "duration_minutes", "free_slots"],
  "additionalProperties": false
})json";

Result<Json> get_availability(DemoStore& store, const Json& args) {
  const Args a(args);
  MCPGATE_TRY(a.only({"date", "duration_minutes"}));
  MCPGATE_ASSIGN_OR_RETURN(std::string date_text, a.required_string("date", 1, 32));
  const auto day = parse_date(date_text);
  if (!day) {
    return invalid_argument(fmt::format("`date` must be a calendar date YYYY-MM-DD, got '{}'",
                               utf8_truncate(date_text, 40)));
  }
  MCPGATE_ASSIGN_OR_RETURN(auto duration, a.optional_int("duration_minutes", 5, 480));
  const minutes min_length{duration.value_or(30)};

  const sys_seconds day_start = sys_seconds{*day} + hours{9};
  const sys_seconds day_end = sys_seconds{*day} + hours{17};
  const auto busy = store.list_events(day_start, day_end, std::numeric_limits<size_t>::max());

  Json slots = Json::array();
  std::string lines;
  const auto add_slot = [&](sys_seconds start, sys_seconds end) {
    if (end - start < min_length) {
      return;
    }
    const auto length = std::chrono::duration_cast<minutes>(end - start).count();
    Json slot = Json::object();
    slot["start"] = format_date_time(start);
    slot["end"] = format_date_time(end);
    slot["minutes"] = length;
    slots.push_back(std::move(slot));
    const std::chrono::hh_mm_ss s{start - sys_seconds{*day}};
    const std::chrono::hh_mm_ss e{end - sys_seconds{*day}};
    lines += fmt::format("\n- {:02}:{:02}\u2013{:02}:{:02} ({} min)", s.hours().count(),
                         s.minutes().count(), e.hours().count(), e.minutes().count(), length);
  };
  sys_seconds cursor = day_start;
  for (const auto& e : busy.items) {  // sorted by start
    if (e.start > cursor) {
      add_slot(cursor, std::min(e.start, day_end));
    }
    cursor = std::max(cursor, e.end);
    if (cursor >= day_end) {
      break;
    }
  }
  if (cursor < day_end) {
    add_slot(cursor, day_end);
  }

  Json structured = Json::object();
  structured["date"] = format_date(*day);
  structured["timezone"] = "UTC";
  structured["working_hours"] = Json::object();
  structured["working_hours"]["start"] = format_date_time(day_start);
  structured["working_hours"]["end"] = format_date_time(day_end);
  structured["duration_minutes"] = min_length.count();
  const size_t slot_count = slots.size();
  structured["free_slots"] = std::move(slots);

  std::string summary;
  if (slot_count == 0) {
    summary = fmt::format("No free slot of {} minutes or more on {} between 09:00 and 17:00 UTC.",
                          min_length.count(), format_date(*day));
  } else {
    summary = fmt::format("{} of at least {} minutes on {} (working hours 09:00\u201317:00 UTC):{}",
                          plural(slot_count, "free slot", "free slots"), min_length.count(),
                          format_date(*day), lines);
  }
  return tool_success(std::move(summary), std::move(structured));
}

// ---- create_event ----

constexpr std::string_view kCreateEventInput = R"json({
  "type": "object",
  "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Event title."},
    "start": {"type": "string", "format": "date-time",
              "description": "Start, RFC 3339 (e.g. 2025-05-02T14:00:00Z; no offset means UTC)."},
    "end": {"type": "string", "format": "date-time",
            "description": "End, RFC 3339; must be after `start`."},
    "attendees": {"type": "array", "maxItems": 50,
                  "items": {"type": "string", "format": "email"},
                  "description": "E-mail addresses of the people to invite (duplicates are dropped)."},
    "location": {"type": "string", "maxLength": 200, "description": "Room, address or call link."}
  },
  "required": ["title", "start", "end"],
  "additionalProperties": false
})json";

constexpr std::string_view kEventOutput = R"json({
  "type": "object",
  "properties": {"event": "$EVENT"},
  "required": ["event"],
  "additionalProperties": false
})json";

Result<Json> create_event(DemoStore& store, const Json& args) {
  const Args a(args);
  MCPGATE_TRY(a.only({"title", "start", "end", "attendees", "location"}));
  MCPGATE_ASSIGN_OR_RETURN(std::string title, a.required_string("title", 1, 200));
  if (has_control_chars(title, false)) {
    return invalid_argument("`title` must not contain control characters such as line breaks");
  }
  MCPGATE_ASSIGN_OR_RETURN(sys_seconds start, a.required_date_time("start"));
  MCPGATE_ASSIGN_OR_RETURN(sys_seconds end, a.required_date_time("end"));
  if (end <= start) {
    return invalid_argument(fmt::format("`end` ({}) must be after `start` ({})", format_date_time(end),
                               format_date_time(start)));
  }
  MCPGATE_ASSIGN_OR_RETURN(auto attendees, a.email_list("attendees", 0, 50));
  MCPGATE_ASSIGN_OR_RETURN(auto location, a.optional_string("location", 200));
  if (location && has_control_chars(*location, false)) {
    return invalid_argument("`location` must not contain control characters such as line breaks");
  }
  const CalendarEvent event = store.create_event(std::move(title), start, end, std::move(attendees),
                                                 location.value_or(""));
  Json structured = Json::object();
  structured["event"] = event_json(event);
  return tool_success("Created event: " + describe_event(event), std::move(structured));
}

// ---- delete_event ----

constexpr std::string_view kDeleteEventInput = R"json({
  "type": "object",
  "properties": {
    "event_id": {"type": "string", "minLength": 1, "maxLength": 64,
                 "description": "Id of the event to delete, as returned by list_events (e.g. evt_3)."}
  },
  "required": ["event_id"],
  "additionalProperties": false
})json";

constexpr std::string_view kDeleteEventOutput = R"json({
  "type": "object",
  "properties": {
    "deleted": {"type": "boolean", "const": true},
    "event": "$EVENT"
  },
  "required": ["deleted", "event"],
  "additionalProperties": false
})json";

Result<Json> delete_event(DemoStore& store, const Json& args) {
  const Args a(args);
  MCPGATE_TRY(a.only({"event_id"}));
  MCPGATE_ASSIGN_OR_RETURN(std::string id, a.required_string("event_id", 1, 64));
  const auto removed = store.delete_event(id);
  if (!removed) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("No event with id '{}'. Use list_events to find event ids.",
                                  utf8_truncate(id, 64)));
  }
  Json structured = Json::object();
  structured["deleted"] = true;
  structured["event"] = event_json(*removed);
  return tool_success("Deleted event: " + describe_event(*removed), std::move(structured));
}

}  // namespace

void add_calendar_tools(mcp::Registry& registry, const std::shared_ptr<DemoStore>& store) {
  const auto bind = [&store](Result<Json> (*fn)(DemoStore&, const Json&)) {
    return make_handler([store, fn](const Json& args) { return fn(*store, args); });
  };
  add_tool(registry, "calendar",
      tool_descriptor("list_events", "List calendar events",
                      "Lists events of the user's calendar, earliest first, optionally only those "
                      "overlapping a time range. Times are UTC.",
                      kListEventsInput, with_event_schema(kListEventsOutput),
                      Hints{.read_only = true, .destructive = false, .idempotent = true,
                            .open_world = false}),
      bind(&list_events));
  add_tool(registry, "calendar",
      tool_descriptor("get_availability", "Find free time",
                      "Returns the free slots of one working day (09:00-17:00 UTC) that no "
                      "calendar event covers, optionally only slots of a minimum length.",
                      kAvailabilityInput, kAvailabilityOutput,
                      Hints{.read_only = true, .destructive = false, .idempotent = true,
                            .open_world = false}),
      bind(&get_availability));
  add_tool(registry, "calendar",
      tool_descriptor("create_event", "Create calendar event",
                      "Adds an event to the user's calendar and returns it with its id. Attendees "
                      "are recorded, not notified.",
                      kCreateEventInput, with_event_schema(kEventOutput),
                      Hints{.read_only = false, .destructive = false, .idempotent = false,
                            .open_world = false}),
      bind(&create_event));
  add_tool(registry, "calendar",
      tool_descriptor("delete_event", "Delete calendar event",
                      "Permanently removes one event from the user's calendar.", kDeleteEventInput,
                      with_event_schema(kDeleteEventOutput),
                      Hints{.read_only = false, .destructive = true, .idempotent = true,
                            .open_world = false}),
      bind(&delete_event));
}

}  // namespace mcpgate::tools::demo
