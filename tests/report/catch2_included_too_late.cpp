// SPDX-License-Identifier: BSL-1.0
// Does not compile: <trap/catch2.hpp> needs Catch2's listener API, which
// <catch2/catch.hpp> leaves out when it comes first without
// CATCH_CONFIG_EXTERNAL_INTERFACES; the error says what to do.
#include <catch2/catch.hpp>

#include <trap/catch2.hpp>
