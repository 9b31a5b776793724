#include "vault/vault.hpp"

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "vault/sealing.hpp"
#include "vault/test_support.hpp"

namespace mcpgate::vault {
namespace {

using testing::fresh_db_path;
using testing::keyring_of;
using testing::open_store;
using testing::random_master_key;

using testing::kNow;

TokenSet tokens(const std::string& tag) {
  return TokenSet{"at-" + tag + "-PLAINTEXT-ACCESS", "rt-" + tag + "-PLAINTEXT-REFRESH", kNow + 3600,
                  "repo read:user", ""};
}

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fresh_db_path();
    store_ = open_store(path_, store_key_);
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Vault> make_vault(MasterKeyring ring, Vault::Options options = {}) {
    return std::make_unique<Vault>(*store_, std::move(ring), options);
  }

  std::string path_;
  crypto::MasterKey store_key_ = random_master_key();
  crypto::MasterKey master1_ = random_master_key();
  crypto::MasterKey master2_ = random_master_key();
  std::unique_ptr<store::Store> store_;
};

TEST_F(VaultTest, PutThenGetRoundTripsEveryField) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  const auto v = vault->put_connection("acme", "alice", "github", tokens("a"), kNow);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 1);

  // A second Vault over the same store has nothing cached: this opens what was stored.
  auto cold = make_vault(keyring_of({{1, master1_}}));
  const auto got = cold->get_connection("acme", "alice", "github");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)->access_token, "at-a-PLAINTEXT-ACCESS");
  EXPECT_EQ((*got)->refresh_token, "rt-a-PLAINTEXT-REFRESH");
  EXPECT_EQ((*got)->expires_at, kNow + 3600);
  EXPECT_EQ((*got)->scopes, "repo read:user");
  EXPECT_EQ((*got)->status, ConnectionStatus::kActive);
  EXPECT_EQ((*got)->version, 1);
  EXPECT_EQ(*vault->get_connection("acme", "alice", "github").value(), *got.value());

  const auto none = cold->get_connection("acme", "bob", "github");
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);

  // An empty refresh token (a provider that issues none) round-trips too.
  TokenSet no_refresh = tokens("n");
  no_refresh.refresh_token.clear();
  ASSERT_TRUE(vault->put_connection("acme", "alice", "slack", no_refresh, kNow).ok());
  EXPECT_EQ(cold->get_connection("acme", "alice", "slack").value()->refresh_token, "");
}

TEST_F(VaultTest, ReconnectReplacesTokensAndKeepsTheRow) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  ASSERT_TRUE(vault->put_connection("acme", "alice", "github", tokens("a"), kNow).ok());
  const std::string id = vault->get_connection("acme", "alice", "github").value()->id;
  ASSERT_TRUE(vault->mark_needs_reconsent("acme", "alice", "github", 1, kNow).ok());
  EXPECT_EQ(vault->get_connection("acme", "alice", "github").value()->status,
            ConnectionStatus::kNeedsReconsent);
  const auto v = vault->put_connection("acme", "alice", "github", tokens("b"), kNow + 5);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 3);
  auto cold = make_vault(keyring_of({{1, master1_}}));
  const auto got = cold->get_connection("acme", "alice", "github").value();
  EXPECT_EQ(got->id, id);
  EXPECT_EQ(got->access_token, "at-b-PLAINTEXT-ACCESS");
  EXPECT_EQ(got->status, ConnectionStatus::kActive);
}

TEST_F(VaultTest, CiphertextCopiedToAnotherRowDoesNotOpen) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  ASSERT_TRUE(vault->put_connection("acme", "alice", "github", tokens("alice"), kNow).ok());
  ASSERT_TRUE(vault->put_connection("acme", "bob", "github", tokens("bob"), kNow).ok());
  ASSERT_TRUE(vault->put_connection("acme", "alice", "slack", tokens("slack"), kNow).ok());
  const auto alice = store_->find_vault_connection("acme", "alice", "github").value();

  // An attacker with write access to the database copies alice's sealed tokens into bob's row
  // (same tenant, same data key), into alice's other connection, and swaps her two fields.
  const auto copy_into = [&](const std::string& user, const std::string& connector,
                             const std::string& at, const std::string& rt) {
    auto row = store_->find_vault_connection("acme", user, connector).value();
    row.access_token_sealed = at;
    row.refresh_token_sealed = rt;
    ASSERT_TRUE(store_->update_vault_connection(row, row.version).ok());
  };
  copy_into("bob", "github", alice.access_token_sealed, alice.refresh_token_sealed);
  copy_into("alice", "slack", alice.access_token_sealed, alice.refresh_token_sealed);

  auto cold = make_vault(keyring_of({{1, master1_}}));
  for (const auto& [user, connector] : {std::pair<std::string, std::string>{"bob", "github"},
                                        {"alice", "slack"}}) {
    const auto got = cold->get_connection("acme", user, connector);
    ASSERT_FALSE(got.ok()) << user << "/" << connector << " opened a copied token";
    EXPECT_EQ(got.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(got.error().message.find("sealed for another"), std::string::npos);
    EXPECT_EQ(got.error().message.find("PLAINTEXT"), std::string::npos);
  }
  // Field swap within alice's own row.
  copy_into("alice", "github", alice.refresh_token_sealed, alice.access_token_sealed);
  EXPECT_EQ(cold->get_connection("acme", "alice", "github").error().code,
            ErrorCode::kPermissionDenied);

  // Across tenants the data key differs too.
  ASSERT_TRUE(vault->put_connection("globex", "carol", "github", tokens("carol"), kNow).ok());
  auto carol = store_->find_vault_connection("globex", "carol", "github").value();
  carol.access_token_sealed = alice.access_token_sealed;
  ASSERT_TRUE(store_->update_vault_connection(carol, carol.version).ok());
  EXPECT_FALSE(cold->get_connection("globex", "carol", "github").ok());
}

TEST_F(VaultTest, ConnectionVariablesAreSealedKeptOnRefreshAndBoundToTheRow) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  TokenSet set = tokens("a");
  set.connection_vars = R"({"instance_url":"https://acme.my.salesforce.com"})";
  ASSERT_TRUE(vault->put_connection("acme", "alice", "salesforce", set, kNow).ok());
  ASSERT_TRUE(vault->put_connection("acme", "bob", "salesforce", tokens("b"), kNow).ok());
  auto cold = make_vault(keyring_of({{1, master1_}}));
  EXPECT_EQ(cold->get_connection("acme", "alice", "salesforce").value()->connection_vars,
            set.connection_vars);
  EXPECT_EQ(cold->get_connection("acme", "bob", "salesforce").value()->connection_vars, "");
  // Sealed: the stored column is not the text.
  const auto row = store_->find_vault_connection("acme", "alice", "salesforce").value();
  EXPECT_EQ(row.connection_vars_sealed.find("salesforce.com"), std::string::npos);

  // A refresh without variables keeps them; one with variables replaces them.
  TokenUpdate update{"at-2", std::nullopt, kNow + 7200, std::nullopt, std::nullopt};
  ASSERT_TRUE(vault->update_tokens("acme", "alice", "salesforce", update, 1, kNow + 1).ok());
  auto fresh = make_vault(keyring_of({{1, master1_}}));
  auto got = fresh->get_connection("acme", "alice", "salesforce").value();
  EXPECT_EQ(got->connection_vars, set.connection_vars);
  EXPECT_EQ(got->refresh_token, "rt-a-PLAINTEXT-REFRESH");
  update.connection_vars = R"({"instance_url":"https://acme2.my.salesforce.com"})";
  ASSERT_TRUE(vault->update_tokens("acme", "alice", "salesforce", update, 2, kNow + 2).ok());
  EXPECT_EQ(vault->get_connection("acme", "alice", "salesforce").value()->connection_vars,
            *update.connection_vars);
  fresh = make_vault(keyring_of({{1, master1_}}));
  EXPECT_EQ(fresh->get_connection("acme", "alice", "salesforce").value()->connection_vars,
            *update.connection_vars);

  // Someone with write access to the table moves alice's variables into bob's row: refused.
  auto alice = store_->find_vault_connection("acme", "alice", "salesforce").value();
  auto bob = store_->find_vault_connection("acme", "bob", "salesforce").value();
  bob.connection_vars_sealed = alice.connection_vars_sealed;
  ASSERT_TRUE(store_->update_vault_connection(bob, bob.version).ok());
  fresh = make_vault(keyring_of({{1, master1_}}));
  EXPECT_EQ(fresh->get_connection("acme", "bob", "salesforce").error().code,
            ErrorCode::kPermissionDenied);

  TokenSet big = tokens("c");
  big.connection_vars = std::string(kMaxConnectionVarsBytes + 1, 'x');
  EXPECT_EQ(vault->put_connection("acme", "carol", "salesforce", big, kNow).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(VaultTest, CorruptBlobsAreClearErrors) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  ASSERT_TRUE(vault->put_connection("acme", "alice", "github", tokens("a"), kNow).ok());
  auto row = store_->find_vault_connection("acme", "alice", "github").value();
  auto cold = make_vault(keyring_of({{1, master1_}}));
  for (const std::string& junk : {std::string("x"), std::string(5000, '\0'),
                                  row.access_token_sealed.substr(0, 17)}) {
    auto bad = row;
    bad.access_token_sealed = junk;
    const auto version = store_->update_vault_connection(bad, row.version);
    ASSERT_TRUE(version.ok());
    row.version = *version;
    const auto got = cold->get_connection("acme", "alice", "github");
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message.find("access_token of connection"), std::string::npos);
  }
  // A row naming a data-key version the tenant does not have.
  auto bad = row;
  bad.data_key_version = 9;
  ASSERT_TRUE(store_->update_vault_connection(bad, row.version).ok());
  EXPECT_EQ(cold->get_connection("acme", "alice", "github").error().code, ErrorCode::kNotFound);
}

TEST_F(VaultTest, WrongOrMissingMasterKeyIsAClearError) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  ASSERT_TRUE(vault->put_connection("acme", "alice", "github", tokens("a"), kNow).ok());

  const auto wrong = make_vault(keyring_of({{1, random_master_key()}}))
                         ->get_connection("acme", "alice", "github");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(wrong.error().message.find("not the one that wrapped it"), std::string::npos);

  const auto missing =
      make_vault(keyring_of({{2, master2_}}))->get_connection("acme", "alice", "github");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(missing.error().message.find("master key version 1, which is not configured"),
            std::string::npos);
}

TEST_F(VaultTest, UpdateTokensIsCompareAndSet) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  ASSERT_TRUE(vault->put_connection("acme", "alice", "github", tokens("a"), kNow).ok());
  TokenUpdate refreshed{"at-2", std::string("rt-2"), kNow + 7200, std::nullopt, std::nullopt};
  const auto v2 = vault->update_tokens("acme", "alice", "github", refreshed, 1, kNow + 10);
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  EXPECT_EQ(*v2, 2);

  // A racing refresher that read version 1 loses and must re-read.
  TokenUpdate late{"at-late", std::string("rt-late"), kNow + 7200, std::nullopt, std::nullopt};
  const auto lost = vault->update_tokens("acme", "alice", "github", late, 1, kNow + 11);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::kFailedPrecondition);

  auto cold = make_vault(keyring_of({{1, master1_}}));
  auto got = cold->get_connection("acme", "alice", "github").value();
  EXPECT_EQ(got->access_token, "at-2");
  EXPECT_EQ(got->refresh_token, "rt-2");
  EXPECT_EQ(got->scopes, "repo read:user");  // kept
  EXPECT_EQ(got->version, 2);

  // A provider that does not rotate refresh tokens: the stored one is kept.
  TokenUpdate keep{"at-3", std::nullopt, kNow + 9000, std::string("repo"), std::nullopt};
  ASSERT_TRUE(vault->update_tokens("acme", "alice", "github", keep, 2, kNow + 20).ok());
  got = cold->get_connection("acme", "alice", "github", Vault::Read::kFromStore).value();
  EXPECT_EQ(got->access_token, "at-3");
  EXPECT_EQ(got->refresh_token, "rt-2");
  EXPECT_EQ(got->scopes, "repo");

  // Many threads racing from the same version: exactly one wins.
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      TokenUpdate u{"at-r" + std::to_string(i), std::string("rt"), kNow, std::nullopt,
                    std::nullopt};
      if (vault->update_tokens("acme", "alice", "github", u, 3, kNow + 30).ok()) {
        ++won;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(won.load(), 1);
}

TEST_F(VaultTest, CacheServesLookupsAndSeesOtherWritersAfterItsTtl) {
  Vault::Options short_ttl;
  short_ttl.cache_ttl = std::chrono::milliseconds(50);
  auto reader = make_vault(keyring_of({{1, master1_}}), short_ttl);
  auto writer = make_vault(keyring_of({{1, master1_}}));  // "another replica"
  ASSERT_TRUE(writer->put_connection("acme", "alice", "github", tokens("a"), kNow).ok());
  const auto first = reader->get_connection("acme", "alice", "github").value();
  // Cached: the very same object.
  EXPECT_EQ(reader->get_connection("acme", "alice", "github").value(), first);

  ASSERT_TRUE(writer
                  ->update_tokens("acme", "alice", "github",
                                  TokenUpdate{"at-new", std::nullopt, kNow, std::nullopt, std::nullopt}, 1, kNow)
                  .ok());
  EXPECT_EQ(reader->get_connection("acme", "alice", "github", Vault::Read::kFromStore)
                .value()
                ->access_token,
            "at-new");
  ASSERT_TRUE(writer->delete_connection("acme", "alice", "github").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(reader->get_connection("acme", "alice", "github").error().code, ErrorCode::kNotFound);
}

// A deactivated user's connections (Store::deprovision_user) cannot be read, refreshed,
// reconnected or added to until reactivation, which brings them back as they were. The vault that
// cached one before forgets it when told (forget_user / forget_all), not after its TTL.
TEST_F(VaultTest, attacks_075_suspended_connections_are_unusable_until_reactivation) {
  store::User user;
  user.id = "usr_leaver";
  user.username = "leaver";
  user.created_at = kNow;
  ASSERT_TRUE(store_->create_user(user).ok());
  auto vault = make_vault(keyring_of({{1, master1_}}));  // caches for 2 s (the default)
  ASSERT_TRUE(vault->put_connection("acme", user.id, "github", tokens("a"), kNow).ok());
  ASSERT_TRUE(vault->put_connection("acme", "usr_stayer", "github", tokens("b"), kNow).ok());
  const auto before = vault->get_connection("acme", user.id, "github");
  ASSERT_TRUE(before.ok());

  const auto report =
      store_->deprovision_user(user.id, store::DeprovisionMode::kDisable, kNow + 1);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->vault_suspended, 1);
  // Still cached (another process deprovisioned): the notification makes it forget.
  EXPECT_TRUE(vault->get_connection("acme", user.id, "github").ok());
  vault->forget_user(user.id);
  const auto got = vault->get_connection("acme", user.id, "github");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(vault->get_connection("acme", user.id, "github", Vault::Read::kFromStore).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(vault->get_connection("acme", "usr_stayer", "github").ok());  // others unaffected
  // No refresh result can be written, whatever version it read.
  const TokenUpdate update{"at-new", std::nullopt, kNow + 3600, std::nullopt, std::nullopt};
  EXPECT_EQ(vault->update_tokens("acme", user.id, "github", update, (*before)->version, kNow + 2)
                .error()
                .code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(vault->update_tokens("acme", user.id, "github", update, (*before)->version + 1,
                                 kNow + 2)
                .error()
                .code,
            ErrorCode::kFailedPrecondition);
  // A reconnect does not lift the suspension; a new connector cannot be added.
  EXPECT_EQ(vault->put_connection("acme", user.id, "github", tokens("c"), kNow + 2).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(vault->put_connection("acme", user.id, "slack", tokens("c"), kNow + 2).error().code,
            ErrorCode::kFailedPrecondition);
  const auto listed = vault->list_connections("acme", user.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_TRUE((*listed)[0].suspended);

  // Reactivation: the same tokens, usable at once, no reconnect.
  ASSERT_TRUE(store_->reactivate_user(user.id).ok());
  const auto back = vault->get_connection("acme", user.id, "github");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ((*back)->access_token, "at-a-PLAINTEXT-ACCESS");
  EXPECT_EQ((*back)->refresh_token, "rt-a-PLAINTEXT-REFRESH");
  EXPECT_EQ((*back)->status, ConnectionStatus::kActive);
  EXPECT_TRUE(
      vault->update_tokens("acme", user.id, "github", update, (*back)->version, kNow + 3).ok());

  // forget_all: what another replica does on the store's users notification.
  ASSERT_TRUE(store_->deprovision_user(user.id, store::DeprovisionMode::kDisable, kNow + 4).ok());
  vault->forget_all();
  EXPECT_EQ(vault->get_connection("acme", user.id, "github").error().code,
            ErrorCode::kFailedPrecondition);
}

TEST_F(VaultTest, ListShowsNoSecretsAndDeleteRemoves) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  ASSERT_TRUE(vault->put_connection("acme", "alice", "github", tokens("a"), kNow).ok());
  ASSERT_TRUE(vault->put_connection("acme", "alice", "slack", tokens("b"), kNow).ok());
  ASSERT_TRUE(vault->put_connection("acme", "bob", "slack", tokens("c"), kNow).ok());
  const auto listed = vault->list_connections("acme", "alice");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].connector, "github");
  EXPECT_EQ((*listed)[1].scopes, "repo read:user");
  ASSERT_TRUE(vault->delete_connection("acme", "alice", "github").ok());
  EXPECT_EQ(vault->get_connection("acme", "alice", "github").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(vault->delete_connection("acme", "alice", "github").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(vault->list_connections("acme", "alice")->size(), 1U);
}

TEST_F(VaultTest, MasterKeyRotationKeepsEveryConnectionReadable) {
  auto v1 = make_vault(keyring_of({{1, master1_}}));
  for (const char* user : {"alice", "bob"}) {
    ASSERT_TRUE(v1->put_connection("acme", user, "github", tokens(user), kNow).ok());
  }
  ASSERT_TRUE(v1->put_connection("globex", "carol", "slack", tokens("carol"), kNow).ok());

  // Roll out version 2 next to 1 (active), re-wrap, then drop version 1.
  auto both = make_vault(keyring_of({{1, master1_}, {2, master2_}}));
  const auto report = both->rotate_master_key(kNow + 60);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->rewrapped, 2);
  EXPECT_TRUE(report->failures.empty());
  EXPECT_EQ(both->rotate_master_key(kNow + 61)->current, 2);  // idempotent
  const auto keys = store_->list_vault_data_keys("");
  ASSERT_TRUE(keys.ok());
  for (const auto& k : *keys) {
    EXPECT_EQ(k.master_key_version, 2);
    EXPECT_EQ(k.rewrapped_at, kNow + 60);
  }
  // The running v1-only process keeps its unwrapped data keys: no downtime for it.
  EXPECT_TRUE(v1->get_connection("acme", "alice", "github", Vault::Read::kFromStore).ok());

  auto only2 = make_vault(keyring_of({{2, master2_}}));
  for (const char* user : {"alice", "bob"}) {
    const auto got = only2->get_connection("acme", user, "github");
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ((*got)->access_token, "at-" + std::string(user) + "-PLAINTEXT-ACCESS");
  }
  EXPECT_TRUE(only2->get_connection("globex", "carol", "slack").ok());

  // Without the old version loaded, rotation reports what it could not do and changes nothing.
  auto v3 = make_vault(keyring_of({{3, random_master_key()}}));
  const auto stuck = v3->rotate_master_key(kNow + 90);
  ASSERT_TRUE(stuck.ok());
  EXPECT_EQ(stuck->rewrapped, 0);
  EXPECT_EQ(stuck->failures.size(), 2U);
}

TEST_F(VaultTest, NewDataKeySealsNewWritesAndOldOnesStillOpen) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  ASSERT_TRUE(vault->put_connection("acme", "alice", "github", tokens("a"), kNow).ok());
  const auto v = vault->new_data_key("acme", kNow + 1);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 2);
  ASSERT_TRUE(vault->put_connection("acme", "bob", "github", tokens("b"), kNow + 2).ok());
  EXPECT_EQ(store_->find_vault_connection("acme", "alice", "github")->data_key_version, 1);
  EXPECT_EQ(store_->find_vault_connection("acme", "bob", "github")->data_key_version, 2);
  auto cold = make_vault(keyring_of({{1, master1_}}));
  EXPECT_TRUE(cold->get_connection("acme", "alice", "github").ok());
  EXPECT_TRUE(cold->get_connection("acme", "bob", "github").ok());
  // A refresh re-seals under the new key.
  ASSERT_TRUE(vault
                  ->update_tokens("acme", "alice", "github",
                                  TokenUpdate{"at-x", std::nullopt, kNow, std::nullopt, std::nullopt}, 1, kNow)
                  .ok());
  EXPECT_EQ(store_->find_vault_connection("acme", "alice", "github")->data_key_version, 2);
  EXPECT_EQ(*store_->count_vault_connections_not_under("acme", 2), 0);

  const auto status = vault->status();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->data_keys.size(), 2U);
  for (const auto& k : status->data_keys) {
    EXPECT_TRUE(k.wrapped.empty());
  }
}

TEST_F(VaultTest, TheDatabaseFileHoldsNoPlaintextToken) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  std::vector<std::string> secrets;
  for (int i = 0; i < 20; ++i) {
    const std::string n = std::to_string(i);
    TokenSet t = tokens(n);
    secrets.push_back(t.access_token);
    secrets.push_back(t.refresh_token);
    ASSERT_TRUE(vault->put_connection("acme", "user" + n, "github", t, kNow).ok());
  }
  TokenUpdate u{"at-refreshed-PLAINTEXT", std::string("rt-refreshed-PLAINTEXT"), kNow,
                std::nullopt, std::nullopt};
  secrets.push_back(u.access_token);
  secrets.push_back(*u.refresh_token);
  ASSERT_TRUE(vault->update_tokens("acme", "user0", "github", u, 1, kNow).ok());
  store_.reset();  // close: everything is in the file (and its WAL, checked too)

  std::string bytes;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::ifstream in(path_ + suffix, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(bytes.size(), 4096U);
  EXPECT_NE(bytes.find("repo read:user"), std::string::npos);  // the grep works on this file
  for (const std::string& secret : secrets) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << "plaintext token in the database file";
  }
  EXPECT_EQ(bytes.find("PLAINTEXT"), std::string::npos);
}

TEST_F(VaultTest, HostileInputsAreRefusedPlainly) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  TokenSet huge = tokens("h");
  huge.access_token.assign(16 * 1024 + 1, 'A');
  EXPECT_EQ(vault->put_connection("acme", "alice", "github", huge, kNow).error().code,
            ErrorCode::kInvalidArgument);
  huge = tokens("h");
  huge.refresh_token.assign(1 << 20, 'R');
  EXPECT_EQ(vault->put_connection("acme", "alice", "github", huge, kNow).error().code,
            ErrorCode::kInvalidArgument);
  huge = tokens("h");
  huge.scopes.assign(5000, 's');
  EXPECT_EQ(vault->put_connection("acme", "alice", "github", huge, kNow).error().code,
            ErrorCode::kInvalidArgument);
  TokenSet empty_at = tokens("e");
  empty_at.access_token.clear();
  EXPECT_EQ(vault->put_connection("acme", "alice", "github", empty_at, kNow).error().code,
            ErrorCode::kInvalidArgument);
  for (const auto& [t, u, c] :
       {std::tuple<std::string, std::string, std::string>{"", "alice", "github"},
        {"acme", "", "github"},
        {"acme", "alice", ""},
        {std::string("ac\0me", 5), "alice", "github"},
        {"acme", std::string(300, 'u'), "github"}}) {
    EXPECT_EQ(vault->put_connection(t, u, c, tokens("x"), kNow).error().code,
              ErrorCode::kInvalidArgument);
    EXPECT_EQ(vault->get_connection(t, u, c).error().code, ErrorCode::kInvalidArgument);
  }
  // Binary and UTF-8 tokens are bytes like any other.
  TokenSet binary = tokens("b");
  binary.access_token = std::string("\0\xff\xfe token \xe2\x9c\x93", 13);
  ASSERT_TRUE(vault->put_connection("acme", "alice", "github", binary, kNow).ok());
  auto cold = make_vault(keyring_of({{1, master1_}}));
  EXPECT_EQ(cold->get_connection("acme", "alice", "github").value()->access_token,
            binary.access_token);
  EXPECT_TRUE(store_->list_vault_connections("acme", "nobody")->empty());
}

// Two processes sharing one SQLite file: two Store instances, one lease.
TEST_F(VaultTest, RefreshLeaseIsExclusiveAcrossStoresOnOneFile) {
  auto vault = make_vault(keyring_of({{1, master1_}}));
  ASSERT_TRUE(vault->put_connection("acme", "alice", "github", tokens("a"), kNow).ok());
  const std::string id = vault->get_connection("acme", "alice", "github").value()->id;
  auto other = open_store(path_, store_key_);
  ASSERT_NE(other, nullptr);

  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      store::Store& s = (i % 2 == 0) ? *store_ : *other;
      const auto r = s.acquire_refresh_lease(id, "proc-" + std::to_string(i), kNow, 30);
      ASSERT_TRUE(r.ok()) << r.error().message;
      if (r->granted) {
        ++granted;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(granted.load(), 1);
  const auto held = other->acquire_refresh_lease(id, "late", kNow + 29, 30);
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(held->granted);
  const std::string holder = held->holder;
  EXPECT_TRUE(store_->release_refresh_lease(id, holder).ok());
  EXPECT_TRUE(other->acquire_refresh_lease(id, "late", kNow + 29, 30)->granted);
  // Expired leases can be taken over from the other store.
  EXPECT_TRUE(store_->acquire_refresh_lease(id, "next", kNow + 60, 30)->granted);
}

}  // namespace
}  // namespace mcpgate::vault
