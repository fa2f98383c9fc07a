// SPDX-License-Identifier: BSL-1.0
#include "report/event_codec.hpp"

#include <charconv>
#include <mutex>
#include <set>

namespace trap::detail {
namespace {

constexpr std::string_view kMagic = "TRAPEV1 ";

void put(std::string& out, std::string_view key, std::string_view value) {
  out.append(key).push_back('=');
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  out.push_back('\n');
}

std::string unescape(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      ++i;
      out += v[i] == 'n' ? '\n' : v[i];
    } else {
      out += v[i];
    }
  }
  return out;
}

// Locations point at strings that must live as long as the event may.
const char* interned(const std::string& s) {
  static auto* pool = new std::set<std::string>;  // never destroyed
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  return pool->insert(s).first->c_str();
}

template <class T>
bool number(std::string_view v, T& out) {
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  return r.ec == std::errc() && r.ptr == v.data() + v.size();
}

bool decode_one(std::string_view payload, Event& e, bool* display_only = nullptr) {
  std::string file = "", function = "";
  unsigned line = 0;
  int kind = -1;
  while (!payload.empty()) {
    auto nl = payload.find('\n');
    if (nl == std::string_view::npos) return false;
    std::string_view field = payload.substr(0, nl);
    payload.remove_prefix(nl + 1);
    auto eq = field.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "display" && display_only) {
      *display_only = value == "1";
    } else if (key == "kind") {
      if (!number(value, kind) || kind < 0 || kind > static_cast<int>(Event::Kind::bail))
        return false;
    } else if (key == "pass") {
      e.pass = value == "1";
    } else if (key == "name") {
      e.name = unescape(value);
    } else if (key == "diag") {
      e.diagnostics.push_back(unescape(value));
    } else if (key == "count") {
      if (!number(value, e.count)) return false;
    } else if (key == "nesting") {
      if (!number(value, e.nesting)) return false;
    } else if (key == "number") {
      if (!number(value, e.number)) return false;
    } else if (key == "todo") {
      e.todo = unescape(value);
    } else if (key == "skip") {
      e.skip = unescape(value);
    } else if (key == "sub") {  // a subtest's event, encoded whole
      Event sub;
      if (!decode_one(unescape(value), sub)) return false;
      e.subevents.push_back(std::move(sub));
    } else if (key == "file") {
      file = unescape(value);
    } else if (key == "function") {
      function = unescape(value);
    } else if (key == "line") {
      if (!number(value, line)) return false;
    } else {
      return false;
    }
  }
  if (kind < 0) return false;
  e.kind = static_cast<Event::Kind>(kind);
  e.where = source_location(interned(file), line, interned(function));
  return true;
}

// The fields of @p e, one per line; a subtest's events each in a field of
// their own, encoded the same way.
std::string encode_fields(const Event& e) {
  std::string payload;
  put(payload, "kind", std::to_string(static_cast<int>(e.kind)));
  put(payload, "pass", e.pass ? "1" : "0");
  put(payload, "name", e.name);
  for (auto& d : e.diagnostics) put(payload, "diag", d);
  put(payload, "count", std::to_string(e.count));
  put(payload, "nesting", std::to_string(e.nesting));
  if (e.number != 0) put(payload, "number", std::to_string(e.number));
  // A TODO or SKIP set in a forked child (todo() marks results with a
  // pre-filter, run there) must reach the parent, or a TODO failure there
  // counts as a failure, and a skip as a pass.
  if (!e.todo.empty()) put(payload, "todo", e.todo);
  if (!e.skip.empty()) put(payload, "skip", e.skip);
  for (auto& sub : e.subevents) put(payload, "sub", encode_fields(sub));
  put(payload, "file", e.where.file_name());
  put(payload, "function", e.where.function_name());
  put(payload, "line", std::to_string(e.where.line()));
  return payload;
}

}  // namespace

std::string encode_event(const Event& e, bool display_only) {
  std::string payload = display_only ? "display=1\n" : "";
  payload += encode_fields(e);
  std::string out(kMagic);
  out += std::to_string(payload.size()) + "\n" + payload;
  return out;
}

Decoded decode_events(std::string_view bytes) {
  Decoded d;
  while (d.consumed < bytes.size()) {
    std::string_view rest = bytes.substr(d.consumed);
    auto nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      // An incomplete header is only possible as a tail; anything that
      // cannot become one is malformed.
      if (rest.size() > kMagic.size() + 20 ||
          kMagic.substr(0, std::min(rest.size(), kMagic.size())) !=
              rest.substr(0, std::min(rest.size(), kMagic.size())))
        d.malformed = true;
      return d;
    }
    std::size_t length = 0;
    if (!rest.starts_with(kMagic) ||
        !number(rest.substr(kMagic.size(), nl - kMagic.size()), length)) {
      d.malformed = true;
      return d;
    }
    if (rest.size() < nl + 1 + length) return d;  // the record is still coming
    Event e;
    bool display_only = false;
    if (!decode_one(rest.substr(nl + 1, length), e, &display_only)) {
      d.malformed = true;
      return d;
    }
    d.events.push_back(std::move(e));
    d.display_only.push_back(display_only);
    d.consumed += nl + 1 + length;
  }
  return d;
}

}  // namespace trap::detail
