// SPDX-License-Identifier: BSL-1.0
// The text a session decodes and splits: base64 (OpenSSL's decoder, held
// to RFC 4648's strict form), the header block, words.
#include "smtp/text.hpp"

#include <limits>

#include <openssl/evp.h>

namespace trap::smtp::detail {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// What EVP_DecodeBlock does not check: a length that is a multiple of 4,
// every byte in the alphabet (it skips white space around the text and
// takes a '=' anywhere for zero bits), and '=' only as the last one or two.
bool strict_base64(std::string_view text) {
  if (text.size() % 4 != 0) return false;
  const auto data = text.substr(0, text.find('='));
  const auto padding = text.substr(data.size());
  return data.find_first_not_of(kAlphabet) == std::string_view::npos &&
         (padding.empty() || padding == "=" || padding == "==");
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
  if (!strict_base64(text) || text.size() > std::numeric_limits<int>::max()) return std::nullopt;
  const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  // A '=' decodes as zero bits: the bytes it stands for must be zeros, or
  // the text is not the canonical encoding (bits left over are not 0).
  if (out.find_first_not_of('\0', out.size() - padding) != std::string::npos) return std::nullopt;
  out.resize(out.size() - padding);
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
