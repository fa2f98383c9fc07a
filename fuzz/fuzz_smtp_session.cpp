// SPDX-License-Identifier: BSL-1.0
// trap::smtp's session state machine, fed a client's bytes in chunks. The
// input is: byte 0 the setup's flags (STARTTLS available, credentials,
// require_tls, require_auth, and which scripted replies are set), byte 1
// the line limit (255: the default 1000), then a filter input (see
// fuzz_check.hpp: its limit byte times 16 is the message limit, then the
// cuts and the client's stream). Whatever comes:
// - every `out` is whole reply lines ending in CRLF, each a code 200..599
//   and ' ' or '-', printable, a multi-line reply on one code, ending ' ';
// - nothing is said or accepted once the session closed;
// - an accepted message is within the limits and has a recipient;
// - a problem's input is at most 200 bytes, its code 0 or 4xx/5xx;
// - memory stays bounded (libFuzzer's -rss_limit_mb).
#include <string>
#include <string_view>
#include <vector>

#include <trap/smtp.hpp>

#include "fuzz_check.hpp"
#include "smtp/session.hpp"

namespace {

using trap::smtp::Command;
using trap::smtp::Message;
using trap::smtp::Problem;
using trap::smtp::Reply;
using trap::smtp::ServerOptions;
using trap::smtp::detail::Actions;
using trap::smtp::detail::Session;
using trap::smtp::detail::SessionHost;

bool contains_any_case(std::string_view text, std::string_view part) {
  if (part.empty()) return true;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  for (std::size_t i = 0; i + part.size() <= text.size(); ++i) {
    std::size_t k = 0;
    while (k < part.size() && lower(text[i + k]) == lower(part[k])) ++k;
    if (k == part.size()) return true;
  }
  return false;
}

class Host : public SessionHost {
 public:
  explicit Host(const ServerOptions& options) : options_(options) {}
  std::vector<Reply> replies;

  std::optional<Reply> scripted(Command command, std::string_view argument) override {
    for (auto it = replies.begin(); it != replies.end(); ++it) {
      if (it->command != command || !contains_any_case(argument, it->argument)) continue;
      Reply r = *it;
      if (it->count && --*it->count == 0) replies.erase(it);
      return r;
    }
    return std::nullopt;
  }
  void accepted(Message m) override {
    FUZZ_CHECK(m.data.size() <= options_.max_message_bytes);
    FUZZ_CHECK(!m.rcpt_to.empty() && m.rcpt_to.size() <= options_.max_recipients);
    FUZZ_CHECK(m.body.size() <= m.data.size());
  }
  void problem(Problem p) override {
    FUZZ_CHECK(p.input.size() <= 200);
    FUZZ_CHECK(p.code == 0 || (p.code >= 400 && p.code < 600));
    FUZZ_CHECK(!p.why.empty());
  }

 private:
  const ServerOptions& options_;
};

void script(Host& host, unsigned flags) {
  if (flags & 0x10) {
    host.replies.push_back(Reply::on(Command::rcpt, "nobody").with(550, "5.1.1 no").always());
    host.replies.push_back(Reply::on(Command::mail).with(250, "2.1.0 a\nb\nc").times(2));
  }
  if (flags & 0x20) host.replies.push_back(Reply::on(Command::data).drop((flags >> 6) * 7));
  if (flags & 0x40) {
    host.replies.push_back(Reply::on(Command::message).with(451, "4.3.0 later"));
    host.replies.push_back(Reply::on(Command::auth, "login").with(235, "2.7.0 in"));
  }
  if (flags & 0x80) {
    host.replies.push_back(Reply::on(Command::quit).with(421, "4.3.2 bye").then_close());
    host.replies.push_back(Reply::on(Command::ehlo, "drop").drop());
  }
}

// Whole CRLF-ended reply lines with a code 200..599, as one or more replies.
void check_out(std::string_view out) {
  std::string_view code;  // of the multi-line reply going on
  while (!out.empty()) {
    const auto end = out.find("\r\n");
    FUZZ_CHECK(end != std::string_view::npos);
    const std::string_view line = out.substr(0, end);
    out.remove_prefix(end + 2);
    FUZZ_CHECK(line.size() >= 4);
    FUZZ_CHECK(line[0] >= '2' && line[0] <= '5');
    FUZZ_CHECK(line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9');
    FUZZ_CHECK(line[3] == ' ' || line[3] == '-');
    for (char c : line) FUZZ_CHECK(c >= 0x20 && c < 0x7f);
    FUZZ_CHECK(code.empty() || code == line.substr(0, 3));
    code = line[3] == '-' ? line.substr(0, 3) : std::string_view{};
  }
  FUZZ_CHECK(code.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const unsigned flags = data[0];
  ServerOptions options;
  options.max_line_bytes = data[1] == 255 ? 1000 : data[1] + 1u;
  const auto in = trap::fuzz::parse_filter_input(data + 2, size - 2);
  options.max_message_bytes = in.max * 16;
  options.max_recipients = 1 + (flags >> 4) % 4;
  if (flags & 0x02) options.credentials = {{"alice", "secret"}};
  options.require_tls = (flags & 0x04) != 0;
  options.require_auth = (flags & 0x08) != 0;
  Host host(options);
  script(host, flags);
  try {
    Session session({{1, "127.0.0.1", 40000}, &options, (flags & 0x01) != 0}, host);
    Actions a;
    session.open(a);
    check_out(a.out);
    bool closed = a.close;
    for (std::string_view chunk : in.chunks) {
      Actions b;
      session.feed(chunk, b);
      check_out(b.out);
      if (closed) FUZZ_CHECK(b.out.empty() && !b.start_tls);
      if (b.start_tls) session.tls_started();
      closed = closed || b.close;
    }
    Actions last;
    session.idle_timeout(last);
    check_out(last.out);
    FUZZ_CHECK(last.close);
    session.end();
  } catch (const std::exception& e) {
    fuzz_unexpected(e.what());
  }
  return 0;
}
