// mcpgate: the command-line entry point. Exceptions stop here (the edge): anything thrown at
// start-up becomes a clear message and a non-zero exit.

#include <CLI/CLI.hpp>
#include <malloc.h>
#include <cstdlib>
#include <iostream>

#include "admin/cli.hpp"
#include "app/config.hpp"
#include "app/serve.hpp"
#include "audit/cli.hpp"
#include "connectors/check.hpp"
#include "core/log.hpp"
#include "oauth/cli.hpp"
#include "oauth/key_manager.hpp"
#include "oauth/organizations.hpp"
#include "mcp/registry.hpp"
#include "policy/cli.hpp"
#include "provision/scim_cli.hpp"
#include "tools/conformance_fixtures.hpp"
#include "tools/demo_tools.hpp"
#include "store/open_store.hpp"
#include "vault/cli.hpp"
#include "vault/keyring.hpp"

namespace {

using mcpgate::app::Config;

int fail(const std::string& message) {
  std::cerr << "mcpgate: " << message << "\n";
  return 2;
}

// The password for `user add` / `user passwd`: one line from standard input (so it never sits in
// the shell history or the process list).
std::string read_password() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

// Operator commands on the data directory of a configuration: `user add`, `user passwd`,
// `user disable`, `user enable`, `keys rotate`. They share the store with a running server (SQLite
// WAL, or PostgreSQL).
int run_admin(const Config& config, const std::string& command, const std::string& username,
              const std::string& org) {
  const std::string url = mcpgate::app::store_url(config.store);
  const std::string where = url.empty() ? config.data_dir : mcpgate::store::redacted_store_url(url);
  auto options = mcpgate::app::store_open_options(config);
  if (!options) {
    return fail(options.error().message);
  }
  auto store = mcpgate::store::open_store(url, *options);
  if (!store) {
    return fail(where + ": " + store.error().message);
  }
  if (command == "keys rotate") {
    auto kid = mcpgate::oauth::rotate_signing_keys(**store, mcpgate::oauth::system_now());
    if (!kid) {
      return fail("keys rotate: " + kid.error().message);
    }
    std::cout << "active signing key: " << *kid
              << " (running servers switch within a minute; the old key stays published)\n";
    return 0;
  }
  if (command == "user disable" || command == "user enable") {
    // `org` "" = any organization for an id, the default one for a name.
    auto done = command == "user disable" ? mcpgate::oauth::disable_user(**store, username, org)
                                          : mcpgate::oauth::enable_user(**store, username, org);
    if (!done) {
      return fail(command + ": " + done.error().message);
    }
    std::cout << command << ": " << *done << "\n";
    return 0;
  }
  // The configured organizations first, so `--org` may name one the server has not synced yet.
  if (auto synced = mcpgate::oauth::sync_organizations(**store, config.auth,
                                                       mcpgate::oauth::system_now());
      !synced) {
    return fail(command + ": " + synced.error().message);
  }
  const std::string password = read_password();
  const std::int64_t now = mcpgate::oauth::system_now();
  const mcpgate::Status st =
      command == "user add"
          ? mcpgate::oauth::add_user(**store, username, password, now, {}, org)
          : mcpgate::oauth::set_user_password(**store, username, password, now, org);
  if (!st) {
    return fail(command + ": " + st.error().message);
  }
  std::cout << command << ": " << username << " (organization " << org << "): OK\n";
  return 0;
}

// `mcpgate vault status|rotate-key`: the token vault's keys (src/vault/cli.hpp). The master
// keys come from the configuration's vault: section and the environment, as for serve.
int run_vault(const Config& config, bool rotate, const mcpgate::vault::RotateOptions& options) {
  const std::string url = mcpgate::app::store_url(config.store);
  const std::string where = url.empty() ? config.data_dir : mcpgate::store::redacted_store_url(url);
  auto keyring = mcpgate::vault::load_keyring(config.vault, config.data_dir);
  if (!keyring) {
    return fail(keyring.error().message);
  }
  auto open_options = mcpgate::app::store_open_options(config);
  if (!open_options) {
    return fail(open_options.error().message);
  }
  auto store = mcpgate::store::open_store(url, *open_options);
  if (!store) {
    return fail(where + ": " + store.error().message);
  }
  mcpgate::vault::Vault vault(**store, std::move(keyring).value());
  if (!rotate) {
    return mcpgate::vault::run_vault_status(vault, std::cout, std::cerr);
  }
  return mcpgate::vault::run_vault_rotate_key(vault, options, mcpgate::oauth::system_now(),
                                              std::cout, std::cerr);
}

// `mcpgate migrate`: applies pending schema migrations to the configured store and exits.
int run_migrate(const Config& config) {
  const std::string url = mcpgate::app::store_url(config.store);
  const std::string where = url.empty() ? config.data_dir : mcpgate::store::redacted_store_url(url);
  auto options = mcpgate::app::store_open_options(config);
  if (!options) {
    return fail(options.error().message);
  }
  auto version = mcpgate::store::migrate_store(url, *options);
  if (!version) {
    return fail(where + ": migrate: " + version.error().message);
  }
  std::cout << where << ": schema version " << *version << "\n";
  return 0;
}

// What `policy explain` and `tuples` need from a configuration: its authz: section, where the
// gate listens, and the tools it serves.
mcpgate::Result<mcpgate::policy::PolicyCliConfig> load_policy_cli_config(const std::string& path) {
  auto loaded = mcpgate::app::load_config(path);
  if (!loaded) {
    return loaded.error();
  }
  Config config = std::move(loaded).value();
  mcpgate::app::finalize_config(config);
  mcpgate::policy::PolicyCliConfig out;
  out.policy = config.authz;
  out.base_url = config.public_url;
  mcpgate::mcp::Registry registry;
  for (const auto& set : config.mcp.tool_sets) {
    if (set == "demo") {
      mcpgate::tools::register_demo_tools(registry);
    } else if (set == "conformance") {
      mcpgate::tools::register_conformance_fixtures(registry);
    }
  }
  for (const auto& tool : registry.tools()) {
    out.tools.push_back({tool.server, tool.descriptor.value("name", std::string())});
  }
  return out;
}

// The data directory and store URL: the flag, else the environment, else the file.
mcpgate::Status apply_overrides(Config& config, const std::string& data_dir, std::string store_url) {
  if (const char* env = std::getenv("MCPGATE_DATA_DIR"); env != nullptr && *env != '\0') {
    config.data_dir = env;
  }
  if (!data_dir.empty()) {
    config.data_dir = data_dir;
  }
  if (store_url.empty()) {
    if (const char* env = std::getenv("MCPGATE_STORE_URL"); env != nullptr && *env != '\0') {
      store_url = env;
    }
  }
  if (!store_url.empty()) {
    if (auto st = mcpgate::app::override_store_url(config, store_url); !st) {
      return mcpgate::make_error(st.error().code, "--store: " + st.error().message);
    }
  }
  return {};
}

// The store of a configuration, for `audit export|verify` and `tools pins|approve`.
mcpgate::Result<std::unique_ptr<mcpgate::store::Store>> open_configured_store(
    const mcpgate::audit::StoreArgs& args) {
  auto loaded = mcpgate::app::load_config(args.config);
  if (!loaded) {
    return loaded.error();
  }
  Config config = std::move(loaded).value();
  MCPGATE_TRY(apply_overrides(config, args.data_dir, args.store_url));
  mcpgate::app::finalize_config(config);
  const std::string url = mcpgate::app::store_url(config.store);
  const std::string where = url.empty() ? config.data_dir : mcpgate::store::redacted_store_url(url);
  MCPGATE_ASSIGN_OR_RETURN(auto options, mcpgate::app::store_open_options(config));
  auto store = mcpgate::store::open_store(url, options);
  if (!store) {
    return mcpgate::make_error(store.error().code, where + ": " + store.error().message);
  }
  return store;
}

}  // namespace

int main(int argc, char** argv) {
  // Argon2id takes 19 MiB per password hash. With glibc's default (dynamic) mmap threshold the
  // second such buffer lands on the heap and stays in RSS after it is freed; a fixed 1 MiB
  // threshold keeps every large buffer mmap'd, so it goes back to the OS when freed.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  CLI::App cli{"mcpgate: a security gateway for the Model Context Protocol"};
  cli.require_subcommand(1);

  std::string config_path;
  std::string listen;
  std::string data_dir;
  auto* serve = cli.add_subcommand("serve", "Run the gateway");
  serve->add_option("--config,-c", config_path, "YAML configuration file")->required();
  serve->add_option("--listen", listen, "Override server.listen (HOST:PORT)");
  serve->add_option("--data", data_dir, "Data directory (overrides data_dir and MCPGATE_DATA_DIR)");
  std::string store_url;
  const char* store_help =
      "Store URL: sqlite:PATH or postgresql://... (overrides store: and MCPGATE_STORE_URL)";
  serve->add_option("--store", store_url, store_help);

  std::string check_path;
  std::string check_connector;
  std::string check_openapi;
  std::string check_openapi_id;
  auto* check = cli.add_subcommand(
      "check", "Validate a configuration file, a connector definition or an OpenAPI import");
  auto* check_config_opt = check->add_option("--config,-c", check_path, "YAML configuration file");
  auto* check_connector_opt =
      check->add_option("--connector", check_connector, "Connector definition (connectors/*.yaml)");
  auto* check_openapi_opt =
      check->add_option("--openapi", check_openapi, "OpenAPI 3.0/3.1 document to import as tools");
  check->add_option("--connector-id", check_openapi_id, "Tool-name prefix for --openapi")
      ->needs(check_openapi_opt);
  check_config_opt->excludes(check_connector_opt)->excludes(check_openapi_opt);
  check_connector_opt->excludes(check_openapi_opt);
  check->require_option(1, 2);

  auto* version = cli.add_subcommand("version", "Print the version");

  std::string admin_config;
  std::string username;
  std::string user_org = "default";
  std::string deprovision_org;  // "" = not given
  auto* user = cli.add_subcommand("user", "Manage local users (passwords read from stdin)");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Create a user; the password is one line on stdin");
  auto* user_passwd =
      user->add_subcommand("passwd", "Set a user's password (stdin) and revoke their grants");
  auto* user_disable = user->add_subcommand(
      "disable",
      "Deactivate a user everywhere: revoke their grants and tokens, suspend their vault "
      "connections (running replicas refuse them within a second)");
  auto* user_enable = user->add_subcommand(
      "enable", "Reactivate a user: their vault connections are usable again (clients re-authorize)");
  for (auto* sub : {user_add, user_passwd}) {
    sub->add_option("username", username, "User name")->required();
    sub->add_option("--org", user_org, "The user's organization (default: default)");
  }
  for (auto* sub : {user_disable, user_enable}) {
    sub->add_option("user", username, "User id or user name")->required();
    sub->add_option("--org", deprovision_org,
                    "Only a user of this organization (default: an id of any organization, a name "
                    "of the default one)");
  }
  for (auto* sub : {user_add, user_passwd, user_disable, user_enable}) {
    sub->add_option("--config,-c", admin_config, "YAML configuration file (for data_dir)")->required();
    sub->add_option("--data", data_dir, "Data directory (overrides data_dir and MCPGATE_DATA_DIR)");
    sub->add_option("--store", store_url, store_help);
  }
  auto* keys = cli.add_subcommand("keys", "Manage token signing keys");
  keys->require_subcommand(1);
  auto* keys_rotate = keys->add_subcommand(
      "rotate", "Promote the next signing key; the old one stays published until its tokens expire");
  keys_rotate->add_option("--config,-c", admin_config, "YAML configuration file (for data_dir)")
      ->required();
  keys_rotate->add_option("--data", data_dir, "Data directory (overrides data_dir and MCPGATE_DATA_DIR)");
  keys_rotate->add_option("--store", store_url, store_help);

  auto* vault = cli.add_subcommand("vault", "Manage the token vault's keys");
  vault->require_subcommand(1);
  auto* vault_status =
      vault->add_subcommand("status", "Master and data key versions in use (counts, no secrets)");
  auto* vault_rotate = vault->add_subcommand(
      "rotate-key", "Re-wrap every data key under the active master key (no downtime)");
  mcpgate::vault::RotateOptions vault_rotate_options;
  vault_rotate->add_flag("--new-data-key", vault_rotate_options.new_data_key,
                         "Also start a new data key version (new seals use it; old ones open)");
  vault_rotate->add_option("--tenant", vault_rotate_options.tenant,
                           "With --new-data-key: only this tenant (default: every tenant)");
  for (auto* sub : {vault_status, vault_rotate}) {
    sub->add_option("--config,-c", admin_config, "YAML configuration file (vault:, store:)")
        ->required();
    sub->add_option("--data", data_dir, "Data directory (overrides data_dir and MCPGATE_DATA_DIR)");
    sub->add_option("--store", store_url, store_help);
  }

  auto* migrate = cli.add_subcommand("migrate", "Apply pending store schema migrations and exit");
  migrate->add_option("--config,-c", admin_config, "YAML configuration file (for store:)")
      ->required();
  migrate->add_option("--data", data_dir, "Data directory (overrides data_dir and MCPGATE_DATA_DIR)");
  migrate->add_option("--store", store_url, store_help);

  // `policy validate|test|explain`, `tuples write|delete|read` (src/policy/cli.hpp).
  mcpgate::policy::PolicyCommands policy_commands(cli);
  // `audit verify|export`, `tools pins|approve` (src/audit/cli.hpp).
  mcpgate::audit::AuditCommands audit_commands(cli);
  // `scim token create|list|revoke` (src/provision/scim_cli.hpp).
  mcpgate::provision::ScimCommands scim_commands(cli);
  // `admin <operation>`: every Admin API operation (src/admin/cli.hpp).
  mcpgate::admin::AdminCommands admin_commands(cli);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  if (version->parsed()) {
    std::cout << "mcpgate " << MCPGATE_VERSION << "\n";
    return 0;
  }
  if (admin_commands.parsed()) {
    return admin_commands.run(std::cout, std::cerr);
  }
  if (policy_commands.parsed()) {
    return policy_commands.run(load_policy_cli_config, std::cout, std::cerr);
  }
  if (audit_commands.parsed()) {
    return audit_commands.run(open_configured_store, std::cin, std::cout, std::cerr);
  }
  if (scim_commands.parsed()) {
    // The configured organizations are synced first, so `--org` may name one the server has
    // not synced yet (as `user add` does).
    const auto open_scim_store = [](const mcpgate::provision::ScimStoreArgs& a)
        -> mcpgate::Result<std::unique_ptr<mcpgate::store::Store>> {
      MCPGATE_ASSIGN_OR_RETURN(
          auto store,
          open_configured_store(mcpgate::audit::StoreArgs{a.config, a.data_dir, a.store_url}));
      MCPGATE_ASSIGN_OR_RETURN(Config config, mcpgate::app::load_config(a.config));
      MCPGATE_TRY(mcpgate::oauth::sync_organizations(*store, config.auth,
                                                     mcpgate::oauth::system_now()));
      return store;
    };
    return scim_commands.run(open_scim_store, std::cout, std::cerr);
  }

  if (check->parsed() && !check_connector.empty()) {
    return mcpgate::connectors::check_connector_command(check_connector, std::cout, std::cerr);
  }
  if (check->parsed() && !check_openapi.empty()) {
    return mcpgate::connectors::check_openapi_command(check_openapi, check_openapi_id, std::cout,
                                                      std::cerr);
  }

  const bool admin = user_add->parsed() || user_passwd->parsed() || user_disable->parsed()
                     || user_enable->parsed() || keys_rotate->parsed()
                     || migrate->parsed() || vault->parsed();
  const std::string& path = admin ? admin_config : serve->parsed() ? config_path : check_path;
  auto loaded = mcpgate::app::load_config(path);
  if (!loaded) {
    return fail(loaded.error().message);
  }
  Config config = std::move(loaded).value();
  if (auto st = apply_overrides(config, data_dir, store_url); !st) {
    return fail(st.error().message);
  }
  if (!listen.empty()) {
    if (auto st = mcpgate::app::parse_listen(listen, config.server); !st) {
      return fail("--listen: " + st.error().message);
    }
  }
  mcpgate::app::finalize_config(config);
  if (migrate->parsed()) {
    return run_migrate(config);
  }
  if (vault->parsed()) {
    return run_vault(config, vault_rotate->parsed(), vault_rotate_options);
  }
  if (admin) {
    const std::string command = keys_rotate->parsed()    ? "keys rotate"
                                : user_add->parsed()     ? "user add"
                                : user_disable->parsed() ? "user disable"
                                : user_enable->parsed()  ? "user enable"
                                                         : "user passwd";
    const bool deprovisioning = user_disable->parsed() || user_enable->parsed();
    return run_admin(config, command, username, deprovisioning ? deprovision_org : user_org);
  }
  if (auto st = mcpgate::app::check_deployment(config); !st) {
    return fail(st.error().message);
  }

  if (check->parsed()) {
    std::cout << path << ": OK\n";
    return 0;
  }

  // SIGHUP: the same file through the same steps, with the same command-line overrides.
  mcpgate::app::ConfigLoader reload =
      [path, data_dir, store_url, listen]() -> mcpgate::Result<Config> {
    MCPGATE_ASSIGN_OR_RETURN(Config next, mcpgate::app::load_config(path));
    MCPGATE_TRY(apply_overrides(next, data_dir, store_url));
    if (!listen.empty()) {
      if (auto st = mcpgate::app::parse_listen(listen, next.server); !st) {
        return mcpgate::make_error(st.error().code, "--listen: " + st.error().message);
      }
    }
    mcpgate::app::finalize_config(next);
    MCPGATE_TRY(mcpgate::app::check_deployment(next));
    return next;
  };
  mcpgate::log::init(config.logging);
  int rc = 1;
  try {
    rc = mcpgate::app::serve(std::move(config), std::move(reload));
  } catch (const std::exception& e) {
    mcpgate::log::error("fatal", {{"what", e.what()}});
  }
  mcpgate::log::shutdown();
  return rc;
}
