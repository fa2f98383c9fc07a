// SPDX-License-Identifier: BSL-1.0
// Making any bytes safe for a report: TAP lines, YAML scalars, XML text.
// Every function here accepts arbitrary bytes (NUL, control characters,
// invalid UTF-8) and returns text its consumer parses, with the odd bytes
// shown visibly as "\xNN" (one per byte, uppercase hex, as escape() does).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace trap::detail {

/// The length of the valid UTF-8 character starting at @p at in @p text
/// (1 to 4), or 0 if the byte there does not start one (a stray
/// continuation byte, an overlong form, a surrogate, a truncated sequence).
std::size_t utf8_length(std::string_view text, std::size_t at);

/// The code point of the valid UTF-8 character of @p length bytes at @p at.
char32_t utf8_decode(std::string_view text, std::size_t at, std::size_t length);

/// @p text split into lines at "\n" (a "\r" before it belongs to the break);
/// a final "\n" ends the last line rather than starting an empty one, and
/// an empty text is one empty line.
std::vector<std::string_view> text_lines(std::string_view text);

/// One line for a TAP stream: tabs and valid UTF-8 kept, every other
/// control character (newlines included) and every byte that is not valid
/// UTF-8 written "\xNN".
std::string tap_visible(std::string_view line);

/// @p text as TAP comment lines, as Test::More's diag writes them: "# "
/// before every line ("#" alone for an empty one), each made tap_visible(),
/// so nothing in the text can end the comment or look like a test line.
std::string tap_commented(std::string_view text);

/// A YAML double-quoted scalar holding @p text, on one line, that both
/// PyYAML and TAP::Parser's YAMLish reader read back: `"` and `\` escaped,
/// newline, tab and carriage return as `\n`, `\t`, `\r`, and what YAML may
/// not hold raw (control characters, C1 controls, U+FFFE/U+FFFF, bytes that
/// are not UTF-8) as `\xNN` per byte.
std::string yaml_quoted(std::string_view text);

/// yaml_quoted() for an item of a YAML sequence (`- "..."`): the same
/// scalar, with a space after a leading `word:` written `\x20`, so that
/// YAMLish does not take the item for a mapping.
std::string yaml_sequence_item(std::string_view text);

/// @p text as YAML sequence items (yaml_sequence_item() each) of at most
/// @p max_bytes or so, never cutting an escape or a UTF-8 character, that
/// joined give @p text back: what a report writes for a text whose one
/// scalar would be too long for TAP::Parser's YAMLish reader (it reads no
/// quoted scalar past 65,533 characters). An empty text is one item.
std::vector<std::string> yaml_pieces(std::string_view text, std::size_t max_bytes = 8192);

/// @p text as XML 1.0 character data, or as an attribute value with
/// @p attribute (then newline, carriage return and tab are character
/// references, which attribute normalisation keeps): markup escaped, and
/// what XML 1.0 cannot hold (control characters, U+FFFE/U+FFFF, bytes that
/// are not UTF-8) written "\xNN" per byte.
std::string xml_text(std::string_view text, bool attribute = false);

}  // namespace trap::detail
