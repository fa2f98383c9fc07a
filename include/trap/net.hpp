// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::net::TcpServer: a TCP server for tests of network clients
/// (target trap::net), with Test::POE::Server::TCP's features and names.
///
/// @code
/// trap::net::TcpServer server;                    // listening when constructed
/// int fd = connect_to("127.0.0.1", server.port()); // the client under test
/// auto hello = server.wait_for_input();            // "hello" from the client
/// server.send_to_client(hello->client, "world");   // answered as a line
/// auto report = server.shutdown();                 // and gone, really
/// @endcode
///
/// A whole echo server in its options, its handler given the server as POE
/// hands each event's sender over; filters (a name, or an object such as a
/// LineFilter, or a StructuredFilter: see <trap/net_filter.hpp>) likewise:
/// @code
/// trap::net::TcpServer echo({
///     .filter = trap::net::LineFilter({.output_literal = "\r\n"}),
///     .handler = [](trap::net::TcpServer& s, const trap::net::ServerEvent& e) {
///       if (e.kind == "client_input") s.send_to_client(e.client, e.input);
///     }});
/// std::string where = echo.address();  // "127.0.0.1:PORT", for the client
/// @endcode
///
/// The server runs its sockets on an I/O thread of its own (or on an
/// io_context you pass, whose thread then runs its handlers); every member
/// function is safe to call from the test's thread and waits until the
/// server has done what it says. Events (connected, client_input, ...) are
/// logged in order, delivered to the handler and to registered callbacks on
/// the server's thread, and can be waited for from the test's thread with a
/// timeout that returns nothing rather than hanging, or that the `timeout`
/// layer stops (20 ms late at most), leaving the server whole.
///
/// The `tcp_server(...)` layer runs one for the trapped code: options in
/// its argument (`tcp_server(filter=raw,address=::1)`), the server through
/// trap::net::server(t), and after the trap the accessors `received` (every
/// client_input, in order) and `connections` (one record per connection:
/// id, peer address, peer port, our address, our port). Its teardown shuts
/// the server down; a client connection the code left open makes the trap
/// throw TrapError ("unclean teardown: 1 client connection still open from
/// 127.0.0.1:54321"), unless the layer is `lenient`: then the accessor
/// `teardown` holds that report (it is "" after a clean teardown), for
/// `r.test("teardown_like", "^unclean")`. What a handler threw (handler_failures()) fails the
/// trap as well, a line each after that report. While the trap runs, the environment has
/// TRAP_TCP_SERVER_PORT (and _PORT6) for programs started by trap::run.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <trap/net_filter.hpp>
#include <trap/trap.hpp>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace trap::net {

/// The id the server gives a client connection (1, 2, ...; never reused).
using ClientId = std::uint64_t;

/// Both ends of a client connection (POE's client_info).
struct ClientInfo {
  std::string peeraddr;        ///< the client's address
  std::uint16_t peerport = 0;  ///< the client's port
  std::string sockaddr;        ///< our address
  std::uint16_t sockport = 0;  ///< our port
  /// Member by member.
  bool operator==(const ClientInfo&) const = default;
};

/// Prints "127.0.0.1:54321 -> 127.0.0.1:8080" (IPv6 addresses in []),
/// for BOOST_TEST_INFO and the failures of BOOST_TEST(a == b).
std::ostream& operator<<(std::ostream& out, const ClientInfo& info);

/// Something that happened on the server, in the order it happened.
struct ServerEvent {
  /// "registered", "connected", "disconnected", "client_input",
  /// "client_flushed", "client_error", "listener_failed".
  std::string kind;
  /// The kind with the server's prefix, as POE names it: "testd_connected".
  std::string name;
  ClientId client = 0;  ///< the client it is about (0: none)
  /// client_input: one message, as the filter cut it; a structured
  /// message's parts joined by a space.
  std::string input;
  /// client_input of a StructuredFilter: the message's parts (empty for
  /// the other filters, whose message is `input` alone).
  Parts parts;
  ClientInfo info;             ///< connected, disconnected: both ends
  std::string operation;       ///< listener_failed, client_error: what failed
  int error = 0;               ///< listener_failed: errno
  std::string message;         ///< listener_failed, client_error: what went wrong
  std::uint64_t sequence = 0;  ///< its place in the log, from 1 (0: not logged)
  /// Member by member.
  bool operator==(const ServerEvent&) const = default;
};

/// Prints the event on one line, its name and what it carries:
/// `testd_client_input #3 client 1 input "hello"`, for BOOST_TEST_INFO(ev)
/// and the failures of BOOST_TEST(ev == expected).
std::ostream& operator<<(std::ostream& out, const ServerEvent& event);

/// The former name of ServerEvent (trap::Event is the hub's event).
using Event [[deprecated("use ServerEvent")]] = ServerEvent;

/// What shutdown() found.
struct ShutdownReport {
  /// Clients that had not closed their side of the connection when the
  /// server closed theirs (and did not before the deadline).
  std::vector<ClientInfo> unclosed;
  /// No client was left open.
  bool clean() const { return unclosed.empty(); }
  /// "unclean teardown: 1 client connection still open from
  /// 127.0.0.1:54321", or "" when clean.
  std::string describe() const;
  /// Member by member.
  bool operator==(const ShutdownReport&) const = default;
};

/// Prints describe(), or "clean teardown".
std::ostream& operator<<(std::ostream& out, const ShutdownReport& report);

/// How the server treats one client, to test a client's error handling
/// (MockWebServer's socket policies).
struct ClientPolicy {
  /// Wait this long before each write.
  std::chrono::milliseconds delay{0};
  /// Write at most this many bytes per second (0: no limit).
  std::size_t throttle_bytes_per_second = 0;
  /// Close the connection after writing this many bytes in all.
  std::optional<std::size_t> close_after_bytes{};
  /// End the connection with a reset (RST) rather than a clean close.
  bool reset = false;
  /// Stop reading what the client sends.
  bool stop_reading = false;
};

/// What is called with a server's events: a callable taking
/// `(Server&, const Event&)` (the server it runs on, as POE hands every
/// event's SENDER over) or `(const Event&)`. Empty by default. A TcpServer
/// takes a ServerHandler, a UdpServer a UdpHandler:
/// @code
/// trap::net::TcpServerOptions o;
/// o.handler = [](trap::net::TcpServer& s, const trap::net::ServerEvent& e) {
///   if (e.kind == "client_input") s.send_to_client(e.client, e.input);
/// };
/// @endcode
template <class Server, class Event>
class BasicHandler {
 public:
  BasicHandler() = default;
  /// No handler.
  BasicHandler(std::nullptr_t) {}
  /// @p fn, called with the server and the event.
  template <class F>
  requires std::invocable<F&, Server&, const Event&> BasicHandler(F fn) {
    if (present(fn)) fn_ = std::move(fn);
  }
  /// @p fn, called with the event.
  template <class F>
  requires(!std::invocable<F&, Server&, const Event&> && std::invocable<F&, const Event&>)
      BasicHandler(F fn) {
    if (present(fn)) fn_ = [fn = std::move(fn)](Server&, const Event& e) mutable { fn(e); };
  }
  /// Whether there is a callable.
  explicit operator bool() const { return static_cast<bool>(fn_); }
  /// Calls it. @throws what it throws, std::bad_function_call if empty.
  void operator()(Server& server, const Event& event) const { fn_(server, event); }

 private:
  // An empty std::function or a null pointer given is no handler.
  template <class F>
  static bool present(const F& fn) {
    if constexpr (std::is_pointer_v<F>)
      return fn != nullptr;
    else if constexpr (requires { fn.target_type(); })  // a std::function
      return static_cast<bool>(fn);
    else
      return true;
  }
  std::function<void(Server&, const Event&)> fn_;
};

class TcpServer;
/// What a TcpServer calls with its events (see BasicHandler).
using ServerHandler = BasicHandler<TcpServer, ServerEvent>;

/// Options of a TcpServer (POE's spawn arguments).
struct TcpServerOptions {
  /// Where to listen: "" or "localhost" for 127.0.0.1 and ::1, "any" for
  /// every address of both families, or one literal address.
  std::string address{};
  /// The port; 0: the system picks one (per family).
  std::uint16_t port = 0;
  /// The start of event names, followed by "_" unless it ends with one
  /// (POE's rule: "testd" and "testd_" both name "testd_connected"), and
  /// of diagnostics (without that "_": "testd: no client 7 ...").
  std::string prefix = "testd";
  /// The filter for both directions (POE's `filter`), unless one of the
  /// two below is set: a name, "line" (the default), "raw", "block", or a
  /// filter object, cloned per client.
  FilterChoice filter = "line";
  /// The filter for input, overriding `filter` (cloned per client).
  std::shared_ptr<const Filter> input_filter{};
  /// The filter for output, overriding `filter` (cloned per client).
  std::shared_ptr<const Filter> output_filter{};
  /// The largest message the default filters accept.
  std::size_t max_message = 1 << 20;
  /// The most output queued for one client; beyond it the client (which
  /// is not reading) is dropped with a client_error event.
  std::size_t max_queued = 64 << 20;
  /// Listen on IPv6 as well, where the address covers it.
  bool ipv6 = true;
  /// The most events the log keeps: beyond it the oldest go (log() and the
  /// wait_for_... helpers see the ones kept), so a long-running server's
  /// memory stays flat. Registrations and the handler see every event.
  std::size_t max_log = 100'000;
  /// Called on the server's thread for every event, after it is logged,
  /// with the server (or without: see ServerHandler). What it (or a
  /// registration) throws goes to std::cerr and TcpServer::handler_failures(); it serves on.
  ServerHandler handler{};
  /// Run on this context (its thread runs the handlers) instead of a thread
  /// of the server's own. It must outlive the server and be run by someone.
  boost::asio::io_context* context = nullptr;
};

/// A TCP server for tests: see the file's description.
class TcpServer {
 public:
  /// How long a wait_for_... helper waits by default.
  static constexpr std::chrono::milliseconds kDefaultWait{5000};

  /// Listens, and delivers the `registered` event before returning. A
  /// listener that cannot be set up gives a `listener_failed` event (see
  /// start_listener()). @throws trap::UsageError for bad options.
  explicit TcpServer(TcpServerOptions options = {});
  /// shutdown(), if it was not called.
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  /// The IPv4 listening port (0 if none).
  std::uint16_t port() const;
  /// The IPv6 listening port (0 if none).
  std::uint16_t port6() const;
  /// Address and port of the IPv4 listener.
  std::pair<std::string, std::uint16_t> getsockname() const;
  /// Address and port of the IPv6 listener.
  std::pair<std::string, std::uint16_t> getsockname6() const;
  /// Where a client reaches the IPv4 listener: "127.0.0.1:PORT" (a
  /// listener on every address answers on 127.0.0.1).
  /// @throws trap::UsageError if no IPv4 listener is up.
  std::string address() const;
  /// Where a client reaches the IPv6 listener: "[::1]:PORT".
  /// @throws trap::UsageError if no IPv6 listener is up (ipv6 is off, the
  /// address is IPv4, or the listener failed).
  std::string address6() const;

  /// Sends @p message to client @p id, through its output filter.
  ///
  /// A client may leave at any moment, between the event a test reacts to
  /// and its answer: a send to a client that is not connected (it left, or
  /// was never given that id) is no error, and returns false; its
  /// `disconnected` event, in the log, says why. Id 0, which events about
  /// no client carry, is a mistake in the test and throws.
  /// @returns whether the client was connected and the message queued
  /// (not if it passed max_queued, which drops the client).
  /// @throws trap::UsageError for id 0 or after shutdown(); FilterError if
  /// the output filter cannot encode the message (nothing is sent).
  bool send_to_client(ClientId id, std::string_view message);
  /// Sends each message to client @p id, as send_to_client() does; if
  /// the filter refuses one of them, none is sent.
  bool send_to_client(ClientId id, const std::vector<std::string>& messages);
  /// Sends the structured message @p parts to client @p id, through its output filter's
  /// put_parts() (POE's nested array ref), as send_to_client() does.
  bool send_parts_to_client(ClientId id, const Parts& parts);
  /// Sends @p message to every connected client. @returns how many (not one dropped for it:
  /// max_queued). @throws FilterError if a client's output filter cannot encode it: then no
  /// client is sent anything.
  std::size_t send_to_all_clients(std::string_view message);
  /// Sends each message to every connected client, all or nothing as above. @returns how many.
  std::size_t send_to_all_clients(const std::vector<std::string>& messages);
  /// Sends the structured message @p parts to every connected client, all
  /// or nothing as above. @returns how many.
  std::size_t send_parts_to_all_clients(const Parts& parts);
  /// Both ends of client @p id's connection. @throws trap::UsageError
  ClientInfo client_info(ClientId id) const;
  /// The ids of the connected clients.
  std::vector<ClientId> clients() const;
  /// Switches client @p id's filters (POE's client_wheel use); a null one
  /// is left as it is. @throws trap::UsageError
  void set_client_filter(ClientId id, std::unique_ptr<Filter> input,
                         std::unique_ptr<Filter> output = nullptr);
  /// Sets how the server treats client @p id from now on. @throws trap::UsageError
  void set_client_policy(ClientId id, const ClientPolicy& policy);
  /// Puts client @p id in pending-disconnect state, as POE does: the
  /// connection closes once its output is written, including output sent
  /// after this call (send a farewell, and it goes after it); the flush
  /// then gives a `disconnected` event instead of `client_flushed`. With
  /// nothing sent it stays open: terminate() closes at once.
  /// @throws trap::UsageError
  void disconnect(ClientId id);
  /// Closes client @p id's connection now, dropping queued output.
  /// @throws trap::UsageError
  void terminate(ClientId id);
  /// Closes every client connection now (httptest's
  /// CloseClientConnections): what each client had sent is read first
  /// (client_input), then its connection is closed (it reads an end of
  /// file) with a `disconnected` event; queued output is dropped. The
  /// server keeps listening. @returns how many connections it closed.
  /// @throws trap::UsageError after shutdown().
  std::size_t close_client_connections();
  /// Stops accepting connections (they wait in the backlog; no connected
  /// event) until resume_listening().
  void pause_listening();
  /// Accepts connections again.
  void resume_listening();
  /// Sets the listeners up again after a listener_failed event.
  /// @returns whether every listener is up.
  bool start_listener();
  /// Stops listening, closes every connection, and waits until the
  /// listeners and each connection are closed and every `disconnected`
  /// event is delivered. Clients get until @p deadline to close their side.
  /// Output sent before it is written first (then `client_flushed`, then
  /// our end of file), within the same deadline.
  /// Idempotent: later calls return the first report.
  ///
  /// A handler still running (nothing can stop one) holds shutdown() until
  /// it returns; past the deadline, and a second at least, shutdown() says
  /// so with trap::warn() ("testd: shutdown(): its 100 ms deadline has
  /// passed while a handler of client_input (client 1) still runs...").
  ///
  /// Once it returns, its thread is joined and its io_context (with its
  /// descriptors) destroyed. log(), the wait_for_... helpers and
  /// register_events() still work; the other functions throw
  /// trap::UsageError ("testd: the server has shut down").
  ///
  /// From a handler (as Test::POE::Server::TCP's synopsis, in its
  /// `disconnected` handler) it does not wait: it reads what has come from
  /// each client, and the report lists the clients whose end of file had
  /// not come yet; a nested call returns that report. The thread is joined
  /// by the next shutdown() from another thread, or by the destructor. Do
  /// not destroy the server from its own handler.
  ShutdownReport shutdown(std::chrono::milliseconds deadline = std::chrono::milliseconds(1000));

  /// Calls @p fn on the server's thread for each event named in @p events
  /// (without prefix, or "all"). As POE's `register`, a registration for
  /// "registered" (or "all") then gets a `registered` event of its own, on
  /// the server's thread (not logged: its sequence is 0; no other
  /// registration nor the handler sees it): before register_events()
  /// returns, or, called from a handler, after that handler (POE sends it
  /// whatever was registered for; a callback for other kinds would misread it).
  /// @returns a registration for unregister().
  /// @throws trap::UsageError for a name of no kind ("input"), as unregister_events().
  int register_events(const std::vector<std::string>& events, ServerHandler fn);
  /// Stops delivering @p events (all if empty) to registration @p id.
  void unregister_events(int id, const std::vector<std::string>& events = {});

  /// The next `connected` event not yet returned by this helper, waiting up
  /// to @p timeout for it.
  std::optional<ServerEvent> wait_for_connection(std::chrono::milliseconds timeout = kDefaultWait);
  /// The next `client_input` event (of client @p client, if given).
  std::optional<ServerEvent> wait_for_input(std::optional<ClientId> client = std::nullopt,
                                            std::chrono::milliseconds timeout = kDefaultWait);
  /// The next `disconnected` event (of client @p client, if given).
  std::optional<ServerEvent> wait_for_disconnection(
      std::optional<ClientId> client = std::nullopt,
      std::chrono::milliseconds timeout = kDefaultWait);
  /// The next event of kind @p kind (of client @p client, if given).
  /// @throws trap::UsageError for a name of no kind ("testd_client_input").
  std::optional<ServerEvent> wait_for(std::string_view kind,
                                      std::optional<ClientId> client = std::nullopt,
                                      std::chrono::milliseconds timeout = kDefaultWait);
  /// The events the log keeps (every one, up to max_log), in order.
  std::vector<ServerEvent> log() const;
  /// What the handler and registrations threw, in order (the first 100), as said on std::cerr:
  /// "testd: a handler of testd_client_input threw: boom" (no newline). Kept after shutdown().
  std::vector<std::string> handler_failures() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// One datagram a UdpServer received.
struct Datagram {
  std::string data;            ///< its bytes
  std::string peeraddr;        ///< the sender's address
  std::uint16_t peerport = 0;  ///< the sender's port
  std::uint64_t sequence = 0;  ///< its place in the log, from 1
  /// Member by member.
  bool operator==(const Datagram&) const = default;
};

/// Prints `datagram #1 from 127.0.0.1:5353 "data"`.
std::ostream& operator<<(std::ostream& out, const Datagram& datagram);

class UdpServer;
/// What a UdpServer calls with each datagram (see BasicHandler).
using UdpHandler = BasicHandler<UdpServer, Datagram>;

/// Options of a UdpServer.
struct UdpServerOptions {
  /// As TcpServerOptions::address: "" or "localhost" for 127.0.0.1 and ::1.
  std::string address{};
  /// The port; 0: the system picks one (per family).
  std::uint16_t port = 0;
  /// Listen on IPv6 as well, where the address covers it.
  bool ipv6 = true;
  /// Called on the server's thread for every datagram, after it is
  /// logged, with the server (to answer: `s.send_to(d.data, d.peeraddr,
  /// d.peerport)`) or without. What it throws is said on std::cerr; the
  /// server goes on.
  UdpHandler handler{};
  /// The most datagrams the log keeps (older ones dropped; sequence
  /// numbers go on). The handler sees every one.
  std::size_t max_log = 100'000;
};

/// A UDP server for tests: bound when constructed, logs every datagram
/// with its sender, sends datagrams, and is gone after shutdown() (or its
/// destructor): its sockets closed and its thread joined.
class UdpServer {
 public:
  /// Binds. @throws trap::UsageError for a bad address or a max_log of
  /// 0, std::system_error if a socket cannot be bound.
  explicit UdpServer(UdpServerOptions options = {});
  /// shutdown().
  ~UdpServer();
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  /// The IPv4 port (0 if none); after shutdown(), the one it had.
  std::uint16_t port() const;
  /// The IPv6 port (0 if none); after shutdown(), the one it had.
  std::uint16_t port6() const;
  /// Sends @p data to @p address : @p port from the matching socket.
  /// @throws trap::UsageError if there is no socket of that family, or
  /// after shutdown().
  void send_to(std::string_view data, const std::string& address, std::uint16_t port);
  /// The next datagram not yet returned by this helper (or the oldest kept),
  /// waiting up to @p timeout for it.
  std::optional<Datagram> wait_for_datagram(
      std::chrono::milliseconds timeout = TcpServer::kDefaultWait);
  /// Every datagram the log keeps (the newest max_log), in order.
  std::vector<Datagram> log() const;
  /// Closes the sockets, joins the thread and destroys the io_context (its
  /// descriptors): once it returns nothing of the server is left, but
  /// port(), log() and wait_for_datagram() still answer. Idempotent. From
  /// the handler it closes the sockets only; the next shutdown() from
  /// another thread, or the destructor, joins the thread. A handler still
  /// running holds it until the handler returns (nothing can stop one);
  /// after a second of that shutdown() says what it waits for with
  /// trap::warn().
  void shutdown();

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// The server of the `tcp_server` layer of @p t, for code that takes
/// trap::Trap&:
/// @code
/// auto r = trap::trap(":tcp_server", [](trap::Trap& t) {
///   auto& server = trap::net::server(t);
///   run_client("127.0.0.1", server.port());
/// });
/// r.test("received_is", 0, "HELLO");
/// @endcode
/// @throws trap::UsageError if @p t has no tcp_server layer.
TcpServer& server(Trap& t);

namespace detail {
/// Registers the `tcp_server` layer and its accessors (`received`,
/// `connections`, `teardown`) on the standard trapper; done by including
/// this header.
bool register_tcp_server_layer();
/// Makes every program that includes this header register the layer.
inline const bool tcp_server_layer_registered = register_tcp_server_layer();
}  // namespace detail

}  // namespace trap::net
