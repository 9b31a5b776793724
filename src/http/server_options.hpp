#pragma once
// Listener settings and the limits every connection is held to.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mcpgate::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = any free port (tests)
  // TLS is on when both are set. PEM files; the cert file may hold the chain.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Threads running the shared io_context; 0 = one per core. serve() marks the context when it
  // runs one thread, and connections then get its plain executor instead of a strand each
  // (http/single_thread.hpp).
  unsigned threads = 0;

  size_t max_body_bytes = 4 * 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;
  size_t max_connections = 10000;
  // Whole request head (from its first byte) must arrive within this: slowloris bound.
  std::chrono::milliseconds header_timeout{10000};
  // Body must arrive within this after the head.
  std::chrono::milliseconds body_timeout{30000};
  // A kept-alive connection may sit idle this long between requests.
  std::chrono::milliseconds idle_timeout{60000};
  // Each write (response, SSE chunk) must complete within this.
  std::chrono::milliseconds write_timeout{30000};
  // On shutdown, in-flight requests get this long before connections are closed.
  std::chrono::milliseconds drain_timeout{5000};
  // Reverse proxies (CIDR blocks or addresses) whose X-Forwarded-For names the client
  // (http/forwarded.hpp). Empty: the header is ignored and the peer is the client.
  std::vector<std::string> trusted_proxies;
};

}  // namespace mcpgate::http
