#pragma once
// The `quotas:` section of the configuration: a list of QuotaRule.
//
//   quotas:
//     - per: [user]                  # key parts, any of user, client, tool ([] = one shared
//     budget)
//       calls_per_minute: 120        # token bucket: bursts up to 120, refills 2 per second
//       max_concurrent: 8            # calls in flight per key
//     - name: everything-per-tool    # optional; reported when the rule refuses
//       per: [user, tool]
//       match: { tool: "everything__*" }   # only these tools ("x" exact, "x*" prefix)
//       calls_per_minute: 10
//       max_keys: 50000              # optional, default 100000: keys tracked at once
//
// Required: `per`, and at least one of calls_per_minute / max_concurrent. Numbers are decimal
// integers within 1..1000000 (calls_per_minute), 1..100000 (max_concurrent), 1..10000000
// (max_keys). Unknown keys, duplicate parts and misplaced '*' are errors.

#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/result.hpp"
#include "quota/quota.hpp"

namespace mcpgate::quota {

// Parses the value of `quotas:` (a sequence; null or absent = no rules). On failure:
// kInvalidArgument listing every problem found, each as "quotas[i].key (line n): reason",
// separated by "; ".
Result<std::vector<QuotaRule>> parse_quota_rules(const YAML::Node& node);

}  // namespace mcpgate::quota
