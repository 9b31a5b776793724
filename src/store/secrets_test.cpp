// The client-secret rule (store.hpp client_secret_accepted), case by case; the store suites check
// the same rule through verify_client_secret on SQLite and PostgreSQL, and the OAuth tests
// through the token endpoint.
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "store/store.hpp"

namespace mcpgate::store {
namespace {

class ClientSecretRuleTest : public ::testing::Test {
 protected:
  const std::string stored_ = hash_secret("the-secret");
  const std::string right_ = hash_secret("the-secret");
  const std::string wrong_ = hash_secret("another-secret");
};

TEST_F(ClientSecretRuleTest, AcceptsTheStoredSecretOfAnEnabledClientThatNeverExpires) {
  EXPECT_EQ(right_.size(), 32u);
  EXPECT_TRUE(client_secret_accepted(stored_, false, 0, right_, 1'000));
}

TEST_F(ClientSecretRuleTest, RefusesAnotherSecret) {
  EXPECT_FALSE(client_secret_accepted(stored_, false, 0, wrong_, 1'000));
  EXPECT_FALSE(client_secret_accepted(stored_, false, 0, "", 1'000));
  EXPECT_FALSE(client_secret_accepted(stored_, false, 0, right_.substr(0, 31), 1'000));
}

TEST_F(ClientSecretRuleTest, RefusesWhenNothingIsStoredWhateverIsPresented) {
  EXPECT_FALSE(client_secret_accepted(std::nullopt, false, 0, right_, 1'000));
  // The zero hash the comparison runs against when nothing is stored is not a way in.
  EXPECT_FALSE(client_secret_accepted(std::nullopt, false, 0, std::string(32, '\0'), 1'000));
  // A stored value that is no hash (empty, or of another size) matches nothing, not even itself.
  EXPECT_FALSE(client_secret_accepted(std::string_view(), false, 0, "", 1'000));
  EXPECT_FALSE(client_secret_accepted(std::string_view("short"), false, 0, "short", 1'000));
}

TEST_F(ClientSecretRuleTest, RefusesADisabledClient) {
  EXPECT_FALSE(client_secret_accepted(stored_, true, 0, right_, 1'000));
}

TEST_F(ClientSecretRuleTest, RefusesFromTheExpiryOnwards) {
  EXPECT_TRUE(client_secret_accepted(stored_, false, 2'000, right_, 1'999));
  EXPECT_FALSE(client_secret_accepted(stored_, false, 2'000, right_, 2'000));
  EXPECT_FALSE(client_secret_accepted(stored_, false, 2'000, right_, 5'000));
}

}  // namespace
}  // namespace mcpgate::store
