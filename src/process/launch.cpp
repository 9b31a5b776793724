#include "process/launch.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;  // NOLINT(readability-redundant-declaration): unistd.h declares it only with
                        // _GNU_SOURCE

namespace mcpgate::process {
namespace {

constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// Passed through without inherit_env: what programs need to find themselves, their home, their
// locale and a temporary directory. Nothing that usually carries credentials.
// A table, kept compact:
// clang-format off
constexpr std::array<std::string_view, 16> kAllowedVariables = {
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE",
    "LC_MESSAGES", "TZ", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
    "XDG_RUNTIME_DIR"};

// clang-format on

std::string_view variable_name(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

void set_variable(std::vector<std::string>& env, std::string_view name, std::string_view value) {
  std::string entry = std::string(name) + "=" + std::string(value);
  for (auto& existing : env) {
    if (variable_name(existing) == name) {
      existing = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

Error errno_error(int err, const std::string& what) {
  ErrorCode code = ErrorCode::kInternal;
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      code = ErrorCode::kNotFound;
      break;
    case EACCES:
    case EPERM:
    case ENOEXEC:
      code = ErrorCode::kPermissionDenied;
      break;
    case EMFILE:
    case ENFILE:
    case EAGAIN:
    case ENOMEM:
      code = ErrorCode::kResourceExhausted;
      break;
    default:
      break;
  }
  return make_error(code, what + ": " + std::strerror(err));
}

bool is_executable_file(const std::string& path) {
  struct stat st {};

  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// A pipe whose two ends are close-on-exec and above 2: were an end 0, 1 or 2 (the gateway
// started with a standard descriptor closed), dup2 onto that number would be a no-op that
// keeps close-on-exec set, and the child would start without it.
Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return errno_error(errno, "pipe2");
  }
  UniqueFd ends[2] = {UniqueFd(fds[0]), UniqueFd(fds[1])};
  for (auto& end : ends) {
    if (end.get() <= STDERR_FILENO) {
      const int moved = ::fcntl(end.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
      if (moved < 0) {
        return errno_error(errno, "fcntl(F_DUPFD_CLOEXEC)");
      }
      end = UniqueFd(moved);
    }
  }
  return std::pair<UniqueFd, UniqueFd>(std::move(ends[0]), std::move(ends[1]));
}

// posix_spawn's C structures, destroyed on every path out.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  bool actions_ok = false;
  bool attr_ok = false;

  ~SpawnSetup() {
    if (actions_ok) {
      posix_spawn_file_actions_destroy(&actions);
    }
    if (attr_ok) {
      posix_spawnattr_destroy(&attr);
    }
  }
};

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void UniqueFd::reset() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

std::vector<std::string> child_environment(const ChildSpec& spec, const char* const* parent) {
  std::vector<std::string> env;
  for (const char* const* p = parent; p != nullptr && *p != nullptr; ++p) {
    const std::string_view entry(*p);
    const auto name = variable_name(entry);
    if (name.empty() || name.size() == entry.size()) {
      continue;  // not NAME=value
    }
    bool pass = spec.inherit_env;
    for (auto allowed : kAllowedVariables) {
      pass = pass || name == allowed;
    }
    if (pass) {
      set_variable(env, name, entry.substr(name.size() + 1));
    }
  }
  for (const auto& [name, value] : spec.env) {
    set_variable(env, name, value);
  }
  return env;
}

Result<std::string> resolve_program(const std::string& command, std::string_view path) {
  if (command.find('/') != std::string::npos) {
    return command;  // posix_spawn reports a missing or unusable file itself
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const auto dir = path.substr(start, end - start);
    if (!dir.empty() && dir.front() == '/') {
      std::string candidate(dir);
      if (candidate.back() != '/') {
        candidate += '/';
      }
      candidate += command;
      if (is_executable_file(candidate)) {
        return candidate;
      }
    }
    start = end + 1;
  }
  return make_error(ErrorCode::kNotFound,
                    "program '" + command + "' not found in PATH (" + std::string(path) + ")");
}

Result<Launched> launch(const ChildSpec& spec) {
  if (spec.command.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "empty command");
  }
  bool nul = has_nul(spec.command) || has_nul(spec.working_dir);
  for (const auto& a : spec.args) {
    nul = nul || has_nul(a);
  }
  for (const auto& [name, value] : spec.env) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "invalid environment variable name '" + name + "'");
    }
    nul = nul || has_nul(name) || has_nul(value);
  }
  if (nul) {
    return make_error(ErrorCode::kInvalidArgument,
                      "NUL byte in the command, args, env or working_dir");
  }
  if (!spec.working_dir.empty()) {
    struct stat st {};

    if (::stat(spec.working_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return make_error(ErrorCode::kNotFound,
                        "working directory '" + spec.working_dir + "' does not exist");
    }
  }

  std::vector<std::string> env = child_environment(spec, environ);
  std::string_view path = kDefaultPath;
  for (const auto& entry : env) {
    if (variable_name(entry) == "PATH") {
      path = std::string_view(entry).substr(5);
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(const std::string program, resolve_program(spec.command, path));

  MCPGATE_ASSIGN_OR_RETURN(auto in, make_pipe());
  MCPGATE_ASSIGN_OR_RETURN(auto out, make_pipe());
  MCPGATE_ASSIGN_OR_RETURN(auto err, make_pipe());

  SpawnSetup setup;
  setup.actions_ok = posix_spawn_file_actions_init(&setup.actions) == 0;
  setup.attr_ok = posix_spawnattr_init(&setup.attr) == 0;
  if (!setup.actions_ok || !setup.attr_ok) {
    return make_error(ErrorCode::kResourceExhausted, "posix_spawn setup failed");
  }
  // dup2 clears close-on-exec on the target; every other descriptor of ours is close-on-exec.
  int rc = posix_spawn_file_actions_adddup2(&setup.actions, in.first.get(), STDIN_FILENO);
  rc = rc != 0 ? rc
               : posix_spawn_file_actions_adddup2(&setup.actions, out.second.get(), STDOUT_FILENO);
  rc = rc != 0 ? rc
               : posix_spawn_file_actions_adddup2(&setup.actions, err.second.get(), STDERR_FILENO);
  if (rc == 0 && !spec.working_dir.empty()) {
    rc = posix_spawn_file_actions_addchdir_np(&setup.actions, spec.working_dir.c_str());
  }
  // Own process group (id = the child's pid), an empty signal mask, and default dispositions for
  // the signals a server might have changed (ignored dispositions survive exec; SIGPIPE is
  // ignored in the gateway).
  sigset_t mask;
  sigemptyset(&mask);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM}) {
    sigaddset(&defaults, sig);
  }
  rc = rc != 0 ? rc : posix_spawnattr_setpgroup(&setup.attr, 0);
  rc = rc != 0 ? rc : posix_spawnattr_setsigmask(&setup.attr, &mask);
  rc = rc != 0 ? rc : posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  rc = rc != 0 ? rc
               : posix_spawnattr_setflags(
                   &setup.attr,
                   static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                      | POSIX_SPAWN_SETSIGDEF));
  if (rc != 0) {
    return errno_error(rc, "posix_spawn setup");
  }

  std::vector<char*> argv;
  argv.reserve(spec.args.size() + 2);
  argv.push_back(
      const_cast<char*>(spec.command.c_str()));  // NOLINT: the exec API is not const-correct
  for (const auto& a : spec.args) {
    argv.push_back(const_cast<char*>(a.c_str()));  // NOLINT
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (auto& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);

  pid_t pid = -1;
  rc = ::posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
  if (rc != 0) {
    return errno_error(rc, "cannot start '" + spec.command + "'");
  }
  // The child's ends close here (UniqueFd); it holds its own copies as 0, 1 and 2.
  Launched launched;
  launched.pid = pid;
  launched.stdin_write = std::move(in.second);
  launched.stdout_read = std::move(out.first);
  launched.stderr_read = std::move(err.first);
  return launched;
}

}  // namespace mcpgate::process
