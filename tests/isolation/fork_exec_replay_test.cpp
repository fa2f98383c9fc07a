// SPDX-License-Identifier: BSL-1.0
// fork(exec) re-runs never run trapped code twice: the re-run for a test's
// Nth fork(exec) trap replays the results the earlier ones had in the
// parent, and gets the program's own arguments (ctest passes
// "-- --replay-test-argument" to this program).
#define BOOST_TEST_MODULE fork_exec_replay
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/process.hpp>
#include <trap/trap.hpp>

#include "isolation/fork_record.hpp"
#include "support/test_support.hpp"

namespace {

// A file that the first run of a test names and its re-runs find again
// (through the environment, which they inherit), removed at the end.
class SharedFile {
 public:
  explicit SharedFile(const char* variable) : variable_(variable) {
    if (const char* known = std::getenv(variable)) {
      path_ = known;  // a re-run
      return;
    }
    char templ[] = "/tmp/trap-replay-XXXXXX";
    int fd = ::mkstemp(templ);
    if (fd >= 0) ::close(fd);
    path_ = templ;
    owner_ = true;
    ::setenv(variable, path_.c_str(), 1);
  }
  ~SharedFile() {
    if (!owner_) return;
    ::unsetenv(variable_);
    ::unlink(path_.c_str());
  }
  SharedFile(const SharedFile&) = delete;
  SharedFile& operator=(const SharedFile&) = delete;

  void append(const std::string& text) const {
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("cannot append to " + path_);
    ::close(fd);
  }
  std::string text() const {
    int fd = ::open(path_.c_str(), O_RDONLY);
    std::string s = fd >= 0 ? test_support::slurp(fd) : "";
    if (fd >= 0) ::close(fd);
    return s;
  }

 private:
  const char* variable_;
  std::string path_;
  bool owner_ = false;
};

// A thread that holds `lock` from its start until let_go(): code that
// takes the lock after let_go() proceeds in the process the thread runs
// in, and hangs in a plain fork of it (the thread is not there to let go).
class LockHolder {
 public:
  std::mutex lock;

  LockHolder()
      : thread_([this] {
          std::unique_lock hold(lock);
          std::unique_lock g(m_);
          holding_ = true;
          cv_.notify_all();
          cv_.wait(g, [this] { return release_; });
        }) {
    std::unique_lock g(m_);
    cv_.wait(g, [this] { return holding_; });
  }
  ~LockHolder() {
    let_go();
    thread_.join();
  }
  void let_go() {
    {
      std::lock_guard g(m_);
      release_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool holding_ = false, release_ = false;
  std::thread thread_;
};

std::vector<std::string> program_arguments() {
  const auto& master = boost::unit_test::framework::master_test_suite();
  return std::vector<std::string>(master.argv + 1, master.argv + master.argc);
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_trapped_code_runs_once) {
  SharedFile log("TRAP_REPLAY_TEST_LOG");
  auto first = trap::trap<":fork(exec)">([&] { log.append("1"); });
  auto second = trap::trap<":fork(exec)">([&] { log.append("2"); });
  auto third = trap::trap<":fork(exec)">([&] {
    log.append("3");
    std::exit(3);
  });
  BOOST_TEST(first.leaveby() == "return");
  BOOST_TEST(second.leaveby() == "return");
  BOOST_TEST((third.exit_code() == 3));
  BOOST_TEST(log.text() == "123");
}

BOOST_AUTO_TEST_CASE(earlier_results_decide_the_path_as_in_the_first_run) {
  // Each run of the code returns a new pid: only a replay gives the
  // second trap the first one's value.
  auto first = trap::trap<":fork(exec)">([] { return static_cast<int>(::getpid()); });
  const int seen = first.return_value<int>();
  auto second = trap::trap<":fork(exec)">([seen] { return seen; });
  BOOST_TEST(second.return_value<int>() == seen);
  BOOST_TEST(seen != ::getpid());
}

BOOST_AUTO_TEST_CASE(every_outcome_is_replayed) {
  auto died = trap::trap<":fork(exec)">([] { throw std::runtime_error("first died"); });
  auto signalled = trap::trap<":fork(exec)">([] { std::abort(); });
  auto printed = trap::trap<":fork(exec)">([] {
    std::fputs("out", stdout);
    std::fputs("err", stderr);
    return std::string("value");
  });
  // The last trap returns what its re-run saw of the three before it.
  auto last = trap::trap<":fork(exec)">([&] {
    return died.leaveby() + "/" + died.die() + "/" + died.die_type() + " " + signalled.leaveby() +
           "/" + std::to_string(signalled.signal().value_or(0)) + " " +
           printed.return_value<std::string>() + "/" + printed.out() + "/" + printed.err();
  });
  const std::string expected =
      "die/first died/std::runtime_error signal/" + std::to_string(SIGABRT) + " value/out/err";
  BOOST_TEST(last.return_value<std::string>() == expected);
}

// A hang guard, not a timing claim: without replay the second re-run runs
// the first trap's code as a plain fork, where the lock is never let go.
BOOST_AUTO_TEST_CASE(a_lock_another_thread_holds_does_not_hang_the_rerun) {
  LockHolder holder;
  auto first = trap::trap<":timeout(20000):fork(exec)">([&] {
    holder.let_go();
    std::lock_guard g(holder.lock);
    return 1;
  });
  // What the first trap was in the second one's re-run: there, without
  // replay, its plain fork hung until the timeout.
  auto second = trap::trap<":timeout(20000):fork(exec)">([&] { return first.leaveby(); });
  BOOST_TEST(first.leaveby() == "return");
  BOOST_TEST(second.leaveby() == "return");
  BOOST_TEST(second.return_value<std::string>() == "return");
}

BOOST_AUTO_TEST_CASE(the_rerun_gets_the_program_arguments) {
  const std::vector<std::string> mine = program_arguments();
  BOOST_TEST(mine == std::vector<std::string>{"--replay-test-argument"},
             boost::test_tools::per_element());
  auto r = trap::trap<":fork(exec)">([] { return program_arguments(); });
  BOOST_TEST(r.return_value<std::vector<std::string>>() == mine, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_program_the_rerun_starts_before_its_trap_is_no_rerun) {
  trap::trap<":fork(exec)">([] {});
  // In the second trap's re-run, this program starts before that trap.
  const std::string seen = trap::run({"sh", "-c", "printf %s \"${TRAP_FORK_EXEC-unset}\""}).out();
  auto second = trap::trap<":fork(exec)">([seen] { return seen; });
  BOOST_TEST(seen == "unset");
  BOOST_TEST(second.return_value<std::string>() == "unset");
}

// The list the parent hands over reads back, and a damaged one is refused.
BOOST_AUTO_TEST_CASE(the_handed_over_list_reads_back_and_a_damaged_one_is_an_error) {
  using trap::detail::decode_replay;
  using trap::detail::encode_replay;
  using trap::detail::ReplayedTrap;
  const std::string bytes = encode_replay({{false, "first\nrecord"}, {true, std::string("\0", 1)}});
  auto traps = decode_replay(bytes);
  BOOST_REQUIRE(traps.size() == 2u);
  BOOST_TEST(!traps[0].timed_out);
  BOOST_TEST(traps[0].record == "first\nrecord");
  BOOST_TEST(traps[1].timed_out);
  BOOST_TEST(traps[1].record == std::string("\0", 1));
  BOOST_TEST(decode_replay(encode_replay({})).empty());
  auto refused = [](const std::string& damaged) {
    try {
      decode_replay(damaged);
    } catch (const trap::TrapError& e) {
      return std::string(e.what()).find("fork(exec): the earlier traps' results") == 0;
    }
    return false;
  };
  BOOST_TEST(refused(""));
  BOOST_TEST(refused(bytes.substr(0, bytes.size() - 1)));  // cut short
  BOOST_TEST(refused(bytes + "x"));                        // bytes after the last
  BOOST_TEST(refused("1:11:X1:r"));                        // an unknown flag
  BOOST_TEST(refused("99:1"));                             // more traps than bytes
}
