// The record format and the chain: canonical text, hashes, links.

#include "audit/record.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "audit/test_support.hpp"
#include "audit/verify.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace mcpgate::audit {
namespace {

using testing::sample_event;

TEST(AuditRecordTest, CanonicalJsonSortsKeysAndHasNoWhitespace) {
  const auto value = nlohmann::json::parse(R"({ "b": 1, "a": {"z": [1, 2], "y": "\u00e9"} })");
  EXPECT_EQ(canonical_json(value), "{\"a\":{\"y\":\"\xC3\xA9\",\"z\":[1,2]},\"b\":1}");
  // The same arguments in another member order have the same digest.
  EXPECT_EQ(args_digest(nlohmann::json::parse(R"({"x":1,"y":2})")),
            args_digest(nlohmann::json::parse(R"({"y":2,"x":1})")));
  EXPECT_EQ(args_digest(nlohmann::json::object()),
            crypto::hex_encode(crypto::sha256("{}")));
}

TEST(AuditRecordTest, InvalidUtf8IsReplacedRatherThanThrown) {
  const nlohmann::json value = {{"s", std::string("a\xFF" "b")}};
  EXPECT_EQ(canonical_json(value), "{\"s\":\"a\xEF\xBF\xBD" "b\"}");
}

TEST(AuditRecordTest, RecordCarriesSeqPrevVersionAndTheEvent) {
  AuditEvent e = sample_event(3);
  e.arguments = nlohmann::json{{"to", "bob"}};
  const auto r = chain_record(e, 7, kGenesisPrev);
  EXPECT_EQ(r.seq, 7);
  EXPECT_EQ(r.hash, crypto::hex_encode(crypto::sha256(r.record)));
  EXPECT_EQ(r.hash, record_hash(r.record));
  const auto parsed = nlohmann::json::parse(r.record);
  EXPECT_EQ(parsed["seq"], 7);
  EXPECT_EQ(parsed["prev"], std::string(kGenesisPrev));
  EXPECT_EQ(parsed["v"], kRecordVersion);
  EXPECT_EQ(parsed["decision"], "deny");
  EXPECT_EQ(parsed["reason"], "not permitted");
  EXPECT_EQ(parsed["upstream_status"], "not_called");
  EXPECT_EQ(parsed["arguments"]["to"], "bob");
  EXPECT_EQ(parsed["args_digest"], e.args_digest);
  EXPECT_EQ(parsed["time_ms"], e.time_ms);
  EXPECT_EQ(canonical_json(parsed), r.record);  // stored text is canonical
  // Without them, optional members are absent (not null).
  const auto plain = nlohmann::json::parse(chain_record(sample_event(1), 1, kGenesisPrev).record);
  EXPECT_FALSE(plain.contains("arguments"));
  EXPECT_FALSE(plain.contains("reason"));
}

TEST(AuditRecordTest, TheCallersOrganizationIsRecordedWhenKnown) {
  AuditEvent e = sample_event(2);
  e.org = "acme";
  const auto with_org = nlohmann::json::parse(chain_record(e, 2, kGenesisPrev).record);
  EXPECT_EQ(with_org["org"], "acme");
  // Unauthenticated calls (and every record written before organizations) have none: the
  // member is absent, so the text — and the hash chain — of such records is what it was.
  const auto plain = nlohmann::json::parse(chain_record(sample_event(2), 2, kGenesisPrev).record);
  EXPECT_FALSE(plain.contains("org"));
}

TEST(AuditRecordTest, AChainMixingRecordsWithAndWithoutOrgVerifies) {
  std::string text;
  std::string prev(kGenesisPrev);
  for (int seq = 1; seq <= 4; ++seq) {
    AuditEvent e = sample_event(seq);
    if (seq > 2) {
      e.org = "acme";  // the first two as an older binary wrote them
    }
    const auto r = chain_record(e, seq, prev);
    text += r.record + "\n";
    prev = r.hash;
  }
  std::istringstream in(text);
  const auto report = verify_stream(in, VerifyOptions{});
  EXPECT_TRUE(report.ok()) << report.reason;
  EXPECT_EQ(report.records, 4U);
}

TEST(AuditRecordTest, EachRecordLinksToThePreviousHash) {
  const auto lines = testing::chain_lines(4);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(nlohmann::json::parse(lines[i])["prev"], record_hash(lines[i - 1]));
  }
}

}  // namespace
}  // namespace mcpgate::audit
