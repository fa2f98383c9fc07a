// SPDX-License-Identifier: BSL-1.0
// Criteria: checked and compiled once (Boost.Regex, Perl syntax; the JSON
// parsed), then checked against each request, saying what differed.
#include "http/criteria.hpp"

#include <cstdio>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/regex.hpp>

#include <trap/errors.hpp>

#include "http/json.hpp"

namespace trap::http::detail {
namespace {

bool known_part(std::string_view part) {
  return part == "method" || part == "path" || part == "query" || part == "header" ||
         part == "body";
}

bool named_part(std::string_view part) { return part == "query" || part == "header"; }

std::string_view op(Compare compare) {
  switch (compare) {
    case Compare::exact:
      return "==";
    case Compare::regex:
      return "~";
    case Compare::json:
      return "json";
    case Compare::present:
      return "present";
    case Compare::absent:
      return "absent";
  }
  return "?";
}

// "header Accept", "query id", "body".
std::string label(const Criterion& c) {
  return named_part(c.part) ? c.part + ' ' + c.name : c.part;
}

// What the criterion looks at in `request`: nothing when that header or
// query parameter is not there (a body is always there, maybe empty). Of
// repeated fields or parameters, the first is looked at, as
// Request::header() and Request::query_param() give it.
std::optional<std::string> subject(const Criterion& c, const Request& request) {
  if (c.part == "method") return request.method;
  if (c.part == "path") return request.path;
  if (c.part == "body") return request.body;
  if (c.part == "header") return request.header(c.name);
  return request.query_param(c.name);
}

// A regular expression as Perl writes one: /.../, its slashes escaped.
std::string slashed(std::string_view regex) {
  std::string out = "/";
  for (char c : printable(regex)) {
    if (c == '/') out += '\\';
    out += c;
  }
  return out + '/';
}

// A JSON text as one short line: its canonical form when it parses.
std::string json_line(std::string_view text) {
  if (auto value = json::parse(text)) return printable(json::write(*value));
  return printable(text);
}

void check_shape(const Criterion& c, std::string_view who) {
  if (!known_part(c.part))
    throw UsageError(std::string(who) + ": unknown criterion part " + quote(c.part) +
                     " (method, path, query, header or body)");
  if (named_part(c.part) && c.name.empty())
    throw UsageError(std::string(who) + ": a " + c.part + " criterion needs a name");
  const bool presence = c.compare == Compare::present || c.compare == Compare::absent;
  if (presence && (c.part == "method" || c.part == "path"))
    throw UsageError(std::string(who) + ": a " + c.part + " is always present");
}

}  // namespace

std::string printable(std::string_view s, std::size_t limit) {
  std::string out;
  for (unsigned char c : s.substr(0, limit)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > limit) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string quote(std::string_view s, std::size_t limit) {
  std::string escaped;
  for (char c : s.substr(0, limit)) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  std::string out = '"' + printable(escaped, std::string::npos) + '"';
  if (s.size() > limit) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string describe(const Criterion& c) {
  std::string out = label(c) + ' ' + std::string(op(c.compare));
  switch (c.compare) {
    case Compare::exact:
      return out + ' ' + (c.part == "body" ? quote(c.value) : printable(c.value));
    case Compare::regex:
      return out + ' ' + slashed(c.value);
    case Compare::json:
      return out + ' ' + json_line(c.value);
    case Compare::present:
    case Compare::absent:
      break;
  }
  return out;
}

struct CompiledCriterion::Compiled {
  std::optional<boost::regex> regex;
  std::optional<json::Value> json;
};

CompiledCriterion::CompiledCriterion(Criterion criterion, std::string_view who)
    : criterion_(std::move(criterion)) {
  check_shape(criterion_, who);
  auto compiled = std::make_shared<Compiled>();
  const std::string& v = criterion_.value;
  if (criterion_.compare == Compare::regex) {
    try {
      compiled->regex.emplace(v, boost::regex::perl);
    } catch (const boost::regex_error& e) {
      throw UsageError(std::string(who) + ": bad regular expression " + quote(v) + " for " +
                       label(criterion_) + ": " + e.what());
    }
  } else if (criterion_.compare == Compare::json) {
    json::Error error;
    compiled->json = json::parse(v, &error);
    if (!compiled->json)
      throw UsageError(std::string(who) + ": invalid JSON for " + label(criterion_) +
                       " at offset " + std::to_string(error.offset) + ": " + error.message + ": " +
                       quote(v));
  }
  compiled_ = std::move(compiled);
}

bool CompiledCriterion::check(const Request& request, std::string* difference) const {
  const Criterion& c = criterion_;
  const std::optional<std::string> got = subject(c, request);
  auto differ = [&](std::string what) {
    if (difference) *difference = label(c) + ": " + std::move(what);
    return false;
  };
  if (c.compare == Compare::absent)
    return (c.part == "body" ? got->empty() : !got) ||
           differ("expected absent, got " + quote(*got));
  if (!got || (c.part == "body" && c.compare == Compare::present && got->empty()))
    return differ(c.part == "body" ? "empty" : "missing");
  switch (c.compare) {
    case Compare::exact:
      return *got == c.value || differ("expected " + quote(c.value) + ", got " + quote(*got));
    case Compare::regex:
      try {
        return boost::regex_match(*got, *compiled_->regex) ||
               differ("expected to match " + slashed(c.value) + ", got " + quote(*got));
      } catch (const std::runtime_error& e) {  // Boost.Regex's complexity limit
        return differ(slashed(c.value) + " gave up on " + quote(*got) + ": " + e.what());
      }
    case Compare::json: {
      json::Error error;
      auto value = json::parse(*got, &error);
      if (!value)
        return differ("not valid JSON (at offset " + std::to_string(error.offset) + ": " +
                      error.message + "), got " + quote(*got));
      return json::equal(*value, *compiled_->json) ||
             differ("not JSON equal (expected " + json_line(c.value) + ", got " +
                    printable(json::write(*value)) + ")");
    }
    case Compare::present:
    case Compare::absent:
      break;
  }
  return true;
}

std::vector<CompiledCriterion> compile(const Expectation& expectation) {
  std::vector<CompiledCriterion> out;
  out.reserve(expectation.criteria().size());
  for (const Criterion& c : expectation.criteria()) out.emplace_back(c, "expect");
  return out;
}

}  // namespace trap::http::detail
