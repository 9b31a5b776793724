#pragma once
// Gateway internals shared by gateway.cpp and reconfigure.cpp (not for other modules).

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "gateway/gateway.hpp"
#include "http/resilience.hpp"

namespace mcpgate::gateway {

// The resilience primitives moved to http/ so connectors can share them.
using http::CircuitBreaker;
using http::RetryBudget;
using http::retry_delay;

// One configured upstream: its client, what it registered, its sync state and call resilience.
struct Gateway::UpstreamState {
  UpstreamOptions options;
  std::shared_ptr<Upstream> upstream;
  std::mutex mu;
  std::set<std::string> tools;  // exposed names registered for this upstream
  std::set<std::string> prompts;
  std::set<std::string> resources;  // URIs
  std::set<std::string> templates;  // uriTemplates
  std::set<std::string> withheld;   // original names of changed tools awaiting approval
  std::map<std::string, std::string> memory_pins;  // tool → hash (no store)
  bool syncing = false;
  bool resync = false;
  // Set (under mu) when a configuration reload removed or replaced this upstream: its
  // supervisor ends, no new sync starts, and a sync running then unregisters what it added.
  std::atomic<bool> retired{false};
  CircuitBreaker breaker;
  RetryBudget retry_budget;
};

}  // namespace mcpgate::gateway
