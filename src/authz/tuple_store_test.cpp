#include "authz/tuple_store.hpp"
#include "authz/test_tuples.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace mcpgate::authz {
namespace {

using test_support::t;

TEST(TupleStoreTest, WriteBumpsRevisionAndReadFindsTuples) {
  TupleStore store;
  EXPECT_EQ(store.revision(), 0U);
  auto rev = store.write({t("doc:1", "viewer", "user:a"), t("doc:1", "viewer", "group:g#member")}, {});
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(*rev, 1U);
  EXPECT_EQ(store.revision(), 1U);
  EXPECT_EQ(store.size(), 2U);
  EXPECT_EQ(store.read({"doc:1", "viewer", ""}).size(), 2U);
  EXPECT_EQ(store.read({"doc:1", "", "user:a"}).size(), 1U);
  EXPECT_EQ(store.read({"doc:", "", ""}).size(), 2U);
  EXPECT_EQ(store.read({"", "viewer", "group:g#member"}).size(), 1U);
  EXPECT_EQ(store.read({"doc:2", "", ""}).size(), 0U);
  EXPECT_EQ(store.read({}, 1).size(), 1U);
}

TEST(TupleStoreTest, WritingAnExistingTupleFailsAtomically) {
  TupleStore store;
  ASSERT_TRUE(store.write({t("doc:1", "viewer", "user:a")}, {}).ok());
  FgaError detail;
  auto rev = store.write({t("doc:1", "viewer", "user:b"), t("doc:1", "viewer", "user:a")}, {}, &detail);
  EXPECT_FALSE(rev.ok());
  EXPECT_EQ(detail.code, FgaErrorCode::kInvalidWriteInput);
  EXPECT_EQ(store.revision(), 1U);
  EXPECT_EQ(store.size(), 1U);  // user:b was not written
  // Same key with a different condition is still the same tuple.
  TupleRecord with_cond = t("doc:1", "viewer", "user:a");
  with_cond.condition_name = "c";
  EXPECT_FALSE(store.write({with_cond}, {}).ok());
}

TEST(TupleStoreTest, DeletingAMissingTupleFailsAtomically) {
  TupleStore store;
  ASSERT_TRUE(store.write({t("doc:1", "viewer", "user:a")}, {}).ok());
  FgaError detail;
  EXPECT_FALSE(store.write({}, {t("doc:1", "viewer", "user:a"), t("doc:1", "viewer", "user:zz")}, &detail).ok());
  EXPECT_EQ(detail.code, FgaErrorCode::kInvalidWriteInput);
  EXPECT_EQ(store.size(), 1U);
  auto rev = store.write({t("doc:1", "viewer", "user:b")}, {t("doc:1", "viewer", "user:a")});
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(store.read({"doc:1", "viewer", ""}).size(), 1U);
  EXPECT_EQ(store.read({"doc:1", "viewer", ""})[0].user, "user:b");
}

TEST(TupleStoreTest, RejectsDuplicatesAndOversizedWrites) {
  TupleStoreOptions options;
  options.max_tuples_per_write = 3;
  TupleStore store(options);
  FgaError detail;
  EXPECT_FALSE(store.write({t("doc:1", "v", "user:a"), t("doc:1", "v", "user:a")}, {}, &detail).ok());
  EXPECT_EQ(detail.code, FgaErrorCode::kDuplicateTupleInWrite);
  std::vector<TupleRecord> four;
  for (int i = 0; i < 4; ++i) {
    four.push_back(t("doc:1", "v", "user:" + std::to_string(i)));
  }
  EXPECT_FALSE(store.write(four, {}, &detail).ok());
  EXPECT_EQ(detail.code, FgaErrorCode::kExceededEntityLimit);
  EXPECT_FALSE(store.write({}, {}).ok());
  EXPECT_EQ(store.revision(), 0U);
}

TEST(TupleStoreTest, RejectsMalformedTupleStrings) {
  TupleStore store;
  for (const TupleRecord& bad : {t("doc", "v", "user:a"), t("doc:", "v", "user:a"), t(":1", "v", "user:a"),
                                 t("doc:1", "", "user:a"), t("doc:1", "v#x", "user:a"), t("doc:1", "v", "user"),
                                 t("doc:1", "v", "user:*#member"), t("doc:1", "v", "group:g#"),
                                 t("doc:1", "v", "user:a b"), t("doc:*", "v", "user:a"), t("doc:1#x", "v", "user:a")}) {
    EXPECT_FALSE(store.write({bad}, {}).ok()) << to_string(bad);
  }
  EXPECT_EQ(store.size(), 0U);
}

TEST(TupleStoreTest, RejectsOversizedConditionContext) {
  TupleStore store;
  TupleRecord r = t("doc:1", "v", "user:a");
  r.condition_name = "c";
  r.condition_context = {{"blob", std::string(33 * 1024, 'x')}};
  EXPECT_FALSE(store.write({r}, {}).ok());
  r.condition_context = {{"blob", std::string(1024, 'x')}};
  EXPECT_TRUE(store.write({r}, {}).ok());
  auto back = store.read({"doc:1", "v", "user:a"});
  ASSERT_EQ(back.size(), 1U);
  EXPECT_EQ(back[0], r);
}

TEST(TupleStoreTest, ChangesSinceReturnsWritesAndDeletesInOrder) {
  TupleStore store;
  ASSERT_TRUE(store.write({t("doc:1", "v", "user:a")}, {}).ok());
  ASSERT_TRUE(store.write({t("folder:1", "v", "user:a")}, {}).ok());
  ASSERT_TRUE(store.write({}, {t("doc:1", "v", "user:a")}).ok());
  auto all = store.changes_since(0);
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].op, TupleChange::Op::kWrite);
  EXPECT_EQ(all[2].op, TupleChange::Op::kDelete);
  EXPECT_EQ(all[2].revision, 3U);
  EXPECT_EQ(store.changes_since(1).size(), 2U);
  EXPECT_EQ(store.changes_since(0, 0, "doc").size(), 2U);
  EXPECT_EQ(store.changes_since(0, 1).size(), 1U);
  EXPECT_EQ(store.changes_since(3).size(), 0U);
}

TEST(TupleStoreTest, LoadReplacesContentAndSetsRevision) {
  TupleStore store;
  ASSERT_TRUE(store.write({t("doc:old", "v", "user:a")}, {}).ok());
  ASSERT_TRUE(store.load({t("doc:1", "v", "user:a"), t("doc:2", "v", "user:b")}, 42).ok());
  EXPECT_EQ(store.revision(), 42U);
  EXPECT_EQ(store.size(), 2U);
  EXPECT_TRUE(store.read({"doc:old", "", ""}).empty());
  EXPECT_FALSE(store.load({t("doc:1", "v", "user:a"), t("doc:1", "v", "user:a")}, 43).ok());
  EXPECT_EQ(store.revision(), 42U);
}

TEST(TupleStoreTest, ManyTuplesSurviveDeletesAndReinserts) {
  TupleStore store;
  std::vector<TupleRecord> all;
  for (int i = 0; i < 2000; ++i) {
    all.push_back(t("doc:" + std::to_string(i % 50), "v", "user:" + std::to_string(i)));
  }
  ASSERT_TRUE(store.load(all, 1).ok());
  for (int i = 0; i < 2000; i += 100) {
    std::vector<TupleRecord> del(all.begin() + i, all.begin() + i + 50);
    ASSERT_TRUE(store.write({}, del).ok());
  }
  EXPECT_EQ(store.size(), 1000U);
  for (int i = 0; i < 2000; ++i) {
    const bool present = (i % 100) >= 50;
    EXPECT_EQ(store.read({all[static_cast<std::size_t>(i)].object, "v", all[static_cast<std::size_t>(i)].user}).size(),
              present ? 1U : 0U)
        << i;
  }
}

TEST(TupleStoreTest, ReadersAndWritersRunConcurrently) {
  TupleStore store;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      TupleStore::ReadView view(store);
      const auto& d = view.data();
      (void)d.tuple_index.size();
    }
  });
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(store.write({t("doc:" + std::to_string(i), "v", "user:a")}, {}).ok());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(store.revision(), 200U);
}

}  // namespace
}  // namespace mcpgate::authz
