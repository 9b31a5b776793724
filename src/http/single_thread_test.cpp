// The mark for an io_context run by one thread (http/single_thread.hpp).

#include "http/single_thread.hpp"

#include <typeinfo>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

namespace mcpgate::http {
namespace {

using PlainExecutor = asio::io_context::executor_type;
using StrandExecutor = asio::strand<asio::io_context::executor_type>;

TEST(SingleThreadTest, AContextIsUnmarkedUntilMarked) {
  asio::io_context ioc;
  EXPECT_FALSE(single_threaded(ioc));
  mark_single_threaded(ioc);
  EXPECT_TRUE(single_threaded(ioc));
  mark_single_threaded(ioc);  // marking twice is harmless
  EXPECT_TRUE(single_threaded(ioc));
}

TEST(SingleThreadTest, TheMarkBelongsToOneContext) {
  asio::io_context marked;
  asio::io_context other;
  mark_single_threaded(marked);
  EXPECT_FALSE(single_threaded(other));
}

TEST(SingleThreadTest, ConnectionsGetAStrandUnlessTheContextIsMarked) {
  asio::io_context ioc;
  const asio::any_io_executor unmarked = connection_executor(ioc);
  // (Boost 1.74's target<T>() does not check the type: compare target_type().)
  EXPECT_TRUE(unmarked.target_type() == typeid(StrandExecutor));

  mark_single_threaded(ioc);
  const asio::any_io_executor marked = connection_executor(ioc);
  ASSERT_TRUE(marked.target_type() == typeid(PlainExecutor));
  EXPECT_EQ(&marked.target<PlainExecutor>()->context(), &ioc);
}

TEST(SingleThreadTest, TheContextBehindAnExecutorIsFoundOnlyWhenMarked) {
  asio::io_context ioc;
  const asio::any_io_executor plain = ioc.get_executor();
  const asio::any_io_executor strand = asio::make_strand(ioc);
  EXPECT_EQ(single_threaded_context(plain), nullptr);
  EXPECT_EQ(single_threaded_context(strand), nullptr);
  mark_single_threaded(ioc);
  EXPECT_EQ(single_threaded_context(plain), &ioc);
  EXPECT_EQ(single_threaded_context(strand), &ioc);
}

TEST(SingleThreadTest, AThreadPoolIsNeverTakenForAnIoContext) {
  asio::thread_pool pool(1);
  const asio::any_io_executor ex = pool.get_executor();
  EXPECT_EQ(io_context_of(ex), nullptr);
  EXPECT_EQ(single_threaded_context(ex), nullptr);
  EXPECT_EQ(io_context_of(asio::any_io_executor()), nullptr);
  pool.join();
}

TEST(SingleThreadTest, TheIoContextBehindPlainAndStrandExecutorsIsFound) {
  asio::io_context ioc;
  EXPECT_EQ(io_context_of(ioc.get_executor()), &ioc);
  EXPECT_EQ(io_context_of(asio::make_strand(ioc)), &ioc);
}

}  // namespace
}  // namespace mcpgate::http
