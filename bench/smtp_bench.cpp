// SPDX-License-Identifier: BSL-1.0
// What trap::smtp::Server costs, beside Python's aiosmtpd (the server the
// Python world tests mail with; bench/aiosmtpd_server.py, a child process
// started once per run) measured in the same run on the same workload:
// - session: the latency of one whole session from a fresh connection:
//   connect, the greeting, EHLO, MAIL, RCPT, DATA, the content and its end,
//   QUIT, and the server's end of file;
// - 10 clients: messages per second from 10 concurrent smtplib-style
//   clients (one thread each, one connection each, EHLO once, then per
//   message MAIL, RCPT, DATA, content, "." with every reply read before the
//   next command; QUIT at the end). One iteration is a round of kRound
//   messages from each client.
// Both servers listen on 127.0.0.1 only and keep what they accept (trap's
// log, a deque of the last 100,000 in aiosmtpd's handler); both answer the
// end of data "250 2.0.0 OK: queued". Every reply is checked. Run through
// scripts/bench, pinned to one CPU (the servers' threads, the aiosmtpd
// process and the clients share it); never by ctest.
#include <signal.h>

#include <atomic>
#include <barrier>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include <trap/smtp.hpp>

#include "bench_child.hpp"
#include "smtp_bench_client.hpp"

namespace {

using namespace smtp_bench;
using namespace std::chrono_literals;

constexpr int kClients = 10;
constexpr int kRound = 10;  // messages per client per iteration

/// Runs @p body(state); an exception fails the benchmark.
template <class Body>
void guarded(benchmark::State& state, Body body) {
  try {
    body(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// server_cpu_us per session: this process's CPU time less the benchmark
/// thread's, i.e. the in-process server's thread (not set for aiosmtpd,
/// which runs in another process).
class ServerCpu {
 public:
  ServerCpu()
      : process_(cpu_seconds(CLOCK_PROCESS_CPUTIME_ID)),
        thread_(cpu_seconds(CLOCK_THREAD_CPUTIME_ID)) {}
  void report(benchmark::State& st, std::int64_t sessions) const {
    if (sessions <= 0) return;
    double process = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - process_;
    double thread = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - thread_;
    st.counters["server_cpu_us"] = (process - thread) * 1e6 / static_cast<double>(sessions);
  }

 private:
  double process_, thread_;
};

/// trap's server as the rows measure it: 127.0.0.1 only, as aiosmtpd's.
trap::smtp::Server trap_server() {
  trap::smtp::ServerOptions options;
  options.address = "127.0.0.1";
  return trap::smtp::Server(std::move(options));
}

/// The Python that has aiosmtpd: the environment's SMTP_BENCH_PYTHON, else
/// Debian's (pyenv's python3 on PATH has not got it).
std::string python() {
  const char* env = std::getenv("SMTP_BENCH_PYTHON");
  return env && *env ? env : "/usr/bin/python3";
}

/// bench/aiosmtpd_server.py in a child process; port() once it listens
/// (it prints its port, and one session through it must then succeed).
class Aiosmtpd {
 public:
  Aiosmtpd() : child_({python(), TRAP_BENCH_AIOSMTPD_SERVER}) {
    auto line = child_.lines(1, 20s).front();
    int port = std::atoi(line.c_str());
    if (port <= 0 || port > 65535) throw std::runtime_error("aiosmtpd printed no port: " + line);
    port_ = static_cast<std::uint16_t>(port);
    one_session(port_, 0);
  }
  std::uint16_t port() const { return port_; }

 private:
  bench_child::Child child_;
  std::uint16_t port_ = 0;
};

std::unique_ptr<Aiosmtpd> g_aiosmtpd;  // started by main(); nullptr: no aiosmtpd rows

// ---- 1. one whole session -----------------------------------------------------------

/// @p in_process: the server runs in this process (server_cpu_us is set).
void session_loop(benchmark::State& st, std::uint16_t port, bool in_process) {
  one_session(port, 0);  // warm
  ServerCpu cpu;
  std::uint64_t n = 0;
  for (auto _ : st) one_session(port, ++n);
  st.SetItemsProcessed(st.iterations());
  if (in_process) cpu.report(st, st.iterations());
}

void BM_trap_session(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    auto server = trap_server();
    session_loop(st, server.port(), true);
  });
}
BENCHMARK(BM_trap_session)->UseRealTime();

void BM_aiosmtpd_session(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) { session_loop(st, g_aiosmtpd->port(), false); });
}

// ---- 2. 10 concurrent clients ---------------------------------------------------------

/// kClients threads, each with its connection (EHLO said once), sending
/// rounds of kRound messages when the benchmark's thread says go. The
/// clients QUIT when it ends.
class Clients {
 public:
  explicit Clients(std::uint16_t port) : port_(port), errors_(kClients) {
    for (int k = 0; k < kClients; ++k) threads_.emplace_back([this, k] { run(k); });
  }
  ~Clients() {
    stop_ = true;
    sync_.arrive_and_wait();  // the clients see stop_, QUIT and end
    for (auto& t : threads_) t.join();
  }
  Clients(const Clients&) = delete;
  Clients& operator=(const Clients&) = delete;

  /// One round: every client sends kRound messages. Returns "" or what
  /// went wrong first.
  std::string round() {
    sync_.arrive_and_wait();  // go
    sync_.arrive_and_wait();  // all done
    for (auto& e : errors_)
      if (!e.empty()) return e;
    return "";
  }

 private:
  void run(int k) {
    std::optional<Client> c;
    std::uint64_t n = 0;
    try {
      c.emplace(port_);
      c->ehlo();
    } catch (const std::exception& e) {
      errors_[static_cast<std::size_t>(k)] = e.what();
    }
    for (;;) {
      sync_.arrive_and_wait();
      if (stop_) break;
      try {
        if (c && errors_[static_cast<std::size_t>(k)].empty())
          for (int i = 0; i < kRound; ++i) c->send_message(++n);
      } catch (const std::exception& e) {
        errors_[static_cast<std::size_t>(k)] = e.what();
      }
      sync_.arrive_and_wait();
    }
    try {
      if (c && errors_[static_cast<std::size_t>(k)].empty()) c->quit();
    } catch (const std::exception&) {
      // Reported by no one: the rows are over.
    }
  }

  std::uint16_t port_;
  std::vector<std::string> errors_;  // a client's own slot; read between rounds
  std::atomic<bool> stop_{false};
  std::barrier<> sync_{kClients + 1};
  std::vector<std::thread> threads_;
};

void clients_loop(benchmark::State& st, std::uint16_t port) {
  Clients clients(port);
  if (auto why = clients.round(); !why.empty()) {  // all connected, warm
    st.SkipWithError(why.c_str());
    return;
  }
  for (auto _ : st)
    if (auto why = clients.round(); !why.empty()) {
      st.SkipWithError(why.c_str());
      break;
    }
  st.SetItemsProcessed(st.iterations() * kClients * kRound);
}

void BM_trap_10_clients(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    auto server = trap_server();
    clients_loop(st, server.port());
  });
}
BENCHMARK(BM_trap_10_clients)->UseRealTime();

void BM_aiosmtpd_10_clients(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) { clients_loop(st, g_aiosmtpd->port()); });
}

/// Starts aiosmtpd and registers its rows; without it (no aiosmtpd in that
/// Python) the rows are left out, said on stderr.
void start_aiosmtpd() {
  try {
    g_aiosmtpd = std::make_unique<Aiosmtpd>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smtp_bench: no aiosmtpd rows (%s %s): %s\n", python().c_str(),
                 TRAP_BENCH_AIOSMTPD_SERVER, e.what());
    g_aiosmtpd.reset();
    return;
  }
  benchmark::RegisterBenchmark("BM_aiosmtpd_session", BM_aiosmtpd_session)->UseRealTime();
  benchmark::RegisterBenchmark("BM_aiosmtpd_10_clients", BM_aiosmtpd_10_clients)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // A connection the server has closed must not kill the benchmark.
  ::signal(SIGPIPE, SIG_IGN);
  int status = 0;
  try {
    start_aiosmtpd();
    benchmark::RunSpecifiedBenchmarks();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smtp_bench: %s\n", e.what());
    status = 1;
  }
  g_aiosmtpd.reset();  // killed and waited for
  benchmark::Shutdown();
  return status;
}
