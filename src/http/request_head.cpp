// SPDX-License-Identifier: BSL-1.0
#include "http/request_head.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace trap::http::detail {

std::size_t empty_lines_at_start(std::string_view bytes) {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n && (bytes[i] == '\n' || (bytes[i] == '\r' && i + 1 < n && bytes[i + 1] == '\n')))
    i += bytes[i] == '\n' ? 1 : 2;
  return i;
}

bool starts_with_empty_line(std::string_view bytes) {
  return empty_lines_at_start(bytes) > 0 || bytes == "\r";
}

bool head_has_bare_lf(std::string_view bytes, bool begun) {
  if (!begun) bytes.remove_prefix(empty_lines_at_start(bytes));
  for (std::size_t at = 0;;) {
    const auto lf = bytes.find('\n', at);
    if (lf == std::string_view::npos) return false;
    if (lf == 0 || bytes[lf - 1] != '\r') return true;
    if (lf == at + 1) return false;  // the head's empty line, CRLF
    at = lf + 1;
  }
}

CrlfHead crlf_head(std::string_view bytes, bool begun) {
  CrlfHead out;
  while (!out.complete) {
    const auto lf = bytes.find('\n', out.taken);
    if (lf == std::string_view::npos) break;
    const std::string_view line = bytes.substr(out.taken, lf - out.taken);
    out.head.append(line);
    out.head += line.ends_with('\r') ? "\n" : "\r\n";
    out.taken = lf + 1;
    const bool empty = line.empty() || line == "\r";
    out.complete = begun && empty;
    begun = begun || !empty;
  }
  return out;
}

bool put_crlf_head(boost::beast::flat_buffer& buffer, bool begun) {
  const auto data = buffer.data();
  const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
  auto crlf = crlf_head(bytes, begun);
  if (crlf.head.size() != crlf.taken) {
    const std::string all = crlf.head + std::string(bytes.substr(crlf.taken));
    buffer.consume(buffer.size());
    buffer.commit(boost::asio::buffer_copy(buffer.prepare(all.size()), boost::asio::buffer(all)));
  }
  return crlf.complete;
}

std::uint32_t limit_of(std::size_t n) {
  return static_cast<std::uint32_t>(
      std::min<std::size_t>(n, std::numeric_limits<std::uint32_t>::max()));
}

std::optional<LineVersion> request_line_version(std::string_view bytes) {
  std::string_view line = bytes.substr(0, bytes.find('\n'));
  if (line.ends_with('\r')) line.remove_suffix(1);
  constexpr std::string_view kPrefix = " HTTP/";
  if (line.size() < kPrefix.size() + 3) return std::nullopt;
  const std::size_t at = line.size() - 3;
  const std::string_view digits = line.substr(at);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (line.substr(at - kPrefix.size(), kPrefix.size()) != kPrefix || !digit(digits[0]) ||
      digits[1] != '.' || !digit(digits[2]))
    return std::nullopt;
  return LineVersion{digits[0] - '0', digits[2] - '0', at + 2};
}

namespace bhttp = boost::beast::http;

namespace {

// RFC 9112, 3.2: origin form ("/path"), absolute form (scheme ":" ...,
// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), authority form
// for CONNECT (Go's net/http takes any target there), "*" for OPTIONS.
bool has_target_form(bhttp::verb method, std::string_view target) {
  if (target.starts_with('/') || method == bhttp::verb::connect) return true;
  if (target == "*") return method == bhttp::verb::options;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  const auto colon = target.find(':');
  if (colon == std::string_view::npos || colon == 0 || !alpha(target[0])) return false;
  return std::all_of(
      target.begin(), target.begin() + static_cast<std::ptrdiff_t>(colon), [&](char c) {
        return alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
      });
}

// The bytes of a Host (RFC 3986's uri-host [":" port]) as Go's net/http
// takes them (httpguts.ValidHostHeader): any byte of a reg-name, an IP
// literal, a zone or a port.
bool valid_host(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!$%&'()*+,-.:;=[]_~").find(c) != std::string_view::npos;
  });
}

std::size_t chunked_count(std::string_view value) {
  std::size_t n = 0;
  for (auto coding : bhttp::token_list{value}) n += boost::beast::iequals(coding, "chunked");
  return n;
}

constexpr std::string_view kTwice = "Transfer-Encoding gives chunked more than once (RFC 9112, 7)";

}  // namespace

std::string transfer_encoding_refused(const bhttp::request_header<>& head, std::string_view rest) {
  if (head.count(bhttp::field::content_length))
    return "Transfer-Encoding with Content-Length (RFC 9112, 6.3)";
  // The field refused: "Transfer-Encoding:" OWS value OWS CRLF.
  std::string_view value = rest.substr(0, rest.find('\r'));
  value.remove_prefix(std::min(value.size(), value.find(':') + 1));
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (chunked_count(value) > 0) return std::string(kTwice);
  return "Transfer-Encoding \"" + std::string(value) +
         "\" after chunked, which must be the last coding (RFC 9112, 6.1)";
}

namespace {

bool has_continue(std::string_view expect) {
  for (auto token : bhttp::token_list{expect})
    if (boost::beast::iequals(token, "100-continue")) return true;
  return false;
}

std::optional<std::string> bad_request(const bhttp::request_header<>& head, bool chunked) {
  if (!has_target_form(head.method(), head.target()))
    return "request-target \"" + std::string(head.target()) +
           "\" is not \"/path\", an absolute URI, or \"*\" for OPTIONS (RFC 9112, 3.2)";
  const std::size_t hosts = head.count(bhttp::field::host);
  if (hosts > 1) return "more than one Host header";
  if (const auto host = head[bhttp::field::host]; !valid_host(host))
    return "malformed Host header \"" + std::string(host) + "\"";
  // CONNECT's target is its authority: Go's net/http asks it for no Host.
  if (hosts == 0 && head.version() >= 11 && head.method() != bhttp::verb::connect)
    return "no Host header in an HTTP/1.1 request";
  auto coding = head.find(bhttp::field::transfer_encoding);
  if (coding != head.end() && chunked_count(coding->value()) > 1) return std::string(kTwice);
  if (coding != head.end() && !chunked)
    return "Transfer-Encoding \"" + std::string(coding->value()) + "\" does not end in chunked";
  return std::nullopt;
}

}  // namespace

std::optional<Refusal> must_refuse(const bhttp::request_header<>& head, bool chunked) {
  if (auto why = bad_request(head, chunked)) return Refusal{400, "400 bad request: " + *why};
  const auto expect = head[bhttp::field::expect];
  if (!expect.empty() && !has_continue(expect))
    return Refusal{
        417, "417 expectation failed: Expect \"" + std::string(expect) + "\" is not 100-continue"};
  return std::nullopt;
}

bool may_keep_alive(const bhttp::request_header<>& head, bool asked) {
  return asked &&
         (head.version() >= 11 || head.find(bhttp::field::transfer_encoding) == head.end());
}

bool expects_continue(const bhttp::request_header<>& head) {
  if (head.version() < 11) return false;
  return has_continue(head[bhttp::field::expect]);
}

Request request_of(const bhttp::request_header<>& head, int minor, std::size_t fields) {
  Request r;
  r.method = std::string(head.method_string());
  r.target = std::string(head.target());
  split_target(r);
  r.version = minor ? 10u + static_cast<unsigned>(minor) : head.version();
  std::size_t n = 0;
  for (const auto& field : head)
    (n++ < fields ? r.headers : r.trailers)
        .add(std::string(field.name_string()), std::string(field.value()));
  return r;
}

std::size_t field_count(const bhttp::request_header<>& head) {
  return static_cast<std::size_t>(std::distance(head.begin(), head.end()));
}

namespace {

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

Request request_begun(const bhttp::request_header<>& head, std::string_view bytes) {
  Request r;
  if (!head.method_string().empty()) {
    r.method = std::string(head.method_string());
    r.target = std::string(head.target());
    r.version = head.version();
  } else {
    const std::string_view line = bytes.substr(0, bytes.find_first_of("\r\n"));
    const auto sp = line.find(' ');
    const auto sp2 = line.rfind(' ');
    if (sp == 0 || sp == std::string_view::npos || sp2 == sp || sp2 + 1 == line.size() ||
        line.substr(sp + 1, sp2 - sp - 1).find(' ') != std::string_view::npos)
      return r;  // not three parts
    const std::string_view method = line.substr(0, sp);
    const std::string_view target = line.substr(sp + 1, sp2 - sp - 1);
    auto control = [](char c) { return c < ' ' || c == 127; };
    if (!std::all_of(method.begin(), method.end(), is_tchar) ||
        std::any_of(line.begin(), line.end(), control))
      return r;
    r.method = std::string(method);
    r.target = std::string(target);
    if (const auto v = request_line_version(line)) r.version = v->major * 10u + v->minor;
  }
  split_target(r);
  return r;
}

void split_target(Request& r) {
  std::string_view rest = r.target;
  if (const auto scheme = rest.find("://");
      scheme != std::string_view::npos && rest.substr(0, 1) != "/") {
    rest.remove_prefix(scheme + 3);
    const auto path = rest.find_first_of("/?");
    rest = path == std::string_view::npos ? std::string_view() : rest.substr(path);
  }
  const auto q = rest.find('?');
  r.path = std::string(rest.substr(0, q));
  if (r.path.empty() && r.target != rest) r.path.assign(1, '/');
  if (q != std::string_view::npos) r.query = std::string(rest.substr(q + 1));
}

}  // namespace trap::http::detail
