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
  SessionSetup setup_;
  SessionHost& host_;
  bool quit_ = false;
  // The rest of the state is the implementation's.
};

}  // namespace trap::smtp::detail
