#pragma once
// Small SVG line charts drawn on the server (the console's overview): no script, no external
// resource, so the page keeps its CSP of default-src 'none'. Every text in the chart (title,
// series labels, axis labels) is HTML-escaped here; values are integers, so the markup is
// fully determined by the builder.
//
// Thread-safe (pure functions).

#include <cstdint>
#include <string>
#include <vector>

namespace mcpgate::console {

struct ChartSeries {
  std::string label;
  std::string color;  // one of the builder's palette names: "blue", "red", "amber", "gray"
  std::vector<std::int64_t> values;
};

struct Chart {
  std::string title;
  std::vector<ChartSeries> series;  // equal lengths (shorter ones are padded with 0)
  std::string first_label;          // under the x axis, left and right ("24 h ago", "now")
  std::string last_label;
  int width = 520;
  int height = 150;
};

// <svg role="img" aria-label="title">...</svg>: one polyline per series on a shared y scale
// (0 .. the largest value, rounded up to a readable step), the y maximum labelled, a legend
// with each series' total. Negative values count as 0; an unknown color is gray.
std::string svg_line_chart(const Chart& chart);

// The y axis maximum for a largest value: 1, 2, 5, 10, 20, 50, ... (never below 1).
std::int64_t nice_ceiling(std::int64_t value);

}  // namespace mcpgate::console
