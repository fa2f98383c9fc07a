// SPDX-License-Identifier: BSL-1.0
// One SMTP session as a state machine over bytes: no socket, no thread, no
// Boost.Asio. The server's connection feeds it what it reads and sends what
// it says; everything the protocol decides (replies, the envelope, DATA and
// its dot-unstuffing, the limits, AUTH, when to start TLS or close) is
// decided here, so that it can be tested and fuzzed without a network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <trap/smtp.hpp>

namespace trap::smtp::detail {

/// What a session asks of its server.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  /// The first scripted reply for `command` whose argument matches, used
  /// up by this call (the server keeps the count); nullopt: none.
  virtual std::optional<Reply> scripted(Command command, std::string_view argument) = 0;
  /// A message whose end of data is being answered 250: logged, its
  /// sequence set. Called before the 250 is queued.
  virtual void accepted(Message message) = 0;
  /// Something the client did wrong.
  virtual void problem(Problem problem) = 0;
};

/// What the connection must do after a call: send `out` (replies, CRLF
/// ended), then, in this order, start TLS or close.
struct Actions {
  std::string out;
  /// Start the TLS handshake once `out` is sent; then call tls_started().
  bool start_tls = false;
  /// Close the connection once `out` is sent (out may be empty: a drop).
  bool close = false;
};

/// Who the session is and what the server offers it.
struct SessionSetup {
  SessionInfo info;
  const ServerOptions* options = nullptr;  // outlives the session
  bool tls_available = false;              // STARTTLS can be offered
};

class Session {
 public:
  Session(SessionSetup setup, SessionHost& host);

  /// The greeting ("220 trap.test ESMTP trap"), or a scripted
  /// Command::connect reply.
  void open(Actions& actions);
  /// Bytes read from the client. Whole lines are handled at once (a
  /// pipelined batch gives every reply in one `out`); a partial line waits
  /// for the rest. Once `start_tls` or `close` is set, nothing more is
  /// handled and the rest of the bytes is dropped (RFC 3207: what was
  /// pipelined after STARTTLS is not trusted).
  void feed(std::string_view bytes, Actions& actions);
  /// The handshake succeeded: the session starts over (RFC 3207 4.2: no
  /// HELO, no envelope), under TLS.
  void tls_started();
  /// The client closed the connection (or it failed): a problem unless the
  /// session said QUIT or was being closed by the server; a message in
  /// DATA is discarded ("closed in DATA after N bytes").
  void end();
  /// The connection was silent for ServerOptions::idle_timeout: a 421 and
  /// close, and a problem.
  void idle_timeout(Actions& actions);
  /// The server is shutting down: a 421 and close.
  void shutting_down(Actions& actions);

  /// Whether it waits for a command with no transaction begun (between
  /// messages, or before MAIL): the server may close it at shutdown.
  bool idle() const;
  /// Whether QUIT was answered.
  bool quit() const { return quit_; }
  const SessionInfo& info() const { return setup_.info; }

 private:
  // What the next line is: a command, a line of DATA's content, or an
  // answer to an AUTH challenge.
  enum class State { command, data, auth_plain, auth_login_user, auth_login_password };
  // MAIL's envelope, from MAIL to the end of its DATA (or RSET).
  struct Transaction {
    bool begun = false;
    std::string mail_from;
    std::vector<std::string> mail_params;
    std::string body_type;
    std::vector<std::string> rcpt_to;
  };
  // DATA's content as it comes.
  struct Content {
    std::string data;      // dot-unstuffed, at most max_message_bytes and a line
    std::size_t size = 0;  // its whole size, kept or not
    std::size_t raw = 0;   // the bytes read since the 354
    bool line_too_long = false;
    std::optional<std::size_t> drop_after;  // a scripted drop in the middle
  };

  // session.cpp: lines, commands, replies.
  bool stopped(const Actions& actions) const;
  void take(std::string_view piece, Actions& actions);
  void line(Actions& actions);
  std::size_t line_limit(std::string_view line) const;
  void command(std::string_view line, Actions& actions);
  bool simple_command(std::string_view verb, std::string_view line, std::string_view argument,
                      Actions& actions);
  void helo(std::string_view line, std::string_view name, bool esmtp, Actions& actions);
  std::string ehlo_reply(std::string_view name) const;
  bool offers(std::string_view verb) const;
  void help(std::string_view line, std::string_view argument, Actions& actions);
  void quit(std::string_view line, std::string_view argument, Actions& actions);
  void starttls(std::string_view line, std::string_view argument, Actions& actions);
  void send(Actions& actions, int code, std::string_view text) const;
  void refuse(Actions& actions, std::string_view line, int code, std::string_view text,
              std::string why);
  void problem(std::string_view input, int code, std::string why);
  bool respond(Command command, std::string_view argument, int code, std::string_view own,
               Actions& actions);
  bool respond(const std::optional<Reply>& scripted, int code, std::string_view own,
               Actions& actions);
  void close(Actions& actions);
  const ServerOptions& options() const { return *setup_.options; }
  // session_mail.cpp: the envelope and DATA.
  void mail(std::string_view line, std::string_view argument, Actions& actions);
  bool mail_params(std::string_view line, std::string_view params, Transaction& t,
                   Actions& actions);
  void rcpt(std::string_view line, std::string_view argument, Actions& actions);
  void data(std::string_view line, std::string_view argument, Actions& actions);
  void content(std::string_view raw_line, bool line_start);
  void end_of_data(Actions& actions);
  Message message(Transaction transaction, std::string data) const;
  // session_auth.cpp: AUTH PLAIN and LOGIN.
  void auth(std::string_view line, std::string_view argument, Actions& actions);
  void auth_response(std::string_view line, Actions& actions);
  void auth_plain(std::string_view decoded, Actions& actions);
  void auth_final(std::string_view mechanism, std::string_view user, std::string_view password,
                  Actions& actions);

  SessionSetup setup_;
  SessionHost& host_;
  bool quit_ = false;
  State state_ = State::command;
  bool closing_ = false;  // the session said it closes (QUIT, a 421, a scripted close)
  bool ended_ = false;
  std::string line_;           // the line being read, its first bytes only
  std::size_t line_size_ = 0;  // its whole size so far
  bool cr_last_ = false;       // its last byte so far is a CR
  bool line_crlf_ = false;     // it ends with CR LF (set once it is whole)
  // In DATA: the line follows a CR LF, or the data's start. Only there is a
  // dot stuffed, or "." the end (RFC 5321 4.1.1.4: <CRLF>.<CRLF>); a bare
  // LF does not end an SMTP line (a client that sends a file as it is, as
  // curl does, writes ".\n" as content, and smuggles nothing).
  bool data_line_start_ = true;
  std::string helo_;
  bool esmtp_ = false;
  bool tls_ = false;
  std::string auth_user_;
  std::string auth_input_;  // "AUTH PLAIN ***": the AUTH line, as a problem quotes it
  std::string login_user_;  // AUTH LOGIN's user, between its two challenges
  Transaction transaction_;
  Content content_;
};

}  // namespace trap::smtp::detail
