// SPDX-License-Identifier: BSL-1.0
// The JUnit XML report: one <testcase> per top-level result, counted as TAP
// counts them (a TODO failure is not a failure, a skip is <skipped>), and
// always well-formed whatever bytes the names and diagnostics hold.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <system_error>
#include <vector>

#include <trap/errors.hpp>
#include <trap/hub.hpp>
#include <trap/junit.hpp>

#include "report/hub_internals.hpp"
#include "report/hub_state.hpp"
#include "report/report_text.hpp"
#include "report/selection.hpp"

namespace trap {
namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  Event event;           // nesting 0, kind ok
  Clock::duration time;  // since the previous result (or the report's start)
};

struct Run {
  std::mutex mutex;
  Clock::time_point start = Clock::now();
  Clock::time_point last = start;
  std::time_t timestamp = std::time(nullptr);
  std::vector<Result> results;
  std::string path, suite;
  bool written = false;  // once written, a later result writes it again
  bool started = false;  // a first event came
};

// A text of a report is cut at 1 MiB (at a character's start), with a note
// of what was left out: libxml2 (xmllint, lxml, most CI servers) rejects a
// text or an attribute value past 10 MB unless told otherwise.
constexpr std::size_t kMaxText = 1 << 20;

std::string capped(std::string_view text, bool attribute = false) {
  if (text.size() <= kMaxText) return detail::xml_text(text, attribute);
  std::size_t cut = kMaxText;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return detail::xml_text(text.substr(0, cut), attribute) +
         detail::xml_text("\n[trap: " + std::to_string(text.size() - cut) + " more bytes of " +
                              std::to_string(text.size()) + " left out]\n",
                          attribute);
}

std::string attr(std::string_view text) { return capped(text, true); }

std::string seconds(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", std::chrono::duration<double>(d).count());
  return buf;
}

std::string iso8601(std::time_t t) {
  std::tm tm{};
  char buf[32];
  if (!::gmtime_r(&t, &tm) || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    return "1970-01-01T00:00:00";
  return buf;
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

bool failed(const Event& e) { return !e.pass && e.todo.empty(); }

// The diagnostics of @p e, then, for a subtest, each failing result inside
// it (its TAP line and its own diagnostics), deeper ones indented.
void explain(const Event& e, std::string& out, const std::string& pad) {
  for (auto& d : e.diagnostics) out += pad + d + "\n";
  for (auto& sub : e.subevents) {
    if (sub.kind != Event::Kind::ok || !failed(sub)) continue;
    out += pad + "not ok " + std::to_string(sub.number) +
           (sub.name.empty() ? "" : " - " + sub.name) + "\n";
    explain(sub, out, pad + "    ");
  }
}

std::string failure_message(const Event& e) {
  std::string failing;
  for (auto& sub : e.subevents)
    if (sub.kind == Event::Kind::ok && failed(sub))
      failing += (failing.empty() ? "" : ", ") +
                 (sub.name.empty() ? "test " + std::to_string(sub.number) : sub.name);
  const std::string name = e.name.empty() ? "Failed test" : e.name;
  return failing.empty() ? name : name + " (failed: " + failing + ")";
}

void write_case(std::ostream& out, const std::string& suite, const Result& r) {
  const Event& e = r.event;
  const std::string name = e.name.empty() ? "test " + std::to_string(e.number) : e.name;
  out << "    <testcase classname=\"" << attr(suite) << "\" name=\"" << attr(name) << "\" time=\""
      << seconds(r.time) << "\" file=\"" << attr(e.where.file_name()) << "\" line=\""
      << e.where.line() << "\"";
  std::string body;
  if (!e.skip.empty()) {
    body = "      <skipped message=\"" + attr(e.skip) + "\"/>\n";
  } else if (failed(e)) {
    std::string text;
    explain(e, text, "");
    body = "      <failure message=\"" + attr(failure_message(e)) + "\">" + capped(text) +
           "</failure>\n";
  } else if (!e.todo.empty()) {
    // TAP counts a TODO test as passing, failed or not: so does the report.
    std::string text = std::string(e.pass ? "TODO passed: " : "TODO failed: ") + e.todo + "\n";
    explain(e, text, "");
    body = "      <system-out>" + capped(text) + "</system-out>\n";
  }
  if (body.empty()) {
    out << "/>\n";
    return;
  }
  out << ">\n" << body << "    </testcase>\n";
}

void write_report(const std::string& path, const std::string& suite, const Run& run) {
  std::size_t failures = 0, skipped = 0;
  for (auto& r : run.results) {
    failures += failed(r.event);
    skipped += !r.event.skip.empty();
  }
  const std::string counts = "tests=\"" + std::to_string(run.results.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"0\" skipped=\"" +
                             std::to_string(skipped) + "\" time=\"" +
                             seconds(Clock::now() - run.start) + "\"";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    throw std::system_error(errno, std::generic_category(),
                            "cannot write the JUnit report to \"" + path + "\"");
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites " << counts << ">\n"
      << "  <testsuite name=\"" << attr(suite) << "\" " << counts << " timestamp=\""
      << iso8601(run.timestamp) << "\" hostname=\"" << attr(hostname()) << "\">\n";
  for (auto& r : run.results) write_case(out, suite, r);
  out << "  </testsuite>\n</testsuites>\n";
  out.flush();
  if (!out)
    throw std::system_error(errno, std::generic_category(),
                            "cannot write the JUnit report to \"" + path + "\"");
}

// A report not written makes the program fail (status 255).
void write_or_lose(const Run& run) {
  try {
    write_report(run.path, run.suite, run);
  } catch (...) {
    detail::mark_report_lost();
    throw;  // said on stderr as the hub's error
  }
}

// Until testing ends, the report says that the program did not end: a
// program that crashes, is killed or calls _exit() leaves a failure there,
// not a report of an earlier run. A file that cannot be written now is
// said when testing ends.
void write_unfinished_report(const std::string& path, const std::string& suite) {
  Run unfinished;
  Event e;
  e.pass = false;
  e.name = "the test program did not end";
  e.diagnostics = {
      "It ended before its report was written: it crashed, was killed, or called _exit()."};
  unfinished.results.push_back({std::move(e), Clock::duration{}});
  try {
    write_report(path, suite, unfinished);
  } catch (...) {
  }
}

// XML_OUTPUT_FILE's report, at the first event of the run: the report that
// says the program did not end, as junit_report() writes it, unless a host
// framework reports instead (which is known by then, not when the root hub
// is made).
void start_standalone(Hub& hub, Run& run) {
  if (run.started || run.written) return;
  run.started = true;
  if (detail::HubInternals::owned_here(hub) && !detail::HubInternals::host_framework(hub))
    write_unfinished_report(run.path, run.suite);
}

// Listens to @p hub; writes the report when testing ends, unless
// @p standalone_only and a host framework's formatter reports then.
HubHandle listen_and_report(Hub& hub, std::string path, std::string suite, bool standalone_only) {
  auto run = std::make_shared<Run>();
  // Where the program is now: a test that changes directory (into a temp
  // dir) must not leave the report there, and an old one where CI reads it.
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  run->path = ec ? std::move(path) : absolute.string();
  run->suite = std::move(suite);
  HubHandle handle = hub.listen([run, standalone_only](Hub& h, const Event& e, std::size_t) {
    if (e.nesting != 0) return;
    std::lock_guard lock(run->mutex);
    if (standalone_only) start_standalone(h, *run);
    if (e.kind != Event::Kind::ok && e.kind != Event::Kind::bail) return;
    const auto now = Clock::now();
    run->results.push_back({e, now - run->last});
    if (e.kind == Event::Kind::bail) {  // the run gave up: a failure a reader sees
      Event& failure = run->results.back().event;
      failure.kind = Event::Kind::ok;
      failure.pass = false;
      failure.todo.clear();
      failure.skip.clear();
      failure.name = "Bail out! " + e.name;
    }
    run->last = now;
    // A result after testing ended (a test after done_testing()): the
    // report says it too, as TAP and the exit status do.
    if (run->written) write_or_lose(*run);
  });
  hub.follow_up([run, standalone_only](Hub& h) {
    if (standalone_only && detail::HubInternals::host_framework(h)) return;
    std::lock_guard lock(run->mutex);
    write_or_lose(*run);
    run->written = true;
  });
  return handle;
}

}  // namespace

HubHandle junit_report(Hub& hub, std::string path, std::string suite) {
  if (path.empty()) throw UsageError("junit_report(): no file name");
  write_unfinished_report(path, suite);
  return listen_and_report(hub, std::move(path), std::move(suite), false);
}

void detail::junit_report_standalone(Hub& hub, std::string path, std::string suite) {
  listen_and_report(hub, std::move(path), std::move(suite), true);
}

}  // namespace trap
