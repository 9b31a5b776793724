#pragma once
// Connection variables (OAuthDef::connection_vars): values a provider returns in its token
// response and that the connector's requests need afterwards, e.g. Salesforce's instance_url
// (the org's own API host, opened by `{conn.instance_url}` in URL templates).
//
// Captured at the code exchange (connect_flow) and on every refresh (oauth_token_client): only
// strings, at most kMaxConnectionVarBytes, no control characters; a `base_url` variable must be
// an https URL (http to loopback with the test flag) without query or fragment on one of
// api.hosts — checked here at capture and again by request_builder on every call, since the
// value came from the network. The vault keeps them with the connection as a JSON object text,
// sealed like the tokens (bound to the row: a database writer cannot move them elsewhere).

#include <cstddef>
#include <string>
#include <string_view>

#include "connectors/connector.hpp"
#include "connectors/request_builder.hpp"
#include "core/result.hpp"

namespace mcpgate::connectors {

inline constexpr std::size_t kMaxConnectionVarBytes = 2048;

// The declared variables found in `response` (a token response as a JSON object; form answers
// are converted before). `require_all`: a declared variable that is absent is an error (the code
// exchange); otherwise it is left out (a refresh keeps the stored value). Errors name the
// variable, never a token.
Result<ConnectionVars> capture_connection_vars(const ConnectorDef& def, const Json& response,
                                               bool require_all);

// The checks above for one value of `var`.
Status check_connection_var(const ConnectorDef& def, const ConnectionVar& var,
                            std::string_view value);

// The vault's form: a JSON object of strings; "" for none.
std::string encode_connection_vars(const ConnectionVars& vars);
// kInvalidArgument when `text` is not such an object. "" gives no variables.
Result<ConnectionVars> decode_connection_vars(std::string_view text);

}  // namespace mcpgate::connectors
