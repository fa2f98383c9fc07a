// SPDX-License-Identifier: BSL-1.0
// The Builder's registration verbs, the Trapper tables and layer resolution.
#include <algorithm>
#include <set>

#include <trap/builder.hpp>
#include <trap/detail/spec_grammar.hpp>

#include "capture/strategies.hpp"
#include "engine/spec.hpp"
#include "engine/state.hpp"
#include "posix/child_path.hpp"

namespace trap {
namespace detail {
namespace {

// A layer made from a plain function (every standard layer): the function
// and the layer's argument.
struct PlainLayer {
  void (*fn)(Trap&, std::string_view);
  std::string arg;
  void operator()(Trap& self) const { fn(self, arg); }
};

// An output layer (stdout, stderr): its accessor, descriptor and strategy.
struct OutputLayer {
  std::string accessor;
  int fd;
  std::shared_ptr<const StrategyFn> chosen;
  void operator()(Trap& self) const { apply_output_layer(self, accessor, fd, chosen.get()); }
};

}  // namespace

// The calls of plain and output layers (every layer of a default trap),
// placed with the code a fork trap's child runs: the Function's own members
// would be template instances anywhere in the program's text.
template <>
template <>
TRAP_CHILD_PATH void Function<void(Trap&)>::Held<PlainLayer>::call(Trap& self) {
  f(self);
}

template <>
template <>
TRAP_CHILD_PATH void Function<void(Trap&)>::Held<OutputLayer>::call(Trap& self) {
  f(self);
}

namespace {

void check_layer_name(std::string_view name) {
  if (!is_layer_name(name)) throw UsageError("Invalid layer name \"" + std::string(name) + "\"");
}

template <class Map>
auto find_up(const Trapper& t, Map TrapperData::*table, std::string_view name) -> const
    typename Map::mapped_type* {
  for (const Trapper* p = &t; p; p = p->parent()) {
    auto& m = Registry::data(*p).*table;
    if (auto it = m.find(name); it != m.end()) return &it->second;
  }
  return nullptr;
}

template <class Map>
std::set<std::string> names_up(const Trapper& t, Map TrapperData::*table) {
  std::set<std::string> out;
  for (const Trapper* p = &t; p; p = p->parent())
    for (auto& [k, v] : Registry::data(*p).*table) out.insert(k);
  return out;
}

// The elements of several specs, each of which must name a layer.
std::vector<std::string> split_each(std::span<const std::string> specs) {
  std::vector<std::string> elements;
  for (auto& spec : specs) {
    auto parts = split_spec(spec);
    if (parts.empty()) throw UsageError("Unknown trap layer \"" + spec + "\"");
    elements.insert(elements.end(), parts.begin(), parts.end());
  }
  return elements;
}

}  // namespace

void bad_layer_argument(std::string_view layer, std::string_view arg, std::string_view accepted) {
  throw UsageError("Layer \"" + std::string(layer) + "\" takes " + std::string(accepted) +
                   ", not \"" + std::string(arg) + "\"");
}

Registry& Registry::get() {
  // Never destroyed: static trappers unregister from it while the program
  // exits, in an order no one controls.
  // A guarded static rather than std::call_once: its check on every call
  // after the first is one load.
  static Registry& r = *new Registry;
  static const bool strategies_made = [] {
    r.strategies.emplace("tempfile", tempfile_strategy());
    r.strategies.emplace("dup2", dup2_strategy());
    r.strategies.emplace("pipe", pipe_strategy());
    r.strategies.emplace("memory", memory_strategy());
    r.strategies.emplace("tee", tee_strategy());
    // Test::Trap's names for the same behaviour, for tests ported from Perl.
    r.strategies.emplace("systemsafe", dup2_strategy());
    r.strategies.emplace("perlio", memory_strategy());
    return true;
  }();
  (void)strategies_made;
  return r;
}

const LayerDef* Registry::find_layer(const Trapper& t, std::string_view name) {
  return find_up(t, &TrapperData::layers, name);
}
const AccessorDef* Registry::find_accessor(const Trapper& t, std::string_view name) {
  return find_up(t, &TrapperData::accessors, name);
}
const TestDef* Registry::find_test(const Trapper& t, std::string_view name) {
  return find_up(t, &TrapperData::tests, name);
}
const MethodFn* Registry::find_method(const Trapper& t, std::string_view name) {
  return find_up(t, &TrapperData::methods, name);
}

Registry::Resolution Registry::resolve_method(const Trapper& t, std::string_view name) {
  Resolution r;
  if (auto* m = Registry::find_method(t, name)) {
    r.method = m;
    return r;
  }
  if (name.starts_with("did_")) {
    if (auto* a = Registry::find_accessor(t, name.substr(4)); a && a->is_leaveby) {
      r.accessor = a;
      r.did = true;
      return r;
    }
  }
  // ACCESSOR_TEST: the longest accessor name that fits wins.
  for (std::size_t us = name.rfind('_'); us != std::string_view::npos && us > 0;
       us = name.rfind('_', us - 1)) {
    auto* a = Registry::find_accessor(t, name.substr(0, us));
    auto* test = a ? Registry::find_test(t, name.substr(us + 1)) : nullptr;
    if (a && test) {
      r.accessor = a;
      r.test = test;
      return r;
    }
    if (us == 0) break;
  }
  return r;
}

LayerStack Registry::resolve_locked(const Trapper& t, std::span<const std::string> specs) const {
  LayerStack out;
  for (const auto& element : specs) {
    auto [name, arg] = parse_element(element);
    const LayerDef* def = name.empty() ? nullptr : find_layer(t, name);
    if (!def) throw UsageError("Unknown trap layer \"" + element + "\"");
    auto impls = def->make(t, arg);
    out.insert(out.end(), impls.begin(), impls.end());
  }
  return out;
}

namespace {

// The specs this thread resolved lately, for the registry generation then:
// a trap with the same spec resolves with no lock and no map lookup.
struct ResolvedMemo {
  const Trapper* trapper = nullptr;
  std::uint64_t generation = 0;
  std::string spec;
  Registry::Resolved resolved;
};
thread_local ResolvedMemo resolved_memo[4];
thread_local unsigned next_memo = 0;

}  // namespace

Registry::Resolved Registry::resolve(const Trapper& t, std::string_view spec) {
  const std::uint64_t now = generation.load();
  for (const ResolvedMemo& m : resolved_memo)
    if (m.trapper == &t && m.generation == now && m.spec == spec) return m.resolved;
  Resolved r = resolve_shared(t, spec);
  ResolvedMemo& m = resolved_memo[next_memo++ % 4];
  m.trapper = nullptr;  // unusable until it is whole
  m.spec = spec;
  m.resolved = r;
  m.generation = now;
  m.trapper = &t;
  return r;
}

Registry::Resolved Registry::resolve_shared(const Trapper& t, std::string_view spec) {
  std::shared_lock lock(mutex);
  {
    std::lock_guard c(cache_mutex);
    auto& per = cache[&t];
    if (auto it = per.find(spec); it != per.end() && it->second.generation == generation)
      return it->second.resolved;
  }
  std::vector<std::string> elements{"default"};
  auto rest = split_spec(spec);
  elements.insert(elements.end(), rest.begin(), rest.end());
  Resolved r{std::make_shared<const LayerStack>(resolve_locked(t, elements)),
             std::make_shared<const std::vector<std::string>>(std::move(elements))};
  std::lock_guard c(cache_mutex);
  cache[&t].insert_or_assign(std::string(spec), CacheEntry{generation, r});
  return r;
}

}  // namespace detail

using detail::Registry;

// ---------------------------------------------------------------- Trapper

Trapper::Trapper(std::string name, const Trapper* parent)
    : d_(std::make_unique<detail::TrapperData>()) {
  d_->name = std::move(name);
  d_->parent = parent;
}

Trapper::~Trapper() {
  auto& reg = Registry::get();
  // What was learnt about this trapper (Trap::get()'s memo) is void: a new
  // one may come at the same address.
  ++reg.generation;
  std::lock_guard c(reg.cache_mutex);
  reg.cache.erase(this);
}

const std::string& Trapper::name() const { return d_->name; }
const Trapper* Trapper::parent() const { return d_->parent; }

std::vector<std::string> Trapper::methods() const {
  auto& reg = Registry::get();
  std::shared_lock lock(reg.mutex);
  std::set<std::string> out;
  auto accessors = detail::names_up(*this, &detail::TrapperData::accessors);
  auto tests = detail::names_up(*this, &detail::TrapperData::tests);
  for (auto& a : accessors) {
    for (auto& t : tests) out.insert(a + "_" + t);
    if (Registry::find_accessor(*this, a)->is_leaveby) out.insert("did_" + a);
  }
  for (auto& m : detail::names_up(*this, &detail::TrapperData::methods)) out.insert(m);
  return {out.begin(), out.end()};
}

bool Trapper::can(std::string_view method) const {
  auto& reg = Registry::get();
  std::shared_lock lock(reg.mutex);
  return static_cast<bool>(Registry::resolve_method(*this, method));
}

bool Trapper::has_layer(std::string_view layer) const {
  auto& reg = Registry::get();
  std::shared_lock lock(reg.mutex);
  return Registry::find_layer(*this, layer) != nullptr;
}

// ---------------------------------------------------------------- Builder

LayerArgCheck no_layer_argument(std::string_view layer) {
  return [name = std::string(layer)](std::string_view arg) {
    if (!arg.empty()) detail::bad_layer_argument(name, arg, "no argument");
  };
}

Builder::Builder() = default;

Builder& Builder::instance() {
  static Builder b;
  return b;
}

void Builder::layer(Trapper& trapper, std::string_view name, LayerFn fn) {
  layer(trapper, name, std::move(fn), LayerArgCheck());
}

void Builder::layer(Trapper& trapper, std::string_view name, LayerFn fn, LayerArgCheck check) {
  detail::check_layer_name(name);
  if (!fn) throw UsageError("Layer \"" + std::string(name) + "\" has no implementation");
  auto& reg = Registry::get();
  std::unique_lock lock(reg.mutex);
  auto shared = std::make_shared<const LayerFn>(std::move(fn));
  Registry::data(trapper).layers.insert_or_assign(
      std::string(name),
      detail::LayerDef{[shared, check = std::move(check)](const Trapper&, std::string_view arg) {
        if (check) check(arg);
        // A plain function (the standard layers) is called directly: one
        // indirection less on every trap.
        using Plain = void (*)(Trap&, std::string_view);
        if (const Plain* plain = shared->target<Plain>(); plain && *plain)
          return std::vector<LayerImpl>{detail::PlainLayer{*plain, std::string(arg)}};
        return std::vector<LayerImpl>{
            [shared, a = std::string(arg)](Trap& self) { (*shared)(self, a); }};
      }});
  ++reg.generation;
}

void Builder::multi_layer(Trapper& trapper, std::string_view name,
                          const std::vector<std::string>& layers) {
  detail::check_layer_name(name);
  auto& reg = Registry::get();
  std::unique_lock lock(reg.mutex);
  auto impls = reg.resolve_locked(trapper, detail::split_each(layers));
  Registry::data(trapper).layers.insert_or_assign(
      std::string(name),
      detail::LayerDef{[impls, n = std::string(name)](const Trapper&, std::string_view arg) {
        // Its layers have their arguments already.
        if (!arg.empty()) detail::bad_layer_argument(n, arg, "no argument");
        return impls;
      }});
  ++reg.generation;
}

void Builder::output_layer(Trapper& trapper, std::string_view name, int fd) {
  detail::check_layer_name(name);
  if (fd < 0) throw UsageError("Output layer \"" + std::string(name) + "\": bad descriptor");
  auto& reg = Registry::get();
  {
    std::unique_lock lock(reg.mutex);
    std::string accessor(name);
    Registry::data(trapper).layers.insert_or_assign(
        accessor, detail::LayerDef{[accessor, fd](const Trapper&, std::string_view arg) {
          // Resolved now (Perl does too), so a bad strategy is a usage error
          // before anything runs. Callers hold the registry lock.
          std::shared_ptr<const StrategyFn> chosen;
          if (!arg.empty()) chosen = detail::find_strategy_locked(arg);
          return std::vector<LayerImpl>{detail::OutputLayer{accessor, fd, std::move(chosen)}};
        }});
    Registry::data(trapper).accessors.insert_or_assign(
        accessor, detail::AccessorDef{accessor, false, false, {}, {}});
    ++reg.generation;
  }
}

void Builder::capture_strategy(std::string_view name, StrategyFn fn) {
  if (name.empty() || name.find_first_of(",;() :") != std::string_view::npos)
    throw UsageError("Invalid capture strategy name \"" + std::string(name) + "\"");
  auto& reg = Registry::get();
  std::unique_lock lock(reg.mutex);
  reg.strategies.insert_or_assign(std::string(name), std::move(fn));
  ++reg.generation;
}

const StrategyFn* Builder::capture_strategy(std::string_view name) const {
  auto& reg = Registry::get();
  std::shared_lock lock(reg.mutex);
  auto it = reg.strategies.find(name);
  return it == reg.strategies.end() ? nullptr : &it->second;
}

const StrategyFn* Builder::first_capture_strategy(std::string_view spec) const {
  if (spec.empty()) return nullptr;
  auto& reg = Registry::get();
  std::shared_lock lock(reg.mutex);
  return detail::find_strategy_ptr_locked(spec);
}

std::vector<LayerImpl> Builder::layer_implementation(const Trapper& trapper,
                                                     std::span<const std::string> specs) const {
  auto& reg = Registry::get();
  std::shared_lock lock(reg.mutex);
  return reg.resolve_locked(trapper, detail::split_each(specs));
}

void Builder::accessor(Trapper& trapper, const AccessorSpec& spec) {
  auto& reg = Registry::get();
  std::unique_lock lock(reg.mutex);
  auto& table = Registry::data(trapper).accessors;
  for (auto& name : spec.simple) {
    if (name.empty()) throw UsageError("Accessor with an empty name");
    table.insert_or_assign(
        name, detail::AccessorDef{name, spec.is_leaveby, spec.is_array, {}, spec.layer});
  }
  for (auto& [name, fn] : spec.flexible) {
    if (name.empty()) throw UsageError("Accessor with an empty name");
    if (!fn) throw UsageError("Flexible accessor \"" + name + "\" has no implementation");
    table.insert_or_assign(
        name, detail::AccessorDef{name, spec.is_leaveby, spec.is_array, fn, spec.layer});
  }
  ++reg.generation;
}

void Builder::test(Trapper& trapper, std::string_view name, std::string_view argspec, TestFn fn) {
  using detail::ArgWord;
  static const std::map<std::string, ArgWord, std::less<>> words{
      {"trap", ArgWord::trap},           {"object", ArgWord::trap},
      {"entirety", ArgWord::entirety},   {"all", ArgWord::entirety},
      {"element", ArgWord::element},     {"indexed", ArgWord::element},
      {"predicate", ArgWord::predicate}, {"name", ArgWord::name}};
  detail::TestDef def{std::string(name), {}, std::move(fn)};
  for (auto& w : detail::split_words(argspec)) {
    auto it = words.find(w);
    if (it == words.end()) throw UsageError("Unrecognized identifier " + w + " in argspec");
    def.argspec.push_back(it->second);
  }
  if (name.empty()) throw UsageError("Test with an empty name");
  if (!def.fn) throw UsageError("Test \"" + std::string(name) + "\" has no implementation");
  auto& reg = Registry::get();
  std::unique_lock lock(reg.mutex);
  Registry::data(trapper).tests.insert_or_assign(std::string(name), std::move(def));
  ++reg.generation;
}

}  // namespace trap

namespace trap {
void Builder::method(Trapper& trapper, std::string_view name, MethodFn fn) {
  if (name.empty()) throw UsageError("Method with an empty name");
  if (!fn) throw UsageError("Method \"" + std::string(name) + "\" has no implementation");
  auto& reg = detail::Registry::get();
  std::unique_lock lock(reg.mutex);
  detail::Registry::data(trapper).methods.insert_or_assign(std::string(name), std::move(fn));
  ++reg.generation;
}
}  // namespace trap
