// SPDX-License-Identifier: BSL-1.0
/// @file
/// std::unique_ptr for the core headers (trap::Hub::format() takes one),
/// without the rest of `<memory>` where the standard library allows it:
/// with libstdc++ 12 and -std=c++20, `<memory>` costs a file that includes
/// `<iostream>` about 0.09 s more to compile, std::unique_ptr's own header
/// about 0.015 s. Code that uses std::make_shared, std::shared_ptr or the
/// other parts of `<memory>` includes `<memory>` itself.
#pragma once

#include <version>

#if defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 12 && __has_include(<bits/unique_ptr.h>)
#include <bits/unique_ptr.h>
#else
#include <memory>
#endif
