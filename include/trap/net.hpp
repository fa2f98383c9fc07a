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
/// The server runs its sockets on an I/O thread of its own (or on an
/// io_context you pass, whose thread then runs its handlers); every member
/// function is safe to call from the test's thread and waits until the
/// server has done what it says. Events (connected, client_input, ...) are
/// logged in order, delivered to the handler and to registered callbacks on
/// the server's thread, and can be waited for from the test's thread with a
/// timeout that returns nothing rather than hanging.
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
/// `r.test("teardown_like", "^unclean")`. While the trap runs,
/// the environment has TRAP_TCP_SERVER_PORT (and _PORT6) for programs
/// started by trap::run.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <trap/trap.hpp>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace trap::net {

/// The id the server gives a client connection (1, 2, ...; never reused).
using ClientId = std::uint64_t;

/// Thrown for a message a filter cannot decode or encode (too long, bad
/// framing): the client that sent it is dropped with a client_error event.
struct FilterError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// How bytes on a connection become messages and back (POE::Filter).
/// One instance per connection and direction: it may keep state.
class Filter {
 public:
  virtual ~Filter() = default;
  /// Takes bytes read from the client; returns the messages they complete.
  /// @throws FilterError for input it cannot accept.
  virtual std::vector<std::string> get(std::string_view bytes) = 0;
  /// The bytes that send @p message.
  virtual std::string put(std::string_view message) = 0;
  /// A new filter of the same kind and settings, with no state.
  virtual std::unique_ptr<Filter> clone() const = 0;
};

/// Lines (the default): input split at "\n", a "\r\n" taken as one end of
/// line, ends removed; output gets "\n". A line longer than @p max_line
/// bytes is a FilterError.
std::unique_ptr<Filter> line_filter(std::size_t max_line = 1 << 20);
/// Raw stream: every read is one message, byte for byte; output as is.
std::unique_ptr<Filter> raw_filter();
/// Length-prefixed blocks: a message is its length in decimal, a NUL, then
/// its bytes (POE::Filter::Block's default format). A block longer than
/// @p max_block bytes is a FilterError.
std::unique_ptr<Filter> block_filter(std::size_t max_block = 1 << 20);
/// The filter named @p name: "line", "raw" or "block".
/// @throws trap::UsageError for another name.
std::unique_ptr<Filter> filter_named(std::string_view name);

/// Both ends of a client connection (POE's client_info).
struct ClientInfo {
  std::string peeraddr;        ///< the client's address
  std::uint16_t peerport = 0;  ///< the client's port
  std::string sockaddr;        ///< our address
  std::uint16_t sockport = 0;  ///< our port
};

/// Something that happened on the server, in the order it happened.
struct ServerEvent {
  /// "registered", "connected", "disconnected", "client_input",
  /// "client_flushed", "client_error", "listener_failed".
  std::string kind;
  /// The kind with the server's prefix, as POE names it: "testd_connected".
  std::string name;
  ClientId client = 0;         ///< the client it is about (0: none)
  std::string input;           ///< client_input: one message, as the filter cut it
  ClientInfo info;             ///< connected, disconnected: both ends
  std::string operation;       ///< listener_failed, client_error: what failed
  int error = 0;               ///< listener_failed: errno
  std::string message;         ///< listener_failed, client_error: what went wrong
  std::uint64_t sequence = 0;  ///< its place in the log, from 1
};

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
};

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

/// Options of a TcpServer (POE's spawn arguments).
struct TcpServerOptions {
  /// Where to listen: "" or "localhost" for 127.0.0.1 and ::1, "any" for
  /// every address of both families, or one literal address.
  std::string address{};
  /// The port; 0: the system picks one (per family).
  std::uint16_t port = 0;
  /// The start of event names and of diagnostics.
  std::string prefix = "testd";
  /// The filter for both directions, unless one of the two below is set.
  std::string filter = "line";
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
  /// Called on the server's thread for every event, after it is logged.
  std::function<void(const ServerEvent&)> handler{};
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

  /// Sends @p message to client @p id, through its output filter.
  /// @throws trap::UsageError naming the id if there is no such client.
  void send_to_client(ClientId id, std::string_view message);
  /// Sends each message to client @p id.
  void send_to_client(ClientId id, const std::vector<std::string>& messages);
  /// Sends @p message to every connected client.
  void send_to_all_clients(std::string_view message);
  /// Sends each message to every connected client.
  void send_to_all_clients(const std::vector<std::string>& messages);
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
  /// Idempotent: later calls return the first report.
  ///
  /// Once it returns, nothing of the server is left: its thread is joined
  /// and its io_context (with its descriptors) destroyed. log(), the
  /// wait_for_... helpers and register_events() still work; the other
  /// functions throw trap::UsageError ("testd: the server has shut down").
  ///
  /// From a handler (the server's thread, which cannot wait for itself nor
  /// join itself; Test::POE::Server::TCP's synopsis shuts down in its
  /// `disconnected` handler) it does not wait: it reads what has come from
  /// each client, and the report lists the clients whose end of file had
  /// not come yet. The thread ends after the handler returns and is joined
  /// by the next shutdown() from another thread, or by the destructor.
  /// Do not destroy the server from its own handler.
  ShutdownReport shutdown(std::chrono::milliseconds deadline = std::chrono::milliseconds(1000));

  /// Calls @p fn on the server's thread for each event named in @p events
  /// (without prefix, or "all"). @returns a registration for unregister().
  int register_events(const std::vector<std::string>& events,
                      std::function<void(const ServerEvent&)> fn);
  /// Stops delivering @p events (all of them if empty) to registration @p id.
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
  std::optional<ServerEvent> wait_for(std::string_view kind,
                                      std::optional<ClientId> client = std::nullopt,
                                      std::chrono::milliseconds timeout = kDefaultWait);
  /// The events the log keeps (every one, up to max_log), in order.
  std::vector<ServerEvent> log() const;

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
};

/// Options of a UdpServer.
struct UdpServerOptions {
  /// As TcpServerOptions::address: "" or "localhost" for 127.0.0.1 and ::1.
  std::string address{};
  /// The port; 0: the system picks one (per family).
  std::uint16_t port = 0;
  /// Listen on IPv6 as well, where the address covers it.
  bool ipv6 = true;
  /// Called on the server's thread for every datagram, after it is logged.
  std::function<void(const Datagram&)> handler{};
};

/// A UDP server for tests: bound when constructed, logs every datagram
/// with its sender, sends datagrams, and is gone after shutdown() (or its
/// destructor): its sockets closed and its thread joined.
class UdpServer {
 public:
  /// Binds. @throws trap::UsageError for a bad address,
  /// std::system_error if a socket cannot be bound.
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
  /// The next datagram not yet returned by this helper, waiting up to
  /// @p timeout for it.
  std::optional<Datagram> wait_for_datagram(
      std::chrono::milliseconds timeout = TcpServer::kDefaultWait);
  /// Every datagram so far, in order.
  std::vector<Datagram> log() const;
  /// Closes the sockets, joins the thread and destroys the io_context (its
  /// descriptors): once it returns nothing of the server is left, but
  /// port(), log() and wait_for_datagram() still answer. Idempotent. From
  /// the handler it closes the sockets only; the next shutdown() from
  /// another thread, or the destructor, joins the thread.
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
