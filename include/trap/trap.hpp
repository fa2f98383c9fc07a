// SPDX-License-Identifier: BSL-1.0
/// @file
/// The umbrella header of trap's core: trap::trap(), the trap object and its
/// test methods, trap::Value, the Test::More functions and trap::Event, the
/// registry for layer authors (trap::Builder, trap::Trapper, trap::Props,
/// `<trap/builder.hpp>`) and the trap::Hub with its formatters
/// (`<trap/hub.hpp>`). Kept light to compile: no `<sstream>`, `<regex>`,
/// `<algorithm>` or `<charconv>`.
///
/// @code
/// #include <trap/trap.hpp>
///
/// auto r = trap::trap([] { std::cerr << "Bad parameters; exiting\n"; std::exit(1); });
/// r.exit_is(1, "exits with 1");
/// r.stdout_is("");
/// r.stderr_like(R"(^Bad parameters; exiting\b)");
/// @endcode
#pragma once

#include <string_view>
#include <type_traits>

#include <trap/builder.hpp>
#include <trap/detail/fixed_string.hpp>
#include <trap/errors.hpp>
#include <trap/event.hpp>
#include <trap/hub.hpp>
#include <trap/more.hpp>
#include <trap/selection.hpp>
#include <trap/source_location.hpp>
#include <trap/trap_object.hpp>
#include <trap/value.hpp>
#include <trap/version.hpp>

namespace trap {

/// Runs @p fn inside a trap with the `default` layers (flow, stdout, stderr,
/// warn) and returns what it recorded. @p fn takes no argument or a Trap&.
/// @throws UsageError, TrapError only; everything @p fn does is trapped.
///
/// An exit(), std::exit() or quick_exit() called by @p fn on this thread
/// returns to the trap (leaveby "exit"). Like a real exit it skips the
/// destructors of the objects on the stack between the trap and the call;
/// unlike one, atexit handlers and static destructors do not run and the
/// program goes on. exit() on other threads or in forked children is real.
template <class F>
Trap trap(F&& fn) {
  return detail::spring_code(nullptr, std::string_view(), fn);
}

/// Runs @p fn inside a trap with the layers of @p spec pushed on top of
/// `default`, e.g. `":flow:stdout(pipe)"`.
/// @throws UsageError for a bad spec or an unknown layer or strategy.
template <class F>
Trap trap(std::string_view spec, F&& fn) {
  return detail::spring_code(nullptr, spec, fn);
}

namespace detail {
template <class F>
struct code_result {
  using type = std::invoke_result_t<F&>;
};
template <class F>
requires std::is_invocable_v<F&, Trap&>
struct code_result<F> {
  using type = std::invoke_result_t<F&, Trap&>;
};
}  // namespace detail

/// As trap(spec, fn) with the spec as a template argument; its syntax
/// is checked at compile time, and so are the arguments of the built-in
/// layers (`:die(x)`, `:fork(blah)` and `:timeout(soon)` do not compile) and
/// the return type of code under a `fork` layer (it needs a trap::codec to
/// come back from the child).
template <detail::FixedString Spec, class F>
Trap trap(F&& fn) {
  using R = typename detail::code_result<std::remove_cvref_t<F>>::type;
  static_assert(detail::spec_syntax_ok(Spec.view()));
  static_assert(detail::builtin_layer_arguments_ok(Spec.view()));
  static_assert(!detail::spec_names_layer(Spec.view(), "fork") || detail::transferable<R>,
                "trap: code trapped under a fork layer returns a type that cannot come back "
                "from the child process: specialise trap::codec<T> for it (static "
                "std::string encode(const T&); static T decode(std::string_view)), or return "
                "a built-in type");
  return detail::spring_code(nullptr, Spec.view(), fn);
}

/// The latest trap sprung on this thread (Perl's `$trap`); an empty trap if
/// none was.
Trap& last();

/// Warns: writes @p message to std::clog, where a `warn` layer traps it as one
/// element (and tees it to stderr). As Perl's `warn`, a message without a
/// trailing newline gets " at FILE line N.\n" appended.
void warn(std::string_view message, trap::source_location where = trap::source_location::current());

}  // namespace trap
