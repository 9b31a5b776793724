#pragma once
// An upstream MCP server run as a supervised child process, spoken to over its stdin/stdout
// (the MCP stdio transport: one JSON-RPC message per line).
//
// Supervision: the child is started on first use and after it exits, with exponential backoff
// and jitter between failed starts (process/backoff.hpp); its stderr goes to the log. Calls in
// flight when it dies fail (kInternal: the call was sent); calls made while it is down and its
// restart is backing off fail with kUnavailable (never sent).
//
// stdio has no per-request streams, so the gateway routes what the child sends by content:
// notifications/progress by progress token (each call gets its own), notifications/message to
// the single call in flight (or nowhere when there are several), and a server→client request to
// the single call in flight that can relay it (refused otherwise: guessing would hand one
// caller's question to another).
//
// Threading: all state lives on one strand; request() may be awaited from any executor.

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/strand.hpp>

#include "gateway/upstream.hpp"
#include "process/backoff.hpp"
#include "process/child_process.hpp"

namespace mcpgate::gateway {

struct StdioUpstreamOptions {
  std::string name;
  process::ChildSpec spec;
  std::chrono::milliseconds connect_timeout{10000};
  std::size_t max_message_bytes = std::size_t{16} * 1024 * 1024;
  process::BackoffOptions backoff{};
};

class StdioUpstream final : public Upstream, public std::enable_shared_from_this<StdioUpstream> {
 public:
  static std::shared_ptr<StdioUpstream> create(asio::any_io_executor executor,
                                               StdioUpstreamOptions options);
  ~StdioUpstream() override;

  const std::string& name() const override { return options_.name; }

  asio::awaitable<Status> ensure_ready() override;
  Json initialize_result() const override;
  asio::awaitable<Result<Json>> request(std::string method,
                                        Json params,
                                        CallHooks hooks,
                                        std::chrono::milliseconds timeout) override;
  asio::awaitable<Status> notify(std::string method, Json params) override;

  // One child, one connection: every client shares it (no per-client sessions).
  asio::awaitable<Result<std::string>> open_session(Json) override { co_return std::string(); }

  asio::awaitable<void> close_session(std::string) override { co_return; }

  void set_unsolicited_handler(UnsolicitedHandler handler) override;
  void shutdown() override;

  // The running child's pid (0 when none): tests kill it to exercise supervision.
  int child_pid() const;

  struct Pending;
  // request() once on the strand (public for the boxing helper in the .cpp).
  asio::awaitable<Result<Json>> request_on_strand(std::string method,
                                                  Json params,
                                                  CallHooks hooks,
                                                  std::chrono::milliseconds timeout);

 private:
  using Strand = asio::strand<asio::any_io_executor>;
  StdioUpstream(asio::any_io_executor executor, StdioUpstreamOptions options);

  asio::awaitable<Status> ready_on_strand();
  // Sends a request on the running child and waits for its response (no readiness check).
  asio::awaitable<Result<Json>> send_request(std::string method,
                                             Json params,
                                             CallHooks hooks,
                                             std::chrono::steady_clock::time_point deadline);
  asio::awaitable<Status> write_message(const Json& message);
  asio::awaitable<void> read_loop(std::shared_ptr<process::ChildProcess> child,
                                  std::uint64_t generation);
  void dispatch(Json message);
  void fail_all(const std::string& why);

  Strand strand_;
  StdioUpstreamOptions options_;
  process::Backoff backoff_;
  std::shared_ptr<process::ChildProcess> child_;
  std::uint64_t generation_ = 0;  // bumps with every child started
  std::chrono::steady_clock::time_point started_at_{};
  std::chrono::steady_clock::time_point next_start_{};  // backoff: no start before this
  bool ready_ = false;
  bool starting_ = false;
  bool shut_down_ = false;
  Json initialize_result_;
  std::int64_t next_id_ = 1;
  std::map<std::string, std::shared_ptr<Pending>> pending_;  // by id (dumped)
  UnsolicitedHandler unsolicited_;
  std::shared_ptr<std::atomic<int>> pid_ = std::make_shared<std::atomic<int>>(0);
  mutable std::mutex result_mu_;  // initialize_result_ read off the strand
};

}  // namespace mcpgate::gateway
