// The verifier: the three tamperings the issue names (edit, deletion, swap), the chain's other
// rules, and hostile lines.

#include "audit/verify.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "audit/test_support.hpp"

namespace mcpgate::audit {
namespace {

using testing::chain_lines;
using testing::join_lines;

VerifyReport verify_text(const std::string& text, VerifyOptions options = {}) {
  std::istringstream in(text);
  return verify_stream(in, options);
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(AuditVerifyTest, AnIntactChainPasses) {
  const auto lines = chain_lines(6);
  const auto report = verify_text(join_lines(lines));
  ASSERT_TRUE(report.ok()) << report.reason;
  EXPECT_EQ(report.records, 6U);
  EXPECT_EQ(report.first_seq, 1);
  EXPECT_EQ(report.last_seq, 6);
  EXPECT_EQ(report.last_hash, record_hash(lines.back()));
  // The final newline is optional.
  std::string text = join_lines(lines);
  text.pop_back();
  EXPECT_TRUE(verify_text(text).ok());
}

TEST(AuditVerifyTest, DetectsAModifiedRecord) {
  auto lines = chain_lines(6);
  // seq 3 was a denial; make it read as allowed.
  lines[2] = replace_once(lines[2], R"("decision":"deny")", R"("decision":"allow")");
  const auto report = verify_text(join_lines(lines));
  EXPECT_EQ(report.problem, Problem::kPrevMismatch);
  EXPECT_EQ(report.line, 4U);  // the next record no longer links to it
  EXPECT_EQ(report.records, 3U);
  EXPECT_NE(report.reason.find("seq 3"), std::string::npos) << report.reason;
}

TEST(AuditVerifyTest, DetectsADeletedRecord) {
  auto lines = chain_lines(6);
  lines.erase(lines.begin() + 3);  // seq 4
  const auto report = verify_text(join_lines(lines));
  EXPECT_EQ(report.problem, Problem::kSeqGap);
  EXPECT_EQ(report.line, 4U);
  EXPECT_NE(report.reason.find("4"), std::string::npos) << report.reason;
  // The first record, when a full log is expected.
  lines = chain_lines(3);
  lines.erase(lines.begin());
  EXPECT_EQ(verify_text(join_lines(lines)).problem, Problem::kSeqGap);
  // The last-but-one: a gap with nothing after it.
  lines = chain_lines(3);
  lines.erase(lines.begin() + 1);
  const auto tail = verify_text(join_lines(lines));
  EXPECT_EQ(tail.problem, Problem::kSeqGap);
  EXPECT_EQ(tail.line, 2U);
}

TEST(AuditVerifyTest, DetectsASwappedPair) {
  auto lines = chain_lines(6);
  std::swap(lines[2], lines[3]);
  const auto report = verify_text(join_lines(lines));
  EXPECT_EQ(report.problem, Problem::kSwapped);
  EXPECT_EQ(report.line, 3U);
  // The last two.
  lines = chain_lines(4);
  std::swap(lines[2], lines[3]);
  EXPECT_EQ(verify_text(join_lines(lines)).problem, Problem::kSwapped);
}

TEST(AuditVerifyTest, DetectsDuplicatesAndRecordsMovedBack) {
  auto lines = chain_lines(4);
  lines.push_back(lines[1]);
  const auto report = verify_text(join_lines(lines));
  EXPECT_EQ(report.problem, Problem::kSeqOutOfOrder);
  EXPECT_EQ(report.line, 5U);
}

TEST(AuditVerifyTest, ASuffixRewrittenToTheEndIsOnlyCaughtByTheLastHash) {
  // Editing the last record leaves a self-consistent file: what catches it is comparing the
  // reported last hash with the store's (the CLI's --config does).
  auto lines = chain_lines(3);
  const std::string original = record_hash(lines.back());
  lines.back() = replace_once(lines.back(), R"("decision":"deny")", R"("decision":"allow")");
  const auto report = verify_text(join_lines(lines));
  EXPECT_TRUE(report.ok());
  EXPECT_NE(report.last_hash, original);
}

TEST(AuditVerifyTest, GenesisAndPartialExports) {
  auto lines = chain_lines(5);
  const std::vector<std::string> tail(lines.begin() + 2, lines.end());
  EXPECT_EQ(verify_text(join_lines(tail)).problem, Problem::kSeqGap);
  const auto partial = verify_text(join_lines(tail), VerifyOptions{1 << 20, false});
  ASSERT_TRUE(partial.ok()) << partial.reason;
  EXPECT_EQ(partial.first_seq, 3);
  EXPECT_EQ(partial.records, 3U);
  // seq 1 must link to the genesis value.
  auto forged = testing::sample_event(1);
  const auto bad = chain_record(forged, 1, record_hash("x"));
  EXPECT_EQ(verify_text(bad.record + "\n").problem, Problem::kBadGenesis);
}

TEST(AuditVerifyTest, HostileLinesAreClearErrors) {
  const auto lines = chain_lines(2);
  auto first_problem = [&](const std::string& second_line) {
    return verify_text(lines[0] + "\n" + second_line + "\n");
  };
  EXPECT_EQ(first_problem("{not json").problem, Problem::kBadJson);
  EXPECT_EQ(first_problem("").problem, Problem::kBadJson);  // an empty line in the middle
  EXPECT_EQ(first_problem("[1,2]").problem, Problem::kNotObject);
  EXPECT_EQ(first_problem("42").problem, Problem::kNotObject);
  EXPECT_EQ(first_problem(R"({"prev":"00"})").problem, Problem::kMissingField);
  EXPECT_EQ(first_problem(R"({"seq":2})").problem, Problem::kMissingField);
  EXPECT_EQ(first_problem(R"({"prev":"zz","seq":2})").problem, Problem::kBadField);
  EXPECT_EQ(first_problem(R"({"prev":")" + record_hash(lines[0]) + R"(","seq":-2})").problem,
            Problem::kBadField);
  EXPECT_EQ(first_problem(R"({"prev":")" + record_hash(lines[0]) + R"(","seq":2.0})").problem,
            Problem::kBadField);
  // Duplicate members (a parser that keeps the last one would read another decision).
  const std::string dup = lines[1].substr(0, lines[1].size() - 1) + R"(,"decision":"deny"})";
  EXPECT_EQ(first_problem(dup).problem, Problem::kBadJson);
  // Whitespace, or CRLF line ends: not canonical.
  EXPECT_EQ(first_problem(" " + lines[1]).problem, Problem::kNotCanonical);
  EXPECT_EQ(first_problem(lines[1] + "\r").problem, Problem::kNotCanonical);
  // Deep nesting and long lines.
  EXPECT_EQ(first_problem(std::string(100000, '[') + std::string(100000, ']')).problem,
            Problem::kBadJson);
  const auto long_report = verify_text(lines[0] + "\n" + std::string(3000, 'x') + "\n",
                                       VerifyOptions{1024, true});
  EXPECT_EQ(long_report.problem, Problem::kLineTooLong);
  EXPECT_EQ(long_report.line, 2U);
  EXPECT_EQ(long_report.records, 1U);
  // Invalid UTF-8.
  EXPECT_EQ(first_problem("{\"seq\":2,\"x\":\"\xFF\"}").problem, Problem::kBadJson);
}

TEST(AuditVerifyTest, EmptyInputIsNotAnIntactLog) {
  EXPECT_EQ(verify_text("").problem, Problem::kEmpty);
  EXPECT_EQ(verify_text("\n").problem, Problem::kBadJson);
}

TEST(AuditVerifyTest, ProblemNamesAreStable) {
  EXPECT_STREQ(problem_name(Problem::kNone), "ok");
  EXPECT_STREQ(problem_name(Problem::kSwapped), "swapped");
  EXPECT_STREQ(problem_name(Problem::kPrevMismatch), "prev_mismatch");
}

}  // namespace
}  // namespace mcpgate::audit
