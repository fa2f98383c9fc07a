// SPDX-License-Identifier: BSL-1.0
// Placeholder until the server lands: see include/trap/http.hpp.
#include <trap/errors.hpp>
#include <trap/http.hpp>

namespace trap::http {

class Server::Impl {};

Server::Server(ServerOptions) { throw TrapError("trap::http::Server: not built yet"); }
Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server Server::tls(ServerOptions options) {
  options.tls = true;
  return Server(std::move(options));
}
Server::~Server() = default;
Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&&) noexcept = default;

}  // namespace trap::http
