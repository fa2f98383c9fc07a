/// @file
/// Reports trap's test methods as GoogleTest assertions.
///
/// Include it in a GoogleTest program and link `trap::gtest`: every test
/// method (`r.stdout_is(...)`) becomes one GoogleTest assertion at the
/// caller's file and line (a non-fatal failure, like EXPECT_*), and a failure
/// carries trap's diagnostics. trap::diag() and trap::note() are printed as
/// `# ` lines past any capture.
/// @code
/// #include <gtest/gtest.h>
/// #include <trap/gtest.hpp>
///
/// TEST(Tool, ExitsOnBadArguments) {
///   auto r = trap::trap([] { std::exit(2); });
///   r.exit_is(2, "exit code");
/// }
/// @endcode
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include <trap/detail/original_stream.hpp>
#include <trap/trap.hpp>

namespace trap {

/// A Formatter that turns events into GoogleTest assertions.
class GTestFormatter final : public Formatter {
 public:
  /// Reports @p event to GoogleTest (results) or prints it (messages).
  void write(const Event& event) override {
    switch (event.kind) {
      case Event::Kind::ok:
      case Event::Kind::bail: {
        std::string message = event.name.empty() ? std::string("trap test") : event.name;
        if (event.kind == Event::Kind::bail) message = "Bail out! " + message;
        for (const auto& d : event.diagnostics) message += "\n" + d;
        const auto type = event.kind == Event::Kind::bail ? testing::TestPartResult::kFatalFailure
                          : event.pass || !event.todo.empty()  // TODO: expected to fail
                              ? testing::TestPartResult::kSuccess
                              : testing::TestPartResult::kNonFatalFailure;
        testing::internal::AssertHelper(type, event.where.file_name(),
                                        static_cast<int>(event.where.line()), message.c_str()) =
            testing::Message();
        return;
      }
      case Event::Kind::diag:
      case Event::Kind::note: {
        std::ostream& os = detail::original_ostream(event.kind == Event::Kind::diag ? 2 : 1);
        const std::string pad(4 * event.nesting, ' ');
        std::string::size_type start = 0;
        while (start <= event.name.size()) {
          auto nl = event.name.find('\n', start);
          os << pad << "# " << event.name.substr(start, nl - start) << '\n';
          if (nl == std::string::npos) break;
          start = nl + 1;
        }
        os.flush();
        return;
      }
      case Event::Kind::plan:
        return;
    }
  }
};

/// A new GTestFormatter.
inline std::unique_ptr<Formatter> make_gtest_formatter() {
  return std::make_unique<GTestFormatter>();
}

namespace detail {
/// Installs the GoogleTest formatter on the root hub when the program
/// starts, so including this header is all it takes.
inline const bool gtest_formatter_installed = (hub().format(make_gtest_formatter()), true);
}  // namespace detail

}  // namespace trap
