// SPDX-License-Identifier: BSL-1.0
// The http_server layer: a trap::http::Server for the trapped code, its
// URL exported as TRAP_HTTP_URL (and, with `tls`, its CA file as
// TRAP_HTTP_CA), torn down with the trap, with the
// requests it received and those nothing answered as accessors. Written
// with the public Builder API, as the tcp_server layer is.
#include <cstdlib>
#include <mutex>
#include <string>

#include <trap/builder.hpp>
#include <trap/http.hpp>

#include "net/layer_options.hpp"

namespace trap::http {
namespace {

struct LayerSettings {
  ServerOptions options;
  bool lenient = false;
  std::chrono::milliseconds wait{200};  // for clients to close at the end
};

std::size_t parse_size(std::string_view key, std::string_view value) {
  return net::detail::parse_size("http_server", key, value);
}

std::chrono::milliseconds parse_ms(std::string_view key, std::string_view value) {
  return net::detail::parse_ms("http_server", key, value);
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
    o.header_timeout = parse_ms(key, value);
  } else if (key == "max_log") {
    o.max_log = parse_size(key, value);
  } else if (key == "wait") {
    s.wait = parse_ms(key, value);
  } else if (key == "lenient" && value.empty()) {
    s.lenient = true;
  } else if (key == "tls" && value.empty()) {
    o.tls = true;
  } else {
    throw UsageError("http_server: unknown option \"" + std::string(key) +
                     "\" (the options are address, max_header_bytes, max_body_bytes, "
                     "header_timeout, max_log, wait, lenient, tls)");
  }
}

LayerSettings parse(std::string_view arg) {
  LayerSettings s;
  net::detail::for_each_option(
      arg, [&](std::string_view key, std::string_view value) { apply(s, key, value); });
  return s;
}

template <class T>
Value array_of(const std::vector<T>& items) {
  Array a;
  a.reserve(items.size());
  for (const T& item : items) a.push_back(Value::from(item));
  return Value(std::move(a));
}

void http_server_layer(Trap& self, std::string_view arg) {
  LayerSettings settings = parse(arg);
  auto server = std::make_shared<Server>(settings.options);
  self.prop("http_server")["server"] = server;
  self.set("requests", Array{});
  self.set("unmatched", Array{});
  self.set("teardown", "");
  // Registered first, so that it runs last: after the code's own teardowns.
  self.teardown([server, settings](Trap& t) {
    ShutdownReport report = server->shutdown(settings.wait);
    t.set("requests", array_of(server->requests()));
    t.set("unmatched", array_of(report.unmatched));
    // Kept for a lenient layer's tests; "" when clean, as tcp_server's.
    const std::string why = report.clean() ? "" : "unclean teardown: " + report.describe();
    t.set("teardown", why);
    if (!report.clean() && !settings.lenient) throw TrapError("http_server: " + why);
  });
  export_environment(self, "TRAP_HTTP_URL", server->url());
  if (settings.options.tls) export_environment(self, "TRAP_HTTP_CA", server->ca_file().string());
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
