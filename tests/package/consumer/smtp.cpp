// SPDX-License-Identifier: BSL-1.0
// Links trap::smtp from an installed trap: a trap::smtp::Server, one
// message sent over a raw socket (each reply read before the next command),
// and a clean shutdown.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <trap/more.hpp>
#include <trap/smtp.hpp>

namespace {

// Reads from @p fd until a reply's last line ("NNN text\r\n") has come, or
// the connection ends, or 10 s pass; returns what was read.
std::string reply(int fd) {
  std::string in;
  for (;;) {
    auto last = in.rfind("\r\n", in.size() >= 2 ? in.size() - 3 : 0);
    std::size_t start = last == std::string::npos ? 0 : last + 2;
    if (in.ends_with("\r\n") && in.size() - start >= 4 && in[start + 3] == ' ') return in;
    pollfd p{fd, POLLIN, 0};
    char buf[1024];
    if (::poll(&p, 1, 10000) <= 0) return in;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return in;
    in.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

int main() {
  trap::smtp::Server server;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string last;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      reply(fd).starts_with("220 ")) {
    for (std::string command : {"EHLO consumer.example\r\n", "MAIL FROM:<from@example.com>\r\n",
                                "RCPT TO:<ops@example.com>\r\n", "DATA\r\n",
                                "Subject: nightly report\r\n\r\nall well\r\n.\r\n", "QUIT\r\n"}) {
      if (::write(fd, command.data(), command.size()) != static_cast<ssize_t>(command.size()))
        break;
      last = reply(fd);
    }
  }
  ::close(fd);
  trap::ok(last.starts_with("221 "), "QUIT answered 221");
  auto message = server.take_message();
  trap::ok(message && message->rcpt_to == std::vector<std::string>{"ops@example.com"} &&
               message->header("Subject") == "nightly report",
           "the message logged");
  trap::ok(server.shutdown().clean(), "the shutdown is clean");
  return trap::done_testing();
}
