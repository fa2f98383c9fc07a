// SPDX-License-Identifier: BSL-1.0
// memory: what a thread writes to std::cout (descriptor 1) or std::cerr
// (descriptor 2) goes into a string buffer of that thread's trap. Touches no
// descriptor and no FILE*: C stdio, raw writes and child processes are not
// captured. Perl's Test::Trap::Builder::PerlIO.
//
// Per thread: while any memory capture of a stream is active, the stream's
// buffer is a Router, which sends each thread's output to that thread's
// innermost memory capture, and the output of threads that capture nothing
// to the buffer it replaced. So traps on several threads at once each see
// only their own thread's output, and the stream's buffer pointer is
// swapped only when the first capture begins and the last one ends.
#include <algorithm>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "capture/capture.hpp"
#include "capture/strategies.hpp"
#include "capture/unbuffered_streambuf.hpp"
#include "posix/stop_shield.hpp"

namespace trap::detail {
namespace {

// Where this thread's innermost memory capture of fd 1 and fd 2 keeps its
// output: a string, appended to.
thread_local std::string* route[2] = {nullptr, nullptr};
// How many memory captures this thread has active, per stream.
thread_local int mine[2] = {0, 0};

int index_of(int fd) { return fd == 2 ? 1 : 0; }

// Its state is kept under the lock of its stream's buffer chain: one lock
// taken per begin and end, for both.
class Router final : public UnbufferedStreambuf {
 public:
  explicit Router(int fd) : fd_(fd), chain_(buffer_chain(fd)) {}

  // Makes the router live on its stream if it is not: a swap made after it
  // (a tempfile capture) took the stream over. Returns the chain slot, or
  // nullptr if the router was live already.
  std::streambuf** enter(std::ostream& os) {
    std::lock_guard lock(chain_.mutex());
    ++users_;
    if (os.rdbuf() == this) return nullptr;
    // What the replaced buffer holds goes where it was going.
    if (std::streambuf* b = os.rdbuf(); may_hold_output(b)) flush_buffer(os, b);
    if (spare_.empty()) spare_.push_back(std::make_unique<std::streambuf*>(nullptr));
    links_.push_back(std::move(spare_.back()));
    spare_.pop_back();
    std::streambuf** slot = links_.back().get();
    chain_.enter_locked(
        slot, static_cast<std::streambuf*>(this), [&] { return os.rdbuf(); },
        [&](std::streambuf* b) { swap_buffer(os, b); });
    return slot;
  }

  // Ends one capture. Its own link goes now if no other thread captures
  // (this keeps nesting with tempfile in order on one thread); otherwise
  // the router must stay live for them, and the link goes with the last.
  void leave(std::ostream& os, std::streambuf** slot, int still_mine) {
    std::lock_guard lock(chain_.mutex());
    --users_;
    const bool others = users_ > still_mine;
    auto set = [&](std::streambuf* b) { swap_buffer(os, b); };
    if (slot && !others) {
      chain_.leave_locked(slot, set);
      auto it = std::find_if(links_.begin(), links_.end(),
                             [&](const auto& p) { return p.get() == slot; });
      if (it != links_.end()) retire(it);
    }
    if (users_ == 0) {
      while (!links_.empty()) {
        chain_.leave_locked(links_.back().get(), set);
        retire(links_.end() - 1);
      }
    }
  }

 protected:
  // The shields come before the locks: a stop deferred while one is held
  // lands after it is released.
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    StopShield shield;  // a stop must not land halfway through a string's growth
    if (std::string* to = route[index_of(fd_)]) {
      to->append(s, static_cast<std::size_t>(n));
      return n;
    }
    std::lock_guard lock(chain_.mutex());
    std::streambuf* to = fallback_locked();
    return to ? to->sputn(s, n) : 0;
  }

  int sync() override {
    if (route[index_of(fd_)]) return 0;  // a string holds nothing back
    StopShield shield;
    std::lock_guard lock(chain_.mutex());
    std::streambuf* to = fallback_locked();
    return to ? to->pubsync() : 0;
  }

 private:
  // What the router replaced at its newest link, for threads that capture
  // nothing.
  std::streambuf* fallback_locked() { return links_.empty() ? nullptr : *links_.back().get(); }

  using Link = std::unique_ptr<std::streambuf*>;

  // Keeps a link that ended for the next capture: no allocation per trap.
  void retire(std::vector<Link>::iterator it) {
    try {
      spare_.push_back(std::move(*it));
    } catch (...) {
      // Out of memory: the link is freed instead (*it still owns it).
    }
    links_.erase(it);
  }

  const int fd_;
  SwapChain<std::streambuf*>& chain_;
  int users_ = 0;
  std::vector<Link> links_;
  std::vector<Link> spare_;  // links that ended, kept for reuse
};

Router& router(int fd) {
  // Never destroyed: used on exit paths. One guarded static for both.
  static Router* const routers[2] = {new Router(1), new Router(2)};
  return *routers[index_of(fd)];
}

class MemoryCapture final : public Capture {
 public:
  using Capture::Capture;

 protected:
  bool per_thread() const override { return true; }

 private:
  bool do_begin() override {
    os_ = &stream_for(fd(), "memory");
    if (!fd_open()) return false;
    const int i = index_of(fd());
    router_ = &router(fd());
    // The stream is touched under the router's lock only: another thread
    // may be making the router live on it.
    slot_ = router_->enter(*os_);
    outer_ = route[i];
    route[i] = &text_;
    ++mine[i];
    return true;
  }

  std::string do_end() override {
    const int i = index_of(fd());
    route[i] = outer_;
    --mine[i];
    router_->leave(*os_, slot_, mine[i]);
    return std::move(text_);
  }

  std::string text_;
  std::string* outer_ = nullptr;
  std::ostream* os_ = nullptr;
  Router* router_ = nullptr;
  std::streambuf** slot_ = nullptr;
};

}  // namespace

StrategyFn memory_strategy() { return strategy_of<MemoryCapture>(); }

}  // namespace trap::detail
