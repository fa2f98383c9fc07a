// SPDX-License-Identifier: BSL-1.0
// trap_soak: runs the soak scenarios and prints one line per scenario with
// its figures; exits non-zero if any scenario failed a check.
//
// Usage: trap_soak [--scale X] [--repeat N] [--list] [scenario...]
//
// A scenario is named in full (strategy/pipe) or by its group (strategy).
// --scale multiplies every count; --repeat runs each scenario N times in a
// row (a leak that is not in the first run's figures shows in the next).
// Each runs a warm-up first (so that pools, caches and allocator arenas are
// filled), then its full count, and must then hold the same descriptors, no
// files in the private TMPDIR, no child process (live or zombie), no more
// threads, and resident memory at most 10% above what it had after the
// warm-up.
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "probe.hpp"
#include "soak.hpp"

namespace soak {

std::string quoted(const std::string& s, std::size_t max) {
  std::string q = "\"";
  for (char c : s.substr(0, max)) {
    if (c == '\n')
      q += "\\n";
    else if (c == '"' || c == '\\')
      q += std::string("\\") + c;
    else
      q += c;
  }
  q += s.size() > max ? "\"... (" + std::to_string(s.size()) + " bytes)" : "\"";
  return q;
}

namespace {

using Clock = std::chrono::steady_clock;

// The watchdog: a scenario still running a minute past its deadline is
// stuck inside one item (the loops' own checks did not get a turn); it is
// stopped with its name on the original stderr.
int g_diag_fd = 2;
char g_running[128] = "";

void on_watchdog(int) {
  const char* a = "soak: ";
  const char* b = ": still running a minute after its deadline, stopped\n";
  [[maybe_unused]] ssize_t w = ::write(g_diag_fd, a, std::strlen(a));
  w = ::write(g_diag_fd, g_running, std::strlen(g_running));
  w = ::write(g_diag_fd, b, std::strlen(b));
  ::_exit(3);
}

void arm_watchdog(const std::string& what, const Deadline& deadline) {
  std::snprintf(g_running, sizeof g_running, "%s", what.c_str());
  ::alarm(static_cast<unsigned>(deadline.seconds() + 60));
}

/// Descriptors 1 and 2 on /dev/null while it lives (tee copies every
/// captured byte to them); what was buffered is flushed first.
class QuietStdio {
 public:
  QuietStdio() {
    flush();
    saved_out_ = ::dup(1);
    saved_err_ = ::dup(2);
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_out_ < 0 || saved_err_ < 0 || null < 0 || ::dup2(null, 1) < 0 ||
        ::dup2(null, 2) < 0) {
      std::perror("soak: cannot point stdout and stderr at /dev/null");
      std::exit(2);
    }
    ::close(null);
  }
  ~QuietStdio() {
    flush();
    ::dup2(saved_out_, 1);
    ::dup2(saved_err_, 2);
    ::close(saved_out_);
    ::close(saved_err_);
  }
  QuietStdio(const QuietStdio&) = delete;
  QuietStdio& operator=(const QuietStdio&) = delete;

 private:
  static void flush() {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
  }
  int saved_out_ = -1, saved_err_ = -1;
};

struct Options {
  double scale = 1.0;
  long repeat = 1;
  bool list = false;
  std::vector<std::string> names;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "trap_soak: %s\nusage: trap_soak [--scale X] [--repeat N] [--list] [scenario...]\n",
               problem.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--list") {
      o.list = true;
    } else if (a == "--scale" || a.rfind("--scale=", 0) == 0) {
      std::string v = a == "--scale" ? (i + 1 < argc ? argv[++i] : "") : a.substr(8);
      char* end = nullptr;
      o.scale = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(o.scale > 0) || o.scale > 100)
        usage("--scale takes a number above 0 and at most 100, not \"" + v + "\"");
    } else if (a == "--repeat" || a.rfind("--repeat=", 0) == 0) {
      std::string v = a == "--repeat" ? (i + 1 < argc ? argv[++i] : "") : a.substr(9);
      char* end = nullptr;
      o.repeat = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || o.repeat < 1)
        usage("--repeat takes a count of at least 1, not \"" + v + "\"");
    } else if (a.rfind("-", 0) == 0) {
      usage("unknown option \"" + a + "\"");
    } else {
      o.names.push_back(a);
    }
  }
  return o;
}

bool selected(const Scenario& s, const std::vector<std::string>& names) {
  if (names.empty()) return true;
  for (auto& n : names)
    if (s.name == n || s.name.rfind(n + "/", 0) == 0) return true;
  return false;
}

/// Sets the soft descriptor limit to the hard one (tcp_clients holds 2,000
/// sockets) and says what it did.
void raise_descriptor_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    std::printf("# RLIMIT_NOFILE: cannot read it: %s\n", std::strerror(errno));
    return;
  }
  const auto soft = rl.rlim_cur;
  if (soft == rl.rlim_max) {
    std::printf("# RLIMIT_NOFILE: soft limit %llu, already the hard limit\n",
                static_cast<unsigned long long>(soft));
    return;
  }
  rl.rlim_cur = rl.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0)
    std::printf("# RLIMIT_NOFILE: cannot raise the soft limit %llu to the hard limit %llu: %s\n",
                static_cast<unsigned long long>(soft), static_cast<unsigned long long>(rl.rlim_max),
                std::strerror(errno));
  else
    std::printf("# RLIMIT_NOFILE: soft limit raised from %llu to the hard limit %llu\n",
                static_cast<unsigned long long>(soft),
                static_cast<unsigned long long>(rl.rlim_max));
}

long scaled(long n, double scale) {
  return std::max(1L, std::lround(static_cast<double>(n) * scale));
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

/// The checks of one scenario, "" when all hold, else what failed.
std::string failed_checks(const Snapshot& before, const Snapshot& after) {
  std::string f;
  auto add = [&](const std::string& s) { f += (f.empty() ? "" : ", ") + s; };
  if (after.fds != before.fds)
    add("fds " + std::to_string(before.fds) + "→" + std::to_string(after.fds));
  if (after.tmp != 0) add("tmp " + std::to_string(after.tmp) + " files left");
  if (after.children != 0) add("zombies " + std::to_string(after.children) + " children left");
  if (after.threads > before.threads)
    add("threads " + std::to_string(before.threads) + "→" + std::to_string(after.threads));
  if (after.rss_kib * 10 > before.rss_kib * 11)
    add("rss +" + fixed(100.0 * (after.rss_kib - before.rss_kib) / before.rss_kib, 1) +
        "% > 10% (malloc'ed and not freed: " + fixed(before.heap_mib, 1) + "→" +
        fixed(after.heap_mib, 1) + " MiB)");
  return f;
}

/// The scenario's line: `strategy/pipe  100000 traps  12.3 s  123.0 µs/trap
/// fds 7→7  tmp 0  zombies 0  threads 1→1  rss 9.8→10.1 MiB (+3.1%)  ok`.
void print_line(const Scenario& s, long count, double seconds, const Snapshot& before,
                const Snapshot& after, bool ok) {
  const std::string one = s.unit.substr(0, s.unit.size() - 1);  // "traps" -> "trap"
  const double growth =
      before.rss_kib ? 100.0 * (after.rss_kib - before.rss_kib) / before.rss_kib : 0;
  std::printf(
      "%-18s %8ld %-6s %7s s %9s µs/%-5s  fds %d→%d  tmp %d  zombies %d  threads %d→%d  "
      "rss %s→%s MiB (%s%s%%)  %s\n",
      s.name.c_str(), count, s.unit.c_str(), fixed(seconds, 1).c_str(),
      fixed(seconds * 1e6 / static_cast<double>(count), 1).c_str(), one.c_str(), before.fds,
      after.fds, after.tmp, after.children, before.threads, after.threads,
      fixed(before.rss_kib / 1024.0, 1).c_str(), fixed(after.rss_kib / 1024.0, 1).c_str(),
      growth >= 0 ? "+" : "", fixed(growth, 1).c_str(), ok ? "ok" : "FAILED");
}

/// Runs @p s and prints its line. @returns whether every check held.
bool run_one(const Scenario& s, double scale, const std::string& tmpdir) {
  const long count = scaled(s.count, scale);
  // The warm-up does not shrink with the scale (only to the count): a
  // smaller one leaves pools, arenas and the server's event log less filled
  // than the run will, and resident memory then grows.
  const long warmup = std::min(count, s.warmup);
  auto limit = [&](long n) {
    return Deadline(std::chrono::seconds(60) +
                    n * std::chrono::duration_cast<Clock::duration>(s.budget));
  };
  std::string error;
  bool warmed = false;
  Snapshot before, after;
  double seconds = 0;
  Clock::time_point t0{};
  {
    std::optional<QuietStdio> quiet;
    if (s.quiet_stdio) quiet.emplace();
    try {
      Deadline warm = limit(warmup);
      arm_watchdog(s.name + " (warm-up)", warm);
      s.run(warmup, count, warm);
      warmed = true;
      before = take_snapshot(tmpdir);
      Deadline deadline = limit(count);
      arm_watchdog(s.name, deadline);
      t0 = Clock::now();
      s.run(count, count, deadline);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (t0 != Clock::time_point{})
      seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    after = take_snapshot(tmpdir, before.threads);
    ::alarm(0);
  }
  if (!warmed) {
    std::printf("%-18s %8ld %-6s FAILED in the warm-up of %ld: %s\n", s.name.c_str(), count,
                s.unit.c_str(), warmup, error.c_str());
    std::fflush(stdout);
    return false;
  }
  std::string checks = failed_checks(before, after);
  const bool ok = error.empty() && checks.empty();
  print_line(s, count, seconds, before, after, ok);
  if (!error.empty()) std::printf("  %s: %s\n", s.name.c_str(), error.c_str());
  if (!checks.empty()) std::printf("  %s: %s\n", s.name.c_str(), checks.c_str());
  std::fflush(stdout);
  return ok;
}

/// A fresh TMPDIR for the whole run, so that leftover temp files can be
/// counted without seeing anyone else's.
std::string private_tmpdir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/trap-soak-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    std::perror(("trap_soak: mkdtemp " + templ).c_str());
    std::exit(2);
  }
  ::setenv("TMPDIR", templ.c_str(), 1);
  return templ;
}

}  // namespace
}  // namespace soak

int main(int argc, char** argv) {
  using namespace soak;
  Options o = parse(argc, argv);
  std::vector<Scenario> all = capture_scenarios();
  for (auto& s : tcp_scenarios()) all.push_back(std::move(s));
#ifdef TRAP_SOAK_HTTP
  for (auto& s : http_scenarios()) all.push_back(std::move(s));
#endif
#ifdef TRAP_SOAK_SMTP
  for (auto& s : smtp_scenarios()) all.push_back(std::move(s));
#endif
  if (o.list) {
    for (auto& s : all) std::printf("%s\t%ld %s\n", s.name.c_str(), s.count, s.unit.c_str());
    return 0;
  }
  for (auto& n : o.names) {
    bool known = false;
    for (auto& s : all) known = known || selected(s, {n});
    if (!known) usage("no scenario \"" + n + "\" (--list shows them)");
  }

  // One malloc arena for every thread: malloc_trim() gives back the free
  // memory of the main arena, top included, but not the top of a thread's
  // arena, which then keeps megabytes of free memory resident, more or less
  // from one run to the next (see take_snapshot()).
  ::mallopt(M_ARENA_MAX, 1);
  g_diag_fd = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
  std::signal(SIGALRM, on_watchdog);
  raise_descriptor_limit();
  const std::string tmpdir = private_tmpdir();
  std::printf("# TMPDIR %s, scale %g\n", tmpdir.c_str(), o.scale);
  std::fflush(stdout);

  auto t0 = std::chrono::steady_clock::now();
  int ran = 0, failed = 0;
  for (auto& s : all) {
    if (!selected(s, o.names)) continue;
    for (long k = 0; k < o.repeat; ++k) {
      ++ran;
      if (!run_one(s, o.scale, tmpdir)) ++failed;
    }
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (::rmdir(tmpdir.c_str()) != 0)
    std::printf("# %s left behind: %s\n", tmpdir.c_str(), std::strerror(errno));
  std::printf("# total %.1f s, %d scenarios, %s\n", total, ran,
              failed ? (std::to_string(failed) + " FAILED").c_str() : "all ok");
  return failed ? 1 : 0;
}
