// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::smtp::Server: an ESMTP test server for tests of programs that send
/// mail (target trap::smtp, `find_package(trap COMPONENTS smtp)`), with
/// aiosmtpd's controller lifecycle, Mailpit's capture and GreenMail's
/// scripted failures.
///
/// @code
/// trap::smtp::Server server;                       // listening when constructed
/// send_report("127.0.0.1", server.port());         // the code under test
/// auto message = server.take_message();            // what it sent, or nothing
/// assert(message && message->rcpt_to == std::vector<std::string>{"ops@example.com"});
/// assert(message->header("Subject") == "nightly report");
/// assert(server.shutdown().clean());               // and gone, really
/// @endcode
///
/// The server speaks ESMTP (RFC 5321) on 127.0.0.1 and ::1: EHLO and HELO,
/// MAIL, RCPT, DATA, RSET, NOOP, VRFY, HELP, QUIT, with PIPELINING, SIZE,
/// 8BITMIME, SMTPUTF8 and ENHANCEDSTATUSCODES; STARTTLS (RFC 3207) with a
/// certificate made at start, as trap::http's HTTPS; AUTH PLAIN and LOGIN
/// (RFC 4954) against configured credentials. A test scripts the replies it
/// wants instead of the server's own (a 550 for one recipient, a 451, a 421
/// that closes, a drop in the middle of DATA) with reply().
///
/// The server runs its sockets on an I/O thread of its own; every member
/// function may be called from any thread. Code stopped by an in-process
/// timeout (the `timeout` layer) while it waits in take_message() is
/// stopped there (20 ms late at most), and the server is left whole. Its
/// header needs no Boost.Asio.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <trap/trap.hpp>

namespace trap::smtp {

/// One header field of a message, unfolded.
struct Header {
  std::string name;   ///< as written ("Subject")
  std::string value;  ///< unfolded, without surrounding white space
  /// Member by member.
  bool operator==(const Header&) const = default;
};

/// A message the server accepted (the end of its DATA answered 250), with
/// its envelope and the session it came on.
struct Message {
  std::string mail_from;                 ///< the reverse-path, without <> ("" for <>)
  std::vector<std::string> mail_params;  ///< MAIL's parameters as sent ("SIZE=120")
  std::vector<std::string> rcpt_to;      ///< the accepted forward-paths, without <>
  /// The content as the client meant it: dot-unstuffed, line ends as they
  /// came, without the terminating ".". Only CR LF ends an SMTP line: a
  /// bare LF is content, so is a "." after one (only `<CRLF>.<CRLF>` ends
  /// the data, RFC 5321), and a dot is unstuffed only where a CR LF line
  /// starts.
  std::string data;
  std::vector<Header> headers;  ///< the header fields of `data`, in order
  std::string body;             ///< what follows the header block's empty line
  std::string body_type;        ///< MAIL's BODY= ("8BITMIME", "7BIT"), "" if not given
  std::string helo;             ///< the name the client gave to EHLO or HELO
  bool esmtp = false;           ///< whether it said EHLO (not HELO)
  bool tls = false;             ///< whether the session was under STARTTLS
  std::string auth_user;        ///< who authenticated the session, "" if nobody
  std::string peeraddr;         ///< the client's address
  std::uint16_t peerport = 0;   ///< the client's port
  std::uint64_t session = 0;    ///< the session it came on (1, 2, ...)
  std::uint64_t sequence = 0;   ///< its place in the server's log, from 1
  /// The value of the first header field of this name (any case), if any.
  std::optional<std::string> header(std::string_view name) const;
  /// Member by member.
  bool operator==(const Message&) const = default;
};

/// Prints "<from> -> <to>, <to> "Subject" (session 2, #5)".
std::ostream& operator<<(std::ostream& out, const Message& message);

/// The points of a session a scripted reply can answer.
enum class Command {
  connect,   ///< the greeting, before the client says anything
  helo,      ///< HELO
  ehlo,      ///< EHLO
  mail,      ///< MAIL FROM
  rcpt,      ///< RCPT TO
  data,      ///< the DATA command itself (its 354)
  message,   ///< the end of a message's data (the final ".")
  rset,      ///< RSET
  noop,      ///< NOOP
  vrfy,      ///< VRFY
  quit,      ///< QUIT
  starttls,  ///< STARTTLS
  auth,      ///< AUTH (its final answer)
};

/// Prints the command's name ("rcpt").
std::ostream& operator<<(std::ostream& out, Command command);

/// What happens after a scripted reply.
enum class After {
  go_on,  ///< the session goes on
  close,  ///< the connection is closed once the reply is sent (a 421)
  /// The connection is closed with no reply at all; on Command::data, the
  /// 354 is sent and the connection closed once `drop_after_bytes` of the
  /// message's content have come: a drop in the middle of DATA.
  drop,
};

/// A reply the test wants in place of the server's own, the next time (or
/// the next `count` times, or every time) a command comes whose argument
/// contains `argument`.
///
/// A reply of class 2 or 3 lets the command take effect as usual (a 250
/// to RCPT adds the recipient, a 354 to DATA starts the data); one of class
/// 4 or 5 refuses it: the session's state stays as it was, and a message
/// refused at its end is not recorded.
///
/// @code
/// trap::smtp::Server server;
/// using trap::smtp::Command, trap::smtp::Reply;
/// server.reply(Reply::on(Command::rcpt, "nobody@").with(550, "5.1.1 no such user"));
/// server.reply(Reply::on(Command::mail).with(421, "4.3.2 bye").then_close());
/// server.reply(Reply::on(Command::data).drop(64));
/// @endcode
struct Reply {
  Command command = Command::connect;    ///< what it answers
  std::string argument;                  ///< must be in the argument (any case); "": any
  int code = 250;                        ///< the reply code (200 to 599)
  std::string text;                      ///< the text after the code ("5.1.1 no such user")
  After after = After::go_on;            ///< what happens next
  std::size_t drop_after_bytes = 0;      ///< for a drop on Command::data
  std::optional<std::size_t> count = 1;  ///< how many times it answers (nullopt: always)

  /// A reply to `command` when its argument contains `argument`.
  static Reply on(Command command, std::string argument = {});
  /// With this code and text; throws trap::UsageError for a code outside 200..599.
  Reply& with(int code, std::string text);
  /// The connection is closed once the reply is sent.
  Reply& then_close();
  /// The connection is closed with no reply (on Command::data: after the
  /// 354 and `after_bytes` of content).
  Reply& drop(std::size_t after_bytes = 0);
  /// Answers the next n matching commands.
  Reply& times(std::size_t n);
  /// Answers every matching command.
  Reply& always();
  /// "rcpt containing \"nobody@\": 550 5.1.1 no such user, times 1".
  std::string describe() const;
  /// Member by member.
  bool operator==(const Reply&) const = default;
};

/// A user AUTH accepts.
struct Credentials {
  std::string user;      ///< the authentication identity
  std::string password;  ///< its password
  /// Member by member.
  bool operator==(const Credentials&) const = default;
};

/// A session, by both its ends.
struct SessionInfo {
  std::uint64_t id = 0;        ///< the session's id (1, 2, ...)
  std::string peeraddr;        ///< the client's address
  std::uint16_t peerport = 0;  ///< the client's port
  /// Member by member.
  bool operator==(const SessionInfo&) const = default;
};

/// Something a client did wrong (a bad command, one out of order, a line
/// or a message over a limit, a session that ended without QUIT), what it
/// was answered and why.
struct Problem {
  SessionInfo session;  ///< where
  std::string input;    ///< the offending line, cut at 200 bytes ("" for an end)
  int code = 0;         ///< the reply sent (0: none, the connection was closed)
  std::string why;      ///< "RCPT before MAIL", "closed in DATA after 120 bytes"
  /// Member by member.
  bool operator==(const Problem&) const = default;
};

/// Prints "session 3 (127.0.0.1:40122): RCPT before MAIL: 503 on \"RCPT TO:<a@b>\"".
std::ostream& operator<<(std::ostream& out, const Problem& problem);

/// What shutdown() found left over. Clean when no client did anything
/// wrong, every scripted reply was used and the clients had closed every
/// session.
struct ShutdownReport {
  std::vector<Problem> problems;     ///< what the clients did wrong (the newest max_log)
  std::size_t problems_dropped = 0;  ///< the older problems not kept (ServerOptions::max_log)
  std::vector<std::string> unused;   ///< scripted replies not used up, described
  std::vector<SessionInfo> open;     ///< sessions still open at the end
  /// Whether nothing was left over.
  bool clean() const {
    return problems.empty() && problems_dropped == 0 && unused.empty() && open.empty();
  }
  /// One line per thing left over ("problem: 12 earlier problems dropped
  /// (max_log)" first when some were not kept), or "clean".
  std::string describe() const;
  /// Member by member.
  bool operator==(const ShutdownReport&) const = default;
};

/// Prints describe().
std::ostream& operator<<(std::ostream& out, const ShutdownReport& report);

/// How a server is set up; every member has a default.
struct ServerOptions {
  /// Listen on this address only: a loopback one ("127.0.0.1", "::1",
  /// another of 127.0.0.0/8); empty: both 127.0.0.1 and ::1 (::1 skipped
  /// where IPv6 is off). Any other ("0.0.0.0", "::") is a trap::UsageError.
  std::string address{};
  std::string hostname = "trap.test";  ///< the name in the greeting and EHLO
  /// The SIZE the server announces; a larger MAIL SIZE= or message gets 552.
  std::size_t max_message_bytes = 10 * 1024 * 1024;
  /// The longest line, its CRLF included (RFC 5321: 1000 for text); a
  /// command line is held to RFC 5321's 512 too (after EHLO, MAIL's to 564
  /// and, where AUTH is offered, 1064: what its extensions' parameters may
  /// add), or to this limit if it is lower. A longer line gets 500.
  std::size_t max_line_bytes = 1000;
  std::size_t max_recipients = 100;  ///< more RCPTs get 452
  /// Offer STARTTLS with a certificate made at start for 127.0.0.1, ::1
  /// and localhost, signed by a CA made for this server alone (ca_pem());
  /// the constructor throws trap::TrapError if it cannot be made.
  bool starttls = false;
  bool require_tls = false;  ///< MAIL before STARTTLS gets 530
  /// Users AUTH PLAIN and LOGIN accept; AUTH is offered when not empty.
  std::vector<Credentials> credentials{};
  bool require_auth = false;  ///< MAIL before AUTH gets 530
  /// A session silent this long gets 421 and is closed (a problem).
  std::chrono::milliseconds idle_timeout{30000};
  /// The most messages the log keeps, and the most problems kept: beyond
  /// it the oldest go (message_count() and problem_count() count them), so
  /// a long-running server's memory stays flat.
  std::size_t max_log = 100'000;
};

/// An ESMTP server on port 0 of 127.0.0.1 and ::1, for tests.
class Server {
 public:
  /// How long the waiting calls wait when given no timeout.
  static constexpr std::chrono::milliseconds kDefaultWait{5000};

  /// Listens when constructed; throws trap::UsageError for options that
  /// cannot work (an `address` that is not one or not a loopback one,
  /// `max_line_bytes` under 8, a `max_log` of 0,
  /// an `idle_timeout` not positive, `require_auth` without `credentials`,
  /// `require_tls` without `starttls`) and trap::TrapError if it cannot
  /// listen or make its certificate.
  explicit Server(ServerOptions options = {});
  /// Shuts down if shutdown() was not called.
  ~Server();
  /// Takes the other's server (a moved-from Server may only be destroyed
  /// or assigned to).
  Server(Server&&) noexcept;
  /// Shuts this one down if it runs, then takes the other's.
  Server& operator=(Server&&) noexcept;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// "127.0.0.1" (or the one address it listens on).
  std::string host() const;
  /// The IPv4 port (0 when not listening on 127.0.0.1).
  std::uint16_t port() const;
  /// The IPv6 port (0 when not listening on ::1).
  std::uint16_t port6() const;
  /// "smtp://127.0.0.1:PORT", for curl.
  std::string url() const;
  /// With STARTTLS: the CA certificate in PEM, what a client must trust;
  /// throws trap::UsageError ("STARTTLS is not offered") otherwise.
  std::string ca_pem() const;
  /// With STARTTLS: a file holding ca_pem() (curl --cacert), removed with
  /// the server; throws trap::UsageError otherwise.
  std::filesystem::path ca_file() const;

  /// Scripts a reply (see Reply); replies are tried in the order added.
  void reply(Reply reply);
  /// Scripted replies not used up, described.
  std::vector<std::string> unused_replies() const;

  /// The oldest message not yet taken, waiting at most `timeout` for one.
  std::optional<Message> take_message(std::chrono::milliseconds timeout = kDefaultWait);
  /// How many messages have been accepted.
  std::size_t message_count() const;
  /// Every message the log keeps (the newest ServerOptions::max_log), in
  /// order, also those taken.
  std::vector<Message> messages() const;
  /// What the clients did wrong, in order: the newest ServerOptions::max_log.
  std::vector<Problem> problems() const;
  /// How many problems there have been, those dropped from problems() included.
  std::size_t problem_count() const;
  /// How many sessions have been opened.
  std::size_t session_count() const;

  /// Closes every session now; returns how many.
  std::size_t close_client_connections();
  /// Stops accepting (a client whose connect() has returned is still a
  /// session), lets a session finish the command it is in, waits up
  /// to `deadline` for the clients to QUIT and close, tells the sessions
  /// left `421 4.3.2` (under TLS, then close_notify) and closes them, joins
  /// the server's thread and reports what was left.
  ShutdownReport shutdown(std::chrono::milliseconds deadline = std::chrono::milliseconds(1000));

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// The server of the `smtp_server(...)` layer of a trap running now (or
/// the last one run on this thread); throws trap::UsageError otherwise.
Server& server(Trap& t);

namespace detail {
/// Registers the `smtp_server` layer and its accessors (`messages`,
/// `problems`, `teardown`) on the standard trapper; done by including this
/// header.
bool register_smtp_server_layer();
/// Makes every program that includes this header register the layer.
inline const bool smtp_server_layer_registered = register_smtp_server_layer();
}  // namespace detail

}  // namespace trap::smtp
