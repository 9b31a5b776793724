#include "http/single_thread.hpp"

#include <boost/asio/strand.hpp>

namespace mcpgate::http {
namespace {

// Its presence in the context's service registry is the mark; it holds nothing.
class SingleThreadMark final : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;  // NOLINT(readability-identifier-naming): asio's name

  explicit SingleThreadMark(asio::execution_context& owner)
      : asio::execution_context::service(owner) {}

 private:
  void shutdown() override {}
};

asio::execution_context::id SingleThreadMark::id;

}  // namespace

void mark_single_threaded(asio::io_context& ioc) {
  if (!asio::has_service<SingleThreadMark>(ioc)) {
    asio::make_service<SingleThreadMark>(ioc);
  }
}

bool single_threaded(asio::io_context& ioc) {
  return asio::has_service<SingleThreadMark>(ioc);
}

asio::any_io_executor connection_executor(asio::io_context& ioc) {
  if (single_threaded(ioc)) {
    return ioc.get_executor();
  }
  return asio::make_strand(ioc);
}

asio::io_context* single_threaded_context(const asio::any_io_executor& ex) {
  asio::io_context* ctx = nullptr;
  if (const auto* plain = ex.target<asio::io_context::executor_type>()) {
    ctx = &plain->context();
  } else if (const auto* strand = ex.target<asio::strand<asio::io_context::executor_type>>()) {
    ctx = &strand->get_inner_executor().context();
  }
  return ctx != nullptr && single_threaded(*ctx) ? ctx : nullptr;
}

}  // namespace mcpgate::http
