// The Store conformance suite, continued: approvals of destructive admin calls
// (store_suite.hpp; src/admin/approvals.hpp).

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/store_suite.hpp"

namespace mcpgate::store::testing {
namespace {

AdminApproval approval_for(const std::string& id,
                           const std::string& binding,
                           const std::string& user = "helen") {
  AdminApproval a;
  a.id = id;
  a.binding = binding;
  a.org_id = "default";
  a.user_id = user;
  a.client_id = "agent";
  a.operation = "revokeUserGrant";
  a.arguments = R"({"grant_id":"g1","user_id":"alice"})";
  a.state = "pending";
  a.created_at = kNow;
  a.expires_at = kNow + 600;
  return a;
}

TEST_P(StoreSuite, AdminApprovalIsCreatedFoundAndRefusesBadRows) {
  const AdminApproval a = approval_for("ap-1", "b1");
  ASSERT_TRUE(store().create_admin_approval(a).ok());
  const auto found = store().find_admin_approval("ap-1");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, a);
  EXPECT_EQ(store().create_admin_approval(a).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store().find_admin_approval("ap-missing").error().code, ErrorCode::kNotFound);

  AdminApproval no_binding = approval_for("ap-2", "");
  EXPECT_EQ(store().create_admin_approval(no_binding).error().code, ErrorCode::kInvalidArgument);
  AdminApproval approved = approval_for("ap-3", "b3");
  approved.state = "approved";  // nobody may write an approval that is already given
  EXPECT_EQ(store().create_admin_approval(approved).error().code, ErrorCode::kInvalidArgument);
  AdminApproval expired = approval_for("ap-4", "b4");
  expired.expires_at = expired.created_at;
  EXPECT_EQ(store().create_admin_approval(expired).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(StoreSuite, AdminApprovalsExpiredOverAWeekAreDeletedWhenANewOneIsCreated) {
  constexpr Timestamp kWeek = 7 * 24 * 3600;
  AdminApproval old_pending = approval_for("ap-old-pending", "b1");
  old_pending.created_at = kNow - kWeek - 1000;
  old_pending.expires_at = kNow - kWeek - 1;  // a second past the retention
  AdminApproval old_used = approval_for("ap-old-used", "b2");
  old_used.created_at = kNow - kWeek - 1000;
  old_used.expires_at = kNow - kWeek - 1;
  AdminApproval recent = approval_for("ap-recent", "b3");
  recent.created_at = kNow - kWeek - 1000;
  recent.expires_at = kNow - kWeek;  // exactly a week ago: kept
  AdminApproval yesterday = approval_for("ap-yesterday", "b4");
  yesterday.created_at = kNow - 90'000;
  yesterday.expires_at = kNow - 86'400;
  for (const auto& a : {old_pending, old_used, recent, yesterday}) {
    ASSERT_TRUE(store().create_admin_approval(a).ok()) << a.id;
  }
  // Used after it was approved, long ago (states do not matter to the purge).
  ASSERT_TRUE(
      store().decide_admin_approval("ap-old-used", "helen", true, old_used.created_at + 1).ok());
  ASSERT_EQ(store().use_admin_approval("b2", old_used.created_at + 2).value(), true);
  // Still all there: the purge only runs when an approval is created, relative to its time.
  for (const char* id : {"ap-old-pending", "ap-old-used", "ap-recent", "ap-yesterday"}) {
    EXPECT_TRUE(store().find_admin_approval(id).ok()) << id;
  }

  ASSERT_TRUE(store().create_admin_approval(approval_for("ap-now", "b5")).ok());
  EXPECT_EQ(store().find_admin_approval("ap-old-pending").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_admin_approval("ap-old-used").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store().find_admin_approval("ap-recent").ok());
  EXPECT_TRUE(store().find_admin_approval("ap-yesterday").ok());
  EXPECT_TRUE(store().find_admin_approval("ap-now").ok());
}

TEST_P(StoreSuite, AdminApprovalPendingIsFoundByBindingUntilItExpires) {
  ASSERT_TRUE(store().create_admin_approval(approval_for("ap-old", "b")).ok());
  AdminApproval newer = approval_for("ap-new", "b");
  newer.created_at = kNow + 1;
  newer.expires_at = kNow + 601;
  ASSERT_TRUE(store().create_admin_approval(newer).ok());
  const auto pending = store().find_pending_admin_approval("b", kNow + 10);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->id, "ap-new");
  EXPECT_EQ(store().find_pending_admin_approval("other", kNow).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_pending_admin_approval("b", kNow + 601).error().code,
            ErrorCode::kNotFound);
  // A decided approval is no longer pending.
  ASSERT_TRUE(store().decide_admin_approval("ap-new", "helen", false, kNow + 2).ok());
  EXPECT_EQ(store().find_pending_admin_approval("b", kNow + 10)->id, "ap-old");
}

TEST_P(StoreSuite, AdminApprovalOnlyItsRequesterDecidesAndOnlyOnce) {
  ASSERT_TRUE(store().create_admin_approval(approval_for("ap-1", "b")).ok());
  EXPECT_EQ(store().decide_admin_approval("ap-1", "mallory", true, kNow + 1).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().decide_admin_approval("ap-x", "helen", true, kNow + 1).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(store().decide_admin_approval("ap-1", "helen", true, kNow + 1).ok());
  EXPECT_EQ(store().decide_admin_approval("ap-1", "helen", false, kNow + 2).error().code,
            ErrorCode::kFailedPrecondition);
  const auto a = store().find_admin_approval("ap-1");
  EXPECT_EQ(a->state, "approved");
  EXPECT_EQ(a->decided_at, kNow + 1);
  // Too late to decide.
  ASSERT_TRUE(store().create_admin_approval(approval_for("ap-2", "b2")).ok());
  EXPECT_EQ(store().decide_admin_approval("ap-2", "helen", true, kNow + 600).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST_P(StoreSuite, AdminApprovalIsUsedOnceForItsBindingOnlyAndNotAfterExpiry) {
  ASSERT_TRUE(store().create_admin_approval(approval_for("ap-1", "b")).ok());
  EXPECT_FALSE(*store().use_admin_approval("b", kNow + 1)) << "pending is not approved";
  ASSERT_TRUE(store().decide_admin_approval("ap-1", "helen", true, kNow + 1).ok());
  EXPECT_FALSE(*store().use_admin_approval("other-binding", kNow + 2));
  EXPECT_FALSE(*store().use_admin_approval("b", kNow + 600)) << "expired";
  EXPECT_TRUE(*store().use_admin_approval("b", kNow + 2));
  EXPECT_FALSE(*store().use_admin_approval("b", kNow + 3)) << "single use";
  const auto a = store().find_admin_approval("ap-1");
  EXPECT_EQ(a->state, "used");
  EXPECT_EQ(a->used_at, kNow + 2);
  // A denied approval is never usable.
  ASSERT_TRUE(store().create_admin_approval(approval_for("ap-2", "d")).ok());
  ASSERT_TRUE(store().decide_admin_approval("ap-2", "helen", false, kNow + 1).ok());
  EXPECT_FALSE(*store().use_admin_approval("d", kNow + 2));
}

TEST_P(StoreSuite, AdminApprovalConcurrentUsesGetItExactlyOnce) {
  ASSERT_TRUE(store().create_admin_approval(approval_for("ap-1", "b")).ok());
  ASSERT_TRUE(store().decide_admin_approval("ap-1", "helen", true, kNow + 1).ok());
  std::atomic<int> used{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int attempt = 0; attempt < 50; ++attempt) {
        const auto r = store().use_admin_approval("b", kNow + 2);
        if (r.ok()) {
          used += *r ? 1 : 0;
          return;
        }
        if (r.error().code != ErrorCode::kUnavailable) {
          ++failed;
          return;
        }
      }
      ++failed;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(used.load(), 1);
}

}  // namespace
}  // namespace mcpgate::store::testing
