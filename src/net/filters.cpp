// SPDX-License-Identifier: BSL-1.0
// The standard filters of trap::net: line, raw stream, length-prefixed block.
#include "net/filters.hpp"

#include <charconv>

#include <trap/errors.hpp>
#include <trap/net.hpp>

namespace trap::net {
namespace {

class LineFilter final : public tcp_detail::AppendingFilter {
 public:
  explicit LineFilter(std::size_t max) : max_(max) {}
  void get_into(std::string_view bytes, std::vector<std::string>& lines) override {
    while (!bytes.empty()) {
      auto nl = bytes.find('\n');
      if (nl == std::string_view::npos) {
        partial_ += bytes;
        break;
      }
      partial_ += bytes.substr(0, nl);
      bytes.remove_prefix(nl + 1);
      if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
      check(partial_.size());
      lines.push_back(std::move(partial_));
      partial_.clear();
    }
    // A CR that ends what waits for its LF may be half of a CRLF, no part
    // of the line: counting it would refuse a line of max_ bytes cut there.
    check(partial_.size() - (partial_.ends_with('\r') ? 1 : 0));
  }
  std::string put(std::string_view message) override {
    std::string out(message);
    out += '\n';
    return out;
  }
  std::unique_ptr<Filter> clone() const override { return std::make_unique<LineFilter>(max_); }

 private:
  void check(std::size_t line_size) const {
    if (line_size > max_)
      throw FilterError("a line longer than " + std::to_string(max_) + " bytes");
  }
  std::size_t max_;
  std::string partial_;
};

class RawFilter final : public Filter {
 public:
  std::vector<std::string> get(std::string_view bytes) override {
    if (bytes.empty()) return {};
    return {std::string(bytes)};
  }
  std::string put(std::string_view message) override { return std::string(message); }
  std::unique_ptr<Filter> clone() const override { return std::make_unique<RawFilter>(); }
};

class BlockFilter final : public Filter {
 public:
  static constexpr std::size_t kMaxDigits = 20;
  explicit BlockFilter(std::size_t max) : max_(max) {}
  std::vector<std::string> get(std::string_view bytes) override {
    buffer_ += bytes;
    std::vector<std::string> blocks;
    std::string_view rest(buffer_);
    for (;;) {
      // A length has at most 20 digits (the largest std::size_t), leading
      // zeros included: refused past that whether its NUL has come or not,
      // so that where the reads were cut does not matter.
      auto nul = rest.find('\0');
      if ((nul == std::string_view::npos ? rest.size() : nul) > kMaxDigits)
        throw FilterError("a block length of more than " + std::to_string(kMaxDigits) + " digits");
      if (nul == std::string_view::npos) break;
      std::size_t n = 0;
      auto r = std::from_chars(rest.data(), rest.data() + nul, n);
      if (nul == 0 || r.ec != std::errc() || r.ptr != rest.data() + nul)
        throw FilterError("a malformed block length");
      if (n > max_) throw FilterError("a block longer than " + std::to_string(max_) + " bytes");
      if (rest.size() - nul - 1 < n) break;
      blocks.emplace_back(rest.substr(nul + 1, n));
      rest.remove_prefix(nul + 1 + n);
    }
    buffer_.erase(0, buffer_.size() - rest.size());
    return blocks;
  }
  std::string put(std::string_view message) override {
    std::string out = std::to_string(message.size());
    out += '\0';
    out += message;
    return out;
  }
  std::unique_ptr<Filter> clone() const override { return std::make_unique<BlockFilter>(max_); }

 private:
  std::size_t max_;
  std::string buffer_;
};

}  // namespace

std::unique_ptr<Filter> line_filter(std::size_t max_line) {
  return std::make_unique<LineFilter>(max_line);
}
std::unique_ptr<Filter> raw_filter() { return std::make_unique<RawFilter>(); }
std::unique_ptr<Filter> block_filter(std::size_t max_block) {
  return std::make_unique<BlockFilter>(max_block);
}

std::unique_ptr<Filter> filter_named(std::string_view name) {
  if (name == "line") return line_filter();
  if (name == "raw" || name == "stream") return raw_filter();
  if (name == "block") return block_filter();
  throw UsageError("Unknown filter \"" + std::string(name) +
                   "\" (the filters are line, raw, block)");
}

std::string ShutdownReport::describe() const {
  if (unclosed.empty()) return {};
  std::string out = "unclean teardown: " + std::to_string(unclosed.size()) + " client connection" +
                    (unclosed.size() == 1 ? "" : "s") + " still open from ";
  for (std::size_t i = 0; i < unclosed.size(); ++i) {
    if (i) out += ", ";
    const auto& c = unclosed[i];
    bool v6 = c.peeraddr.find(':') != std::string::npos;
    out += (v6 ? "[" + c.peeraddr + "]" : c.peeraddr) + ":" + std::to_string(c.peerport);
  }
  return out;
}

}  // namespace trap::net
