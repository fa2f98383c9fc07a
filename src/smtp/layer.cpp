// SPDX-License-Identifier: BSL-1.0
// The smtp_server layer: a trap::smtp::Server for the trapped code, where
// it is exported as TRAP_SMTP_HOST, TRAP_SMTP_PORT and TRAP_SMTP_URL (and,
// with `starttls`, its CA file as TRAP_SMTP_CA), torn down with the trap,
// with the messages it accepted and the problems it saw as accessors.
// Written with the public Builder API, as the other server layers are.
#include <mutex>
#include <string>

#include <trap/builder.hpp>
#include <trap/smtp.hpp>

#include "net/layer_options.hpp"

namespace trap::smtp {
namespace {

namespace opts = net::detail;

constexpr std::string_view kLayer = "smtp_server";

struct LayerSettings {
  ServerOptions options;
  bool lenient = false;
  std::chrono::milliseconds wait{200};  // for clients to QUIT at the end
};

Credentials parse_user(std::string_view value) {
  const auto colon = value.find(':');
  if (value.empty() || colon == std::string_view::npos || colon == 0)
    throw UsageError("smtp_server: user must be NAME:PASSWORD, not \"" + std::string(value) + "\"");
  return Credentials{std::string(value.substr(0, colon)), std::string(value.substr(colon + 1))};
}

// The options that take no value.
bool apply_flag(LayerSettings& s, std::string_view key) {
  auto& o = s.options;
  if (key == "lenient") return s.lenient = true;
  if (key == "starttls") return o.starttls = true;
  if (key == "require_tls") return o.require_tls = o.starttls = true;
  if (key == "require_auth") return o.require_auth = true;
  return false;
}

void apply(LayerSettings& s, std::string_view key, std::string_view value) {
  auto& o = s.options;
  if (value.empty() && apply_flag(s, key)) return;
  if (key == "address") {
    o.address = std::string(value);
  } else if (key == "hostname" && !value.empty()) {
    o.hostname = std::string(value);
  } else if (key == "user") {
    o.credentials.push_back(parse_user(value));
  } else if (key == "max_message_bytes") {
    o.max_message_bytes = opts::parse_size(kLayer, key, value);
  } else if (key == "max_line_bytes") {
    o.max_line_bytes = opts::parse_size(kLayer, key, value);
  } else if (key == "max_recipients") {
    o.max_recipients = opts::parse_size(kLayer, key, value);
  } else if (key == "idle_timeout") {
    o.idle_timeout = opts::parse_ms(kLayer, key, value);
  } else if (key == "max_log") {
    o.max_log = opts::parse_size(kLayer, key, value);
  } else if (key == "wait") {
    s.wait = opts::parse_ms(kLayer, key, value);
  } else {
    throw UsageError("smtp_server: unknown option \"" + std::string(key) +
                     "\" (the options are address, hostname, user=NAME:PASSWORD, starttls, "
                     "require_tls, require_auth, max_message_bytes, max_line_bytes, "
                     "max_recipients, idle_timeout, max_log, wait, lenient)");
  }
}

LayerSettings parse(std::string_view arg) {
  LayerSettings s;
  opts::for_each_option(
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

void smtp_server_layer(Trap& self, std::string_view arg) {
  LayerSettings settings = parse(arg);
  auto server = std::make_shared<Server>(settings.options);
  self.prop("smtp_server")["server"] = server;
  self.set("messages", Array{});
  self.set("problems", Array{});
  self.set("teardown", "");
  // Registered first, so that it runs last: after the code's own teardowns.
  self.teardown([server, settings](Trap& t) {
    ShutdownReport report = server->shutdown(settings.wait);
    t.set("messages", array_of(server->messages()));
    t.set("problems", array_of(report.problems));
    const std::string why = report.clean() ? "" : "unclean teardown: " + report.describe();
    t.set("teardown", why);
    if (!report.clean() && !settings.lenient) throw TrapError("smtp_server: " + why);
  });
  export_environment(self, "TRAP_SMTP_HOST", server->host());
  export_environment(self, "TRAP_SMTP_PORT",
                     std::to_string(server->port() != 0 ? server->port() : server->port6()));
  export_environment(self, "TRAP_SMTP_URL", server->url());
  if (settings.options.starttls)
    export_environment(self, "TRAP_SMTP_CA", server->ca_file().string());
  self.next();
}

}  // namespace

Server& server(Trap& t) {
  Props& p = t.prop("smtp_server");
  auto it = p.find("server");
  if (it != p.end())
    if (auto* s = std::any_cast<std::shared_ptr<Server>>(&it->second)) return **s;
  throw UsageError("trap::smtp::server: this trap has no smtp_server layer");
}

namespace detail {

bool register_smtp_server_layer() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& B = Builder::instance();
    B.layer(standard(), "smtp_server", smtp_server_layer,
            [](std::string_view arg) { (void)parse(arg); });
    B.accessor(standard(),
               {.simple = {"messages", "problems"}, .is_array = true, .layer = "smtp_server"});
    B.accessor(standard(), {.simple = {"teardown"}, .layer = "smtp_server"});
  });
  return true;
}

}  // namespace detail
}  // namespace trap::smtp
