// SPDX-License-Identifier: BSL-1.0
// trap::http's matching, the part of the request path the server owns
// (Beast parses the bytes; this decides the answer). The input is, at
// once:
// - a JSON text: it parses or not, never crashes however deep; a valid one
//   equals itself and its canonical form (write()), which parses back to
//   the same text; with_json_body() refuses exactly the invalid ones; cut
//   in two at byte 0's value, json_equal is symmetric and agrees with the
//   canonical forms;
// - a request head as it comes over the wire: given CRs for its bare LFs
//   (crlf_head), it has none left, differs from what it stands for only by
//   those CRs, and is its own crlf_head; head_has_bare_lf agrees;
// - a chunked request body: its framing's verdict (ChunkFraming) is the
//   same however its bytes are cut; a line's bare LF is found only where
//   an LF lacks its CR, a long line only where more bytes than the limit
//   come without an LF, a long trailer only where the body is longer;
// - a request ("METHOD TARGET", "Name: value" lines, a blank line, the
//   body) matched three times against a few expectations: what answers
//   satisfies its criteria and its count, ordered ones in order; what does
//   not gets a why that is one printable line of bounded size; unmet()
//   agrees with the counts.
#include <algorithm>
#include <string>

#include <trap/errors.hpp>
#include <trap/http.hpp>

#include "fuzz_check.hpp"
#include "http/json.hpp"
#include "http/matcher.hpp"
#include "http/request_body.hpp"
#include "http/request_head.hpp"

namespace {

namespace json = trap::http::detail::json;
using trap::http::Compare;
using trap::http::Expectation;
using trap::http::Request;
using trap::http::detail::json_equal;
using trap::http::detail::Matcher;

constexpr std::string_view kUserJson = R"({"name":"ada","tags":[1,2.5]})";

void check_json(std::string_view text) {
  const auto value = json::parse(text);
  try {
    Expectation().with_json_body(std::string(text));
    FUZZ_CHECK(value.has_value());
  } catch (const trap::UsageError&) {
    FUZZ_CHECK(!value.has_value());
  }
  if (!value) {
    FUZZ_CHECK(!json_equal(text, "0").has_value());
    return;
  }
  FUZZ_CHECK(json_equal(text, text) == true);
  const std::string canonical = json::write(*value);
  const auto again = json::parse(canonical);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(json::equal(*value, *again));
  FUZZ_CHECK(json::write(*again) == canonical);
}

void check_pair(std::string_view a, std::string_view b) {
  const auto ab = json_equal(a, b);
  FUZZ_CHECK(ab == json_equal(b, a));
  FUZZ_CHECK(ab.has_value() == (json::parse(a) && json::parse(b)));
  if (ab && json::write(*json::parse(a)) == json::write(*json::parse(b))) FUZZ_CHECK(*ab);
}

std::string_view next_line(std::string_view& rest) {
  const auto end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

Request request_of(std::string_view text) {
  Request r;
  std::string_view start = next_line(text);
  const auto space = start.find(' ');
  r.method = start.substr(0, space);
  r.target = space == std::string_view::npos ? "" : start.substr(space + 1);
  const auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  for (std::string_view line = next_line(text); !line.empty(); line = next_line(text)) {
    const auto colon = line.find(':');
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    while (value.starts_with(' ')) value.remove_prefix(1);
    r.headers.add(std::string(line.substr(0, colon)), std::string(value));
  }
  r.body = text;
  return r;
}

Matcher expectations() {
  Matcher m;
  m.add(Expectation::get("/users").with_header("Accept", "application/json"));
  m.add(Expectation::post("/users")
            .with_header_matching("Content-Type", "application/json(;.*)?")
            .with_json_body(std::string(kUserJson))
            .times(2));
  m.add(Expectation()
            .path_matching(R"(/items/\d+)")
            .with_query("id", "7")
            .with_query_matching("q", "[a-z]*")
            .ordered());
  m.add(Expectation::put("/x")
            .with_header_present("X-Trace")
            .with_header_present("Cookie", false)
            .with_body_matching("[^\\n]*")
            .ordered());
  m.add(Expectation::del("/y").with_body("bye").any());
  m.add(Expectation().where({"header", "X-Json", Compare::json, R"([1,{"a":null}])"}).any());
  return m;
}

// What an answer's expectation promises, checked without the matcher.
void check_answer(const Matcher& m, std::size_t index, const Request& r) {
  switch (index) {
    case 0:
      FUZZ_CHECK(r.method == "GET" && r.path == "/users");
      FUZZ_CHECK(r.header("Accept") == "application/json");
      break;
    case 1:
      FUZZ_CHECK(r.method == "POST" && r.path == "/users");
      FUZZ_CHECK(json_equal(r.body, kUserJson) == true);
      break;
    case 2:
      FUZZ_CHECK(r.query_param("id") == "7");
      break;
    case 3:
      FUZZ_CHECK(m.matched_count(2) >= 1);  // the ordered one before it is met
      FUZZ_CHECK(r.header("X-Trace") && !r.header("Cookie"));
      break;
    case 4:
      FUZZ_CHECK(r.method == "DELETE" && r.body == "bye");
      break;
    case 5:
      FUZZ_CHECK(r.header("X-Json").has_value());
      break;
    default:
      FUZZ_CHECK(false);
  }
}

void check_why(const std::string& why) {
  FUZZ_CHECK(why.starts_with("no expectation matched "));
  FUZZ_CHECK(why.size() < 16 * 1024);  // every quoted part is cut
  for (char c : why) FUZZ_CHECK(c >= 0x20 && c < 0x7f);
}

void check_matching(const Request& r) {
  static const Matcher fresh = expectations();  // compiled once, copied per input
  Matcher m = fresh;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::size_t> before;
    for (std::size_t i = 0; i < 6; ++i) before.push_back(m.matched_count(i));
    const auto outcome = m.match(r);
    for (std::size_t i = 0; i < 6; ++i)
      FUZZ_CHECK(m.matched_count(i) == before[i] + (outcome.index == i ? 1 : 0));
    if (outcome.index) {
      FUZZ_CHECK(outcome.why.empty());
      check_answer(m, *outcome.index, r);
    } else {
      check_why(outcome.why);
    }
  }
  std::size_t short_of_count = 0;
  for (std::size_t i = 0; i < 4; ++i)
    short_of_count += m.matched_count(i) < *m.at(i).expected_times() ? 1 : 0;
  FUZZ_CHECK(m.unmet().size() == short_of_count);
  FUZZ_CHECK(m.matched_count(1) <= 2 && m.matched_count(0) <= 1);
}

}  // namespace

void check_head(std::string_view bytes) {
  using trap::http::detail::crlf_head;
  using trap::http::detail::head_has_bare_lf;
  const auto crlf = crlf_head(bytes);
  FUZZ_CHECK(crlf.taken <= bytes.size());
  FUZZ_CHECK(!head_has_bare_lf(crlf.head));
  std::string without;  // the head less the CRs given
  std::size_t bare = 0;
  for (std::size_t i = 0; i < crlf.taken; ++i)
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) ++bare;
  FUZZ_CHECK(crlf.head.size() == crlf.taken + bare);
  for (std::size_t i = 0; i < crlf.head.size(); ++i) {
    const bool given = crlf.head[i] == '\r' && i + 1 < crlf.head.size() &&
                       crlf.head[i + 1] == '\n' &&
                       (without.size() >= crlf.taken || bytes[without.size()] != '\r');
    if (!given) without += crlf.head[i];
  }
  FUZZ_CHECK(without == bytes.substr(0, crlf.taken));
  // After a request line the parser took, an empty line first ends it.
  const auto after_line = crlf_head(bytes, true);
  FUZZ_CHECK(!head_has_bare_lf(after_line.head, true));
  FUZZ_CHECK(!after_line.complete || after_line.taken <= crlf.taken || !crlf.complete);
  const auto again = crlf_head(crlf.head);
  FUZZ_CHECK(again.head == crlf.head && again.complete == crlf.complete);
  // Up to its empty line, a head with no bare LF (the empty lines before
  // it apart) is given nothing.
  std::size_t bare_in_head = 0;
  for (std::size_t i = trap::http::detail::empty_lines_at_start(bytes); i < crlf.taken; ++i)
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) ++bare_in_head;
  if (crlf.complete) FUZZ_CHECK(head_has_bare_lf(bytes) == (bare_in_head > 0));
}

void check_chunk_framing(std::string_view bytes, std::size_t cut) {
  constexpr std::size_t kMaxLine = 64;
  auto verdict = [&](std::size_t step) {
    trap::http::detail::ChunkFraming framing(kMaxLine);
    for (std::size_t at = 0; at < bytes.size(); at += step)
      if (auto why = framing.look(bytes.substr(at, step))) return *why;
    return std::string();
  };
  const std::string whole = verdict(bytes.size() + 1);
  FUZZ_CHECK(verdict(1) == whole);
  trap::http::detail::ChunkFraming framing(kMaxLine);
  auto two = framing.look(bytes.substr(0, cut));
  if (!two) two = framing.look(bytes.substr(cut));
  FUZZ_CHECK(two.value_or("") == whole);
  bool bare_lf = false;
  std::size_t longest = 0;  // bytes without an LF
  for (std::size_t i = 0, run = 0; i < bytes.size(); ++i) {
    bare_lf = bare_lf || (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r'));
    run = bytes[i] == '\n' ? 0 : run + 1;
    longest = std::max(longest, run);
  }
  // (A chunk's data may end in a CR: the LF after it is then bare too.)
  if (whole.find("line") != std::string::npos && whole.find("bare LF") != std::string::npos)
    FUZZ_CHECK(bare_lf);
  if (whole.find("line longer than") != std::string::npos) FUZZ_CHECK(longest > kMaxLine);
  // A trailer comes after a last chunk's line ("0" CRLF at least).
  if (whole.find("trailer longer than") != std::string::npos)
    FUZZ_CHECK(bytes.size() > kMaxLine + 3);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = trap::fuzz::as_text(data, size);
  try {
    check_json(text);
    check_head(text);
    const std::size_t cut = size == 0 ? 0 : data[0] % size;
    check_pair(text.substr(0, cut), text.substr(cut));
    check_chunk_framing(text, cut);
    check_matching(request_of(text));
  } catch (const std::exception& e) {
    fuzz_unexpected(e.what());
  }
  return 0;
}
