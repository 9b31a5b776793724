#include "vault/cli.hpp"

#include <map>
#include <ostream>
#include <set>

namespace mcpgate::vault {
namespace {

std::string join_versions(const std::vector<std::int64_t>& versions) {
  std::string out;
  for (const std::int64_t v : versions) {
    out += (out.empty() ? "" : ", ") + std::to_string(v);
  }
  return out;
}

}  // namespace

int run_vault_status(Vault& vault, std::ostream& out, std::ostream& err) {
  const auto status = vault.status();
  if (!status) {
    err << "mcpgate: vault status: " << status.error().message << "\n";
    return 2;
  }
  out << "master keys loaded: " << join_versions(status->master_versions_loaded)
      << " (active: " << status->active_master_version << ")\n";
  std::map<std::int64_t, std::int64_t> per_master;
  for (const auto& k : status->data_keys) {
    ++per_master[k.master_key_version];
  }
  out << "data keys: " << status->data_keys.size();
  for (const auto& [master, count] : per_master) {
    out << (master == per_master.begin()->first ? " (" : ", ") << count
        << " under master key " << master;
  }
  out << (per_master.empty() ? "\n" : ")\n");
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> connections;
  for (const auto& u : status->usage) {
    connections[{u.tenant, u.data_key_version}] = u.connections;
  }
  for (const auto& k : status->data_keys) {
    const auto it = connections.find({k.tenant, k.version});
    out << "tenant " << k.tenant << ": data key " << k.version
        << (k.active ? " (active)" : " (retired)") << " wrapped under master key "
        << k.master_key_version << ", " << (it == connections.end() ? 0 : it->second)
        << " connections\n";
  }
  bool stale = false;
  for (const auto& [master, count] : per_master) {
    stale = stale || master != status->active_master_version;
  }
  if (stale) {
    out << "some data keys are not under the active master key: run `mcpgate vault rotate-key`\n";
  }
  return 0;
}

int run_vault_rotate_key(Vault& vault, const RotateOptions& options, store::Timestamp now,
                         std::ostream& out, std::ostream& err) {
  const auto report = vault.rotate_master_key(now);
  if (!report) {
    err << "mcpgate: vault rotate-key: " << report.error().message << "\n";
    return 2;
  }
  out << "re-wrapped " << report->rewrapped << " data keys under the active master key ("
      << report->current << " already were)\n";
  for (const std::string& failure : report->failures) {
    err << "mcpgate: vault rotate-key: " << failure << "\n";
  }
  int rc = report->failures.empty() ? 0 : 1;
  if (!options.new_data_key) {
    return rc;
  }
  std::set<std::string> tenants;
  if (!options.tenant.empty()) {
    tenants.insert(options.tenant);
  } else {
    const auto status = vault.status();
    if (!status) {
      err << "mcpgate: vault rotate-key: " << status.error().message << "\n";
      return 2;
    }
    for (const auto& k : status->data_keys) {
      tenants.insert(k.tenant);
    }
  }
  for (const std::string& tenant : tenants) {
    const auto version = vault.new_data_key(tenant, now);
    if (!version) {
      err << "mcpgate: vault rotate-key: tenant " << tenant << ": " << version.error().message
          << "\n";
      rc = rc == 0 ? 1 : rc;
      continue;
    }
    out << "tenant " << tenant << ": data key " << *version
        << " is active (older versions still open what they sealed)\n";
  }
  return rc;
}

}  // namespace mcpgate::vault
