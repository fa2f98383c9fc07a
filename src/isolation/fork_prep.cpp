// SPDX-License-Identifier: BSL-1.0
#include "isolation/fork_prep.hpp"

#include <atomic>
#include <cstdint>
#include <iostream>
#include <ostream>
#include <string>

#include <trap/trap.hpp>

#include "capture/block_cache.hpp"
#include "capture/capture.hpp"
#include "capture/strategies.hpp"
#include "engine/state.hpp"
#include "isolation/exit.hpp"
#include "posix/children.hpp"
#include "report/hub_internals.hpp"

namespace trap::detail {
namespace {

// The lazy bindings of libstdc++'s own calls (the library binds its calls
// at start, see CMakeLists.txt; each binding in a child costs about four
// page faults) and the objects made on first use. Harmless calls on
// objects of its own.
void bind_child_calls() {
  static const bool bound = [] {
    std::ostream unbuffered(nullptr);
    unbuffered.rdbuf(nullptr);  // std::basic_ios::clear, as a capture's swap calls it
    create_capture_state();
    (void)fallback_output_strategy();  // a static: its destructor registered here
    // std::clog's flush, as a capture's flush of std::clog under a warn
    // layer calls it. The fork flushes it anyway.
    flush_clog();
    return true;
  }();
  (void)bound;
}

// The standard captures' teardowns read their accessor (Trap::get), whose
// memo of plain accessors is this thread's: filled here, so that a child
// neither registers the memo's destructor (the C library's thread-exit list,
// the dynamic linker's lock) nor allocates its entries. Only on the standard
// trapper, whose stdout and stderr are plain values: reading has no effect.
void learn_capture_accessors(const Trap& self) {
  if (&self.trapper() != &standard()) return;
  (void)self.get("stdout");
  (void)self.get("stderr");
}

void warn_if_threaded() {
  static std::atomic<bool> warned{false};
  if (warned.load()) return;  // once: no /proc scan on later traps
  int n = posix::thread_count() - pipe_drainer_threads();
  if (n <= 1 || warned.exchange(true)) return;
  write_original(2, "# trap: the fork layer forks a process that runs " + std::to_string(n) +
                        " threads; only the forking thread goes on in the child, and a lock "
                        "another thread held stays locked there. Use fork(exec) under "
                        "Boost.Test, or start the threads after the fork traps.\n");
}

// The largest block the standard layers take in a child (a capture
// strategy's object with its shared_ptr control block).
constexpr std::size_t kChildBlockBytes = 256;

// Trivially destructible: a thread's first fork trap registers no
// destructor for it.
struct ThreadPrep {
  bool done = false;
  std::uint64_t generation = 0;  // the registry's when it was made
  unsigned made = 0;
};
thread_local ThreadPrep thread_prep;

}  // namespace

void prepare_thread_for_fork_traps(const Trap& self, bool warn) {
  if (warn) warn_if_threaded();
  const std::uint64_t now = Registry::get().generation.load(std::memory_order_acquire);
  if (!thread_prep.done || thread_prep.generation != now) {
    bind_child_calls();
    (void)caught_exception();           // the child's exit frames find this thread's globals known
    (void)HubInternals::scope_depth();  // ... and its hub scopes made (a thread_local)
    thread_prep = {true, now, thread_prep.made + 1};
  }
  learn_capture_accessors(self);
  // The child's capture objects and warn log, from its copy of this
  // thread's block cache (two of each small size: stdout and stderr).
  stock_cached_blocks(kChildBlockBytes, 2);
}

unsigned fork_thread_preparations() noexcept { return thread_prep.made; }

}  // namespace trap::detail
