// read_secret: the one reader of secrets kept in files or environment variables.

#include "core/secret.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mcpgate {
namespace {

std::string temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

TEST(ReadSecretTest, FileGivesItsFirstLineWithoutTrailingBlanks) {
  const auto path = temp_file("secret-a", "s3cret \r\nsecond line\n");
  auto r = read_secret(path, "IGNORED", "x");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "s3cret");
  std::filesystem::remove(path);
}

TEST(ReadSecretTest, EnvironmentVariableWhenNoFile) {
  ::setenv("MCPGATE_TEST_SECRET", "from-env", 1);
  auto r = read_secret("", "MCPGATE_TEST_SECRET", "x");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "from-env");
  ::unsetenv("MCPGATE_TEST_SECRET");
}

TEST(ReadSecretTest, MissingOrEmptyIsAnErrorThatNamesTheSettingNotTheValue) {
  auto missing = read_secret("/nonexistent/secret", "", "store.password_file");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("store.password_file"), std::string::npos);
  auto unset = read_secret("", "MCPGATE_TEST_SURELY_UNSET", "x");
  EXPECT_EQ(unset.error().code, ErrorCode::kNotFound);
  const auto path = temp_file("secret-empty", "\n");
  auto empty = read_secret(path, "", "x");
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mcpgate
