// SPDX-License-Identifier: BSL-1.0
// How an output layer springs a capture: begins it and registers the
// teardown that ends it (end_capture(), in the engine); and the one poll()
// that tells the output layers of a trap which standard descriptors are open,
// and the one getrlimit() that tells them whether a file-size limit is set.
#include <cstdint>
#include <string>
#include <string_view>

#include "capture/capture.hpp"
#include "posix/child_path.hpp"
#include "posix/fd.hpp"

namespace trap::detail {

namespace {

// An answer about the process had for the layer at step `step` of `trap`.
// Nothing of the caller's runs between that layer and the one right after
// it, of the same trap: both are answered from one system call.
struct StepMemo {
  const Trap* trap = nullptr;
  std::uint64_t step = 0;
  int value = 0;
};
thread_local StepMemo open_fds;    // open_standard_fds()'s bits
thread_local StepMemo size_limit;  // 1 if a file-size limit is set

// @p memo's value for the layer of @p trap now applying, asked of @p ask
// unless the memo answers it; a negative answer (a failure) is not kept.
template <class Ask>
TRAP_CHILD_PATH int remembered(StepMemo& memo, const Trap& trap, Ask ask) {
  if (memo.trap != &trap || layer_steps - memo.step > 1) {
    memo.value = ask();
    if (memo.value < 0) {
      memo.trap = nullptr;
      return memo.value;
    }
  }
  memo.trap = &trap;
  memo.step = layer_steps;
  return memo.value;
}

}  // namespace

TRAP_CHILD_PATH bool standard_fd_open(const Trap& trap, int fd) {
  if (fd < 0 || fd > 2) return posix::is_open(fd);
  const int bits = remembered(open_fds, trap, [] { return posix::open_standard_fds(); });
  return bits < 0 ? posix::is_open(fd) : ((bits >> fd) & 1) != 0;
}

TRAP_CHILD_PATH bool file_size_limited(const Trap* trap) {
  auto ask = [] { return posix::file_size_limit() ? 1 : 0; };
  return (trap ? remembered(size_limit, *trap, ask) : ask()) != 0;
}

TRAP_CHILD_PATH bool Capture::fd_open() const {
  return layering.trap ? standard_fd_open(*layering.trap, fd_) : posix::is_open(fd_);
}

TRAP_CHILD_PATH void Capture::destroy(void* capture) noexcept {
  auto* c = static_cast<Capture*>(capture);
  const std::size_t size = c->block_size_;
  c->~Capture();
  cached_free(c, size);
}

TRAP_CHILD_PATH void spring_capture(Trap& self, std::string_view name, HeldObject held) {
  auto* capture = static_cast<Capture*>(held.get());
  Capture::Layering& l = capture->layering;
  l.accessor = name;
  l.trap = &self;
  bool active = false;
  try {
    active = capture->begin();
  } catch (const std::exception& e) {
    self.exception(e.what());
  }
  if (!active) {
    self.next();
    return;
  }
  auto region = capture->file_region();
  l.salvage = capture_salvage();
  if (l.salvage)
    l.slot = l.salvage->keep(self, name, region ? region->first : -1, region ? region->second : 0);
  try {
    // Only the teardown holds it then: a trapped exit below skips this
    // frame.
    add_capture_teardown(self, std::move(held));
  } catch (...) {
    // Out of memory: the capture ends here, and the trap with it.
    if (l.salvage) l.salvage->forget(l.slot);
    (void)capture->end();
    throw;
  }
  self.next();
}

}  // namespace trap::detail
