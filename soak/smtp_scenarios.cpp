// SPDX-License-Identifier: BSL-1.0
// Scenarios on trap::smtp::Server: many clients at once through one server,
// each sending numbered messages (smtp_clients), and many servers one after
// the other, some with STARTTLS (smtp_cycles). Written against the public
// API only.
#include <sys/epoll.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <trap/smtp.hpp>

#include "soak.hpp"
#include "socket.hpp"

namespace soak {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;

/// The dot-stuffed line of message @p seq of client @p tag, as the server
/// must hand it over (the client sends it with one more dot).
std::string dotted_line(long tag, long seq) {
  return ".stuffed c" + std::to_string(tag) + " n" + std::to_string(seq);
}

/// Message @p seq of client @p tag as sent after DATA's 354, its end
/// included: both numbers in header fields, then a body of 0 to 9 lines
/// and a dot-stuffed one.
std::string make_message(long tag, long seq) {
  std::string s = "From: <c" + std::to_string(tag) + "@soak.example>\r\nSubject: soak c" +
                  std::to_string(tag) + " n" + std::to_string(seq) +
                  "\r\nX-Soak-Client: " + std::to_string(tag) +
                  "\r\nX-Soak-Seq: " + std::to_string(seq) + "\r\n\r\n";
  for (long i = 0; i < (tag + seq) % 10; ++i) s += "line " + std::to_string(i) + "\r\n";
  return s + "." + dotted_line(tag, seq) + "\r\n.\r\n";
}

/// Takes one whole reply off the front of @p in if it is all there (its
/// last line "NNN text"): its code, or -1 for a malformed last line.
std::optional<int> take_reply(std::string& in) {
  std::size_t start = 0, eol;
  while ((eol = in.find("\r\n", start)) != std::string::npos) {
    if (eol - start < 4 || in[start + 3] != '-') {
      const bool good = eol - start >= 3 && (eol - start == 3 || in[start + 3] == ' ');
      int code = good ? std::atoi(in.c_str() + start) : -1;
      in.erase(0, eol + 2);
      return code;
    }
    start = eol + 2;
  }
  return std::nullopt;
}

/// One smtplib-style client of smtp_clients: non-blocking, one command in
/// flight, each reply checked before the next command goes: the greeting,
/// EHLO, per message MAIL, RCPT, DATA and the content, then QUIT.
struct Client {
  Fd fd;
  long tag = 0;
  long total = 0;     // messages to send
  long step = 0;      // the reply awaited: 0 greeting, 1 EHLO, 2.. the messages', then QUIT's
  bool quit = false;  // QUIT was answered 221
  std::string out, in;

  long steps() const { return 2 + 4 * total + 1; }
  long sent() const { return step < 2 ? 0 : std::min(total, (step - 2) / 4); }

  /// The command whose reply is step @p k, and the code it must get.
  std::pair<std::string, int> command(long k) const {
    if (k == 1) return {"EHLO c" + std::to_string(tag) + ".soak.example\r\n", 250};
    if (k == steps() - 1) return {"QUIT\r\n", 221};
    const long seq = (k - 2) / 4;
    switch ((k - 2) % 4) {
      case 0:
        return {"MAIL FROM:<c" + std::to_string(tag) + "@soak.example>\r\n", 250};
      case 1:
        return {"RCPT TO:<sink@soak.example>\r\n", 250};
      case 2:
        return {"DATA\r\n", 354};
      default:
        return {make_message(tag, seq), 250};
    }
  }

  /// Writes what the socket takes.
  void pump() {
    while (!out.empty()) {
      ssize_t w = ::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (w <= 0) throw Failure(name() + errno_text("send", errno));
      out.erase(0, static_cast<std::size_t>(w));
    }
  }

  /// Reads what is there (edge-triggered: until EAGAIN or end of file),
  /// checks each reply and queues the next command.
  void drain() {
    char buf[16384];
    bool eof = false;
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0) throw Failure(name() + errno_text("read", errno));
      if (n == 0) {
        eof = true;
        break;
      }
      in.append(buf, static_cast<std::size_t>(n));
    }
    while (auto code = take_reply(in)) {
      if (quit) throw Failure(name() + "a reply after QUIT's: " + std::to_string(*code));
      const int want = step == 0 ? 220 : command(step).second;
      if (*code != want)
        throw Failure(name() + "step " + std::to_string(step) + " answered " +
                      std::to_string(*code) + ", expected " + std::to_string(want));
      if (step == steps() - 1)
        quit = true;
      else
        out += command(++step).first;
    }
    // The server closes the connection once QUIT is answered, and only then.
    if (eof && !quit)
      throw Failure(name() + "connection closed by the server after " + std::to_string(sent()) +
                    " of " + std::to_string(total) + " messages");
  }

  std::string name() const { return "client " + std::to_string(tag) + ": "; }
};

void require_descriptors(long needed) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      static_cast<long>(rl.rlim_cur) < needed)
    throw Failure("RLIMIT_NOFILE soft limit " + std::to_string(rl.rlim_cur) + " is below the " +
                  std::to_string(needed) + " descriptors this needs");
}

/// Drives every client until each has had QUIT's 221.
void exchange(std::vector<Client>& clients, long messages, const Deadline& deadline) {
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (ep.get() < 0) throw Failure(errno_text("epoll_create1", errno));
  for (std::size_t k = 0; k < clients.size(); ++k) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = k;
    if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, clients[k].fd.get(), &ev) != 0)
      throw Failure(errno_text("epoll_ctl", errno));
  }
  long sent = 0, done = 0;
  auto last_progress = std::chrono::steady_clock::now();
  std::vector<epoll_event> events(512);
  while (done < static_cast<long>(clients.size())) {
    deadline.check(sent, messages);
    int n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure(errno_text("epoll_wait", errno));
    if (n == 0 && std::chrono::steady_clock::now() - last_progress > 60s)
      throw Failure("no reply for 60 s after " + std::to_string(sent) + " of " +
                    std::to_string(messages) + " messages");
    for (int i = 0; i < n; ++i) {
      Client& c = clients[events[i].data.u64];
      const long before = c.step, before_sent = c.sent();
      const bool was_quit = c.quit;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) c.drain();
      c.pump();
      if (c.step > before || c.quit != was_quit) last_progress = std::chrono::steady_clock::now();
      sent += c.sent() - before_sent;
      if (!was_quit && c.quit) ++done;
    }
  }
}

/// The number of header field @p name of @p m, or -1.
long numbered(const trap::smtp::Message& m, const char* name) {
  auto v = m.header(name);
  return v ? std::atol(v->c_str()) : -1;
}

/// Every message of @p clients in the log once, each with its dot-stuffed
/// line unstuffed; each session's messages from one client, in its order.
void check_log(const trap::smtp::Server& server, long clients, long messages) {
  auto log = server.messages();
  if (log.size() != static_cast<std::size_t>(messages) ||
      server.message_count() != static_cast<std::size_t>(messages))
    throw Failure("the server has " + std::to_string(server.message_count()) + " messages (" +
                  std::to_string(log.size()) + " in its log) of " + std::to_string(messages));
  std::set<std::pair<long, long>> seen;
  std::map<std::uint64_t, std::pair<long, long>> sessions;  // session -> {client, last seq}
  for (std::size_t i = 0; i < log.size(); ++i) {
    const auto& m = log[i];
    const long tag = numbered(m, "X-Soak-Client"), seq = numbered(m, "X-Soak-Seq");
    const std::string what = "message #" + std::to_string(m.sequence) + " (c" +
                             std::to_string(tag) + " n" + std::to_string(seq) + ")";
    if (m.sequence != i + 1) throw Failure(what + " is at place " + std::to_string(i + 1));
    if (tag < 0 || tag >= clients || seq < 0 || !seen.insert({tag, seq}).second)
      throw Failure(what + ": unknown or seen before");
    if (m.body.find("\r\n" + dotted_line(tag, seq) + "\r\n") == std::string::npos &&
        !m.body.starts_with(dotted_line(tag, seq) + "\r\n"))
      throw Failure(what + ": its body " + soak::quoted(m.body) + " lacks its unstuffed line");
    auto [at, fresh] = sessions.try_emplace(m.session, tag, seq);
    if (fresh ? seq != 0 : (at->second.first != tag || at->second.second + 1 != seq))
      throw Failure(what + " out of order in session " + std::to_string(m.session));
    at->second.second = seq;
  }
}

/// 200 clients connected at once (fewer when the full run, @p of messages,
/// is below 10,000), @p messages in all through one server; then the log
/// must hold each once and in its session's order, and the shutdown be
/// clean.
void run_clients(long messages, long of, const Deadline& deadline) {
  const long n = std::clamp(of / 50, 1L, std::min(messages, 200L));
  require_descriptors(2 * n + 64);
  trap::smtp::ServerOptions options;
  options.address = "127.0.0.1";
  trap::smtp::Server server(std::move(options));
  {
    std::vector<Client> clients(static_cast<std::size_t>(n));
    for (long k = 0; k < n; ++k) {
      deadline.check(k, n);
      Client& c = clients[static_cast<std::size_t>(k)];
      c.fd = connect_loopback(server.port());
      if (::fcntl(c.fd.get(), F_SETFL, ::fcntl(c.fd.get(), F_GETFL) | O_NONBLOCK) != 0)
        throw Failure(errno_text("fcntl(O_NONBLOCK)", errno));
      c.tag = k;
      c.total = messages / n + (k < messages % n ? 1 : 0);
    }
    exchange(clients, messages, deadline);
  }  // every client closes its side
  check_log(server, n, messages);
  auto report = server.shutdown(10s);
  if (!report.clean()) throw Failure(report.describe());
}

// ---- smtp_cycles ------------------------------------------------------------------

std::string cycle(long i) { return "cycle " + std::to_string(i) + ": "; }

/// Sends @p text (if any) on @p fd and reads until @p want. @throws Failure
std::string ask(int fd, const std::string& text, const std::string& want, long i) {
  if (!text.empty()) send_all(fd, text);
  auto r = read_until(fd, want, 10s);
  if (r.bytes.find(want) == std::string::npos)
    throw Failure(cycle(i) + "expected " + soak::quoted(want) + ", got " + soak::quoted(r.bytes));
  return r.bytes;
}

/// A client that says EHLO on @p server and waits; with @p message it
/// sends one message and QUITs. Returns its connection.
Fd client(trap::smtp::Server& server, long i, bool message) {
  Fd fd = connect_loopback(server.port());
  ask(fd.get(), "", "220 ", i);
  auto ehlo = ask(fd.get(), "EHLO cycle.example\r\n", "250 ", i);
  if (i % 5 == 1 && ehlo.find("STARTTLS") == std::string::npos)
    throw Failure(cycle(i) + "a STARTTLS server's EHLO without it: " + soak::quoted(ehlo));
  if (!message) return fd;
  ask(fd.get(), "MAIL FROM:<a@soak.example>\r\n", "250 ", i);
  ask(fd.get(), "RCPT TO:<b@soak.example>\r\n", "250 ", i);
  ask(fd.get(), "DATA\r\n", "354 ", i);
  ask(fd.get(), make_message(i, 0), "250 2.0.0 OK: queued\r\n", i);
  ask(fd.get(), "QUIT\r\n", "221 ", i);
  if (!read_until(fd.get(), "", 10s).eof) throw Failure(cycle(i) + "no end of file after QUIT");
  return fd;
}

void expect_clean(const trap::smtp::ShutdownReport& report, long i) {
  if (!report.clean()) throw Failure(cycle(i) + report.describe());
}

/// One server's life (127.0.0.1 and ::1); one in five offers STARTTLS and
/// has a CA file, gone after the shutdown. Most have no client; one in ten
/// has a client that sends a message and QUITs; one in ten a client that
/// says EHLO and stays, so the shutdown must report it open, say 421 to it
/// and close it.
void one_cycle(long i) {
  trap::smtp::ServerOptions options;
  options.starttls = i % 5 == 1;
  std::optional<trap::smtp::Server> server(std::in_place, std::move(options));
  if (server->port() == 0) throw Failure(cycle(i) + "no IPv4 listener");
  std::filesystem::path ca;
  if (i % 5 == 1) {
    ca = server->ca_file();
    if (!std::filesystem::exists(ca)) throw Failure(cycle(i) + "no CA file " + ca.string());
  }
  if (i % 10 == 3) {
    client(*server, i, true);
    if (server->message_count() != 1) throw Failure(cycle(i) + "the message was not logged");
    expect_clean(server->shutdown(), i);
  } else if (i % 10 == 6) {
    Fd fd = client(*server, i, false);
    auto report = server->shutdown(100ms);
    // Still open at the deadline: said goodbye to (421), closed, reported.
    auto rest = read_until(fd.get(), "", 10s);
    if (!rest.eof || !rest.bytes.starts_with("421 "))
      throw Failure(cycle(i) + "the idle client read " + soak::quoted(rest.bytes) +
                    (rest.eof ? " and end of file" : " and no end of file"));
    if (!report.problems.empty() || !report.unused.empty() || report.open.size() != 1)
      throw Failure(cycle(i) + "not only the idle session left open: " + report.describe());
  } else {
    expect_clean(server->shutdown(), i);
  }
  server.reset();
  if (!ca.empty() && std::filesystem::exists(ca))
    throw Failure(cycle(i) + "the CA file " + ca.string() + " outlived its server");
}

void run_cycles(long n, long, const Deadline& deadline) {
  for (long i = 0; i < n; ++i) {
    deadline.check(i, n);
    one_cycle(i);
  }
}

}  // namespace

std::vector<Scenario> smtp_scenarios() {
  std::vector<Scenario> v;
  Scenario clients;
  clients.name = "smtp_clients";
  clients.unit = "messages";
  clients.count = 10'000;  // 200 clients x 50 messages
  // A whole pass first: it fills the server's log and lets resident memory
  // settle, as http_clients does.
  clients.warmup = 10'000;
  clients.budget = microseconds(2'000);
  clients.run = run_clients;
  v.push_back(clients);

  Scenario cycles;
  cycles.name = "smtp_cycles";
  cycles.unit = "cycles";
  cycles.count = 1'000;
  cycles.warmup = 20;  // past the first cycles with a client (3 and 6) and STARTTLS (1)
  cycles.budget = microseconds(100'000);
  cycles.run = run_cycles;
  v.push_back(cycles);
  return v;
}

}  // namespace soak
