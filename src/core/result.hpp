#pragma once
// Result<T>: the value of an operation that can fail in an expected way (bad input, not found,
// denied). Method names follow std::expected so a later switch is mechanical. Exceptions are
// kept for the edges (startup, throwing libraries); inside, failures travel as values.

#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace mcpgate {

// A subset of the canonical (absl/gRPC) codes; each transport maps them to its wire format in
// one place (HTTP status, JSON-RPC code, OAuth error).
enum class ErrorCode {
  kInvalidArgument,
  kUnauthenticated,
  kPermissionDenied,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kResourceExhausted,
  kDeadlineExceeded,
  kUnavailable,
  kCancelled,
  kInternal,
};

const char* error_code_name(ErrorCode code);

// Typed facts about a failure beyond its code and message, for a transport's mapping point
// (e.g. mcp::UrlElicitationRequired: "the user must open this URL first"). A module derives its
// own kind; a mapping point looks for the kinds it knows (dynamic_cast) and ignores the rest, so
// a detail never changes how a transport that does not know it answers.
struct ErrorDetail {
  ErrorDetail() = default;
  ErrorDetail(const ErrorDetail&) = default;
  ErrorDetail& operator=(const ErrorDetail&) = default;
  virtual ~ErrorDetail() = default;
};

// An Error's detail: shared and immutable, so copying an Error stays cheap. Its special members
// are defined out of line (result.cpp): a std::shared_ptr inlined into every Result<T>
// destructor made g++ 12 (-O1) report -Wmaybe-uninitialized in coroutine frames that hold an
// optional<Result<T>> (a false positive, an error under -Werror).
class ErrorDetailPtr {
 public:
  ErrorDetailPtr() noexcept;
  explicit ErrorDetailPtr(std::shared_ptr<const ErrorDetail> detail) noexcept;
  ErrorDetailPtr(const ErrorDetailPtr& other) noexcept;
  ErrorDetailPtr(ErrorDetailPtr&& other) noexcept;
  ErrorDetailPtr& operator=(const ErrorDetailPtr& other) noexcept;
  ErrorDetailPtr& operator=(ErrorDetailPtr&& other) noexcept;
  ~ErrorDetailPtr();

  const ErrorDetail* get() const noexcept;  // null = none

 private:
  std::shared_ptr<const ErrorDetail> detail_;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // for logs and, where the mapping point decides so, for the client
  ErrorDetailPtr detail{};  // none unless a module attached one
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

// The most common one, named: every parser and validator returns it for bad input. (Modules used
// to define their own `invalid()` in anonymous namespaces; one name avoids the copies and keeps
// unity builds, where a module's files share one translation unit, free of clashes.)
inline Error invalid_argument(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return v_.index() == 0; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return ok_; }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  void ignore_error() const {}

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace mcpgate

#define MCPGATE_CONCAT_INNER(a, b) a##b
#define MCPGATE_CONCAT(a, b) MCPGATE_CONCAT_INNER(a, b)

// Propagate a failed Status/Result from a plain function.
#define MCPGATE_TRY(expr)                     \
  do {                                        \
    auto mcpgate_try_r_ = (expr);             \
    if (!mcpgate_try_r_) {                    \
      return mcpgate_try_r_.error();          \
    }                                         \
  } while (false)

#define MCPGATE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp) {                                         \
    return tmp.error();                               \
  }                                                   \
  lhs = std::move(tmp).value()

#define MCPGATE_ASSIGN_OR_RETURN(lhs, expr) \
  MCPGATE_ASSIGN_OR_RETURN_IMPL(MCPGATE_CONCAT(mcpgate_r_, __LINE__), lhs, expr)

// The same for coroutines, which must co_return.
#define MCPGATE_CO_TRY(expr)                  \
  do {                                        \
    auto mcpgate_try_r_ = (expr);             \
    if (!mcpgate_try_r_) {                    \
      co_return mcpgate_try_r_.error();       \
    }                                         \
  } while (false)

#define MCPGATE_CO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp) {                                            \
    co_return tmp.error();                               \
  }                                                      \
  lhs = std::move(tmp).value()

#define MCPGATE_CO_ASSIGN_OR_RETURN(lhs, expr) \
  MCPGATE_CO_ASSIGN_OR_RETURN_IMPL(MCPGATE_CONCAT(mcpgate_r_, __LINE__), lhs, expr)
