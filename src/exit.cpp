// In-process trapping of exit(), std::exit() and quick_exit(), and of
// _exit() and _Exit() in the child of a fork layer.
//
// trap defines `exit`, `quick_exit`, `_exit` and `_Exit` itself; the program's calls bind to
// these definitions ahead of the C library's. Called on a thread with a
// springing `exit` layer, in the process that sprang it, they record the code
// and jump back (siglongjmp) to that layer, as Perl's Test::Trap leaves the
// block with `last`. Elsewhere they run the C library's function.
//
// What a trapped exit skips, exactly as a real exit would: destructors of
// the objects on the stack between the trap and the exit() call (memory they
// own leaks, locks they hold stay held), and a `catch` block being executed
// is left without ending its exception. Unlike a real exit, atexit handlers,
// static destructors and the stdio flush at exit do not run, and the process
// goes on.
#include <dlfcn.h>
#include <stdlib.h>
#include <setjmp.h>
#include <unistd.h>

#include "exit.hpp"
#include "posix/fd.hpp"
#include "posix/process.hpp"
#include "state.hpp"


namespace trap::detail {
namespace {

thread_local ExitFrame* current_frame = nullptr;

using ExitFn = void (*)(int);

[[noreturn]] void call_real(const char* name, int code) {
  auto fn = reinterpret_cast<ExitFn>(::dlsym(RTLD_NEXT, name));
  if (fn) fn(code);
  posix::exit_now(code);
}

// Restores what the traps of this thread diverted, so that output after a
// real exit (TAP's plan, atexit handlers) goes where it belongs.
void restore_before_real_exit() noexcept {
  try {
    abandon_traps_above(0);
  } catch (...) {
  }
}

[[noreturn]] void leave(const char* name, int code) {
  // A vforked child (a launcher that failed to exec) shares our memory: it
  // may only end, at once.
  if (posix::in_vfork_child()) posix::exit_now(code);
  ExitFrame* frame = current_frame;
  if (frame && frame->pid == posix::self_pid()) {
    frame->code = code;
    abandon_traps_above(frame->depth);
    ::siglongjmp(frame->env, 1);
  }
  // A forked child's exit really exits the child, untouched.
  auto& active = active_traps();
  if (!frame && !active.empty() && active.front()->pid == posix::self_pid())
    restore_before_real_exit();
  call_real(name, code);
}

// _exit() skips exit layers: only a fork layer's child frame takes it.
[[noreturn]] void leave_now(int code) {
  for (ExitFrame* frame = current_frame; frame; frame = frame->prev) {
    if (frame->catches_underscore_exit && frame->pid == posix::self_pid()) {
      frame->code = code;
      current_frame = frame;
      abandon_traps_above(frame->depth);
      ::siglongjmp(frame->env, 1);
    }
  }
  posix::exit_now(code);
}

}  // namespace

ExitFrame* current_exit_frame() { return current_frame; }

void reset_exit_frame(ExitFrame* frame) { current_frame = frame; }

ExitFrame* push_exit_frame(ExitFrame& frame) {
  frame.prev = current_frame;
  frame.pid = posix::self_pid();
  frame.depth = active_traps().size();
  current_frame = &frame;
  return frame.prev;
}

void pop_exit_frame(ExitFrame& frame) { current_frame = frame.prev; }

}  // namespace trap::detail

namespace trap {

UnwindPoint::UnwindPoint()
    : depth_(detail::active_traps().size()), exit_target_(detail::current_exit_frame()) {}

void UnwindPoint::unwind() noexcept {
  try {
    detail::abandon_traps_above(depth_);
  } catch (...) {
  }
  detail::reset_exit_frame(static_cast<detail::ExitFrame*>(exit_target_));
}

}  // namespace trap

extern "C" {

void exit(int code) noexcept { trap::detail::leave("exit", code); }

void quick_exit(int code) noexcept { trap::detail::leave("quick_exit", code); }

void _exit(int code) { trap::detail::leave_now(code); }

void _Exit(int code) noexcept { trap::detail::leave_now(code); }

}
