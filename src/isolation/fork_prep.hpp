// SPDX-License-Identifier: BSL-1.0
// What the parent of a plain fork trap does before it forks, so that its
// child has less to do: in a child, each page of code run first and each
// page of data written is a page fault.
#pragma once

namespace trap {
class Trap;
}  // namespace trap

namespace trap::detail {

/// Prepares this thread for the fork trap @p self, before it forks: once
/// per process, the lazy bindings and first-use objects of what a child
/// runs; once per thread and registry generation, this thread's C++
/// exception globals; on every trap of the standard trapper, a read of its
/// stdout and stderr accessors (a lookup with no write while this thread's
/// memo holds them, which other reads can push out). @p warn: warn once if
/// this process runs threads.
void prepare_thread_for_fork_traps(const Trap& self, bool warn);

/// How many times this thread made the whole preparation (for tests): once,
/// then again after each change of the registry.
unsigned fork_thread_preparations() noexcept;

}  // namespace trap::detail
