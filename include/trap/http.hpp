// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::http::Server: an HTTP/1.1 test server for tests of HTTP clients
/// (target trap::http, `find_package(trap COMPONENTS http)`), with Go's
/// httptest lifecycle, MockWebServer's queue and faults and WireMock's
/// request matching.
///
/// @code
/// trap::http::Server server;                         // listening when constructed
/// server.enqueue(trap::http::Response::text(200, "hello"));
/// std::string body = fetch(server.url() + "/greeting");  // the client under test
/// auto request = server.take_request();                 // what it sent, or nothing
/// assert(request && request->path == "/greeting");
/// auto report = server.shutdown();                      // and gone, really
/// assert(report.clean());
/// @endcode
///
/// A request is answered by the first of these that can: an expectation
/// that matches it (expect(), in the order they were added; an ordered one
/// only when those before it are met), the next queued response
/// (enqueue()), the handler (ServerOptions::handler). A request none of
/// them answers gets a 500 whose body says why (the closest expectation and
/// what differed) and is recorded in unmatched().
///
/// The server runs its sockets on an I/O thread of its own; every member
/// function may be called from any thread. Code stopped by an in-process
/// timeout (the `timeout` layer) while it waits in take_request() is
/// stopped there (20 ms late at most), and the server is left whole; the
/// other calls are trap's own code, which such a stop waits out. Its headers need neither
/// Boost.Asio nor Boost.Beast: both are compiled into trap::http only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <trap/trap.hpp>

namespace trap::http {

/// One header field as it came or goes, name and value.
struct Header {
  std::string name;   ///< as written ("Content-Type")
  std::string value;  ///< without surrounding white space
  /// Member by member (names compared as written).
  bool operator==(const Header&) const = default;
};

/// Header fields in the order they came; names are matched without regard
/// to case, as HTTP says.
class Headers {
 public:
  Headers() = default;
  /// From a list: `Headers{{"Accept", "text/plain"}}`.
  Headers(std::initializer_list<Header> fields) : fields_(fields) {}
  /// Adds a field at the end (a name may repeat).
  void add(std::string name, std::string value);
  /// Replaces every field of this name by one, or adds it.
  void set(std::string name, std::string value);
  /// The value of the first field of this name, if there is one.
  std::optional<std::string> get(std::string_view name) const;
  /// Every value of this name, in order.
  std::vector<std::string> get_all(std::string_view name) const;
  /// Whether a field of this name is present.
  bool contains(std::string_view name) const { return get(name).has_value(); }
  /// The fields, in order.
  const std::vector<Header>& fields() const { return fields_; }
  /// How many fields.
  std::size_t size() const { return fields_.size(); }
  /// Field by field, in order.
  bool operator==(const Headers&) const = default;

 private:
  std::vector<Header> fields_;
};

/// A request the server received, as it was logged.
struct Request {
  std::string method;            ///< "GET"
  std::string target;            ///< the request target as sent: "/users?id=1"
  std::string path;              ///< the target's path: "/users" (also for "http://host/users")
  std::string query;             ///< the target's query, without '?': "id=1"
  unsigned version = 11;         ///< 10 HTTP/1.0, 11 HTTP/1.1, 12 to 19 a later 1.x, read as 1.1
  Headers headers;               ///< in the order they came
  std::string body;              ///< the body, chunks joined
  bool chunked = false;          ///< whether the body came chunked
  std::string peeraddr;          ///< the client's address
  std::uint16_t peerport = 0;    ///< the client's port
  std::uint64_t connection = 0;  ///< the connection it came on (1, 2, ...)
  std::uint64_t sequence = 0;    ///< its place in the server's log, from 1
  /// The trailer fields that came after a chunked body, in the order they
  /// came (Go's Request.Trailer); they are not in `headers`.
  Headers trailers;
  /// The value of the first header of this name (any case), if any.
  std::optional<std::string> header(std::string_view name) const { return headers.get(name); }
  /// The first value of a query parameter, percent-decoded, if present.
  std::optional<std::string> query_param(std::string_view name) const;
  /// Member by member.
  bool operator==(const Request&) const = default;
};

/// Prints "GET /users?id=1 (connection 2, #5)", for BOOST_TEST_INFO and the
/// failures of BOOST_TEST(a == b); one whose request line never came (a
/// bad request without one, a failed TLS handshake in unmatched()) names
/// its client:
/// "no request line from 127.0.0.1:54321 (connection 3, #0)".
std::ostream& operator<<(std::ostream& out, const Request& request);

/// What goes wrong with a response on purpose (MockWebServer's
/// SocketPolicy), to test how a client copes.
enum class Fault {
  none,                  ///< the response is sent whole
  close_at_start,        ///< the connection is closed before the request is read
  close_after_request,   ///< the request is read, then the connection closed
  close_mid_body,        ///< half the body is sent, then the connection closed
  reset,                 ///< the connection is reset (RST) after the request
  no_response,           ///< the request is read and nothing is ever sent
  malformed_chunk,       ///< a chunked body whose chunk size is not hex
  wrong_content_length,  ///< Content-Length says more than the body has
};

/// Prints the fault's name ("close_mid_body").
std::ostream& operator<<(std::ostream& out, Fault fault);

/// A response the server sends, and how it sends it.
struct Response {
  int status = 200;               ///< the status code, 100 to 999
  Headers headers;                ///< extra headers; Content-Length is added unless chunked
  std::string body;               ///< the body
  bool chunked = false;           ///< send the body with Transfer-Encoding: chunked
  std::size_t chunk_size = 8192;  ///< the size of each chunk when chunked
  std::chrono::milliseconds headers_delay{0};  ///< wait before the status line
  std::chrono::milliseconds body_delay{0};     ///< wait between headers and body
  std::size_t throttle_bytes_per_second = 0;   ///< 0: as fast as the socket takes it
  Fault fault = Fault::none;                   ///< what goes wrong on purpose
  bool close = false;  ///< send Connection: close and close after the response

  /// A text/plain response.
  static Response text(int status, std::string body);
  /// An application/json response with this body (sent as given).
  static Response json(int status, std::string body);
  /// A response with a status and no body.
  static Response status_only(int status);
  /// This response with one header more (a builder for one-line answers).
  Response&& with_header(std::string name, std::string value) &&;
  /// Member by member.
  bool operator==(const Response&) const = default;
};

/// What a handler is given and returns: httptest's handler.
using Handler = std::function<Response(const Request&)>;

/// How a criterion of an expectation compares a part of a request.
enum class Compare {
  exact,    ///< byte for byte
  regex,    ///< the whole part matches a Perl-style regular expression (Boost.Regex)
  json,     ///< both parse as JSON and are equal (object key order ignored)
  present,  ///< the header or query parameter is there, whatever its value
  absent,   ///< the header or query parameter is not there
};

/// One condition on a request.
struct Criterion {
  /// What it looks at: "method", "path", "query" (one parameter: `name`),
  /// "header" (one field: `name`), "body".
  std::string part;
  std::string name;                  ///< the header or query parameter's name
  Compare compare = Compare::exact;  ///< how
  std::string value;                 ///< what it must be (unused for present, absent)
  /// Member by member.
  bool operator==(const Criterion&) const = default;
};

/// A request the test expects, how often, and how to answer it (WireMock's
/// stub with its verification, pytest-httpserver's expect_request).
///
/// @code
/// trap::http::Server server;
/// server.expect(trap::http::Expectation::post("/users")
///                   .with_header("Content-Type", "application/json")
///                   .with_json_body(R"({"name": "ada"})")
///                   .times(1)
///                   .respond(trap::http::Response::json(201, R"({"id": 7})")));
/// @endcode
class Expectation {
 public:
  /// Any method, this path.
  explicit Expectation(std::string path = {});
  /// Method GET (POST, PUT, DELETE, ...) and this exact path.
  static Expectation get(std::string path);
  static Expectation post(std::string path);   ///< @copydoc get
  static Expectation put(std::string path);    ///< @copydoc get
  static Expectation patch(std::string path);  ///< @copydoc get
  static Expectation del(std::string path);    ///< @copydoc get
  static Expectation head(std::string path);   ///< @copydoc get

  /// The method must be this ("GET").
  Expectation& method(std::string method);
  /// The path must match this regular expression, whole.
  Expectation& path_matching(std::string regex);
  /// A query parameter must have this value (percent-decoded).
  Expectation& with_query(std::string name, std::string value);
  /// A query parameter's value must match this regular expression.
  Expectation& with_query_matching(std::string name, std::string regex);
  /// A header must have this value.
  Expectation& with_header(std::string name, std::string value);
  /// A header's value must match this regular expression.
  Expectation& with_header_matching(std::string name, std::string regex);
  /// A header must be present (any value) or, with false, absent.
  Expectation& with_header_present(std::string name, bool present = true);
  /// The body must be exactly this.
  Expectation& with_body(std::string body);
  /// The body must match this regular expression, whole.
  Expectation& with_body_matching(std::string regex);
  /// The body must be JSON equal to this (object key order and white space
  /// ignored, numbers compared by value, strings after unescaping; of
  /// duplicate keys the last wins); throws trap::UsageError naming the
  /// error and its offset if `json` is not valid JSON (RFC 8259, strict).
  Expectation& with_json_body(std::string json);
  /// Any other condition.
  Expectation& where(Criterion criterion);

  /// Expected exactly once (the default).
  Expectation& once() { return times(1); }
  /// Expected exactly n times; a request beyond n is not matched by it.
  Expectation& times(std::size_t n);
  /// Expected any number of times, none included.
  Expectation& any();
  /// Matched only after every ordered expectation added before it is met.
  Expectation& ordered(bool in_order = true);

  /// Answers with this response (default: 200, empty body); throws
  /// trap::UsageError naming a status outside 100 to 999.
  Expectation& respond(Response response);
  /// Answers with what this handler returns.
  Expectation& respond_with(Handler handler);

  /// Its conditions, in the order they were added.
  const std::vector<Criterion>& criteria() const { return criteria_; }
  /// How many times it is expected (nullopt: any).
  std::optional<std::size_t> expected_times() const { return times_; }
  /// Whether it is ordered.
  bool is_ordered() const { return ordered_; }
  /// One line: "POST /users header Content-Type == application/json, times 1".
  std::string describe() const;
  /// The answer for a request it matched.
  Response answer(const Request& request) const;

 private:
  std::vector<Criterion> criteria_;
  std::optional<std::size_t> times_ = 1;
  bool ordered_ = false;
  Response response_{};
  Handler handler_{};
};

/// A request that nothing answered, and why.
struct Unmatched {
  Request request;  ///< the request
  /// Why: "no expectation matched GET /users; closest: GET /users header
  /// Accept == application/json, times 1: header Accept: expected
  /// "application/json", got "text/html"" (each criterion that differed,
  /// bodies cut at 200 bytes).
  std::string why;
  /// Member by member.
  bool operator==(const Unmatched&) const = default;
};

/// Prints the request and why, on one line.
std::ostream& operator<<(std::ostream& out, const Unmatched& unmatched);

/// An open connection, by both its ends.
struct ConnectionInfo {
  std::uint64_t id = 0;        ///< the connection's id (1, 2, ...)
  std::string peeraddr;        ///< the client's address
  std::uint16_t peerport = 0;  ///< the client's port
  /// Member by member.
  bool operator==(const ConnectionInfo&) const = default;
};

/// What shutdown() found left over. Clean when every expectation was met,
/// every queued response was taken, nothing was unmatched and the clients
/// had closed every connection.
struct ShutdownReport {
  std::vector<std::string> unmet;     ///< expectations not met, described
  std::size_t untaken_responses = 0;  ///< queued responses never sent
  std::vector<Unmatched> unmatched;   ///< requests nothing answered
  std::vector<ConnectionInfo> open;   ///< connections the clients held open
  /// Whether nothing was left over.
  bool clean() const {
    return unmet.empty() && untaken_responses == 0 && unmatched.empty() && open.empty();
  }
  /// One line per problem ("expectation not met: GET /users, times 1, seen
  /// 0"), or "clean".
  std::string describe() const;
  /// Member by member.
  bool operator==(const ShutdownReport&) const = default;
};

/// Prints describe().
std::ostream& operator<<(std::ostream& out, const ShutdownReport& report);

/// How a server is set up; every member has a default.
struct ServerOptions {
  /// Listen on this address only ("127.0.0.1", "::1"); empty: both
  /// 127.0.0.1 and ::1 (::1 skipped where IPv6 is off). An address that
  /// is not loopback ("0.0.0.0", "::") is a trap::UsageError.
  std::string address{};
  /// Answers what no expectation or queued response does. What it throws,
  /// or an answer whose status is outside 100 to 999, is answered 500 and
  /// recorded in Server::unmatched().
  Handler handler{};
  /// A larger header block gets 431. Empty lines before a request line
  /// are ignored (RFC 9112, 2.2), up to this many bytes of them: more get
  /// 400, as does a chunk-size line of a chunked body longer than this,
  /// or its trailer (the fields after the last chunk, as Go's net/http
  /// refuses a "suspiciously long trailer").
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 8 * 1024 * 1024;  ///< a larger body gets 413
  /// A client that has not sent a whole header block in this time gets
  /// 408 and is closed (slowloris), as does one whose body stops coming:
  /// no byte of it in this time (a Content-Length body short of its
  /// length, a chunked body without its last chunk); either is recorded
  /// in Server::unmatched(). A connection that sent nothing at all in
  /// this time (a new one, or a keep-alive one between requests) is
  /// closed without an answer.
  std::chrono::milliseconds header_timeout{5000};
  /// Requests kept in the log (older ones dropped); 0 is a trap::UsageError.
  std::size_t max_log = 100'000;
  /// Serve HTTPS (see Server::tls()); the server's PKI is made at start
  /// and the constructor throws trap::TrapError if it cannot be.
  bool tls = false;
};

/// An HTTP/1.1 server on port 0 of 127.0.0.1 and ::1, for tests.
class Server {
 public:
  /// How long the waiting calls wait when given no timeout.
  static constexpr std::chrono::milliseconds kDefaultWait{5000};

  /// Listens when constructed; throws trap::TrapError if it cannot.
  explicit Server(ServerOptions options = {});
  /// A server serving HTTPS with a certificate made at start for
  /// 127.0.0.1, ::1 and localhost, signed by a CA made for it alone
  /// (httptest.NewTLSServer); ca_pem() is what a client must trust.
  /// `options` as for the constructor, with `tls` set. A handshake that
  /// fails, or does not come within ServerOptions::header_timeout, is
  /// recorded in unmatched() ("tls handshake: ...") and its connection
  /// closed; a client that connects and leaves without a word is not. A
  /// client that sends plain HTTP gets Go's answer, "HTTP/1.0 400 Bad
  /// Request" with the body "Client sent an HTTP request to an HTTPS
  /// server.", unencrypted, and is closed and recorded so.
  static Server tls(ServerOptions options = {});
  /// Shuts down if shutdown() was not called.
  ~Server();
  /// Takes the other's server (a moved-from Server may only be destroyed
  /// or assigned to).
  Server(Server&&) noexcept;
  /// Shuts this one down if it runs, then takes the other's.
  Server& operator=(Server&&) noexcept;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// "http://127.0.0.1:PORT" ("https://..." under TLS).
  std::string url() const;
  /// "http://[::1]:PORT6"; throws trap::TrapError when not listening on ::1.
  std::string url6() const;
  /// The IPv4 port (0 when not listening on 127.0.0.1).
  std::uint16_t port() const;
  /// The IPv6 port (0 when not listening on ::1).
  std::uint16_t port6() const;
  /// Under TLS: the CA certificate in PEM, for the client to trust;
  /// throws trap::UsageError ("not a TLS server") on a plain server.
  std::string ca_pem() const;
  /// Under TLS: a file holding ca_pem() (curl --cacert), removed when the
  /// server is destroyed; throws trap::UsageError on a plain server.
  std::filesystem::path ca_file() const;

  /// Queues a response for the next request no expectation answers;
  /// throws trap::UsageError naming a status outside 100 to 999.
  void enqueue(Response response);
  /// Adds an expectation; returns its index (0, 1, ...).
  std::size_t expect(Expectation expectation);
  /// How many requests expectation `index` has answered.
  std::size_t matched_count(std::size_t index) const;
  /// Expectations not yet met, described (WireMock's verify).
  std::vector<std::string> unmet() const;

  /// The oldest request not yet taken, waiting at most `timeout` for one
  /// (`std::chrono::milliseconds::max()`: as long as it takes).
  std::optional<Request> take_request(std::chrono::milliseconds timeout = kDefaultWait);
  /// How many requests have been received.
  std::size_t request_count() const;
  /// Every request received, in order (also those taken).
  std::vector<Request> requests() const;
  /// Requests nothing answered, and why.
  std::vector<Unmatched> unmatched() const;

  /// Closes every connection now (idle or not); returns how many.
  std::size_t close_client_connections();
  /// Stops accepting, lets in-flight requests finish, closes idle
  /// connections, waits up to `deadline` (`milliseconds::max()`: as long
  /// as it takes) for clients to close the others,
  /// joins the server's thread and reports what was left. A handler runs
  /// on the server's thread and cannot be stopped: one still running holds
  /// shutdown() until it returns, whatever the deadline (as httptest's
  /// Close waits for its handlers), and once the deadline has passed (and
  /// a second at least: a handler merely finishing is no news) shutdown()
  /// says what it waits for with trap::warn() ("...its 100 ms deadline has
  /// passed while a handler still answers GET /slow..."). Once it returns
  /// (from any thread but the server's own), every descriptor of the
  /// server and its thread are gone; the log and the waits still answer.
  ShutdownReport shutdown(std::chrono::milliseconds deadline = std::chrono::milliseconds(1000));

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The server of the `http_server(...)` layer of a trap running now (or
/// the last one run on this thread); throws trap::UsageError otherwise.
Server& server(Trap& t);

namespace detail {
/// Registers the `http_server` layer and its accessors (`requests`,
/// `unmatched`, `teardown`) on the standard trapper; done by including
/// this header.
bool register_http_server_layer();
/// Makes every program that includes this header register the layer.
inline const bool http_server_layer_registered = register_http_server_layer();
}  // namespace detail

}  // namespace trap::http

/// trap::http::Request comes back from a forked child whole: the
/// `http_server` layer under `fork` (`:http_server:fork`) gives its
/// `requests` as Request values there too.
template <>
struct trap::codec<trap::http::Request> {
  /// Every member, in order.
  static std::string encode(const trap::http::Request& request);
  /// What encode() wrote. @throws std::invalid_argument otherwise.
  static trap::http::Request decode(std::string_view bytes);
};

/// trap::http::Unmatched too (the `unmatched` accessor under `fork`).
template <>
struct trap::codec<trap::http::Unmatched> {
  /// Why, then the request.
  static std::string encode(const trap::http::Unmatched& unmatched);
  /// What encode() wrote. @throws std::invalid_argument otherwise.
  static trap::http::Unmatched decode(std::string_view bytes);
};
