// The hub: numbering, counts, the formatter, intercept().
#include <trap/hub.hpp>

#include <cstdlib>
#include <mutex>
#include <sstream>

#include <trap/errors.hpp>

namespace trap {

Formatter::~Formatter() = default;
void Formatter::finish(const Hub&) {}

struct Hub::State {
  mutable std::recursive_mutex mutex;
  std::unique_ptr<Formatter> formatter;
  std::size_t count = 0;
  std::size_t failed = 0;
  std::size_t planned = 0;
  bool has_plan = false;
  bool ended = false;
};

Hub::Hub() : Hub(make_tap_formatter()) {}

Hub::Hub(std::unique_ptr<Formatter> formatter) : s_(std::make_unique<State>()) {
  s_->formatter = std::move(formatter);
}

Hub::~Hub() = default;

void Hub::send(Event event) {
  std::lock_guard lock(s_->mutex);
  if (event.kind == Event::Kind::ok) {
    event.number = ++s_->count;
    if (!event.pass) ++s_->failed;
  }
  if (!s_->formatter) return;
  try {
    s_->formatter->write(event);
  } catch (...) {
    // A formatter that throws must not lose the count or crash the run.
  }
}

std::unique_ptr<Formatter> Hub::format(std::unique_ptr<Formatter> formatter) {
  std::lock_guard lock(s_->mutex);
  std::swap(formatter, s_->formatter);
  return formatter;
}

std::size_t Hub::count() const {
  std::lock_guard lock(s_->mutex);
  return s_->count;
}

std::size_t Hub::failed() const {
  std::lock_guard lock(s_->mutex);
  return s_->failed;
}

bool Hub::is_passing() const {
  std::lock_guard lock(s_->mutex);
  return s_->failed == 0 && (!s_->has_plan || !s_->ended || s_->planned == s_->count);
}

void Hub::plan(std::size_t tests) {
  {
    std::lock_guard lock(s_->mutex);
    if (s_->has_plan) throw UsageError("You tried to plan twice");
    s_->has_plan = true;
    s_->planned = tests;
  }
  Event e;
  e.kind = Event::Kind::plan;
  e.count = tests;
  send(std::move(e));
}

bool Hub::ended() const {
  std::lock_guard lock(s_->mutex);
  return s_->ended;
}

void Hub::finish() {
  std::lock_guard lock(s_->mutex);
  if (s_->ended) return;
  s_->ended = true;
  if (!s_->formatter) return;
  try {
    s_->formatter->finish(*this);
  } catch (...) {
  }
}

void Hub::reset_state() {
  std::lock_guard lock(s_->mutex);
  s_->count = s_->failed = s_->planned = 0;
  s_->has_plan = s_->ended = false;
}

namespace {

struct RootHub {
  Hub hub;
  ~RootHub() { hub.finish(); }
};

thread_local Hub* private_hub = nullptr;

class Recorder final : public Formatter {
 public:
  explicit Recorder(std::vector<Event>& out) : out_(out) {}
  void write(const Event& e) override { out_.push_back(e); }

 private:
  std::vector<Event>& out_;
};

void send_text(Event::Kind kind, std::string_view message, trap::source_location where) {
  Event e;
  e.kind = kind;
  e.name = std::string(message);
  e.where = where;
  current_hub().send(std::move(e));
}

}  // namespace

Hub& hub() {
  static RootHub root;
  return root.hub;
}

Hub& current_hub() { return private_hub ? *private_hub : hub(); }

std::vector<Event> intercept(const std::function<void()>& fn) {
  std::vector<Event> events;
  Hub local(std::make_unique<Recorder>(events));
  Hub* outer = private_hub;
  private_hub = &local;
  try {
    fn();
  } catch (...) {
    private_hub = outer;
    throw;
  }
  private_hub = outer;
  return events;
}

void diag(std::string_view message, trap::source_location where) {
  send_text(Event::Kind::diag, message, where);
}

void note(std::string_view message, trap::source_location where) {
  send_text(Event::Kind::note, message, where);
}

int done_testing() {
  Hub& h = hub();
  h.finish();
  std::size_t failed = h.failed();
  return static_cast<int>(failed > 254 ? 254 : failed);
}

}  // namespace trap
