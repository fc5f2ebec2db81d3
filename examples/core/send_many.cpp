// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// send_many: a tour of the rest of the core API, pinned to loopback.
//
//   send_many
//
// * a Context owning three publications (two groups and an adopted socket),
//   send_all() and the context's lifetime totals;
// * send_batch() with gathered buffers and the would-block retry loop;
// * the duplicate check, take() and extract().
//
// docs/usage.md quotes this file.

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <mctx/mctx.hpp>

namespace {

mctx::PublicationConfig on_loopback(const char* group, uint16_t port) {
  auto addr = mctx::IpAddress::parse(group);
  return mctx::PublicationConfig(addr.value(), port)
      .with_interface(mctx::InterfaceSpec::name("lo"));
}

int fail(const char* what, const mctx::Error& e) {
  std::fprintf(stderr, "send_many: %s: %s [%s]\n", what, e.what().c_str(), mctx::errc_name(e.code));
  return 1;
}

// Sends every message, waiting for writability when the socket buffer is
// full. Returns false on any error other than would-block.
bool send_all_of(mctx::Publication& pub, std::span<const mctx::OutMessage> msgs) {
  while (!msgs.empty()) {
    const mctx::BatchReport rep = pub.send_batch(msgs);
    msgs = msgs.subspan(rep.sent);
    if (!rep.error) continue;
    if (!rep.error->would_block()) {
      std::fprintf(stderr, "send_many: batch stopped after %zu: %s\n", rep.sent,
                   rep.error->message().c_str());
      return false;
    }
    pollfd p{pub.fd(), POLLOUT, 0};
    (void)::poll(&p, 1, 1000);  // wait until the kernel takes more
  }
  return true;
}

}  // namespace

int main() {
  mctx::Context ctx;

  // Publications from configs. ids are stable for the process lifetime.
  auto a = ctx.add(on_loopback("239.255.0.1", 5000));
  if (!a) return fail("adding 239.255.0.1", a.error());
  auto b = ctx.add(on_loopback("239.255.0.2", 5000).with_ttl(2).with_dscp(46));
  if (!b) return fail("adding 239.255.0.2", b.error());

  // A socket the application made itself: adopt() checks it, applies the
  // config and sends through its own dup() of it, never connecting it. The
  // descriptor stays ours either way: closing it does not stop publication c.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  auto c = ctx.add(fd, on_loopback("239.255.0.3", 5000));
  ::close(fd);
  if (!c) return fail("adopting a socket", c.error());

  // The same flow twice is refused.
  auto dup = ctx.add(on_loopback("239.255.0.1", 5000).with_ttl(8));
  std::printf("duplicate: %s\n", dup ? "accepted?!" : dup.error().message.c_str());

  // One payload to every publication.
  const std::string hello = "hello, every group";
  const mctx::SendAllReport all = ctx.send_all(std::as_bytes(std::span(hello)));
  std::printf("send_all: %zu of %zu publications, %zu bytes\n", all.succeeded, all.attempted,
              all.bytes_sent);

  // Many datagrams in one system call, each gathered from two buffers.
  mctx::Publication* pub = ctx.get(*a);
  std::vector<std::string> bodies;
  for (int i = 0; i < 100; ++i) bodies.push_back("datagram " + std::to_string(i));
  static const char header[] = "HDR:";
  std::vector<iovec> iov;
  iov.reserve(bodies.size() * 2);
  std::vector<mctx::OutMessage> msgs;
  for (auto& body : bodies) {
    iov.push_back({const_cast<char*>(header), sizeof header - 1});
    iov.push_back({body.data(), body.size()});
    msgs.push_back({&iov[iov.size() - 2], 2});
  }
  if (!send_all_of(*pub, msgs)) return 1;
  std::printf("batch: %llu packets on publication %llu\n",
              static_cast<unsigned long long>(pub->metrics().load().packets_sent),
              static_cast<unsigned long long>(pub->id()));

  // take(): out of the context, still open. extract(): the raw descriptor.
  std::optional<mctx::Publication> taken = ctx.take(*b);
  mctx::ExtractedSocket raw = taken->extract();
  std::printf("extracted fd %d (publication %llu, group %s)\n", raw.fd,
              static_cast<unsigned long long>(raw.id), raw.config.group().to_string().c_str());
  (void)::send(raw.fd, "bye", 3, 0);  // still connected to 239.255.0.2:5000
  ::close(raw.fd);

  // Lifetime totals never go down when publications leave.
  const mctx::Snapshot s = ctx.snapshot();
  std::printf("context: %llu active, %llu added, %llu removed, %llu packets, %llu errors\n",
              static_cast<unsigned long long>(s.active_publications),
              static_cast<unsigned long long>(s.publications_added),
              static_cast<unsigned long long>(s.publications_removed),
              static_cast<unsigned long long>(s.send.packets_sent),
              static_cast<unsigned long long>(s.send.send_errors));
  return all.succeeded == all.attempted ? 0 : 1;
}
