// SPDX-License-Identifier: BSL-1.0
// std::clog watched while a test runs: what trap::warn() writes outside a
// warn layer, kept, and an event for the test to wait on when a given text
// comes (no sleep: the flush that writes it keeps the promise).
#pragma once

#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>

namespace test_support {

/// While it lives, std::clog writes into it. Keeps what is written, and
/// keeps @p seen's promise the first time a flush finds @p text in it.
class ClogWatch : public std::stringbuf {
 public:
  ClogWatch(std::string text, std::promise<void>& seen)
      : text_(std::move(text)), seen_(seen), was_(std::clog.rdbuf(this)) {}
  ~ClogWatch() override { std::clog.rdbuf(was_); }
  ClogWatch(const ClogWatch&) = delete;
  ClogWatch& operator=(const ClogWatch&) = delete;

 protected:
  int sync() override {
    if (!kept_ && str().find(text_) != std::string::npos) {
      kept_ = true;
      seen_.set_value();
    }
    return 0;
  }

 private:
  std::string text_;
  std::promise<void>& seen_;
  std::streambuf* was_;
  bool kept_ = false;
};

/// Runs @p f with std::clog watched (see ClogWatch); returns what it wrote.
template <class F>
std::string clog_of(F&& f, std::string text, std::promise<void>& seen) {
  ClogWatch log(std::move(text), seen);
  std::forward<F>(f)();
  return log.str();
}

}  // namespace test_support
