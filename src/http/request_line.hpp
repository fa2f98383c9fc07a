// SPDX-License-Identifier: BSL-1.0
// What the server reads of a request line before Beast's parser, and what
// it makes of the target after: empty lines to skip (RFC 9112, 2.2), and
// the path and query of a target in origin or absolute form.
#pragma once

#include <cstddef>
#include <string_view>

#include <trap/http.hpp>

namespace trap::http::detail {

/// How many bytes of empty lines (CRLF, or a bare LF) `bytes` starts with.
std::size_t empty_lines_at_start(std::string_view bytes);

/// Whether `bytes` starts with an empty line, or with a CR that may be the
/// start of one (the last byte read so far).
bool starts_with_empty_line(std::string_view bytes);

/// Sets `r.path` and `r.query` from `r.target`. An absolute-form target
/// (a client that takes the server for a proxy: "http://host/users?id=1",
/// which RFC 9112 says a server must accept) has them after its
/// authority: path "/users" ("/" if none), query "id=1".
void split_target(Request& r);

}  // namespace trap::http::detail
