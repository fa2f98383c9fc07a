// SPDX-License-Identifier: BSL-1.0
// 19-smtp-function: tests a small C++ function that sends mail over a plain
// POSIX socket against trap::smtp::Server: the message it delivers (its
// envelope, its headers, a body whose lines start with "." coming out as
// they went in), and how it reports a server that refuses a recipient
// with a scripted 550 or turns it away at the greeting. Results are TAP.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <trap/more.hpp>
#include <trap/smtp.hpp>

namespace {

// ---- the code under test: a blocking SMTP client on 127.0.0.1.

struct Connection {
  int fd = -1;
  std::string pending;  // read but not yet a whole line
  ~Connection() {
    if (fd >= 0) ::close(fd);
  }
};

// One reply, every line of it; its last line ("550 5.1.1 no such user").
std::string read_reply(Connection& c) {
  for (;;) {
    const auto end = c.pending.find("\r\n");
    if (end == std::string::npos) {
      char buf[1024];
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n <= 0) throw std::runtime_error("send_mail: the server closed the connection");
      c.pending.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    std::string line = c.pending.substr(0, end);
    c.pending.erase(0, end + 2);
    if (line.size() < 4 || line[3] != '-') return line;  // "250-" lines: more follow
  }
}

// Sends `command` (none for the greeting) and checks its reply's code.
void say(Connection& c, const std::string& command, const char* code) {
  const std::string out = command + "\r\n";
  if (!command.empty()) ::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL);
  const std::string reply = read_reply(c);
  if (reply.compare(0, 3, code) != 0)
    throw std::runtime_error("send_mail: " + (command.empty() ? "greeting" : command) +
                             " answered " + reply);
}

// The message as DATA carries it: a "." doubled at the start of a line,
// CRLF line ends, a CRLF at the end.
std::string dot_stuffed(const std::string& message) {
  std::string out;
  bool line_start = true;
  for (char ch : message) {
    if (ch == '\n' && (out.empty() || out.back() != '\r')) out += '\r';
    if (line_start && ch == '.') out += '.';
    out += ch;
    line_start = ch == '\n';
  }
  if (!line_start) out += "\r\n";
  return out;
}

// Sends `message` from `from` to `to` through 127.0.0.1:port; throws
// std::runtime_error naming the command that was refused, and its reply.
void send_mail(std::uint16_t port, const std::string& from, const std::vector<std::string>& to,
               const std::string& message) {
  Connection c;
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval five_seconds{5, 0};  // no wait without an end
  ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("send_mail: cannot connect");
  try {
    say(c, "", "220");
    say(c, "EHLO sender.example", "250");
    say(c, "MAIL FROM:<" + from + ">", "250");
    for (const auto& rcpt : to) say(c, "RCPT TO:<" + rcpt + ">", "250");
    say(c, "DATA", "354");
    say(c, dot_stuffed(message) + ".", "250");  // say() ends the "." line
    say(c, "QUIT", "221");
  } catch (...) {
    ::send(c.fd, "QUIT\r\n", 6, MSG_NOSIGNAL);  // leave politely, then report
    throw;
  }
}

}  // namespace

int main() {
  using trap::smtp::Command;
  using trap::smtp::Reply;
  trap::smtp::Server server;  // 127.0.0.1 and ::1, port 0

  const std::string report =
      "From: ci@example.com\r\nTo: ops@example.com\r\nSubject: nightly report\r\n\r\n"
      "all green\r\n.hidden files: 3\r\n.\r\n";
  auto sent =
      trap::trap([&] { send_mail(server.port(), "ci@example.com", {"ops@example.com"}, report); });
  sent.leaveby_is("return", "the function sends the message");
  auto message = server.take_message();
  trap::ok(message.has_value(), "and the server accepted it");
  if (message) {
    trap::is(message->mail_from, "ci@example.com", "from the sender");
    trap::is_deeply(message->rcpt_to, std::vector<std::string>{"ops@example.com"}, "to ops");
    trap::is(message->header("Subject").value_or(""), "nightly report", "with its subject");
    trap::is(message->data, report, "lines starting with \".\" arrive as they were written");
  }

  server.reply(Reply::on(Command::rcpt, "nobody@").with(550, "5.1.1 no such user"));
  trap::trap([&] {
    send_mail(server.port(), "ci@example.com", {"ops@example.com", "nobody@example.com"}, report);
  })
      .die_like("^send_mail: RCPT TO:<nobody@example.com> answered 550 5.1.1 no such user",
                "a refused recipient is an error that names it");
  trap::is(server.message_count(), 1, "and nothing more was delivered");

  server.reply(Reply::on(Command::connect).with(421, "4.3.2 too busy").then_close());
  trap::trap([&] {
    send_mail(server.port(), "ci@example.com", {"ops@example.com"}, report);
  }).die_like("^send_mail: greeting answered 421 4.3.2 too busy", "so is a server turning it away");

  auto end = server.shutdown();
  trap::ok(end.clean(), "every session ended with QUIT or by the server: " + end.describe());
  return trap::done_testing();
}
