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
    saved_ = os.rdbuf(&buf_);
    return true;
  }

  std::string do_end() override {
    stream_for(fd(), "memory").rdbuf(saved_);
    return std::move(buf_).str();
  }

  std::stringbuf buf_;
  std::streambuf* saved_ = nullptr;
};

}  // namespace

StrategyFn memory_strategy() { return strategy_of<MemoryCapture>(); }

}  // namespace trap::detail
