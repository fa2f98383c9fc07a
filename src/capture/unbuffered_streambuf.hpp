// SPDX-License-Identifier: BSL-1.0
// The base of the library's stream buffers that pass output on as it comes
// (the memory strategy's router, the warn layer's buffers).
#pragma once

#include <streambuf>

namespace trap::detail {

/// A std::streambuf with no buffer of its own: a character written alone
/// goes through xsputn(), as a string does, so a derived class writes only
/// xsputn() (and sync()).
class UnbufferedStreambuf : public std::streambuf {
 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    char ch = traits_type::to_char_type(c);
    return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
  }
};

}  // namespace trap::detail
