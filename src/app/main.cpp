// mcpgate: the command-line entry point. Exceptions stop here (the edge): anything thrown at
// start-up becomes a clear message and a non-zero exit.

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "app/config.hpp"
#include "app/serve.hpp"
#include "core/log.hpp"

namespace {

using mcpgate::app::Config;

int fail(const std::string& message) {
  std::cerr << "mcpgate: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"mcpgate: a security gateway for the Model Context Protocol"};
  cli.require_subcommand(1);

  std::string config_path;
  std::string listen;
  std::string data_dir;
  auto* serve = cli.add_subcommand("serve", "Run the gateway");
  serve->add_option("--config,-c", config_path, "YAML configuration file")->required();
  serve->add_option("--listen", listen, "Override server.listen (HOST:PORT)");
  serve->add_option("--data", data_dir, "Data directory (overrides data_dir and MCPGATE_DATA_DIR)");

  std::string check_path;
  auto* check = cli.add_subcommand("check", "Validate a configuration file and exit");
  check->add_option("--config,-c", check_path, "YAML configuration file")->required();

  auto* version = cli.add_subcommand("version", "Print the version");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  if (version->parsed()) {
    std::cout << "mcpgate " << MCPGATE_VERSION << "\n";
    return 0;
  }

  const std::string& path = serve->parsed() ? config_path : check_path;
  auto loaded = mcpgate::app::load_config(path);
  if (!loaded) {
    return fail(loaded.error().message);
  }
  Config config = std::move(loaded).value();
  if (const char* env = std::getenv("MCPGATE_DATA_DIR"); env != nullptr && *env != '\0') {
    config.data_dir = env;
  }
  if (!data_dir.empty()) {
    config.data_dir = data_dir;
  }
  if (!listen.empty()) {
    if (auto st = mcpgate::app::parse_listen(listen, config.server); !st) {
      return fail("--listen: " + st.error().message);
    }
  }
  if (auto st = mcpgate::app::check_deployment(config); !st) {
    return fail(st.error().message);
  }

  if (check->parsed()) {
    std::cout << path << ": OK\n";
    return 0;
  }

  mcpgate::log::init(config.logging);
  int rc = 1;
  try {
    rc = mcpgate::app::serve(std::move(config));
  } catch (const std::exception& e) {
    mcpgate::log::error("fatal", {{"what", e.what()}});
  }
  mcpgate::log::shutdown();
  return rc;
}
