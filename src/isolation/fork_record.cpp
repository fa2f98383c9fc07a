// SPDX-License-Identifier: BSL-1.0
#include "isolation/fork_record.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>

#include "engine/value_storage.hpp"
#include "posix/child_path.hpp"

namespace trap::detail {
namespace {

constexpr std::string_view kStateHeader = "TRAPFORK1";
constexpr std::size_t kMaxDepth = 64;  // nested arrays

struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A netstring: its length, ':', the bytes. Into a std::string (the parent's
// replay list), or a RoomString (a fork trap's child, on its stack): one
// body, and the child's own copy on its code path.
template <class Out>
[[gnu::always_inline]] inline void put_into(Out& out, std::string_view bytes) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, bytes.size()).ptr);
  out += ':';
  out += bytes;
}

void put(std::string& out, std::string_view bytes) { put_into(out, bytes); }
TRAP_CHILD_PATH void put(RoomString& out, std::string_view bytes) { put_into(out, bytes); }

template <class Out>
[[gnu::always_inline]] inline void put_number(Out& out, std::size_t n) {
  char digits[24];
  put(out, std::string_view(digits, std::to_chars(digits, digits + sizeof digits, n).ptr));
}

std::string_view take(std::string_view& in) {
  std::size_t n = 0;
  auto r = std::from_chars(in.data(), in.data() + in.size(), n);
  if (r.ec != std::errc() || r.ptr == in.data() + in.size() || *r.ptr != ':')
    throw Malformed("a length is missing");
  std::size_t used = static_cast<std::size_t>(r.ptr - in.data()) + 1;
  if (in.size() - used < n) throw Malformed("a field is cut short");
  std::string_view field = in.substr(used, n);
  in.remove_prefix(used + n);
  return field;
}

template <class T>
T take_number(std::string_view& in) {
  std::string_view f = take(in);
  T v{};
  auto r = std::from_chars(f.data(), f.data() + f.size(), v);
  if (r.ec != std::errc() || r.ptr != f.data() + f.size()) throw Malformed("a number is malformed");
  return v;
}

char take_tag(std::string_view& in) {
  if (in.empty()) throw Malformed("a value is missing");
  char c = in.front();
  in.remove_prefix(1);
  return c;
}

Value decode_value(std::string_view& in, std::size_t depth);

Value decode_array(std::string_view& in, std::size_t depth) {
  if (depth > kMaxDepth) throw Malformed("arrays nest too deep");
  auto n = take_number<std::size_t>(in);
  if (n > in.size()) throw Malformed("an array is longer than the record");
  Array a;
  a.reserve(n);
  for (std::size_t i = 0; i < n; ++i) a.push_back(decode_value(in, depth + 1));
  return Value(std::move(a));
}

// One header line "WORD [NAME] LENGTH\n"; false if there is none.
struct Header {
  std::string_view word, name;
  std::size_t length = 0;
};

struct CutShort {};

Header take_header(std::string_view& in) {
  auto nl = in.find('\n');
  if (nl == std::string_view::npos) throw CutShort{};
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl + 1);
  Header h;
  auto sp = line.find(' ');
  h.word = line.substr(0, sp);
  if (sp == std::string_view::npos) throw Malformed("a record header has no length");
  line.remove_prefix(sp + 1);
  if (auto sp2 = line.rfind(' '); sp2 != std::string_view::npos) {
    h.name = line.substr(0, sp2);
    line.remove_prefix(sp2 + 1);
  }
  auto r = std::from_chars(line.data(), line.data() + line.size(), h.length);
  if (r.ec != std::errc() || r.ptr != line.data() + line.size())
    throw Malformed("a record header has a malformed length");
  return h;
}

void decode_state(std::string_view in, ForkResult& r) {
  r.leaveby = std::string(take(in));
  r.die_type = std::string(take(in));
  auto n = take_number<std::size_t>(in);
  for (std::size_t i = 0; i < n && !in.empty(); ++i) r.exceptions.emplace_back(take(in));
  n = take_number<std::size_t>(in);
  // One allocation, not one per doubling: in a parent that has just
  // forked, each fresh block malloc carves is a page fault or more. Each
  // value takes at least two bytes, so a malformed count reserves no more
  // than the record's size allows.
  r.values.reserve(std::min(n, in.size() / 2));
  for (std::size_t i = 0; i < n; ++i) {
    std::string name(take(in));
    r.values.emplace_back(std::move(name), decode_value(in, 0));
  }
  if (!in.empty()) throw Malformed("bytes follow the last value");
  r.complete = true;
}

}  // namespace

void ValueCodec::encode(const Value& v, std::string& out) {
  StringRoom heap{nullptr, 0};
  RoomString bytes{RoomAllocator<char>(&heap)};
  encode_to(v, bytes);
  out += bytes;
}

TRAP_CHILD_PATH void ValueCodec::encode_to(const Value& v, RoomString& out) {
  switch (v.v().index()) {
    case 0:
      out += 'u';
      return;
    case 1:
      out += 'b';
      put(out, std::get<bool>(v.v()) ? "1" : "0");
      return;
    case 2:
      out += 'i';
      put(out, std::to_string(std::get<std::int64_t>(v.v())));
      return;
    case 3:
      out += 'f';
      put(out, codec<double>::encode(std::get<double>(v.v())));
      return;
    case 4:
      out += 's';
      put(out, std::get<std::string>(v.v()));
      return;
    case 5: {
      out += 'a';
      const Array& a = std::get<Array>(v.v());
      put_number(out, a.size());
      for (const auto& e : a) encode_to(e, out);
      return;
    }
    default: {
      const auto& o = std::get<Opaque>(v.v());
      out += 'o';
      put(out, o.type ? std::string_view(o.type->name()) : std::string_view(o.type_key));
      put(out, o.rendering);
      std::optional<std::string> bytes =
          o.object && o.encode ? std::optional(o.encode(o.object.get())) : o.encoded;
      if (bytes) {
        out += 'E';
        put(out, *bytes);
      } else {
        out += 'N';
      }
    }
  }
}

Value ValueCodec::decode(std::string_view& in) { return decode_value(in, 0); }

namespace {

Value decode_value(std::string_view& in, std::size_t depth) {
  switch (take_tag(in)) {
    case 'u':
      return Value();
    case 'b':
      return Value(take(in) == "1");
    case 'i':
      return Value(take_number<std::int64_t>(in));
    case 'f': {
      std::string_view f = take(in);
      try {
        return Value(codec<double>::decode(f));
      } catch (const std::invalid_argument&) {
        throw Malformed("a number is malformed");
      }
    }
    case 's':
      return Value(std::string(take(in)));
    case 'a':
      return decode_array(in, depth);
    case 'o': {
      Opaque o;
      o.type_key = std::string(take(in));
      o.rendering = std::string(take(in));
      char has = take_tag(in);
      if (has == 'E')
        o.encoded = std::string(take(in));
      else if (has != 'N')
        throw Malformed("an object is malformed");
      return ValueCodec::opaque(std::move(o));
    }
    default:
      throw Malformed("a value has an unknown type");
  }
}

}  // namespace

Value ValueCodec::opaque(Opaque&& o) { return Value(std::move(o)); }

namespace {

TRAP_CHILD_PATH std::string_view encode_state(
    RoomString& buf, std::string_view leaveby, std::string_view die_type,
    std::span<const std::string> exceptions,
    std::span<const std::pair<std::string, Value>> values) {
  // The body after room for its header, which says its length: the header
  // is then put right before it, and the record is one piece.
  constexpr std::size_t kRoom = 32;
  buf.assign(kRoom, ' ');
  put(buf, leaveby);
  put(buf, die_type);
  put_number(buf, exceptions.size());
  for (auto& e : exceptions) put(buf, e);
  put_number(buf, values.size());
  for (auto& [name, value] : values) {
    put(buf, name);
    ValueCodec::encode_to(value, buf);
  }
  const std::size_t body = buf.size() - kRoom;
  char header[kRoom];
  char* end = header + kStateHeader.size();
  kStateHeader.copy(header, kStateHeader.size());
  *end++ = ' ';
  end = std::to_chars(end, header + kRoom - 1, body).ptr;
  *end++ = '\n';
  const auto length = static_cast<std::size_t>(end - header);
  std::copy(header, end, buf.data() + kRoom - length);
  return std::string_view(buf).substr(kRoom - length);
}

}  // namespace

TRAP_CHILD_PATH std::string_view encode_fork_state(
    RoomString& buf, std::string_view leaveby, std::string_view die_type,
    std::span<const std::string> exceptions,
    std::span<const std::pair<std::string, Value>> values) {
  return encode_state(buf, leaveby, die_type, exceptions, values);
}

std::string encode_fork_result(const ForkResult& r) {
  StringRoom heap{nullptr, 0};
  RoomString buf{RoomAllocator<char>(&heap)};
  return std::string(encode_state(buf, r.leaveby, r.die_type, r.exceptions, r.values));
}

ForkResult decode_fork_result(std::string_view bytes) {
  ForkResult r;
  try {
    while (!bytes.empty()) {
      Header h = take_header(bytes);
      const bool state = h.word == kStateHeader;
      if (!state && h.word != kSalvageHeader) throw Malformed("an unknown record");
      if (bytes.size() < h.length) {
        if (state)
          throw TrapError("fork layer: the child's result record is truncated (" +
                          std::to_string(bytes.size()) + " of " + std::to_string(h.length) +
                          " bytes)");
        h.length = bytes.size();  // a rescue cut short: keep what came
        r.rescue_cut_short = true;
      }
      std::string_view body = bytes.substr(0, h.length);
      bytes.remove_prefix(h.length);
      if (state)
        decode_state(body, r);
      else
        r.salvaged.emplace_back(std::string(h.name), std::string(body));
    }
  } catch (const CutShort&) {
    // A rescue cut short in the header of a capture (not one of a state
    // record, which comes after any rescue): what came before it.
    const std::string_view salvage(kSalvageHeader);
    const auto begins = [&](std::string_view word) {
      return bytes.substr(0, word.size()) == word.substr(0, bytes.size());
    };
    if (begins(salvage) && (!begins(kStateHeader) || !r.salvaged.empty())) {
      r.rescue_cut_short = true;
      return r;
    }
    throw TrapError("fork layer: the child's result record is truncated (" +
                    std::to_string(bytes.size()) + " bytes, the header incomplete)");
  } catch (const Malformed& e) {
    throw TrapError(std::string("fork layer: the child's result record is malformed: ") + e.what());
  }
  return r;
}

std::string encode_replay(const std::vector<ReplayedTrap>& traps) {
  std::string out;
  put_number(out, traps.size());
  for (auto& t : traps) {
    put(out, t.timed_out ? "T" : "-");
    put(out, t.record);
  }
  return out;
}

std::vector<ReplayedTrap> decode_replay(std::string_view bytes) {
  std::vector<ReplayedTrap> traps;
  try {
    auto n = take_number<std::size_t>(bytes);
    if (n > bytes.size()) throw Malformed("more traps than bytes");
    for (std::size_t i = 0; i < n; ++i) {
      std::string_view flag = take(bytes);
      if (flag != "T" && flag != "-") throw Malformed("a trap's flag is malformed");
      traps.push_back({flag == "T", std::string(take(bytes))});
    }
    if (!bytes.empty()) throw Malformed("bytes follow the last trap");
  } catch (const Malformed& e) {
    throw TrapError(std::string("fork(exec): the earlier traps' results handed to the re-run "
                                "are malformed: ") +
                    e.what());
  }
  return traps;
}

}  // namespace trap::detail
