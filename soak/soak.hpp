// SPDX-License-Identifier: BSL-1.0
// The soak scenarios: long runs of one kind of trap or server, each checked
// item by item, after which the process must hold what it held before.
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace soak {

/// A scenario found something wrong: a lost byte, a wrong exit code, a
/// server that did not come up, a deadline passed.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// When a scenario must have finished. Loops call check() once per item, so
/// a scenario that slows to a crawl fails with how far it got; one that
/// hangs inside a single item is stopped by the watchdog in main.cpp.
class Deadline {
 public:
  explicit Deadline(std::chrono::steady_clock::duration limit)
      : limit_(limit), until_(std::chrono::steady_clock::now() + limit) {}
  /// @throws Failure once the deadline has passed, naming @p done of @p total.
  void check(long done, long total) const {
    if (std::chrono::steady_clock::now() > until_)
      throw Failure("deadline of " + std::to_string(seconds()) + " s passed after " +
                    std::to_string(done) + " of " + std::to_string(total));
  }
  /// The time left, at least zero.
  std::chrono::milliseconds left() const {
    auto d = until_ - std::chrono::steady_clock::now();
    if (d < d.zero()) return std::chrono::milliseconds(0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(d);
  }
  long seconds() const {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(limit_).count());
  }

 private:
  std::chrono::steady_clock::duration limit_;
  std::chrono::steady_clock::time_point until_;
};

/// One named scenario.
struct Scenario {
  std::string name;  ///< "strategy/pipe", "fork", "tcp_clients", ...
  std::string unit;  ///< what count counts: "traps", "lines", ...
  long count = 0;    ///< how many at --scale 1
  long warmup = 0;   ///< how many to run first (not scaled; at most the count)
  /// Expected cost of one item on a loaded two-core machine, generously;
  /// the deadline is a minute plus count times this.
  std::chrono::microseconds budget{0};
  /// Run with descriptors 1 and 2 on /dev/null (tee copies what it
  /// captures to them).
  bool quiet_stdio = false;
  /// Runs @p n items, checking each; @p of is the full run's count (the
  /// warm-up runs fewer items, shaped as the full run's). @throws Failure
  std::function<void(long n, long of, const Deadline&)> run;
};

/// strategy/<name> for each capture strategy, fork and run.
std::vector<Scenario> capture_scenarios();
/// tcp_clients and tcp_cycles.
std::vector<Scenario> tcp_scenarios();
/// http_clients and http_cycles (built where trap::http is: TRAP_SOAK_HTTP).
std::vector<Scenario> http_scenarios();
/// smtp_clients and smtp_cycles (built where trap::smtp is: TRAP_SOAK_SMTP).
std::vector<Scenario> smtp_scenarios();

/// @p s quoted for a message, cut after @p max bytes, with its length.
std::string quoted(const std::string& s, std::size_t max = 80);

}  // namespace soak
