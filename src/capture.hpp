// What every capture strategy shares: the Capture base class with its
// begin/end protocol, the pool of reusable capture files, stream flushing,
// and the record of which descriptor stands for the original stdout/stderr.
#pragma once

#include <memory>
#include <string>

#include <trap/builder.hpp>

#include "posix/fd.hpp"

namespace trap::detail {

/// Flushes what C stdio and the iostreams hold for descriptor @p fd (1 or 2),
/// so that nothing lands on the wrong side of a diversion.
void flush_streams(int fd);

/// While fd-level captures divert @p fd, the descriptor that still reaches
/// where @p fd went before the outermost one; @p fd itself otherwise.
/// Formatters write there, so test output never lands in a capture.
int original_fd(int fd);
/// Writes @p text where @p fd pointed before the outermost capture (after
/// flushing the program's own buffered output when nothing diverts it).
/// Errors are ignored: this is for reports, which must not fail a trap.
void write_original(int fd, std::string_view text);
/// Records that @p saved now holds what @p fd pointed to.
void push_diversion(int fd, int saved);
/// Forgets a diversion recorded by push_diversion().
void pop_diversion(int fd, int saved);

/// Points @p fd at @p target, @p saved holding what it pointed to.
void divert(int fd, int target, int saved);
/// Flushes what was written to @p fd and points it back at @p saved.
void restore(int fd, int saved);

/// A reusable capture file. Returned to its pool on destruction.
///
/// A trap's output is appended after what earlier traps left, from offset(),
/// and read back from there: no truncation (two system calls) per trap. The
/// file is emptied once it holds more than kKeep bytes.
class PooledFile {
 public:
  static constexpr std::size_t kKeep = 256 * 1024;
  PooledFile() = default;
  PooledFile(posix::Fd fd, std::string dir, std::size_t offset = 0)
      : fd_(std::move(fd)), dir_(std::move(dir)), offset_(offset) {}
  ~PooledFile();
  PooledFile(PooledFile&& o) noexcept
      : fd_(std::move(o.fd_)), dir_(std::move(o.dir_)), offset_(o.offset_), clean_(o.clean_) {}
  PooledFile& operator=(PooledFile&&) noexcept;
  int fd() const { return fd_.get(); }
  /// Appends what was written since the capture began to @p out.
  void take(std::string& out);

  /// An in-memory file (memfd; a temp file where memfd is missing).
  static PooledFile memory();
  /// An unlinked temp file in $TMPDIR (or /tmp).
  /// @throws std::system_error `cannot create temp file in "DIR": ...`
  static PooledFile in_temp_dir();

 private:
  void release() noexcept;
  posix::Fd fd_;
  std::string dir_;          // empty for memory files
  std::size_t offset_ = 0;   // where this capture's bytes begin
  bool clean_ = false;       // read to its end by take(): fit to reuse
};

/// One diversion of one stream. begin() and end() check the protocol and
/// call the strategy's private virtuals; end() always restores the stream
/// before it reads what was captured.
class Capture {
 public:
  explicit Capture(int fd) : fd_(fd) {}
  virtual ~Capture() = default;
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  /// Starts diverting; false (and nothing diverted) if the descriptor is
  /// closed, which Perl does not trap either. On failure nothing stays
  /// diverted.
  bool begin();
  /// Restores the stream and returns what was written meanwhile.
  std::string end();
  int fd() const { return fd_; }

 private:
  virtual bool do_begin() = 0;
  virtual std::string do_end() = 0;
  enum class State { idle, active, done };
  int fd_;
  State state_ = State::idle;
};

/// The callable of a built-in strategy. Its type tells the output layer
/// that the strategy handles a closed descriptor itself (a user's strategy
/// is not called for one, as in Perl).
struct BuiltinStrategy {
  std::function<void(Trap&, std::string_view, int)> impl;
  void operator()(Trap& self, std::string_view name, int fd) const { impl(self, name, fd); }
};

/// The StrategyFn of a Capture type: begins it, registers the teardown that
/// ends it and sets the accessor, then applies the next layer. A failure to
/// begin is the trap's untrappable exception.
template <class C, class... Args>
StrategyFn strategy_of(Args... args) {
  return BuiltinStrategy{[=](Trap& self, std::string_view name, int fd) {
    auto capture = std::make_shared<C>(fd, args...);
    bool active = false;
    try {
      active = capture->begin();
    } catch (const std::exception& e) {
      self.exception(e.what());
    }
    if (!active) {
      self.next();
      return;
    }
    // Moved into the teardown: a trapped exit below skips this frame.
    self.teardown([capture = std::move(capture), accessor = std::string(name)](Trap& t) {
      t.set(accessor, Value(capture->end()));
    });
    self.next();
  }};
}

/// The ostream that stands for descriptor @p fd (std::cout or std::cerr).
/// @throws UsageError for another descriptor.
std::ostream& stream_for(int fd, const char* strategy);

}  // namespace trap::detail
