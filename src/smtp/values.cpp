// SPDX-License-Identifier: BSL-1.0
// trap::smtp's plain values: a message's header lookup, the scripted reply
// builders, and how each value prints (one line, for Boost.Test's
// messages; a shutdown report one line per thing left over).
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

#include <trap/errors.hpp>
#include <trap/smtp.hpp>

#include "net/printing.hpp"

namespace trap::smtp {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

void quoted(std::ostream& out, std::string_view s) {
  net::detail::quoted(out, s, net::detail::Escapes::hex);
}

void session_of(std::ostream& out, const SessionInfo& info) {
  out << "session " << info.id << " (";
  net::detail::endpoint(out, info.peeraddr, info.peerport);
  out << ')';
}

}  // namespace

std::optional<std::string> Message::header(std::string_view name) const {
  for (const Header& h : headers)
    if (same_name(h.name, name)) return h.value;
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& out, const Message& message) {
  out << '<' << message.mail_from << "> ->";
  const char* sep = " ";
  for (const std::string& to : message.rcpt_to) {
    out << sep << '<' << to << '>';
    sep = ", ";
  }
  if (const auto subject = message.header("Subject")) {
    out << ' ';
    quoted(out, *subject);
  }
  return out << " (session " << message.session << ", #" << message.sequence << ')';
}

std::ostream& operator<<(std::ostream& out, Command command) {
  switch (command) {
    case Command::connect:
      return out << "connect";
    case Command::helo:
      return out << "helo";
    case Command::ehlo:
      return out << "ehlo";
    case Command::mail:
      return out << "mail";
    case Command::rcpt:
      return out << "rcpt";
    case Command::data:
      return out << "data";
    case Command::message:
      return out << "message";
    case Command::rset:
      return out << "rset";
    case Command::noop:
      return out << "noop";
    case Command::vrfy:
      return out << "vrfy";
    case Command::quit:
      return out << "quit";
    case Command::starttls:
      return out << "starttls";
    case Command::auth:
      return out << "auth";
  }
  return out << "Command(" << static_cast<int>(command) << ')';
}

Reply Reply::on(Command command, std::string argument) {
  Reply r;
  r.command = command;
  r.argument = std::move(argument);
  return r;
}

Reply& Reply::with(int new_code, std::string new_text) {
  if (new_code < 200 || new_code > 599)
    throw UsageError("SMTP reply code " + std::to_string(new_code) + " is outside 200..599");
  code = new_code;
  text = std::move(new_text);
  return *this;
}

Reply& Reply::then_close() {
  after = After::close;
  return *this;
}

Reply& Reply::drop(std::size_t after_bytes) {
  after = After::drop;
  drop_after_bytes = after_bytes;
  return *this;
}

Reply& Reply::times(std::size_t n) {
  count = n;
  return *this;
}

Reply& Reply::always() {
  count = std::nullopt;
  return *this;
}

std::string Reply::describe() const {
  std::ostringstream out;
  out << command;
  if (!argument.empty()) {
    out << " containing ";
    quoted(out, argument);
  }
  if (after == After::drop) {
    out << ": drop";
    if (command == Command::data) out << " after " << drop_after_bytes << " bytes";
  } else {
    out << ": " << code;
    if (!text.empty()) out << ' ' << text;
    if (after == After::close) out << ", then close";
  }
  if (count)
    out << ", times " << *count;
  else
    out << ", always";
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Problem& problem) {
  session_of(out, problem.session);
  out << ": " << problem.why;
  if (problem.code != 0) out << ": " << problem.code;
  if (!problem.input.empty()) {
    out << " on ";
    quoted(out, problem.input);
  }
  return out;
}

std::string ShutdownReport::describe() const {
  if (clean()) return "clean";
  std::ostringstream out;
  const char* sep = "";
  if (problems_dropped != 0) {
    out << "problem: " << problems_dropped << " earlier problem"
        << (problems_dropped == 1 ? "" : "s") << " dropped (max_log)";
    sep = "\n";
  }
  for (const Problem& p : problems) {
    out << sep << "problem: " << p;
    sep = "\n";
  }
  for (const std::string& u : unused) {
    out << sep << "scripted reply not used: " << u;
    sep = "\n";
  }
  for (const SessionInfo& s : open) {
    out << sep;
    session_of(out, s);
    out << " still open";
    sep = "\n";
  }
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const ShutdownReport& report) {
  return out << report.describe();
}

}  // namespace trap::smtp
