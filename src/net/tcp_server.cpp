// SPDX-License-Identifier: BSL-1.0
// trap::net::TcpServer's public functions: each runs its work on the
// server's I/O thread and waits for it (tcp_server_impl.hpp).
#include "net/tcp_server_impl.hpp"

namespace trap::net {

namespace {

// @p r with its kinds: those some registration wants.
std::shared_ptr<const TcpServer::Impl::Registrations> with_kinds(
    std::shared_ptr<TcpServer::Impl::Registrations> r) {
  r->kinds = 0;
  for (auto& one : r->list) r->kinds |= one.all ? ~std::uint32_t{0} : one.kinds;
  return r;
}

// Gives registration @p id its `registered` event (POE's register): from a
// handler (the server's thread) after that handler returns, as POE posts
// it; from another thread before register_events() returns. After
// shutdown() nobody is welcomed: nothing runs on the server's thread.
void welcome(const std::shared_ptr<TcpServer::Impl>& impl, int id) {
  if (!impl->on_server_thread()) {
    impl->run_on_thread([&] { impl->welcome(id); });
  } else if (!impl->finished) {
    boost::asio::post(*impl->ctx, [impl, id] { impl->welcome(id); });
  }
}

}  // namespace

// ------------------------------------------------------------------ TcpServer

TcpServer::TcpServer(TcpServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
  impl_->self = this;
  if (impl_->opt.prefix.empty()) throw UsageError("TcpServer: the prefix is empty");
  if (impl_->opt.max_log == 0) throw UsageError("TcpServer: max_log must be at least 1");
  const FilterChoice& f = impl_->opt.filter;
  if (!f.object() && f.name() != "line" && f.name() != "block")
    (void)filter_named(f.name());  // throws for an unknown name
  impl_->plan_listeners();
  impl_->start();
}

TcpServer::~TcpServer() {
  trap::detail::StopShield shield;  // an in-process stop comes once it is gone
  if (impl_ && detail::left_in_child(impl_, impl_->owner_pid)) return;
  try {
    impl_->shutdown(std::chrono::milliseconds(0));
  } catch (...) {
  }
}

// Where the server listens: asked of its thread, or, in a fork trap's
// child (whose code is the client the server waits for), read from the
// listening sockets the child shares, the child's only thread.
std::uint16_t TcpServer::port() const {
  return impl_->look([this] { return impl_->port_of(false); });
}
std::uint16_t TcpServer::port6() const {
  return impl_->look([this] { return impl_->port_of(true); });
}
std::pair<std::string, std::uint16_t> TcpServer::getsockname() const {
  return impl_->look([this] { return impl_->name_of(false); });
}
std::pair<std::string, std::uint16_t> TcpServer::getsockname6() const {
  return impl_->look([this] { return impl_->name_of(true); });
}

std::string TcpServer::address() const {
  auto [host, port] = getsockname();
  if (port == 0) throw UsageError(impl_->label + ": address(): no IPv4 listener is up");
  return (host == "0.0.0.0" ? "127.0.0.1" : host) + ":" + std::to_string(port);
}
std::string TcpServer::address6() const {
  auto [host, port] = getsockname6();
  if (port == 0)
    throw UsageError(impl_->label +
                     ": address6(): no IPv6 listener is up (ipv6 off, an IPv4 address, or its "
                     "listener failed)");
  std::string address = "[";
  address.append(host == "::" ? std::string_view("::1") : std::string_view(host));
  address.append("]:").append(std::to_string(port));
  return address;
}

bool TcpServer::send_to_client(ClientId id, std::string_view message) {
  return impl_->call([&] {
    auto c = impl_->find_connected(id);
    if (c) impl_->send_one(c, message);
    return c != nullptr && !c->closed;  // not dropped for it (max_queued)
  });
}
bool TcpServer::send_to_client(ClientId id, const std::vector<std::string>& messages) {
  return impl_->call([&] {
    auto c = impl_->find_connected(id);
    if (c) impl_->queue_encoded(c, Impl::encode(*c, messages));
    return c != nullptr && !c->closed;
  });
}
bool TcpServer::send_parts_to_client(ClientId id, const Parts& parts) {
  return impl_->call([&] {
    auto c = impl_->find_connected(id);
    if (c) impl_->queue_encoded(c, {c->out->put_parts(parts)});
    return c != nullptr && !c->closed;
  });
}
std::size_t TcpServer::send_to_all_clients(std::string_view message) {
  return send_to_all_clients(std::vector<std::string>{std::string(message)});
}
std::size_t TcpServer::send_to_all_clients(const std::vector<std::string>& messages) {
  return impl_->call(
      [&] { return impl_->send_to_all([&](auto& c) { return Impl::encode(c, messages); }); });
}
std::size_t TcpServer::send_parts_to_all_clients(const Parts& parts) {
  return impl_->call([&] {
    return impl_->send_to_all(
        [&](auto& c) { return std::vector<std::string>{c.out->put_parts(parts)}; });
  });
}
ClientInfo TcpServer::client_info(ClientId id) const {
  return impl_->call([&] { return impl_->find(id)->info; });
}
std::vector<ClientId> TcpServer::clients() const {
  return impl_->call([&] {
    std::vector<ClientId> ids;
    impl_->clients.for_each([&](const auto& c) { ids.push_back(c->id); });
    return ids;
  });
}
void TcpServer::set_client_filter(ClientId id, std::unique_ptr<Filter> input,
                                  std::unique_ptr<Filter> output) {
  impl_->call([&] {
    auto c = impl_->find(id);
    if (input) Impl::set_input(*c, std::move(input));
    if (output) c->out = std::move(output);
  });
}
void TcpServer::set_client_policy(ClientId id, const ClientPolicy& policy) {
  impl_->call([&] { impl_->set_policy(impl_->find(id), policy); });
}
void TcpServer::disconnect(ClientId id) {
  // As POE's: pending until the client's output is written, including
  // output sent after this call.
  impl_->call([&] { impl_->find(id)->disconnect_pending = true; });
}
void TcpServer::terminate(ClientId id) {
  impl_->call([&] { impl_->close_client(impl_->find(id), false); });
}
std::size_t TcpServer::close_client_connections() {
  return impl_->call([&] {
    auto all = impl_->open_now();
    for (auto& c : all) {
      // Read first: closing a socket with unread input would reset the
      // connection instead of ending it with an end of file.
      impl_->drain(c);
      impl_->close_client(c, false);
    }
    return all.size();
  });
}
void TcpServer::pause_listening() {
  impl_->call([&] {
    impl_->paused = true;
    for (auto& l : impl_->listeners) {
      error_code ignored;
      if (l->acceptor.is_open()) l->acceptor.cancel(ignored);
      l->retry.cancel();
    }
  });
}
void TcpServer::resume_listening() {
  impl_->call([&] {
    if (!impl_->paused) return;
    impl_->paused = false;
    for (auto& l : impl_->listeners) {
      auto held = std::move(l->held);
      l->held.clear();
      for (auto& c : held) impl_->add_client(c);
      if (l->acceptor.is_open()) impl_->accept(*l);
    }
  });
}
bool TcpServer::start_listener() {
  return impl_->call([&] {
    bool all = true;
    for (auto& l : impl_->listeners) all = impl_->open(*l) && all;
    return all;
  });
}
ShutdownReport TcpServer::shutdown(std::chrono::milliseconds deadline) {
  trap::detail::StopShield shield;  // an in-process stop comes once it returns
  return impl_->shutdown(deadline);
}

int TcpServer::register_events(const std::vector<std::string>& events, ServerHandler fn) {
  Impl::Registration r;
  for (auto& e : events) {
    if (e == "all")
      r.all = true;
    else
      r.kinds |= tcp_detail::checked_bit(impl_->label, e, true);  // names the kinds if none
  }
  r.fn = std::move(fn);
  int id;
  {
    detail::Held held(impl_->m);
    id = r.id = impl_->next_reg++;
    auto next = std::make_shared<Impl::Registrations>(*impl_->regs);
    next->list.push_back(std::move(r));
    impl_->regs = with_kinds(std::move(next));
  }
  welcome(impl_, id);
  return id;
}

void TcpServer::unregister_events(int id, const std::vector<std::string>& events) {
  detail::Held held(impl_->m);
  auto next = std::make_shared<Impl::Registrations>(*impl_->regs);
  for (auto it = next->list.begin(); it != next->list.end(); ++it) {
    if (it->id != id) continue;
    if (events.empty()) {
      next->list.erase(it);
    } else {
      for (auto& e : events) {
        if (e == "all")
          it->all = false;
        else
          it->kinds &= ~tcp_detail::checked_bit(impl_->label, e, false);
      }
    }
    break;
  }
  impl_->regs = with_kinds(std::move(next));
}

std::optional<ServerEvent> TcpServer::wait_for_connection(std::chrono::milliseconds timeout) {
  return impl_->wait_for("connected", std::nullopt, timeout);
}
std::optional<ServerEvent> TcpServer::wait_for_input(std::optional<ClientId> client,
                                                     std::chrono::milliseconds timeout) {
  return impl_->wait_for("client_input", client, timeout);
}
std::optional<ServerEvent> TcpServer::wait_for_disconnection(std::optional<ClientId> client,
                                                             std::chrono::milliseconds timeout) {
  return impl_->wait_for("disconnected", client, timeout);
}
std::optional<ServerEvent> TcpServer::wait_for(std::string_view kind,
                                               std::optional<ClientId> client,
                                               std::chrono::milliseconds timeout) {
  return impl_->wait_for(kind, client, timeout);
}
std::vector<std::string> TcpServer::handler_failures() const {
  detail::Held held(impl_->m);
  return impl_->failures;
}

std::vector<ServerEvent> TcpServer::log() const {
  detail::Held held(impl_->m);
  return impl_->events.copy([this](const auto& e) { return impl_->named(e); });
}

}  // namespace trap::net
