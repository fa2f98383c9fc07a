// SPDX-License-Identifier: BSL-1.0
// The events of a trap::net::TcpServer (tcp_server_impl.hpp): logged in
// their slots, handed to the handler and the registrations on the
// server's thread, and waited for from other threads.
#include <algorithm>

#include "net/handler_failure.hpp"
#include "net/stoppable_wait.hpp"
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

std::uint32_t tcp_detail::checked_bit(const std::string& label, std::string_view kind,
                                      bool all_too) {
  if (all_too && kind == "all") return ~std::uint32_t{0};
  if (std::uint32_t b = bit_of(kind)) return b;
  std::string known = all_too ? "all" : "";
  for (auto k : kKinds) known += (known.empty() ? "" : ", ") + std::string(k);
  throw UsageError(label + ": no event kind \"" + std::string(kind) +
                   "\" (the kinds, without the prefix: " + known + ")");
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

ServerEvent& TcpServer::Impl::staged() {
  if (depth == staging.size()) staging.push_back(std::make_unique<ServerEvent>());
  ServerEvent& e = *staging[depth];
  e.kind.clear();
  e.name.clear();
  e.client = 0;
  e.input.clear();
  e.parts.clear();
  e.info.peeraddr.clear();
  e.info.peerport = 0;
  e.info.sockaddr.clear();
  e.info.sockport = 0;
  e.operation.clear();
  e.error = 0;
  e.message.clear();
  e.sequence = 0;
  return e;
}

void TcpServer::Impl::log_event(Kind k, const Client* c, const ServerEvent& e) {
  tcp_detail::LoggedEvent& r = events.next_slot();
  r.kind = k;
  r.client = e.client;
  r.input = e.input;
  r.parts = e.parts;
  if (c) r.info = c->shared_info;
  if (k == Kind::listener_failed || k == Kind::client_error)
    r.failure.reset(new tcp_detail::LoggedEvent::Failure{e.operation, e.error, e.message});
  r.sequence = e.sequence;
  if (k == Kind::connected) connected_at.emplace_back(e.client, e.sequence);
  events.commit();
  trim_log();
}

void TcpServer::Impl::hand_out(Kind k, ServerEvent& e, const Registrations* targets) {
  if (!opt.handler && !targets) return;
  e.kind = tcp_detail::kKinds[index(k)];
  e.name = names[index(k)];
  // A nested delivery (a handler's call closing a client) stages its event
  // one depth further, so this one stays as it is.
  if (depth == 0) {
    handling_client.store(e.client, std::memory_order_relaxed);
    handling_kind.store(index(k) + 1, std::memory_order_relaxed);
  }
  ++depth;
  struct Return {
    Impl& server;
    ~Return() {
      if (--server.depth == 0) server.handling_kind.store(0, std::memory_order_relaxed);
    }
  } give_back{*this};
  if (opt.handler) run_handler(opt.handler, e);
  if (!targets) return;
  for (auto& r : targets->list)
    if (r.all || (r.kinds & tcp_detail::bit(k))) run_handler(r.fn, e);
}

void TcpServer::Impl::run_handler(const ServerHandler& fn, const ServerEvent& e) {
  std::string failure = detail::call_handler([&] { fn(*self, e); }, label, [&] { return e.name; });
  if (failure.empty()) return;
  std::lock_guard lock(m);
  if (failures.size() < 100) failures.push_back(std::move(failure));
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

ServerEvent TcpServer::Impl::named(const tcp_detail::LoggedEvent& e) const {
  ServerEvent out;
  out.kind = tcp_detail::kKinds[index(e.kind)];
  out.name = names[index(e.kind)];
  out.client = e.client;
  out.input = e.input;
  out.parts = e.parts;
  if (e.info) out.info = *e.info;
  if (e.failure) {
    out.operation = e.failure->operation;
    out.error = e.failure->error;
    out.message = e.failure->message;
  }
  out.sequence = e.sequence;
  return out;
}

void TcpServer::Impl::listener_failed(const char* operation, const error_code& ec) {
  deliver(Kind::listener_failed, nullptr, [&](ServerEvent& e) {
    e.operation = operation;
    e.error = ec.value();
    e.message = ec.message();
  });
}

void TcpServer::Impl::client_error(Client& c, const char* operation, std::string message) {
  deliver(Kind::client_error, &c, [&](ServerEvent& e) {
    e.operation = operation;
    e.message = std::move(message);
  });
}

// ------------------------------------------------------------- waits

std::optional<ServerEvent> TcpServer::Impl::wait_for(std::string_view kind,
                                                     std::optional<ClientId> client,
                                                     std::chrono::milliseconds timeout) {
  tcp_detail::checked_bit(label, kind, false);
  const std::string key = std::string(kind) + "/" + (client ? std::to_string(*client) : "*");
  // Cursors are sequence numbers: the log may have dropped its oldest.
  auto scan = [&]() -> std::optional<ServerEvent> {
    std::uint64_t& next = cursors[key];
    next = std::max(next, client ? first_of(*client) : first_sequence);
    for (std::size_t i = next - first_sequence; i < events.size(); ++i) {
      const tcp_detail::LoggedEvent& e = events[i];
      if (tcp_detail::kKinds[index(e.kind)] == kind && (!client || e.client == *client)) {
        next = e.sequence + 1;
        return named(e);
      }
    }
    next = first_sequence + events.size();
    return std::nullopt;
  };
  const auto until = detail::deadline_after(timeout);
  for (;;) {
    detail::Held held(m);  // a slice of the wait: a stop comes between two
    if (auto e = scan()) return e;
    const auto slice = detail::slice_end(until);
    tcp_detail::Waiting counted(waiting);
    // One last look after the time runs out: an event may have just come.
    if (cv.wait_until(held.lock(), slice) == std::cv_status::timeout && slice == until)
      return scan();
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
