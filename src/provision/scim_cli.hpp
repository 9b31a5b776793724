#pragma once
// The operator's SCIM directory-token commands:
//
//   mcpgate scim token create --config C --org ORG [--name NAME]
//        makes a directory for the organization and prints its bearer token once (the store
//        keeps only its hash); the identity provider's SCIM connector is given the token and
//        <public_url>/scim/v2 as its base URL
//   mcpgate scim token list --config C [--org ORG]
//        directories: id, organization, name, created, revoked (never a token)
//   mcpgate scim token revoke --config C DIRECTORY_ID
//        the token stops working at once (every replica reads the same row)
//
// Exit codes: 0 success, 1 the command failed (unknown directory, bad organization), 2 usage or
// store errors.

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace CLI {
class App;
}

namespace mcpgate::provision {

struct ScimTokenCreated {
  std::string directory_id;
  std::string token;  // shown once
};

Result<ScimTokenCreated> create_scim_token(store::Store& store, std::string_view org_id,
                                           std::string_view name, store::Timestamp now);
int run_scim_token_list(store::Store& store, std::string_view org_id, std::ostream& out,
                        std::ostream& err);
int run_scim_token_revoke(store::Store& store, std::string_view directory_id,
                          store::Timestamp now, std::ostream& out, std::ostream& err);

struct ScimStoreArgs {
  std::string config;
  std::string data_dir;
  std::string store_url;
};
using ScimStoreOpener =
    std::function<Result<std::unique_ptr<store::Store>>(const ScimStoreArgs&)>;

class ScimCommands {
 public:
  explicit ScimCommands(CLI::App& app);
  ~ScimCommands();
  ScimCommands(const ScimCommands&) = delete;
  ScimCommands& operator=(const ScimCommands&) = delete;

  bool parsed() const;
  int run(const ScimStoreOpener& open_store, std::ostream& out, std::ostream& err) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mcpgate::provision
