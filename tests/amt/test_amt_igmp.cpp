// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// IGMPv3 / MLDv2 reports (checked field by field, checksums recomputed here
// independently) and the query parser (QRV, QQIC, Max Resp Code, every
// error).

#include <gtest/gtest.h>

#include <sstream>

#include "amt_test_util.hpp"

using namespace mctx;
using namespace amt_test;

namespace {

Bytes report(Family f, const IpAddress& src, std::span<const MembershipRecord> recs) {
  Bytes out(membership_report_size(f, recs));
  auto n = build_membership_report(f, src, recs, std::as_writable_bytes(std::span(out)));
  EXPECT_TRUE(n) << (n ? "" : n.error().message());
  if (n) {
    EXPECT_EQ(*n, out.size());
  }
  return out;
}

AmtError query_error(const Bytes& b) {
  auto r = parse_membership_query(S(b));
  EXPECT_FALSE(r);
  return r ? AmtError{} : r.error();
}

}  // namespace

TEST(AmtReport, RecordsForJoinAndLeave) {
  const AmtGroup ssm{ip("232.1.1.1"), ip("192.0.2.5")};
  const AmtGroup asm_{ip("239.1.1.1"), std::nullopt};
  auto j = join_record(ssm);
  EXPECT_EQ(j.type, RecordType::mode_is_include);
  ASSERT_EQ(j.sources.size(), 1u);
  EXPECT_EQ(j.sources[0], ip("192.0.2.5"));
  EXPECT_EQ(join_record(asm_).type, RecordType::mode_is_exclude);
  EXPECT_TRUE(join_record(asm_).sources.empty());
  EXPECT_EQ(leave_record(ssm).type, RecordType::block_old_sources);
  EXPECT_EQ(leave_record(ssm).sources.size(), 1u);
  EXPECT_EQ(leave_record(asm_).type, RecordType::change_to_include);
  EXPECT_TRUE(leave_record(asm_).sources.empty());
  EXPECT_EQ(ssm.to_string(), "(192.0.2.5, 232.1.1.1)");
  EXPECT_EQ(asm_.to_string(), "(*, 239.1.1.1)");
}

TEST(AmtReport, Igmpv3FieldByField) {
  const IpAddress sources[] = {ip("192.0.2.5"), ip("192.0.2.6")};
  const MembershipRecord recs[] = {
      {RecordType::allow_new_sources, ip("232.1.1.1"), sources},
      {RecordType::mode_is_exclude, ip("239.1.1.1"), {}},
  };
  const Bytes b = report(Family::ipv4, ip("0.0.0.0"), recs);
  // IPv4 header with Router Alert.
  ASSERT_EQ(b.size(), 24u + 8 + (8 + 8) + 8);
  EXPECT_EQ(b[0], 0x46);  // version 4, IHL 6
  EXPECT_EQ(b[1], 0xc0);  // Internetwork Control
  EXPECT_EQ(get16(b, 2), b.size());
  EXPECT_EQ(get16(b, 6), 0);  // no fragmentation flags
  EXPECT_EQ(b[8], 1);         // TTL 1
  EXPECT_EQ(b[9], 2);         // IGMP
  EXPECT_EQ(Bytes(b.begin() + 12, b.begin() + 16), (Bytes{0, 0, 0, 0}));
  EXPECT_EQ(Bytes(b.begin() + 16, b.begin() + 20), (Bytes{224, 0, 0, 22}));
  EXPECT_EQ(Bytes(b.begin() + 20, b.begin() + 24), (Bytes{0x94, 0x04, 0, 0}));
  EXPECT_EQ(ref_checksum(Bytes(b.begin(), b.begin() + 24)), 0) << "IPv4 header checksum";
  // IGMPv3 report.
  const Bytes igmp(b.begin() + 24, b.end());
  EXPECT_EQ(igmp[0], 0x22);
  EXPECT_EQ(igmp[1], 0);
  EXPECT_EQ(get16(igmp, 4), 0);
  EXPECT_EQ(get16(igmp, 6), 2);  // records
  EXPECT_EQ(ref_checksum(igmp), 0) << "IGMP checksum";
  Bytes zeroed = igmp;
  put16(zeroed, 2, 0);
  EXPECT_EQ(get16(igmp, 2), ref_checksum(zeroed));
  // Record 1: ALLOW_NEW_SOURCES, 2 sources.
  EXPECT_EQ(igmp[8], 5);
  EXPECT_EQ(igmp[9], 0);
  EXPECT_EQ(get16(igmp, 10), 2);
  EXPECT_EQ(Bytes(igmp.begin() + 12, igmp.begin() + 16), (Bytes{232, 1, 1, 1}));
  EXPECT_EQ(Bytes(igmp.begin() + 16, igmp.begin() + 24), (Bytes{192, 0, 2, 5, 192, 0, 2, 6}));
  // Record 2: MODE_IS_EXCLUDE {}.
  EXPECT_EQ(igmp[24], 2);
  EXPECT_EQ(get16(igmp, 26), 0);
  EXPECT_EQ(Bytes(igmp.begin() + 28, igmp.begin() + 32), (Bytes{239, 1, 1, 1}));
  // The raw validator agrees the datagram is sane (destination multicast,
  // lengths); its source 0.0.0.0 is what raw sending refuses, so only the
  // checks before the source are expected to pass.
  auto v = validate_raw_datagram(S(b));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::raw_source_unspecified);
}

TEST(AmtReport, Mldv2FieldByFieldWithPseudoHeaderChecksum) {
  const IpAddress src = ip("fe80::1");
  const IpAddress sources[] = {ip("2001:db8::5")};
  const MembershipRecord recs[] = {
      {RecordType::mode_is_include, ip("ff3e::8000:1"), sources},
      {RecordType::change_to_include, ip("ff0e::1234"), {}},
  };
  const Bytes b = report(Family::ipv6, src, recs);
  ASSERT_EQ(b.size(), 40u + 8 + 8 + (20 + 16) + 20);
  EXPECT_EQ(b[0] >> 4, 6);
  EXPECT_EQ(get16(b, 4), b.size() - 40);  // payload length
  EXPECT_EQ(b[6], 0);                     // Hop-by-Hop
  EXPECT_EQ(b[7], 1);                     // hop limit
  EXPECT_EQ(Bytes(b.begin() + 8, b.begin() + 24), addr_bytes(src));
  EXPECT_EQ(Bytes(b.begin() + 24, b.begin() + 40), addr_bytes(ip("ff02::16")));
  EXPECT_EQ(Bytes(b.begin() + 40, b.begin() + 48), (Bytes{58, 0, 5, 2, 0, 0, 1, 0}));
  const Bytes mld(b.begin() + 48, b.end());
  EXPECT_EQ(mld[0], 143);
  EXPECT_EQ(mld[1], 0);
  EXPECT_EQ(get16(mld, 6), 2);
  EXPECT_EQ(ref_icmpv6_checksum(addr_bytes(src), addr_bytes(ip("ff02::16")), mld), 0);
  EXPECT_EQ(mld[8], 1);  // MODE_IS_INCLUDE
  EXPECT_EQ(get16(mld, 10), 1);
  EXPECT_EQ(Bytes(mld.begin() + 12, mld.begin() + 28), addr_bytes(ip("ff3e::8000:1")));
  EXPECT_EQ(Bytes(mld.begin() + 28, mld.begin() + 44), addr_bytes(ip("2001:db8::5")));
  EXPECT_EQ(mld[44], 3);  // TO_INCLUDE
  EXPECT_EQ(get16(mld, 46), 0);
  EXPECT_EQ(Bytes(mld.begin() + 48, mld.begin() + 64), addr_bytes(ip("ff0e::1234")));
}

TEST(AmtReport, Errors) {
  const IpAddress v6src[] = {ip("2001:db8::5")};
  const MembershipRecord mixed[] = {{RecordType::mode_is_include, ip("232.1.1.1"), v6src}};
  std::array<std::byte, 256> buf{};
  auto r = build_membership_report(Family::ipv4, ip("0.0.0.0"), mixed, buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, AmtErrc::bad_record);
  EXPECT_EQ(r.error().value, 0u);
  EXPECT_NE(r.error().message().find("membership record 0"), std::string::npos);

  const MembershipRecord unicast[] = {{RecordType::mode_is_exclude, ip("192.0.2.1"), {}}};
  EXPECT_EQ(build_membership_report(Family::ipv4, ip("0.0.0.0"), unicast, buf).error().code,
            AmtErrc::bad_record);
  const MembershipRecord ok[] = {{RecordType::mode_is_exclude, ip("239.1.1.1"), {}}};
  EXPECT_EQ(build_membership_report(Family::ipv4, ip("::"), ok, buf).error().code,
            AmtErrc::bad_record);
  auto small = build_membership_report(Family::ipv4, ip("0.0.0.0"), ok,
                                       std::span(buf).first(membership_report_size(Family::ipv4, ok) - 1));
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().code, AmtErrc::buffer_too_small);
}

TEST(AmtQuery, CodesLinearAndExponential) {
  EXPECT_EQ(decode_code8(0), 0u);
  EXPECT_EQ(decode_code8(125), 125u);
  EXPECT_EQ(decode_code8(127), 127u);
  EXPECT_EQ(decode_code8(0x80), 128u);                  // (0|0x10) << 3
  EXPECT_EQ(decode_code8(0x8a), (0x1au) << 3);         // exp 0, mant 10
  EXPECT_EQ(decode_code8(0x9f), (0x1fu) << 4);         // exp 1, mant 15
  EXPECT_EQ(decode_code8(0xff), 31744u);               // (0x1f) << 10
  EXPECT_EQ(decode_code16(32767), 32767u);
  EXPECT_EQ(decode_code16(0x8000), 0x1000u << 3);
  EXPECT_EQ(decode_code16(0xffff), 0x1fffu << 10);
}

// Every field of the query q parses as, in one line (or why it was refused).
std::string query_summary(const Bytes& q) {
  auto r = parse_membership_query(S(q));
  if (!r) return "refused: " + r.error().message();
  std::ostringstream o;
  o << (r->family == Family::ipv4 ? "IGMPv3 " : "MLDv2 ") << r->source.to_string() << " -> "
    << r->group.to_string() << " qrv=" << int{r->qrv} << " qqic=" << int{r->qqic}
    << " interval=" << r->query_interval_ms << "ms response=" << r->max_response_ms
    << "ms sources=" << r->number_of_sources << " suppress=" << r->suppress;
  return o.str();
}

TEST(AmtQuery, Igmpv3GeneralQuery) {
  // QQIC 0x8a: 0x1a << 3 = 208 s; Max Resp Code 0x9f: 0x1f << 4 = 496 tenths.
  EXPECT_EQ(query_summary(igmp_query(3, 0x8a, 0x9f, "192.0.2.1")),
            "IGMPv3 192.0.2.1 -> 0.0.0.0 qrv=3 qqic=138 interval=208000ms response=49600ms "
            "sources=0 suppress=0");
  // Linear codes.
  EXPECT_EQ(query_summary(igmp_query(2, 60, 100)),
            "IGMPv3 192.0.2.1 -> 0.0.0.0 qrv=2 qqic=60 interval=60000ms response=10000ms "
            "sources=0 suppress=0");
  EXPECT_EQ(
      query_summary(igmp_query(2, 125, 10, "192.0.2.1", "232.1.1.1", {"192.0.2.5", "192.0.2.6"})),
      "IGMPv3 192.0.2.1 -> 232.1.1.1 qrv=2 qqic=125 interval=125000ms response=1000ms "
      "sources=2 suppress=0");
}

TEST(AmtQuery, Mldv2GeneralQuery) {
  // QQIC 0x81: 0x11 << 3 = 136 s; Max Resp Code 0x8001: 0x1001 << 3 ms.
  EXPECT_EQ(query_summary(mld_query(2, 0x81, 0x8001, "fe80::1")),
            "MLDv2 fe80::1 -> :: qrv=2 qqic=129 interval=136000ms response=32776ms sources=0 "
            "suppress=0");
  EXPECT_EQ(query_summary(mld_query(2, 125, 10000)),
            "MLDv2 fe80::1 -> :: qrv=2 qqic=125 interval=125000ms response=10000ms sources=0 "
            "suppress=0");
}

TEST(AmtQueryErrors, Igmp) {
  EXPECT_EQ(query_error({}).code, AmtErrc::empty_datagram);
  EXPECT_EQ(query_error({0x70, 0, 0, 0}).code, AmtErrc::inner_bad_version);
  const Bytes good = igmp_query();

  auto e = query_error(Bytes(good.begin(), good.begin() + 19));
  EXPECT_EQ(e.code, AmtErrc::inner_bad_length);

  Bytes b = good;
  b[0] = 0x44;  // IHL 4
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_header_length);
  EXPECT_EQ(e.value, 16u);

  b = good;
  put16(b, 2, static_cast<uint16_t>(good.size() + 1));
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_length);
  EXPECT_EQ(e.value, good.size() + 1);
  EXPECT_EQ(e.expected, good.size());

  b = good;
  const uint16_t right = get16(b, 10);
  put16(b, 10, static_cast<uint16_t>(right ^ 0x0101));
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_checksum);
  EXPECT_EQ(e.value, right ^ 0x0101u);
  EXPECT_EQ(e.expected, right);
  EXPECT_NE(e.message().find("checksum"), std::string::npos);

  auto with_ip_fixed = [](Bytes x) {
    put16(x, 10, 0);
    put16(x, 10, ref_checksum(Bytes(x.begin(), x.begin() + 24)));
    return x;
  };
  b = good;
  b[9] = 17;
  e = query_error(with_ip_fixed(b));
  EXPECT_EQ(e.code, AmtErrc::inner_bad_protocol);
  EXPECT_EQ(e.value, 17u);
  EXPECT_EQ(e.expected, 2u);

  // IGMP part: type, IGMPv2 length, checksum, source count.
  b = good;
  b[24] = 0x16;  // v2 report
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_type);
  EXPECT_EQ(e.value, 0x16u);

  b = Bytes(good.begin(), good.begin() + 24 + 8);  // IGMPv2 query length
  put16(b, 2, static_cast<uint16_t>(b.size()));
  e = query_error(with_ip_fixed(b));
  EXPECT_EQ(e.code, AmtErrc::inner_not_v3);

  b = Bytes(good.begin(), good.begin() + 24 + 6);
  put16(b, 2, static_cast<uint16_t>(b.size()));
  e = query_error(with_ip_fixed(b));
  EXPECT_EQ(e.code, AmtErrc::inner_bad_message);

  b = good;
  b[24 + 9] ^= 0x01;  // QQIC changed, checksum not
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_message_checksum);
  EXPECT_EQ(e.offset, 26u);

  b = good;
  b[24 + 11] = 1;  // one source announced, none there
  Bytes igmp(b.begin() + 24, b.end());
  put16(igmp, 2, 0);
  put16(igmp, 2, ref_checksum(igmp));
  b = cat(Bytes(b.begin(), b.begin() + 24), igmp);
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_message);
  EXPECT_EQ(e.expected, 16u);
}

TEST(AmtQueryErrors, Mld) {
  const Bytes good = mld_query();
  auto e = query_error(Bytes(good.begin(), good.begin() + 39));
  EXPECT_EQ(e.code, AmtErrc::inner_bad_length);

  Bytes b = good;
  put16(b, 4, static_cast<uint16_t>(get16(b, 4) - 1));
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_length);

  b = good;
  b[40] = 17;  // Hop-by-Hop's next header: UDP
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_protocol);
  EXPECT_EQ(e.value, 17u);
  EXPECT_EQ(e.expected, 58u);

  b = good;
  b[41] = 9;  // Hop-by-Hop claims 80 bytes
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_length);

  b = good;
  b[48] = 131;  // MLDv1 report
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_type);
  EXPECT_EQ(e.expected, 130u);

  // MLDv1 query: 24 bytes.
  {
    Bytes mld(good.begin() + 48, good.begin() + 48 + 24);
    put16(mld, 2, 0);
    put16(mld, 2, ref_icmpv6_checksum(Bytes(good.begin() + 8, good.begin() + 24),
                                      Bytes(good.begin() + 24, good.begin() + 40), mld));
    Bytes v1 = cat(Bytes(good.begin(), good.begin() + 48), mld);
    put16(v1, 4, static_cast<uint16_t>(v1.size() - 40));
    e = query_error(v1);
    EXPECT_EQ(e.code, AmtErrc::inner_not_v3);
  }

  b = good;
  b[48 + 25] ^= 0x10;  // QQIC changed, checksum not
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_message_checksum);

  // The checksum covers the pseudo-header: another destination breaks it.
  b = good;
  b[39] = 2;  // ff02::2
  e = query_error(b);
  EXPECT_EQ(e.code, AmtErrc::inner_bad_message_checksum);
}
