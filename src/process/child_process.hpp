#pragma once
// ChildProcess: one local MCP server (or any program) run as a child, spoken to with
// newline-delimited messages over its stdin/stdout (the MCP stdio transport).
//
//   ChildSpec spec{.command = "npx", .args = {"-y", "@modelcontextprotocol/server-everything"}};
//   MCPGATE_CO_ASSIGN_OR_RETURN(auto child, ChildProcess::spawn(ex, std::move(spec),
//   "everything")); co_await child->write(request + "\n"); auto line = co_await child->read_line(4
//   << 20);
//
// Process model:
// * The child is started with posix_spawn in a new process group whose id is its pid, so
//   terminate() reaches whatever it starts (npx starts node, shells start pipelines). A
//   grandchild that leaves the group (setsid) escapes that reach.
// * stdin/stdout/stderr are pipes; every other descriptor of ours is close-on-exec, so the child
//   inherits nothing else (no listening sockets, no database files).
// * The child's signal mask is empty and the usual termination signals are at their defaults,
//   whatever the gateway does with them. spawn() ignores SIGPIPE in the gateway (process-wide,
//   once): a write to a dead child's stdin must fail with EPIPE, not kill the gateway.
// * stderr is drained continuously, so a chatty child never blocks on a full pipe. Each line
//   (cut at 2 KiB) goes to ChildSpec::on_stderr_line, or by default to the log as event
//   "process_stderr" with the log name: at warn when it mentions error/fatal/panic, else info.
// * The exit is observed through a pidfd (Linux 5.3+; a 50 ms waitpid poll where pidfd_open is
//   refused, e.g. by a seccomp filter) and the child is reaped at once; there are no zombies
//   and no SIGCHLD handler. Something else in the process calling waitpid(-1) would steal the
//   status; nothing in mcpgate does.
// * When the child exits on its own, what is left of its process group gets the same treatment
//   as terminate() with the default grace (SIGTERM, SIGKILL after 2 s): orphans holding our
//   pipes open would otherwise keep read_line() waiting forever.
//
// Threading: all state lives on an internal strand of the executor given to spawn(). The
// member coroutines may be awaited from any executor (they hop to the strand and resume on the
// caller's), from any number of coroutines at once, except read_line (one at a time).
// Boost 1.74 has no per-operation cancellation: to abandon a pending read_line or write, call
// terminate(); pending operations then end with kUnavailable.
//
// Lifetime: the ChildProcess object may be dropped at any time; its destructor calls
// terminate(), and the strand keeps what it needs until the child is reaped and the grace
// period is over (the executor must keep running for that). If the io_context itself is
// destroyed first, the last resort is SIGKILL to the group and a blocking waitpid. Like any
// Asio I/O object, a ChildProcess must not outlive its io_context.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "http/asio.hpp"  // the project's one way to Asio (it carries the g++ 12 <utility> fix)

namespace mcpgate::process {

// (Every member has an initializer, so designated initializers may leave any out without
// g++'s -Wmissing-field-initializers.)
struct ChildSpec {
  // The program. With a '/' it is used as is (relative to working_dir); without one it is
  // looked up in the child's PATH (absolute entries only: a relative entry such as "." would
  // make the lookup depend on the current directory). spawn() fails with kNotFound when the
  // lookup finds no executable file.
  std::string command{};
  std::vector<std::string> args{};  // argv[1..]; argv[0] is `command` as written

  // The environment. By default the child gets only a small allow-list of the gateway's
  // variables: PATH HOME USER LOGNAME SHELL LANG LANGUAGE LC_ALL LC_CTYPE LC_MESSAGES TZ TMPDIR
  // XDG_CACHE_HOME XDG_CONFIG_HOME XDG_DATA_HOME XDG_RUNTIME_DIR. The gateway's environment may
  // carry secrets (database passwords, API tokens, proxy credentials) that a third-party MCP
  // server has no business seeing; pass what it needs in `env`. `inherit_env = true` passes the
  // whole environment instead. `env` entries are added last and override same-named variables;
  // PATH lookup of `command` uses the resulting PATH (default /usr/local/bin:/usr/bin:/bin).
  std::vector<std::pair<std::string, std::string>> env{};
  bool inherit_env = false;

  std::string working_dir{};  // "" = the gateway's current directory; must exist

  // Receives each stderr line (without "\n"/"\r", cut at 2 KiB with " [truncated]" appended),
  // on the child's strand. Must not block. Empty = log it (see above).
  std::function<void(std::string_view)> on_stderr_line{};
};

class ChildProcess {
 public:
  // Starts the child. Errors (nothing is started, nothing is left behind):
  //   kInvalidArgument  empty command, a NUL byte in command/args/env, an env name with '='
  //   kNotFound         the program is not found (PATH lookup or a missing path), or
  //                     working_dir does not exist
  //   kPermissionDenied the program is not executable (EACCES, ENOEXEC)
  //   kResourceExhausted out of descriptors or processes
  //   kInternal         anything else posix_spawn reports
  // An exec failure is reported here, not as an early exit: glibc's posix_spawn waits for the
  // exec and returns its errno.
  // `log_name` names the child in log lines ("process" field).
  static Result<std::shared_ptr<ChildProcess>> spawn(asio::any_io_executor ex,
                                                     ChildSpec spec,
                                                     std::string log_name);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // The next stdout line, without its "\n" (and a "\r" before it).
  //   kUnavailable        stdout reached end of file (the child exited or closed it); bytes
  //                       after the last "\n" are discarded (a message must end with a newline)
  //   kResourceExhausted  the line is longer than max_bytes. The stream cannot be resynchronized
  //                       (the rest of the line is still in the pipe, and skipping it would
  //                       deliver a message's tail as a message), so this and every later call
  //                       fail: terminate the child.
  //   kFailedPrecondition another read_line is still in progress
  asio::awaitable<Result<std::string>> read_line(std::size_t max_bytes);

  // Writes `bytes` to the child's stdin (the caller adds the "\n"). Writes are queued in call
  // order: bytes of concurrent callers never interleave, whatever their size. Completes when
  // the bytes are in the pipe (the child may not have read them yet); a child that stops
  // reading stalls writers.
  //   kUnavailable  the child's stdin is closed (terminate(), or the child exited / closed it)
  asio::awaitable<Status> write(std::string bytes);

  // Stops the child: closes its stdin (a stdio MCP server exits on EOF), sends SIGTERM to its
  // process group, and SIGKILL to the group once `grace` has passed unless the group is empty
  // by then. Returns at once; wait_exit() reports the end. Idempotent (later calls and their
  // grace are ignored). Thread-safe.
  void terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  int pid() const;
  // False once the child has exited and been reaped.
  bool running() const;

  // Waits for the child to exit; its exit code, or 128 + signal number when a signal ended it
  // (the shell's convention: SIGKILL gives 137).
  asio::awaitable<int> wait_exit();

 private:
  struct State;  // the strand-side state (child_process.cpp)

  explicit ChildProcess(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
};

}  // namespace mcpgate::process
