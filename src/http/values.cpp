// SPDX-License-Identifier: BSL-1.0
// trap::http's plain values: header lists, a request's query, the response
// builders, and how each prints (one line, for Boost.Test's messages).
#include <cstdint>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <trap/http.hpp>

#include "net/printing.hpp"

namespace trap::http {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: %XX and '+' for a space;
// a '%' not followed by two hex digits stays as it is.
std::string decode_component(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void quoted(std::ostream& out, std::string_view s) {
  net::detail::quoted(out, s, net::detail::Escapes::hex);
}

}  // namespace

void Headers::add(std::string name, std::string value) {
  fields_.push_back({std::move(name), std::move(value)});
}

void Headers::set(std::string name, std::string value) {
  std::erase_if(fields_, [&](const Header& h) { return same_name(h.name, name); });
  add(std::move(name), std::move(value));
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const Header& h : fields_)
    if (same_name(h.name, name)) return h.value;
  return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
  std::vector<std::string> values;
  for (const Header& h : fields_)
    if (same_name(h.name, name)) values.push_back(h.value);
  return values;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    std::size_t eq = pair.find('=');
    if (decode_component(pair.substr(0, eq)) == name)
      return eq == std::string_view::npos ? std::string{} : decode_component(pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& out, const Request& r) {
  if (r.method.empty()) {  // a bad request or handshake: who sent it, then
    out << "no request line from ";
    net::detail::endpoint(out, r.peeraddr, r.peerport);
  } else {
    out << r.method << ' ' << r.target;
  }
  if (!r.body.empty()) {
    out << " body ";
    quoted(out, r.body.size() > 80 ? std::string_view(r.body).substr(0, 80) : r.body);
    if (r.body.size() > 80) out << "... (" << r.body.size() << " bytes)";
  }
  return out << " (connection " << r.connection << ", #" << r.sequence << ')';
}

std::ostream& operator<<(std::ostream& out, Fault fault) {
  switch (fault) {
    case Fault::none:
      return out << "none";
    case Fault::close_at_start:
      return out << "close_at_start";
    case Fault::close_after_request:
      return out << "close_after_request";
    case Fault::close_mid_body:
      return out << "close_mid_body";
    case Fault::reset:
      return out << "reset";
    case Fault::no_response:
      return out << "no_response";
    case Fault::malformed_chunk:
      return out << "malformed_chunk";
    case Fault::wrong_content_length:
      return out << "wrong_content_length";
  }
  return out << "Fault(" << static_cast<int>(fault) << ')';
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.add("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

Response Response::status_only(int status) {
  Response r;
  r.status = status;
  return r;
}

Response&& Response::with_header(std::string name, std::string value) && {
  headers.add(std::move(name), std::move(value));
  return std::move(*this);
}

std::ostream& operator<<(std::ostream& out, const Unmatched& u) {
  return out << u.request << ": " << u.why;
}

std::string ShutdownReport::describe() const {
  if (clean()) return "clean";
  std::ostringstream out;
  const char* sep = "";
  for (const std::string& e : unmet) {
    out << sep << "expectation not met: " << e;
    sep = "\n";
  }
  if (untaken_responses) {
    out << sep << untaken_responses << " queued response"
        << (untaken_responses == 1 ? " was" : "s were") << " never taken";
    sep = "\n";
  }
  for (const Unmatched& u : unmatched) {
    out << sep << "unmatched request: " << u;
    sep = "\n";
  }
  for (const ConnectionInfo& c : open) {
    out << sep << "connection " << c.id << " still open from ";
    net::detail::endpoint(out, c.peeraddr, c.peerport);
    sep = "\n";
  }
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const ShutdownReport& report) {
  return out << report.describe();
}

// ------------------------------------------- from a forked child and back

namespace {

using Fields = std::vector<std::string>;
// Then each header's name and value, then each trailer's.
constexpr std::size_t kRequestFields = 12;

std::string number(unsigned long long n) { return trap::codec<unsigned long long>::encode(n); }

unsigned long long number_of(const std::string& s, unsigned long long max) {
  const unsigned long long n = trap::codec<unsigned long long>::decode(s);
  if (n > max) throw std::invalid_argument("trap::codec<trap::http::Request>: " + s + " too big");
  return n;
}

Fields fields_of(const trap::http::Request& r, Fields f = {}) {
  f.insert(f.end(), {r.method, r.target, r.path, r.query, number(r.version), r.body,
                     number(r.chunked), r.peeraddr, number(r.peerport), number(r.connection),
                     number(r.sequence), number(r.headers.size())});
  for (const auto& h : r.headers.fields()) f.insert(f.end(), {h.name, h.value});
  for (const auto& h : r.trailers.fields()) f.insert(f.end(), {h.name, h.value});
  return f;
}

// The request in @p f from @p at on.
trap::http::Request request_of(const Fields& f, std::size_t at) {
  if (f.size() < at + kRequestFields || (f.size() - at - kRequestFields) % 2 != 0)
    throw std::invalid_argument("trap::codec<trap::http::Request>: not a request");
  const auto* p = f.data() + at;
  trap::http::Request r;
  r.method = p[0];
  r.target = p[1];
  r.path = p[2];
  r.query = p[3];
  r.version = static_cast<unsigned>(number_of(p[4], 99));
  r.body = p[5];
  r.chunked = number_of(p[6], 1) == 1;
  r.peeraddr = p[7];
  r.peerport = static_cast<std::uint16_t>(number_of(p[8], 65535));
  r.connection = number_of(p[9], ~0ull);
  r.sequence = number_of(p[10], ~0ull);
  const std::size_t headers = number_of(p[11], (f.size() - at - kRequestFields) / 2);
  for (std::size_t i = at + kRequestFields, n = 0; i < f.size(); i += 2, ++n)
    (n < headers ? r.headers : r.trailers).add(f[i], f[i + 1]);
  return r;
}

}  // namespace

}  // namespace trap::http

std::string trap::codec<trap::http::Request>::encode(const trap::http::Request& request) {
  return codec<std::vector<std::string>>::encode(trap::http::fields_of(request));
}

trap::http::Request trap::codec<trap::http::Request>::decode(std::string_view bytes) {
  return trap::http::request_of(codec<std::vector<std::string>>::decode(bytes), 0);
}

std::string trap::codec<trap::http::Unmatched>::encode(const trap::http::Unmatched& unmatched) {
  return codec<std::vector<std::string>>::encode(
      trap::http::fields_of(unmatched.request, {unmatched.why}));
}

trap::http::Unmatched trap::codec<trap::http::Unmatched>::decode(std::string_view bytes) {
  const auto f = codec<std::vector<std::string>>::decode(bytes);
  if (f.empty()) throw std::invalid_argument("trap::codec<trap::http::Unmatched>: empty");
  return {trap::http::request_of(f, 1), f[0]};
}
