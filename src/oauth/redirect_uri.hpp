#pragma once
// Redirect URIs: which ones a client may register (RFC 7591, RFC 8252, RFC 9700 §2.1) and how a
// requested one is matched against the registered ones at /authorize (ATTACKS rows 2, 3, 45).
//
// Matching policy: exact, case-sensitive string comparison, with one exception for native
// apps (RFC 8252 §7.3): a registered loopback redirect without a port, "http://127.0.0.1/cb",
// "http://[::1]/cb" or "http://localhost/cb", matches the same URI with any port inserted
// ("http://127.0.0.1:53682/cb"). Everything else about it must be byte-identical. A registered
// URI that has a port is matched exactly. `localhost` is treated like the loopback addresses
// for the port (Claude Code and others register it), but never as equal to 127.0.0.1, and the
// consent page warns about every loopback redirect.
//
// Registration policy (validate_redirect_uri):
//  * at most 2000 bytes; no fragment, no wildcard '*', no space/control/backslash/non-ASCII;
//  * https: a valid URL with a host and no userinfo;
//  * http: only with a loopback host (127.0.0.1, [::1], localhost);
//  * other schemes: private-use schemes for native apps (RFC 8252 §7.1), refused when the
//    client declared application_type "web"; schemes that execute or embed content
//    (javascript, data, vbscript, file, blob, about, filesystem, view-source) are always refused.
//
// Thread-safe (pure functions).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mcpgate::oauth {

enum class ApplicationType { kUnspecified, kWeb, kNative };

// kInvalidArgument with a message safe to show (RFC 7591 invalid_redirect_uri description).
Status validate_redirect_uri(std::string_view uri, ApplicationType type = ApplicationType::kUnspecified);

// True when `presented` may be used for a client that registered `registered`.
bool redirect_uri_matches(std::string_view registered, std::string_view presented);

// The first registered URI `presented` matches, or nullopt.
std::optional<std::string> match_redirect_uri(const std::vector<std::string>& registered,
                                              std::string_view presented);

// True for http URIs whose host is 127.0.0.1, [::1] or localhost (any port).
bool is_loopback_redirect(std::string_view uri);

// The host of a redirect URI for display ("app.example.com", "127.0.0.1"), or for a private-use
// scheme the scheme ("com.example.app"). "" when it cannot be parsed.
std::string redirect_host(std::string_view uri);

// The origin for a CSP form-action source: "https://app.example.com:8443", or "com.example.app:"
// for a private-use scheme. "" when none can be formed.
std::string redirect_origin(std::string_view uri);

}  // namespace mcpgate::oauth
