// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx._core: the Python binding of libmctx-core (pybind11). The package
// mctx (python/mctx/) re-exports it with the exception classes and the
// asyncio front end. See docs/python.md.
//
// Model. Every publication lives in a core Context: a Context() made from
// Python, or a private one for a Publication(...) made on its own. A Python
// Publication is a handle (shared owner + publication id), so a handle never
// dangles: the owner stays alive while a handle refers to it, and a
// publication removed from its context makes its handles report
// publication_closed.
//
// Threads. Sends release the GIL around the system call and hold the
// owner's shared lock; add, remove and close take it exclusively, so
// another thread cannot close a socket under a running send. The lock is
// always released before the GIL is taken back.
//
// Buffers. send() and send_batch() read the caller's memory through the
// buffer protocol (PyBUF_SIMPLE: C-contiguous, read-only is fine) and hand
// those pointers to the core: no copy. The views are held, so the exporter
// (a bytearray, say) cannot be resized while the GIL is released.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <climits>
#include <cstdint>
#include <memory>
#include <atomic>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mctx/mctx.hpp"

namespace py = pybind11;

namespace {

// A publication's counters as a Snapshot, with its datagram overhead (IP
// and UDP headers of its family) and its outages.
mctx::Snapshot full_snapshot(const mctx::Publication& x) {
  mctx::Snapshot s = mctx::snapshot_of(
      x.metrics(), x.destination().address.family() == mctx::Family::ipv6 ? mctx::kIpv6UdpHeaderBytes
                                                                          : mctx::kIpv4UdpHeaderBytes);
  s.outages = x.outage().outages;
  return s;
}


using mctx::Errc;

// ---------------------------------------------------------------- errors

// Carries an mctx error to the translator below, which raises the class of
// mctx._errors that the code belongs to (ConfigError, WouldBlock, ...).
struct CoreError {
  Errc code;
  std::string message;
  int system_errno;
};

[[noreturn]] void raise(Errc code, std::string message, int system_errno = 0) {
  throw CoreError{code, std::move(message), system_errno};
}
[[noreturn]] void raise(const mctx::Error& e) { raise(e.code, e.what(), e.system_errno); }
[[noreturn]] void raise(const mctx::SendError& e) {
  raise(e.code, e.message(), e.system_errno);
}

// mctx._errors._from_core(code, message, errno) -> an exception instance.
// Looked up once; the reference is never released, so nothing is freed
// after the interpreter has gone.
py::handle error_factory() {
  static py::handle factory =
      py::object(py::module_::import("mctx._errors").attr("_from_core")).release();
  return factory;
}

py::object error_object(Errc code, const std::string& message, int system_errno) {
  return error_factory()(static_cast<int>(code), message, system_errno);
}

py::object error_object(const mctx::SendError& e) {
  return error_object(e.code, e.message(), e.system_errno);
}

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const CoreError& e) {
    try {
      py::object exc = error_object(e.code, e.message, e.system_errno);
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    } catch (py::error_already_set& inner) {
      inner.restore();
    }
  }
}

// ------------------------------------------------------------ conversions

py::tuple endpoint_tuple(const mctx::Endpoint& e) {
  return py::make_tuple(e.address.to_string(), e.port);
}

std::string type_name(py::handle h) { return Py_TYPE(h.ptr())->tp_name; }

// An int keyword in [min, max]; out of range -> `code` with `rule`.
long long int_arg(const char* name, py::handle value, long long min, long long max, Errc code,
                  const char* rule) {
  if (!PyLong_Check(value.ptr()) || PyBool_Check(value.ptr())) {
    throw py::type_error(std::string(name) + " must be an int, not " + type_name(value));
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow != 0 || v < min || v > max) {
    raise(code, std::string(name) + " " + py::str(value).cast<std::string>() +
                    " is out of range: " + rule);
  }
  return v;
}

// A str keyword as text. An embedded NUL is refused (with `code`): the
// text past it would be cut off where the system reads C strings.
std::string str_arg(const char* name, py::handle value, Errc code) {
  if (!PyUnicode_Check(value.ptr())) {
    throw py::type_error(std::string(name) + " must be a str, not " + type_name(value));
  }
  std::string text = value.cast<std::string>();
  if (text.find('\0') != std::string::npos) {
    raise(code, std::string(name) + " " + py::repr(value).cast<std::string>() +
                    " contains a NUL character ('\\x00'): text arguments must not contain one");
  }
  return text;
}

// Parse errors name the keyword, as the CLI names its option.
mctx::IpAddress address_arg(const char* name, py::handle value) {
  auto a = mctx::IpAddress::parse(str_arg(name, value, Errc::invalid_address));
  if (!a) raise(a.error().code, std::string(name) + ": " + a.error().what());
  return *a;
}

constexpr const char* kPortRule = "a UDP port is 0..65535";

// The keyword arguments of Publication() and Context.add().
struct PublicationArgs {
  py::object group, port, source, source_port, interface, bind, ttl, loopback, dscp,
      send_buffer_size;
};

constexpr const char* kPublicationKeywords =
    "group, port, source, source_port, interface, bind, ttl, loopback, dscp, send_buffer_size";

PublicationArgs publication_args(const char* what, const py::args& args, const py::kwargs& kw) {
  if (!args.empty()) {
    throw py::type_error(std::string(what) + " takes keyword arguments only (" +
                         kPublicationKeywords + ")");
  }
  PublicationArgs a{py::none(), py::none(), py::none(), py::none(), py::none(),
                    py::none(), py::int_(mctx::kDefaultTtl), py::bool_(mctx::kDefaultLoopback),
                    py::none(), py::none()};
  std::pair<const char*, py::object*> slots[] = {
      {"group", &a.group}, {"port", &a.port}, {"source", &a.source},
      {"source_port", &a.source_port}, {"interface", &a.interface}, {"bind", &a.bind},
      {"ttl", &a.ttl}, {"loopback", &a.loopback}, {"dscp", &a.dscp},
      {"send_buffer_size", &a.send_buffer_size}};
  for (auto [key, value] : kw) {
    const std::string name = py::str(key);
    bool known = false;
    for (auto& [slot_name, slot] : slots) {
      if (name == slot_name) {
        *slot = py::reinterpret_borrow<py::object>(value);
        known = true;
      }
    }
    if (!known) {
      throw py::type_error(std::string(what) + " got an unknown keyword argument '" + name +
                           "' (known: " + kPublicationKeywords + ")");
    }
  }
  for (const char* required : {"group", "port"}) {
    if (!kw.contains(required)) {
      throw py::type_error(std::string(what) + " needs the keyword argument '" + required + "'");
    }
  }
  return a;
}

// Keyword arguments -> PublicationConfig. Types and syntax are checked
// here; every rule of the configuration is PublicationConfig::validate()'s,
// which Publication::open runs.
mctx::PublicationConfig make_config(const PublicationArgs& a) {
  mctx::PublicationConfig c;
  c.with_group(address_arg("group", a.group));
  c.with_port(static_cast<uint16_t>(
      int_arg("port", a.port, 0, 65535, Errc::invalid_endpoint, kPortRule)));
  if (!a.source.is_none()) c.with_source_address(address_arg("source", a.source));
  if (!a.source_port.is_none()) {
    c.with_source_port(static_cast<uint16_t>(
        int_arg("source_port", a.source_port, 0, 65535, Errc::invalid_endpoint, kPortRule)));
  }
  if (!a.interface.is_none()) {
    if (PyLong_Check(a.interface.ptr()) && !PyBool_Check(a.interface.ptr())) {
      c.with_interface(mctx::InterfaceSpec::index(static_cast<uint32_t>(
          int_arg("interface", a.interface, 0, UINT32_MAX, Errc::invalid_interface,
                  "an interface index is 1..4294967295"))));
    } else if (PyUnicode_Check(a.interface.ptr())) {
      auto i =
          mctx::InterfaceSpec::parse(str_arg("interface", a.interface, Errc::invalid_interface));
      if (!i) raise(i.error().code, "interface: " + i.error().what());
      c.with_interface(*i);
    } else {
      throw py::type_error("interface must be a str (address or name) or an int (index), not " +
                           type_name(a.interface));
    }
  }
  if (!a.bind.is_none()) {
    if (PyUnicode_Check(a.bind.ptr())) {
      auto e = mctx::Endpoint::parse(str_arg("bind", a.bind, Errc::invalid_endpoint));
      if (!e) raise(e.error().code, "bind: " + e.error().what());
      c.with_bind(*e);
    } else if (PyTuple_Check(a.bind.ptr()) && PyTuple_GET_SIZE(a.bind.ptr()) == 2) {
      py::tuple t = py::reinterpret_borrow<py::tuple>(a.bind);
      mctx::Endpoint e;
      e.address = address_arg("bind address", t[0]);
      e.port = static_cast<uint16_t>(
          int_arg("bind port", t[1], 0, 65535, Errc::invalid_endpoint, kPortRule));
      c.with_bind(e);
    } else {
      throw py::type_error("bind must be a str 'ADDRESS:PORT' or a tuple (address, port), not " +
                           type_name(a.bind));
    }
  }
  c.with_ttl(static_cast<int>(
      int_arg("ttl", a.ttl, INT_MIN, INT_MAX, Errc::invalid_ttl, "a TTL / hop limit is 0..255")));
  if (!PyBool_Check(a.loopback.ptr())) {
    throw py::type_error("loopback must be a bool, not " + type_name(a.loopback));
  }
  c.with_loopback(a.loopback.ptr() == Py_True);
  if (!a.dscp.is_none()) {
    c.with_dscp(static_cast<int>(
        int_arg("dscp", a.dscp, INT_MIN, INT_MAX, Errc::invalid_dscp, "DSCP is 0..63")));
  }
  if (!a.send_buffer_size.is_none()) {
    c.with_send_buffer_size(static_cast<int>(int_arg("send_buffer_size", a.send_buffer_size,
                                                     INT_MIN, INT_MAX,
                                                     Errc::invalid_send_buffer_size,
                                                     "a send buffer size is 1..2147483647")));
  }
  return c;
}

// ---------------------------------------------------------------- buffers

// A read-only, C-contiguous view of a bytes-like object, released with the
// GIL held (the destructor runs where it was made).
class View {
 public:
  View() = default;
  View(const View&) = delete;
  View& operator=(const View&) = delete;
  View(View&& o) noexcept : buf_(o.buf_), held_(std::exchange(o.held_, false)) {}
  ~View() { release(); }

  // False (with a Python error set) if obj does not export a simple buffer.
  bool acquire(py::handle obj) {
    release();
    if (PyObject_GetBuffer(obj.ptr(), &buf_, PyBUF_SIMPLE) != 0) return false;
    held_ = true;
    return true;
  }
  void release() {
    if (held_) PyBuffer_Release(&buf_);
    held_ = false;
  }
  std::span<const std::byte> bytes() const {
    return {static_cast<const std::byte*>(buf_.buf), static_cast<std::size_t>(buf_.len)};
  }
  iovec iov() const { return {buf_.buf, static_cast<std::size_t>(buf_.len)}; }

 private:
  Py_buffer buf_{};
  bool held_ = false;
};

View view_of(py::handle data, const char* what) {
  View v;
  if (!v.acquire(data)) {
    // Keep CPython's reason ("memoryview: underlying buffer is not
    // C-contiguous", "a bytes-like object is required, not 'str'").
    py::error_already_set err;
    throw py::type_error(std::string(what) + ": " + py::str(err.value()).cast<std::string>());
  }
  return v;
}

// Scratch arrays of send_batch(), grown per thread and reused, so they are
// not allocated again for every batch. A nested call on the same thread
// (a generator of datagrams that sends itself) uses arrays of its own.
struct BatchScratch {
  std::vector<View> views;
  std::vector<iovec> iov;
  std::vector<std::size_t> first;  // per datagram: index of its first iovec
  std::vector<mctx::OutMessage> msgs;
  bool busy = false;

  void clear() {
    views.clear();  // releases the buffers (GIL held)
    iov.clear();
    first.clear();
    msgs.clear();
  }
};

class ScratchLease {
 public:
  ScratchLease() {
    thread_local BatchScratch tls;
    s_ = tls.busy ? &own_ : &tls;
    s_->busy = true;
  }
  ~ScratchLease() {
    s_->clear();
    s_->busy = false;
  }
  BatchScratch& operator*() { return *s_; }
  BatchScratch* operator->() { return s_; }

 private:
  BatchScratch own_;
  BatchScratch* s_;
};

// datagrams: an iterable of bytes-like objects, or of lists/tuples of
// bytes-like objects (one datagram gathered from several buffers).
void fill_batch(BatchScratch& s, py::handle datagrams) {
  py::object seq = py::reinterpret_steal<py::object>(
      PySequence_Fast(datagrams.ptr(), "send_batch: datagrams must be an iterable"));
  if (!seq) throw py::error_already_set();
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  for (Py_ssize_t i = 0; i < n; ++i) {
    py::handle item = items[i];
    s.first.push_back(s.iov.size());
    if (PyObject_CheckBuffer(item.ptr())) {
      s.views.push_back(view_of(item, "send_batch"));
      s.iov.push_back(s.views.back().iov());
    } else if (PyList_Check(item.ptr()) || PyTuple_Check(item.ptr())) {
      py::sequence parts = py::reinterpret_borrow<py::sequence>(item);
      for (py::handle part : parts) {
        s.views.push_back(view_of(part, "send_batch"));
        s.iov.push_back(s.views.back().iov());
      }
    } else {
      throw py::type_error("send_batch: datagram " + std::to_string(i) + " is " +
                           type_name(item) +
                           ", not a bytes-like object or a list/tuple of them");
    }
  }
  for (std::size_t d = 0; d < s.first.size(); ++d) {
    const std::size_t end = d + 1 < s.first.size() ? s.first[d + 1] : s.iov.size();
    s.msgs.push_back({s.iov.data() + s.first[d], end - s.first[d]});
  }
}

// ----------------------------------------------------------------- owners

// What every handle of one publication shares (touched with the GIL held
// only): the callbacks to run just before it is closed, so that a wait for
// its descriptor ends (mctx.aio), and its metrics when it was closed.
struct PublicationShared {
  std::vector<py::object> on_close;
  bool closing = false;
  std::optional<mctx::Snapshot> final_metrics;
};
using SharedPtr = std::shared_ptr<PublicationShared>;

// A core Context and the lock that orders sends against add/remove.
struct Owner {
  std::shared_mutex mu;
  mctx::Context ctx;
  // The shared state of every open publication that has a handle (GIL held).
  std::unordered_map<mctx::PublicationId, SharedPtr> open;

  SharedPtr shared_of(mctx::PublicationId id) {
    SharedPtr& p = open[id];
    if (!p) p = std::make_shared<PublicationShared>();
    return p;
  }
};
using OwnerPtr = std::shared_ptr<Owner>;

// Runs f(ctx) without the GIL, under the owner's lock (shared for sends and
// reads, exclusive for changes). The lock is released before the GIL is
// taken back.
template <class Lock, class F>
auto with_owner(Owner& o, F&& f) {
  py::gil_scoped_release nogil;
  Lock lock(o.mu);
  return f(o.ctx);
}
template <class F>
auto shared(Owner& o, F&& f) {
  return with_owner<std::shared_lock<std::shared_mutex>>(o, std::forward<F>(f));
}
template <class F>
auto exclusive(Owner& o, F&& f) {
  return with_owner<std::unique_lock<std::shared_mutex>>(o, std::forward<F>(f));
}

// ---------------------------------------------------------------- reports

// A SendReport with its publication's addresses copied (the core's report
// points into the publication, which Python may close before reading it).
// Made while the owner's lock is held.
struct BoundSendReport {
  mctx::PublicationId publication_id = 0;
  std::size_t bytes_sent = 0;
  mctx::FlowEndpoints flow;
};

mctx::Result<BoundSendReport, mctx::SendError> bound_report(
    const mctx::Result<mctx::SendReport, mctx::SendError>& r) {
  if (!r) return mctx::unexpected(r.error());
  return BoundSendReport{r->publication_id, r->bytes_sent, *r->flow};
}

struct BoundBatchReport {
  mctx::PublicationId publication_id = 0;
  std::size_t sent = 0;
  std::size_t bytes = 0;
  py::object error = py::none();  // an mctx.SendError instance, not raised
};

BoundBatchReport batch_report(const mctx::BatchReport& r) {
  BoundBatchReport out{r.publication_id, r.sent, r.bytes_sent, py::none()};
  if (r.error) out.error = error_object(*r.error);
  return out;
}

struct BoundSendAllReport {
  mctx::SendAllReport r;
};

// ---------------------------------------------------------------- metrics

double steady_seconds(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// The send counters by their Python names: attributes of Snapshot and Delta
// (def_counters) and keys of their to_dict() (counters_dict), in this order.
constexpr std::pair<const char*, uint64_t mctx::SendCounters::*> kSendCounters[] = {
    {"send_calls", &mctx::SendCounters::send_calls},
    {"packets_sent", &mctx::SendCounters::packets_sent},
    {"bytes_sent", &mctx::SendCounters::bytes_sent},
    {"send_errors", &mctx::SendCounters::send_errors},
    {"would_block", &mctx::SendCounters::would_block},
    {"queue_full", &mctx::SendCounters::queue_full},
    {"unreachable", &mctx::SendCounters::unreachable},
    {"gso_sends", &mctx::SendCounters::gso_sends},
};

py::dict counters_dict(const mctx::SendCounters& c, py::dict d) {
  for (const auto& [name, member] : kSendCounters) d[name] = c.*member;
  return d;
}

py::dict snapshot_dict(const mctx::Snapshot& s) {
  py::dict d;
  d["wall_time"] = mctx::unix_seconds(s.wall_time);
  d["monotonic_time"] = steady_seconds(s.monotonic_time);
  d["active_publications"] = s.active_publications;
  d["publications_added"] = s.publications_added;
  d["publications_removed"] = s.publications_removed;
  d["outages"] = s.outages;
  d["datagram_overhead"] = s.datagram_overhead;
  return counters_dict(s.send, d);
}

py::dict delta_dict(const mctx::Delta& x) {
  py::dict d;
  d["interval"] = std::chrono::duration<double>(x.interval).count();
  d["publications_added"] = x.publications_added;
  d["publications_removed"] = x.publications_removed;
  counters_dict(x.send, d);
  d["send_calls_per_sec"] = x.send_calls_per_sec;
  d["packets_per_sec"] = x.packets_per_sec;
  d["bytes_per_sec"] = x.bytes_per_sec;
  d["send_errors_per_sec"] = x.send_errors_per_sec;
  d["outages"] = x.outages;
  d["payload_bits_per_sec"] = x.payload_bits_per_sec;
  d["ip_bits_per_sec"] = x.ip_bits_per_sec;
  return d;
}

// Binds the send counters of a class whose counters are at .send.
template <class C>
void def_counters(py::class_<C>& cls) {
  for (const auto& counter : kSendCounters) {
    const auto member = counter.second;  // a lambda captures no structured binding before clang 16
    cls.def_property_readonly(counter.first, [member](const C& x) { return x.send.*member; });
  }
}

// ------------------------------------------------------------ publication

// collections.namedtuple AnnounceTuple, made at import and kept for the life
// of the process (a static py::object would be released after the
// interpreter is gone).
py::handle announce_tuple_class;

// Closes publication `id` of `o` (GIL held): runs its close callbacks while
// the descriptor is still open, keeps its final metrics for the handles,
// removes it. False if it was not there.
bool close_publication(Owner& o, mctx::PublicationId id) {
  SharedPtr sh;
  if (auto it = o.open.find(id); it != o.open.end()) sh = it->second;
  if (sh) {
    sh->closing = true;
    std::vector<py::object> calls = std::move(sh->on_close);
    sh->on_close.clear();
    for (py::object& f : calls) {
      try {
        f();
      } catch (py::error_already_set& e) {
        e.discard_as_unraisable("mctx.Publication.close");
      }
    }
  }
  std::optional<mctx::Snapshot> last;
  const bool removed = exclusive(o, [&](mctx::Context& c) {
    if (const mctx::Publication* p = c.get(id); p != nullptr && p->fd() >= 0) {
      last = full_snapshot(*p);
    }
    return c.remove(id);
  });
  if (sh) {
    if (last) sh->final_metrics = last;
    sh->closing = false;
    o.open.erase(id);
  }
  return removed;
}

class BoundPublication {
 public:
  BoundPublication(OwnerPtr owner, mctx::PublicationId id)
      : owner_(std::move(owner)), id_(id), shared_(owner_->shared_of(id)) {}

  // A publication of its own (a private context).
  static BoundPublication open(const PublicationArgs& args) {
    const mctx::PublicationConfig config = make_config(args);
    auto owner = std::make_shared<Owner>();
    auto id = exclusive(*owner, [&](mctx::Context& c) { return c.add(config); });
    if (!id) raise(id.error());
    return BoundPublication(std::move(owner), *id);
  }

  mctx::PublicationId id() const { return id_; }
  const OwnerPtr& owner() const { return owner_; }

  // Runs f(const Publication&) under the shared lock (GIL released);
  // publication_closed if the publication is gone.
  template <class F>
  auto read(F&& f) const {
    using R = decltype(f(std::declval<const mctx::Publication&>()));
    std::optional<R> out = shared(*owner_, [&](mctx::Context& c) -> std::optional<R> {
      const mctx::Publication* p = c.get(id_);
      if (p == nullptr || p->fd() < 0) return std::nullopt;
      return f(*p);
    });
    if (!out) raise_closed();
    return std::move(*out);
  }

  bool closed() const {
    return shared(*owner_, [&](mctx::Context& c) {
      const mctx::Publication* p = c.get(id_);
      return p == nullptr || p->fd() < 0;
    });
  }

  BoundSendReport send(py::handle data) {
    View v = view_of(data, "send");
    auto r = shared(*owner_, [&](mctx::Context& c) { return bound_report(c.send(id_, v.bytes())); });
    if (!r) {
      if (r.error().code == Errc::publication_not_found) raise_closed();
      raise(r.error());
    }
    return *r;
  }

  BoundBatchReport send_batch(py::handle datagrams) {
    ScratchLease s;
    fill_batch(*s, datagrams);
    const std::span<const mctx::OutMessage> msgs(s->msgs);
    auto r = shared(*owner_, [&](mctx::Context& c) { return c.send_batch(id_, msgs); });
    if (r.error && r.error->code == Errc::publication_not_found) {
      r.error = mctx::SendError{Errc::publication_closed, 0};
    }
    return batch_report(r);
  }

  void close() { close_publication(*owner_, id_); }

  // The metrics, or those it had when it was closed.
  mctx::Snapshot metrics() const {
    if (shared_->final_metrics) return *shared_->final_metrics;
    return read([](const mctx::Publication& x) { return full_snapshot(x); });
  }

  // Runs `callback()` (GIL held, on the closing thread) just before the
  // publication is closed. PublicationClosed if it is closed or closing.
  void on_close(py::object callback) {
    if (shared_->closing || closed()) raise_closed();
    shared_->on_close.push_back(std::move(callback));
  }
  void cancel_on_close(py::handle callback) {
    auto& v = shared_->on_close;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it->is(callback)) {
        v.erase(it);
        return;
      }
    }
  }

  std::string repr() const {
    auto text = shared(*owner_, [&](mctx::Context& c) -> std::string {
      const mctx::Publication* p = c.get(id_);
      if (p == nullptr || p->fd() < 0) return "closed";
      return p->destination().to_string() + " from " + p->local().to_string();
    });
    return "<mctx.Publication " + std::to_string(id_) + " " + text + ">";
  }

 private:
  [[noreturn]] void raise_closed() const {
    raise(Errc::publication_closed,
          "publication " + std::to_string(id_) + " is closed (closed, or removed from its context)");
  }

  OwnerPtr owner_;
  mctx::PublicationId id_;
  SharedPtr shared_;
};

class BoundContext {
 public:
  BoundContext() : owner_(std::make_shared<Owner>()) {}

  BoundPublication add(const PublicationArgs& args) {
    const mctx::PublicationConfig config = make_config(args);
    auto id = exclusive(*owner_, [&](mctx::Context& c) { return c.add(config); });
    if (!id) raise(id.error());
    return BoundPublication(owner_, *id);
  }

  // A handle of this context, or an id.
  mctx::PublicationId id_of(py::handle pub) const {
    if (py::isinstance<BoundPublication>(pub)) {
      const auto& p = pub.cast<const BoundPublication&>();
      if (p.owner() != owner_) {
        raise(Errc::publication_not_found,
              "publication " + std::to_string(p.id()) + " does not belong to this context");
      }
      return p.id();
    }
    if (PyLong_Check(pub.ptr()) && !PyBool_Check(pub.ptr())) return pub.cast<uint64_t>();
    throw py::type_error("publication must be an mctx.Publication or an id (int), not " +
                         type_name(pub));
  }

  bool remove(py::handle pub) { return close_publication(*owner_, id_of(pub)); }

  std::optional<BoundPublication> get(uint64_t id) const {
    const bool found =
        shared(*owner_, [&](mctx::Context& c) { return c.get(id) != nullptr; });
    if (!found) return std::nullopt;
    return BoundPublication(owner_, id);
  }

  std::vector<BoundPublication> publications() const {
    auto ids = shared(*owner_, [&](mctx::Context& c) {
      std::vector<mctx::PublicationId> out;
      c.for_each([&](mctx::Publication& p) { out.push_back(p.id()); });
      return out;
    });
    std::vector<BoundPublication> out;
    out.reserve(ids.size());
    for (auto id : ids) out.emplace_back(owner_, id);
    return out;
  }

  std::size_t size() const {
    return shared(*owner_, [&](mctx::Context& c) { return c.size(); });
  }

  BoundSendReport send(py::handle pub, py::handle data) {
    const mctx::PublicationId id = id_of(pub);
    View v = view_of(data, "send");
    auto r = shared(*owner_, [&](mctx::Context& c) { return bound_report(c.send(id, v.bytes())); });
    if (!r) {
      if (r.error().code == Errc::publication_not_found) {
        raise(Errc::publication_not_found,
              "publication " + std::to_string(id) + " is not in this context");
      }
      raise(r.error());
    }
    return *r;
  }

  BoundSendAllReport send_all(py::handle data) {
    View v = view_of(data, "send_all");
    return BoundSendAllReport{
        shared(*owner_, [&](mctx::Context& c) { return c.send_all(v.bytes()); })};
  }

  mctx::Snapshot snapshot() const {
    return shared(*owner_, [&](mctx::Context& c) { return c.snapshot(); });
  }

  const OwnerPtr& owner() const { return owner_; }

 private:
  OwnerPtr owner_;
};

// ------------------------------------------------------------ metrics file

// Python's MetricsFile: the rows of docs/metrics-file.md for a Context, a
// Publication or a list of Publications, through the core's JsonlRecorder
// (the writer of mctx-send and mctxsink). write() samples and appends one
// interval; close() appends the final one, syncs and closes.
class BoundMetricsFile {
 public:
  BoundMetricsFile(py::handle path, py::handle source, py::handle node_id, py::handle flags) {
    if (py::isinstance<BoundContext>(source)) {
      context_ = source.cast<BoundContext>();
    } else if (py::isinstance<BoundPublication>(source)) {
      publications_.push_back(source.cast<BoundPublication>());
    } else if (PyList_Check(source.ptr()) || PyTuple_Check(source.ptr())) {
      for (py::handle p : source) {
        if (!py::isinstance<BoundPublication>(p)) {
          throw py::type_error("MetricsFile: publications must hold mctx.Publication objects, "
                               "not " + type_name(p));
        }
        publications_.push_back(p.cast<BoundPublication>());
      }
    } else {
      throw py::type_error("MetricsFile: publications must be an mctx.Context, an "
                           "mctx.Publication or a list of them, not " + type_name(source));
    }
    // A path: str or os.PathLike (as open() takes it).
    py::object fspath = py::module_::import("os").attr("fspath")(path);
    const std::string file = str_arg("path", fspath, Errc::metrics_invalid_value);
    mctx::JsonlHeader h;
    h.node_id = mctx::infer_node_id(
        file, node_id.is_none() ? std::string()
                                : str_arg("node_id", node_id, Errc::metrics_invalid_value));
    h.producer = kProducer;
    h.flags.set("role", "sender").set("transport", "udp-multicast");
    if (!flags.is_none()) {
      if (!PyDict_Check(flags.ptr())) {
        throw py::type_error("flags must be a dict, not " + type_name(flags));
      }
      const std::string text =
          py::module_::import("json").attr("dumps")(flags).cast<std::string>();
      auto extra = mctx::JsonlFlags::parse(text, "flags");
      if (!extra) raise(extra.error());
      h.flags.merge_missing(*extra);  // the built-in flags win
    }
    auto w = [&] {
      py::gil_scoped_release nogil;
      return mctx::JsonlWriter::open(file, h);
    }();
    if (!w) raise(w.error());
    path_ = w->path();
    const std::string repaired = w->repaired();
    recorder_.emplace(std::move(w.value()));
    if (!repaired.empty()) {  // an incomplete last row was cut off: say so
      const std::string text = "metrics file '" + path_ + "': " + repaired;
      if (PyErr_WarnEx(PyExc_RuntimeWarning, text.c_str(), 1) < 0) throw py::error_already_set();
    }
  }

  // One interval; raises on a failed write (that interval's rows are lost,
  // the next write() goes on).
  void write() {
    const Sampled now = sample();
    bool open = false;
    mctx::Res<void> r;
    {
      // The GIL is let go before the lock is taken, never while it is held:
      // a thread holding the GIL may be waiting for the lock.
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lk(mutex_);
      open = recorder_.has_value();
      if (open) r = recorder_->record(now.totals, now.rows);
    }
    if (!open) raise(Errc::metrics_io_failed, "metrics file '" + path_ + "' is closed");
    if (!r) raise(r.error());
  }

  // The final interval, fdatasync, close; a second close() does nothing.
  void close() {
    if (closed()) return;
    const Sampled now = sample();
    mctx::Res<void> r;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lk(mutex_);
      if (!recorder_) return;
      auto written = recorder_->record(now.totals, now.rows);
      auto synced = recorder_->writer().sync();
      recorder_.reset();  // closed and unlocked whatever happened
      closed_.store(true);
      r = written ? synced : written;
    }
    if (!r) raise(r.error());
  }

  bool closed() const { return closed_.load(); }
  const std::string& path() const { return path_; }

  static constexpr const char* kProducer = "mctx/python";

 private:
  struct Sampled {
    mctx::Snapshot totals;
    std::vector<mctx::DestinationSnapshot> rows;
  };

  // The totals and a row per open publication, at one instant (GIL held).
  Sampled sample() {
    Sampled out;
    mctx::Snapshot& totals = out.totals;
    auto& rows = out.rows;
    auto row_of = [](std::string key, const mctx::Publication& p) {
      return mctx::DestinationSnapshot{std::move(key), p.destination().to_string(),
                                       full_snapshot(p)};
    };
    if (context_) {
      shared(*context_->owner(), [&](mctx::Context& c) {
        totals = c.snapshot();
        c.for_each([&](mctx::Publication& p) {
          if (p.fd() >= 0) rows.push_back(row_of(std::to_string(p.id()), p));
        });
        return 0;
      });
    } else {
      totals.publications_added = publications_.size();
      for (std::size_t i = 0; i < publications_.size(); ++i) {
        const BoundPublication& b = publications_[i];
        std::optional<mctx::DestinationSnapshot> row;
        try {
          row = b.read([&](const mctx::Publication& p) { return row_of(std::to_string(i), p); });
        } catch (const CoreError&) {
          // closed: its counters as they were at close
        }
        if (row) {
          totals.active_publications++;
          totals.send += row->snapshot.send;
          rows.push_back(std::move(*row));
          continue;
        }
        totals.publications_removed++;
        try {
          const mctx::Snapshot last = b.metrics();
          totals.send += last.send;
          totals.outages += last.outages;
        } catch (const CoreError&) {
          // removed without its counters kept: nothing to add
        }
      }
    }
    // One instant for every row; the totals' overhead is the destinations'
    // (the IPv4 one when both families are there).
    const auto wall = std::chrono::system_clock::now();
    const auto mono = std::chrono::steady_clock::now();
    totals.wall_time = wall;
    totals.monotonic_time = mono;
    for (auto& r : rows) {
      r.snapshot.wall_time = wall;
      r.snapshot.monotonic_time = mono;
      totals.outages += r.snapshot.outages;
      overhead_ = mctx::combined_datagram_overhead(overhead_, r.snapshot.datagram_overhead);
    }
    totals.datagram_overhead = overhead_;
    return out;
  }

  std::optional<BoundContext> context_;
  std::vector<BoundPublication> publications_;
  std::string path_;
  uint32_t overhead_ = 0;  // GIL held
  std::mutex mutex_;  // guards recorder_; taken only without the GIL
  std::optional<mctx::JsonlRecorder> recorder_;
  std::atomic<bool> closed_{false};
};

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "libmctx-core bindings; import the package mctx, not this module.";
  m.attr("__version__") = mctx::version();
  py::register_exception_translator(translate);

  // name -> value of every code, for mctx.Errc.
  m.def("_errc_table", [] {
    py::list out;
    for (int v = 0; v < 256; ++v) {
      const char* name = mctx::errc_name(static_cast<Errc>(v));
      if (std::string_view(name) != "unknown") out.append(py::make_tuple(name, v));
    }
    return out;
  });

  announce_tuple_class = py::module_::import("collections")
                             .attr("namedtuple")("AnnounceTuple", "source group port",
                                                 py::arg("module") = "mctx")
                             .release();
  m.attr("AnnounceTuple") = announce_tuple_class;

  py::class_<BoundSendReport>(m, "SendReport", "What one successful send did.")
      .def_property_readonly("publication_id", [](const BoundSendReport& x) { return x.publication_id; })
      .def_property_readonly(
          "source", [](const BoundSendReport& x) { return x.flow.source.to_string(); },
          "source address on the wire (str)")
      .def_property_readonly(
          "destination", [](const BoundSendReport& x) { return endpoint_tuple(x.flow.destination); },
          "(group, port)")
      .def_property_readonly(
          "local", [](const BoundSendReport& x) { return endpoint_tuple(x.flow.local); },
          "(address, port) the socket is bound to")
      .def_property_readonly("bytes", [](const BoundSendReport& x) { return x.bytes_sent; },
                             "payload bytes the kernel accepted")
      .def("__repr__", [](const BoundSendReport& x) {
        return "<mctx.SendReport " + std::to_string(x.bytes_sent) + " bytes " +
               x.flow.source.to_string() + " -> " + x.flow.destination.to_string() + ">";
      });

  py::class_<BoundBatchReport>(m, "BatchReport",
                            "What one send_batch() did: `sent` datagrams from the front went "
                            "out; `error` (an mctx.SendError, not raised) says why the next did "
                            "not.")
      .def(py::init([](uint64_t publication_id, std::size_t sent, std::size_t bytes,
                       py::object error) {
             return BoundBatchReport{publication_id, sent, bytes, std::move(error)};
           }),
           py::arg("publication_id"), py::arg("sent"), py::arg("bytes"),
           py::arg("error") = py::none())
      .def_readonly("publication_id", &BoundBatchReport::publication_id)
      .def_readonly("sent", &BoundBatchReport::sent)
      .def_readonly("bytes", &BoundBatchReport::bytes)
      .def_readonly("error", &BoundBatchReport::error)
      .def("__repr__", [](const BoundBatchReport& x) {
        return "<mctx.BatchReport sent " + std::to_string(x.sent) + ", " +
               std::to_string(x.bytes) + " bytes" +
               (x.error.is_none() ? std::string()
                                  : ", error " + py::repr(x.error).cast<std::string>()) +
               ">";
      });

  py::class_<BoundSendAllReport>(m, "SendAllReport", "What Context.send_all() did.")
      .def_property_readonly("attempted", [](const BoundSendAllReport& x) { return x.r.attempted; })
      .def_property_readonly("succeeded", [](const BoundSendAllReport& x) { return x.r.succeeded; })
      .def_property_readonly("bytes", [](const BoundSendAllReport& x) { return x.r.bytes_sent; })
      .def_property_readonly("first_failed_id",
                             [](const BoundSendAllReport& x) -> py::object {
                               if (!x.r.first_failed_id) return py::none();
                               return py::int_(*x.r.first_failed_id);
                             })
      .def_property_readonly("first_error", [](const BoundSendAllReport& x) -> py::object {
        if (!x.r.first_error) return py::none();
        return error_object(*x.r.first_error);
      });

  py::class_<mctx::Snapshot> snapshot(
      m, "Snapshot",
      "Counters at one instant (cumulative). end - start is a Delta with rates.");
  snapshot
      .def_property_readonly(
          "wall_time", [](const mctx::Snapshot& s) { return mctx::unix_seconds(s.wall_time); },
          "seconds since the Unix epoch")
      .def_property_readonly(
          "monotonic_time",
          [](const mctx::Snapshot& s) { return steady_seconds(s.monotonic_time); },
          "seconds of the monotonic clock (for intervals)")
      .def_readonly("active_publications", &mctx::Snapshot::active_publications)
      .def_readonly("publications_added", &mctx::Snapshot::publications_added)
      .def_readonly("publications_removed", &mctx::Snapshot::publications_removed)
      .def_readwrite("outages", &mctx::Snapshot::outages,
                     "outages that began (0 in Context.snapshot(); set it to count them)")
      .def_readwrite("datagram_overhead", &mctx::Snapshot::datagram_overhead,
                     "IP+UDP header bytes per datagram for ip_bits_per_sec (28 IPv4, 48 "
                     "IPv6; set by Publication.metrics(), 0 in Context.snapshot())");
  def_counters(snapshot);
  snapshot.def("to_dict", &snapshot_dict)
      .def("__sub__", [](const mctx::Snapshot& end,
                         const mctx::Snapshot& start) { return mctx::make_delta(start, end); })
      .def("__repr__", [](const mctx::Snapshot& s) {
        return "<mctx.Snapshot " + py::repr(snapshot_dict(s)).cast<std::string>() + ">";
      });

  py::class_<mctx::Delta> delta(m, "Delta",
                                "The change between two snapshots, with rates per second.");
  delta
      .def_property_readonly(
          "interval",
          [](const mctx::Delta& d) { return std::chrono::duration<double>(d.interval).count(); },
          "seconds (monotonic)")
      .def_readonly("start", &mctx::Delta::start)
      .def_readonly("end", &mctx::Delta::end)
      .def_readonly("publications_added", &mctx::Delta::publications_added)
      .def_readonly("publications_removed", &mctx::Delta::publications_removed)
      .def_readonly("send_calls_per_sec", &mctx::Delta::send_calls_per_sec)
      .def_readonly("packets_per_sec", &mctx::Delta::packets_per_sec)
      .def_readonly("bytes_per_sec", &mctx::Delta::bytes_per_sec)
      .def_readonly("send_errors_per_sec", &mctx::Delta::send_errors_per_sec)
      .def_readonly("outages", &mctx::Delta::outages)
      .def_readonly("payload_bits_per_sec", &mctx::Delta::payload_bits_per_sec,
                    "bytes_per_sec * 8 (bit/s)")
      .def_readonly("ip_bits_per_sec", &mctx::Delta::ip_bits_per_sec,
                    "bit/s at the IP level: payload plus end.datagram_overhead per datagram");
  def_counters(delta);
  delta.def("to_dict", &delta_dict).def("__repr__", [](const mctx::Delta& d) {
    return "<mctx.Delta " + py::repr(delta_dict(d)).cast<std::string>() + ">";
  });

  py::class_<BoundPublication>(m, "Publication",
                            "One multicast publication: a non-blocking UDP socket connected to "
                            "the group. Publication(group=..., port=..., ...) opens one of its "
                            "own; Context.add(...) opens one that the context holds.")
      .def(py::init([](const py::args& args, const py::kwargs& kw) {
             return BoundPublication::open(publication_args("Publication()", args, kw));
           }),
           "Publication(*, group, port, source=None, source_port=None, interface=None, "
           "bind=None, ttl=1, loopback=True, dscp=None, send_buffer_size=None)\n"
           "Opens a publication of its own. Raises mctx.ConfigError (a rule broken), "
           "mctx.SetupError (a system call failed) or TypeError (a wrong type).")
      .def_property_readonly("id", &BoundPublication::id)
      .def_property_readonly("closed", &BoundPublication::closed)
      .def_property_readonly("destination",
                             [](const BoundPublication& p) {
                               return endpoint_tuple(p.read(
                                   [](const mctx::Publication& x) { return x.destination(); }));
                             })
      .def_property_readonly(
          "local",
          [](const BoundPublication& p) {
            return endpoint_tuple(p.read([](const mctx::Publication& x) { return x.local(); }));
          })
      .def_property_readonly("interface_index",
                             [](const BoundPublication& p) {
                               return p.read([](const mctx::Publication& x) {
                                 return x.interface_index();
                               });
                             })
      .def("fileno",
           [](const BoundPublication& p) {
             return p.read([](const mctx::Publication& x) { return x.fd(); });
           },
           "The socket descriptor (borrowed: the publication owns it), for select/asyncio.")
      .def("announce_tuple",
           [](const BoundPublication& p) {
             auto t = p.read([](const mctx::Publication& x) { return x.announce_tuple(); });
             return announce_tuple_class(t.source.to_string(), t.group.to_string(), t.port);
           },
           "(source, group, port) as SAP/SDP or AMT announce it.")
      .def("metrics", &BoundPublication::metrics,
           "A Snapshot of this publication's counters (after close(): as they were when it "
           "was closed), with its datagram_overhead and outages.")
      .def("_on_close", &BoundPublication::on_close, py::arg("callback"),
           "Runs callback() just before the publication is closed (mctx.aio).")
      .def("_cancel_on_close", &BoundPublication::cancel_on_close, py::arg("callback"))
      .def("send", &BoundPublication::send, py::arg("data"),
           "Sends one datagram from a bytes-like object (no copy). Raises mctx.WouldBlock when "
           "the socket buffer is full, another mctx.SendError on other failures.")
      .def("send_batch", &BoundPublication::send_batch, py::arg("datagrams"),
           "Sends many datagrams (sendmmsg). Each is a bytes-like object or a list/tuple of "
           "them (gathered, no copy). Returns a BatchReport; send errors are in its `error`.")
      .def("close", &BoundPublication::close, "Closes the socket (removes it from its context).")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](BoundPublication& p, py::args) { p.close(); })
      .def("__eq__",
           [](const BoundPublication& a, py::handle b) {
             return py::isinstance<BoundPublication>(b) &&
                    b.cast<const BoundPublication&>().id() == a.id();
           })
      .def("__hash__", [](const BoundPublication& p) { return std::hash<uint64_t>()(p.id()); })
      .def("__repr__", &BoundPublication::repr);

  py::class_<BoundMetricsFile>(
      m, "MetricsFile",
      "A metrics file (JSON lines, docs/metrics-file.md: the format mctx-send and mctxsink "
      "write and mctx-plot draws) for a Context, a Publication or a list of Publications. "
      "write() appends one interval (a row per open publication, then the totals); close() "
      "appends the final one, syncs the file to disk and closes it.")
      .def(py::init([](py::handle path, py::handle publications, py::handle node_id,
                       py::handle flags) {
             return std::make_unique<BoundMetricsFile>(path, publications, node_id, flags);
           }),
           py::arg("path"), py::arg("publications"), py::kw_only(),
           py::arg("node_id") = py::none(), py::arg("flags") = py::none(),
           "MetricsFile(path, publications, *, node_id=None, flags=None)\n"
           "Opens (creating it) and locks the file; the first interval starts now. node_id: "
           "the header's (default: the file's folder name); flags: a dict of extra header "
           "flags. Raises mctx.SetupError (cannot open, locked by another writer), "
           "mctx.ConfigError (another header, a bad value) or TypeError.")
      .def("write", &BoundMetricsFile::write,
           "Appends one interval: a row per open publication and the totals row.")
      .def("close", &BoundMetricsFile::close,
           "Appends the final interval, syncs the file to disk and closes it (unlocked).")
      .def_property_readonly("path", &BoundMetricsFile::path)
      .def_property_readonly("closed", &BoundMetricsFile::closed)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](BoundMetricsFile& f, py::args) { f.close(); })
      .def("__repr__", [](BoundMetricsFile& f) {
        return "<mctx.MetricsFile '" + f.path() + "'" + (f.closed() ? " closed" : "") + ">";
      });

  py::class_<BoundContext>(m, "Context",
                        "Holds publications by id and keeps lifetime totals of the sends made "
                        "through it.")
      .def(py::init<>())
      .def("add",
           [](BoundContext& c, const py::args& args, const py::kwargs& kw) {
             return c.add(publication_args("Context.add()", args, kw));
           },
           "add(*, group, port, source=None, source_port=None, interface=None, bind=None, "
           "ttl=1, loopback=True, dscp=None, send_buffer_size=None)\n"
           "Opens a publication held by this context.")
      .def("remove", &BoundContext::remove, py::arg("publication"),
           "Removes and closes a publication (handle or id); False if not here.")
      .def("get", &BoundContext::get, py::arg("id"))
      .def("publications", &BoundContext::publications)
      .def("__len__", &BoundContext::size)
      .def("send", &BoundContext::send, py::arg("publication"), py::arg("data"))
      .def("send_all", &BoundContext::send_all, py::arg("data"),
           "Sends the datagram through every publication.")
      .def("snapshot", &BoundContext::snapshot, "Lifetime totals (a Snapshot).");
}
