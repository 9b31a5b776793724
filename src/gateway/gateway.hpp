#pragma once
// Gateway: federates the configured upstream MCP servers into the endpoint's Registry.
//
// Each upstream's tools and prompts are listed as <prefix><separator><name> (at most 64
// characters: a longer name keeps its head and gains a short hash), resources and resource
// templates keep their URIs (the first upstream to claim a URI keeps it). Every federated tool
// is a Registry tool whose handler forwards the call; the endpoint in front of it has already
// authenticated, validated the arguments against the inputSchema and authorized user and
// agent, so nothing reaches an upstream that the gate refused. The caller's token is never
// forwarded: an upstream sees only the credential configured for it.
//
// Forwarding keeps the call transparent: the upstream's progress and log notifications reach
// the caller, its sampling / elicitation / roots requests are relayed to the caller and
// answered, and upstream failures come back as tool errors (isError: true), never as a broken
// session.
//
// Tool pinning: the first definition seen of each tool is pinned in the store (hash of name,
// title, description, schemas and annotations). A later, different definition is withheld from
// tools/list (and so cannot be called) until an operator runs `mcpgate tools approve`; the
// change is logged with the fields that changed. Annotations are copied as hints only: no
// decision here reads them.
//
// Lists are re-read when an upstream says they changed, and every `refresh_interval` (which
// also picks up approvals made by another process).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "gateway/options.hpp"
#include "gateway/upstream.hpp"
#include "mcp/registry.hpp"
#include "mcp/session_hooks.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::gateway {

// The canonical text of a tool definition that pinning hashes (sorted keys, no whitespace).
std::string pin_definition(const Json& tool);
// The exposed name: prefix + separator + name, cut to 64 characters with a hash suffix.
std::string exposed_name(const std::string& prefix, const std::string& separator,
                         const std::string& name);

// How a new upstream list differs from the running one, by name (in the new list's order, the
// removed ones in the old list's): an upstream whose options differ in any field is `changed`
// (it is replaced), one whose options are equal is `unchanged` (left alone).
struct UpstreamChanges {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;
  std::vector<std::string> unchanged;
};
UpstreamChanges diff_upstreams(const std::vector<UpstreamOptions>& running,
                               const std::vector<UpstreamOptions>& next);

// Where the tokens of OAuth upstreams (UpstreamOptions::oauth) come from: the users' own
// connections in the vault (app/oauth_upstreams). Thread-safe; outlives the gateway.
class UpstreamCredentials {
 public:
  virtual ~UpstreamCredentials() = default;
  // The Authorization value ("Bearer ...") of `user`'s own connection to `upstream`, refreshed
  // first when due, or when `after_401` (the upstream refused the last one). kFailedPrecondition
  // with a message naming the connect link when the user has no usable connection.
  virtual asio::awaitable<Result<std::string>> caller_authorization(std::string upstream,
                                                                    std::string user,
                                                                    bool after_401) = 0;
  // The Authorization value for the gateway's shared session of `upstream` (initialize, list
  // reads): a connected user's; an error while nobody has connected.
  virtual asio::awaitable<Result<std::string>> catalog_authorization(std::string upstream) = 0;
  // <public_url>/connect/<upstream>
  virtual std::string connect_link(const std::string& upstream) const = 0;
};

// One upstream as an operator sees it (Gateway::upstream_status; the Admin API's listUpstreams).
// Never a URL, header or command line: those may carry credentials.
struct UpstreamStatus {
  std::string name;
  std::string transport;   // "streamable-http" or "stdio"
  bool oauth = false;      // users connect their own accounts (auth: oauth)
  bool ready = false;      // initialized (the handshake succeeded)
  std::string circuit;     // the circuit breaker: "closed", "open" or "half_open"
  std::size_t tools = 0;   // offered now
  std::size_t withheld = 0;  // changed definitions waiting for approval
  std::size_t prompts = 0;
  std::size_t resources = 0;
};

class Gateway : public std::enable_shared_from_this<Gateway> {
 public:
  struct Deps {
    asio::any_io_executor executor;
    std::shared_ptr<mcp::Registry> registry;
    // Pins live here (shared by replicas and the CLI); null = pins only in memory.
    store::Store* store = nullptr;
    store::Executor* store_executor = nullptr;  // runs the store's blocking calls
    std::chrono::milliseconds refresh_interval{30000};
    // Required when an upstream has `auth: oauth`.
    std::shared_ptr<UpstreamCredentials> credentials;
  };

  static Result<std::shared_ptr<Gateway>> create(GatewayOptions options, Deps deps);
  ~Gateway();

  // Connects every upstream and registers what it offers. An upstream that cannot be reached
  // is logged and retried in the background (with backoff); start() does not wait for it.
  asio::awaitable<void> start();
  // Stops the background work and every upstream (child processes are terminated).
  void stop();

  // The running upstreams, in configuration order (status.cpp). Any thread.
  std::vector<UpstreamStatus> upstream_status();

  // Re-reads one upstream's lists now (tests; list_changed). kNotFound for an unknown name.
  asio::awaitable<Status> refresh(std::string upstream);

  // Configuration reload (src/gateway/reconfigure.cpp): applies a new upstream list. Removed
  // upstreams are stopped (a child process is terminated, calls still running on it fail) and
  // their tools, prompts, resources and templates leave the registry; an upstream whose options
  // changed is replaced the same way by a new one; added ones are started and synced as in
  // start(); unchanged ones (equal options) are not touched, nor are their sessions and calls.
  // The gateway-wide settings (separator, pin_tools, refresh_interval) stay as they were:
  // they need a restart. Not to be run concurrently with itself (serve serializes reloads).
  asio::awaitable<UpstreamChanges> reconfigure(GatewayOptions options);

  // Per-client upstream sessions (client_sessions.cpp). When a client opens a session, every
  // ready HTTP upstream gets a session of that client's own; the result ({"upstreams": {name:
  // session id}}) is sealed into the client's Mcp-Session-Id. An upstream that cannot open one
  // now is left out (its session is opened on first use).
  asio::awaitable<Json> open_client_sessions(Json client_capabilities);
  // The client ended its session: the upstream sessions are ended too.
  asio::awaitable<void> close_client_sessions(Json attachments);
  // The endpoint's SessionHooks that call the two above (holds the gateway weakly).
  std::shared_ptr<mcp::SessionHooks> session_hooks();

  struct UpstreamState;

 private:
  Gateway(GatewayOptions options, Deps deps);

  asio::awaitable<void> supervise(std::shared_ptr<UpstreamState> state);
  asio::awaitable<Status> sync(std::shared_ptr<UpstreamState> state);
  asio::awaitable<Status> sync_tools(std::shared_ptr<UpstreamState> state);
  asio::awaitable<void> sync_prompts(std::shared_ptr<UpstreamState> state);
  asio::awaitable<void> sync_resources(std::shared_ptr<UpstreamState> state);
  // Whether the tool may be offered under pinning (records first sight / a change).
  asio::awaitable<bool> pinned_ok(std::shared_ptr<UpstreamState> state, std::string tool,
                                  Json definition);
  void on_unsolicited(std::weak_ptr<UpstreamState> state, const Json& notification);
  // The client of one configured upstream, not yet connected (reconfigure.cpp).
  Result<std::shared_ptr<UpstreamState>> make_upstream(const UpstreamOptions& options);
  // Takes what a retired upstream registered out of the registry (reconfigure.cpp).
  void unregister(UpstreamState& state);
  // OAuth upstreams: the gate's own `<prefix><sep>connect` tool (the connect link, or that the
  // caller is connected). Registered once; returns its exposed name.
  std::string register_connect_tool(const std::shared_ptr<UpstreamState>& state);

  GatewayOptions options_;
  Deps deps_;
  std::mutex upstreams_mu_;  // guards upstreams_ (reconfigure() changes it at run time)
  std::vector<std::shared_ptr<UpstreamState>> upstreams_;
  std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace mcpgate::gateway
