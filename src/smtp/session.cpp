// SPDX-License-Identifier: BSL-1.0
// An SMTP session over bytes: lines cut at LF, the commands that hold no
// envelope (EHLO, HELO, RSET, NOOP, VRFY, HELP, QUIT, STARTTLS), replies
// (the server's own or scripted ones), problems, and the session's ends.
#include "smtp/session.hpp"

#include <algorithm>
#include <utility>

#include "smtp/text.hpp"

namespace trap::smtp::detail {
namespace {

// How much of its line a problem quotes.
constexpr std::size_t kProblemInput = 200;

std::string cut(std::string_view input) { return std::string(input.substr(0, kProblemInput)); }

}  // namespace

Session::Session(SessionSetup setup, SessionHost& host) : setup_(std::move(setup)), host_(host) {}

void Session::open(Actions& actions) {
  respond(Command::connect, "", 220, options().hostname + " ESMTP trap", actions);
}

bool Session::stopped(const Actions& actions) const {
  return closing_ || actions.close || actions.start_tls;
}

void Session::feed(std::string_view bytes, Actions& actions) {
  while (!bytes.empty() && !stopped(actions)) {
    const auto lf = bytes.find('\n');
    const std::size_t size = lf == std::string_view::npos ? bytes.size() : lf + 1;
    take(bytes.substr(0, size), actions);
    bytes.remove_prefix(size);
  }
}

// A piece of a line (up to and with its LF, if it has one).
void Session::take(std::string_view piece, Actions& actions) {
  if (state_ == State::data && content_.drop_after) {
    // A scripted drop in the middle of DATA: close, with no reply, once
    // that many bytes have come (the first ones for 0).
    if (content_.raw + piece.size() >= std::max<std::size_t>(*content_.drop_after, 1)) {
      content_.raw += piece.size();
      close(actions);
      return;
    }
  }
  if (state_ == State::data) content_.raw += piece.size();
  // Enough of a line is kept to judge it (one over the limit is answered
  // without its rest) and to quote it in a problem, line end left out.
  const std::size_t keep = std::max(options().max_line_bytes, kProblemInput + 2);
  if (line_.size() < keep) line_ += piece.substr(0, keep - line_.size());
  line_size_ += piece.size();
  const bool cr_before = piece.size() > 1 ? piece[piece.size() - 2] == '\r' : cr_last_;
  cr_last_ = piece.ends_with('\r');
  if (!piece.ends_with('\n')) return;
  line_crlf_ = cr_before;
  line(actions);
  line_.clear();
  line_size_ = 0;
}

// A whole line is in line_ (its first bytes if it is long).
void Session::line(Actions& actions) {
  if (state_ == State::data) {
    // The terminator ends the data even under a limit too small for it.
    const bool line_start = std::exchange(data_line_start_, line_crlf_);
    if (line_start && line_ == ".\r\n") return end_of_data(actions);
    return content(line_, line_start);
  }
  // Without its LF and every CR before it, as aiosmtpd strips a line.
  std::string_view text = line_;
  text.remove_suffix(1);
  while (text.ends_with('\r')) text.remove_suffix(1);
  if (line_size_ > line_limit(text)) {
    // An AUTH exchange ends with it; its response is not quoted.
    const bool response = std::exchange(state_, State::command) != State::command;
    return refuse(actions, response ? "***" : text, 500, "5.5.2 Error: line too long",
                  "line too long");
  }
  if (state_ == State::command)
    command(text, actions);
  else
    auth_response(text, actions);
}

// The longest this line may be, its CRLF included: a command line's is
// RFC 5321's 512 (4.5.3.1.4), MAIL's after EHLO raised by what each
// extension offered allows its parameters (SIZE 26, RFC 1870; BODY 16,
// RFC 1652; SMTPUTF8 10, RFC 6531; AUTH= 500, RFC 4954), as aiosmtpd
// counts; an answer to an AUTH challenge is text. None over max_line_bytes.
std::size_t Session::line_limit(std::string_view line) const {
  if (state_ != State::command) return options().max_line_bytes;
  std::size_t limit = 512;
  if (esmtp_ && same_word(line.substr(0, 5), "MAIL ")) {
    limit += 26 + 16 + 10;
    if (!options().credentials.empty()) limit += 500;
  }
  return std::min(limit, options().max_line_bytes);
}

void Session::command(std::string_view line, Actions& actions) {
  const auto space = line.find(' ');
  const std::string verb = upper(line.substr(0, space));
  const std::string_view argument =
      space == std::string_view::npos ? std::string_view{} : trim(line.substr(space + 1));
  if (line.empty()) return refuse(actions, line, 500, "5.5.2 Error: bad syntax", "empty line");
  if (verb == "EHLO" || verb == "HELO") return helo(line, argument, verb == "EHLO", actions);
  if (verb == "MAIL") return mail(line, argument, actions);
  if (verb == "RCPT") return rcpt(line, argument, actions);
  if (verb == "DATA") return data(line, argument, actions);
  if (verb == "AUTH") return auth(line, argument, actions);
  if (verb == "QUIT") return quit(line, argument, actions);
  if (verb == "STARTTLS") return starttls(line, argument, actions);
  if (simple_command(verb, line, argument, actions)) return;
  refuse(actions, line, 500,
         "5.5.2 Error: command \"" + printable(line.substr(0, space), 64) + "\" not recognized",
         "unknown command");
}

bool Session::simple_command(std::string_view verb, std::string_view line,
                             std::string_view argument, Actions& actions) {
  if (verb == "RSET") {
    if (!argument.empty())
      refuse(actions, line, 501, "5.5.4 Syntax: RSET", "RSET with an argument");
    else if (respond(Command::rset, argument, 250, "2.0.0 OK", actions))
      transaction_ = {};
  } else if (verb == "NOOP") {
    respond(Command::noop, argument, 250, "2.0.0 OK", actions);
  } else if (verb == "VRFY") {
    if (argument.empty())
      refuse(actions, line, 501, "5.5.4 Syntax: VRFY address", "VRFY without an address");
    else
      respond(Command::vrfy, argument, 252,
              "2.0.0 Cannot VRFY user, but will accept message and attempt delivery", actions);
  } else if (verb == "EXPN") {
    // RFC 5321 3.5.2 and 7.3: known, not implemented here (as aiosmtpd).
    refuse(actions, line, 502, "5.5.1 Error: command not implemented", "EXPN not implemented");
  } else if (verb == "HELP") {
    help(line, argument, actions);
  } else {
    return false;
  }
  return true;
}

void Session::helo(std::string_view line, std::string_view name, bool esmtp, Actions& actions) {
  if (name.empty()) {
    return esmtp ? refuse(actions, line, 501, "5.5.4 Syntax: EHLO hostname", "EHLO without a name")
                 : refuse(actions, line, 501, "5.5.4 Syntax: HELO hostname", "HELO without a name");
  }
  const auto scripted = host_.scripted(esmtp ? Command::ehlo : Command::helo, name);
  // The server's own EHLO reply is many lines; a scripted one stands in
  // for all of them.
  const std::string own = esmtp ? ehlo_reply(name) : options().hostname;
  const bool effect = respond(scripted, 250, own, actions);
  if (!effect) return;
  transaction_ = {};
  helo_ = std::string(name);
  esmtp_ = esmtp;
}

std::string Session::ehlo_reply(std::string_view name) const {
  std::string text = options().hostname + " Hello " + printable(name, 255);
  text += "\nPIPELINING\nSIZE " + std::to_string(options().max_message_bytes);
  text += "\n8BITMIME\nSMTPUTF8\nENHANCEDSTATUSCODES";
  if (offers("STARTTLS")) text += "\nSTARTTLS";
  if (offers("AUTH")) text += "\nAUTH PLAIN LOGIN";
  return text + "\nHELP";
}

namespace {

// Each command's syntax, as HELP <command> gives it: aiosmtpd's words,
// and what an EHLO session may add to MAIL and RCPT.
struct Syntax {
  std::string_view verb, syntax, extended;
};
constexpr Syntax kSyntax[] = {
    {"AUTH", "AUTH <mechanism>", ""},
    {"DATA", "DATA", ""},
    {"EHLO", "EHLO hostname", ""},
    {"HELO", "HELO hostname", ""},
    {"HELP", "HELP [command]", ""},
    {"MAIL", "MAIL FROM: <address>", " [SP <mail-parameters>]"},
    {"NOOP", "NOOP [ignored]", ""},
    {"QUIT", "QUIT", ""},
    {"RCPT", "RCPT TO: <address>", " [SP <mail-parameters>]"},
    {"RSET", "RSET", ""},
    {"STARTTLS", "STARTTLS", ""},
    {"VRFY", "VRFY <address>", ""},
};

}  // namespace

bool Session::offers(std::string_view verb) const {
  if (verb == "AUTH") return !options().credentials.empty();
  if (verb == "STARTTLS") return setup_.tls_available && !tls_;
  return true;
}

// RFC 5321 4.2.2: help is 214; RFC 2034: its text starts with a status.
// HELP lists the commands this session can use now, AUTH and STARTTLS only
// where EHLO offers them; HELP <command> gives one's syntax. A command it
// does not offer gets 501 and the list, as aiosmtpd answers (which says
// 250 where RFC 5321 says 214).
void Session::help(std::string_view line, std::string_view argument, Actions& actions) {
  const std::string asked = upper(argument);
  std::string list;
  for (const Syntax& s : kSyntax) {
    if (!offers(s.verb)) continue;
    if (asked == s.verb) {
      std::string text = "2.0.0 Syntax: " + std::string(s.syntax);
      if (esmtp_) text += s.extended;
      return send(actions, 214, text);
    }
    list += ' ';
    list += s.verb;
  }
  if (argument.empty()) return send(actions, 214, "2.0.0 Supported commands:" + list);
  refuse(actions, line, 501, "5.5.4 Supported commands:" + list,
         "HELP for a command not offered: " + printable(argument, 64));
}

void Session::quit(std::string_view line, std::string_view argument, Actions& actions) {
  if (!argument.empty())
    return refuse(actions, line, 501, "5.5.4 Syntax: QUIT", "QUIT with an argument");
  if (!respond(Command::quit, argument, 221, "2.0.0 Bye", actions)) return;
  quit_ = true;
  close(actions);
}

void Session::starttls(std::string_view line, std::string_view argument, Actions& actions) {
  if (!setup_.tls_available)
    return refuse(actions, line, 454, "4.7.0 TLS not available", "STARTTLS not offered");
  if (tls_)
    return refuse(actions, line, 503, "5.5.1 Error: TLS already active", "STARTTLS under TLS");
  if (!argument.empty())
    return refuse(actions, line, 501, "5.5.4 Syntax: STARTTLS", "STARTTLS with an argument");
  if (!respond(Command::starttls, argument, 220, "2.0.0 Ready to start TLS", actions)) return;
  if (!actions.close) actions.start_tls = true;
}

void Session::tls_started() {
  state_ = State::command;
  line_.clear();
  line_size_ = 0;
  helo_.clear();
  esmtp_ = false;
  auth_user_.clear();
  login_user_.clear();
  transaction_ = {};
  content_ = {};
  tls_ = true;
}

void Session::end() {
  if (ended_) return;
  ended_ = true;
  if (quit_ || closing_) return;
  if (state_ == State::data) {
    problem("", 0, "closed in DATA after " + std::to_string(content_.raw) + " bytes");
    content_ = {};
    return;
  }
  problem("", 0, "closed without QUIT");
}

void Session::idle_timeout(Actions& actions) {
  if (closing_) return close(actions);
  send(actions, 421, "4.4.2 " + options().hostname + " Error: timeout exceeded");
  close(actions);
  problem("", 421, "idle timeout");
}

void Session::shutting_down(Actions& actions) {
  if (closing_) return close(actions);
  send(actions, 421, "4.3.2 " + options().hostname + " Service shutting down");
  close(actions);
}

bool Session::idle() const { return state_ == State::command && !transaction_.begun && !closing_; }

// One reply: a line per line of `text`, all but the last with "-".
void Session::send(Actions& actions, int code, std::string_view text) const {
  const std::string prefix = std::to_string(code);
  while (true) {
    const auto lf = text.find('\n');
    std::string_view one = text.substr(0, lf);
    if (one.ends_with('\r')) one.remove_suffix(1);
    const bool last = lf == std::string_view::npos;
    actions.out += prefix;
    actions.out += last ? ' ' : '-';
    actions.out += one;
    actions.out += "\r\n";
    if (last) return;
    text.remove_prefix(lf + 1);
  }
}

// An error reply for the client's fault, and its problem.
void Session::refuse(Actions& actions, std::string_view line, int code, std::string_view text,
                     std::string why) {
  send(actions, code, text);
  problem(line, code, std::move(why));
}

void Session::problem(std::string_view input, int code, std::string why) {
  host_.problem({setup_.info, cut(input), code, std::move(why)});
}

bool Session::respond(Command command, std::string_view argument, int code, std::string_view own,
                      Actions& actions) {
  return respond(host_.scripted(command, argument), code, own, actions);
}

// Sends a scripted reply, or the server's own; returns whether the command
// takes effect.
bool Session::respond(const std::optional<Reply>& scripted, int code, std::string_view own,
                      Actions& actions) {
  if (!scripted) {
    send(actions, code, own);
    return true;
  }
  if (scripted->after == After::drop) {
    close(actions);
    return false;
  }
  send(actions, scripted->code, scripted->text);
  if (scripted->after == After::close) close(actions);
  return scripted->code < 400;
}

void Session::close(Actions& actions) {
  actions.close = true;
  closing_ = true;
}

}  // namespace trap::smtp::detail
