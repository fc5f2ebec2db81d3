// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink's description of the stream (runs in scripts/mctx-netns --veth):
// the SDP of the negotiated caps (sdp property and sdp-file, atomically
// written and rewritten with a new version when the caps change), the SAP
// announcements received by a joined socket on the SAP address (header,
// origin, hash, interval, deletion at stop and at EOS), the source filter of
// an SSM group, an ST 2022-7 pair (two m=, a=group:DUP), IPv6 announcements
// to ff0e::2:7ffe over the veth pair, and the start errors naming the
// property. The receivers written by others (FFmpeg, sdpdemux) are in
// test_sdp_receivers.sh.

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gst-test-util.hpp"
#include "mctx/sap.hpp"
#include "mctx/sdp.hpp"

using namespace mctx_gst_test;

namespace {

constexpr const char* kL16Caps =
    "application/x-rtp,media=audio,payload=96,clock-rate=48000,encoding-name=L16,"
    "encoding-params=(string)1,channels=1";

std::string sdp_of(GstElement* e) {
  gchar* text = nullptr;
  g_object_get(e, "sdp", &text, nullptr);
  std::string s = str(text);
  g_free(text);
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A fresh directory for SDP files; its entries.
struct TempDir {
  std::string path;
  TempDir() {
    gchar* p = g_dir_make_tmp("mctx-sdp-XXXXXX", nullptr);
    fail_unless(p != nullptr);
    path = p;
    g_free(p);
  }
  ~TempDir() {
    for (const auto& n : entries()) (void)unlink((path + "/" + n).c_str());
    (void)rmdir(path.c_str());
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    if (DIR* d = opendir(path.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      closedir(d);
    }
    return out;
  }
};

// The o= line's version field.
guint64 sdp_version(const std::string& sdp) {
  const std::string o(mctx::sdp_origin_line(sdp));
  std::istringstream in(o);
  std::string dash, id, version;
  in >> dash >> id >> version;
  return g_ascii_strtoull(version.c_str(), nullptr, 10);
}

struct Sap {
  mctx::SapPacket packet;
  std::vector<std::uint8_t> bytes;
  std::chrono::steady_clock::time_point at;
};

// The next SAP packet on r, parsed (fails the test after `timeout`).
Sap next_sap(mctx::test::Receiver& r, int timeout_ms = 3000) {
  auto d = must("receiving SAP", [&] { return r.receive(std::chrono::milliseconds(timeout_ms)); });
  fail_unless(d.has_value(), "no SAP packet within %d ms", timeout_ms);
  Sap s;
  s.at = std::chrono::steady_clock::now();
  s.bytes = d->payload;
  auto p = mctx::parse_sap_packet(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(s.bytes.data()), s.bytes.size()));
  fail_unless(p.has_value(), "not a SAP packet: %s", p ? "" : p.error().message.c_str());
  s.packet = *p;
  return s;
}

}  // namespace

MCTX_GST_TEST(test_defaults) {
  Sink s;
  gchar *file = nullptr, *name = nullptr, *address = nullptr;
  gboolean announce = TRUE;
  guint interval = 0;
  g_object_get(s.element, "sdp-file", &file, "session-name", &name, "announce", &announce,
               "announce-address", &address, "announce-interval", &interval, nullptr);
  fail_unless(file == nullptr);
  assert_str_eq(name, "mctx stream");
  fail_unless(!announce);
  fail_unless(address == nullptr);
  fail_unless_equals_int(interval, 5);
  assert_str_eq(sdp_of(s.element).c_str(), "");
  g_free(file);
  g_free(name);
  g_free(address);
}
GST_END_TEST;

// The SDP of RTP L16 caps, exactly; the file holds the same text and
// nothing else is left in its directory; new caps give a new version.
MCTX_GST_TEST(test_sdp_rtp_and_file) {
  TempDir dir;
  const std::string file = dir.path + "/stream.sdp";
  Sink s;
  g_object_set(s.element, "group", "239.255.0.1", "port", 5004, "interface", "lo", "sdp-file",
               file.c_str(), "session-name", "test session", nullptr);
  GstHarness* h = s.harness(kL16Caps);
  const std::string sdp = sdp_of(s.element);
  const guint64 v1 = sdp_version(sdp);
  const std::string o = "o=- " + std::to_string(v1) + " " + std::to_string(v1) + " IN IP4 127.0.0.1";
  const std::string want = "v=0\r\n" + o +
                           "\r\n"
                           "s=test session\r\n"
                           "c=IN IP4 239.255.0.1/1\r\n"
                           "t=0 0\r\n"
                           "m=audio 5004 RTP/AVP 96\r\n"
                           "a=rtpmap:96 L16/48000/1\r\n";
  assert_str_eq(sdp.c_str(), want.c_str());
  assert_str_eq(read_file(file).c_str(), sdp.c_str());
  auto names = dir.entries();
  fail_unless_equals_int(names.size(), 1);
  assert_str_eq(names[0].c_str(), "stream.sdp");

  // New caps: a new version, the file rewritten.
  gst_harness_set_src_caps_str(h,
                               "application/x-rtp,media=audio,payload=97,clock-rate=44100,"
                               "encoding-name=L16,encoding-params=(string)2,channels=2");
  const std::string sdp2 = sdp_of(s.element);
  fail_unless_equals_int(sdp_version(sdp2), v1 + 1);
  assert_contains(sdp2, "m=audio 5004 RTP/AVP 97\r\na=rtpmap:97 L16/44100/2\r\n");
  assert_str_eq(read_file(file).c_str(), sdp2.c_str());
  fail_unless_equals_int(dir.entries().size(), 1);
}
GST_END_TEST;

MCTX_GST_TEST(test_sdp_mpegts_udp) {
  Sink s;
  g_object_set(s.element, "group", "239.255.0.2", "port", 1234, "interface", "lo", "ttl", 4,
               nullptr);
  s.harness("video/mpegts,systemstream=true,packetsize=188");
  const std::string sdp = sdp_of(s.element);
  assert_contains(sdp, "c=IN IP4 239.255.0.2/4\r\n");
  assert_contains(sdp, "m=video 1234 udp 33\r\n");
}
GST_END_TEST;

// Caps without an SDP form: no SDP (and no error) when nothing asks for
// one; an error naming the caps when sdp-file is set.
MCTX_GST_TEST(test_caps_without_sdp_form) {
  {
    Sink s;
    g_object_set(s.element, "group", "239.255.0.2", "interface", "lo", nullptr);
    GstHarness* h = s.harness("application/octet-stream");
    assert_str_eq(sdp_of(s.element).c_str(), "");
    fail_unless_equals_int(gst_harness_push(h, text_buffer("x")), GST_FLOW_OK);
    s.teardown();
  }
  TempDir dir;
  Sink s;
  g_object_set(s.element, "group", "239.255.0.2", "interface", "lo", "sdp-file",
               (dir.path + "/x.sdp").c_str(), nullptr);
  GstHarness* h = s.harness("application/octet-stream");
  fail_unless(gst_harness_push(h, text_buffer("x")) != GST_FLOW_OK);
  GstMessage* m = gst_bus_pop_filtered(s.bus, GST_MESSAGE_ERROR);
  fail_unless(m != nullptr, "no error for caps without an SDP form");
  GError* err = nullptr;
  gst_message_parse_error(m, &err, nullptr);
  assert_contains(str(err->message), "application/octet-stream");
  assert_contains(str(err->message), "sdp-file");
  g_clear_error(&err);
  gst_message_unref(m);
}
GST_END_TEST;

// An SSM group: the source filter names the address the socket sends from.
MCTX_GST_TEST(test_sdp_ssm_source_filter) {
  Sink s;
  g_object_set(s.element, "group", "232.1.2.3", "port", 5004, "interface", "mctx0", nullptr);
  s.harness(kL16Caps);
  const std::string sdp = sdp_of(s.element);
  assert_contains(sdp, "o=- ");
  assert_contains(sdp, " IN IP4 192.0.2.1\r\n");
  assert_contains(sdp, "a=source-filter: incl IN IP4 232.1.2.3 192.0.2.1\r\n");
}
GST_END_TEST;

// An ST 2022-7 pair: one SDP, two media sections, a=group:DUP.
MCTX_GST_TEST(test_sdp_2022_7_pair) {
  Sink s;
  g_object_set(s.element, "group", "239.1.1.1", "port", 5004, "interface", "mctx0",
               "source-address", "192.0.2.1", nullptr);
  gboolean added = FALSE;
  g_signal_emit_by_name(s.element, "add", "mctx://239.1.1.2:5006?interface=lo&ttl=0", &added);
  fail_unless(added);
  GstHarness* h = s.harness(kL16Caps);
  const std::string sdp = sdp_of(s.element);
  assert_contains(sdp, "a=group:DUP 1 2\r\n");
  assert_contains(sdp,
                  "m=audio 5004 RTP/AVP 96\r\n"
                  "c=IN IP4 239.1.1.1/1\r\n"
                  "a=source-filter: incl IN IP4 239.1.1.1 192.0.2.1\r\n");
  assert_contains(sdp, "a=mid:1\r\n");
  assert_contains(sdp, "m=audio 5006 RTP/AVP 96\r\nc=IN IP4 239.1.1.2/0\r\n");
  assert_contains(sdp, "a=mid:2\r\n");
  fail_unless(sdp.find("m=", sdp.find("m=audio 5006") + 1) == std::string::npos,
              "more than two media sections: %s", sdp.c_str());

  // Removed while running (and let go of by the streaming thread): new caps
  // still describe the destinations of the start, from what was taken then.
  gboolean removed = FALSE;
  g_signal_emit_by_name(s.element, "remove", "mctx://239.1.1.2:5006?interface=lo&ttl=0", &removed);
  fail_unless(removed);
  fail_unless_equals_int(gst_harness_push(h, text_buffer("x")), GST_FLOW_OK);
  gst_harness_set_src_caps_str(h,
                               "application/x-rtp,media=audio,payload=97,clock-rate=48000,"
                               "encoding-name=L16,encoding-params=(string)1,channels=1");
  const std::string sdp2 = sdp_of(s.element);
  fail_unless_equals_int(sdp_version(sdp2), sdp_version(sdp) + 1);
  assert_contains(sdp2, "m=audio 5006 RTP/AVP 97\r\nc=IN IP4 239.1.1.2/0\r\n");
}
GST_END_TEST;

// SAP on 239.255.255.255:9875 (the SAP address of 239.255/16): the first
// announcement at the caps, the header, origin, hash and payload, the
// interval, the deletion at stop.
MCTX_GST_TEST(test_sap_announcements_and_deletion) {
  auto r = receiver("239.255.255.255", mctx::kSapPort, "lo");
  Sink s;
  g_object_set(s.element, "group", "239.255.0.1", "port", 5004, "interface", "lo", "announce",
               TRUE, "announce-interval", 1, nullptr);
  s.harness(kL16Caps);
  const std::string sdp = sdp_of(s.element);
  Sap ann1 = next_sap(*r, 1000);
  fail_unless_equals_int(ann1.bytes[0] >> 5, 1);        // version 1
  fail_unless_equals_int(ann1.bytes[0] & 0x10, 0);      // A: IPv4 origin
  fail_unless_equals_int(ann1.bytes[0] & 0x04, 0);      // T: announcement
  fail_unless_equals_int(ann1.bytes[1], 0);             // no authentication
  fail_unless(ann1.packet.type == mctx::SapMessageType::announcement);
  assert_str_eq(ann1.packet.origin.to_string().c_str(), "127.0.0.1");
  assert_str_eq(std::string(ann1.packet.payload_type).c_str(), "application/sdp");
  assert_str_eq(std::string(ann1.packet.payload).c_str(), sdp.c_str());
  fail_unless_equals_int(ann1.packet.hash, mctx::sap_hash(sdp));

  Sap ann2 = next_sap(*r, 3000);
  Sap ann3 = next_sap(*r, 3000);
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  const long d1 = ms(ann2.at - ann1.at), d2 = ms(ann3.at - ann2.at);
  fail_unless(d1 >= 800 && d1 <= 1400, "first interval %ld ms, want about 1000", d1);
  fail_unless(d2 >= 800 && d2 <= 1400, "second interval %ld ms, want about 1000", d2);
  fail_unless(ann2.bytes == ann1.bytes, "the repeated announcement differs");

  s.teardown();  // stop: the deletion
  Sap del = next_sap(*r, 1000);
  fail_unless(del.packet.type == mctx::SapMessageType::deletion);
  fail_unless_equals_int(del.bytes[0] & 0x04, 0x04);
  fail_unless_equals_int(del.packet.hash, ann1.packet.hash);
  assert_str_eq(std::string(del.packet.payload).c_str(),
                std::string(mctx::sdp_origin_line(sdp)) + "\r\n");
  // Nothing after the deletion.
  auto more = must("receiving", [&] { return r->receive(std::chrono::milliseconds(1500)); });
  fail_unless(!more.has_value(), "a SAP packet after the deletion");
}
GST_END_TEST;

// EOS: the deletion, and no announcement after it until a flush.
MCTX_GST_TEST(test_sap_deletion_at_eos) {
  auto r = receiver("239.255.255.255", mctx::kSapPort, "lo");
  Sink s;
  g_object_set(s.element, "group", "239.255.0.1", "interface", "lo", "announce", TRUE,
               "announce-interval", 1, nullptr);
  GstHarness* h = s.harness(kL16Caps);
  Sap ann1 = next_sap(*r, 1000);
  fail_unless(ann1.packet.type == mctx::SapMessageType::announcement);
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  Sap del = next_sap(*r, 1000);
  fail_unless(del.packet.type == mctx::SapMessageType::deletion);
  auto more = must("receiving", [&] { return r->receive(std::chrono::milliseconds(1500)); });
  fail_unless(!more.has_value(), "a SAP packet after the deletion at EOS");
  // A flush after EOS: the stream goes on, announced again with the same
  // description.
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  Sap again = next_sap(*r, 1000);
  fail_unless(again.packet.type == mctx::SapMessageType::announcement);
  assert_str_eq(std::string(again.packet.payload), std::string(ann1.packet.payload));
}
GST_END_TEST;

// IPv6: announcements of an ff3e:: group reach ff0e::2:7ffe over the veth
// pair, from the source address.
MCTX_GST_TEST(test_sap_ipv6_over_veth) {
  auto r = receiver("ff0e::2:7ffe", mctx::kSapPort, "mctx1");
  Sink s;
  g_object_set(s.element, "group", "ff3e::8000:1234", "port", 5004, "interface", "mctx0",
               "source-address", "fd00::1", "announce", TRUE, nullptr);
  s.harness(kL16Caps);
  const std::string sdp = sdp_of(s.element);
  assert_contains(sdp, "o=- ");
  assert_contains(sdp, " IN IP6 fd00::1\r\n");
  assert_contains(sdp, "c=IN IP6 ff3e::8000:1234\r\n");
  assert_contains(sdp, "a=source-filter: incl IN IP6 ff3e::8000:1234 fd00::1\r\n");
  Sap ann1 = next_sap(*r, 1000);
  fail_unless_equals_int(ann1.bytes[0] & 0x10, 0x10);  // A: IPv6 origin
  assert_str_eq(ann1.packet.origin.to_string().c_str(), "fd00::1");
  assert_str_eq(std::string(ann1.packet.payload).c_str(), sdp.c_str());
  s.teardown();
  Sap del = next_sap(*r, 1000);
  fail_unless(del.packet.type == mctx::SapMessageType::deletion);
}
GST_END_TEST;

// An explicit announce-address.
MCTX_GST_TEST(test_sap_announce_address) {
  auto r = receiver("224.2.127.254", mctx::kSapPort, "lo");
  Sink s;
  g_object_set(s.element, "group", "239.255.0.1", "interface", "lo", "announce", TRUE,
               "announce-address", "224.2.127.254", nullptr);
  s.harness(kL16Caps);
  Sap ann1 = next_sap(*r, 1000);
  assert_str_eq(std::string(ann1.packet.payload).c_str(), sdp_of(s.element).c_str());
}
GST_END_TEST;

MCTX_GST_TEST(test_errors_name_the_property) {
  {
    Sink s;
    g_object_set(s.element, "group", "239.255.0.1", "interface", "lo", "announce", TRUE,
                 "announce-address", "192.0.2.7", nullptr);
    const std::string msg = start_error(s);
    assert_contains(msg, "announce-address '192.0.2.7' is not a multicast address");
  }
  {
    Sink s;
    g_object_set(s.element, "group", "239.255.0.1", "interface", "lo", "announce", TRUE,
                 "announce-address", "ff0e::2:7ffe", nullptr);
    assert_contains(start_error(s), "announce-address 'ff0e::2:7ffe' is not of the family");
  }
  {
    Sink s;
    g_object_set(s.element, "group", "239.255.0.1", "interface", "lo", "announce-address",
                 "not-an-address", nullptr);
    assert_contains(start_error(s), "announce-address 'not-an-address'");
  }
  {
    Sink s;
    g_object_set(s.element, "group", "239.255.0.1", "interface", "lo", "sdp-file",
                 "/nonexistent-mctx-dir/stream.sdp", nullptr);
    const std::string msg = start_error(s);
    assert_contains(msg, "sdp-file '/nonexistent-mctx-dir/stream.sdp'");
    assert_contains(msg, "/nonexistent-mctx-dir");
  }
  {
    Sink s;
    g_object_set(s.element, "group", "239.255.0.1", "interface", "lo", "session-name",
                 "two\nlines", nullptr);
    assert_contains(start_error(s), "session-name");
  }
}
GST_END_TEST;

// The properties are READY-only: refused while running.
MCTX_GST_TEST(test_mutable_ready) {
  Sink s;
  g_object_set(s.element, "group", "239.255.0.1", "interface", "lo", nullptr);
  s.harness(kL16Caps);
  g_object_set(s.element, "session-name", "changed", nullptr);
  gchar* name = nullptr;
  g_object_get(s.element, "session-name", &name, nullptr);
  assert_str_eq(name, "mctx stream");
  g_free(name);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-sdp", .netns = netns_veth(), .timeout = 60});
