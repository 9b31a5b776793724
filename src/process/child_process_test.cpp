#include "process/child_process.hpp"

#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process/launch.hpp"

namespace mcpgate::process {
namespace {

using namespace std::chrono_literals;

// Runs `body` on `ioc` until it and every task it left behind (reapers, grace timers) finish.
// A watchdog turns a hang into a failure instead of a stuck test run.
void run_test(asio::io_context& ioc, asio::awaitable<void> body) {
  asio::steady_timer watchdog(ioc, 60s);
  bool timed_out = false;
  watchdog.async_wait([&](boost::system::error_code ec) {
    if (!ec) {
      timed_out = true;
      ioc.stop();
    }
  });
  std::exception_ptr failure;
  asio::co_spawn(ioc, std::move(body), [&](std::exception_ptr e) {
    failure = e;
    watchdog.cancel();
  });
  ioc.run();
  ASSERT_FALSE(timed_out) << "the test did not finish within 60 s";
  if (failure) {
    std::rethrow_exception(failure);
  }
}

std::shared_ptr<ChildProcess> start(asio::io_context& ioc, ChildSpec spec) {
  auto child = ChildProcess::spawn(ioc.get_executor(), std::move(spec), "test");
  if (!child) {
    ADD_FAILURE() << child.error().message;
    return nullptr;
  }
  return *child;
}

ChildSpec shell(std::string script) {
  return ChildSpec{.command = "sh", .args = {"-c", std::move(script)}};
}

// True once `pid` is no child of ours any more (reaped: no zombie left behind).
bool reaped(int pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == -1 && errno == ECHILD;
}

// True when `pid` is gone or a zombie (dead, waiting for its parent, which is not us).
bool dead(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return true;
  }
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

asio::awaitable<void> yield_a_few_times() {
  for (int i = 0; i < 10; ++i) {
    const auto ex = co_await asio::this_coro::executor;
    co_await asio::post(ex, asio::use_awaitable);
  }
}

TEST(ChildProcessTest, EchoesLinesThroughCat) {
  asio::io_context ioc;
  int pid = -1;
  run_test(ioc, [&]() -> asio::awaitable<void> {
    auto child = start(ioc, ChildSpec{.command = "cat"});
    if (!child) {
      co_return;
    }
    pid = child->pid();
    EXPECT_TRUE(child->running());
    // (Results are named before they are tested: g++ 12 miscompiles a co_await inside a
    // condition whose temporary has a destructor; it traps at run time.)
    const Status w1 = co_await child->write("hello\n");
    const Status w2 = co_await child->write("w\xc3\xb6rld\r\n\n");
    EXPECT_TRUE(w1.ok() && w2.ok());
    auto a = co_await child->read_line(100);
    auto b = co_await child->read_line(100);
    auto c = co_await child->read_line(100);
    EXPECT_TRUE(a.ok() && *a == "hello");
    EXPECT_TRUE(b.ok() && *b == "w\xc3\xb6rld");
    EXPECT_TRUE(c.ok() && c->empty());
    child->terminate();
    const int status = co_await child->wait_exit();
    EXPECT_TRUE(status == 0 || status == 128 + SIGTERM) << status;
    EXPECT_FALSE(child->running());
    auto eof = co_await child->read_line(100);
    EXPECT_EQ(eof.ok() ? ErrorCode::kInternal : eof.error().code, ErrorCode::kUnavailable);
  }());
  EXPECT_TRUE(reaped(pid));
}

asio::awaitable<void> write_line(std::shared_ptr<ChildProcess> child,
                                 std::string line,
                                 int* failures) {
  const Status written = co_await child->write(std::move(line));
  if (!written.ok()) {
    ++*failures;
  }
}

TEST(ChildProcessTest, ConcurrentWritesNeverInterleave) {
  asio::io_context ioc;
  run_test(ioc, [&]() -> asio::awaitable<void> {
    auto child = start(ioc, ChildSpec{.command = "cat"});
    if (!child) {
      co_return;
    }
    // Lines far above PIPE_BUF (4096), so the kernel splits each write and only our queue keeps
    // them whole; together far above the pipe capacity, so writers really wait for each other.
    constexpr int kWriters = 40;
    constexpr std::size_t kLength = 50000;
    int failures = 0;
    for (int i = 0; i < kWriters; ++i) {
      std::string line(kLength, static_cast<char>('A' + i % 26));
      line += '\n';
      asio::co_spawn(ioc, write_line(child, std::move(line), &failures), asio::detached);
    }
    int intact = 0;
    int in_order = 0;
    for (int i = 0; i < kWriters; ++i) {
      auto line = co_await child->read_line(kLength);
      if (!line.ok()) {
        ADD_FAILURE() << line.error().message;
        break;
      }
      const bool uniform =
          line->size() == kLength && line->find_first_not_of(line->front()) == std::string::npos;
      intact += uniform ? 1 : 0;
      // The writers reached the queue in spawn order (one thread, FIFO handlers).
      in_order += line->front() == static_cast<char>('A' + i % 26) ? 1 : 0;
    }
    EXPECT_EQ(intact, kWriters);
    EXPECT_EQ(in_order, kWriters);
    EXPECT_EQ(failures, 0);
    child->terminate();
    co_await child->wait_exit();
  }());
}

TEST(ChildProcessTest, OverlongLineIsResourceExhaustedAndFinal) {
  asio::io_context ioc;
  run_test(ioc, [&]() -> asio::awaitable<void> {
    auto child = start(ioc,
                       shell("printf 'abcd\\r\\n'; head -c 300000 /dev/zero | tr '\\0' x; echo; "
                             "echo after"));
    if (!child) {
      co_return;
    }
    auto exact = co_await child->read_line(4);  // 4 bytes of content plus "\r\n" fit
    EXPECT_TRUE(exact.ok() && *exact == "abcd");
    auto big = co_await child->read_line(1000);
    EXPECT_EQ(big.ok() ? ErrorCode::kInternal : big.error().code, ErrorCode::kResourceExhausted);
    auto again = co_await child->read_line(1'000'000);
    EXPECT_EQ(again.ok() ? ErrorCode::kInternal : again.error().code,
              ErrorCode::kResourceExhausted);
    child->terminate(100ms);
    co_await child->wait_exit();
  }());
}

TEST(ChildProcessTest, StderrLinesReachTheCallbackTruncated) {
  asio::io_context ioc;
  std::vector<std::string> lines;
  asio::steady_timer got_line(ioc);
  got_line.expires_at(asio::steady_timer::time_point::max());
  run_test(ioc, [&]() -> asio::awaitable<void> {
    ChildSpec spec = shell(
        "echo one >&2; printf 'two\\r\\n' >&2; head -c 5000 /dev/zero | tr '\\0' y >&2; echo >&2; "
        "printf tail >&2; echo out");
    spec.on_stderr_line = [&](std::string_view line) {
      lines.emplace_back(line);
      got_line.cancel();
    };
    auto child = start(ioc, std::move(spec));
    if (!child) {
      co_return;
    }
    auto out = co_await child->read_line(100);
    EXPECT_TRUE(out.ok() && *out == "out");
    const int status = co_await child->wait_exit();
    EXPECT_EQ(status, 0);
    while (lines.size() < 4) {
      boost::system::error_code ec;
      co_await got_line.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "one");
  EXPECT_EQ(lines[1], "two");
  EXPECT_EQ(lines[2], std::string(2048, 'y') + " [truncated]");
  EXPECT_EQ(lines[3], "tail");
}

TEST(ChildProcessTest, StderrGoesToTheLogByDefault) {
  asio::io_context ioc;
  run_test(ioc, [&]() -> asio::awaitable<void> {
    auto child = start(ioc, shell("echo 'error: something broke' >&2; echo 'just chatter' >&2"));
    if (!child) {
      co_return;
    }
    const int status = co_await child->wait_exit();
    EXPECT_EQ(status, 0);
  }());  // run_test waits for the stderr drain; the lines land in the test's stderr
}

TEST(ChildProcessTest, ExternallyKilledChildReportsSignal) {
  asio::io_context ioc;
  int pid = -1;
  run_test(ioc, [&]() -> asio::awaitable<void> {
    auto child = start(ioc, ChildSpec{.command = "sleep", .args = {"30"}});
    if (!child) {
      co_return;
    }
    pid = child->pid();
    ::kill(pid, SIGKILL);
    auto line = co_await child->read_line(100);
    EXPECT_EQ(line.ok() ? ErrorCode::kInternal : line.error().code, ErrorCode::kUnavailable);
    const int status = co_await child->wait_exit();
    EXPECT_EQ(status, 128 + SIGKILL);
    EXPECT_FALSE(child->running());
    auto write = co_await child->write("late\n");
    EXPECT_EQ(write.ok() ? ErrorCode::kInternal : write.error().code, ErrorCode::kUnavailable);
  }());
  EXPECT_TRUE(reaped(pid));
}

TEST(ChildProcessTest, WriteToClosedStdinFailsWithoutSigpipe) {
  asio::io_context ioc;
  run_test(ioc, [&]() -> asio::awaitable<void> {
    // The child closes its stdin and tells us so; it stays alive, so only EPIPE can report it.
    auto child = start(ioc, shell("exec 0<&-; echo closed; sleep 30"));
    if (!child) {
      co_return;
    }
    auto line = co_await child->read_line(100);
    EXPECT_TRUE(line.ok() && *line == "closed");
    const Status written = co_await child->write("anyone there?\n");
    EXPECT_EQ(written.ok() ? ErrorCode::kInternal : written.error().code, ErrorCode::kUnavailable);
    EXPECT_TRUE(child->running());
    child->terminate();
    const int status = co_await child->wait_exit();
    EXPECT_EQ(status, 128 + SIGTERM);
  }());
}

TEST(ChildProcessTest, TerminateKillsSigtermIgnoringChildAndGrandchild) {
  asio::io_context ioc;
  int pid = -1;
  int grandchild = -1;
  run_test(ioc, [&]() -> asio::awaitable<void> {
    // The shell ignores SIGTERM, and so does its background sleep (inherited disposition).
    auto child = start(ioc, shell("trap '' TERM; sleep 30 & echo $!; wait"));
    if (!child) {
      co_return;
    }
    pid = child->pid();
    auto line = co_await child->read_line(100);
    if (!line.ok()) {
      ADD_FAILURE() << line.error().message;
      co_return;
    }
    grandchild = std::stoi(*line);
    const auto started = std::chrono::steady_clock::now();
    child->terminate(300ms);
    child->terminate(1ms);  // idempotent: the first grace stands
    const int status = co_await child->wait_exit();
    EXPECT_EQ(status, 128 + SIGKILL);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 290ms);
    // The grandchild got the same SIGKILL; its death is observable only by polling.
    asio::steady_timer poll(ioc);
    for (int i = 0; i < 1000 && !dead(grandchild); ++i) {
      poll.expires_after(10ms);
      co_await poll.async_wait(asio::use_awaitable);
    }
    EXPECT_TRUE(dead(grandchild)) << grandchild;
  }());
  EXPECT_TRUE(reaped(pid));
  if (grandchild > 0 && !dead(grandchild)) {
    ::kill(grandchild, SIGKILL);
  }
}

TEST(ChildProcessTest, DroppingTheObjectTerminatesAndReaps) {
  asio::io_context ioc;
  int pid = -1;
  run_test(ioc, [&]() -> asio::awaitable<void> {
    auto child = start(ioc, ChildSpec{.command = "sleep", .args = {"30"}});
    if (child) {
      pid = child->pid();
    }
    co_return;
  }());
  // run_test returned, so the reaper finished: the child is gone without anyone waiting on it.
  EXPECT_TRUE(reaped(pid));
  EXPECT_TRUE(dead(pid));
}

TEST(ChildProcessTest, SecondConcurrentReadIsRefused) {
  asio::io_context ioc;
  run_test(ioc, [&]() -> asio::awaitable<void> {
    auto child = start(ioc, ChildSpec{.command = "cat"});
    if (!child) {
      co_return;
    }
    std::optional<Result<std::string>> first;
    auto reader = [&]() -> asio::awaitable<void> {
      auto line = co_await child->read_line(100);
      first.emplace(std::move(line));
    };
    asio::co_spawn(ioc, reader(), asio::detached);
    co_await yield_a_few_times();  // the first read is now parked on the pipe
    auto second = co_await child->read_line(100);
    EXPECT_EQ(second.ok() ? ErrorCode::kInternal : second.error().code,
              ErrorCode::kFailedPrecondition);
    const Status written = co_await child->write("x\n");
    EXPECT_TRUE(written.ok());
    while (!first) {
      co_await yield_a_few_times();
    }
    EXPECT_TRUE(first->ok() && **first == "x");
    child->terminate();
    co_await child->wait_exit();
  }());
}

TEST(ChildProcessTest, SpawnErrorsAreClear) {
  asio::io_context ioc;
  auto missing =
      ChildProcess::spawn(ioc.get_executor(), ChildSpec{.command = "mcpgate-no-such-program"}, "t");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("mcpgate-no-such-program"), std::string::npos);

  auto bad_path =
      ChildProcess::spawn(ioc.get_executor(), ChildSpec{.command = "/nonexistent/prog"}, "t");
  ASSERT_FALSE(bad_path.ok());
  EXPECT_EQ(bad_path.error().code, ErrorCode::kNotFound);
  EXPECT_NE(bad_path.error().message.find("/nonexistent/prog"), std::string::npos);

  auto not_exec = ChildProcess::spawn(ioc.get_executor(), ChildSpec{.command = "/etc/passwd"}, "t");
  ASSERT_FALSE(not_exec.ok());
  EXPECT_EQ(not_exec.error().code, ErrorCode::kPermissionDenied);

  auto bad_dir = ChildProcess::spawn(
      ioc.get_executor(), ChildSpec{.command = "true", .working_dir = "/nonexistent-dir"}, "t");
  ASSERT_FALSE(bad_dir.ok());
  EXPECT_EQ(bad_dir.error().code, ErrorCode::kNotFound);

  auto empty = ChildProcess::spawn(ioc.get_executor(), ChildSpec{}, "t");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);

  auto bad_env = ChildProcess::spawn(
      ioc.get_executor(), ChildSpec{.command = "true", .env = {{"A=B", "c"}}}, "t");
  ASSERT_FALSE(bad_env.ok());
  EXPECT_EQ(bad_env.error().code, ErrorCode::kInvalidArgument);
  ioc.run();  // nothing was started, so nothing runs
}

// The child's first stdout line.
std::string first_line(ChildSpec spec) {
  asio::io_context ioc;
  std::string out = "<none>";
  run_test(ioc, [&]() -> asio::awaitable<void> {
    auto child = start(ioc, std::move(spec));
    if (!child) {
      co_return;
    }
    auto line = co_await child->read_line(1000);
    if (line.ok()) {
      out = *line;
    }
    co_await child->wait_exit();
  }());
  return out;
}

TEST(ChildProcessTest, EnvironmentIsAllowListedUnlessInherited) {
  ::setenv("MCPGATE_PROCESS_TEST_SECRET", "hunter2", 1);
  const std::string script = "echo \"[$MCPGATE_PROCESS_TEST_SECRET][$LISTED][${PATH:+path}]\"";
  ChildSpec plain = shell(script);
  plain.env = {{"LISTED", "yes"}};
  EXPECT_EQ(first_line(plain), "[][yes][path]");

  ChildSpec inherit = shell(script);
  inherit.env = {{"LISTED", "yes"}};
  inherit.inherit_env = true;
  EXPECT_EQ(first_line(inherit), "[hunter2][yes][path]");

  ChildSpec overridden = shell(script);
  overridden.env = {{"MCPGATE_PROCESS_TEST_SECRET", "other"}};
  overridden.inherit_env = true;
  EXPECT_EQ(first_line(overridden), "[other][][path]");
  ::unsetenv("MCPGATE_PROCESS_TEST_SECRET");
}

TEST(ChildProcessTest, RunsInTheWorkingDirectory) {
  EXPECT_EQ(first_line(ChildSpec{.command = "pwd", .working_dir = "/"}), "/");
}

TEST(LaunchTest, ChildEnvironmentKeepsOnlyAllowedVariablesThenSpecOnTop) {
  const char* parent[] = {
      "PATH=/bin", "AWS_SECRET_ACCESS_KEY=x", "HOME=/home/g", "BROKEN", "LANG=C", nullptr};
  ChildSpec spec{.env = {{"HOME", "/srv"}, {"EXTRA", "1"}}};
  EXPECT_EQ(child_environment(spec, parent),
            (std::vector<std::string>{"PATH=/bin", "HOME=/srv", "LANG=C", "EXTRA=1"}));
  spec.inherit_env = true;
  EXPECT_EQ(child_environment(spec, parent),
            (std::vector<std::string>{
                "PATH=/bin", "AWS_SECRET_ACCESS_KEY=x", "HOME=/srv", "LANG=C", "EXTRA=1"}));
}

TEST(LaunchTest, ResolvesThroughAbsolutePathEntriesOnly) {
  auto sh = resolve_program("sh", "relative:/nonexistent::/bin");
  ASSERT_TRUE(sh.ok());
  EXPECT_EQ(*sh, "/bin/sh");
  EXPECT_FALSE(resolve_program("sh", ".:bin").ok());
  auto with_slash = resolve_program("./tool", "/bin");
  ASSERT_TRUE(with_slash.ok());
  EXPECT_EQ(*with_slash, "./tool");
}

}  // namespace
}  // namespace mcpgate::process
