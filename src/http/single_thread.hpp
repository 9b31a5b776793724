#pragma once
// Whether one thread runs an io_context, for everything that would otherwise give each of its
// connections a strand (the server's inbound connections, the outbound client's connections).
//
// A strand serialises the handlers of one connection when several threads run the context. With
// one thread the context serialises every handler by itself, and the strand only costs: it is
// stored out of line in asio::any_io_executor, so every copy of the executor (each async
// operation makes several) counts references, every prefer() allocates, and every handoff to it
// takes a lock. The process that runs the context knows how many threads do; it marks the
// context, and the code that creates connections asks the context — one rule in one place,
// rather than an option passed to each component.
//
// The mark is a promise: mark a context only when exactly one thread will ever call run() (or
// poll()) on it. An unmarked context gets strands, which is always correct.

#include <boost/asio/io_context.hpp>

#include "http/asio.hpp"

namespace mcpgate::http {

// Records that exactly one thread runs `ioc`. Call before any connection is created on it.
void mark_single_threaded(asio::io_context& ioc);

// True when mark_single_threaded(ioc) was called.
bool single_threaded(asio::io_context& ioc);

// The executor for a new connection on `ioc`: its plain executor when one thread runs it, a new
// strand otherwise.
asio::any_io_executor connection_executor(asio::io_context& ioc);

// The io_context behind `ex` when it is a plain executor of one or a strand on one, else nullptr
// (a thread pool, another kind of executor).
asio::io_context* io_context_of(const asio::any_io_executor& ex);

// The io_context behind `ex` when it is a plain or strand executor of an io_context marked
// single-threaded, else nullptr (a thread pool, another kind of executor, an unmarked context).
asio::io_context* single_threaded_context(const asio::any_io_executor& ex);

}  // namespace mcpgate::http
