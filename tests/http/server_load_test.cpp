// SPDX-License-Identifier: BSL-1.0
// trap::http::Server under many keep-alive clients at once: every request
// answered, in order, on its own connection, none lost (a small form of
// the 1,000 x 100 load, sized for a shared CI machine).
#define BOOST_TEST_MODULE http_server_load
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/http.hpp>

#include "http/raw_http.hpp"

using test_http::get;
using test_http::read_response;
using test_net::Client;
using trap::http::Response;
using trap::http::Server;
using trap::http::ServerOptions;

BOOST_AUTO_TEST_CASE(keep_alive_clients_lose_nothing) {
  constexpr int kClients = 200, kRounds = 25;
  ServerOptions o;
  o.handler = [](const trap::http::Request& r) { return Response::text(200, r.target); };
  Server server(o);
  std::vector<Client> clients(kClients);
  for (auto& c : clients) c.connect("127.0.0.1", server.port());
  int wrong = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kClients; ++i)
      clients[i].send(get("/c" + std::to_string(i) + "/r" + std::to_string(round)));
    for (int i = 0; i < kClients; ++i) {
      auto r = read_response(clients[i]);
      if (!r || r->body != "/c" + std::to_string(i) + "/r" + std::to_string(round)) ++wrong;
    }
  }
  BOOST_TEST(wrong == 0);
  BOOST_TEST(server.request_count() == std::size_t{kClients * kRounds});
  std::set<std::uint64_t> connections;
  for (const auto& r : server.requests()) connections.insert(r.connection);
  BOOST_TEST(connections.size() == std::size_t{kClients});
  for (auto& c : clients) c.close();
  auto report = server.shutdown();
  BOOST_TEST(report.clean(), report.describe());
}
