#pragma once

// How many CPUs this process may run on.

namespace mcpgate {

// The CPUs in the process's affinity mask (taskset, cpusets, container CPU pinning), at least 1.
// std::thread::hardware_concurrency() counts every CPU of the machine instead, which gives a
// process pinned to one CPU two threads that only take turns on it.
unsigned usable_cpus();

}  // namespace mcpgate
