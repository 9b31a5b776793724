#include "scim/datetime.hpp"

#include <cstdio>

#include "core/ascii.hpp"

namespace mcpgate::scim {

namespace {

constexpr std::int64_t kMicrosPerSecond = 1000000;
constexpr std::int64_t kSecondsPerDay = 86400;

bool is_leap_year(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t year, int month) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to the given proleptic Gregorian date (eras of 400 years, March-based
// years so the leap day is the last day of a year).
std::int64_t days_from_date(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t year_of_era = y - era * 400;
  const std::int64_t month_index = m > 2 ? m - 3 : m + 9;
  const std::int64_t day_of_year = (153 * month_index + 2) / 5 + d - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

void date_from_days(std::int64_t days, std::int64_t& y, int& m, int& d) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;
  d = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
  m = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
  y = year_of_era + era * 400 + (m <= 2 ? 1 : 0);
}

// Exactly `n` digits at text[pos]; advances pos.
std::optional<int> read_digits(std::string_view text, std::size_t& pos, std::size_t n) {
  if (pos + n > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (!ascii::is_digit(c)) {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool expect_char(std::string_view text, std::size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<std::int64_t> parse_datetime(std::string_view text) {
  std::size_t pos = 0;
  const auto year = read_digits(text, pos, 4);
  if (!year || !expect_char(text, pos, '-')) {
    return std::nullopt;
  }
  const auto month = read_digits(text, pos, 2);
  if (!month || !expect_char(text, pos, '-')) {
    return std::nullopt;
  }
  const auto day = read_digits(text, pos, 2);
  if (!day || !(expect_char(text, pos, 'T') || expect_char(text, pos, 't'))) {
    return std::nullopt;
  }
  const auto hour = read_digits(text, pos, 2);
  if (!hour || !expect_char(text, pos, ':')) {
    return std::nullopt;
  }
  const auto minute = read_digits(text, pos, 2);
  if (!minute || !expect_char(text, pos, ':')) {
    return std::nullopt;
  }
  const auto second = read_digits(text, pos, 2);
  if (!second || *year < 1 || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month)
      || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  std::int64_t micros = 0;
  if (expect_char(text, pos, '.')) {
    std::int64_t scale = 100000;
    const std::size_t start = pos;
    while (pos < text.size() && ascii::is_digit(text[pos])) {
      micros += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  std::int64_t offset_seconds = 0;
  if (expect_char(text, pos, 'Z') || expect_char(text, pos, 'z')) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool minus = text[pos] == '-';
    ++pos;
    const auto oh = read_digits(text, pos, 2);
    if (!oh || !expect_char(text, pos, ':')) {
      return std::nullopt;
    }
    const auto om = read_digits(text, pos, 2);
    if (!om || *oh > 14 || *om > 59) {
      return std::nullopt;
    }
    offset_seconds = (*oh * 3600 + *om * 60) * (minus ? -1 : 1);
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  const std::int64_t seconds = days_from_date(*year, *month, *day) * kSecondsPerDay + *hour * 3600
                               + *minute * 60 + *second - offset_seconds;
  return seconds * kMicrosPerSecond + micros;
}

std::string format_datetime(std::int64_t micros) {
  std::int64_t seconds = micros / kMicrosPerSecond;
  std::int64_t fraction = micros % kMicrosPerSecond;
  if (fraction < 0) {
    fraction += kMicrosPerSecond;
    --seconds;
  }
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  std::int64_t y = 0;
  int m = 0;
  int d = 0;
  date_from_days(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lld", static_cast<long long>(y), m, d,
                static_cast<long long>(second_of_day / 3600), static_cast<long long>(second_of_day / 60 % 60),
                static_cast<long long>(second_of_day % 60));
  std::string out = buf;
  if (fraction != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(fraction));
    std::string frac = buf;
    while (frac.back() == '0') {
      frac.pop_back();
    }
    out += frac;
  }
  out += 'Z';
  return out;
}

}  // namespace mcpgate::scim
