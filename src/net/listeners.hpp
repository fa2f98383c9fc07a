// SPDX-License-Identifier: BSL-1.0
// The listening side the Boost.Asio test servers share (trap::http,
// trap::smtp): acceptors on 127.0.0.1 and ::1 (or one given address),
// port 0, and an accept loop that outlasts a lack of descriptors. Private
// to src/: it brings Boost.Asio in.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace trap::net::detail {

/// A server's listeners, on its io_context.
class Listeners {
 public:
  /// What is done with each accepted socket, on the io_context's thread.
  using OnAccept = std::function<void(boost::asio::ip::tcp::socket)>;

  /// @p who names the server in errors ("trap::smtp::Server").
  Listeners(boost::asio::io_context& context, std::string who);
  ~Listeners();
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  /// Refuses what open() would listen on beyond this host: an address
  /// that is not loopback (127.0.0.0/8, ::1), "0.0.0.0" and "::" too. The
  /// servers are for tests, and their certificates name only loopback.
  /// What is not an address at all, open() says.
  /// @throws trap::UsageError "WHO: "A" is not a loopback address: ...".
  static void check_loopback(const std::string& who, const std::string& address);
  /// Listens on @p address, or with "" on 127.0.0.1 and on ::1 (skipped
  /// where IPv6 is off), each on a port of the system's choice.
  /// @throws trap::UsageError "WHO: not an address: "X"";
  /// trap::TrapError "WHO: cannot listen on A: CALL: REASON".
  void open(const std::string& address);
  /// Accepts on each listener until close(), giving each socket to
  /// @p on_accept; an accept that fails (out of descriptors) is tried again
  /// a little later.
  void start(OnAccept on_accept);
  /// Gives @p on_accept, without waiting, each connection the system has
  /// queued and not yet accepted (on the io_context's thread, before
  /// close() at a shutdown): a client whose connect() returned is a
  /// session, not a reset.
  void accept_queued();
  /// Stops accepting (on the io_context's thread).
  void close();
  /// Frees the listeners (once nothing runs on the io_context).
  void clear();
  /// The IPv4 port, 0 when not listening on IPv4.
  std::uint16_t port4() const { return port4_; }
  /// The IPv6 port, 0 when not listening on IPv6.
  std::uint16_t port6() const { return port6_; }

 private:
  struct Listener;
  void listen_on(const boost::asio::ip::address& a, bool optional);
  void accept(Listener& l);

  boost::asio::io_context& context_;
  std::string who_;
  std::vector<std::unique_ptr<Listener>> list_;
  OnAccept on_accept_;
  bool closed_ = false;
  std::uint16_t port4_ = 0, port6_ = 0;
};

}  // namespace trap::net::detail
