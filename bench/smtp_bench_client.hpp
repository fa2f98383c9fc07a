// SPDX-License-Identifier: BSL-1.0
// The client of smtp_bench.cpp, the same for every server measured: what
// Python's smtplib does for sendmail() over a blocking POSIX socket. It
// sends one command, reads its whole reply (every line of a multi-line
// one) and checks the code before it sends the next; it never pipelines.
// A server that answers wrong fails its benchmark instead of looking fast.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace smtp_bench {

/// How long the client waits for one reply before it gives up.
constexpr std::chrono::milliseconds kReplyWait{10000};

/// A message's content as a mail program sends it: header fields, an empty
/// line and a short body, CRLF line ends, about 300 bytes; @p n numbers it.
inline std::string message_content(std::uint64_t n) {
  return "From: Bench Sender <sender@example.com>\r\n"
         "To: Bench Recipient <rcpt@example.com>\r\n"
         "Subject: bench message " +
         std::to_string(n) +
         "\r\n"
         "Message-ID: <" +
         std::to_string(n) +
         "@bench.example.com>\r\n"
         "Content-Type: text/plain; charset=us-ascii\r\n"
         "\r\n"
         "The nightly report ran without a failure.\r\n"
         "Nothing else to say; this line is here to give the body a length.\r\n";
}

/// One SMTP client connection to 127.0.0.1.
class Client {
 public:
  /// Connects to 127.0.0.1:@p port and reads the greeting (220).
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc;
    do rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int error = errno;
      ::close(fd_);
      throw std::system_error(error, std::generic_category(),
                              "connect to 127.0.0.1:" + std::to_string(port));
    }
    expect("the greeting", 220);
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// EHLO, answered 250 (multi-line).
  void ehlo() { command("EHLO bench.example.com\r\n", 250); }

  /// One message: MAIL, RCPT, DATA, the content and its end, each answered
  /// before the next goes.
  void send_message(std::uint64_t n) {
    command("MAIL FROM:<sender@example.com>\r\n", 250);
    command("RCPT TO:<rcpt@example.com>\r\n", 250);
    command("DATA\r\n", 354);
    command(message_content(n) + ".\r\n", 250);
  }

  /// QUIT, answered 221; then the server's end of file (bounded).
  void quit() {
    command("QUIT\r\n", 221);
    char c;
    if (wait_readable() && ::read(fd_, &c, 1) == 0) return;
    throw std::runtime_error("no end of file after QUIT's 221");
  }

 private:
  void command(std::string_view text, int code) {
    send_all(text);
    expect(text.substr(0, std::min<std::size_t>(text.size(), 24)), code);
  }

  void send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t w = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw std::system_error(errno, std::generic_category(), "send");
      bytes.remove_prefix(static_cast<std::size_t>(w));
    }
  }

  bool wait_readable() {
    pollfd p{fd_, POLLIN, 0};
    int rc;
    do rc = ::poll(&p, 1, static_cast<int>(kReplyWait.count()));
    while (rc < 0 && errno == EINTR);
    return rc > 0;
  }

  /// Reads one whole reply: lines up to one whose fourth byte is a space
  /// ("250 ..."; "250-..." goes on). Throws unless its code is @p code.
  void expect(std::string_view what, int code) {
    for (;;) {
      std::size_t start = 0, eol;
      while ((eol = in_.find("\r\n", start)) != std::string::npos) {
        if (eol - start >= 3 && (eol - start == 3 || in_[start + 3] == ' ')) {
          int got = std::atoi(in_.c_str() + start);
          std::string reply = in_.substr(0, eol);
          in_.erase(0, eol + 2);
          if (got != code)
            throw std::runtime_error("\"" + std::string(what) + "\": expected " +
                                     std::to_string(code) + ", got \"" + reply + "\"");
          return;
        }
        start = eol + 2;
      }
      if (!wait_readable())
        throw std::runtime_error("\"" + std::string(what) + "\": no reply in time");
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw std::runtime_error("\"" + std::string(what) + "\": connection closed, read \"" + in_ +
                                 "\"");
      in_.append(buf, static_cast<std::size_t>(n));
    }
  }

  int fd_ = -1;
  std::string in_;
};

/// A whole session: connect, EHLO, one message, QUIT.
inline void one_session(std::uint16_t port, std::uint64_t n) {
  Client c(port);
  c.ehlo();
  c.send_message(n);
  c.quit();
}

}  // namespace smtp_bench
