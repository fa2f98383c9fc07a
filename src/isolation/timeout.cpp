// SPDX-License-Identifier: BSL-1.0
// The timeout(ms) layer, written as a user's layer would be: with nothing
// but trap's public Builder API (trap/trap.hpp) and POSIX.
//
// With a fork layer (or trap::run) below it, the deadline is handed down
// (trap/detail/timeout_deadline.hpp): the layer that keeps it stops the
// code (the fork layer's parent kills the child) and says whether the
// deadline passed.
//
// Without one, the code is stopped on its own thread, the technique of
// Boost.Test's execution_monitor: a POSIX timer sends the trapping thread a
// signal at the deadline (no helper thread), and the handler jumps
// (siglongjmp) back to this layer. What that leaves behind, as a real signal would: the
// destructors of everything on the stack between this layer and the point
// where the code was stopped do not run (memory they own leaks, locks they
// hold stay held, files stay open). Code stopped inside malloc, stdio or
// any other lock holder can leave that lock held for ever: keep
// in-process timeouts for code that computes, sleeps or waits, and use
// `:fork:timeout(ms)` (fork below timeout) for anything else.
#include <setjmp.h>
#include <signal.h>
#include <time.h>

#include <any>
#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include <trap/builder.hpp>
#include <trap/detail/timeout_deadline.hpp>
#include <trap/trap.hpp>

#include "isolation/fork.hpp"  // only for the declaration of register_timeout_layer

namespace trap::detail {
namespace {

using Clock = std::chrono::steady_clock;

int stop_signal() { return SIGRTMIN + 3; }

// One armed in-process timeout on this thread; they nest.
struct Armed {
  sigjmp_buf env;
  DeadlineHandshake* state;  // not offered: a layer below keeps the deadline
  Armed* outer;
};

// The innermost armed timeout of this thread. Touched by its thread before
// any signal can come.
thread_local Armed* volatile innermost = nullptr;

void on_stop_signal(int, siginfo_t* info, void*) {
  auto* fired = static_cast<Armed*>(info->si_value.sival_ptr);
  // Only a timeout still armed on this thread, and not one a fork layer
  // keeps; a late signal of a finished one finds nothing.
  for (Armed* a = innermost; a; a = a->outer) {
    if (a != fired) continue;
    if (a->state->get() != DeadlineState::offered) return;
    innermost = a->outer;
    siglongjmp(a->env, 1);
  }
}

void install_handler_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa = {};
    sa.sa_sigaction = on_stop_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(stop_signal(), &sa, nullptr);
  });
}

int parse_millis(std::string_view arg) {
  long long ms = 0;
  auto r = std::from_chars(arg.data(), arg.data() + arg.size(), ms);
  if (arg.empty() || r.ec != std::errc() || r.ptr != arg.data() + arg.size() || ms <= 0 ||
      ms > 86'400'000)
    throw UsageError(
        "timeout: the limit must be a whole number of milliseconds from 1 to "
        "86400000, not \"" +
        std::string(arg) + "\"");
  return static_cast<int>(ms);
}

// A one-shot timer that signals this thread at the deadline.
class Alarm {
 public:
  Alarm(std::chrono::milliseconds after, Armed* armed) : armed_(armed) {
    struct sigevent ev = {};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = stop_signal();
    ev.sigev_value.sival_ptr = armed;
    ev._sigev_un._tid = ::gettid();
    if (::timer_create(CLOCK_MONOTONIC, &ev, &timer_) != 0)
      throw std::system_error(errno, std::generic_category(), "timer_create");
    struct itimerspec when = {};
    when.it_value.tv_sec = after.count() / 1000;
    when.it_value.tv_nsec = (after.count() % 1000) * 1'000'000;
    if (::timer_settime(timer_, 0, &when, nullptr) != 0) {
      int err = errno;
      ::timer_delete(timer_);
      throw std::system_error(err, std::generic_category(), "timer_settime");
    }
    live_ = true;
  }
  ~Alarm() { cancel(); }
  Alarm(const Alarm&) = delete;
  Alarm& operator=(const Alarm&) = delete;

  // Afterwards no signal of this alarm is on its way to this thread.
  // Returns whether the deadline had passed: if the code was not stopped,
  // the signal was blocked meanwhile (by the code, or by trap while it
  // tore down the layers below).
  bool cancel() noexcept {
    if (!live_) return false;
    // A one-shot timer that has gone off has nothing left to run.
    struct itimerspec left = {};
    const bool fired = ::timer_gettime(timer_, &left) == 0 && left.it_value.tv_sec == 0 &&
                       left.it_value.tv_nsec == 0;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, stop_signal());
    ::pthread_sigmask(SIG_BLOCK, &set, &old);
    ::timer_delete(timer_);
    live_ = false;
    // Take this alarm's signal if it is still pending (some kernels keep it
    // past timer_delete), so it cannot hit later code; an outer alarm's is
    // deferred, not late: it goes back.
    void* others[8];
    int n_others = 0;
    siginfo_t info;
    struct timespec zero = {0, 0};
    while (::sigtimedwait(&set, &info, &zero) > 0) {
      if (info.si_value.sival_ptr != armed_ && n_others < 8)
        others[n_others++] = info.si_value.sival_ptr;
    }
    for (int i = 0; i < n_others; ++i) {
      union sigval v;
      v.sival_ptr = others[i];
      ::pthread_sigqueue(::pthread_self(), stop_signal(), v);
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return fired;
  }

 private:
  timer_t timer_ = nullptr;
  bool live_ = false;  // (a timer's id may be 0: the first one a process makes)
  void* armed_;
};

void timeout_layer(Trap& self, std::string_view arg) {
  const int ms = parse_millis(arg);
  auto state = offer_timeout_deadline(self, Clock::now() + std::chrono::milliseconds(ms));
  install_handler_once();
  // Never delivered inside trap's own code (a lock held), only in the
  // code under test or between trap's critical sections.
  defer_stop_signal(stop_signal());
  sigset_t entry_mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &entry_mask);

  // Owned by a teardown: if an outer timeout jumps past this frame, the
  // timer still goes when the trap ends.
  auto armed = std::make_shared<Armed>();
  armed->state = state.get();
  armed->outer = innermost;
  std::shared_ptr<Alarm> alarm;
  try {
    alarm = std::make_shared<Alarm>(std::chrono::milliseconds(ms), armed.get());
  } catch (const std::system_error& e) {
    self.exception(std::string("timeout: ") + e.what());
  }
  self.teardown([alarm, armed] { alarm->cancel(); });
  UnwindPoint point;
  volatile bool stopped = false;
  if (sigsetjmp(armed->env, 1) == 0) {
    innermost = armed.get();
    try {
      self.next();
    } catch (...) {
      innermost = armed->outer;
      alarm->cancel();
      throw;
    }
    innermost = armed->outer;
    // The code ran past the deadline with the signal blocked: a timeout
    // too, and the mask is the one the code began with.
    if (alarm->cancel() && state->get() == DeadlineState::offered) {
      stopped = true;
      ::pthread_sigmask(SIG_SETMASK, &entry_mask, nullptr);
    }
  } else {
    alarm->cancel();
    point.unwind();
    stopped = true;
  }
  if (stopped || state->get() == DeadlineState::passed) {
    self.set("timeout", Value(true));  // r.test("timeout_is", true), as DESIGN.md shows
    self.set_leaveby("timeout");
  }
}

}  // namespace

void register_timeout_layer(Trapper& t) {
  auto& B = Builder::instance();
  B.layer(t, "timeout", timeout_layer, [](std::string_view arg) { (void)parse_millis(arg); });
  B.accessor(t, {.simple = {"timeout"}, .is_leaveby = true});
}

}  // namespace trap::detail
