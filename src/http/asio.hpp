#pragma once
// The one way the project reaches Asio and Beast. <utility> must come first: g++ 12 in C++20
// mode does not see std::exchange from Boost 1.74's awaitable.hpp otherwise.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mcpgate {
namespace asio = boost::asio;
}  // namespace mcpgate
