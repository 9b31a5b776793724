#pragma once
// Outbound HTTP/1.1 client (plain and TLS) on Beast with C++20 coroutines.
//
// Used for Client ID Metadata Documents, OIDC discovery and JWKS, token endpoints, and the
// connectors' SaaS API calls. (Upstream MCP servers have their own streaming client,
// gateway/http_upstream, with its own pool.)
//
// Keep-alive pooling (http/client_pool.hpp): a connection whose exchange ended cleanly — the
// response read to its last byte, no `Connection: close` (nor an HTTP/1.0 reply without
// keep-alive, nor a body delimited by EOF), no error or timeout, no stray bytes after the
// response — goes back to an idle pool and carries a later request with the same key: this
// client (its CA store), scheme, host, port, address policy and TLS verification setting. A
// reused connection skips resolution: it stays pinned to the address that passed the same
// policy for the same host when it was opened. Before reuse the socket is checked for a close
// (or stray bytes) that arrived while idle; such a connection is dropped unused. If a request
// on a reused connection then fails with EOF or a reset before any byte of a response, it is
// sent once more on a new connection — only when that cannot repeat an action: the method is
// GET/HEAD/OPTIONS/TRACE, or no byte of the request was written. Never otherwise (a POST that
// may have reached the server is not sent twice). Pooling needs the caller's executor to belong
// to an io_context (the pool lives in it); elsewhere every request gets its own connection.
//
// SSRF guard (MCP-SPEC §A5.3, CIMD draft §6): the URL is parsed strictly (parse_url below), the
// host is resolved exactly once, every resolved address must pass the request's AddressPolicy
// (a name with any refused address is refused outright: a mixed answer is how rebinding and
// split-horizon tricks look), and the socket connects to those checked addresses: nothing is
// resolved again, so there is no DNS-rebinding window. TLS SNI and certificate verification
// still use the host name. Redirects are not followed unless asked, and every hop of a followed
// redirect goes through the same checks.
//
// Limits: one deadline covers resolution, connect, TLS handshake, write and read (redirect hops
// included); response head and body sizes are capped (exceeding either aborts the request).
//
// Errors (Error::message is for logs: it may name hosts and addresses):
//   kInvalidArgument     bad URL, bad request header, bad option
//   kPermissionDenied    the host resolves to an address the policy refuses
//   kDeadlineExceeded    the total timeout elapsed
//   kResourceExhausted   response head or body over its cap
//   kUnavailable         resolution failed, connection refused/reset, TLS failure (including
//                        certificate verification), malformed response, too many redirects
//
// Threading: fetch() may be called from any executor; each exchange runs on its connection's
// strand and the caller resumes on its own executor. When the caller's io_context is marked as
// run by one thread (http/single_thread.hpp), connections use its plain executor and the
// exchange runs in the caller's coroutine: there is nothing for a strand to serialise. HttpClient is immutable after creation and may
// be shared across threads; a fetch keeps what it needs alive, so the client may be destroyed while
// requests are in flight.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "core/result.hpp"
#include "http/address_policy.hpp"
#include "http/asio.hpp"
#include "http/message.hpp"

namespace mcpgate::http {

// An absolute http(s) URL, parsed strictly.
struct Url {
  std::string scheme;  // "http" | "https" (lower-cased)
  std::string host;    // lower-cased name, dotted-quad IPv4, or IPv6 without brackets
  uint16_t port = 0;   // explicit or the scheme default
  std::string target;  // path plus "?query"; "/" when the URL has no path
  bool host_is_ip = false;

  bool tls() const { return scheme == "https"; }

  // host[:port] as sent in the Host header: IPv6 in brackets, default port omitted.
  std::string authority() const;
  std::string to_string() const;
};

// Accepts scheme "http"/"https" (any case), "//", an authority and an optional path and query.
// Rejects: userinfo ('@' in the authority), an empty host, IPv6 zone ids, hosts that are not
// letters/digits/'-'/'_'/'.' labels, numeric hosts that are not canonical dotted-quad IPv4
// ("0177.0.0.1", "2130706433", "0x7f.1", "127.1": the inet_aton spellings), a port outside
// 1..65535, fragments, malformed %-escapes, and any byte that is a control character, space,
// backslash, or non-ASCII. The URL is at most 8 KiB.
Result<Url> parse_url(std::string_view text);

struct RequestOptions {
  // Whole request, from resolution to the last body byte (redirect hops included).
  std::chrono::milliseconds timeout{10000};
  size_t max_body_bytes = size_t{1024} * 1024;
  size_t max_header_bytes = size_t{16} * 1024;
  // false: a 3xx comes back as the response. true: 301/302/303/307/308 with a Location are
  // followed (https -> http downgrades refused; credentials dropped on a change of origin).
  bool follow_redirects = false;
  int max_redirects = 5;
  AddressPolicy address_policy = AddressPolicy::kPublicOnly;
  // Off only in tests: disables certificate and host name verification.
  bool verify_tls = true;
};

struct ClientRequest {
  bhttp::verb method = bhttp::verb::get;
  std::string url;
  // Extra headers. Host, Content-Length, Transfer-Encoding and Connection are set by the client
  // and may not be given here; names must be tokens and values free of CR, LF and NUL.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  RequestOptions options;
};

struct ClientResponse {
  Response message;              // status, headers and body as received
  std::string url;               // the URL that produced it (differs after redirects)
  asio::ip::tcp::endpoint peer;  // the address actually connected to

  unsigned status() const { return message.result_int(); }

  std::string_view header(Field field) const;
};

struct PoolOptions {
  // Idle keep-alive connections kept per key (see above); 0 disables pooling (every request
  // then sends `Connection: close`).
  std::size_t max_idle_per_origin = 32;
  // Idle connections kept in all, per io_context.
  std::size_t max_idle_total = 256;
  // An idle connection older than this is closed instead of reused. Below the 5 s keep-alive
  // timeout of Node's HTTP server, the shortest common one, so a server rarely closes a
  // connection at the moment it is reused.
  std::chrono::milliseconds idle_timeout{4000};
};

struct ClientConfig {
  // PEM file of CA certificates. Empty: the system store (set_default_verify_paths). When set,
  // only these CAs are trusted (useful to pin a private CA, and in tests).
  std::string ca_file;
  std::string user_agent = "mcpgate/0.1";
  PoolOptions pool;
};

class HttpClient {
 public:
  // Builds the TLS client context (TLS 1.2+, peer verification). Fails on an unreadable CA file.
  static Result<HttpClient> create(ClientConfig config = {});

  // Performs the request. Never throws for network or protocol failures.
  asio::awaitable<Result<ClientResponse>> fetch(ClientRequest request) const;

  struct State;  // shared with in-flight requests

 private:
  explicit HttpClient(std::shared_ptr<const State> state) : state_(std::move(state)) {}

  std::shared_ptr<const State> state_;
};

// The process-wide client that trusts the system CA store (created on first use; loading the
// CA store takes a while, so share this one rather than creating clients per request).
Result<std::shared_ptr<const HttpClient>> default_http_client();

// fetch() through default_http_client().
asio::awaitable<Result<ClientResponse>> fetch(ClientRequest request);

// fetch() through default_http_client() on a private io_context, blocking the calling thread:
// for command-line tools (`mcpgate tuples`, `mcpgate admin`), never for the server.
Result<ClientResponse> fetch_blocking(ClientRequest request);

// Resolves `host` once and returns the endpoints to connect to, or an error when resolution
// fails or ANY resolved address is refused by `policy`. IP literals are checked without a
// lookup. Exposed for callers that validate configured upstreams, and for tests.
asio::awaitable<Result<std::vector<asio::ip::tcp::endpoint>>> resolve_checked(
    std::string host,
    uint16_t port,
    AddressPolicy policy,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace mcpgate::http
