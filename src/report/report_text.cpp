// SPDX-License-Identifier: BSL-1.0
#include "report/report_text.hpp"

namespace trap::detail {
namespace {

void put_hex(std::string& out, unsigned char c) {
  static const char digits[] = "0123456789ABCDEF";
  out += "\\x";
  out += digits[c >> 4];
  out += digits[c & 15];
}

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Calls @p keep(begin, length, code point) for each valid UTF-8 character
// and @p bad(byte) for each byte that does not start one.
template <class Keep, class Bad>
void for_each_char(std::string_view text, Keep keep, Bad bad) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t n = utf8_length(text, at);
    if (n == 0) {
      bad(static_cast<unsigned char>(text[at]));
      ++at;
      continue;
    }
    keep(at, n, utf8_decode(text, at, n));
    at += n;
  }
}

// What PyYAML's reader accepts raw in a stream (YAML 1.1 "printable").
bool yaml_printable(char32_t c) {
  return (c >= 0x20 && c <= 0x7E) || c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000;
}

// What XML 1.0 allows as a character, beyond tab, newline and return.
bool xml_char(char32_t c) {
  return (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000;
}

// A quoted scalar made safe as a sequence item for YAMLish.
std::string sequence_item_of(std::string item) {
  // YAMLish reads `- WORD: ...` or `- WORD :...` as a mapping in a sequence
  // (its test is /^- \s+ \S+ \s* : (\s|$)/): the scalar's first word, with
  // its opening quote, must not be followed by a colon and a space.
  std::size_t word_end = item.find(' ');
  if (word_end == std::string::npos) return item;
  std::size_t colon = word_end;
  if (item[word_end - 1] != ':') {
    colon = item.find_first_not_of(' ', word_end);
    if (colon == std::string::npos || item[colon] != ':' || colon + 1 >= item.size() ||
        item[colon + 1] != ' ')
      return item;
    ++colon;
  }
  return item.replace(colon, 1, "\\x20");
}

}  // namespace

std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char c = byte(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c == 0xE0)
    n = 3, low = 0xA0;
  else if (c == 0xED)
    n = 3, high = 0x9F;  // no surrogates
  else if (c >= 0xE1 && c <= 0xEF)
    n = 3;
  else if (c == 0xF0)
    n = 4, low = 0x90;
  else if (c >= 0xF1 && c <= 0xF3)
    n = 4;
  else if (c == 0xF4)
    n = 4, high = 0x8F;  // nothing past U+10FFFF
  else
    return 0;
  if (at + n > text.size()) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (!continuation(byte(i))) return 0;
  return n;
}

char32_t utf8_decode(std::string_view text, std::size_t at, std::size_t length) {
  const auto c = static_cast<unsigned char>(text[at]);
  if (length == 1) return c;
  char32_t cp = c & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i)
    cp = (cp << 6) | (static_cast<unsigned char>(text[at + i]) & 0x3F);
  return cp;
}

std::vector<std::string_view> text_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  do {
    std::size_t nl = text.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::size_t stop =
        nl != std::string_view::npos && end > start && text[end - 1] == '\r' ? end - 1 : end;
    lines.push_back(text.substr(start, stop - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  } while (start < text.size());
  return lines;
}

std::string tap_visible(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for_each_char(
      line,
      [&](std::size_t at, std::size_t n, char32_t c) {
        if ((c < 0x20 && c != '\t') || c == 0x7F)
          put_hex(out, static_cast<unsigned char>(c));
        else
          out.append(line.substr(at, n));
      },
      [&](unsigned char c) { put_hex(out, c); });
  return out;
}

std::string tap_commented(std::string_view text) {
  std::string out;
  for (auto line : text_lines(text)) out += line.empty() ? "#\n" : "# " + tap_visible(line) + "\n";
  return out;
}

std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for_each_char(
      text,
      [&](std::size_t at, std::size_t n, char32_t c) {
        if (c == '"')
          out += "\\\"";
        else if (c == '\\')
          out += "\\\\";
        else if (c == '\n')
          out += "\\n";
        else if (c == '\t')
          out += "\\t";
        else if (c == '\r')
          out += "\\r";
        else if (yaml_printable(c) && c != 0x85)
          out.append(text.substr(at, n));
        else
          for (std::size_t i = 0; i < n; ++i)
            put_hex(out, static_cast<unsigned char>(text[at + i]));
      },
      [&](unsigned char c) { put_hex(out, c); });
  out += '"';
  return out;
}

std::string yaml_sequence_item(std::string_view text) {
  return sequence_item_of(yaml_quoted(text));
}

std::vector<std::string> yaml_pieces(std::string_view text, std::size_t max_bytes) {
  const std::string quoted = yaml_quoted(text);
  const std::string_view body = std::string_view(quoted).substr(1, quoted.size() - 2);
  // Each piece is whole escapes ("\xNN", "\n", ...) and whole characters.
  auto token_length = [&](std::size_t at) -> std::size_t {
    if (body[at] == '\\') return body[at + 1] == 'x' ? 4 : 2;
    const std::size_t n = utf8_length(body, at);
    return n == 0 ? 1 : n;
  };
  std::vector<std::string> pieces;
  std::size_t start = 0, at = 0;
  while (at < body.size()) {
    const std::size_t n = token_length(at);
    if (at > start && at + n - start > max_bytes) {
      pieces.push_back(sequence_item_of("\"" + std::string(body.substr(start, at - start)) + "\""));
      start = at;
    }
    at += n;
  }
  pieces.push_back(sequence_item_of("\"" + std::string(body.substr(start)) + "\""));
  return pieces;
}

std::string xml_text(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for_each_char(
      text,
      [&](std::size_t at, std::size_t n, char32_t c) {
        switch (c) {
          case '&':
            out += "&amp;";
            return;
          case '<':
            out += "&lt;";
            return;
          case '>':
            out += "&gt;";
            return;
          case '"':
            out += "&quot;";
            return;
          case '\'':
            out += "&apos;";
            return;
          case '\n':
            out += attribute ? "&#10;" : "\n";
            return;
          case '\r':
            out += "&#13;";
            return;  // a raw one would read as "\n"
          case '\t':
            out += attribute ? "&#9;" : "\t";
            return;
        }
        if (xml_char(c))
          out.append(text.substr(at, n));
        else
          for (std::size_t i = 0; i < n; ++i)
            put_hex(out, static_cast<unsigned char>(text[at + i]));
      },
      [&](unsigned char c) { put_hex(out, c); });
  return out;
}

}  // namespace trap::detail
