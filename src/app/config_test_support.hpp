#pragma once
// Helpers shared by the configuration tests.

#include <string>

#include <gtest/gtest.h>

#include "app/config.hpp"

namespace mcpgate::app::test_support {

// Parses and finalizes `yaml`; a parse error fails the calling test (and yields defaults).
inline Config parse_ok(const std::string& yaml) {
  auto c = parse_config(yaml, "test.yaml");
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  if (!c.ok()) {
    return Config{};
  }
  Config out = std::move(c).value();
  finalize_config(out);
  return out;
}

}  // namespace mcpgate::app::test_support
