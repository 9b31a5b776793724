#include "process/child_process.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.hpp"
#include "process/launch.hpp"

namespace mcpgate::process {
namespace {

using Strand = asio::strand<asio::any_io_executor>;
using Descriptor = asio::posix::stream_descriptor;

constexpr std::size_t kMaxStderrLine = 2048;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::chrono::milliseconds kDefaultGrace{2000};
constexpr std::chrono::milliseconds kReapPoll{50};

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 255;  // stopped/continued are not reported without WUNTRACED/WCONTINUED
}

bool looks_like_error(std::string_view line) {
  std::string lower(line.substr(0, 256));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return lower.find("error") != std::string::npos || lower.find("fatal") != std::string::npos
         || lower.find("panic") != std::string::npos;
}

// A detached strand task's completion: our coroutines report failures as values, so an
// exception here is a bug (or bad_alloc); log it rather than lose it.
auto log_failure(std::string what) {
  return [what = std::move(what)](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::error("process_task_failed", {{"task", what}, {"error", ex.what()}});
      } catch (...) {
        log::error("process_task_failed", {{"task", what}, {"error", "unknown exception"}});
      }
    }
  };
}

asio::steady_timer idle_timer(const Strand& strand) {
  // A timer that never fires: waiters park on it until cancel() (a condition variable).
  asio::steady_timer t(strand);
  t.expires_at(asio::steady_timer::time_point::max());
  return t;
}

}  // namespace

struct ChildProcess::State : std::enable_shared_from_this<ChildProcess::State> {
  State(asio::any_io_executor ex, Launched launched, ChildSpec spec, std::string name)
      : strand(asio::make_strand(ex)),
        pid(launched.pid),
        log_name(std::move(name)),
        on_stderr_line(std::move(spec.on_stderr_line)),
        stdin_pipe(strand, launched.stdin_write.release()),
        stdout_pipe(strand, launched.stdout_read.release()),
        stderr_pipe(strand, launched.stderr_read.release()),
        writer_idle(idle_timer(strand)),
        exit_signal(idle_timer(strand)),
        kill_timer(strand) {}

  ~State() {
    if (!exited.load()) {
      // The io_context went away before the child was reaped: do it the blunt way.
      ::kill(-pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  void start() {
    auto self = shared_from_this();
    asio::co_spawn(strand, drain_stderr(self), log_failure("stderr " + log_name));
    asio::co_spawn(strand, reap(self), log_failure("reap " + log_name));
  }

  // --- stdout -------------------------------------------------------------------------------

  asio::awaitable<Result<std::string>> read_line(std::size_t max_bytes) {
    if (reading) {
      co_return make_error(ErrorCode::kFailedPrecondition, "read_line already in progress");
    }
    if (stdout_broken) {
      co_return make_error(ErrorCode::kResourceExhausted,
                           "stdout unusable after an over-long line");
    }
    reading = true;
    auto result = co_await read_line_locked(max_bytes);
    reading = false;
    co_return result;
  }

  asio::awaitable<Result<std::string>> read_line_locked(std::size_t max_bytes) {
    for (;;) {
      const auto nl = rbuf.find('\n', scan);
      if (nl != std::string::npos) {
        std::size_t len = nl - head;
        if (len > 0 && rbuf[nl - 1] == '\r') {
          --len;
        }
        if (len > max_bytes) {
          co_return too_long(max_bytes);
        }
        std::string line = rbuf.substr(head, len);
        head = scan = nl + 1;
        co_return line;
      }
      scan = rbuf.size();
      // +1: the line may still end in "\r\n" with exactly max_bytes of content.
      if (rbuf.size() - head > max_bytes + 1) {
        co_return too_long(max_bytes);
      }
      if (stdout_eof) {
        co_return at_eof();
      }
      // Drop consumed lines before growing the buffer (amortized: one move per chunk read).
      rbuf.erase(0, head);
      scan -= head;
      head = 0;
      const std::size_t old = rbuf.size();
      rbuf.resize(old + kReadChunk);
      boost::system::error_code ec;
      const std::size_t n =
          co_await stdout_pipe.async_read_some(asio::buffer(rbuf.data() + old, kReadChunk),
                                               asio::redirect_error(asio::use_awaitable, ec));
      rbuf.resize(old + n);
      if (ec) {
        stdout_eof = true;  // EOF, or the descriptor failed: either way nothing more comes
      }
    }
  }

  Error too_long(std::size_t max_bytes) {
    stdout_broken = true;
    rbuf.clear();
    head = scan = 0;
    return make_error(
        ErrorCode::kResourceExhausted,
        "stdout line of " + log_name + " exceeds " + std::to_string(max_bytes) + " bytes");
  }

  Error at_eof() const {
    std::string msg = "stdout of " + log_name + " closed";
    if (rbuf.size() > head) {
      msg +=
          " (" + std::to_string(rbuf.size() - head) + " bytes without a final newline discarded)";
    }
    return make_error(ErrorCode::kUnavailable, std::move(msg));
  }

  // --- stdin --------------------------------------------------------------------------------

  asio::awaitable<Status> write(std::string bytes) {
    // One write at a time, in call order: async_write is a sequence of write_some calls, so two
    // in flight could interleave their pieces. Each writer takes a ticket and parks on
    // writer_idle (cancelled after every write) until its ticket is served.
    const std::uint64_t ticket = next_ticket++;
    while (serving_ticket != ticket) {
      boost::system::error_code ignored;
      co_await writer_idle.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    Status result;
    if (!stdin_pipe.is_open()) {
      result = make_error(ErrorCode::kUnavailable, "stdin of " + log_name + " is closed");
    } else {
      boost::system::error_code ec;
      co_await asio::async_write(
          stdin_pipe, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        result = make_error(ErrorCode::kUnavailable,
                            "write to " + log_name + " failed: " + ec.message());
      }
    }
    ++serving_ticket;
    writer_idle.cancel();
    co_return result;
  }

  // --- stderr -------------------------------------------------------------------------------

  static asio::awaitable<void> drain_stderr(std::shared_ptr<State> self) {
    std::string line;
    bool truncated = false;
    std::string chunk(4096, '\0');
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = co_await self->stderr_pipe.async_read_some(
          asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      for (std::size_t i = 0; i < n; ++i) {
        const char c = chunk[i];
        if (c == '\n') {
          self->emit_stderr(line, truncated);
          line.clear();
          truncated = false;
        } else if (line.size() < kMaxStderrLine) {
          line += c;
        } else {
          truncated = true;  // keep draining; the rest of the line is dropped
        }
      }
      if (ec) {
        break;
      }
    }
    if (!line.empty()) {
      self->emit_stderr(line, truncated);
    }
  }

  void emit_stderr(std::string& line, bool truncated) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (truncated) {
      line += " [truncated]";
    }
    if (on_stderr_line) {
      try {
        on_stderr_line(line);
      } catch (const std::exception& e) {
        // Keep draining whatever the callback does: a stalled stderr pipe would block the child.
        log::error("process_stderr_callback_failed", {{"process", log_name}, {"error", e.what()}});
      }
      return;
    }
    nlohmann::json fields = {{"process", log_name}, {"pid", pid}, {"line", line}};
    if (looks_like_error(line)) {
      log::warn("process_stderr", std::move(fields));
    } else {
      log::info("process_stderr", std::move(fields));
    }
  }

  // --- exit ---------------------------------------------------------------------------------

  static asio::awaitable<void> reap(std::shared_ptr<State> self) {
    // A pidfd becomes readable when the child exits. It is opened after the spawn, which is
    // safe: until we reap it, the child's pid cannot be reused.
    const long fd = ::syscall(SYS_pidfd_open, self->pid, 0);
    bool waited = false;
    if (fd >= 0) {
      Descriptor pidfd(self->strand, static_cast<int>(fd));
      boost::system::error_code ec;
      co_await pidfd.async_wait(Descriptor::wait_read,
                                asio::redirect_error(asio::use_awaitable, ec));
      waited = !ec;
    }
    int status = 0;
    pid_t rc = -1;
    if (waited) {
      do {
        rc = ::waitpid(self->pid, &status, 0);
      } while (rc < 0 && errno == EINTR);
    } else {
      // No pidfd (refused by a seccomp filter, or an old kernel): poll.
      asio::steady_timer timer(self->strand);
      while ((rc = ::waitpid(self->pid, &status, WNOHANG)) == 0 || (rc < 0 && errno == EINTR)) {
        timer.expires_after(kReapPoll);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    if (rc < 0) {
      // Someone else reaped it (a waitpid(-1) elsewhere): the status is lost.
      log::warn("process_status_lost", {{"process", self->log_name}, {"pid", self->pid}});
    }
    self->exit_status = rc < 0 ? 255 : decode_status(status);
    self->exited.store(true);
    self->exit_signal.cancel();
    if (self->terminating) {
      if (self->group_empty()) {
        self->kill_timer.cancel();  // nothing left to kill: end the grace period now
      }
    } else {
      // Exited on its own: tear down what it left in its group (and close stdin).
      self->begin_termination(kDefaultGrace);
    }
  }

  asio::awaitable<int> wait_exit() {
    while (!exited.load()) {
      boost::system::error_code ignored;
      co_await exit_signal.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    co_return exit_status;
  }

  // True when no process of the child's group is left. EPERM (a member changed its uid) counts
  // as not empty.
  bool group_empty() const { return ::kill(-pid, 0) != 0 && errno == ESRCH; }

  // On the strand.
  void begin_termination(std::chrono::milliseconds grace) {
    if (terminating) {
      return;
    }
    terminating = true;
    boost::system::error_code ignored;
    stdin_pipe.close(ignored);  // ends a pending write with operation_aborted
    writer_idle.cancel();       // waiting writers see the closed pipe
    ::kill(-pid, SIGTERM);      // ESRCH when the group is already gone
    asio::co_spawn(strand, kill_after(shared_from_this(), grace), log_failure("kill " + log_name));
  }

  static asio::awaitable<void> kill_after(std::shared_ptr<State> self,
                                          std::chrono::milliseconds grace) {
    if (!(self->exited.load() && self->group_empty())) {
      self->kill_timer.expires_after(grace);
      boost::system::error_code ignored;  // cancelled early when the group empties
      co_await self->kill_timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (!self->group_empty()) {
      ::kill(-self->pid, SIGKILL);
    }
  }

  Strand strand;
  const int pid;
  const std::string log_name;
  std::function<void(std::string_view)> on_stderr_line;
  Descriptor stdin_pipe;
  Descriptor stdout_pipe;
  Descriptor stderr_pipe;

  // stdout line buffer: rbuf[head, size) is unread; scan is where the newline search resumes.
  std::string rbuf;
  std::size_t head = 0;
  std::size_t scan = 0;
  bool reading = false;
  bool stdout_eof = false;
  bool stdout_broken = false;

  std::uint64_t next_ticket = 0;
  std::uint64_t serving_ticket = 0;
  asio::steady_timer writer_idle;

  std::atomic<bool> exited{false};  // read by running() from any thread
  int exit_status = -1;
  asio::steady_timer exit_signal;
  bool terminating = false;
  asio::steady_timer kill_timer;
};

ChildProcess::ChildProcess(std::shared_ptr<State> state) : state_(std::move(state)) {}

ChildProcess::~ChildProcess() {
  terminate();
}

Result<std::shared_ptr<ChildProcess>> ChildProcess::spawn(asio::any_io_executor ex,
                                                          ChildSpec spec,
                                                          std::string log_name) {
  ignore_sigpipe_once();
  MCPGATE_ASSIGN_OR_RETURN(Launched launched, launch(spec));
  const int pid = launched.pid;
  std::shared_ptr<State> state;
  try {
    state = std::make_shared<State>(
        std::move(ex), std::move(launched), std::move(spec), std::move(log_name));
  } catch (const boost::system::system_error& e) {
    // Registering a pipe with the reactor failed (out of memory or descriptors): do not leave a
    // child behind that nobody reaps.
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return make_error(ErrorCode::kResourceExhausted,
                      std::string("cannot watch the child: ") + e.what());
  }
  state->start();
  log::debug("process_started", {{"process", state->log_name}, {"pid", pid}});
  return std::shared_ptr<ChildProcess>(new ChildProcess(std::move(state)));
}

// Each public coroutine runs its body on the strand and resumes on the caller's executor. The
// bodies are named before the co_await (g++ 12 destroys the captures of a lambda written
// inside a co_await expression twice). Boost 1.74's co_spawn default-constructs the result on
// its error path and Result has no default constructor, hence the optionals.

asio::awaitable<Result<std::string>> ChildProcess::read_line(std::size_t max_bytes) {
  auto body = [self = state_, max_bytes]() -> asio::awaitable<std::optional<Result<std::string>>> {
    co_return co_await self->read_line(max_bytes);
  };
  auto out = co_await asio::co_spawn(state_->strand, std::move(body), asio::use_awaitable);
  co_return std::move(*out);
}

asio::awaitable<Status> ChildProcess::write(std::string bytes) {
  auto body = [self = state_,
               b = std::move(bytes)]() mutable -> asio::awaitable<std::optional<Status>> {
    co_return co_await self->write(std::move(b));
  };
  auto out = co_await asio::co_spawn(state_->strand, std::move(body), asio::use_awaitable);
  co_return std::move(*out);
}

asio::awaitable<int> ChildProcess::wait_exit() {
  auto body = [self = state_]() -> asio::awaitable<int> {
    co_return co_await self->wait_exit();
  };
  co_return co_await asio::co_spawn(state_->strand, std::move(body), asio::use_awaitable);
}

void ChildProcess::terminate(std::chrono::milliseconds grace) {
  auto task = [self = state_, grace] {
    self->begin_termination(grace);
  };
  asio::dispatch(state_->strand, std::move(task));
}

int ChildProcess::pid() const {
  return state_->pid;
}

bool ChildProcess::running() const {
  return !state_->exited.load();
}

}  // namespace mcpgate::process
