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

}  // namespace

// ------------------------------------------------------------------ TcpServer

TcpServer::TcpServer(TcpServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
  if (impl_->opt.prefix.empty()) throw UsageError("TcpServer: the prefix is empty");
  if (impl_->opt.max_log == 0) throw UsageError("TcpServer: max_log must be at least 1");
  if (impl_->opt.filter != "line" && impl_->opt.filter != "block")
    (void)filter_named(impl_->opt.filter);  // throws for an unknown name
  impl_->plan_listeners();
  impl_->start();
}

TcpServer::~TcpServer() {
  try {
    impl_->shutdown(std::chrono::milliseconds(0));
  } catch (...) {
  }
}

std::uint16_t TcpServer::port() const {
  return impl_->call([this] { return impl_->port_of(false); });
}
std::uint16_t TcpServer::port6() const {
  return impl_->call([this] { return impl_->port_of(true); });
}
std::pair<std::string, std::uint16_t> TcpServer::getsockname() const {
  return impl_->call([this] { return impl_->name_of(false); });
}
std::pair<std::string, std::uint16_t> TcpServer::getsockname6() const {
  return impl_->call([this] { return impl_->name_of(true); });
}

void TcpServer::send_to_client(ClientId id, std::string_view message) {
  impl_->call([&] { impl_->send_one(impl_->find(id), message); });
}
void TcpServer::send_to_client(ClientId id, const std::vector<std::string>& messages) {
  impl_->call([&] { impl_->send(impl_->find(id), messages); });
}
void TcpServer::send_to_all_clients(std::string_view message) {
  send_to_all_clients(std::vector<std::string>{std::string(message)});
}
void TcpServer::send_to_all_clients(const std::vector<std::string>& messages) {
  impl_->call([&] {
    for (auto& c : impl_->open_now()) impl_->send(c, messages);
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
  return impl_->shutdown(deadline);
}

int TcpServer::register_events(const std::vector<std::string>& events,
                               std::function<void(const ServerEvent&)> fn) {
  Impl::Registration r;
  for (auto& e : events) {
    if (e == "all")
      r.all = true;
    else
      r.kinds |= tcp_detail::bit_of(e);  // a name of no kind: never delivered
  }
  r.fn = std::move(fn);
  std::lock_guard lock(impl_->m);
  r.id = impl_->next_reg++;
  auto next = std::make_shared<Impl::Registrations>(*impl_->regs);
  next->list.push_back(std::move(r));
  impl_->regs = with_kinds(std::move(next));
  return impl_->regs->list.back().id;
}

void TcpServer::unregister_events(int id, const std::vector<std::string>& events) {
  std::lock_guard lock(impl_->m);
  auto next = std::make_shared<Impl::Registrations>(*impl_->regs);
  for (auto it = next->list.begin(); it != next->list.end(); ++it) {
    if (it->id != id) continue;
    if (events.empty()) {
      next->list.erase(it);
    } else {
      for (auto& e : events) {
        if (e == "all") it->all = false;
        it->kinds &= ~tcp_detail::bit_of(e);
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
std::vector<ServerEvent> TcpServer::log() const {
  std::lock_guard lock(impl_->m);
  return impl_->events.copy([this](const auto& e) { return impl_->named(e); });
}

}  // namespace trap::net
