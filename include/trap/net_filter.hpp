// SPDX-License-Identifier: BSL-1.0
/// @file
/// The filters of trap::net's servers (target trap::net; included by
/// <trap/net.hpp>): how bytes on a connection become messages and back,
/// as POE::Filter does, messages that are lists (StructuredFilter), the
/// line filter with POE::Filter::Line's options, and FilterChoice, a
/// filter given by name or as an object.
#pragma once

#include <concepts>
#include <cstddef>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace trap::net {

/// Thrown for a message a filter cannot decode or encode (too long, bad
/// framing): the client that sent it is dropped with a client_error event.
struct FilterError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A structured message: its parts, in order (POE filters that return
/// array refs: a word-splitting filter's tokens).
using Parts = std::vector<std::string>;

/// How bytes on a connection become messages and back (POE::Filter).
/// One instance per connection and direction: it may keep state.
///
/// A filter that cuts messages that are lists overrides get_parts() and
/// put_parts(), most simply by deriving from StructuredFilter.
class Filter {
 public:
  virtual ~Filter() = default;
  /// Takes bytes read from the client; returns the messages they complete.
  /// @throws FilterError for input it cannot accept. The server drops
  /// that client with a client_error event (operation "read") whose
  /// message is what the exception says; it does so for anything thrown.
  virtual std::vector<std::string> get(std::string_view bytes) = 0;
  /// The bytes that send @p message.
  /// @throws FilterError for a message it cannot encode.
  virtual std::string put(std::string_view message) = 0;
  /// A new filter of the same kind and settings, with no state. The server
  /// clones its filter for each client it accepts: what clone() throws
  /// turns that connection away (a client_error event, operation
  /// "accept"; no connected event).
  virtual std::unique_ptr<Filter> clone() const = 0;
  /// Takes bytes read from the client; returns the structured messages
  /// they complete. By default each message of get() as one part.
  /// @throws FilterError for input it cannot accept.
  virtual std::vector<Parts> get_parts(std::string_view bytes);
  /// The bytes that send the structured message @p parts. By default
  /// put() of each part, one after the other (each part a message).
  /// @throws FilterError for a message it cannot encode.
  virtual std::string put_parts(const Parts& parts);
};

/// A filter whose messages are lists: the server calls its get_parts() and
/// gives each message's parts as ServerEvent::parts (and, joined by a
/// space, as ServerEvent::input). Derive, and define get_parts(),
/// put_parts() and clone():
/// @code{.cpp}
/// #include <sstream>
/// #include <trap/net.hpp>
///
/// // Lines of words: "GET /a HTTP/1.0\n" arrives as {"GET", "/a", "HTTP/1.0"}.
/// struct Words : trap::net::StructuredFilter {
///   trap::net::LineFilter lines;
///   std::vector<trap::net::Parts> get_parts(std::string_view bytes) override {
///     std::vector<trap::net::Parts> out;
///     for (auto& line : lines.get(bytes)) {
///       trap::net::Parts words;
///       std::istringstream in(line);
///       for (std::string w; in >> w;) words.push_back(w);
///       out.push_back(std::move(words));
///     }
///     return out;
///   }
///   std::string put_parts(const trap::net::Parts& parts) override {
///     std::string line;
///     for (auto& p : parts) line += (line.empty() ? "" : " ") + p;
///     return lines.put(line);
///   }
///   std::unique_ptr<trap::net::Filter> clone() const override {
///     return std::make_unique<Words>();
///   }
/// };
/// trap::net::TcpServer server({.filter = Words{}});
/// // server.send_parts_to_client(id, {"200", "OK"}) sends "200 OK\n".
/// @endcode
class StructuredFilter : public Filter {
 public:
  std::vector<Parts> get_parts(std::string_view bytes) override = 0;
  std::string put_parts(const Parts& parts) override = 0;
  /// Each message of get_parts(), its parts joined by a space.
  std::vector<std::string> get(std::string_view bytes) override;
  /// put_parts() of the one-part message @p message.
  std::string put(std::string_view message) override;
};

/// The settings of a LineFilter: POE::Filter::Line's `Literal`,
/// `InputLiteral`, `OutputLiteral`, in C++ style.
struct LineFilterOptions {
  /// The end of line of both directions (POE's `Literal`); not with the
  /// two below. It must not be empty.
  std::optional<std::string> literal{};
  /// The end of line of input (POE's `InputLiteral`). Unset: a CR, an LF,
  /// a CRLF or an LFCR ends a line (POE's default). Empty: the first end
  /// of line found among those is the one of every line (POE's autodetect).
  std::optional<std::string> input_literal{};
  /// The end of line of output (POE's `OutputLiteral`, e.g. "\r\n" for
  /// SMTP or POP3). Unset: "\n" (POE's default is "\r\n"; trap keeps the
  /// "\n" it always had). It must not be empty.
  std::optional<std::string> output_literal{};
  /// A line longer than this many bytes is a FilterError.
  std::size_t max_line = 1 << 20;
};

/// Lines (POE::Filter::Line): input cut at each end of line, which is
/// removed; output gets one. Unlike POE, where the reads were cut does not
/// matter: a CR that ends one read and an LF that starts the next are one
/// end of line, as they are when they come together.
/// @code
/// #include <trap/net.hpp>
/// trap::net::TcpServer pop3({.filter = trap::net::LineFilter({.output_literal = "\r\n"})});
/// @endcode
class LineFilter final : public Filter {
 public:
  /// @throws trap::UsageError for an empty literal, or `literal` with
  /// another literal (POE's messages: "A defined Literal must have a
  /// nonzero length", "cannot have Literal with any other parameter").
  explicit LineFilter(LineFilterOptions options = {});
  std::vector<std::string> get(std::string_view bytes) override;
  std::string put(std::string_view message) override;
  /// A filter with no state, of this one's settings.
  std::unique_ptr<Filter> clone() const override;

 private:
  std::unique_ptr<Filter> impl_;
};

/// Lines (the default): a LineFilter with the default settings (CR, LF,
/// CRLF or LFCR ends a line; output gets "\n"). A line longer than
/// @p max_line bytes is a FilterError.
std::unique_ptr<Filter> line_filter(std::size_t max_line = 1 << 20);
/// Raw stream: every read is one message, byte for byte; output as is.
std::unique_ptr<Filter> raw_filter();
/// Length-prefixed blocks: a message is its length in decimal, a NUL, then
/// its bytes (POE::Filter::Block's default format). A block longer than
/// @p max_block bytes is a FilterError.
std::unique_ptr<Filter> block_filter(std::size_t max_block = 1 << 20);
/// The filter named @p name: "line", "raw" or "block".
/// @throws trap::UsageError for another name.
std::unique_ptr<Filter> filter_named(std::string_view name);

/// The filter of both directions of TcpServerOptions (POE's `Filter`): a
/// name ("line", "raw", "block") or a filter object, cloned per client.
/// @code
/// #include <trap/net.hpp>
/// trap::net::TcpServerOptions o;
/// o.filter = "raw";
/// o.filter = trap::net::LineFilter({.literal = "\r\n"});
/// @endcode
class FilterChoice {
 public:
  /// The filter named @p name (checked when the server starts).
  FilterChoice(const char* name) : name_(name) {}
  /// The filter named @p name (checked when the server starts).
  FilterChoice(std::string name) : name_(std::move(name)) {}
  /// @p filter, cloned per client; a null one means "line".
  FilterChoice(std::shared_ptr<const Filter> filter);
  /// @p filter, cloned per client; a null one means "line".
  FilterChoice(std::unique_ptr<Filter> filter)
      : FilterChoice(std::shared_ptr<const Filter>(std::move(filter))) {}
  /// A copy of @p filter, cloned per client.
  template <class F>
  requires std::derived_from<std::remove_cvref_t<F>, Filter> FilterChoice(F&& filter)
      : FilterChoice(std::shared_ptr<const Filter>(
            std::make_shared<std::remove_cvref_t<F>>(std::forward<F>(filter)))) {}
  /// The name ("" for an object).
  const std::string& name() const { return name_; }
  /// The object (null for a name).
  const std::shared_ptr<const Filter>& object() const { return object_; }
  /// Whether this is the filter named @p name.
  bool operator==(std::string_view name) const { return !object_ && name_ == name; }

 private:
  std::string name_;
  std::shared_ptr<const Filter> object_;
};

/// Prints the name ("line"), or "a filter object", for BOOST_TEST(o.filter == "line").
std::ostream& operator<<(std::ostream& out, const FilterChoice& filter);

}  // namespace trap::net
