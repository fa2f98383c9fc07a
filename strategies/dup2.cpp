// dup2 (the default): an unlinked temp file dup2'ed onto the descriptor.
// Captures everything written to it, child processes included. The file is
// an in-memory one from a pool, so a trap creates no file.
#include "capture/capture.hpp"
#include "capture/strategies.hpp"

namespace trap::detail {
namespace {

class Dup2Capture final : public Capture {
 public:
  using Capture::Capture;
  std::optional<std::pair<int, off_t>> file_region() const override {
    return std::pair<int, off_t>(file_.fd(), static_cast<off_t>(file_.offset()));
  }

 private:
  bool do_begin() override {
    flush_streams(fd());
    file_ = PooledFile::memory(!limit_.engage());
    forks_ = posix::fork_count();
    saved_ = divert(fd(), file_.fd());
    return static_cast<bool>(saved_);
  }

  std::string do_end() override {
    restore(fd(), saved_.get());
    saved_.reset();
    // A child started meanwhile holds the file as its stdout and may write
    // on after the trap: the file must not serve a later one.
    if (posix::fork_count() != forks_) file_.keep_out_of_pool();
    std::string out;
    file_.take(out);
    limit_.release();
    return out;
  }

  PooledFile file_;
  posix::Fd saved_;
  unsigned long forks_ = 0;
  FileSizeLimitGuard limit_;
};

}  // namespace

StrategyFn dup2_strategy() { return strategy_of<Dup2Capture>(); }

}  // namespace trap::detail
