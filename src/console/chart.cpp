#include "console/chart.hpp"

#include <algorithm>
#include <cstdio>

#include "oauth/login_pages.hpp"

namespace mcpgate::console {
namespace {

const char* chart_color(const std::string& name) {
  if (name == "blue") {
    return "#2563eb";
  }
  if (name == "red") {
    return "#dc2626";
  }
  if (name == "amber") {
    return "#d97706";
  }
  return "#6b7280";
}

std::string chart_num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::int64_t nice_ceiling(std::int64_t value) {
  std::int64_t step = 1;
  while (true) {
    for (const std::int64_t m : {1, 2, 5}) {
      if (value <= step * m) {
        return step * m;
      }
    }
    if (step > INT64_MAX / 100) {
      return value;
    }
    step *= 10;
  }
}

std::string svg_line_chart(const Chart& chart) {
  using oauth::html_escape;
  const int w = std::max(chart.width, 120);
  const int h = std::max(chart.height, 80);
  // Plot area: room for the y label on the left, the x labels and legend below.
  const double left = 36;
  const double right = w - 8.0;
  const double top = 22;
  const double bottom = h - 34.0;
  std::size_t points = 0;
  std::int64_t largest = 0;
  for (const auto& s : chart.series) {
    points = std::max(points, s.values.size());
    for (const auto v : s.values) {
      largest = std::max(largest, v);
    }
  }
  const std::int64_t y_max = nice_ceiling(largest);
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" width=\"" +
                    std::to_string(w) + "\" height=\"" + std::to_string(h) +
                    "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
                    "\" aria-label=\"" + html_escape(chart.title) + "\">";
  out += "<title>" + html_escape(chart.title) + "</title>";
  out += "<text x=\"4\" y=\"14\" font-size=\"12\" font-weight=\"600\">" + html_escape(chart.title) +
         "</text>";
  // Axes and the y maximum.
  out += "<line x1=\"" + chart_num(left) + "\" y1=\"" + chart_num(top) + "\" x2=\"" +
         chart_num(left) + "\" y2=\"" + chart_num(bottom) + "\" stroke=\"#d1d5db\"/>";
  out += "<line x1=\"" + chart_num(left) + "\" y1=\"" + chart_num(bottom) + "\" x2=\"" +
         chart_num(right) + "\" y2=\"" + chart_num(bottom) + "\" stroke=\"#d1d5db\"/>";
  out += "<text class=\"ymax\" x=\"" + chart_num(left - 4) + "\" y=\"" + chart_num(top + 4) +
         "\" font-size=\"10\" text-anchor=\"end\">" + std::to_string(y_max) + "</text>";
  out += "<text x=\"" + chart_num(left - 4) + "\" y=\"" + chart_num(bottom) +
         "\" font-size=\"10\" text-anchor=\"end\">0</text>";
  const double dx = points > 1 ? (right - left) / static_cast<double>(points - 1) : 0;
  for (const auto& s : chart.series) {
    std::string pts;
    for (std::size_t i = 0; i < points; ++i) {
      const std::int64_t v = i < s.values.size() ? std::max<std::int64_t>(s.values[i], 0) : 0;
      const double x = left + dx * static_cast<double>(i);
      const double y = bottom - (bottom - top) * static_cast<double>(v) / static_cast<double>(y_max);
      if (!pts.empty()) {
        pts += ' ';
      }
      pts += chart_num(x) + "," + chart_num(y);
    }
    out += "<polyline class=\"series\" fill=\"none\" stroke-width=\"2\" stroke=\"" +
           std::string(chart_color(s.color)) + "\" points=\"" + pts + "\"/>";
  }
  out += "<text x=\"" + chart_num(left) + "\" y=\"" + chart_num(bottom + 12) +
         "\" font-size=\"10\">" + html_escape(chart.first_label) + "</text>";
  out += "<text x=\"" + chart_num(right) + "\" y=\"" + chart_num(bottom + 12) +
         "\" font-size=\"10\" text-anchor=\"end\">" + html_escape(chart.last_label) + "</text>";
  double lx = left;
  for (const auto& s : chart.series) {
    std::int64_t total = 0;
    for (const auto v : s.values) {
      total += std::max<std::int64_t>(v, 0);
    }
    out += "<rect x=\"" + chart_num(lx) + "\" y=\"" + chart_num(h - 14.0) +
           "\" width=\"10\" height=\"10\" fill=\"" + std::string(chart_color(s.color)) + "\"/>";
    const std::string text = html_escape(s.label) + " " + std::to_string(total);
    out += "<text class=\"legend\" x=\"" + chart_num(lx + 14) + "\" y=\"" + chart_num(h - 5.0) +
           "\" font-size=\"11\">" + text + "</text>";
    lx += 24 + 7.0 * static_cast<double>(s.label.size() + std::to_string(total).size());
  }
  out += "</svg>";
  return out;
}

}  // namespace mcpgate::console
