#include "gateway/stdio_upstream.hpp"

#include "core/log.hpp"
#include "gateway/messages.hpp"

namespace mcpgate::gateway {

using Clock = std::chrono::steady_clock;

namespace {

asio::awaitable<std::optional<Result<Json>>> boxed_request(std::shared_ptr<StdioUpstream> self,
                                                           std::string method,
                                                           Json params,
                                                           CallHooks hooks,
                                                           std::chrono::milliseconds timeout) {
  co_return co_await self->request_on_strand(
      std::move(method), std::move(params), std::move(hooks), timeout);
}

}  // namespace

struct StdioUpstream::Pending {
  explicit Pending(const Strand& strand) : wake(strand) {}

  asio::steady_timer wake;  // expires at the deadline; cancelled to wake the caller
  std::deque<Json> inbox;   // notifications and requests routed to this call
  std::optional<Json> response;
  std::optional<std::string> failure;
  std::string progress_token;
  bool relays = false;  // can answer server→client requests
};

std::shared_ptr<StdioUpstream> StdioUpstream::create(asio::any_io_executor executor,
                                                     StdioUpstreamOptions options) {
  return std::shared_ptr<StdioUpstream>(new StdioUpstream(std::move(executor), std::move(options)));
}

StdioUpstream::StdioUpstream(asio::any_io_executor executor, StdioUpstreamOptions options)
    : strand_(asio::make_strand(std::move(executor))),
      options_(std::move(options)),
      backoff_(options_.backoff) {}

StdioUpstream::~StdioUpstream() {
  if (child_) {
    child_->terminate();
  }
}

Json StdioUpstream::initialize_result() const {
  std::lock_guard lock(result_mu_);
  return initialize_result_;
}

int StdioUpstream::child_pid() const {
  return pid_->load();
}

void StdioUpstream::set_unsolicited_handler(UnsolicitedHandler handler) {
  unsolicited_ = std::move(handler);
}

void StdioUpstream::shutdown() {
  auto self = shared_from_this();
  asio::post(strand_, [self] {
    self->shut_down_ = true;
    self->ready_ = false;
    if (self->child_) {
      self->child_->terminate();
      self->child_.reset();
    }
    self->fail_all("the gateway is shutting down");
  });
}

asio::awaitable<Status> StdioUpstream::ensure_ready() {
  auto self = shared_from_this();
  co_return co_await asio::co_spawn(strand_, ready_on_strand(), asio::use_awaitable);
}

asio::awaitable<Status> StdioUpstream::ready_on_strand() {
  auto self = shared_from_this();  // alive across the suspensions below
  // Another coroutine is starting the child: wait for it.
  asio::steady_timer poll(strand_);
  for (int i = 0; starting_ && i < 10000; ++i) {
    poll.expires_after(std::chrono::milliseconds(20));
    boost::system::error_code ec;
    co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ready_) {
    co_return Status{};
  }
  if (shut_down_) {
    co_return make_error(ErrorCode::kUnavailable, "upstream " + options_.name + " is stopped");
  }
  const auto now = Clock::now();
  if (now < next_start_) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_start_ - now);
    co_return make_error(ErrorCode::kUnavailable,
                         "upstream " + options_.name + " is restarting (next attempt in "
                             + std::to_string(wait.count()) + " ms)");
  }
  starting_ = true;
  auto failed = [this](const Error& e) -> Status {
    starting_ = false;
    if (child_) {
      child_->terminate();
      child_.reset();
    }
    pid_->store(0);
    next_start_ = Clock::now() + backoff_.next();
    log::warn("upstream_start_failed", {{"upstream", options_.name}, {"error", e.message}});
    return make_error(ErrorCode::kUnavailable, "upstream " + options_.name + ": " + e.message);
  };
  auto child =
      process::ChildProcess::spawn(strand_.get_inner_executor(), options_.spec, options_.name);
  if (!child) {
    co_return failed(child.error());
  }
  child_ = *child;
  pid_->store(child_->pid());
  started_at_ = Clock::now();
  const std::uint64_t generation = ++generation_;
  log::info("upstream_started", {{"upstream", options_.name}, {"pid", child_->pid()}});
  asio::co_spawn(strand_, read_loop(child_, generation), asio::detached);
  Json init = initialize_params(gateway_client_capabilities());
  CallHooks no_hooks;  // named: g++ 12 destroys a temporary inside a co_await twice
  auto response = co_await send_request(
      "initialize", std::move(init), std::move(no_hooks), Clock::now() + options_.connect_timeout);
  if (!response) {
    co_return failed(response.error());
  }
  if (!response->contains("result") || !(*response)["result"].is_object()) {
    co_return failed(make_error(ErrorCode::kUnavailable, "initialize refused"));
  }
  {
    std::lock_guard lock(result_mu_);
    initialize_result_ = (*response)["result"];
  }
  auto sent = co_await write_message(rpc_notification("notifications/initialized"));
  if (!sent) {
    co_return failed(sent.error());
  }
  ready_ = true;
  starting_ = false;
  co_return Status{};
}

asio::awaitable<Status> StdioUpstream::write_message(const Json& message) {
  if (!child_) {
    co_return make_error(ErrorCode::kUnavailable, "upstream " + options_.name + " is not running");
  }
  auto child = child_;
  std::string line = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  line.push_back('\n');
  co_return co_await child->write(std::move(line));
}

asio::awaitable<Result<Json>> StdioUpstream::request(std::string method,
                                                     Json params,
                                                     CallHooks hooks,
                                                     std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  // Boost 1.74's co_spawn needs a default-constructible result: Result<Json> travels boxed.
  auto boxed = co_await asio::co_spawn(
      strand_,
      boxed_request(self, std::move(method), std::move(params), std::move(hooks), timeout),
      asio::use_awaitable);
  co_return std::move(*boxed);
}

asio::awaitable<Result<Json>> StdioUpstream::request_on_strand(std::string method,
                                                               Json params,
                                                               CallHooks hooks,
                                                               std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  const auto deadline = Clock::now() + timeout;
  auto ready = co_await ready_on_strand();
  if (!ready) {
    co_return ready.error();
  }
  co_return co_await send_request(std::move(method), std::move(params), std::move(hooks), deadline);
}

asio::awaitable<Result<Json>> StdioUpstream::send_request(std::string method,
                                                          Json params,
                                                          CallHooks hooks,
                                                          Clock::time_point deadline) {
  auto self = shared_from_this();
  const Json id = next_id_++;
  const std::string key = id.dump();
  auto pending = std::make_shared<Pending>(strand_);
  pending->wake.expires_at(deadline);
  pending->relays = static_cast<bool>(hooks.on_request);
  if (params.is_object()) {
    if (auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
      if (auto t = meta->find("progressToken"); t != meta->end() && t->is_string()) {
        pending->progress_token = t->get<std::string>();
      }
    }
  }
  pending_[key] = pending;
  auto sent = co_await write_message(rpc_request(id, method, std::move(params)));
  if (!sent) {
    pending_.erase(key);
    co_return make_error(ErrorCode::kUnavailable,
                         "upstream " + options_.name + ": " + sent.error().message);
  }
  for (;;) {
    while (!pending->inbox.empty()) {
      Json message = std::move(pending->inbox.front());
      pending->inbox.pop_front();
      if (!message.contains("id")) {
        if (hooks.on_notification) {
          co_await hooks.on_notification(std::move(message));
        }
        continue;
      }
      auto answer = co_await hooks.on_request(string_member(message, "method"),
                                              message.value("params", Json::object()));
      Json reply = answer ? rpc_result_reply(message["id"], std::move(*answer))
                          : rpc_error_reply(message["id"], -32603, answer.error().message);
      auto replied = co_await write_message(reply);
      if (!replied) {
        log::warn("upstream_reply_failed",
                  {{"upstream", options_.name}, {"error", replied.error().message}});
      }
    }
    if (pending->response) {
      pending_.erase(key);
      co_return std::move(*pending->response);
    }
    if (pending->failure) {
      pending_.erase(key);
      co_return make_error(ErrorCode::kInternal,
                           "upstream " + options_.name + ": " + *pending->failure);
    }
    const bool timed_out = Clock::now() >= deadline;
    if (timed_out || (hooks.cancelled && hooks.cancelled->load())) {
      pending_.erase(key);
      // Tell the upstream to stop working on it (best effort).
      const std::string reason = timed_out ? "timeout at the gateway" : "cancelled by the client";
      Json note = rpc_notification("notifications/cancelled", cancelled_params(id, reason));
      auto told = co_await write_message(std::move(note));
      (void)told;
      if (timed_out) {
        co_return make_error(ErrorCode::kDeadlineExceeded,
                             "upstream " + options_.name + ": no answer in time");
      }
      co_return make_error(ErrorCode::kCancelled, "upstream " + options_.name + ": " + reason);
    }
    if (hooks.cancelled) {
      pending->wake.expires_at(std::min(deadline, Clock::now() + kCancelPoll));
    }
    boost::system::error_code ec;
    co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<Status> StdioUpstream::notify(std::string method, Json params) {
  auto self = shared_from_this();
  Json message = rpc_notification(method, std::move(params));
  auto write_it = [self, message]() -> asio::awaitable<Status> {
    co_return co_await self->write_message(message);
  };
  co_return co_await asio::co_spawn(strand_, std::move(write_it), asio::use_awaitable);
}

asio::awaitable<void> StdioUpstream::read_loop(std::shared_ptr<process::ChildProcess> child,
                                               std::uint64_t generation) {
  auto self = shared_from_this();
  std::string why;
  for (;;) {
    auto line = co_await child->read_line(options_.max_message_bytes);
    if (!line) {
      why = line.error().code == ErrorCode::kResourceExhausted ? "a message over the size limit"
                                                               : "the process exited";
      break;
    }
    if (line->empty()) {
      continue;
    }
    Json message = Json::parse(*line, nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
      // Garbage on stdout: the transport cannot be trusted any more (a message may be split).
      why = "it wrote something that is not a JSON-RPC message";
      break;
    }
    dispatch(std::move(message));
  }
  if (generation != generation_) {
    co_return;  // an older child; a newer one runs
  }
  const auto ran =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_at_);
  child->terminate();
  const int status = co_await child->wait_exit();
  if (generation != generation_) {
    co_return;
  }
  log::warn("upstream_stopped",
            {{"upstream", options_.name}, {"reason", why}, {"exit_status", status}});
  backoff_.record_run(ran);
  next_start_ = Clock::now() + backoff_.next();
  ready_ = false;
  child_.reset();
  pid_->store(0);
  fail_all(why);
}

void StdioUpstream::fail_all(const std::string& why) {
  for (auto& [key, p] : pending_) {
    if (!p->response) {
      p->failure = why;
      p->wake.cancel();
    }
  }
}

void StdioUpstream::dispatch(Json message) {
  if (is_response(message)) {
    auto it = pending_.find(message["id"].dump());
    if (it != pending_.end()) {
      it->second->response = std::move(message);
      it->second->wake.cancel();
    }
    return;
  }
  const std::string method = string_member(message, "method");
  if (method.empty()) {
    return;
  }
  const bool is_request = message.contains("id");
  std::shared_ptr<Pending> target;
  if (method == "notifications/progress") {
    const Json& p = message.value("params", Json::object());
    const Json token = p.is_object() ? p.value("progressToken", Json()) : Json();
    for (auto& [key, pending] : pending_) {
      if (token.is_string() && pending->progress_token == token.get<std::string>()) {
        target = pending;
      }
    }
  } else if (is_request || method == "notifications/message") {
    // Only when exactly one call could be the one it belongs to.
    for (auto& [key, pending] : pending_) {
      if (!is_request || pending->relays) {
        if (target) {
          target.reset();
          break;
        }
        target = pending;
      }
    }
  } else if (!is_request) {
    if (unsolicited_) {
      unsolicited_(message);
    }
    return;
  }
  if (target) {
    target->inbox.push_back(std::move(message));
    target->wake.cancel();
    return;
  }
  if (is_request) {
    auto self = shared_from_this();
    Json reply = rpc_error_reply(message["id"], -32601, "the gateway cannot relay this request");
    auto answer = [self, reply]() -> asio::awaitable<void> {
      auto sent = co_await self->write_message(reply);
      (void)sent;
    };
    asio::co_spawn(strand_, std::move(answer), asio::detached);
  }
}

}  // namespace mcpgate::gateway
