// SPDX-License-Identifier: BSL-1.0
// Rendering for diagnostics: escaping, demangled type names, exception
// messages.
#include "report/diagnostics.hpp"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include <trap/value.hpp>

#include "report/report_text.hpp"

namespace trap::detail {

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(mangled);
}

std::string escape(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    const auto c = static_cast<unsigned char>(bytes[at]);
    // Valid UTF-8 passes through as it is; a byte that is not shows as
    // "\xNN" below, so every report that quotes a value stays valid UTF-8.
    if (const std::size_t n = c >= 0x80 ? utf8_length(bytes, at) : 0; n > 0) {
      out.append(bytes.substr(at, n));
      at += n - 1;
      continue;
    }
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\a':
        out += "\\a";
        break;
      case 0x1b:
        out += "\\e";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string quoted(std::string_view bytes) {
  // Built by appending: `"\"" + escape(bytes) + "\""` draws a false
  // -Wrestrict warning from g++ 12 at -O2 and above.
  std::string out = "\"";
  out += escape(bytes);
  out += '"';
  return out;
}

std::string current_exception_type() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  return t ? demangle(t->name()) : std::string("unknown");
}

std::string current_exception_message() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (const std::string& s) {
    return s;
  } catch (const char* s) {
    return s ? s : "(null)";
  } catch (int i) {
    return std::to_string(i);
  } catch (long i) {
    return std::to_string(i);
  } catch (...) {
    return "exception of type " + current_exception_type();
  }
}

}  // namespace trap::detail
