// load_store_file, the loader `serve` seeds from and `policy test` runs: here the shapes serve
// meets that the CLI tests do not (no tests section, list-valued condition contexts).

#include "policy/store_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mcpgate::policy {
namespace {

class StoreFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mcpgate-storefile-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "m.fga") << "model\n  schema 1.1\ntype user\ntype client\ntype tool\n  relations\n"
                                     "    define agent: [client, client:* with kinds]\n"
                                     "condition kinds(client_kind: string, allowed: list<string>) {\n"
                                     "  client_kind in allowed\n}\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& text) {
    const auto path = dir_ / "s.fga.yaml";
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(StoreFileTest, AStoreFileWithoutTestsLoads) {
  auto s = load_store_file(write("model_file: ./m.fga\ntuples:\n"
                                 "  - {user: \"client:a\", relation: agent, object: \"tool:x\"}\n"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->tuples.size(), 1u);
  EXPECT_FALSE(s->tests.IsDefined() && s->tests.size() > 0);
}

TEST_F(StoreFileTest, ListValuedConditionContextsBecomeJsonArrays) {
  auto s = load_store_file(write("model_file: ./m.fga\ntuples:\n"
                                 "  - user: \"client:*\"\n    relation: agent\n    object: \"tool:x\"\n"
                                 "    condition:\n      name: kinds\n      context:\n        allowed: [static, cimd]\n"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->tuples.size(), 1u);
  EXPECT_EQ(s->tuples[0].condition_context, (nlohmann::json{{"allowed", {"static", "cimd"}}}));
}

}  // namespace
}  // namespace mcpgate::policy
