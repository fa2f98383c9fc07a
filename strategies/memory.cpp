// memory: std::cout (descriptor 1) or std::cerr (descriptor 2) write into a
// string buffer. Touches no descriptor and no FILE*: C stdio, raw writes and
// child processes are not captured. Perl's Test::Trap::Builder::PerlIO.
#include <ostream>
#include <sstream>

#include "capture.hpp"
#include "strategies.hpp"

namespace trap::detail {
namespace {

class MemoryCapture final : public Capture {
 public:
  using Capture::Capture;

 private:
  bool do_begin() override {
    std::ostream& os = stream_for(fd(), "memory");
    if (!posix::is_open(fd())) return false;
    os.flush();
    buffer_chain(fd()).enter(
        &saved_, static_cast<std::streambuf*>(&buf_), [&] { return os.rdbuf(); },
        [&](std::streambuf* b) { os.rdbuf(b); });
    return true;
  }

  std::string do_end() override {
    std::ostream& os = stream_for(fd(), "memory");
    buffer_chain(fd()).leave(&saved_, [&](std::streambuf* b) { os.rdbuf(b); });
    return std::move(buf_).str();
  }

  std::stringbuf buf_;
  std::streambuf* saved_ = nullptr;
};

}  // namespace

StrategyFn memory_strategy() { return strategy_of<MemoryCapture>(); }

}  // namespace trap::detail
