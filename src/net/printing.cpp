// SPDX-License-Identifier: BSL-1.0
// How trap::net's values print: one line each, for Boost.Test's messages
// (BOOST_TEST_INFO, the two sides of a failed BOOST_TEST(a == b)), and the
// quoting and endpoints that trap::http and trap::smtp print with too.
#include "net/printing.hpp"

#include <cstdio>
#include <ostream>
#include <string_view>

#include <trap/net.hpp>

namespace trap::net {
namespace detail {

void quoted(std::ostream& out, std::string_view text, Escapes escapes) {
  out << '"';
  const bool named = escapes == Escapes::named;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out << '\\' << static_cast<char>(c);
    } else if (named && (c == '\n' || c == '\r' || c == '\t')) {
      out << '\\' << (c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out << hex;
    } else {
      out << static_cast<char>(c);
    }
  }
  out << '"';
}

void endpoint(std::ostream& out, std::string_view address, std::uint16_t port) {
  if (address.find(':') != std::string_view::npos)
    out << '[' << address << "]:" << port;
  else
    out << address << ':' << port;
}

}  // namespace detail

namespace {

// @p s in double quotes, what does not print escaped (\n, \r, \t by name).
void quoted(std::ostream& out, std::string_view s) {
  detail::quoted(out, s, detail::Escapes::named);
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const FilterChoice& filter) {
  return out << (filter.object() ? "a filter object" : filter.name());
}

std::ostream& operator<<(std::ostream& out, const ClientInfo& info) {
  detail::endpoint(out, info.peeraddr, info.peerport);
  out << " -> ";
  detail::endpoint(out, info.sockaddr, info.sockport);
  return out;
}

std::ostream& operator<<(std::ostream& out, const ServerEvent& e) {
  out << (e.name.empty() ? e.kind : e.name);
  if (e.sequence) out << " #" << e.sequence;
  if (e.client) out << " client " << e.client;
  if (e.kind == "client_input") {
    out << " input ";
    quoted(out, e.input);
  }
  if (!e.parts.empty()) {
    out << " parts [";
    for (std::size_t i = 0; i < e.parts.size(); ++i) quoted(out << (i ? ", " : ""), e.parts[i]);
    out << ']';
  }
  if (!e.info.peeraddr.empty()) out << " (" << e.info << ')';
  if (!e.operation.empty()) out << " operation " << e.operation;
  if (e.error) out << " error " << e.error;
  if (!e.message.empty()) quoted(out << " message ", e.message);
  return out;
}

std::ostream& operator<<(std::ostream& out, const ShutdownReport& report) {
  return out << (report.clean() ? "clean teardown" : report.describe());
}

std::ostream& operator<<(std::ostream& out, const Datagram& d) {
  out << "datagram";
  if (d.sequence) out << " #" << d.sequence;
  detail::endpoint(out << " from ", d.peeraddr, d.peerport);
  quoted(out << ' ', d.data);
  return out;
}

}  // namespace trap::net
