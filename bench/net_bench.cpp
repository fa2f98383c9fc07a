// SPDX-License-Identifier: BSL-1.0
// What trap::net::TcpServer costs, each figure beside a minimal raw
// Boost.Asio line echo server measured in the same run (and, where Perl's
// Test::POE::Server::TCP is installed, beside that server, the one trap's
// TcpServer ports):
// - ready: constructing a server until it accepts connections on 127.0.0.1
//   and ::1 (and on IPv4 only, and construction with destruction, no
//   client);
// - stop with 100 open connections: shutdown(0ms) against closing the raw
//   server's acceptor and sockets and joining its thread;
// - connect-accept: from connect() until the server has accepted;
// - echo: one client sends "ping\n" and reads "ping\n";
// - 100 clients: one round of 100 concurrent clients, each sending "ping\n"
//   and reading it back, in requests per second, with the server thread's
//   CPU time and the client's waits per request beside.
//
// The clients are blocking POSIX sockets on the benchmark's thread
// (TCP_NODELAY, 5 s send and receive timeouts, so that nothing hangs); every
// reply and every end of file is checked, so a server that loses a line fails
// its benchmark instead of looking fast. Run through scripts/bench, pinned to
// one CPU (the servers' threads and the Perl server share it); never by ctest.
#include "net_bench_servers.hpp"

namespace {

using namespace net_bench;

// ---- 1. ready ----------------------------------------------------------------

/// Construction until the server accepts connections: the raw server's
/// io_context, acceptor (open, bind, listen) and thread start. Destruction
/// is not timed.
void BM_raw_asio_ready(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) {
      auto t0 = Clock::now();
      auto server = std::make_unique<RawEcho>();
      st.SetIterationTime(seconds_since(t0));
      benchmark::DoNotOptimize(server->port());
    }
  });
}
BENCHMARK(BM_raw_asio_ready)->UseManualTime();

/// The same listening on 127.0.0.1 and ::1, as trap's default server does.
void BM_raw_asio_ready_both(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) {
      auto t0 = Clock::now();
      auto server = std::make_unique<RawEcho>(true);
      st.SetIterationTime(seconds_since(t0));
      benchmark::DoNotOptimize(server->port());
    }
  });
}
BENCHMARK(BM_raw_asio_ready_both)->UseManualTime();

/// TcpServer's constructor, which returns listening on 127.0.0.1 and ::1
/// with the registered event delivered. Destruction is not timed.
void BM_trap_ready(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) {
      auto t0 = Clock::now();
      auto server = std::make_unique<trap::net::TcpServer>();
      st.SetIterationTime(seconds_since(t0));
    }
  });
}
BENCHMARK(BM_trap_ready)->UseManualTime();

/// The same with IPv4 only (ipv6 = false): one listener, like the raw server.
void BM_trap_ready_v4(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    trap::net::TcpServerOptions options;
    options.ipv6 = false;
    for (auto _ : st) {
      auto t0 = Clock::now();
      auto server = std::make_unique<trap::net::TcpServer>(options);
      st.SetIterationTime(seconds_since(t0));
    }
  });
}
BENCHMARK(BM_trap_ready_v4)->UseManualTime();

/// Construction and destruction together, no client: the whole life of a
/// server in a test that never connects.
void BM_raw_asio_ready_stop(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) RawEcho server;
  });
}
BENCHMARK(BM_raw_asio_ready_stop)->UseRealTime();

void BM_trap_ready_stop(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) trap::net::TcpServer server;
  });
}
BENCHMARK(BM_trap_ready_stop)->UseRealTime();

// ---- 2. stop with 100 open connections ----------------------------------------

/// Per iteration (untimed): a server, 100 clients connected and accepted.
/// Timed: the server's stop. Untimed again: every client must read end of
/// file. Few iterations: each one opens 100 connections.
void shutdown_iterations(benchmark::internal::Benchmark* b) { b->Iterations(50)->UseManualTime(); }

void BM_raw_asio_stop_100(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) {
      RawEcho server;
      auto clients = connect_clients(server.port(), kClients);
      if (!server.wait_accepted(kClients) && failed(st, "the raw server accepted too few")) break;
      auto t0 = Clock::now();
      server.stop();
      st.SetIterationTime(seconds_since(t0));
      std::string why;
      for (auto& c : clients)
        if (why.empty()) why = c->expect_eof();
      if (failed(st, why)) break;
    }
  });
}
BENCHMARK(BM_raw_asio_stop_100)->Apply(shutdown_iterations);

void BM_trap_shutdown_100(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    for (auto _ : st) {
      TrapEcho echo;
      auto clients = connect_clients(echo.port, kClients);
      if (!echo.wait_connections(kClients) && failed(st, "too few connected events")) break;
      auto t0 = Clock::now();
      auto report = echo.server.shutdown(0ms);
      st.SetIterationTime(seconds_since(t0));
      std::string why;
      for (auto& c : clients)
        if (why.empty()) why = c->expect_eof();
      if (failed(st, why)) break;
      if (report.unclosed.size() != kClients &&
          failed(st, "shutdown reported " + std::to_string(report.unclosed.size()) +
                         " unclosed clients, not 100"))
        break;
    }
  });
}
BENCHMARK(BM_trap_shutdown_100)->Apply(shutdown_iterations);

// ---- 3. connect-accept latency -------------------------------------------------

/// Timed: connect() until the server has accepted (the raw server's accept
/// count; trap's wait_for_connection). Untimed: the client closes with a
/// reset and the server's side is waited for.
void BM_raw_asio_connect_accept(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    RawEcho server;
    std::size_t n = 0;
    for (auto _ : st) {
      auto t0 = Clock::now();
      Client c(server.port());
      if (!server.wait_accepted(++n) && failed(st, "not accepted")) break;
      st.SetIterationTime(seconds_since(t0));
      c.reset();
      if (!server.wait_none_open() && failed(st, "the connection stayed open")) break;
    }
  });
}
BENCHMARK(BM_raw_asio_connect_accept)->UseManualTime();

void BM_trap_connect_accept(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    TrapEcho echo;
    for (auto _ : st) {
      auto t0 = Clock::now();
      Client c(echo.port);
      auto connected = echo.server.wait_for_connection(kWait);
      if (!connected && failed(st, "no connected event")) break;
      st.SetIterationTime(seconds_since(t0));
      c.reset();
      if (!echo.server.wait_for_disconnection(connected->client, kWait) &&
          failed(st, "no disconnected event"))
        break;
    }
  });
}
BENCHMARK(BM_trap_connect_accept)->UseManualTime();

// ---- 4. echo round trip -----------------------------------------------------------

/// One connected client; each iteration sends "ping\n" and reads it back.
/// @p in_process: the server runs in this process (see RequestCost).
void echo_loop(benchmark::State& st, std::uint16_t port, bool in_process = true) {
  Client c(port);
  c.send(kPing);
  if (failed(st, c.expect(kPing))) return;  // accepted, warm
  RequestCost cost;
  for (auto _ : st) {
    c.send(kPing);
    if (failed(st, c.expect(kPing))) break;
  }
  cost.report(st, st.iterations(), in_process);
}

void BM_raw_asio_echo(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    RawEcho server;
    echo_loop(st, server.port());
  });
}
BENCHMARK(BM_raw_asio_echo)->UseRealTime();

void BM_trap_echo(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    TrapEcho echo;
    echo_loop(st, echo.port);
  });
}
BENCHMARK(BM_trap_echo)->UseRealTime();

void BM_poe_echo(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) { echo_loop(st, PoeServer::instance()->port(), false); });
}

// ---- 5. 100 clients ------------------------------------------------------------------

/// 100 connected clients; each iteration is one round of 100 requests (every
/// client sends "ping\n", then every reply is read), so the server always
/// has up to 100 requests to serve at once.
void clients_loop(benchmark::State& st, std::uint16_t port, bool in_process = true) {
  auto clients = connect_clients(port, kClients);
  if (failed(st, round_trip_all(clients))) return;  // all accepted, warm
  RequestCost cost;
  for (auto _ : st)
    if (failed(st, round_trip_all(clients))) break;
  st.SetItemsProcessed(st.iterations() * kClients);
  cost.report(st, st.iterations() * kClients, in_process);
}

void BM_raw_asio_100_clients(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    RawEcho server;
    clients_loop(st, server.port());
  });
}
BENCHMARK(BM_raw_asio_100_clients)->UseRealTime();

void BM_trap_100_clients(benchmark::State& state) {
  guarded(state, [](benchmark::State& st) {
    TrapEcho echo;
    clients_loop(st, echo.port);
  });
}
BENCHMARK(BM_trap_100_clients)->UseRealTime();

void BM_poe_100_clients(benchmark::State& state) {
  guarded(state,
          [](benchmark::State& st) { clients_loop(st, PoeServer::instance()->port(), false); });
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // A client that the server has closed must not kill the benchmark.
  ::signal(SIGPIPE, SIG_IGN);
  PoeServer::start();
  if (PoeServer::instance()) {
    benchmark::RegisterBenchmark("BM_poe_echo", BM_poe_echo)->UseRealTime();
    benchmark::RegisterBenchmark("BM_poe_100_clients", BM_poe_100_clients)->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  PoeServer::stop();
  benchmark::Shutdown();
  return 0;
}
