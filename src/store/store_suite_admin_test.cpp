// The Store conformance suite, continued: what the admin plane reads (store_suite.hpp).

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "store/store_suite.hpp"

namespace mcpgate::store::testing {
namespace {

std::vector<std::string> session_ids(const std::vector<Session>& sessions) {
  std::vector<std::string> out;
  for (const auto& s : sessions) {
    out.push_back(s.grant.id);
  }
  return out;
}

TEST_P(StoreSuite, ListsAnOrganizationsLiveSessionsPagedAndFiltered) {
  ASSERT_TRUE(store().upsert_organization(Organization{"acme", "Acme", {}, kNow}).ok());
  const User alice = add_user("alice");
  const User bob = add_user("bob");
  User carol;
  carol.id = crypto::random_id();
  carol.username = "carol";
  carol.org_id = "acme";
  carol.created_at = kNow;
  ASSERT_TRUE(store().create_user(carol).ok());
  const Client one = add_client();
  const Client two = add_client();
  const auto a1 = issue_code(alice, one).grant;
  const auto a2 = issue_code(alice, two).grant;
  const auto b1 = issue_code(bob, one).grant;
  const auto revoked = issue_code(bob, two).grant;
  ASSERT_TRUE(store().revoke_grant(revoked.id, kNow).ok());
  const auto c1 = issue_code(carol, one).grant;

  SessionQuery q;
  q.org_id = kDefaultOrgId;
  q.limit = 10;
  auto all = store().list_sessions(q);
  ASSERT_TRUE(all.ok()) << all.error().message;
  std::vector<std::string> expected = {a1.id, a2.id, b1.id};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(session_ids(*all), expected);  // id order; no revoked grant, no other org's
  EXPECT_EQ((*all)[0].grant.scope, "mcp:tools");

  // Keyset paging: two pages of two cover the three, in order, without repeats.
  q.limit = 2;
  auto first = store().list_sessions(q);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2U);
  q.after_id = first->back().grant.id;
  auto second = store().list_sessions(q);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1U);
  EXPECT_EQ(second->front().grant.id, expected[2]);

  q.after_id.clear();
  q.limit = 10;
  q.user_id = alice.id;
  auto alices = store().list_sessions(q);
  ASSERT_TRUE(alices.ok());
  EXPECT_EQ(alices->size(), 2U);
  q.client_id = one.client_id;
  auto alice_one = store().list_sessions(q);
  ASSERT_TRUE(alice_one.ok());
  EXPECT_EQ(session_ids(*alice_one), std::vector<std::string>{a1.id});
  q.user_id.clear();
  auto on_one = store().list_sessions(q);
  ASSERT_TRUE(on_one.ok());
  EXPECT_EQ(on_one->size(), 2U);  // alice's and bob's, not carol's
  // A user of another organization filters to nothing, never to that user's sessions.
  q.client_id.clear();
  q.user_id = carol.id;
  auto foreign = store().list_sessions(q);
  ASSERT_TRUE(foreign.ok());
  EXPECT_TRUE(foreign->empty());

  SessionQuery acme;
  acme.org_id = "acme";
  auto theirs = store().list_sessions(acme);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(session_ids(*theirs), std::vector<std::string>{c1.id});
}

TEST_P(StoreSuite, ASessionCarriesItsTokenFacts) {
  const User alice = add_user("alice");
  const Client client = add_client();
  const auto grant = issue_code(alice, client).grant;
  auto bare = store().find_session(kDefaultOrgId, grant.id);
  ASSERT_TRUE(bare.ok()) << bare.error().message;
  EXPECT_EQ(bare->last_refresh_at, 0);
  EXPECT_EQ(bare->refresh_expires_at, 0);
  EXPECT_EQ(bare->last_token_at, 0);
  EXPECT_EQ(bare->access_expires_at, 0);

  const std::string refresh = add_refresh(grant, 3600, 86400);
  add_access_token(grant, 300);
  auto rotation = rotate_request(refresh, client.client_id, crypto::random_token(), kNow + 50);
  AccessTokenRecord next;
  next.jti = crypto::random_id();
  next.client_id = client.client_id;
  next.issued_at = kNow + 50;
  next.expires_at = kNow + 350;
  rotation.access_token = next;
  auto rotated = store().rotate_refresh_token(rotation);
  ASSERT_TRUE(rotated.ok() && rotated->outcome == RotateOutcome::kRotated);

  auto s = store().find_session(kDefaultOrgId, grant.id);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->grant.user_id, alice.id);
  EXPECT_EQ(s->grant.client_id, client.client_id);
  EXPECT_EQ(s->last_refresh_at, kNow + 50);
  EXPECT_EQ(s->refresh_expires_at, kNow + 86400);
  EXPECT_EQ(s->last_token_at, kNow + 50);
  EXPECT_EQ(s->access_expires_at, kNow + 350);
  EXPECT_FALSE(s->grant.revoked_at.has_value());

  // Revoked: still found (with revoked_at), no longer listed, no live refresh family.
  ASSERT_TRUE(store().revoke_grant(grant.id, kNow + 60).ok());
  auto gone = store().find_session(kDefaultOrgId, grant.id);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->grant.revoked_at, kNow + 60);
  EXPECT_EQ(gone->refresh_expires_at, 0);
  SessionQuery q;
  q.org_id = kDefaultOrgId;
  EXPECT_TRUE(store().list_sessions(q)->empty());
}

TEST_P(StoreSuite, FindSessionIsConfinedToTheOrganization) {
  ASSERT_TRUE(store().upsert_organization(Organization{"acme", "Acme", {}, kNow}).ok());
  const User alice = add_user("alice");
  const auto grant = issue_code(alice, add_client()).grant;
  EXPECT_TRUE(store().find_session(kDefaultOrgId, grant.id).ok());
  EXPECT_EQ(store().find_session("acme", grant.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_session(kDefaultOrgId, "no-such-grant").error().code,
            ErrorCode::kNotFound);
  // Hostile ids are bound, never spliced into the SQL.
  EXPECT_EQ(store().find_session(kDefaultOrgId, "x' OR '1'='1").error().code, ErrorCode::kNotFound);
  SessionQuery q;
  q.org_id = "default' OR '1'='1";
  auto none = store().list_sessions(q);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreSuite, DisablingAClientRevokesItsGrantsAndStopsItsTokens) {
  const User alice = add_user("alice");
  const Client client = add_client();
  const Client other = add_client();
  const auto issued = issue_code(alice, client);
  const std::string refresh = add_refresh(issued.grant);
  const std::string jti = add_access_token(issued.grant);
  const auto untouched = issue_code(alice, other).grant;
  add_access_token(untouched);

  auto revoked = store().set_client_disabled(client.client_id, true, kNow + 5);
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  ASSERT_EQ(revoked->size(), 1U);
  EXPECT_EQ(revoked->front().jti, jti);
  EXPECT_TRUE(store().find_client(client.client_id)->disabled);
  EXPECT_EQ(store().find_grant(issued.grant.id)->revoked_at, kNow + 5);
  EXPECT_TRUE(*store().is_access_token_revoked(jti));
  EXPECT_FALSE(store().find_grant(untouched.id)->revoked_at.has_value());
  // Its refresh token no longer rotates, a code no longer redeems, a new code is refused.
  auto rotated = store().rotate_refresh_token(rotate_request(refresh, client.client_id,
                                                             crypto::random_token()));
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->outcome, RotateOutcome::kRevoked);
  auto redeemed = store().consume_authorization_code(hash_secret(issued.code), kNow + 6);
  EXPECT_TRUE(!redeemed.ok() || redeemed->outcome != CodeOutcome::kConsumed);

  // Enabling again revokes nothing and leaves revoked grants revoked.
  auto enabled = store().set_client_disabled(client.client_id, false, kNow + 7);
  ASSERT_TRUE(enabled.ok());
  EXPECT_TRUE(enabled->empty());
  EXPECT_FALSE(store().find_client(client.client_id)->disabled);
  EXPECT_TRUE(store().find_grant(issued.grant.id)->revoked_at.has_value());
  EXPECT_EQ(store().set_client_disabled("no-such-client", true, kNow).error().code,
            ErrorCode::kNotFound);
}

TEST_P(StoreSuite, CountsAnOrganization) {
  ASSERT_TRUE(store().upsert_organization(Organization{"acme", "Acme", {}, kNow}).ok());
  const User alice = add_user("alice");
  const User bob = add_user("bob");
  ASSERT_TRUE(store().set_user_disabled(bob.id, true).ok());
  const Client client = add_client();
  issue_code(alice, client);
  const auto gone = issue_code(alice, client).grant;
  ASSERT_TRUE(store().revoke_grant(gone.id, kNow).ok());
  auto counts = store().count_organization(kDefaultOrgId);
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->users, 2);
  EXPECT_EQ(counts->disabled_users, 1);
  EXPECT_EQ(counts->live_sessions, 1);
  EXPECT_EQ(counts->groups, 0);
  auto acme = store().count_organization("acme");
  ASSERT_TRUE(acme.ok());
  EXPECT_EQ(acme->users, 0);
  EXPECT_EQ(acme->live_sessions, 0);
}

// A record shaped like audit/record.hpp's (the store only reads its members; the chain's prev
// is irrelevant here). An empty org leaves the member out, as with authentication off.
AuditRecord admin_audit_record(std::int64_t seq, const std::string& org, const std::string& user,
                               const std::string& tool, const std::string& decision,
                               std::int64_t time_ms) {
  nlohmann::json j = {{"v", 1},          {"seq", seq},           {"user", user},
                      {"client_id", "agent"}, {"tool", tool},     {"decision", decision},
                      {"time_ms", time_ms}, {"upstream", "calendar"}};
  if (!org.empty()) {
    j["org"] = org;
  }
  const std::string text = j.dump();
  return AuditRecord{seq, text, crypto::hex_encode(crypto::sha256(text))};
}

TEST_P(StoreSuite, AuditAppendWithTheWritersColumnsSearchesByThem) {
  const std::vector<AuditRecord> records = {
      admin_audit_record(1, "default", "alice", "list_events", "allow", 1000),
      admin_audit_record(2, "default", "bob", "delete_event", "deny", 2000),
  };
  AuditColumns alice{"default", "alice", "agent", "list_events", "allow", 1000};
  AuditColumns bob{"default", "bob", "agent", "delete_event", "deny", 2000};
  // One column set per record, or nothing is written.
  EXPECT_EQ(store().append_audit_records(records, {alice}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().last_audit_record().error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store().append_audit_records(records, {alice, bob}).ok());
  EXPECT_TRUE(store().append_audit_records({}, {}).ok());  // no-op

  AuditQuery q;
  q.org_id = "default";
  q.user = "bob";
  q.decision = "deny";
  q.from_ms = 2000;
  auto found = store().search_audit(q);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->size(), 1U);
  EXPECT_EQ((*found)[0], records[1]);  // the stored text and hash, as given
  // The chain rules hold as for the plain append.
  const std::vector<AuditRecord> stale = {admin_audit_record(2, "default", "eve", "x", "allow", 1)};
  AuditColumns eve{"default", "eve", "agent", "x", "allow", 1};
  EXPECT_EQ(store().append_audit_records(stale, {eve}).error().code, ErrorCode::kAlreadyExists);
  AuditRecord forged = admin_audit_record(3, "default", "eve", "x", "allow", 1);
  forged.hash = std::string(64, '0');
  EXPECT_EQ(store().append_audit_records({forged}, {eve}).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_P(StoreSuite, SearchesTheAuditLogWithinAnOrganizationNewestFirst) {
  const std::vector<AuditRecord> records = {
      admin_audit_record(1, "default", "alice", "list_events", "allow", 1000),
      admin_audit_record(2, "default", "bob", "delete_event", "deny", 2000),
      admin_audit_record(3, "acme", "carol", "list_events", "allow", 3000),
      admin_audit_record(4, "default", "alice", "delete_event", "deny", 4000),
      admin_audit_record(5, "", "", "list_events", "allow", 5000),
      {6, "not json", crypto::hex_encode(crypto::sha256(std::string("not json")))},
  };
  ASSERT_TRUE(store().append_audit_records(records).ok());

  const auto seqs = [&](AuditQuery q) {
    std::vector<std::int64_t> out;
    auto found = store().search_audit(q);
    EXPECT_TRUE(found.ok()) << found.error().message;
    for (const auto& r : *found) {
      out.push_back(r.seq);
    }
    return out;
  };
  AuditQuery q;
  q.org_id = "default";
  EXPECT_EQ(seqs(q), (std::vector<std::int64_t>{4, 2, 1}));
  AuditQuery user = q;
  user.user = "alice";
  EXPECT_EQ(seqs(user), (std::vector<std::int64_t>{4, 1}));
  AuditQuery tool = q;
  tool.tool = "delete_event";
  tool.decision = "deny";
  EXPECT_EQ(seqs(tool), (std::vector<std::int64_t>{4, 2}));
  AuditQuery client = q;
  client.client_id = "other";
  EXPECT_TRUE(seqs(client).empty());
  AuditQuery window = q;
  window.from_ms = 2000;
  window.to_ms = 4000;
  EXPECT_EQ(seqs(window), (std::vector<std::int64_t>{2}));
  AuditQuery page = q;
  page.limit = 2;
  EXPECT_EQ(seqs(page), (std::vector<std::int64_t>{4, 2}));
  page.before_seq = 2;
  EXPECT_EQ(seqs(page), (std::vector<std::int64_t>{1}));
  AuditQuery acme;
  acme.org_id = "acme";
  EXPECT_EQ(seqs(acme), (std::vector<std::int64_t>{3}));
  AuditQuery hostile;
  hostile.org_id = "default' OR '1'='1";
  EXPECT_TRUE(seqs(hostile).empty());
  // The chain is as appended: the index columns changed nothing of the text or hash.
  auto stored = store().read_audit_records(0, 10);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, records);
}

}  // namespace
}  // namespace mcpgate::store::testing
