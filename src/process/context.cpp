// SPDX-License-Identifier: BSL-1.0
// What a failing test on a trap::run trap shows beside its own diagnostics,
// and how RunOptions print in diag_all().
#include "process/context.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

#include <trap/process.hpp>

#include "posix/children.hpp"
#include "report/report_text.hpp"

namespace trap {
namespace detail {
namespace {

constexpr std::size_t kMaxShownLine = 200;  // bytes of one stderr line shown
constexpr std::size_t kMaxShownInput = 60;  // bytes of the input diag_all shows

// How many bytes of @p text to show at most @p max of (never cutting a
// UTF-8 character).
std::size_t shown_size(std::string_view text, std::size_t max) {
  if (text.size() <= max) return text.size();
  std::size_t at = max;
  while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
  return at;
}

// @p text cut to at most @p max bytes, "..." added where it was cut.
std::string cut(std::string_view text, std::size_t max) {
  const std::size_t n = shown_size(text, max);
  return std::string(text.substr(0, n)) + (n < text.size() ? "..." : "");
}

std::string duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

// How the program ended, as the trap now says.
std::string ending(const RunRecord& run, const Trap& t) {
  const std::string how = t.leaveby();
  if (how == "exit" && t.exit_code()) return "exited with status " + std::to_string(*t.exit_code());
  if (how == "signal" && t.signal()) {
    const int sig = *t.signal();
    // Named where the signal has a name (not 32 or 33, which glibc keeps);
    // a core dump said as a shell says it: "Quit (core dumped)".
    const std::string name = posix::signal_name(sig);
    return "killed by signal " + std::to_string(sig) +
           (name.starts_with("SIG") ? " (" + name + ")" : "") +
           (run.core_dumped ? " (core dumped)" : "");
  }
  if (how == "timeout")
    return run.timeout ? "timed out after " + duration(*run.timeout)
                       : std::string("timed out at the deadline of its timeout layer");
  if (how == "die")
    return run.start_error ? "could not start: " + *run.start_error : "died: " + t.die();
  return how.empty() ? std::string("did not end") : "left by " + how;
}

// The length of the character at @p at in @p arg if it is one to show as
// it is: printable ASCII or valid UTF-8 other than a C1 control; 0 for a
// byte to write as an escape (a control character, DEL, a byte that is not
// UTF-8), which a report would show as "\xNN" inside plain quotes too.
std::size_t printable_length(std::string_view arg, std::size_t at) {
  const std::size_t n = utf8_length(arg, at);
  if (n == 0) return 0;
  const char32_t c = utf8_decode(arg, at, n);
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) ? 0 : n;
}

bool needs_ansi_c_quotes(std::string_view arg) {
  for (std::size_t at = 0; at < arg.size();) {
    const std::size_t n = printable_length(arg, at);
    if (n == 0) return true;
    at += n;
  }
  return false;
}

// @p arg in bash's $'...' quotes: each byte a line cannot show plainly as
// an escape (\n, \t, \r or \xNN), `\` and `'` escaped, the rest as it is.
std::string ansi_c_quoted(std::string_view arg) {
  std::string out = "$'";
  for (std::size_t at = 0; at < arg.size();) {
    const std::size_t n = printable_length(arg, at);
    const char c = arg[at];
    if (n > 1 || (n == 1 && c != '\\' && c != '\'')) {
      out.append(arg.substr(at, n));
      at += n;
      continue;
    }
    if (c == '\\' || c == '\'') {
      out += {'\\', c};
    } else if (c == '\n' || c == '\t' || c == '\r') {
      out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r";
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<unsigned char>(c));
      out += hex;
    }
    ++at;
  }
  return out + "'";
}

}  // namespace

std::string shell_quoted(std::string_view arg) {
  auto safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  };
  if (!arg.empty() && std::all_of(arg.begin(), arg.end(), safe)) return std::string(arg);
  if (needs_ansi_c_quotes(arg)) return ansi_c_quoted(arg);
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'')
      out += "'\"'\"'";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::string shell_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quoted(arg);
  }
  return out;
}

std::vector<std::string> stderr_tail(std::string_view err, std::size_t max) {
  if (err.empty()) return {"    stderr: (empty)"};
  const bool ends_line = err.back() == '\n';
  const std::string_view body = ends_line ? err.substr(0, err.size() - 1) : err;
  const auto total = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n')) + 1;
  // The start of the last `max` lines, found from the end.
  std::size_t start = body.size();
  std::size_t taken = 0;
  while (taken < max && start != std::string_view::npos && start > 0) {
    start = body.rfind('\n', start - 1);
    ++taken;
  }
  start = start == std::string_view::npos || taken < max ? 0 : start + 1;
  std::vector<std::string> out{total > max ? "    last " + std::to_string(max) + " of " +
                                                 std::to_string(total) + " lines of stderr:"
                                           : std::string("    stderr:")};
  for (std::size_t at = start; at <= body.size();) {
    const std::size_t nl = std::min(body.find('\n', at), body.size());
    out.push_back("      " + cut(body.substr(at, nl - at), kMaxShownLine));
    at = nl + 1;
  }
  if (!ends_line) out.push_back("    (no newline at the end of stderr)");
  return out;
}

std::vector<std::string> run_failure_context(const RunRecord& run, const Trap& t) {
  std::vector<std::string> out{"    command: " + shell_command(run.argv), "    " + ending(run, t)};
  if (!run.start_error) {
    auto tail = stderr_tail(t.err());
    out.insert(out.end(), tail.begin(), tail.end());
  }
  return out;
}

}  // namespace detail

std::ostream& operator<<(std::ostream& os, const RunOptions& o) {
  const RunOptions defaults;
  std::vector<std::string> shown;
  auto show = [&shown](const char* name, const std::string& value) {
    shown.push_back(std::string(name) + " => " + value);
  };
  if (!o.environment.empty()) {
    std::string env;
    for (auto& [k, v] : o.environment)
      env += (env.empty() ? "" : ", ") + Value(k).str() + " => " + Value(v).str();
    show("environment", "{ " + env + " }");
  }
  if (o.inherit_environment != defaults.inherit_environment)
    show("inherit_environment", Value(o.inherit_environment).str());
  if (!o.input.empty()) {
    const std::size_t n = detail::shown_size(o.input, detail::kMaxShownInput);
    show("input",
         Value(std::string_view(o.input).substr(0, n)).str() +
             (n < o.input.size() ? "... (" + std::to_string(o.input.size()) + " bytes)" : ""));
  }
  if (o.path_lookup != defaults.path_lookup) show("path_lookup", Value(o.path_lookup).str());
  if (o.timeout) show("timeout", Value(std::to_string(o.timeout->count()) + " ms").str());
  if (!o.unset_environment.empty())
    show("unset_environment", Value::from(o.unset_environment).str());
  if (!o.working_directory.empty()) show("working_directory", Value(o.working_directory).str());
  std::string out;
  for (auto& s : shown) out += (out.empty() ? "" : ", ") + s;
  return os << (out.empty() ? "{}" : "{ " + out + " }");
}

}  // namespace trap
