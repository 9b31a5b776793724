#pragma once
// The synchronous half of ChildProcess::spawn: the child's environment, the PATH lookup, and
// posix_spawn with the three pipes. Separate so it can be tested without an event loop.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "process/child_process.hpp"

namespace mcpgate::process {

// An owned file descriptor (-1 = none); closes on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;

  explicit UniqueFd(int fd) : fd_(fd) {}

  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  ~UniqueFd() { reset(); }

  int get() const { return fd_; }

  // Gives up ownership.
  int release() { return std::exchange(fd_, -1); }

  void reset();

 private:
  int fd_ = -1;
};

struct Launched {
  int pid = -1;
  UniqueFd stdin_write;  // our ends of the pipes, all close-on-exec
  UniqueFd stdout_read;
  UniqueFd stderr_read;
};

// The variables of `parent` (an environ-style, null-terminated array) that the child gets:
// all of them with spec.inherit_env, else the allow-list in ChildSpec's comment; then spec.env
// on top. "NAME=value" strings, one per name.
std::vector<std::string> child_environment(const ChildSpec& spec, const char* const* parent);

// Resolves `command` as ChildSpec describes, against `path` (a PATH value). kNotFound when no
// executable regular file matches.
Result<std::string> resolve_program(const std::string& command, std::string_view path);

// Starts the child (see ChildProcess::spawn for the errors).
Result<Launched> launch(const ChildSpec& spec);

}  // namespace mcpgate::process
