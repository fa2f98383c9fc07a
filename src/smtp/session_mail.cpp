// SPDX-License-Identifier: BSL-1.0
// A session's mail transaction: MAIL and its parameters, RCPT, DATA, the
// content's dot-unstuffing and limits, and the message made at its end.
#include <limits>
#include <utility>

#include "smtp/session.hpp"
#include "smtp/text.hpp"

namespace trap::smtp::detail {
namespace {

// "FROM:<address> params", split.
struct Path {
  std::string address;
  std::string_view rest;  // the parameters, trimmed
};

bool is_address_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f && c != '<' && c != '>';
}

// Where the address that follows a '<' ends (its '>'), or npos if it is
// not one. A quoted local part may hold spaces, '<', '>' and
// backslash-escaped bytes (RFC 5321 4.1.2: "john doe"@example.com).
std::size_t address_end(std::string_view text) {
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (!quoted && c == '>') return i;
    if (c == '"') {
      quoted = !quoted;
    } else if (quoted && c == '\\') {
      if (++i == text.size() || text[i] == '\x7f' || static_cast<unsigned char>(text[i]) < 0x20)
        break;
    } else if (quoted ? u < 0x20 || u == 0x7f : !is_address_byte(c)) {
      break;
    }
  }
  return std::string_view::npos;
}

// `keyword` ("FROM:", any case), maybe spaces, then <address> (<> only
// when `null_ok`), then nothing or a space and the parameters.
std::optional<Path> parse_path(std::string_view argument, std::string_view keyword, bool null_ok) {
  if (!same_word(argument.substr(0, keyword.size()), keyword)) return std::nullopt;
  std::string_view rest = trim(argument.substr(keyword.size()));
  if (!rest.starts_with('<')) return std::nullopt;
  const auto end = address_end(rest.substr(1));
  if (end == std::string_view::npos) return std::nullopt;
  const auto close = end + 1;
  const std::string_view address = rest.substr(1, end);
  if (address.empty() && !null_ok) return std::nullopt;
  rest.remove_prefix(close + 1);
  if (!rest.empty() && rest.front() != ' ') return std::nullopt;
  return Path{std::string(address), trim(rest)};
}

// A decimal number, saturated at the largest size_t; nullopt if it is not one.
std::optional<std::size_t> number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t n = 0;
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::size_t>(c - '0');
    n = n > (kMax - digit) / 10 ? kMax : n * 10 + digit;
  }
  return n;
}

// RFC 5321 4.1.2: esmtp-keyword ["=" esmtp-value], the keyword a letter
// or digit then letters, digits and "-", the value one or more bytes from
// 33 to 126 but "=".
bool well_formed(std::string_view param) {
  const auto eq = param.find('=');
  const std::string_view key = param.substr(0, eq);
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (key.empty() || !alnum(key.front())) return false;
  for (char c : key)
    if (!alnum(c) && c != '-') return false;
  if (eq == std::string_view::npos) return true;
  const std::string_view value = param.substr(eq + 1);
  if (value.empty()) return false;
  for (char c : value)
    if (c < 33 || c > 126 || c == '=') return false;
  return true;
}

// The next of the space-separated parameters in `rest`, taken off it.
std::string_view next_param(std::string_view& rest) {
  const auto space = rest.find(' ');
  const std::string_view param = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view{} : trim(rest.substr(space));
  return param;
}

// Whether every parameter of `params` is well formed.
bool all_well_formed(std::string_view params) {
  while (!params.empty())
    if (!well_formed(next_param(params))) return false;
  return true;
}

// How a MAIL parameter is refused.
struct Refusal {
  int code;
  std::string_view text;
  std::string_view why;
};

constexpr Refusal kMalformedParams{501, "5.5.4 Syntax: MAIL FROM:<address> [SP <mail-parameters>]",
                                   "bad MAIL parameter syntax"};
constexpr Refusal kUnknownParam{555, "5.5.4 MAIL FROM parameters not recognized or not implemented",
                                "unknown MAIL parameter"};

}  // namespace

void Session::mail(std::string_view line, std::string_view argument, Actions& actions) {
  if (helo_.empty())
    return refuse(actions, line, 503, "5.5.1 Error: send HELO first", "MAIL before HELO");
  if (transaction_.begun)
    return refuse(actions, line, 503, "5.5.1 Error: nested MAIL command", "nested MAIL");
  const auto path = parse_path(argument, "FROM:", true);
  if (!path)
    return refuse(actions, line, 501, "5.5.4 Syntax: MAIL FROM:<address>", "bad MAIL syntax");
  Transaction t;
  t.begun = true;
  t.mail_from = path->address;
  if (!path->rest.empty() && !mail_params(line, path->rest, t, actions)) return;
  if (options().require_tls && !tls_)
    return refuse(actions, line, 530, "5.7.0 Must issue a STARTTLS command first",
                  "MAIL before STARTTLS");
  if (options().require_auth && auth_user_.empty())
    return refuse(actions, line, 530, "5.7.0 Authentication required", "MAIL before AUTH");
  if (respond(Command::mail, argument, 250, "2.1.0 OK", actions)) transaction_ = std::move(t);
}

// MAIL's parameters into `t`; false (and refused) if one is not accepted.
// A malformed one is a syntax error, 501 (RFC 5321 4.1.2 and RFC 1870's
// size-value, as aiosmtpd answers "SIZE=", "SIZE=ten", "BODY=X" or
// "SMTPUTF8=yes"); one well formed but unknown is 555.
bool Session::mail_params(std::string_view line, std::string_view params, Transaction& t,
                          Actions& actions) {
  auto refused = [&](const Refusal& r) {
    refuse(actions, line, r.code, r.text, std::string(r.why));
    return false;
  };
  // Parameters are ESMTP's: after HELO the line is bad syntax (as aiosmtpd).
  if (!esmtp_)
    return refused({501, "5.5.4 Syntax: MAIL FROM:<address>", "MAIL parameters after HELO"});
  if (!all_well_formed(params)) return refused(kMalformedParams);
  while (!params.empty()) {
    const std::string_view param = next_param(params);
    const auto eq = param.find('=');
    const std::string key = upper(param.substr(0, eq));
    const bool valued = eq != std::string_view::npos;
    const std::string_view value = valued ? param.substr(eq + 1) : std::string_view{};
    const std::string type = upper(value);
    if (key == "SIZE") {
      const auto size = number(value);
      if (!size) return refused({501, "5.5.4 Syntax: SIZE=<size>", "bad SIZE value"});
      if (*size > options().max_message_bytes)
        return refused(
            {552, "5.3.4 Message size exceeds fixed maximum message size", "SIZE over the limit"});
    } else if (key == "BODY") {
      if (type != "7BIT" && type != "8BITMIME")
        return refused(
            {501, "5.5.4 Error: BODY can only be one of 7BIT, 8BITMIME", "bad BODY value"});
      t.body_type = type;
    } else if (key == "SMTPUTF8") {
      if (valued)
        return refused({501, "5.5.4 Error: SMTPUTF8 takes no arguments", "SMTPUTF8 with a value"});
    } else if (key != "AUTH" || options().credentials.empty()) {
      return refused(kUnknownParam);
    } else if (!valued) {
      return refused({501, "5.5.4 Syntax: AUTH=<mailbox>", "bad AUTH value"});
    }
    t.mail_params.emplace_back(param);
  }
  return true;
}

void Session::rcpt(std::string_view line, std::string_view argument, Actions& actions) {
  if (!transaction_.begun)
    return refuse(actions, line, 503, "5.5.1 Error: need MAIL command", "RCPT before MAIL");
  const auto path = parse_path(argument, "TO:", false);
  if (!path)
    return refuse(actions, line, 501, "5.5.4 Syntax: RCPT TO:<address>", "bad RCPT syntax");
  if (!path->rest.empty() && !esmtp_)
    return refuse(actions, line, 501, "5.5.4 Syntax: RCPT TO:<address>",
                  "RCPT parameters after HELO");
  if (!path->rest.empty() && !all_well_formed(path->rest))
    return refuse(actions, line, 501, "5.5.4 Syntax: RCPT TO:<address> [SP <rcpt-parameters>]",
                  "bad RCPT parameter syntax");
  if (!path->rest.empty())
    return refuse(actions, line, 555, "5.5.4 RCPT TO parameters not recognized or not implemented",
                  "unknown RCPT parameter");
  if (transaction_.rcpt_to.size() >= options().max_recipients)
    return refuse(actions, line, 452, "4.5.3 Too many recipients", "too many recipients");
  if (respond(Command::rcpt, argument, 250, "2.1.5 OK", actions))
    transaction_.rcpt_to.push_back(path->address);
}

void Session::data(std::string_view line, std::string_view argument, Actions& actions) {
  if (transaction_.rcpt_to.empty())
    return refuse(actions, line, 503, "5.5.1 Error: need RCPT command", "DATA before RCPT");
  if (!argument.empty())
    return refuse(actions, line, 501, "5.5.4 Syntax: DATA", "DATA with an argument");
  constexpr std::string_view kGoAhead = "End data with <CR><LF>.<CR><LF>";
  const auto scripted = host_.scripted(Command::data, argument);
  content_ = {};
  data_line_start_ = true;
  if (scripted && scripted->after == After::drop) {
    send(actions, 354, kGoAhead);  // and close in the middle of what follows
    content_.drop_after = scripted->drop_after_bytes;
  } else if (!respond(scripted, 354, kGoAhead, actions)) {
    return;
  }
  state_ = State::data;
}

// One line of content, with its line end; over a limit it is counted, not
// kept: the data is read to its end and refused there. A dot that starts
// an SMTP line (@p line_start) is a stuffed one.
void Session::content(std::string_view raw_line, bool line_start) {
  const bool stuffed = line_start && raw_line.starts_with('.');
  if (stuffed) raw_line.remove_prefix(1);
  const std::size_t size = line_size_ - (stuffed ? 1 : 0);
  content_.size += size;
  if (line_size_ > options().max_line_bytes) content_.line_too_long = true;
  if (content_.line_too_long || content_.size > options().max_message_bytes) {
    content_.data.clear();
    content_.data.shrink_to_fit();
    return;
  }
  content_.data += raw_line;
}

void Session::end_of_data(Actions& actions) {
  state_ = State::command;
  Content content = std::exchange(content_, {});
  Transaction transaction = std::exchange(transaction_, {});
  if (content.size > options().max_message_bytes)
    return refuse(actions, ".", 552, "5.3.4 Error: Too much mail data", "message too big");
  if (content.line_too_long)
    return refuse(actions, ".", 500, "5.5.2 Error: line too long", "line too long in DATA");
  const auto scripted = host_.scripted(Command::message, "");
  if (!scripted || (scripted->after != After::drop && scripted->code < 400))
    host_.accepted(message(std::move(transaction), std::move(content.data)));
  respond(scripted, 250, "2.0.0 OK: queued", actions);
}

Message Session::message(Transaction transaction, std::string data) const {
  Message m;
  m.mail_from = std::move(transaction.mail_from);
  m.mail_params = std::move(transaction.mail_params);
  m.rcpt_to = std::move(transaction.rcpt_to);
  m.data = std::move(data);
  parse_headers(m);
  m.body_type = std::move(transaction.body_type);
  m.helo = helo_;
  m.esmtp = esmtp_;
  m.tls = tls_;
  m.auth_user = auth_user_;
  m.peeraddr = setup_.info.peeraddr;
  m.peerport = setup_.info.peerport;
  m.session = setup_.info.id;
  return m;
}

}  // namespace trap::smtp::detail
