// SPDX-License-Identifier: BSL-1.0
// The events of a trap::net::TcpServer (tcp_server_impl.hpp): logged in
// their slots, handed to the handler and the registrations on the
// server's thread, and waited for from other threads.
#include <algorithm>
#include <iostream>

#include "net/tcp_server_impl.hpp"

namespace trap::net {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

std::uint32_t tcp_detail::bit_of(std::string_view kind) {
  for (std::size_t i = 0; i < kKinds.size(); ++i)
    if (kKinds[i] == kind) return std::uint32_t{1} << i;
  return 0;
}

std::string tcp_detail::label_of(const std::string& prefix) {
  std::string_view p(prefix);
  while (p.size() > 1 && p.ends_with('_')) p.remove_suffix(1);
  return std::string(p);
}

void TcpServer::Impl::trim_log() {
  while (events.size() > opt.max_log) {  // the oldest goes
    if (!connected_at.empty() && connected_at.front().second == first_sequence)
      connected_at.pop_front();
    events.pop_front();
    ++first_sequence;
  }
}

void TcpServer::Impl::hand_out(Kind k, ServerEvent& e, const Registrations* targets) {
  if (!opt.handler && !targets) return;
  // The name lent for this depth: a nested delivery (a handler's call
  // closing a client) lends its own, so this event keeps its name.
  const std::size_t at = depth;
  if (at == lent_names.size()) lent_names.emplace_back().reserve(opt.prefix.size() + 16);
  lent_names[at].assign(names[index(k)]);
  e.name.swap(lent_names[at]);
  ++depth;
  struct Return {
    Impl& impl;
    ServerEvent& e;
    std::size_t at;
    ~Return() {
      --impl.depth;
      e.name.swap(impl.lent_names[at]);
    }
  } give_back{*this, e, at};
  if (opt.handler) run_handler(opt.handler, e);
  if (!targets) return;
  for (auto& r : targets->list)
    if (r.all || (r.kinds & tcp_detail::bit(k))) run_handler(r.fn, e);
}

void TcpServer::Impl::run_handler(const ServerHandler& fn, const ServerEvent& e) {
  try {
    fn(*self, e);
  } catch (const std::exception& ex) {
    std::cerr << label << ": a handler of " << e.name << " threw: " << ex.what() << "\n";
  }
}

void TcpServer::Impl::welcome(int id) {
  std::shared_ptr<const Registrations> now;
  {
    std::lock_guard lock(m);
    now = regs;
  }
  for (auto& r : now->list) {
    // Only to a callback for it: one for other kinds reads their fields.
    if (r.id != id || !(r.all || (r.kinds & tcp_detail::bit(Kind::registered)))) continue;
    ServerEvent e;
    e.kind = tcp_detail::kKinds[index(Kind::registered)];
    e.name = names[index(Kind::registered)];
    run_handler(r.fn, e);
  }
}

ServerEvent TcpServer::Impl::named(const ServerEvent& e) const {
  ServerEvent out;
  out.kind = e.kind;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (tcp_detail::kKinds[i] == e.kind) out.name = names[i];
  out.client = e.client;
  out.input = e.input;
  out.parts = e.parts;
  out.info = e.info;
  out.operation = e.operation;
  out.error = e.error;
  out.message = e.message;
  out.sequence = e.sequence;
  return out;
}

void TcpServer::Impl::listener_failed(const char* operation, const error_code& ec) {
  deliver(Kind::listener_failed, [&](ServerEvent& e) {
    e.operation = operation;
    e.error = ec.value();
    e.message = ec.message();
  });
}

void TcpServer::Impl::client_error(Client& c, const char* operation, std::string message) {
  deliver(Kind::client_error, [&](ServerEvent& e) {
    e.client = c.id;
    e.info = c.info;
    e.operation = operation;
    e.message = std::move(message);
  });
}

// ------------------------------------------------------------- waits

std::optional<ServerEvent> TcpServer::Impl::wait_for(std::string_view kind,
                                                     std::optional<ClientId> client,
                                                     std::chrono::milliseconds timeout) {
  const std::string key = std::string(kind) + "/" + (client ? std::to_string(*client) : "*");
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(m);
  // Cursors are sequence numbers: the log may have dropped its oldest.
  auto scan = [&]() -> std::optional<ServerEvent> {
    std::uint64_t& next = cursors[key];
    next = std::max(next, client ? first_of(*client) : first_sequence);
    for (std::size_t i = next - first_sequence; i < events.size(); ++i) {
      const ServerEvent& e = events[i];
      if (e.kind == kind && (!client || e.client == *client)) {
        next = e.sequence + 1;
        return named(e);
      }
    }
    next = first_sequence + events.size();
    return std::nullopt;
  };
  tcp_detail::Waiting counted(waiting);
  for (;;) {
    if (auto e = scan()) return e;
    // One last look after the time runs out: an event may have just come.
    if (cv.wait_until(lock, deadline) == std::cv_status::timeout) return scan();
  }
}

std::uint64_t TcpServer::Impl::first_of(ClientId client) const {
  auto it = std::lower_bound(connected_at.begin(), connected_at.end(), client,
                             [](const auto& c, ClientId id) { return c.first < id; });
  // No connection kept in the log: the client's events may be anywhere in it.
  if (connected_at.empty()) return first_sequence;
  // Not connected yet: its events will all come after the newest connection.
  if (it == connected_at.end()) return connected_at.back().second + 1;
  if (it->first == client) return it->second;
  // Connected before the log's oldest event (or not a client: 0).
  return it == connected_at.begin() ? first_sequence : it->second;
}

}  // namespace trap::net
