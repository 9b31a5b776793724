#pragma once
// One authorization store per organization (issue 8): every organization's model and tuples
// live in a PolicyService of its own, so a tuple written for one organization — a `user:*`
// grant included — can never decide a check for another. The set is fixed when the process
// starts (organizations are configured; adding one needs a restart), so lookups need no lock.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy_service.hpp"

namespace mcpgate::policy {

struct OrgStore {
  std::string org_id;
  std::shared_ptr<PolicyService> service;
};

// The default organization's store first, then the configured organizations in file order.
using OrgStores = std::vector<OrgStore>;

// nullptr when the organization has no store (unknown, empty, or added after start).
inline const OrgStore* find_org_store(const OrgStores& stores, std::string_view org_id) {
  for (const auto& s : stores) {
    if (s.org_id == org_id) {
      return &s;
    }
  }
  return nullptr;
}

// nullptr when no organization's store has this id.
inline const OrgStore* find_store_by_id(const OrgStores& stores, std::string_view store_id) {
  for (const auto& s : stores) {
    if (s.service->store_id() == store_id) {
      return &s;
    }
  }
  return nullptr;
}

}  // namespace mcpgate::policy
