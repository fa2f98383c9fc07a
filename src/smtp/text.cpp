// SPDX-License-Identifier: BSL-1.0
// The text a session decodes and splits: base64, the header block, words.
#include "smtp/text.hpp"

#include <array>
#include <cstdint>

namespace trap::smtp::detail {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  const auto at = kAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c < 33 || c > 126) return false;
  return true;
}

std::string_view next_line(std::string_view data, std::size_t from) {
  const auto lf = data.find('\n', from);
  return data.substr(from, lf == std::string_view::npos ? std::string_view::npos : lf + 1 - from);
}

std::string_view without_end(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::array<int, 4> s{};
    int padding = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        ++padding;
        s[k] = 0;
      } else if (padding > 0 || (s[k] = sextet(c)) < 0) {
        return std::nullopt;  // a '=' before the end, or not base64 at all
      }
    }
    const std::uint32_t bits =
        (static_cast<std::uint32_t>(s[0]) << 18) | (static_cast<std::uint32_t>(s[1]) << 12) |
        (static_cast<std::uint32_t>(s[2]) << 6) | static_cast<std::uint32_t>(s[3]);
    if ((padding == 1 && (bits & 0xff) != 0) || (padding == 2 && (bits & 0xffff) != 0))
      return std::nullopt;  // not the canonical encoding
    out += static_cast<char>(bits >> 16);
    if (padding < 2) out += static_cast<char>((bits >> 8) & 0xff);
    if (padding < 1) out += static_cast<char>(bits & 0xff);
  }
  return out;
}

void parse_headers(Message& message) {
  const std::string_view data = message.data;
  message.headers.clear();
  std::string value;  // the field being read, raw (unfolded)
  std::size_t at = 0;
  auto finish = [&] {
    if (!message.headers.empty()) message.headers.back().value = std::string(trim(value));
  };
  while (at < data.size()) {
    const std::string_view line = next_line(data, at);
    const std::string_view text = without_end(line);
    if (text.empty() && line.ends_with('\n')) {
      at += line.size();  // the empty line: the body follows it
      break;
    }
    if ((text.starts_with(' ') || text.starts_with('\t')) && !message.headers.empty()) {
      value += text;
    } else {
      const auto colon = text.find(':');
      if (colon == std::string_view::npos || !is_field_name(text.substr(0, colon))) break;
      finish();
      message.headers.push_back({std::string(text.substr(0, colon)), {}});
      value = std::string(text.substr(colon + 1));
    }
    at += line.size();
  }
  finish();
  message.body = message.headers.empty() ? message.data : std::string(data.substr(at));
}

bool same_word(std::string_view a, std::string_view b) { return upper(a) == upper(b); }

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out(text.substr(0, max));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return out;
}

}  // namespace trap::smtp::detail
