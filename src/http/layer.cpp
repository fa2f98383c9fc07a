// SPDX-License-Identifier: BSL-1.0
// The http_server layer: a trap::http::Server for the trapped code, torn
// down with the trap, with the requests it received and those nothing
// answered as accessors. Written with the public Builder API, as a user's
// layer would be.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <trap/builder.hpp>
#include <trap/http.hpp>

namespace trap::http {
namespace {

struct LayerSettings {
  ServerOptions options;
  bool lenient = false;
  std::chrono::milliseconds wait{200};  // for clients to close at the end
};

std::size_t parse_size(std::string_view key, std::string_view value) {
  if (value.empty()) throw UsageError("http_server: " + std::string(key) + " has no value");
  std::size_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9' || n > (std::size_t(-1) - 9) / 10)
      throw UsageError("http_server: " + std::string(key) + " must be a number, not \"" +
                       std::string(value) + "\"");
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

void apply(LayerSettings& s, std::string_view key, std::string_view value) {
  auto& o = s.options;
  if (key == "address") {
    o.address = std::string(value);
  } else if (key == "max_header_bytes") {
    o.max_header_bytes = parse_size(key, value);
  } else if (key == "max_body_bytes") {
    o.max_body_bytes = parse_size(key, value);
  } else if (key == "header_timeout") {
    o.header_timeout = std::chrono::milliseconds(parse_size(key, value));
  } else if (key == "wait") {
    s.wait = std::chrono::milliseconds(parse_size(key, value));
  } else if (key == "tls" && value.empty()) {
    o.tls = true;
  } else if (key == "lenient" && value.empty()) {
    s.lenient = true;
  } else {
    throw UsageError("http_server: unknown option \"" + std::string(key) +
                     "\" (the options are address, max_header_bytes, max_body_bytes, "
                     "header_timeout, wait, tls, lenient)");
  }
}

LayerSettings parse(std::string_view arg) {
  LayerSettings s;
  while (!arg.empty()) {
    auto comma = arg.find_first_of(",;");
    std::string_view item = arg.substr(0, comma);
    arg = comma == std::string_view::npos ? std::string_view() : arg.substr(comma + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    apply(s, item.substr(0, eq), eq == std::string_view::npos ? "" : item.substr(eq + 1));
  }
  return s;
}

// Sets an environment variable for the trap's duration.
void export_for_trap(Trap& self, const char* name, const std::string& value) {
  const char* old = std::getenv(name);
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv(name, value.c_str(), 1);
  self.teardown([name, saved] {
    if (saved)
      ::setenv(name, saved->c_str(), 1);
    else
      ::unsetenv(name);
  });
}

// A request as the accessor holds it: [method, target, body].
Value as_value(const Request& r) { return Array{Value(r.method), Value(r.target), Value(r.body)}; }

void http_server_layer(Trap& self, std::string_view arg) {
  LayerSettings settings = parse(arg);
  auto server = std::make_shared<Server>(settings.options);
  self.prop("http_server")["server"] = server;
  self.set("requests", Array{});
  self.set("unmatched", Array{});
  self.set("teardown", "");
  // Registered first, so that it runs last: after the code's own teardowns.
  self.teardown([server, settings](Trap& t) {
    ShutdownReport report = server->shutdown(settings.wait);  // the thread is gone after
    Array requests, unmatched;
    for (const Request& r : server->requests()) requests.push_back(as_value(r));
    for (const Unmatched& u : report.unmatched)
      unmatched.push_back(Array{Value(u.request.method), Value(u.request.target), Value(u.why)});
    t.set("requests", Value(std::move(requests)));
    t.set("unmatched", Value(std::move(unmatched)));
    const std::string why = report.clean() ? "" : "unclean teardown: " + report.describe();
    t.set("teardown", why);  // kept for a lenient layer's tests
    if (!report.clean() && !settings.lenient) throw TrapError(why);
  });
  export_for_trap(self, "TRAP_HTTP_URL", server->url());
  if (server->port6()) export_for_trap(self, "TRAP_HTTP_URL6", server->url6());
  if (settings.options.tls) export_for_trap(self, "TRAP_HTTP_CA", server->ca_file().string());
  self.next();
}

}  // namespace

Server& server(Trap& t) {
  Props& p = t.prop("http_server");
  auto it = p.find("server");
  if (it != p.end())
    if (auto* s = std::any_cast<std::shared_ptr<Server>>(&it->second)) return **s;
  throw UsageError("trap::http::server: this trap has no http_server layer");
}

namespace detail {

bool register_http_server_layer() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& B = Builder::instance();
    B.layer(standard(), "http_server", http_server_layer,
            [](std::string_view arg) { (void)parse(arg); });
    B.accessor(standard(),
               {.simple = {"requests", "unmatched"}, .is_array = true, .layer = "http_server"});
    B.accessor(standard(), {.simple = {"teardown"}, .layer = "http_server"});
  });
  return true;
}

}  // namespace detail
}  // namespace trap::http
