// SPDX-License-Identifier: BSL-1.0
// How a Response goes on the wire (response_plan.hpp): the head, the body
// framed by Content-Length or chunks, and the faults and pacing it asks for.
#include "http/response_plan.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <string_view>

namespace trap::http::detail {
namespace {

using std::chrono::milliseconds;

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// Whether a Connection field among these has the "close" option (a
// comma-separated list, any case).
bool says_close(const Headers& headers) {
  for (const auto& value : headers.get_all("Connection")) {
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view token = rest.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (same_name(token, "close")) return true;
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return false;
}

bool body_allowed(int status) { return status >= 200 && status != 204 && status != 304; }

// The reason phrases of Go's net/http (StatusText).
struct Reason {
  int status;
  const char* text;
};
constexpr Reason kReasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Requested Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {418, "I'm a teapot"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Entity"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};

// As Go's net/http writes it: a code it has no text for is "status code N".
std::string status_line(int status) {
  const auto* r = std::find_if(std::begin(kReasons), std::end(kReasons),
                               [status](const Reason& x) { return x.status == status; });
  const std::string code = std::to_string(status);
  return "HTTP/1.1 " + code + " " + (r != std::end(kReasons) ? r->text : "status code " + code) +
         "\r\n";
}

std::string hex(std::size_t n) {
  char text[24];
  std::snprintf(text, sizeof text, "%zx", n);
  return text;
}

std::string chunked_body(const std::string& body, std::size_t chunk_size) {
  std::string out;
  const std::size_t step = chunk_size == 0 ? body.size() : chunk_size;
  for (std::size_t at = 0; at < body.size(); at += step) {
    const std::size_t n = std::min(step, body.size() - at);
    out += hex(n) + "\r\n" + body.substr(at, n) + "\r\n";
  }
  return out + "0\r\n\r\n";
}

// The framing decided for one response.
struct Framing {
  bool chunked = false;
  bool closing = false;
  bool has_body = false;
};

Framing framing_of(const Response& r, const PlanContext& c) {
  Framing f;
  f.has_body = body_allowed(r.status);
  // Each of these faults needs its framing: a Content-Length that lies,
  // a chunk that is malformed.
  f.chunked = f.has_body && r.fault != Fault::wrong_content_length &&
              ((r.chunked && c.version >= 11) || r.fault == Fault::malformed_chunk);
  f.closing = !c.keep_alive || r.close || says_close(r.headers) || r.fault != Fault::none;
  return f;
}

std::string head_of(const Response& r, const PlanContext& c, const Framing& f) {
  std::string head = status_line(r.status);
  // Closing, it says so: a Connection field that does not is replaced, as
  // Go's net/http replaces it.
  const bool replace_connection = f.closing && !says_close(r.headers);
  for (const auto& h : r.headers.fields())
    if (!replace_connection || !same_name(h.name, "Connection"))
      head += h.name + ": " + h.value + "\r\n";
  if (f.chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  } else if (f.has_body && !r.headers.contains("Content-Length")) {
    std::size_t length = r.body.size();
    if (r.fault == Fault::wrong_content_length) length += 16;
    head += "Content-Length: " + std::to_string(length) + "\r\n";
  }
  if (replace_connection) head += "Connection: close\r\n";
  if (!f.closing && c.version < 11 && !r.headers.contains("Connection"))
    head += "Connection: keep-alive\r\n";
  return head + "\r\n";
}

std::string body_of(const Response& r, const PlanContext& c, const Framing& f) {
  if (c.head || !f.has_body) return {};
  if (r.fault == Fault::malformed_chunk) return "zz\r\n" + r.body + "\r\n0\r\n\r\n";
  std::string body = f.chunked ? chunked_body(r.body, r.chunk_size) : r.body;
  if (r.fault == Fault::close_mid_body) body.resize(body.size() / 2);
  return body;
}

// The body in pieces of a tenth of a second each at the throttled rate,
// the first after body_delay.
void add_body(Plan& plan, std::string body, const Response& r) {
  if (body.empty()) return;
  const std::size_t rate = r.throttle_bytes_per_second;
  if (rate == 0) {
    if (r.body_delay.count() == 0 && !plan.pieces.empty()) {
      plan.pieces.back().bytes += body;
    } else {
      plan.pieces.push_back({r.body_delay, std::move(body)});
    }
    return;
  }
  const std::size_t step = std::max<std::size_t>(1, rate / 10);
  const milliseconds pause(static_cast<long long>(step * 1000 / rate));
  for (std::size_t at = 0; at < body.size(); at += step)
    plan.pieces.push_back({at == 0 ? r.body_delay : pause, body.substr(at, step)});
}

After after_of(Fault fault, bool closing) {
  switch (fault) {
    case Fault::reset:
      return After::reset;
    case Fault::no_response:
      return After::hang;
    default:
      return closing ? After::close : After::keep_alive;
  }
}

}  // namespace

std::string bad_status(int status) {
  return "status " + std::to_string(status) + " is not an HTTP status code (100 to 999)";
}

Plan plan_response(const Response& r, const PlanContext& c) {
  const Framing f = framing_of(r, c);
  Plan plan;
  plan.after = after_of(r.fault, f.closing);
  switch (r.fault) {
    case Fault::close_at_start:
    case Fault::close_after_request:
    case Fault::reset:
    case Fault::no_response:
      return plan;  // nothing is sent
    default:
      break;
  }
  plan.pieces.push_back({r.headers_delay, head_of(r, c, f)});
  add_body(plan, body_of(r, c, f), r);
  return plan;
}

Plan plan_error(int status, const std::string& body) {
  Response r = Response::text(status, body);
  r.close = true;
  return plan_response(r, PlanContext{});
}

}  // namespace trap::http::detail
