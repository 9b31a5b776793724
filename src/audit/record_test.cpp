// The record format and the chain: canonical text, hashes, links.

#include "audit/record.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <sstream>
#include <vector>

#include "audit/test_support.hpp"
#include "audit/verify.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "store/audit_pin_queries.hpp"

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

// What record_text wrote before it was built by hand: the DOM's canonical dump.
std::string record_text_via_dom(const AuditEvent& event, std::int64_t seq, std::string_view prev) {
  nlohmann::json record = event_json(event);
  record["v"] = kRecordVersion;
  record["seq"] = seq;
  record["prev"] = std::string(prev);
  return canonical_json(record);
}

// Strings a record may carry from a hostile caller or upstream: quotes, backslashes, every
// short escape, other control bytes, DEL, UTF-8, invalid and truncated UTF-8, NUL.
std::vector<std::string> record_test_strings() {
  return {"",
          "plain-ascii 0123 ~!@#$%^&*()",
          "quote\"and\\backslash",
          "\b\f\n\r\t",
          std::string("nul\0inside", 10),
          "\x01\x1f control",
          "del\x7f",
          "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
          "bad\xFF" "byte",
          "truncated\xE2\x82",
          "overlong\xC0\xAF",
          "surrogate\xED\xA0\x80",
          "</script><!-- \u2028 -->",
          std::string(300, 'x')};
}

std::vector<AuditEvent> record_test_events() {
  std::vector<AuditEvent> events;
  int n = 0;
  // Each string in every string member (two members per event), the rest plain.
  for (const std::string& s : record_test_strings()) {
    for (int slot = 0; slot < 7; ++slot) {
      AuditEvent e = sample_event(++n);
      switch (slot) {
        case 0:
          e.request_id = s;
          e.reason = s;
          break;
        case 1:
          e.user = s;
          e.org = s;
          break;
        case 2:
          e.client_id = s;
          e.decision_id = s;
          break;
        case 3:
          e.upstream = s;
          e.tool = s;
          break;
        case 4:
          e.decision = s;
          e.upstream_status = s;
          break;
        case 5:
          e.args_digest = s;
          e.arguments = nlohmann::json{{s, s}, {"n", -1}};
          break;
        default:
          e.admin = nlohmann::json{
              {"channel", s}, {"target", nlohmann::json::array({s})}, {"status", 403}};
          break;
      }
      events.push_back(e);
    }
  }
  AuditEvent extremes = sample_event(99);
  extremes.time_ms = std::numeric_limits<std::int64_t>::min();
  extremes.latency_us = std::numeric_limits<std::int64_t>::max();
  extremes.result_bytes = 0;
  extremes.org = "";
  extremes.reason = "";
  extremes.arguments = nlohmann::json::object();
  extremes.admin = nlohmann::json::object();
  events.push_back(extremes);
  events.push_back(AuditEvent{});  // every member at its default
  return events;
}

TEST(AuditRecordTest, TheHandWrittenTextIsTheDomsCanonicalDumpByteForByte) {
  std::string prev(kGenesisPrev);
  std::int64_t seq = 1;
  for (const AuditEvent& e : record_test_events()) {
    const std::string text = record_text(e, seq, prev);
    ASSERT_EQ(text, record_text_via_dom(e, seq, prev)) << "event " << seq;
    EXPECT_EQ(canonical_json(nlohmann::json::parse(text)), text);  // still canonical
    prev = record_hash(text);
    ++seq;
  }
  // A prev that is not a hash (the chain never writes one, but the text must stay canonical).
  EXPECT_EQ(record_text(sample_event(1), 2, "a\"b\xFF"),
            record_text_via_dom(sample_event(1), 2, "a\"b\xFF"));
}

TEST(AuditRecordTest, TheColumnsHandedToTheStoreAreWhatItWouldReadFromTheText) {
  std::int64_t seq = 1;
  for (const AuditEvent& e : record_test_events()) {
    const std::string text = record_text(e, seq++, kGenesisPrev);
    EXPECT_EQ(record_columns(e), store::queries::audit_index_of(text)) << text;
  }
}

TEST(AuditRecordTest, AnEmptyArgumentObjectHasTheDigestOfItsText) {
  EXPECT_EQ(args_digest(nlohmann::json::object()), crypto::hex_encode(crypto::sha256("{}")));
  EXPECT_EQ(args_digest(nlohmann::json::array()), crypto::hex_encode(crypto::sha256("[]")));
  EXPECT_EQ(args_digest(nlohmann::json{{"a", 1}}), crypto::hex_encode(crypto::sha256("{\"a\":1}")));
}
}  // namespace
}  // namespace mcpgate::audit
