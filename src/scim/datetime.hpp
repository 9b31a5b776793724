#pragma once
// xsd:dateTime values (RFC 7643 §2.3.5) as instants: microseconds since the Unix epoch, UTC.
// Filters compare dateTime attributes as instants, not as text, so "2011-05-13T04:42:34Z" and
// "2011-05-13T06:42:34+02:00" are equal.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::scim {

// YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]; no zone means UTC. Fractions beyond microseconds are
// truncated. nullopt for anything else (out-of-range fields included).
std::optional<std::int64_t> parse_datetime(std::string_view text);
// The canonical form: YYYY-MM-DDThh:mm:ss[.ffffff without trailing zeros]Z.
std::string format_datetime(std::int64_t micros);

}  // namespace mcpgate::scim
