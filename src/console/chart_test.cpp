// The overview's SVG line charts: scale, shape, escaping and degenerate input.
#include "console/chart.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mcpgate::console {
namespace {

std::size_t chart_count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(ConsoleChart, NiceCeilingRoundsUpToOneTwoFive) {
  EXPECT_EQ(nice_ceiling(0), 1);
  EXPECT_EQ(nice_ceiling(1), 1);
  EXPECT_EQ(nice_ceiling(3), 5);
  EXPECT_EQ(nice_ceiling(7), 10);
  EXPECT_EQ(nice_ceiling(11), 20);
  EXPECT_EQ(nice_ceiling(49), 50);
  EXPECT_EQ(nice_ceiling(51), 100);
  EXPECT_EQ(nice_ceiling(-4), 1);
  EXPECT_GE(nice_ceiling(INT64_MAX), INT64_MAX / 2);
}

TEST(ConsoleChart, OnePolylinePerSeriesOnASharedScale) {
  Chart c;
  c.title = "calls";
  c.width = 136;  // plot from x=36 to x=128
  c.height = 150;
  c.series.push_back({"calls", "blue", {0, 10, 5}});
  c.series.push_back({"denied", "red", {2}});  // shorter: padded with 0
  const std::string svg = svg_line_chart(c);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
  EXPECT_EQ(chart_count(svg, "<polyline"), 2u);
  EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
  // y max: 10; plot top 22, bottom 116; x from 36 to 128 in two steps of 46.
  EXPECT_NE(svg.find("points=\"36.0,116.0 82.0,22.0 128.0,69.0\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("points=\"36.0,97.2 82.0,116.0 128.0,116.0\""), std::string::npos) << svg;
  EXPECT_NE(svg.find(">10</text>"), std::string::npos);
  EXPECT_NE(svg.find("calls 15"), std::string::npos);  // legend totals
  EXPECT_NE(svg.find("denied 2"), std::string::npos);
  EXPECT_NE(svg.find("#2563eb"), std::string::npos);
  EXPECT_NE(svg.find("#dc2626"), std::string::npos);
}

TEST(ConsoleChart, EscapesEveryTextAndSurvivesDegenerateInput) {
  Chart c;
  const std::string evil = "</text><script>alert(1)</script>\"'";
  c.title = evil;
  c.first_label = evil;
  c.last_label = evil;
  c.series.push_back({evil, "<bad color>\"", {-5, 0}});
  const std::string svg = svg_line_chart(c);
  EXPECT_EQ(svg.find("<script"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<bad"), std::string::npos);
  EXPECT_EQ(chart_count(svg, "&lt;script&gt;"), 6u);  // aria-label, title, text, 2 labels, legend
  EXPECT_NE(svg.find("#6b7280"), std::string::npos);    // unknown colour: gray
  EXPECT_NE(svg.find(">1</text>"), std::string::npos);  // all zero (negative counts as 0): y max 1
  // No series, one point, tiny sizes: still a well-formed element.
  Chart empty;
  empty.width = 1;
  empty.height = 1;
  const std::string e = svg_line_chart(empty);
  EXPECT_EQ(e.rfind("<svg", 0), 0u);
  EXPECT_EQ(chart_count(e, "<polyline"), 0u);
  Chart one;
  one.series.push_back({"x", "blue", {3}});
  EXPECT_EQ(chart_count(svg_line_chart(one), "<polyline"), 1u);
}

}  // namespace
}  // namespace mcpgate::console
