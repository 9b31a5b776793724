#include "crypto/master_key.hpp"

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/random.hpp"

namespace mcpgate::crypto {
namespace {

namespace fs = std::filesystem;

class MasterKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mcpgate_master_key_" + random_id());
    fs::create_directories(dir_);
  }

  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(MasterKeyTest, CreatesAPrivate32ByteFileOnce) {
  const fs::path file = dir_ / "master.key";
  const auto first = MasterKey::load(file, MasterKey::Create::kIfMissing);
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st = {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(st.st_size, 32);
  const auto again = MasterKey::load(file, MasterKey::Create::kNever);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->fingerprint(), first->fingerprint());
  EXPECT_EQ(again->derive("x"), first->derive("x"));
  EXPECT_NE(first->derive("x"), first->derive("y"));
  EXPECT_EQ(first->derive("x").size(), 32U);
  // No temporary files left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(MasterKeyTest, ConcurrentStartersAgreeOnOneKey) {
  const fs::path file = dir_ / "master.key";
  std::vector<std::string> prints(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < prints.size(); ++i) {
    threads.emplace_back([&, i] {
      auto key = MasterKey::load(file, MasterKey::Create::kIfMissing);
      prints[i] = key ? key->fingerprint() : "error";
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& p : prints) {
    EXPECT_EQ(p, prints[0]);
  }
  EXPECT_NE(prints[0], "error");
}

TEST_F(MasterKeyTest, MissingFileWithoutCreateIsNotFound) {
  const auto r = MasterKey::load(dir_ / "master.key", MasterKey::Create::kNever);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(MasterKeyTest, RefusesLooseModesWrongSizesAndSymlinks) {
  const fs::path file = dir_ / "master.key";
  { std::ofstream(file) << std::string(32, 'k'); }
  ::chmod(file.c_str(), 0644);
  auto r = MasterKey::load(file, MasterKey::Create::kNever);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos);

  ::chmod(file.c_str(), 0600);
  EXPECT_TRUE(MasterKey::load(file, MasterKey::Create::kNever).ok());

  { std::ofstream(file, std::ios::app) << "x"; }
  EXPECT_EQ(MasterKey::load(file, MasterKey::Create::kIfMissing).error().code,
            ErrorCode::kFailedPrecondition);

  const fs::path link = dir_ / "link.key";
  fs::create_symlink(file, link);
  EXPECT_FALSE(MasterKey::load(link, MasterKey::Create::kNever).ok());
  EXPECT_FALSE(MasterKey::load(dir_, MasterKey::Create::kNever).ok());
}

TEST_F(MasterKeyTest, DerivedAeadKeysSeparatePurposes) {
  const auto master = MasterKey::from_bytes(random_bytes(32)).value();
  const AeadKey a = master.aead_key("signing-keys");
  const AeadKey b = master.aead_key("vault");
  EXPECT_NE(a.id(), b.id());
  const std::string sealed = a.seal("s", "").value();
  EXPECT_EQ(master.aead_key("signing-keys").open(sealed, "").value(), "s");
  EXPECT_FALSE(b.open(sealed, "").ok());
  EXPECT_FALSE(MasterKey::from_bytes("short").ok());
}

}  // namespace
}  // namespace mcpgate::crypto
