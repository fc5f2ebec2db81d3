// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-driad-lookup SOURCE...: lookup_amt_relays() for each source with the
// system resolver, one JSON line per source (for driad_named.py):
//   {"source": S, "query": NAME, "records": N, "no_relay": B,
//    "skipped": [TEXT...], "relays": [{"record": "10 0 1 203.0.113.15",
//    "addresses": [A...], "problem": TEXT}...]}
//   {"source": S, "error": TEXT, "code": "amt_dns_failed"}

#include <cstdio>
#include <string>

#include "mctx/amt_driad.hpp"

namespace {

std::string json(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mctx-driad-lookup SOURCE...\n");
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    auto source = mctx::IpAddress::parse(argv[i]);
    if (!source) {
      std::fprintf(stderr, "%s\n", source.error().message.c_str());
      return 2;
    }
    std::string line = "{\"source\": " + json(argv[i]);
    auto r = mctx::lookup_amt_relays(*source);
    if (!r) {
      line += ", \"error\": " + json(r.error().message) +
              ", \"code\": " + json(mctx::errc_name(r.error().code)) + "}";
      std::printf("%s\n", line.c_str());
      continue;
    }
    line += ", \"query\": " + json(r->query_name) + ", \"records\": " + std::to_string(r->records) +
            ", \"no_relay\": " + (r->no_relay_record ? "true" : "false") + ", \"skipped\": [";
    for (std::size_t k = 0; k < r->skipped.size(); ++k) {
      line += (k ? ", " : "") + json(r->skipped[k]);
    }
    line += "], \"relays\": [";
    for (std::size_t k = 0; k < r->relays.size(); ++k) {
      const auto& c = r->relays[k];
      line += std::string(k ? ", " : "") + "{\"record\": " + json(c.record.to_string()) +
              ", \"addresses\": [";
      for (std::size_t a = 0; a < c.addresses.size(); ++a) {
        line += (a ? ", " : "") + json(c.addresses[a].to_string());
      }
      line += "], \"problem\": " + json(c.problem) + "}";
    }
    line += "]}";
    std::printf("%s\n", line.c_str());
  }
  return 0;
}
