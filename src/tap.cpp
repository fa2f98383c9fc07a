// The TAP formatter. Lines go to the original stdout and stderr even while a
// capture diverts descriptors 1 and 2, so a test's own report is never
// trapped.
#include <cstdio>
#include <iostream>
#include <string>

#include <trap/detail/original_stream.hpp>
#include <trap/hub.hpp>

#include "capture.hpp"
#include "posix/fd.hpp"

namespace trap {
namespace {

void put(int fd, const std::string& text) { detail::write_original(fd, text); }

// "# " before every line, as Test::More's diag does.
std::string commented(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    out += line.empty() ? "#\n" : "# " + line + "\n";
    if (nl == std::string::npos || nl + 1 == text.size()) break;
    start = nl + 1;
  }
  return out;
}

std::string escaped_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '#') out += "\\#";
    else if (c == '\n') out += "\n# ";
    else out += c;
  }
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
  void write(const Event& e) override {
    const std::size_t n = e.nesting;
    switch (e.kind) {
      case Event::Kind::ok: return write_ok(e);
      case Event::Kind::diag: return put(2, indented(commented(e.name), n));
      case Event::Kind::note: return put(1, indented(commented(e.name), n));
      case Event::Kind::plan:
        if (n == 0) planned_ = true;
        return put(1, indented("1.." + std::to_string(e.count) +
                                   (e.name.empty() ? "" : " # " + e.name) + "\n",
                               n));
      case Event::Kind::bail: return put(1, indented("Bail out!  " + e.name + "\n", n));
    }
  }

  void finish(const Hub& hub) override {
    if (!planned_ && hub.count() > 0) put(1, "1.." + std::to_string(hub.count()) + "\n");
    if (hub.failed() > 0)
      put(2, "# Looks like you failed " + std::to_string(hub.failed()) + " test" +
                 (hub.failed() == 1 ? "" : "s") + " of " + std::to_string(hub.count()) + ".\n");
  }

 private:
  void write_ok(const Event& e) {
    std::string line = e.pass ? "ok " : "not ok ";
    line += std::to_string(e.number);
    if (!e.name.empty()) line += " - " + escaped_name(e.name);
    if (!e.skip.empty()) line += " # skip " + e.skip;
    if (!e.todo.empty()) line += " # TODO " + e.todo;
    put(1, indented(line + "\n", e.nesting));
    if (e.pass) return;
    // As Test::More: a TODO failure is explained on stdout, not stderr.
    const std::string failed = e.todo.empty() ? "Failed test" : "Failed (TODO) test";
    std::string d;
    std::string at = std::string("at ") + e.where.file_name() + " line " +
                     std::to_string(e.where.line()) + ".";
    if (e.name.empty())
      d = "#   " + failed + " " + at + "\n";
    else
      d = "#   " + failed + " '" + e.name + "'\n#   " + at + "\n";
    for (auto& line : e.diagnostics) d += commented(line);
    put(e.todo.empty() ? 2 : 1, indented(d, e.nesting));
  }

  bool planned_ = false;
};

}  // namespace

std::unique_ptr<Formatter> make_tap_formatter() { return std::make_unique<TapFormatter>(); }

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
