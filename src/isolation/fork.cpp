// SPDX-License-Identifier: BSL-1.0
// The fork layer: the layers below it and the code run in a child process;
// the parent waits for it and rebuilds the trap from what the child sends.
//
// The child runs the rest of the stack as the parent would, then writes the
// whole state of the trap (fork_record.hpp) to a file the parent created,
// and ends with the _exit system call: no atexit handler, no stdio flush of
// buffers it inherited (the parent flushed them before forking). exit(),
// _exit() and quick_exit() in the child come back to this layer (exit.cpp).
// If the child dies by a signal, a handler copies what its file-backed
// captures hold so far into the same file before the signal takes effect.
// The child also hands the parent a copy of each capture file's descriptor
// as the capture begins: if it ends with no record at all (it called exec,
// and the program it became exited; or SIGKILL), the parent reads them.
//
// On the default path the child creates no file and allocates nothing:
// its first two in-memory captures write to files of the thread's fork kit
// (fork_kit.hpp), its capture objects and warn log come from its copy of
// the thread's block cache, and its record is built on its stack. Each
// file it made, each allocation, would be system calls and pages first
// touched (page faults) in every child.
//
// An outer timeout layer hands its deadline down (trap/detail/timeout_deadline.hpp):
// then this layer waits only until the deadline, asks the child to hand over
// its captures and die, and kills the child's process group.
#include "isolation/fork.hpp"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <any>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "capture/capture.hpp"
#include "engine/state.hpp"
#include "isolation/exit.hpp"
#include "isolation/fork_child.hpp"
#include "isolation/fork_prep.hpp"
#include "isolation/fork_record.hpp"
#include "isolation/fork_replay.hpp"
#include "posix/child_path.hpp"
#include "posix/children.hpp"
#include "posix/fd.hpp"
#include "posix/fork_safe_mutex.hpp"
#include "posix/stop_shield.hpp"
#include "report/hub_internals.hpp"

namespace trap::detail {
namespace {

using Clock = std::chrono::steady_clock;

// ------------------------------------------------ rescue of a dying child

struct SalvageSlot {
  std::atomic<bool> used{false};
  const void* owner = nullptr;
  char name[48] = {};
  int fd = -1;
  off_t offset = 0;
};

constexpr int kSlots = 32;

// Set in a child; read by the signal handler.
struct ChildContext {
  volatile sig_atomic_t active = 0;
  const void* owner = nullptr;
  int result_fd = -1;
  int handover_fd = -1;  // to hand the parent the capture files (see ChildSalvage)
};

// The slots and the context are written by every child: on the page its
// fork handler writes anyway (posix::child_page_storage()), not on a page
// of their own (each page a child first writes is a page fault). Made on
// first use (a trap in another file's static initialiser may come first),
// and when the program starts.
struct ChildState {
  ChildContext context;
  SalvageSlot slots[kSlots];
};
TRAP_CHILD_PATH ChildState& child_state() {
  static ChildState& s = *new (posix::child_page_storage(sizeof(ChildState))) ChildState;
  return s;
}
[[maybe_unused]] ChildState& child_state_at_start = child_state();

// What a child's captures announce (capture/salvage.hpp): fills the slots
// its signal handler copies from. Installed as the child starts.
class ChildSalvage final : public CaptureSalvage {
 public:
  int keep(const Trap& owner, std::string_view accessor, int fd, off_t offset) noexcept override;
  void forget(int slot) noexcept override;
} child_salvage;

constexpr int kFatalSignals[] = {SIGABRT, SIGSEGV, SIGBUS,  SIGFPE,  SIGILL, SIGTRAP,
                                 SIGSYS,  SIGTERM, SIGINT,  SIGQUIT, SIGHUP, SIGPIPE,
                                 SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ};

void flush_if_free(FILE* f) {
  // Not async-signal-safe in general; safe when the stream's lock is free,
  // which is what a crash outside stdio leaves.
  if (f && ::ftrylockfile(f) == 0) {
    ::fflush_unlocked(f);
    ::funlockfile(f);
  }
}

void rescue_and_die(int sig) {
  static std::atomic<bool> rescued{false};
  ChildState& state = child_state();
  const ChildContext& child = state.context;
  if (child.active && !rescued.exchange(true)) {
    int saved_errno = errno;
    flush_if_free(stdout);
    flush_if_free(stderr);
    for (int i = 0; i < kSlots; ++i) {
      const SalvageSlot& s = state.slots[i];
      if (!s.used.load() || s.owner != child.owner) continue;
      posix::copy_region_signal_safe(s.fd, s.offset, child.result_fd, kSalvageHeader, s.name);
    }
    errno = saved_errno;
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);  // SA_NODEFER: takes effect now, with its own status
}

// Returns the signal mask it leaves (one system call both unblocks the
// fatal signals and tells what else is blocked).
sigset_t install_rescue() {
  alignas(16) static char altstack[64 * 1024];  // for a stack overflow
  stack_t ss = {};
  ss.ss_sp = altstack;
  ss.ss_size = sizeof altstack;
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa = {};
  sa.sa_handler = rescue_and_die;
  sa.sa_flags = SA_ONSTACK | SA_NODEFER | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  // Replaces handlers inherited from the parent (a test framework's, which
  // would carry on running the framework in the child); keeps ignored ones.
  auto install = [&](int sig) {
    struct sigaction old = {};
    ::sigaction(sig, &sa, &old);
    if (old.sa_handler == SIG_IGN) ::sigaction(sig, &old, nullptr);
  };
  for (int sig : kFatalSignals) install(sig);
  // trap's own: the parent's only way to have the captures handed over at
  // a deadline, whatever the program did with it before the trap.
  ::sigaction(rescue_signal(), &sa, nullptr);
  sigset_t fatal;
  sigemptyset(&fatal);
  for (int sig : kFatalSignals) sigaddset(&fatal, sig);
  sigaddset(&fatal, rescue_signal());
  sigset_t mask;
  sigemptyset(&mask);
  ::sigprocmask(SIG_UNBLOCK, &fatal, &mask);
  for (int sig : kFatalSignals) sigdelset(&mask, sig);
  sigdelset(&mask, rescue_signal());
  return mask;
}

// ------------------------------------------------------------ the child

// The stack room a child builds its record in: a bigger one takes the
// rest from the heap.
constexpr std::size_t kRecordRoom = 2048;

// The record could not be written whole: in its place, a short one that
// says why (the parent then throws it); if even that fails, an exit status
// the parent reports.
[[noreturn]] void send_failure(int result_fd, const std::string& why) noexcept {
  try {
    ForkResult failed;
    failed.exceptions.push_back("fork layer: the child process could not send its results: " + why);
    std::string record = encode_fork_result(failed);
    posix::truncate_rewind(result_fd);
    posix::write_all(result_fd, record.data(), record.size());
  } catch (...) {
    const ChildContext& child = child_state().context;
    if (child.handover_fd >= 0) posix::hand_over(child.handover_fd, -1, kRecordFailedLabel);
    posix::exit_now(kRecordFailed);
  }
  posix::exit_now(0);
}

// Writes the record of the trap @p st to @p result_fd, with the exceptions
// from the @p exceptions_before-th on. Straight from the trap's state, on
// this stack: no allocation, and no heap page written (each would be a
// copy-on-write fault) or reserved by the parent (where it shifts what the
// parent writes after a fork). Not inlined: its room is taken once the
// code has run, from stack pages the code used, not below the code's own
// frames for the whole run (a page deeper, a page fault more).
[[gnu::noinline]] TRAP_CHILD_PATH void write_record(const TrapState& st,
                                                    std::size_t exceptions_before, int result_fd) {
  try {
    alignas(std::max_align_t) char room[kRecordRoom];
    StringRoom arena{room, sizeof room};
    RoomString buf{RoomAllocator<char>(&arena)};
    buf.reserve(kRecordRoom - 1);
    const std::size_t first = std::min(exceptions_before, st.exceptions.size());
    std::string_view record = encode_fork_state(buf, st.leaveby, st.die_type,
                                                std::span(st.exceptions).subspan(first), st.values);
    posix::write_all(result_fd, record.data(), record.size());
  } catch (const std::exception& e) {
    send_failure(result_fd, e.what());
  }
}

}  // namespace

TRAP_CHILD_PATH void run_child(Trap& self, int result_fd, std::size_t teardowns_before,
                               int handover_fd) {
  auto* st = Registry::state(self);
  posix::own_process_group();
  posix::no_core_files();
  forget_capture_pool();
  const std::size_t exceptions_before = st->exceptions.size();
  ChildContext& child = child_state().context;
  child.owner = st;
  child.result_fd = result_fd;
  child.handover_fd = handover_fd;
  child.active = 1;
  set_capture_salvage(&child_salvage);
  const sigset_t mask = install_rescue();
  ExitFrame frame;
  frame.catches_underscore_exit = true;
  push_exit_frame(frame);
  // The mask is known: not saved by sigsetjmp (a system call), but set
  // again when an exit() comes back here (from a signal handler, say).
  if (sigsetjmp(frame.env, 0) == 0) {
    try {
      self.next();
    } catch (const InternalException&) {
    } catch (...) {
      st->exceptions.push_back(
          "fork layer: an exception escaped the child process (no die layer below fork): " +
          current_exception_type() + ": " + current_exception_message());
    }
  } else {
    ::sigprocmask(SIG_SETMASK, &mask, nullptr);
    self.set("exit", Value(frame.code));
    self.set_leaveby("exit");
  }
  pop_exit_frame(frame);
  run_teardowns(self, teardowns_before);
  flush_streams(1);
  flush_streams(2);
  child.active = 0;  // from here on the record says it all
  write_record(*st, exceptions_before, result_fd);
  posix::exit_now(0);
}

namespace {

// ------------------------------------------------------------ the parent

bool fork_disabled() {
  const char* v = std::getenv("TRAP_NO_FORK");
  return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace

ForkedChild& forked_child(Trap& self, bool pooled) {
  // Only the teardown holds it: an outer timeout's jump past the layer
  // leaves no reference behind on the stack.
  auto owned = std::make_shared<ForkedChild>();
  ForkedChild& c = *owned;
  self.teardown([owned] { owned->release(); });
  try {
    if (pooled) {
      ForkKit kit = take_fork_kit();
      c.result = std::move(kit.result);
      c.handover = std::move(kit.handover);
      c.handover_child = std::move(kit.handover_child);
      for (int i = 0; i < 2; ++i) {
        c.capture[i] = std::move(kit.capture[i]);
        c.capture_offset[i] = kit.capture_offset[i];
      }
      c.pooled = true;
      return c;
    }
    c.result = posix::memfd("trap-fork");
    if (!c.result) c.result = posix::temp_file(temp_dir());
  } catch (const std::exception& e) {
    self.exception(std::string("fork layer: ") + e.what());
  }
  return c;
}

namespace {

// ---------------------------------------------------------------- fork

void fork_layer(Trap& self, std::string_view style) {
  if (style == "exec") {
    if (fork_disabled())
      self.next();
    else
      fork_exec_layer(self);
    return;
  }
  // Any other style was refused when the spec was read (check_fork_style).
  if (fork_disabled()) {
    self.next();
    return;
  }
  fork_plain(self, true);
}

}  // namespace

TRAP_CHILD_PATH void fork_plain(Trap& self, bool warn) {
  prepare_thread_for_fork_traps(self, warn);
  flush_streams(1);
  flush_streams(2);
  ForkedChild& c = forked_child(self, true);
  auto deadline = claim_timeout_deadline(self);
  const std::size_t teardowns_before = Registry::state(self)->teardowns.size();
  const pid_t parent = ::getpid();
  pid_t pid = -1;
  try {
    if (!c.handover) std::tie(c.handover, c.handover_child) = posix::handover_socket();
    pid = posix::fork();
  } catch (const std::exception& e) {
    if (deadline) deadline->state->give_back();
    self.exception(std::string("fork layer: ") + e.what());
  }
  if (pid == 0) {
    // Not one moment without a parent, even if a timeout kills this one.
    if (!posix::die_with_parent(parent)) posix::exit_now(kOrphaned);
    offer_capture_files({c.capture[0].get(), c.capture[1].get()}, c.capture_offset);
    run_child(self, c.result.get(), teardowns_before, c.handover_child.get());
  }
  c.pid = pid;
  // Only a wait with a deadline polls the pidfd; without one, waitpid.
  if (deadline) c.exited = posix::pidfd(pid);
  if (!c.pooled) c.handover_child.reset();
  posix::set_process_group(pid);
  finish_in_parent(self, c, deadline, false);
}

namespace {

TRAP_CHILD_PATH int ChildSalvage::keep(const Trap& owner, std::string_view accessor, int fd,
                                       off_t offset) noexcept {
  ChildState& state = child_state();
  const ChildContext& child = state.context;
  if (!child.active) return -1;
  for (int i = 0; i < kSlots; ++i) {
    auto& s = state.slots[i];
    if (s.used.load()) continue;
    s.owner = Registry::state(owner);
    std::size_t n = std::min(accessor.size(), sizeof s.name - 1);
    std::memcpy(s.name, accessor.data(), n);
    s.name[n] = '\0';
    s.fd = fd;
    s.offset = offset;
    s.used.store(true);
    // A copy for the parent, which reads it if the child execs another
    // program (which writes on into it) or is killed before it can rescue.
    if (child.handover_fd >= 0 && s.owner == child.owner && fd >= 0) {
      // to_chars, not snprintf: the child runs no more of libc than it must
      // (each page of code it runs first is a page fault).
      char label[sizeof s.name + 24];
      char* end = label + n;
      std::memcpy(label, s.name, n);
      *end++ = ' ';
      end = std::to_chars(end, label + sizeof label - 1, static_cast<long long>(offset)).ptr;
      *end = '\0';
      posix::hand_over(child.handover_fd, fd, label);
    }
    return i;
  }
  return -1;
}

TRAP_CHILD_PATH void ChildSalvage::forget(int slot) noexcept {
  if (slot >= 0 && slot < kSlots) child_state().slots[slot].used.store(false);
}

}  // namespace

void register_fork_layer(Trapper& t) {
  auto& B = Builder::instance();
  B.layer(t, "fork", fork_layer, [](std::string_view style) {
    if (!style.empty() && style != "exec")
      bad_layer_argument("fork", style, "no argument or \"exec\"");
  });
  B.accessor(t, {.simple = {"signal"}, .is_leaveby = true});
}

}  // namespace trap::detail
