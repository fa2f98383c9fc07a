// tempfile: C stdio (stdout/stderr) and the iostreams (std::cout/std::cerr)
// write to an unlinked temp file in $TMPDIR; descriptors 1 and 2 are left
// alone, so raw write(2) calls and child processes are not captured.
// Perl's Test::Trap::Builder::TempFile.
#include <ext/stdio_sync_filebuf.h>

#include <cerrno>
#include <cstdio>
#include <ostream>
#include <system_error>

#include "capture.hpp"
#include "strategies.hpp"

namespace trap::detail {
namespace {

class TempfileCapture final : public Capture {
 public:
  using Capture::Capture;
  std::optional<std::pair<int, off_t>> file_region() const override {
    return std::pair<int, off_t>(file_.fd(), static_cast<off_t>(file_.offset()));
  }
  ~TempfileCapture() override {
    if (stream_) std::fclose(stream_);
  }

 private:
  std::FILE*& c_stream() { return fd() == 1 ? stdout : stderr; }

  bool do_begin() override {
    std::ostream& os = stream_for(fd(), "tempfile");
    if (!posix::is_open(fd())) return false;
    flush_streams(fd());
    file_ = PooledFile::in_temp_dir(!limit_.engage());
    forks_ = posix::fork_count();
    posix::Fd writer = posix::dup(file_.fd());
    stream_ = ::fdopen(writer.get(), "w");
    if (!stream_) throw std::system_error(errno, std::generic_category(), "fdopen");
    writer.release();
    // One FILE* for both: printf and std::cout stay in the order written.
    buf_ = std::make_unique<__gnu_cxx::stdio_sync_filebuf<char>>(stream_);
    file_chain(fd()).enter(
        &saved_stream_, stream_, [&] { return c_stream(); }, [&](std::FILE* f) { c_stream() = f; });
    buffer_chain(fd()).enter(
        &saved_buf_, static_cast<std::streambuf*>(buf_.get()), [&] { return os.rdbuf(); },
        [&](std::streambuf* b) { os.rdbuf(b); });
    return true;
  }

  std::string do_end() override {
    std::ostream& os = stream_for(fd(), "tempfile");
    os.flush();
    std::fflush(stream_);
    buffer_chain(fd()).leave(&saved_buf_, [&](std::streambuf* b) { os.rdbuf(b); });
    file_chain(fd()).leave(&saved_stream_, [&](std::FILE* f) { c_stream() = f; });
    std::fclose(stream_);
    stream_ = nullptr;
    // A child forked meanwhile has the FILE* and may write on.
    if (posix::fork_count() != forks_) file_.keep_out_of_pool();
    std::string out;
    file_.take(out);
    limit_.release();
    return out;
  }

  PooledFile file_;
  std::FILE* stream_ = nullptr;
  std::FILE* saved_stream_ = nullptr;
  std::unique_ptr<__gnu_cxx::stdio_sync_filebuf<char>> buf_;
  std::streambuf* saved_buf_ = nullptr;
  unsigned long forks_ = 0;
  FileSizeLimitGuard limit_;
};

}  // namespace

StrategyFn tempfile_strategy() { return strategy_of<TempfileCapture>(); }

}  // namespace trap::detail
