// SPDX-License-Identifier: BSL-1.0
// The part the file-backed strategies (dup2, tempfile) share: the capture
// file, its size limit, and what a child forked meanwhile does to it.
#pragma once

#include <string>
#include <utility>

#include "capture/capture.hpp"

namespace trap::detail {

/// A Capture into a PooledFile. A derived strategy calls open_file() in
/// do_begin(), once the descriptor is known to be open, and take_file() at
/// the end of do_end().
class FileCapture : public Capture {
 public:
  using Capture::Capture;
  TRAP_CHILD_PATH std::optional<std::pair<int, off_t>> file_region() const override {
    return std::pair<int, off_t>(file_.fd(), static_cast<off_t>(file_.offset()));
  }

 protected:
  /// Opens the capture file with @p make (PooledFile::memory or
  /// PooledFile::in_temp_dir); a file under a file size limit is not pooled.
  void open_file(PooledFile (*make)(bool reuse)) {
    file_ = make(!limit_.engage(file_size_limited(layering.trap)));
    forks_ = posix::fork_count();
  }

  /// Everything written to the capture file.
  std::string take_file() {
    // A child forked meanwhile holds the file (as its descriptor, or
    // through a FILE*) and may write on after the trap: the file must not
    // serve a later one.
    if (posix::fork_count() != forks_) file_.keep_out_of_pool();
    std::string out;
    file_.take(out);
    limit_.release();
    return out;
  }

  PooledFile file_;

 private:
  unsigned long forks_ = 0;
  FileSizeLimitGuard limit_;
};

}  // namespace trap::detail
