// SPDX-License-Identifier: BSL-1.0
// The text a session decodes and splits: base64 (AUTH's responses), a
// message's header block, and the case-insensitive words of commands.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <trap/smtp.hpp>

namespace trap::smtp::detail {

/// The bytes `text` encodes in base64 (RFC 4648, padded, no white space);
/// nullopt unless it is exactly such a text (bits left over must be 0).
std::optional<std::string> decode_base64(std::string_view text);

/// Sets `message.headers` and `message.body` from `message.data`: the
/// header fields up to the first empty line (a field's continuation lines
/// unfolded by removing the line end); none, and the whole data as the
/// body, if the first line is not a header field.
void parse_headers(Message& message);

/// Whether `a` and `b` are the same ASCII text in any case.
bool same_word(std::string_view a, std::string_view b);

/// `text` upper-cased (ASCII letters only).
std::string upper(std::string_view text);

/// `text` without the spaces and tabs around it.
std::string_view trim(std::string_view text);

/// `text` cut to `max` bytes, every byte that is not printable ASCII a
/// '?': for echoing the client's words in a reply line.
std::string printable(std::string_view text, std::size_t max);

}  // namespace trap::smtp::detail
