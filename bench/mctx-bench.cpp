// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-bench: the send path of libmctx-core against bare system-call loops,
// in one run, on the same interface, with the same socket options.
//
//   bare send()            send(2) on a connected UDP socket
//   bare sendmsg() 2 iov   sendmsg(2), the payload gathered from 2 iovecs
//   bare sendmmsg() xB     sendmmsg(2) in batches of B
//   mctx send()            Publication::send(span)
//   mctx send() 2 iov      Publication::send(iov, 2)
//   mctx send_batch() xB   Publication::send_batch(OutMessage[B])
//
// Every case sends the same pre-built payload. The cases run round-robin,
// --repeat times, and the table shows medians: packets/s, payload Gbit/s,
// CPU time per packet (this thread: CLOCK_THREAD_CPUTIME_ID, split into
// user/system with getrusage(RUSAGE_THREAD)), the spread of the runs and the
// ratios mctx / bare. "device tx" is the growth of the interface's packet counter
// (bench-common.hpp): proof that the datagrams reached the device.
//
// It refuses to run outside a private network namespace: use bench/run.

#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "bench-common.hpp"
#include "mctx/mctx.hpp"
#include "platform/platform.hpp"  // the syscall seam (library overhead section)

namespace {

using mctx::bench::CaseResult;
using mctx::bench::Sample;
using mctx::bench::wait_writable;

struct Options : mctx::bench::CommonOptions {
  double duration = 0;  // seconds; 0 = use count
  int batch = 32;
  int split = 12;  // first iovec of the gather cases (an RTP header)
  std::string group = "239.255.0.1";
  int port = 5004;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "mctx-bench: %s\n", what.c_str());
  std::exit(1);
}

// The bare reference socket (bench-common), or the benchmark ends.
int bare_socket(const mctx::IpAddress& group, uint16_t port, unsigned ifindex) {
  std::string error;
  const int fd = mctx::bench::bare_socket(group.to_string(), port, ifindex, error);
  if (fd < 0) die(error);
  return fd;
}

// One case: sends `target` datagrams (or until `deadline` when target is
// the maximum), filling packets/bytes/would_block of the sample.
using Body = std::function<void(uint64_t target, double deadline, Sample&)>;

constexpr uint64_t kChunk = 1024;  // packets between two clock reads (duration mode)

bool out_of_time(double deadline) { return deadline > 0 && mctx::bench::wall_now() >= deadline; }

// The timed loop of the bare one-datagram-per-call cases. `send_one` is the
// system call under test (returns its ssize_t); it is a template argument,
// so the loop holds the call inline, as a hand-written loop would.
template <class SendOne>
Body bare_single_loop(int fd, const char* call, SendOne send_one) {
  return [fd, call, send_one](uint64_t target, double deadline, Sample& s) {
    while (s.packets < target) {
      const uint64_t end = std::min(target, s.packets + kChunk);
      while (s.packets < end) {
        const ssize_t n = send_one();
        if (n >= 0) {
          ++s.packets;
          s.bytes += static_cast<uint64_t>(n);
        } else if (errno == EAGAIN) {
          ++s.would_block;
          wait_writable(fd);
        } else if (errno != EINTR) {
          die(std::string(call) + ": " + std::strerror(errno));
        }
      }
      if (out_of_time(deadline)) break;
    }
  };
}

struct Payload {
  std::vector<std::byte> data;
  iovec whole{};
  iovec parts[2]{};
};

// ---- library overhead: the kernel stubbed through the syscall seam ----------
//
// The platform layer sends through a table of function pointers (the seam
// the core's tests use to inject errors). Replacing it with stubs that accept
// every datagram at once leaves only user-space work: what Publication adds
// on top of the system call (metrics, result, header set-up). The "bare"
// rows call the same stubs through the same kind of pointer.

ssize_t stub_sendmsg(int, const msghdr* m, int) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < m->msg_iovlen; ++i) n += m->msg_iov[i].iov_len;
  return static_cast<ssize_t>(n);
}

int stub_sendmmsg(int, void* v, unsigned vlen, int) {
  auto* h = static_cast<mmsghdr*>(v);
  for (unsigned k = 0; k < vlen; ++k) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < h[k].msg_hdr.msg_iovlen; ++i) n += h[k].msg_hdr.msg_iov[i].iov_len;
    h[k].msg_len = static_cast<unsigned>(n);
  }
  return static_cast<int>(vlen);
}

const mctx::platform::Syscalls kStubs{&stub_sendmsg, &stub_sendmmsg};

// ns of thread CPU per datagram of f(calls), median of `repeat` runs.
template <class F>
double ns_per_datagram(int repeat, uint64_t calls, uint64_t per_call, F f) {
  std::vector<double> v;
  f(calls / 10);  // warm-up
  for (int r = 0; r < repeat; ++r) {
    const double c0 = mctx::bench::cpu_now();
    f(calls);
    const double c1 = mctx::bench::cpu_now();
    v.push_back((c1 - c0) * 1e9 / static_cast<double>(calls * per_call));
  }
  return mctx::bench::median(std::move(v));
}

void print_overhead(mctx::Publication& p, const Payload& pl, std::size_t B, const Options& o) {
  constexpr uint64_t kCalls = 2000000;
  const uint64_t batches = kCalls / B;
  // Called through volatile pointers, like the seam: no inlining of the stub.
  ssize_t (*volatile call_sendmsg)(int, const msghdr*, int) = &stub_sendmsg;
  int (*volatile call_sendmmsg)(int, void*, unsigned, int) = &stub_sendmmsg;
  std::vector<mmsghdr> hdrs(B);
  std::vector<mctx::OutMessage> outs(B, mctx::OutMessage{&pl.whole, 1});
  const std::span<const std::byte> payload(pl.data);
  const std::span<const mctx::OutMessage> batch(outs);
  volatile std::size_t sink = 0;
  const mctx::SendCounters before = p.metrics().load();

  mctx::platform::ScopedSyscalls seam(kStubs);
  const double bare1 = ns_per_datagram(o.repeat, kCalls, 1, [&](uint64_t n) {
    msghdr m{};
    m.msg_iov = const_cast<iovec*>(&pl.whole);
    m.msg_iovlen = 1;
    for (uint64_t i = 0; i < n; ++i) sink = sink + static_cast<std::size_t>(call_sendmsg(-1, &m, 0));
  });
  const double mctx1 = ns_per_datagram(o.repeat, kCalls, 1, [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      auto r = p.send(payload);
      sink = sink + (r ? r->bytes_sent : 0);
    }
  });
  const double mctx2 = ns_per_datagram(o.repeat, kCalls, 1, [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      auto r = p.send(pl.parts, 2);
      sink = sink + (r ? r->bytes_sent : 0);
    }
  });
  const double bareb = ns_per_datagram(o.repeat, batches, B, [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      // What a bare caller does per batch: fill the headers, one call.
      std::memset(hdrs.data(), 0, sizeof(mmsghdr) * B);
      for (std::size_t k = 0; k < B; ++k) {
        hdrs[k].msg_hdr.msg_iov = const_cast<iovec*>(&pl.whole);
        hdrs[k].msg_hdr.msg_iovlen = 1;
      }
      sink = sink + static_cast<std::size_t>(call_sendmmsg(-1, hdrs.data(), static_cast<unsigned>(B), 0));
    }
  });
  const double mctxb = ns_per_datagram(o.repeat, batches, B, [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) sink = sink + p.send_batch(batch).sent;
  });
  const mctx::SendCounters after = p.metrics().load();
  (void)sink;

  std::printf("\nlibrary overhead, kernel stubbed through the platform syscall seam "
              "(CPU ns per datagram, median of %d x %s datagrams):\n",
              o.repeat, mctx::bench::group_digits(static_cast<double>(kCalls)).c_str());
  if (o.markdown) {
    std::printf("| path | bare call of the stub | through Publication | added by mctx |\n");
    std::printf("|---|---:|---:|---:|\n");
    std::printf("| send() | %.1f | %.1f | %.1f |\n", bare1, mctx1, mctx1 - bare1);
    std::printf("| send() 2 iov | %.1f | %.1f | %.1f |\n", bare1, mctx2, mctx2 - bare1);
    std::printf("| send_batch() x%zu | %.1f | %.1f | %.1f |\n", B, bareb, mctxb, mctxb - bareb);
  } else {
    std::printf("  %-22s %8s %8s %8s\n", "path", "bare", "mctx", "added");
    std::printf("  %-22s %8.1f %8.1f %8.1f\n", "send()", bare1, mctx1, mctx1 - bare1);
    std::printf("  %-22s %8.1f %8.1f %8.1f\n", "send() 2 iov", bare1, mctx2, mctx2 - bare1);
    std::printf("  %-22s %8.1f %8.1f %8.1f\n", ("send_batch() x" + std::to_string(B)).c_str(),
                bareb, mctxb, mctxb - bareb);
  }
  std::printf("  (mctx metrics counted %" PRIu64 " stubbed datagrams)\n",
              after.packets_sent - before.packets_sent);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  gchar* group = nullptr;
  const GOptionEntry entries[] = {
      {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o.duration,
       "Seconds per run instead of a count", "S"},
      {"batch", 'b', 0, G_OPTION_ARG_INT, &o.batch, "Datagrams per sendmmsg/send_batch (default 32)",
       "N"},
      {"split", 0, 0, G_OPTION_ARG_INT, &o.split,
       "Size of the first iovec in the 2-iovec cases (default 12)", "N"},
      {"group", 'g', 0, G_OPTION_ARG_STRING, &group, "Multicast group (default 239.255.0.1)", "IP"},
      {"port", 'p', 0, G_OPTION_ARG_INT, &o.port, "Destination port (default 5004)", "N"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  o.parse("mctx-bench", "- libmctx-core send path vs bare system calls",
          "UDP payload size in bytes (default 1316)", entries, nullptr, 65507, argc, argv);
  if (group) o.group = group;
  g_free(group);

  if (o.batch < 1 || o.batch > static_cast<int>(UIO_MAXIOV)) {
    die("--batch " + std::to_string(o.batch) + " is not in 1.." + std::to_string(UIO_MAXIOV));
  }
  if (o.split < 1 || o.split >= o.size) {
    die("--split " + std::to_string(o.split) + " must be in 1..size-1");
  }
  if (o.port < 1 || o.port > 65535) die("--port " + std::to_string(o.port) + " is not in 1..65535");

  const unsigned ifindex = mctx::bench::require_send_interface("mctx-bench", o.interface);

  auto group_addr = mctx::IpAddress::parse(o.group);
  if (!group_addr) die(group_addr.error().what());
  const auto port = static_cast<uint16_t>(o.port);

  auto pub = mctx::Publication::open(
      mctx::PublicationConfig(*group_addr, port)
          .with_interface(mctx::InterfaceSpec::name(o.interface))
          .with_ttl(1)
          .with_loopback(true));
  if (!pub) die(pub.error().what());
  auto pub_plain = mctx::Publication::open(
      mctx::PublicationConfig(*group_addr, port)
          .with_interface(mctx::InterfaceSpec::name(o.interface))
          .with_ttl(1)
          .with_loopback(true)
          .with_gso(mctx::Gso::off));
  if (!pub_plain) die(pub_plain.error().what());
  const int bare_fd = bare_socket(*group_addr, port, ifindex);

  // The payload and every header array: built once, reused by every packet.
  Payload pl;
  pl.data.resize(static_cast<std::size_t>(o.size));
  for (std::size_t i = 0; i < pl.data.size(); ++i) pl.data[i] = static_cast<std::byte>(i * 7 + 1);
  pl.whole = {pl.data.data(), pl.data.size()};
  pl.parts[0] = {pl.data.data(), static_cast<std::size_t>(o.split)};
  pl.parts[1] = {pl.data.data() + o.split, pl.data.size() - static_cast<std::size_t>(o.split)};
  const auto B = static_cast<std::size_t>(o.batch);
  std::vector<mmsghdr> hdrs(B);
  for (mmsghdr& h : hdrs) {
    h = {};
    h.msg_hdr.msg_iov = &pl.whole;
    h.msg_hdr.msg_iovlen = 1;
  }
  std::vector<mctx::OutMessage> outs(B, mctx::OutMessage{&pl.whole, 1});
  const std::span<const std::byte> payload(pl.data);
  const std::size_t size = pl.data.size();
  mctx::Publication& p = *pub;

  const std::string b = std::to_string(B);
  struct Case {
    std::string name;
    std::string reference;
    Body body;
  };
  std::vector<Case> cases;

  const char* data = reinterpret_cast<const char*>(pl.data.data());
  cases.push_back({"bare send()", "", bare_single_loop(bare_fd, "send", [bare_fd, data, size] {
                     return ::send(bare_fd, data, size, 0);
                   })});

  // sendmsg() with one iovec: what Publication::send(iov) does underneath
  // for a gather list of one.
  msghdr one_iov{};
  one_iov.msg_iov = &pl.whole;
  one_iov.msg_iovlen = 1;
  cases.push_back({"bare sendmsg() 1 iov", "",
                   bare_single_loop(bare_fd, "sendmsg", [bare_fd, &one_iov] {
                     return ::sendmsg(bare_fd, &one_iov, 0);
                   })});

  msghdr two_iov{};
  two_iov.msg_iov = pl.parts;
  two_iov.msg_iovlen = 2;
  cases.push_back({"bare sendmsg() 2 iov", "",
                   bare_single_loop(bare_fd, "sendmsg", [bare_fd, &two_iov] {
                     return ::sendmsg(bare_fd, &two_iov, 0);
                   })});

  cases.push_back({"bare sendmmsg() x" + b, "", [&](uint64_t target, double deadline, Sample& s) {
                     while (s.packets < target) {
                       const uint64_t end = std::min(target, s.packets + kChunk);
                       while (s.packets < end) {
                         const auto want = static_cast<unsigned>(std::min<uint64_t>(B, end - s.packets));
                         const int n = ::sendmmsg(bare_fd, hdrs.data(), want, 0);
                         if (n > 0) {
                           s.packets += static_cast<uint64_t>(n);
                           s.bytes += static_cast<uint64_t>(n) * size;
                         } else if (n < 0 && errno == EAGAIN) {
                           ++s.would_block;
                           wait_writable(bare_fd);
                         } else if (n < 0 && errno != EINTR) {
                           die(std::string("sendmmsg: ") + std::strerror(errno));
                         }
                       }
                       if (out_of_time(deadline)) break;
                     }
                   }});

  // The bare segmentation-offload loop: each batch of B datagrams as
  // messages of up to 64 segments and 65507 bytes with UDP_SEGMENT, all in
  // one sendmmsg (what Publication::send_batch does for equal sizes).
  const std::size_t per_msg = std::min<std::size_t>(64, 65507 / size);
  std::vector<iovec> gso_iov(B, pl.whole);
  std::vector<mmsghdr> gso_hdrs;
  struct Ctl {
    alignas(cmsghdr) unsigned char data[CMSG_SPACE(sizeof(uint16_t))];
  };
  std::vector<Ctl> gso_ctl((B + per_msg - 1) / per_msg);
  std::vector<std::size_t> gso_count;
  for (std::size_t first = 0; first < B; first += per_msg) {
    mmsghdr h{};
    h.msg_hdr.msg_iov = gso_iov.data() + first;
    h.msg_hdr.msg_iovlen = std::min(per_msg, B - first);
    Ctl& c = gso_ctl[gso_hdrs.size()];
    h.msg_hdr.msg_control = c.data;
    h.msg_hdr.msg_controllen = sizeof c.data;
    cmsghdr* cm = CMSG_FIRSTHDR(&h.msg_hdr);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    const auto seg = static_cast<uint16_t>(size);
    std::memcpy(CMSG_DATA(cm), &seg, sizeof seg);
    gso_count.push_back(h.msg_hdr.msg_iovlen);
    gso_hdrs.push_back(h);
  }
  cases.push_back({"bare GSO sendmmsg() x" + b, "", [&](uint64_t target, double deadline, Sample& s) {
                     while (s.packets < target) {
                       const uint64_t end = std::min(target, s.packets + kChunk);
                       while (s.packets < end) {
                         // A short last batch: fewer messages, the last one shorter.
                         const auto want = static_cast<std::size_t>(std::min<uint64_t>(B, end - s.packets));
                         const std::size_t msgs = (want + per_msg - 1) / per_msg;
                         const std::size_t last = want - (msgs - 1) * per_msg;
                         gso_hdrs[msgs - 1].msg_hdr.msg_iovlen = last;
                         const int n = ::sendmmsg(bare_fd, gso_hdrs.data(), static_cast<unsigned>(msgs), 0);
                         gso_hdrs[msgs - 1].msg_hdr.msg_iovlen = gso_count[msgs - 1];
                         if (n > 0) {
                           for (int k = 0; k < n; ++k) {
                             const std::size_t c = static_cast<std::size_t>(k) + 1 == msgs
                                                       ? last
                                                       : gso_count[static_cast<std::size_t>(k)];
                             s.packets += c;
                             s.bytes += c * size;
                           }
                         } else if (n < 0 && errno == EAGAIN) {
                           ++s.would_block;
                           wait_writable(bare_fd);
                         } else if (n < 0 && errno != EINTR) {
                           die(std::string("sendmmsg with UDP_SEGMENT: ") + std::strerror(errno));
                         }
                       }
                       if (out_of_time(deadline)) break;
                     }
                   }});

  // A case of one Publication::send call per packet: `send()` makes it.
  const auto send_case = [&p](auto send, const char* what) -> Body {
    return [&p, send, what](uint64_t target, double deadline, Sample& s) {
      while (s.packets < target) {
        const uint64_t end = std::min(target, s.packets + kChunk);
        while (s.packets < end) {
          auto r = send();
          if (r) {
            ++s.packets;
            s.bytes += r->bytes_sent;
          } else if (r.error().would_block()) {
            ++s.would_block;
            wait_writable(p.fd());
          } else {
            die(std::string(what) + ": " + r.error().message());
          }
        }
        if (out_of_time(deadline)) break;
      }
    };
  };
  cases.push_back({"mctx send()", "bare send()",
                   send_case([&] { return p.send(payload); }, "Publication::send")});

  // The same samples, compared with the system call Publication::send uses.
  cases.push_back({"mctx send() [vs sendmsg]", "bare sendmsg() 1 iov", nullptr});

  cases.push_back({"mctx send() 2 iov", "bare sendmsg() 2 iov",
                   send_case([&] { return p.send(pl.parts, 2); }, "Publication::send(iov)")});

  const auto batch_case = [&](mctx::Publication& pubref, const char* what) -> Body {
    return [&pubref, &outs, B, what](uint64_t target, double deadline, Sample& s) {
      while (s.packets < target) {
        const uint64_t end = std::min(target, s.packets + kChunk);
        while (s.packets < end) {
          const auto want = static_cast<std::size_t>(std::min<uint64_t>(B, end - s.packets));
          const mctx::BatchReport r =
              pubref.send_batch(std::span<const mctx::OutMessage>(outs.data(), want));
          s.packets += r.sent;
          s.bytes += r.bytes_sent;
          if (r.error) {
            if (!r.error->would_block()) die(std::string(what) + ": " + r.error->message());
            ++s.would_block;
            wait_writable(pubref.fd());
          }
        }
        if (out_of_time(deadline)) break;
      }
    };
  };
  // Segmentation offload on (the default) against the bare GSO loop; off
  // against plain sendmmsg.
  cases.push_back({"mctx send_batch() x" + b, "bare GSO sendmmsg() x" + b,
                   batch_case(p, "Publication::send_batch")});
  cases.push_back({"mctx send_batch() x" + b + " gso=off", "bare sendmmsg() x" + b,
                   batch_case(*pub_plain, "Publication::send_batch (gso off)")});

  const uint64_t target =
      o.duration > 0 ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(o.count);
  std::printf("mctx-bench: payload %d B, %s x %d runs per case (median shown), batch %zu\n", o.size,
              o.duration > 0 ? (std::to_string(o.duration) + " s").c_str()
                             : (mctx::bench::group_digits(static_cast<double>(o.count)) + " packets").c_str(),
              o.repeat, B);
  std::printf("destination %s port %u via %s (index %u)\n", group_addr->to_string().c_str(),
              static_cast<unsigned>(port), o.interface.c_str(), ifindex);
  std::fflush(stdout);

  // Warm-up: fault in the code paths, route cache and socket buffers.
  for (Case& c : cases) {
    if (!c.body) continue;
    Sample s;
    c.body(std::min<uint64_t>(1000, static_cast<uint64_t>(o.count)), 0, s);
  }

  std::vector<CaseResult> results;
  for (const Case& c : cases) results.push_back(CaseResult{c.name, c.reference, {}});
  bool ok = true;
  for (int rep = 0; rep < o.repeat; ++rep) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      if (!cases[i].body) continue;
      Sample s;
      const auto tx0 = mctx::bench::device_packets(o.interface);
      const mctx::bench::Usage u0 = mctx::bench::usage_now(false);
      const double c0 = mctx::bench::cpu_now();
      const double w0 = mctx::bench::wall_now();
      cases[i].body(target, o.duration > 0 ? w0 + o.duration : 0, s);
      const double w1 = mctx::bench::wall_now();
      const double c1 = mctx::bench::cpu_now();
      const mctx::bench::Usage u1 = mctx::bench::usage_now(false);
      const auto tx1 = mctx::bench::device_packets(o.interface);
      s.wall = w1 - w0;
      s.cpu = c1 - c0;
      s.user = u1.user - u0.user;
      s.sys = u1.sys - u0.sys;
      if (tx0 && tx1) s.device_tx = static_cast<uint32_t>(*tx1 - *tx0);  // 32-bit counter
      if (o.duration <= 0 && s.packets != static_cast<uint64_t>(o.count)) {
        std::fprintf(stderr, "mctx-bench: %s sent %" PRIu64 " of %" PRId64 " datagrams\n",
                     cases[i].name.c_str(), s.packets, static_cast<int64_t>(o.count));
        ok = false;
      }
      if (s.device_tx < s.packets) {
        std::fprintf(stderr,
                     "mctx-bench: %s: the device counted %" PRIu64 " of %" PRIu64 " datagrams\n",
                     cases[i].name.c_str(), s.device_tx, s.packets);
        ok = false;
      }
      results[i].samples.push_back(s);
    }
  }

  // Rows without a body repeat the samples of the row above (another reference).
  for (std::size_t i = 1; i < cases.size(); ++i) {
    if (!cases[i].body) results[i].samples = results[i - 1].samples;
  }

  // mctx's own counters must agree with what the cases sent.
  mctx::SendCounters m = p.metrics().load();
  const mctx::SendCounters m_plain = pub_plain->metrics().load();
  m.packets_sent += m_plain.packets_sent;
  m.send_errors += m_plain.send_errors;
  std::printf("\n");
  mctx::bench::print_table(results, o.markdown);
  uint64_t would_block = 0, device_tx = 0, packets = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!cases[i].body) continue;
    for (const Sample& s : results[i].samples) {
      would_block += s.would_block;
      device_tx += s.device_tx;
      packets += s.packets;
    }
  }
  std::printf("\nall runs: %" PRIu64 " datagrams sent, device packet counter +%" PRIu64
              ", would-block waits %" PRIu64 ", mctx metrics packets-sent %" PRIu64
              " send-errors %" PRIu64 "\n",
              packets, device_tx, would_block, m.packets_sent, m.send_errors);
  std::printf("rate ratio = packets/s of the case / packets/s of its reference (> 1: faster);\n"
              "CPU ratio = CPU ns per packet of the case / of its reference (< 1: cheaper)\n");
  if (m.send_errors != 0) ok = false;
  ::close(bare_fd);

  print_overhead(p, pl, B, o);
  if (o.check && !ok) {
    std::fprintf(stderr, "mctx-bench: check FAILED\n");
    return 1;
  }
  if (o.check) std::printf("mctx-bench: check passed\n");
  return 0;
}
