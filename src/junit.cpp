#include <trap/junit.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

#include <trap/errors.hpp>

namespace trap {
namespace {

// Text as XML character data or attribute value: markup escaped, and the
// control characters XML 1.0 cannot hold written as "\xNN".
std::string xml(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          static const char hex[] = "0123456789ABCDEF";
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

struct Result {
  std::string name, file, diagnostics;
  unsigned line;
  bool pass;
};

void write_report(const std::string& path, const std::string& suite,
                  const std::vector<Result>& results) {
  std::size_t failures = 0;
  for (auto& r : results) failures += !r.pass;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::system_error(errno, std::generic_category(), "cannot write \"" + path + "\"");
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites tests=\"" << results.size() << "\" failures=\"" << failures << "\">\n"
      << "  <testsuite name=\"" << xml(suite) << "\" tests=\"" << results.size()
      << "\" failures=\"" << failures << "\">\n";
  std::size_t n = 0;
  for (auto& r : results) {
    ++n;
    const std::string name = r.name.empty() ? "test " + std::to_string(n) : r.name;
    out << "    <testcase classname=\"" << xml(suite) << "\" name=\"" << xml(name) << "\" file=\""
        << xml(r.file) << "\" line=\"" << r.line << "\"";
    if (r.pass) {
      out << "/>\n";
      continue;
    }
    out << ">\n      <failure message=\"" << xml(name) << "\">" << xml(r.diagnostics)
        << "</failure>\n    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
  out.flush();
  if (!out) throw std::system_error(errno, std::generic_category(), "cannot write \"" + path + "\"");
}

}  // namespace

HubHandle junit_report(Hub& hub, std::string path, std::string suite) {
  if (path.empty()) throw UsageError("junit_report(): no file name");
  auto results = std::make_shared<std::vector<Result>>();
  HubHandle handle = hub.listen([results](Hub&, const Event& e, std::size_t) {
    if (e.kind != Event::Kind::ok || e.nesting != 0) return;
    std::string diagnostics;
    for (auto& d : e.diagnostics) diagnostics += d + "\n";
    results->push_back({e.name, e.where.file_name(), diagnostics, e.where.line(), e.pass});
  });
  hub.follow_up([results, path = std::move(path), suite = std::move(suite)](Hub&) {
    write_report(path, suite, *results);
  });
  return handle;
}

}  // namespace trap
