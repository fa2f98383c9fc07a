// SPDX-License-Identifier: BSL-1.0
// dup2 (the default): an unlinked temp file dup2'ed onto the descriptor.
// Captures everything written to it, child processes included. The file is
// an in-memory one from a pool, so a trap creates no file.
#include "capture/file_capture.hpp"
#include "capture/strategies.hpp"
#include "posix/child_path.hpp"

namespace trap::detail {
namespace {

class Dup2Capture final : public FileCapture {
 public:
  using FileCapture::FileCapture;
  TRAP_CHILD_PATH ~Dup2Capture() override = default;

 private:
  TRAP_CHILD_PATH bool do_begin() override {
    flush_streams(fd());
    open_file(&PooledFile::memory);
    saved_ = divert(fd(), file_.fd());
    return static_cast<bool>(saved_);
  }

  TRAP_CHILD_PATH std::string do_end() override {
    restore(fd(), saved_.get());
    saved_.reset();
    return take_file();
  }

  posix::Fd saved_;
};

}  // namespace

StrategyFn dup2_strategy() { return strategy_of<Dup2Capture>(); }

}  // namespace trap::detail
