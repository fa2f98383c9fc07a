// SPDX-License-Identifier: BSL-1.0
// What trap::http::Server costs, each figure beside a minimal raw
// Boost.Beast server and Go's net/http/httptest measured in the same run:
// - ready: construction until the first request is answerable (trap:
//   `Server s; s.url()`; raw Beast: io_context, acceptor open/bind/listen,
//   thread start; Go: httptest.NewServer, timed inside the Go program, median
//   of 1,000), and construction with destruction, no client;
// - round trip: one keep-alive connection, a GET and its whole response;
// - 100 clients: rounds of one GET on each of 100 keep-alive connections,
//   driven by epoll from the benchmark's thread, in requests per second;
// - TLS: connect, a full handshake (no session reuse) trusting the server's
//   CA, one GET and its response, close (raw Beast with a P-256 key, as
//   trap's server has, and with RSA 2048, as Go's httptest has).
// trap's server answers from ServerOptions::handler returning
// Response::text(200, "ok") (httptest's way, the path most users take for a
// fixed answer); the others answer 200 "ok" text/plain alike. Every response
// is checked. Run through scripts/bench, pinned to one CPU (the servers'
// threads and the Go process share it); never by ctest.
#include <sys/resource.h>

#include <ctime>
#include <thread>

#include <benchmark/benchmark.h>

#include <trap/http.hpp>

#include "http_bench_clients.hpp"
#include "http_bench_servers.hpp"

namespace {

using namespace http_bench;

constexpr int kClients = 100;
constexpr int kGoReadyCycles = 1000;

/// Runs @p body(state); an exception fails the benchmark.
template <class Body>
void guarded(benchmark::State& state, Body body) {
  try {
    body(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

/// Stops the loop with @p why unless it is empty; true if it stopped.
bool failed(benchmark::State& state, const std::string& why) {
  if (why.empty()) return false;
  state.SkipWithError(why.c_str());
  return true;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// server_cpu_us per request: this process's CPU time less the benchmark
/// thread's, i.e. the in-process server's threads (not set for Go's, which
/// runs in another process).
class ServerCpu {
 public:
  ServerCpu()
      : process_(cpu_seconds(CLOCK_PROCESS_CPUTIME_ID)),
        thread_(cpu_seconds(CLOCK_THREAD_CPUTIME_ID)) {}
  void report(benchmark::State& st, std::int64_t requests) const {
    if (requests <= 0) return;
    double process = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - process_;
    double thread = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - thread_;
    st.counters["server_cpu_us"] = (process - thread) * 1e6 / static_cast<double>(requests);
  }

 private:
  double process_, thread_;
};

/// trap's options for the serving rows: a handler answering 200 "ok".
trap::http::ServerOptions trap_options() {
  trap::http::ServerOptions options;
  options.handler = [](const trap::http::Request&) {
    return trap::http::Response::text(200, "ok");
  };
  return options;
}

// The Go servers, started once by main() (nullptr: no Go rows).
std::unique_ptr<GoServer> g_go, g_go_tls;

// ---- 1. ready ---------------------------------------------------------------------

/// The floor of a server with a thread of its own: starting a thread (that
/// does nothing; it is joined outside the timed part).
void BM_thread_start(benchmark::State& state) {
  for (auto _ : state) {
    auto t0 = Clock::now();
    std::thread t([] {});
    state.SetIterationTime(seconds_since(t0));
    t.join();
  }
}
BENCHMARK(BM_thread_start)->UseManualTime();

void BM_raw_beast_ready(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) {
      auto t0 = Clock::now();
      auto server = std::make_unique<RawBeast>();
      st.SetIterationTime(seconds_since(t0));
      benchmark::DoNotOptimize(server->port());
    }
  });
}
BENCHMARK(BM_raw_beast_ready)->UseManualTime();

/// The raw server listening on 127.0.0.1 and ::1, as trap's default does.
void BM_raw_beast_ready_both(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) {
      auto t0 = Clock::now();
      auto server = std::make_unique<RawBeast>(Tls::off, true);
      st.SetIterationTime(seconds_since(t0));
      benchmark::DoNotOptimize(server->port());
    }
  });
}
BENCHMARK(BM_raw_beast_ready_both)->UseManualTime();

/// `Server s; s.url()`: default options, 127.0.0.1 and ::1. Destruction
/// is not timed.
void BM_trap_ready(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) {
      auto t0 = Clock::now();
      auto server = std::make_unique<trap::http::Server>();
      auto url = server->url();
      st.SetIterationTime(seconds_since(t0));
      benchmark::DoNotOptimize(url);
    }
  });
}
BENCHMARK(BM_trap_ready)->UseManualTime();

/// The same on 127.0.0.1 only, like the raw server and Go's.
void BM_trap_ready_v4(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    trap::http::ServerOptions options;
    options.address = "127.0.0.1";
    for (auto _ : st) {
      auto t0 = Clock::now();
      auto server = std::make_unique<trap::http::Server>(options);
      auto url = server->url();
      st.SetIterationTime(seconds_since(t0));
      benchmark::DoNotOptimize(url);
    }
  });
}
BENCHMARK(BM_trap_ready_v4)->UseManualTime();

/// Go measures itself: one iteration is one run of the Go program doing
/// kGoReadyCycles NewServer+Close cycles, timed as their median NewServer
/// (@p with_close false) or NewServer+Close (true).
void go_ready(benchmark::State& st, bool with_close) {
  for (auto _ : st) {
    auto [ready, ready_close] = GoServer::ready(kGoReadyCycles);
    st.SetIterationTime(with_close ? ready_close : ready);
  }
}
void BM_go_ready(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) { go_ready(st, false); });
}
void BM_go_ready_stop(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) { go_ready(st, true); });
}

/// Construction and destruction together, no client.
void BM_raw_beast_ready_stop(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) RawBeast server;
  });
}
BENCHMARK(BM_raw_beast_ready_stop)->UseRealTime();

void BM_trap_ready_stop(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) {
      trap::http::Server server;
      benchmark::DoNotOptimize(server.url());
    }
  });
}
BENCHMARK(BM_trap_ready_stop)->UseRealTime();

// ---- 2. round trip on one keep-alive connection -------------------------------------

/// @p in_process: the server runs in this process (server_cpu_us is set).
void round_trip_loop(benchmark::State& st, std::uint16_t port, bool in_process) {
  Client c(port);
  if (failed(st, c.get())) return;  // accepted, warm
  ServerCpu cpu;
  for (auto _ : st)
    if (failed(st, c.get())) break;
  if (in_process) cpu.report(st, st.iterations());
}

void BM_raw_beast_round_trip(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    RawBeast server;
    round_trip_loop(st, server.port(), true);
  });
}
BENCHMARK(BM_raw_beast_round_trip)->UseRealTime();

void BM_trap_round_trip(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    trap::http::Server server(trap_options());
    round_trip_loop(st, server.port(), true);
  });
}
BENCHMARK(BM_trap_round_trip)->UseRealTime();

void BM_go_round_trip(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) { round_trip_loop(st, g_go->port(), false); });
}

// ---- 3. 100 keep-alive clients ------------------------------------------------------

/// One iteration is a round of 100 requests, one per client.
void clients_loop(benchmark::State& st, std::uint16_t port, bool in_process) {
  ManyClients clients(port, kClients);
  if (failed(st, clients.round())) return;  // all accepted, warm
  ServerCpu cpu;
  for (auto _ : st)
    if (failed(st, clients.round())) break;
  st.SetItemsProcessed(st.iterations() * kClients);
  if (in_process) cpu.report(st, st.iterations() * kClients);
}

void BM_raw_beast_100_clients(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    RawBeast server;
    clients_loop(st, server.port(), true);
  });
}
BENCHMARK(BM_raw_beast_100_clients)->UseRealTime();

void BM_trap_100_clients(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    trap::http::Server server(trap_options());
    clients_loop(st, server.port(), true);
  });
}
BENCHMARK(BM_trap_100_clients)->UseRealTime();

void BM_go_100_clients(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) { clients_loop(st, g_go->port(), false); });
}

// ---- 4. TLS handshake + one request ------------------------------------------------

void tls_loop(benchmark::State& st, std::uint16_t port, const std::string& ca_pem) {
  TlsClient client(ca_pem);
  if (failed(st, client.handshake_and_get(port))) return;  // warm
  for (auto _ : st)
    if (failed(st, client.handshake_and_get(port))) break;
}

void BM_raw_beast_tls_request(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    RawBeast server(Tls::p256);
    tls_loop(st, server.port(), RawBeast::ca_pem(Tls::p256));
  });
}
BENCHMARK(BM_raw_beast_tls_request)->UseRealTime();

/// The raw server with the key type Go's httptest serves (RSA 2048, which
/// costs the server more per handshake than P-256): what separates the key
/// from the server in the comparison with Go.
void BM_raw_beast_tls_rsa_request(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    RawBeast server(Tls::rsa2048);
    tls_loop(st, server.port(), RawBeast::ca_pem(Tls::rsa2048));
  });
}
BENCHMARK(BM_raw_beast_tls_rsa_request)->UseRealTime();

void BM_trap_tls_request(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    auto server = trap::http::Server::tls(trap_options());
    tls_loop(st, server.port(), server.ca_pem());
  });
}
BENCHMARK(BM_trap_tls_request)->UseRealTime();

void BM_go_tls_request(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) { tls_loop(st, g_go_tls->port(), g_go_tls->ca_pem()); });
}

/// Starts Go's servers and registers their rows; without them (no Go
/// program: scripts/bench builds it) the Go rows are left out, said on stderr.
void start_go() {
  try {
    g_go = std::make_unique<GoServer>(false);
    g_go_tls = std::make_unique<GoServer>(true);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_bench: no Go httptest rows (%s): %s\n", go_server_path().c_str(),
                 e.what());
    g_go.reset();
    g_go_tls.reset();
    return;
  }
  benchmark::RegisterBenchmark("BM_go_ready", BM_go_ready)->Iterations(1)->UseManualTime();
  benchmark::RegisterBenchmark("BM_go_ready_stop", BM_go_ready_stop)
      ->Iterations(1)
      ->UseManualTime();
  benchmark::RegisterBenchmark("BM_go_round_trip", BM_go_round_trip)->UseRealTime();
  benchmark::RegisterBenchmark("BM_go_100_clients", BM_go_100_clients)->UseRealTime();
  benchmark::RegisterBenchmark("BM_go_tls_request", BM_go_tls_request)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // A connection the server has closed must not kill the benchmark.
  ::signal(SIGPIPE, SIG_IGN);
  int status = 0;
  try {
    start_go();
    benchmark::RunSpecifiedBenchmarks();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_bench: %s\n", e.what());
    status = 1;
  }
  g_go.reset();  // killed and waited for
  g_go_tls.reset();
  benchmark::Shutdown();
  return status;
}
