// The Store conformance suite, continued: the audit log and tool pins (store_suite.hpp).

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "store/store_suite.hpp"

namespace mcpgate::store::testing {
namespace {

// A record whose text is opaque to the store; only the hash has to match.
AuditRecord audit_record(std::int64_t seq, const std::string& text) {
  return AuditRecord{seq, text, crypto::hex_encode(crypto::sha256(text))};
}

std::vector<AuditRecord> batch(std::int64_t first, int count, const std::string& tag) {
  std::vector<AuditRecord> out;
  for (int i = 0; i < count; ++i) {
    const std::int64_t seq = first + i;
    out.push_back(audit_record(seq, R"({"seq":)" + std::to_string(seq) + R"(,"w":")" + tag + "\"}"));
  }
  return out;
}

ToolPin pin_for(const std::string& upstream, const std::string& tool, const std::string& def) {
  ToolPin p;
  p.upstream = upstream;
  p.tool = tool;
  p.definition = def;
  p.hash = crypto::hex_encode(crypto::sha256(def));
  p.approved_at = 1'700'000'000;
  p.approved_by = "first-sight";
  return p;
}

TEST_P(StoreSuite, AuditLogAppendsReadsAndReportsItsTail) {
  EXPECT_EQ(store().last_audit_record().error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store().append_audit_records({}).ok());  // no-op
  const auto first = batch(1, 3, "a");
  ASSERT_TRUE(store().append_audit_records(first).ok());
  const auto second = batch(4, 2, "b");
  ASSERT_TRUE(store().append_audit_records(second).ok());

  const auto last = store().last_audit_record();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, second.back());

  const auto all = store().read_audit_records(0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5U);
  for (std::size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].seq, static_cast<std::int64_t>(i) + 1);
  }
  EXPECT_EQ((*all)[3], second[0]);

  const auto page = store().read_audit_records(2, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2U);
  EXPECT_EQ((*page)[0].seq, 3);
  EXPECT_EQ((*page)[1].seq, 4);
  EXPECT_TRUE(store().read_audit_records(5, 10)->empty());
}

TEST_P(StoreSuite, AuditAppendIsAllOrNothingAndRefusesATakenSeq) {
  ASSERT_TRUE(store().append_audit_records(batch(1, 2, "a")).ok());
  // A writer that chained onto the old tail (seq 1) loses: kAlreadyExists, nothing written.
  const auto stale = store().append_audit_records(batch(2, 3, "late"));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store().read_audit_records(0, 100)->size(), 2U);
  EXPECT_EQ(store().last_audit_record()->seq, 2);
}

TEST_P(StoreSuite, AuditAppendRefusesMalformedBatches) {
  ASSERT_TRUE(store().append_audit_records(batch(1, 1, "a")).ok());
  // A gap after the tail.
  EXPECT_EQ(store().append_audit_records(batch(3, 1, "gap")).error().code,
            ErrorCode::kInvalidArgument);
  // Not contiguous inside the batch.
  auto holes = batch(2, 3, "holes");
  holes.erase(holes.begin() + 1);
  EXPECT_EQ(store().append_audit_records(holes).error().code, ErrorCode::kInvalidArgument);
  // A hash that is not the record's.
  auto forged = batch(2, 1, "forged");
  forged[0].record += " ";
  EXPECT_EQ(store().append_audit_records(forged).error().code, ErrorCode::kInvalidArgument);
  // seq 0.
  EXPECT_EQ(store().append_audit_records({audit_record(0, "{}")}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().last_audit_record()->seq, 1);
}

TEST_P(StoreSuite, ConcurrentAuditAppendsOnTheSameTailHaveOneWinner) {
  constexpr int kWriters = 8;
  std::atomic<bool> go{false};
  std::atomic<int> won{0};
  std::atomic<int> lost{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      const auto r = store().append_audit_records(batch(1, 3, "w" + std::to_string(i)));
      if (r.ok()) {
        ++won;
      } else if (r.error().code == ErrorCode::kAlreadyExists) {
        ++lost;
      } else {
        ADD_FAILURE() << r.error().message;
      }
    });
  }
  go = true;
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), kWriters - 1);
  const auto all = store().read_audit_records(0, 100);
  ASSERT_EQ(all->size(), 3U);
  // All three rows come from the one winner.
  const std::string tag = (*all)[0].record.substr((*all)[0].record.find("\"w\""));
  EXPECT_EQ((*all)[2].record.substr((*all)[2].record.find("\"w\"")), tag);
}

TEST_P(StoreSuite, ToolPinsAreInsertedOnceAndListedInOrder) {
  const ToolPin first = pin_for("mail", "send", R"({"name":"send"})");
  const auto stored = store().pin_tool_if_absent(first);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(*stored, first);
  // A second sighting with another definition keeps the first pin and returns it.
  const auto again = store().pin_tool_if_absent(pin_for("mail", "send", R"({"name":"other"})"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, first);

  ASSERT_TRUE(store().pin_tool_if_absent(pin_for("cal", "list", R"({"name":"list"})")).ok());
  ASSERT_TRUE(store().pin_tool_if_absent(pin_for("mail", "read", R"({"name":"read"})")).ok());
  const auto all = store().list_tool_pins("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3U);
  EXPECT_EQ((*all)[0].upstream + "/" + (*all)[0].tool, "cal/list");
  EXPECT_EQ((*all)[1].upstream + "/" + (*all)[1].tool, "mail/read");
  EXPECT_EQ((*all)[2].upstream + "/" + (*all)[2].tool, "mail/send");
  const auto mail = store().list_tool_pins("mail");
  ASSERT_EQ(mail->size(), 2U);
  EXPECT_TRUE(store().list_tool_pins("none")->empty());

  ToolPin incomplete = first;
  incomplete.hash.clear();
  EXPECT_EQ(store().pin_tool_if_absent(incomplete).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(StoreSuite, ConcurrentFirstSightingsAgreeOnOnePin) {
  constexpr int kReplicas = 8;
  std::vector<ToolPin> seen(kReplicas);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      auto r = store().pin_tool_if_absent(
          pin_for("up", "t", R"({"v":)" + std::to_string(i) + "}"));
      ASSERT_TRUE(r.ok()) << r.error().message;
      seen[static_cast<std::size_t>(i)] = *r;
    });
  }
  go = true;
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& p : seen) {
    EXPECT_EQ(p, seen[0]);
  }
  EXPECT_EQ(store().list_tool_pins("up")->size(), 1U);
}

TEST_P(StoreSuite, ToolPinPendingChangeWaitsForOperatorApproval) {
  const ToolPin first = pin_for("mail", "send", R"({"name":"send"})");
  ASSERT_TRUE(store().pin_tool_if_absent(first).ok());
  EXPECT_EQ(store().approve_tool_pin("mail", "send", first.hash, kNow).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store().approve_tool_pin("mail", "nope", "h", kNow).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().set_tool_pin_pending("mail", "nope", "h", "{}", kNow).error().code,
            ErrorCode::kNotFound);

  const std::string changed = R"({"description":"now exfiltrates","name":"send"})";
  const std::string changed_hash = crypto::hex_encode(crypto::sha256(changed));
  ASSERT_TRUE(store().set_tool_pin_pending("mail", "send", changed_hash, changed, kNow).ok());
  // Seen again later: pending_since keeps the first sighting.
  ASSERT_TRUE(store().set_tool_pin_pending("mail", "send", changed_hash, changed, kNow + 50).ok());
  auto pins = store().list_tool_pins("mail");
  ASSERT_EQ(pins->size(), 1U);
  EXPECT_EQ((*pins)[0].hash, first.hash);
  EXPECT_EQ((*pins)[0].pending_hash, changed_hash);
  EXPECT_EQ((*pins)[0].pending_definition, changed);
  EXPECT_EQ((*pins)[0].pending_since, kNow);

  // Only the definition the operator saw is approved: a hash that is not the pending one (it
  // changed again since) approves nothing; an empty one is no approval.
  const auto stale = store().approve_tool_pin("mail", "send", first.hash, kNow + 100);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(stale.error().message.find(changed_hash), std::string::npos);
  EXPECT_EQ(store().approve_tool_pin("mail", "send", "", kNow + 100).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().list_tool_pins("mail")->at(0).hash, first.hash);
  ASSERT_TRUE(store().approve_tool_pin("mail", "send", changed_hash, kNow + 100).ok());
  pins = store().list_tool_pins("mail");
  EXPECT_EQ((*pins)[0].hash, changed_hash);
  EXPECT_EQ((*pins)[0].definition, changed);
  EXPECT_EQ((*pins)[0].approved_by, "operator");
  EXPECT_EQ((*pins)[0].approved_at, kNow + 100);
  EXPECT_EQ((*pins)[0].pending_hash, "");
  EXPECT_EQ((*pins)[0].pending_definition, "");
  EXPECT_EQ((*pins)[0].pending_since, 0);
  EXPECT_EQ(store().approve_tool_pin("mail", "send", changed_hash, kNow).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST_P(StoreSuite, ToolPinPendingClearsWhenTheApprovedDefinitionReturns) {
  const ToolPin first = pin_for("mail", "send", R"({"name":"send"})");
  ASSERT_TRUE(store().pin_tool_if_absent(first).ok());
  ASSERT_TRUE(store().set_tool_pin_pending("mail", "send", "abc", R"({"x":1})", kNow).ok());
  ASSERT_TRUE(store().set_tool_pin_pending("mail", "send", first.hash, first.definition, kNow).ok());
  const auto pins = store().list_tool_pins("mail");
  EXPECT_EQ((*pins)[0], first);
}

}  // namespace
}  // namespace mcpgate::store::testing
