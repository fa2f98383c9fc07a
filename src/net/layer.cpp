// SPDX-License-Identifier: BSL-1.0
// The tcp_server layer: a TcpServer for the trapped code, torn down with
// the trap, with what the clients sent and who connected as accessors.
// Written with the public Builder API, as a user's layer would be.
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <string>

#include <trap/builder.hpp>
#include <trap/net.hpp>

#include "net/layer_options.hpp"

namespace trap::net {
namespace {

struct LayerSettings {
  TcpServerOptions options;
  std::optional<LineFilterOptions> line;  // literal=, input_literal=, output_literal=
  bool lenient = false;
  std::chrono::milliseconds wait{200};  // for clients to close at the end
};

std::size_t parse_size(std::string_view key, std::string_view value) {
  return detail::parse_size("tcp_server", key, value);
}

// @p value with its escapes read: \r, \n, \t, \0, \\ and \xHH (a
// literal end of line cannot be written in a spec otherwise).
std::string unescape(std::string_view key, std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\') {
      out += value[i];
      continue;
    }
    const char e = ++i < value.size() ? value[i] : '\0';
    if (e == 'r')
      out += '\r';
    else if (e == 'n')
      out += '\n';
    else if (e == 't')
      out += '\t';
    else if (e == '0')
      out += '\0';
    else if (e == '\\')
      out += '\\';
    else if (e == 'x' && i + 2 < value.size() &&
             std::isxdigit(static_cast<unsigned char>(value[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(value[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(value.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      throw UsageError("tcp_server: " + std::string(key) + " has a bad escape in \"" +
                       std::string(value) + "\" (the escapes are \\r \\n \\t \\0 \\\\ \\xHH)");
    }
  }
  return out;
}

void apply(LayerSettings& s, std::string_view key, std::string_view value) {
  auto& o = s.options;
  if (key == "literal" || key == "input_literal" || key == "output_literal") {
    if (!s.line) s.line.emplace();
    auto& slot = key == "literal"         ? s.line->literal
                 : key == "input_literal" ? s.line->input_literal
                                          : s.line->output_literal;
    slot = unescape(key, value);
  } else if (key == "filter") {
    (void)filter_named(value);  // checks the name
    o.filter = std::string(value);
  } else if (key == "address") {
    o.address = std::string(value);
  } else if (key == "port") {
    std::size_t p = parse_size(key, value);
    if (p > 65535) throw UsageError("tcp_server: port " + std::string(value) + " is out of range");
    o.port = static_cast<std::uint16_t>(p);
  } else if (key == "prefix") {
    o.prefix = std::string(value);
  } else if (key == "ipv6") {
    o.ipv6 = !(value == "off" || value == "0" || value == "no");
  } else if (key == "max_message") {
    o.max_message = parse_size(key, value);
  } else if (key == "wait") {
    s.wait = std::chrono::milliseconds(parse_size(key, value));
  } else if (key == "lenient" && value.empty()) {
    s.lenient = true;
  } else {
    throw UsageError("tcp_server: unknown option \"" + std::string(key) +
                     "\" (the options are filter, literal, input_literal, output_literal, address, "
                     "port, prefix, ipv6, max_message, wait, lenient)");
  }
}

LayerSettings parse(std::string_view arg) {
  LayerSettings s;
  detail::for_each_option(
      arg, [&](std::string_view key, std::string_view value) { apply(s, key, value); });
  if (s.line) {
    if (!(s.options.filter == "line"))
      throw UsageError(
          "tcp_server: literal, input_literal and output_literal are the line "
          "filter's, not the " +
          s.options.filter.name() + " filter's");
    s.line->max_line = s.options.max_message;
    s.options.filter = LineFilter(*s.line);  // throws for bad literals
  }
  return s;
}

// Sets an environment variable to a port for the trap's duration.
void export_for_trap(Trap& self, const char* name, std::uint16_t port) {
  export_environment(self, name, std::to_string(port));
}

void tcp_server_layer(Trap& self, std::string_view arg) {
  LayerSettings settings = parse(arg);
  auto server = std::make_shared<TcpServer>(settings.options);
  // Collected as they come, so that a log that drops its oldest events
  // loses none of them.
  struct Seen {
    std::mutex m;
    Array received, connections;
  };
  auto seen = std::make_shared<Seen>();
  server->register_events({"client_input", "connected"}, [seen](const ServerEvent& e) {
    std::lock_guard lock(seen->m);
    if (e.kind == "client_input" && !e.parts.empty())  // a structured message
      seen->received.emplace_back(Array(e.parts.begin(), e.parts.end()));
    else if (e.kind == "client_input")
      seen->received.emplace_back(e.input);
    else
      seen->connections.emplace_back(Array{Value(e.client), Value(e.info.peeraddr),
                                           Value(e.info.peerport), Value(e.info.sockaddr),
                                           Value(e.info.sockport)});
  });
  self.prop("tcp_server")["server"] = server;
  self.set("received", Array{});
  self.set("connections", Array{});
  self.set("teardown", "");
  // Registered first, so that it runs last: after the code's own teardowns.
  self.teardown([server, settings, seen](Trap& t) {
    ShutdownReport report = server->shutdown(settings.wait);  // the thread is gone after
    t.set("received", Value(std::move(seen->received)));
    t.set("connections", Value(std::move(seen->connections)));
    // What a handler threw would otherwise be a line in the trap's stderr.
    std::string said = report.describe();
    for (const std::string& line : server->handler_failures())
      said += (said.empty() ? "" : "\n") + line;
    t.set("teardown", said);  // kept for a lenient layer's tests
    if (!said.empty() && !settings.lenient) throw TrapError(said);
  });
  export_for_trap(self, "TRAP_TCP_SERVER_PORT", server->port());
  export_for_trap(self, "TRAP_TCP_SERVER_PORT6", server->port6());
  self.next();
}

}  // namespace

TcpServer& server(Trap& t) {
  Props& p = t.prop("tcp_server");
  auto it = p.find("server");
  if (it != p.end())
    if (auto* s = std::any_cast<std::shared_ptr<TcpServer>>(&it->second)) return **s;
  throw UsageError("trap::net::server: this trap has no tcp_server layer");
}

namespace detail {

bool register_tcp_server_layer() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& B = Builder::instance();
    B.layer(standard(), "tcp_server", tcp_server_layer,
            [](std::string_view arg) { (void)parse(arg); });
    B.accessor(standard(),
               {.simple = {"received", "connections"}, .is_array = true, .layer = "tcp_server"});
    B.accessor(standard(), {.simple = {"teardown"}, .layer = "tcp_server"});
  });
  return true;
}

}  // namespace detail
}  // namespace trap::net
