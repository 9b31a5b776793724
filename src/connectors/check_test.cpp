#include "connectors/check.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "connectors/test_support.hpp"

namespace mcpgate::connectors {
namespace {

using testing::repo_path;

TEST(CheckCommand, ShippedConnectorPrintsASummary) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(check_connector_command(repo_path("connectors/github.yaml"), out, err), 0) << err.str();
  EXPECT_NE(out.str().find(": OK — connector 'github' (GitHub), 4 tools"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("github_close_issue  PATCH https://api.github.com/repos/{owner}/{repo}/"
                           "issues/{issue_number}  (destructive, idempotent)"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(err.str(), "");
}

TEST(CheckCommand, ErrorsAreFileLineMessageAndExitOne) {
  const std::string path = ::testing::TempDir() + "bad_connector.yaml";
  {
    std::ofstream f(path);
    f << testing::definition_with_tool(
        "  - name: t\n"
        "    description: d\n"
        "    annotations: {readOnlyHint: true, destructiveHint: false, idempotentHint: true}\n"
        "    input_schema: {type: object}\n"
        "    request:\n"
        "      method: GET\n"
        "      url: \"https://api.acme.example/x\"\n"
        "      query: {access_token: \"{cred.access_token}\"}\n");
  }
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(check_connector_command(path, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str().rfind(path + ":22: /tools/0/request/query/access_token: placeholder", 0), 0u)
      << err.str();
  std::remove(path.c_str());
}

TEST(CheckCommand, OpenApiImportSummary) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(check_openapi_command(repo_path("tests/data/openapi/tasks.yaml"), "tasks", out, err), 0)
      << err.str();
  EXPECT_NE(out.str().find("OK — 5 tools"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("tasks_create_task  POST https://eu.tasks.example/api/v1/projects/"
                           "{projectId}/tasks  (write)"),
            std::string::npos)
      << out.str();
  EXPECT_NE(err.str().find("warning:"), std::string::npos);
  std::ostringstream out2;
  std::ostringstream err2;
  EXPECT_EQ(check_openapi_command("/nonexistent.yaml", "", out2, err2), 1);
}

}  // namespace
}  // namespace mcpgate::connectors
