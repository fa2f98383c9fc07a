// SPDX-License-Identifier: BSL-1.0
// The walk over every injection point of a scenario: run it once clean,
// counting how often it makes each call through the seam (posix/fd.hpp),
// then once for every (call, Nth use, fault), and check after each run that
// it ended well and left nothing behind.
#pragma once

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "posix/fd.hpp"
#include "support/test_support.hpp"

namespace fault_walk {

/// How a scenario ended: it worked, or an error (its message) stopped it.
struct Outcome {
  bool failed = false;
  std::string message;
};

/// The faults tried at each use of @p call: EINTR (must be retried),
/// EAGAIN, an error the call can really meet, and a short transfer where
/// the call moves bytes.
inline std::vector<int> faults_for(const std::string& call) {
  std::vector<int> errs{EINTR, EAGAIN};
  if (call == "write" || call == "open" || call == "mkstemp" || call == "ftruncate")
    errs.push_back(ENOSPC);
  else
    errs.push_back(EMFILE);
  if (call == "read" || call == "pread" || call == "write") errs.push_back(-1);
  return errs;
}

inline std::string fault_name(int err) { return err < 0 ? "short" : std::strerror(err); }

/// Whether a run whose fault fired may still end in success. Anything not
/// listed must end in an error that names the call: a fault that fired and
/// changed nothing means a failure went unseen (or the injector is broken).
///   - EINTR, and a short transfer (negative fault): retried or completed,
///     always (the walk demands success for these).
///   - EAGAIN: waited out where a non-blocking descriptor really says it
///     (posix/fd.hpp): write, read (a drained pipe), accept.
///   - @p retried: the run used the call more often than the clean run did,
///     i.e. tried again after the failure (a capture's restoring dup2 does).
///   - @p tolerated, "call errno-text" entries: the scenario's own
///     documented fallbacks (e.g. "write No space left on device" for tee's
///     best-effort copy to the original stream).
inline bool success_is_legitimate(const std::string& call, int fault, bool retried,
                                  const std::set<std::string>& tolerated) {
  if (fault == EINTR || fault < 0 || retried) return true;
  if (fault == EAGAIN && (call == "write" || call == "read" || call == "accept")) return true;
  return tolerated.count(call + " " + fault_name(fault)) > 0;
}

/// The word an error about @p call must contain.
inline std::string named(const std::string& call) { return call == "posix_spawn" ? "spawn" : call; }

/// What the walk covered.
struct Coverage {
  int points = 0;                     ///< (call, nth) pairs
  int runs = 0;                       ///< scenario runs with a fault
  int errors = 0;                     ///< runs that ended in an error
  std::map<std::string, int> counts;  ///< uses per call in the clean run
};

/// Walks every injection point of @p scenario whose call is in @p calls
/// (all when empty). After each run: the injected fault was hit (none is
/// left pending), an error names the call and the errno's text, an EINTR
/// or a short transfer is no error at all, any other fault ends in an
/// error unless success_is_legitimate() (given @p tolerated), fds 1 and 2 are
/// where they were, and once @p next (a clean scenario that checks its own
/// result) has run, no descriptor, temp file, thread or child process is
/// left over.
inline Coverage walk(const std::function<Outcome()>& scenario, const std::function<void()>& next,
                     const std::set<std::string>& calls = {},
                     const std::set<std::string>& tolerated = {}) {
  test_support::PrivateTmpdir tmp;
  next();  // pools and lazily made state exist from here on
  const auto out = test_support::identity(1), err = test_support::identity(2);
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  const int children = test_support::count_children();

  Coverage c;
  trap::posix::count_calls(true);
  Outcome clean = scenario();
  c.counts = trap::posix::call_counts();
  trap::posix::count_calls(false);
  BOOST_TEST_REQUIRE(!clean.failed, "the scenario works without faults: " << clean.message);

  for (const auto& [call, uses] : c.counts) {
    if (!calls.empty() && !calls.count(call)) continue;
    for (int nth = 1; nth <= uses; ++nth) {
      ++c.points;
      for (int fault : faults_for(call)) {
        ++c.runs;
        BOOST_TEST_CONTEXT(call << " #" << nth << " " << fault_name(fault)) {
          trap::posix::count_calls(true);
          trap::posix::inject_fault(call, nth, fault);
          Outcome o = scenario();
          const bool retried = trap::posix::call_counts()[call] > uses;
          trap::posix::count_calls(false);
          const int missed = trap::posix::pending_faults();
          trap::posix::inject_fault("", 0, 0);  // what was not reached
          // "<call> unreached" in @p tolerated: a call another thread makes
          // on its own time (the pipe drainer's tick and reads), whose count
          // a run may not reach; such a run says nothing about the fault.
          const bool reached = missed == 0;
          if (!tolerated.count(call + " unreached")) BOOST_TEST(reached, "the fault was hit");
          c.errors += o.failed;
          if (!reached) {
            BOOST_TEST(!o.failed, "no fault came, yet: " << o.message);
          } else if (fault == EINTR || fault < 0) {
            BOOST_TEST(!o.failed, "retried, not an error: " << o.message);
          } else if (!o.failed) {
            BOOST_TEST(success_is_legitimate(call, fault, retried, tolerated),
                       "a failed " << call << " went unseen: the scenario succeeded");
          } else {
            BOOST_TEST(o.message.find(named(call)) != std::string::npos,
                       "names the call: " << o.message);
            BOOST_TEST(o.message.find(std::strerror(fault)) != std::string::npos,
                       "gives the error: " << o.message);
          }
          BOOST_TEST((test_support::identity(1) == out));
          BOOST_TEST((test_support::identity(2) == err));
          next();
          BOOST_TEST(test_support::settled_fd_count(fds) == fds);
          // No more threads than before (a thread joined just before the
          // count may still be listed then: the count may be lower).
          BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
          BOOST_TEST(test_support::count_children() == children);
          BOOST_TEST(test_support::count_entries(tmp.path()) == 0);
        }
      }
    }
  }
  BOOST_TEST(c.points > 0, "the walk found no injection point to walk");
  return c;
}

/// "dup 2, dup2 4, ..." for a test's log.
inline std::string describe(const Coverage& c) {
  std::string s;
  for (const auto& [call, n] : c.counts)
    s += (s.empty() ? "" : ", ") + call + " " + std::to_string(n);
  return s + " (" + std::to_string(c.points) + " points, " + std::to_string(c.runs) + " runs, " +
         std::to_string(c.errors) + " ended in an error)";
}

}  // namespace fault_walk
