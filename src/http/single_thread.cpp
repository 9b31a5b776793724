#include "http/single_thread.hpp"

#include <typeinfo>

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

asio::io_context* io_context_of(const asio::any_io_executor& ex) {
  using Plain = asio::io_context::executor_type;
  using Strand = asio::strand<Plain>;
  // Boost 1.74's any_executor::target<T>() casts whatever it holds to T without looking at its
  // type: the type is compared here first.
  if (ex.target_type() == typeid(Plain)) {
    return &ex.target<Plain>()->context();
  }
  if (ex.target_type() == typeid(Strand)) {
    return &ex.target<Strand>()->get_inner_executor().context();
  }
  return nullptr;
}

asio::io_context* single_threaded_context(const asio::any_io_executor& ex) {
  asio::io_context* ctx = io_context_of(ex);
  return ctx != nullptr && single_threaded(*ctx) ? ctx : nullptr;
}

}  // namespace mcpgate::http
