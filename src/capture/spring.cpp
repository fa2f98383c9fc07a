// SPDX-License-Identifier: BSL-1.0
// How an output layer springs a capture: begins it and registers the
// teardown that ends it (end_capture(), in the engine); and the one poll()
// that tells the output layers of a trap which standard descriptors are open.
#include <cstdint>
#include <string>
#include <string_view>

#include "capture/capture.hpp"
#include "posix/child_path.hpp"
#include "posix/fd.hpp"

namespace trap::detail {

namespace {

// What open_standard_fds() said for the layer at step `step` of `trap`.
struct OpenFds {
  const Trap* trap = nullptr;
  std::uint64_t step = 0;
  int bits = 0;
};
thread_local OpenFds open_fds;

}  // namespace

TRAP_CHILD_PATH bool standard_fd_open(const Trap& trap, int fd) {
  if (fd < 0 || fd > 2) return posix::is_open(fd);
  OpenFds& o = open_fds;
  // Nothing of the caller's ran since the answer was had: this layer, or
  // the one right after it, of the same trap.
  if (o.trap != &trap || layer_steps - o.step > 1) {
    const int bits = posix::open_standard_fds();
    if (bits < 0) {
      o.trap = nullptr;
      return posix::is_open(fd);
    }
    o.bits = bits;
  }
  o.trap = &trap;
  o.step = layer_steps;
  return (o.bits >> fd) & 1;
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
