// SPDX-License-Identifier: BSL-1.0
// The standard filters of trap::net: line, raw stream, length-prefixed block.
#include "net/filters.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <trap/errors.hpp>
#include <trap/net.hpp>

namespace trap::net {
namespace {

// A CR, an LF, a CRLF or an LFCR ends a line (POE::Filter::Line's
// default); or one literal end of line, given or found in the input.
class LineCutter final : public tcp_detail::AppendingFilter {
 public:
  enum class Mode { any, literal, detect };
  LineCutter(Mode mode, std::string in, std::string out, std::size_t max)
      : start_mode_(mode), start_in_(std::move(in)), out_(std::move(out)), max_(max) {
    mode_ = start_mode_;
    in_ = start_in_;
  }
  void get_into(std::string_view bytes, std::vector<std::string>& lines) override {
    // The second byte of a two-byte end of line may start the next read.
    if (follow_ && !bytes.empty()) {
      if (bytes.front() == follow_) {
        if (mode_ == Mode::literal && in_.size() == 1) in_ += follow_;  // found: CRLF or LFCR
        bytes.remove_prefix(1);
      }
      follow_ = 0;
    }
    if (mode_ == Mode::literal) return cut_literal(bytes, lines);
    while (!bytes.empty()) {
      std::size_t at = 0;
      while (at < bytes.size() && bytes[at] != '\r' && bytes[at] != '\n') ++at;
      partial_ += bytes.substr(0, at);
      check(partial_.size());
      if (at == bytes.size()) return;
      const char end = bytes[at];
      bytes.remove_prefix(at + 1);
      lines.push_back(std::move(partial_));
      partial_.clear();
      const char other = end == '\r' ? '\n' : '\r';
      if (mode_ == Mode::detect) {
        // POE's autodetect: the first end of line is the one of every line.
        in_.assign(1, end);
        mode_ = Mode::literal;
        follow_ = other;
        if (!bytes.empty()) get_into(bytes, lines);
        return;
      }
      if (!bytes.empty() && bytes.front() == other)
        bytes.remove_prefix(1);
      else if (bytes.empty())
        follow_ = other;
    }
  }
  std::string put(std::string_view message) override {
    std::string out;
    out.reserve(message.size() + out_.size());
    out += message;
    out += out_;
    return out;
  }
  std::unique_ptr<Filter> clone() const override {
    return std::make_unique<LineCutter>(start_mode_, start_in_, out_, max_);  // detects anew
  }

 private:
  void cut_literal(std::string_view bytes, std::vector<std::string>& lines) {
    // An end of line may straddle two reads: look again at its start.
    std::size_t from = partial_.size() - std::min(partial_.size(), in_.size() - 1);
    partial_ += bytes;
    std::size_t start = 0;
    for (auto at = partial_.find(in_, from); at != std::string::npos;
         at = partial_.find(in_, start)) {
      check(at - start);
      lines.emplace_back(partial_, start, at - start);
      start = at + in_.size();
    }
    partial_.erase(0, start);
    check(partial_.size() - pending_end());
  }
  // How much of the end of partial_ may be the start of an end of line.
  std::size_t pending_end() const {
    for (std::size_t n = std::min(partial_.size(), in_.size() - 1); n > 0; --n)
      if (std::string_view(partial_).ends_with(std::string_view(in_).substr(0, n))) return n;
    return 0;
  }
  void check(std::size_t line_size) const {
    if (line_size > max_)
      throw FilterError("a line longer than " + std::to_string(max_) + " bytes");
  }
  const Mode start_mode_;
  const std::string start_in_;
  const std::string out_;
  const std::size_t max_;
  Mode mode_;
  std::string in_;  // the end of line of input, in literal mode
  std::string partial_;
  char follow_ = 0;  // a byte that, next, completes the last end of line
};

std::unique_ptr<LineCutter> make_cutter(const LineFilterOptions& o) {
  const char* const who = "trap::net::LineFilter";
  if (o.literal && (o.input_literal || o.output_literal))
    throw UsageError(std::string(who) + " cannot have literal with any other parameter");
  if (o.literal && o.literal->empty())
    throw UsageError(std::string(who) + ": a defined literal must have a nonzero length");
  auto mode = LineCutter::Mode::any;
  std::string in;
  if (o.literal) {
    mode = LineCutter::Mode::literal;
    in = *o.literal;
  } else if (o.input_literal) {
    mode = o.input_literal->empty() ? LineCutter::Mode::detect : LineCutter::Mode::literal;
    in = *o.input_literal;
  }
  std::string out = o.literal ? *o.literal : o.output_literal.value_or("\n");
  return std::make_unique<LineCutter>(mode, std::move(in), std::move(out), o.max_line);
}

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

std::vector<Parts> Filter::get_parts(std::string_view bytes) {
  std::vector<Parts> out;
  for (auto& message : get(bytes)) out.push_back(Parts{std::move(message)});
  return out;
}

std::string Filter::put_parts(const Parts& parts) {
  std::string out;
  for (auto& part : parts) out += put(part);
  return out;
}

std::vector<std::string> StructuredFilter::get(std::string_view bytes) {
  std::vector<std::string> out;
  for (auto& parts : get_parts(bytes)) out.push_back(tcp_detail::join_parts(parts));
  return out;
}

std::string StructuredFilter::put(std::string_view message) {
  return put_parts(Parts{std::string(message)});
}

LineFilter::LineFilter(LineFilterOptions options) : impl_(make_cutter(options)) {}
std::vector<std::string> LineFilter::get(std::string_view bytes) { return impl_->get(bytes); }
std::string LineFilter::put(std::string_view message) { return impl_->put(message); }
std::unique_ptr<Filter> LineFilter::clone() const { return impl_->clone(); }

FilterChoice::FilterChoice(std::shared_ptr<const Filter> filter) : object_(std::move(filter)) {
  if (!object_) name_ = "line";
}

std::unique_ptr<Filter> line_filter(std::size_t max_line) {
  return make_cutter({.max_line = max_line});
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

std::string tcp_detail::join_parts(const Parts& parts) {
  std::string joined;
  for (std::size_t i = 0; i < parts.size(); ++i) (i ? joined += ' ' : joined) += parts[i];
  return joined;
}

}  // namespace trap::net
