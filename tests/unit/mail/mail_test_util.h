// Decoders and a sample message shared by the mail tests.
#pragma once

#include <string>
#include <string_view>

#include "base/time.h"
#include "mail/message.h"

namespace tenantd::mail::test {

inline Message SampleMessage() {
  Message m;
  m.message_id = "<0123456789abcdef@tenantd.example>";
  m.from = "tenantd <no-reply@example.com>";
  m.to = "Ada Lovelace <ada@example.org>";
  m.subject = "Confirm your email address";
  m.text = "Hello Ada,\n\nOpen this link:\n\nhttps://app.example/auth/verify?token=abc_DEF-123\n";
  m.html =
      "<p>Hello Ada,</p>\n<p><a href=\"https://app.example/auth/verify?token=abc_DEF-123\">"
      "Confirm</a></p>\n";
  m.date = *base::FromUnixSeconds(1796385600);  // 2026-12-04T12:00:00Z
  return m;
}

inline std::string DecodeBase64(std::string_view in) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+') v = 62;
    if (c == '/') v = 63;
    if (v < 0) continue;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

// RFC 2045 §6.7 decoding: "=XX" escapes and "=\r\n" soft breaks.
inline std::string DecodeQuotedPrintable(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out += in[i];
    } else if (in.substr(i + 1, 2) == "\r\n") {
      i += 2;
    } else {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

}  // namespace tenantd::mail::test
