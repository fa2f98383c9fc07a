// SPDX-License-Identifier: BSL-1.0
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
// own leaks, locks they hold stay held). A `catch` block being executed is
// ended (std::current_exception() is null after the jump), and the signal
// mask is the exit layer's again (exit() from a signal handler leaves that
// signal unblocked). Unlike a real exit, atexit handlers,
// static destructors and the stdio flush at exit do not run, and the process
// goes on.
#include "isolation/exit.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <setjmp.h>
#include <stdlib.h>
#include <unistd.h>

#include <trap/builder.hpp>

#include "engine/state.hpp"
#include "isolation/fork.hpp"
#include "posix/child_path.hpp"
#include "posix/children.hpp"
#include "posix/fd.hpp"
#include "report/hub_internals.hpp"

namespace trap::detail {
namespace {

thread_local ExitFrame* current_frame = nullptr;

// The Itanium C++ ABI's per-thread exception globals (what
// abi::__cxa_get_globals() returns, opaque in <cxxabi.h>).
struct EhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};

// They stay at one address all the thread's life, and in a child it forks
// (where it goes on): kept, so that a fork trap's child, which the parent
// asked first (fork.cpp), runs none of the ABI's code for them (three
// pages of code, each a page fault).
thread_local EhGlobals* this_thread_eh_globals = nullptr;

EhGlobals* eh_globals() noexcept {
  EhGlobals* g = this_thread_eh_globals;
  if (!g) g = this_thread_eh_globals = reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
  return g;
}

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
    HubInternals::abandon_scopes(frame->hub_scopes);
    end_catches_since(frame->caught, frame->uncaught);
    reset_shield(frame->shield);
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
      HubInternals::abandon_scopes(frame->hub_scopes);
      end_catches_since(frame->caught, frame->uncaught);
      reset_shield(frame->shield);
      ::siglongjmp(frame->env, 1);
    }
  }
  posix::exit_now(code);
}

}  // namespace

TRAP_CHILD_PATH void* caught_exception() noexcept { return eh_globals()->caught_exceptions; }

TRAP_CHILD_PATH unsigned int uncaught_count() noexcept { return eh_globals()->uncaught_exceptions; }

void end_catches_since(void* caught, unsigned int uncaught) noexcept {
  EhGlobals* g = eh_globals();
  // Each call ends one handler of the innermost caught exception (several
  // if it was caught again after a rethrow), then drops it.
  while (g->caught_exceptions && g->caught_exceptions != caught) abi::__cxa_end_catch();
  // The exceptions in flight past the jump were abandoned with their unwind.
  g->uncaught_exceptions = uncaught;
}

ExitFrame* current_exit_frame() { return current_frame; }

void reset_exit_frame(ExitFrame* frame) { current_frame = frame; }

TRAP_CHILD_PATH ExitFrame* push_exit_frame(ExitFrame& frame) {
  frame.prev = current_frame;
  frame.pid = posix::self_pid();
  frame.depth = active_traps().size();
  frame.shield = shield_state();
  frame.caught = caught_exception();
  frame.uncaught = uncaught_count();
  frame.hub_scopes = HubInternals::scope_depth();
  current_frame = &frame;
  return frame.prev;
}

TRAP_CHILD_PATH void pop_exit_frame(ExitFrame& frame) { current_frame = frame.prev; }

namespace {

TRAP_CHILD_PATH void exit_layer(Trap& self, std::string_view) {
  ExitFrame frame;
  push_exit_frame(frame);
  if (sigsetjmp(frame.env, 1) == 0) {  // 1: exit() from a signal handler
    try {
      self.next();
    } catch (...) {
      pop_exit_frame(frame);
      throw;
    }
  } else {
    self.set("exit", Value(frame.code));
    self.set_leaveby("exit");
  }
  pop_exit_frame(frame);
}

}  // namespace

void register_isolation_layers(Trapper& t) {
  Builder::instance().layer(t, "exit", exit_layer, no_layer_argument("exit"));
  register_fork_layer(t);
  register_timeout_layer(t);
}

}  // namespace trap::detail

namespace trap {

UnwindPoint::UnwindPoint()
    : depth_(detail::active_traps().size()),
      exit_target_(detail::current_exit_frame()),
      shield_depth_(detail::shield_state().depth),
      shield_blocked_(detail::shield_state().blocked),
      caught_(detail::caught_exception()),
      uncaught_(detail::uncaught_count()),
      hub_scopes_(detail::HubInternals::scope_depth()) {}

void UnwindPoint::unwind() noexcept {
  detail::reset_shield({shield_depth_, shield_blocked_});
  detail::end_catches_since(caught_, uncaught_);
  try {
    detail::abandon_traps_above(depth_);
  } catch (...) {
  }
  detail::HubInternals::abandon_scopes(hub_scopes_);
  detail::reset_exit_frame(static_cast<detail::ExitFrame*>(exit_target_));
}

}  // namespace trap

extern "C" {

void exit(int code) noexcept { trap::detail::leave("exit", code); }

void quick_exit(int code) noexcept { trap::detail::leave("quick_exit", code); }

void _exit(int code) { trap::detail::leave_now(code); }

void _Exit(int code) noexcept { trap::detail::leave_now(code); }
}
