#pragma once
// Internal value representation of the cel module (not part of the public interface).
//
// Val is a 24-byte trivially copyable handle: scalars live inline, strings, lists, maps and IP
// addresses are borrowed pointers into storage that outlives the evaluation (a Value from the
// activation, a constant of the Program, or the per-evaluation arena). Evaluating `x < 10` or
// `s.startsWith("a")` therefore never allocates.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cel/cel.hpp"

namespace mcpgate::cel {

// 128-bit intermediates for overflow-free duration and timestamp arithmetic (GCC and Clang);
// __extension__ keeps -Wpedantic from rejecting the type.
__extension__ typedef __int128 Int128;  // NOLINT(modernize-use-using): __extension__ needs typedef

enum class Kind : std::uint8_t {
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kDuration,   // i: nanoseconds (Go's time.Duration range, as cel-go)
  kTimestamp,  // i: seconds since the Unix epoch, nanos: 0..999'999'999
  kIpAddress,
  kList,
  kMap,
  // Evaluation-only states; never stored in a Value.
  kError,    // i: index into the evaluation's error messages
  kUnknown,  // depends on an absent parameter
};

const char* kind_name(Kind kind);

struct ListData;
struct MapData;
struct IpAddr;

struct Val {
  Kind kind = Kind::kNull;
  std::uint32_t nanos = 0;

  union {
    bool b;
    std::int64_t i = 0;
    std::uint64_t u;
    double d;
    const char* s;
    const ListData* list;
    const MapData* map;
    const IpAddr* ip;
  };

  std::size_t len = 0;  // string / bytes length in bytes

  static Val null() { return Val{}; }

  static Val boolean(bool v) {
    Val out;
    out.kind = Kind::kBool;
    out.b = v;
    return out;
  }

  static Val integer(std::int64_t v) {
    Val out;
    out.kind = Kind::kInt;
    out.i = v;
    return out;
  }

  static Val uinteger(std::uint64_t v) {
    Val out;
    out.kind = Kind::kUint;
    out.u = v;
    return out;
  }

  static Val dbl(double v) {
    Val out;
    out.kind = Kind::kDouble;
    out.d = v;
    return out;
  }

  static Val str(std::string_view v, Kind kind = Kind::kString) {
    Val out;
    out.kind = kind;
    out.s = v.data();
    out.len = v.size();
    return out;
  }

  static Val duration(std::int64_t nanos) {
    Val out;
    out.kind = Kind::kDuration;
    out.i = nanos;
    return out;
  }

  static Val timestamp(std::int64_t seconds, std::uint32_t nanos) {
    Val out;
    out.kind = Kind::kTimestamp;
    out.i = seconds;
    out.nanos = nanos;
    return out;
  }

  static Val of_list(const ListData* list) {
    Val out;
    out.kind = Kind::kList;
    out.list = list;
    return out;
  }

  static Val of_map(const MapData* map) {
    Val out;
    out.kind = Kind::kMap;
    out.map = map;
    return out;
  }

  static Val of_ip(const IpAddr* ip) {
    Val out;
    out.kind = Kind::kIpAddress;
    out.ip = ip;
    return out;
  }

  std::string_view view() const { return {s, len}; }
};

struct ListData {
  std::vector<Val> items;
};

struct MapData {
  std::vector<std::pair<Val, Val>> entries;
  // Built for larger maps with string keys only; small maps are scanned.
  std::unordered_map<std::string_view, std::uint32_t> string_index;

  void build_index();
};

struct IpAddr {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4
  bool v4 = false;
  std::string zone;  // IPv6 zone ("fe80::1%eth0"); a zoned address is in no CIDR
};

// The public value: owns the storage its Val points into. Built once, never moved (it lives
// behind a shared_ptr<const Value>), so the internal pointers stay valid.
class Value {
 public:
  Value() = default;
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;

  const Val& val() const { return val_; }

  static ValuePtr make_scalar(const Val& scalar);  // null, bool, numbers, duration, timestamp
  static ValuePtr make_string(std::string text, Kind kind = Kind::kString);
  static ValuePtr make_ip(IpAddr ip);
  static ValuePtr make_list(std::vector<ValuePtr> items);
  static ValuePtr make_map(std::vector<std::pair<std::string, ValuePtr>> entries);
  // Any key kinds (map literals may use int, uint and bool keys).
  static ValuePtr make_map(std::vector<std::pair<ValuePtr, ValuePtr>> entries);

 private:
  Val val_;
  std::string text_;
  IpAddr ip_;
  ListData list_;
  MapData map_;
  std::vector<std::string> keys_;
  std::vector<ValuePtr> children_;
};

// --- Parsers and formatters shared by value_from_json, conversions and literals. ---

// Go's time.ParseDuration syntax ("1h2m3.5s", "-1.5h", "300ms", "0"); nanoseconds.
Result<std::int64_t> parse_duration(std::string_view text);
std::string format_duration(std::int64_t nanos);  // cel-go style: seconds with "s" suffix

// RFC 3339 as Go's time.Parse(time.RFC3339) accepts it.
Result<Val> parse_timestamp(std::string_view text);
std::string format_timestamp(std::int64_t seconds, std::uint32_t nanos);  // UTC, "Z"

// Go's netip.ParseAddr, with IPv4-mapped IPv6 unmapped (as OpenFGA does).
Result<IpAddr> parse_ip(std::string_view text);
// Whether `ip` lies in `cidr` (Go's netip.ParsePrefix syntax; OpenFGA's mapped-prefix rule).
Result<bool> ip_in_cidr(const IpAddr& ip, std::string_view cidr);
std::string format_ip(const IpAddr& ip);
bool ip_equal(const IpAddr& a, const IpAddr& b);

// Civil-calendar helpers (proleptic Gregorian, UTC).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);
void civil_from_days(std::int64_t days, std::int64_t& year, unsigned& month, unsigned& day);

// CEL's timestamp range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
constexpr std::int64_t kMinTimestampSeconds = -62135596800;
constexpr std::int64_t kMaxTimestampSeconds = 253402300799;

}  // namespace mcpgate::cel
