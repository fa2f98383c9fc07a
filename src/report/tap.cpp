// SPDX-License-Identifier: BSL-1.0
// The TAP formatter. Lines go to the original stdout and stderr even while a
// capture diverts descriptors 1 and 2, so a test's own report is never
// trapped.
#include <atomic>
#include <cstdio>
#include <iostream>
#include <string>
#include <system_error>

#include <trap/detail/original_stream.hpp>
#include <trap/hub.hpp>

#include "capture/capture.hpp"
#include "posix/fd.hpp"
#include "report/diagnostics.hpp"
#include "report/hub_internals.hpp"
#include "report/hub_state.hpp"
#include "report/report_text.hpp"
#include "report/selection.hpp"

namespace trap {
namespace {

// Writes past the captures. A TAP stream that cannot be written (stdout
// closed, a full disk, a reader gone) is said once on stderr, and ends the
// program with status 255: a lost report is never a green run.
void put(int fd, const std::string& text) {
  const int err = detail::write_original(fd, text);
  static std::atomic<bool> said{false};
  if (err == 0 || fd != 1 || said.exchange(true)) return;
  detail::mark_report_lost();
  detail::report_run_error("cannot write the TAP report to stdout: " +
                           std::generic_category().message(err));
}

// The first line of a test's name on its test line, as Test2's TAP
// formatter writes it: "#" as "\#" (and then "\" as "\\") so the name can
// never start a directive.
std::string escaped_name(std::string_view first_line) {
  std::string out;
  const bool escape = first_line.find('#') != std::string_view::npos ||
                      (!first_line.empty() && first_line.back() == '\\');
  for (char c : first_line) {
    if (escape && (c == '#' || c == '\\')) out += '\\';
    out += c;
  }
  return detail::tap_visible(out);
}

// A test line with its directive (SKIP, TODO) on the first line, and what
// is left of a multi-line name or reason as "# " lines to follow it (after
// the YAML block in TAP 14), as Test2 writes a multi-line name: the test
// stays one test, and keeps its directive.
struct TestLine {
  std::string line, rest;
};
TestLine test_line(const Event& e) {
  TestLine t{e.pass ? "ok " : "not ok ", ""};
  t.line += std::to_string(e.number);
  auto first_and_rest = [&t](std::string_view text) {
    auto lines = detail::text_lines(text);
    for (std::size_t i = 1; i < lines.size(); ++i) t.rest += detail::tap_commented(lines[i]);
    return lines.front();
  };
  // As Test::Builder, a skipped subtest's line has only its skip reason.
  const bool skipped_subtest = !e.skip.empty() && !e.subevents.empty();
  if (!e.name.empty() && !skipped_subtest) t.line += " - " + escaped_name(first_and_rest(e.name));
  if (!e.skip.empty()) t.line += " # skip " + detail::tap_visible(first_and_rest(e.skip));
  if (!e.todo.empty()) t.line += " # TODO " + detail::tap_visible(first_and_rest(e.todo));
  t.line += "\n";
  return t;
}

// A line that carries text after a fixed start ("1..0 # ", "Bail out!  "):
// the text's first line there, the rest as "# " lines.
std::string line_with_text(const std::string& start, std::string_view text) {
  auto lines = detail::text_lines(text);
  std::string out = start + detail::tap_visible(lines.front()) + "\n";
  for (std::size_t i = 1; i < lines.size(); ++i) out += detail::tap_commented(lines[i]);
  return out;
}

// Four spaces per subtest level before every line, as TAP 14 nests.
std::string indented(const std::string& text, std::size_t nesting) {
  if (nesting == 0) return text;
  const std::string pad(4 * nesting, ' ');
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
    out += pad + text.substr(start, end - start);
    start = end;
  }
  return out;
}

class TapFormatter final : public Formatter {
 public:
  explicit TapFormatter(bool tap14) : tap14_(tap14) {}

  void write(const Event& e) override {
    const std::size_t n = e.nesting;
    if (tap14_ && !started_) {
      // TAP 14 documents may say "version 13", which every TAP 14 consumer
      // reads; Test::Harness 3.44 (prove on Debian 12) rejects "version 14".
      // The YAML blocks are version 13's; the subtests are 14's indented
      // form, which older consumers skip.
      started_ = true;
      put(1, "TAP version 13\n");
    }
    switch (e.kind) {
      case Event::Kind::ok:
        return write_ok(e);
      case Event::Kind::diag:
        return put(2, indented(detail::tap_commented(e.name), n));
      case Event::Kind::note:
        return put(1, indented(detail::tap_commented(e.name), n));
      case Event::Kind::plan:
        if (n == 0) planned_ = true;
        return put(1,
                   indented(e.name.empty()
                                ? "1.." + std::to_string(e.count) + "\n"
                                : line_with_text("1.." + std::to_string(e.count) + " # ", e.name),
                            n));
      case Event::Kind::bail:
        if (n == 0) bailed_ = true;
        return put(1, indented(line_with_text("Bail out!  ", e.name), n));
    }
  }

  void finish(const Hub& hub) override {
    if (bailed_) return;  // as Test::More: nothing after "Bail out!"
    // As Test::Builder: a program that exited with a status of its own
    // gets no plan and no summary, its ending says how it ended.
    if (detail::HubInternals::state(hub).program_status != 0) return;
    if (!planned_ && hub.count() > 0) put(1, "1.." + std::to_string(hub.count()) + "\n");
    for (auto& line : detail::looks_like(hub)) put(2, "# " + line + "\n");
  }

 private:
  void write_ok(const Event& e) {
    const TestLine t = test_line(e);
    put(1, indented(t.line, e.nesting));
    if (tap14_ && !e.pass) write_yaml(e);
    if (!t.rest.empty()) put(1, indented(t.rest, e.nesting));
    if (e.pass || tap14_) return;
    // As Test::More: a TODO failure is explained on stdout, not stderr.
    const std::string failed = e.todo.empty() ? "Failed test" : "Failed (TODO) test";
    const std::string at =
        std::string("at ") + e.where.file_name() + " line " + std::to_string(e.where.line()) + ".";
    std::string d = detail::tap_commented(
        e.name.empty() ? "  " + failed + " " + at : "  " + failed + " '" + e.name + "'\n  " + at);
    for (auto& line : e.diagnostics) d += detail::tap_commented(line);
    put(e.todo.empty() ? 2 : 1, indented(d, e.nesting));
  }

  // TAP 14: the failure's details as a YAML block under its test line.
  void write_yaml(const Event& e) {
    std::string y = "  ---\n";
    y += "  message:" + yaml_value(e.name.empty() ? "Failed test" : e.name, 4);
    y += std::string("  severity: ") + (e.todo.empty() ? "fail" : "todo") + "\n";
    y += "  at:\n";
    y += "    file:" + yaml_value(e.where.file_name(), 6);
    y += "    line: " + std::to_string(e.where.line()) + "\n";
    if (!e.diagnostics.empty()) {
      // One quoted scalar per line: valid YAML whatever the lines hold
      // (indentation, "#", ": ", binary), and read back by YAMLish too.
      y += "  diagnostics:\n";
      for (auto& d : e.diagnostics) y += "    -" + yaml_value(d, 6, true);
    }
    y += "  ...\n";
    put(1, indented(y, e.nesting));
  }

  // What follows "key:" or "-" for @p text: " SCALAR\n", or a text too long
  // for one line of YAMLish as a list of pieces, @p indent deep, that joined
  // give the text.
  static std::string yaml_value(std::string_view text, std::size_t indent, bool item = false) {
    auto pieces = detail::yaml_pieces(text);
    if (pieces.size() == 1) return " " + (item ? pieces.front() : detail::yaml_quoted(text)) + "\n";
    std::string out = "\n";
    for (auto& p : pieces) out += std::string(indent, ' ') + "- " + p + "\n";
    return out;
  }

  bool tap14_;
  bool started_ = false;
  bool planned_ = false;
  bool bailed_ = false;  // a top-level bail-out was written
};

}  // namespace

std::unique_ptr<Formatter> make_tap_formatter() { return std::make_unique<TapFormatter>(false); }

std::unique_ptr<Formatter> make_tap14_formatter() { return std::make_unique<TapFormatter>(true); }

namespace detail {
namespace {

// Buffers a line or so, then writes it past the captures.
class OriginalBuf final : public std::streambuf {
 public:
  explicit OriginalBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      const char ch = traits_type::to_char_type(c);
      xsputn(&ch, 1);
    } else {
      sync();
    }
    return traits_type::not_eof(c);
  }
  // Line buffered: a log line shows as soon as it is complete, even if the
  // framework never flushes at the end.
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) {
      if (pptr() == epptr()) sync();
      *pptr() = s[i];
      pbump(1);
      if (s[i] == '\n') sync();
    }
    return n;
  }
  int sync() override {
    if (pptr() != pbase()) write_original(fd_, std::string_view(pbase(), pptr() - pbase()));
    setp(buf_, buf_ + sizeof buf_);
    return 0;
  }

 private:
  int fd_;
  char buf_[4096];
};

}  // namespace

std::ostream& original_ostream(int fd) {
  // Never destroyed: test frameworks log until the very end.
  static auto* out = new std::ostream(new OriginalBuf(1));
  static auto* err = new std::ostream(new OriginalBuf(2));
  return fd == 2 ? *err : *out;
}

}  // namespace detail

}  // namespace trap
