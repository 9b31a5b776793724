#include "mcp/session_seal.hpp"

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "mcp/json_io.hpp"

namespace mcpgate::mcp {
namespace {

using std::chrono::hours;

crypto::MasterKey master(char fill) {
  return crypto::MasterKey::from_bytes(std::string(32, fill)).value();
}

SessionState alice_state() {
  SessionState s;
  s.subject = "alice\ncalendar-assistant";
  s.protocol_version = "2025-11-25";
  s.client_capabilities = Json{{"elicitation", {{"form", Json::object()}}}};
  s.attachments = Json{{"upstreams", {{"crm", "upstream-session-1"}}}};
  return s;
}

constexpr std::int64_t kNow = 1'800'000'000;

TEST(SessionSealerTest, RoundTripsTheState) {
  auto sealer = SessionSealer::from_master_key(master('a'), 1, hours(24));
  auto id = sealer.seal(alice_state(), kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  // Visible ASCII only (Streamable HTTP: 0x21..0x7E): base64url.
  for (char ch : *id) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << ch;
  }
  auto opened = sealer.open(*id, kNow + 10);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->subject, "alice\ncalendar-assistant");
  EXPECT_EQ(opened->protocol_version, "2025-11-25");
  EXPECT_EQ(opened->client_capabilities, alice_state().client_capabilities);
  EXPECT_EQ(opened->attachments["upstreams"]["crm"], "upstream-session-1");
  EXPECT_EQ(opened->issued_at, kNow);
}

TEST(SessionSealerTest, TwoSealsOfOneStateDiffer) {
  auto sealer = SessionSealer::from_master_key(master('a'), 1, hours(24));
  EXPECT_NE(sealer.seal(alice_state(), kNow).value(), sealer.seal(alice_state(), kNow).value());
}

TEST(SessionSealerTest, AnotherProcessWithTheSameMasterKeyOpensIt) {
  auto a = SessionSealer::from_master_key(master('a'), 1, hours(24));
  auto b = SessionSealer::from_master_key(master('a'), 1, hours(24));
  EXPECT_TRUE(b.open(a.seal(alice_state(), kNow).value(), kNow).ok());
}

TEST(SessionSealerTest, AnotherMasterKeyCannotOpenIt) {
  auto a = SessionSealer::from_master_key(master('a'), 1, hours(24));
  auto other = SessionSealer::from_master_key(master('b'), 1, hours(24));
  auto r = other.open(a.seal(alice_state(), kNow).value(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(SessionSealerTest, EveryAlteredByteIsRefused) {
  auto sealer = SessionSealer::from_master_key(master('a'), 1, hours(24));
  const std::string blob =
      crypto::base64url_decode(sealer.seal(alice_state(), kNow).value()).value();
  for (size_t i = 0; i < blob.size(); ++i) {
    std::string altered = blob;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_FALSE(sealer.open(crypto::base64url_encode(altered), kNow).ok()) << "byte " << i;
  }
  // Truncated.
  EXPECT_FALSE(sealer.open(crypto::base64url_encode(blob.substr(0, blob.size() - 1)), kNow).ok());
}

TEST(SessionSealerTest, RotationKeepsThePreviousGenerationForOneStep) {
  auto g1 = SessionSealer::from_master_key(master('a'), 1, hours(24));
  auto g2 = SessionSealer::from_master_key(master('a'), 2, hours(24));
  auto g3 = SessionSealer::from_master_key(master('a'), 3, hours(24));
  const std::string id1 = g1.seal(alice_state(), kNow).value();
  EXPECT_TRUE(g2.open(id1, kNow).ok());
  EXPECT_FALSE(g3.open(id1, kNow).ok());
  // The new generation seals under its own key: generation 1 cannot open it.
  EXPECT_FALSE(g1.open(g2.seal(alice_state(), kNow).value(), kNow).ok());
}

TEST(SessionSealerTest, ExpiresAfterTheMaximumLifetime) {
  auto sealer = SessionSealer::from_master_key(master('a'), 1, hours(1));
  const std::string id = sealer.seal(alice_state(), kNow).value();
  EXPECT_TRUE(sealer.open(id, kNow + 3600).ok());
  auto late = sealer.open(id, kNow + 3601);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kDeadlineExceeded);
  // Issued far in the future (a replica with a broken clock): refused too.
  EXPECT_FALSE(sealer.open(id, kNow - 3600).ok());
}

TEST(SessionSealerTest, RefusesHostileIds) {
  auto sealer = SessionSealer::from_master_key(master('a'), 1, hours(24));
  for (const std::string& bad : {std::string(),
                                 std::string("x"),
                                 std::string(5000, 'A'),
                                 std::string("AAAA===="),
                                 std::string("not base64 at all!"),
                                 std::string(100, '\0'),
                                 crypto::base64url_encode(std::string(40, '\x01'))}) {
    EXPECT_FALSE(sealer.open(bad, kNow).ok()) << bad.size();
  }
}

TEST(SessionSealerTest, OversizedCapabilitiesAreReducedToTheirKeys) {
  auto sealer = SessionSealer::from_master_key(master('a'), 1, hours(24));
  SessionState s = alice_state();
  s.client_capabilities =
      Json{{"sampling", Json::object()}, {"experimental", {{"blob", std::string(3000, 'x')}}}};
  auto id = sealer.seal(s, kNow);
  ASSERT_TRUE(id.ok());
  EXPECT_LT(id->size(), 1000u);
  auto opened = sealer.open(*id, kNow).value();
  EXPECT_EQ(opened.client_capabilities,
            (Json{{"sampling", Json::object()}, {"experimental", Json::object()}}));
}

TEST(SessionSealerTest, HugeAttachmentsFailToSeal) {
  auto sealer = SessionSealer::from_master_key(master('a'), 1, hours(24));
  SessionState s = alice_state();
  s.attachments = Json{{"upstreams", {{"crm", std::string(5000, 'u')}}}};
  auto id = sealer.seal(s, kNow);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, ErrorCode::kResourceExhausted);
}

}  // namespace
}  // namespace mcpgate::mcp
