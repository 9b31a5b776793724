#include "core/cpus.hpp"

#include <thread>

#include <gtest/gtest.h>
#include <sched.h>

namespace mcpgate {
namespace {

TEST(UsableCpusTest, FollowsTheAffinityMask) {
  cpu_set_t saved;
  ASSERT_EQ(sched_getaffinity(0, sizeof(saved), &saved), 0);
  EXPECT_EQ(usable_cpus(), static_cast<unsigned>(CPU_COUNT(&saved)));
  EXPECT_LE(usable_cpus(), std::max(1u, std::thread::hardware_concurrency()));

  // Pinned to one CPU (as `taskset -c N` does): one.
  int first = -1;
  for (int i = 0; i < CPU_SETSIZE && first < 0; ++i) {
    if (CPU_ISSET(i, &saved)) {
      first = i;
    }
  }
  ASSERT_GE(first, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  const unsigned pinned = usable_cpus();
  ASSERT_EQ(sched_setaffinity(0, sizeof(saved), &saved), 0);
  EXPECT_EQ(pinned, 1u);
}

}  // namespace
}  // namespace mcpgate
