#include "s3/sigv4.h"

#include <algorithm>
#include <ctime>

#include "crypto/crypto.h"

namespace tenantd::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Trimmed, with every run of blanks inside turned into one space.
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  bool blank = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

std::string Scope(const Credentials& creds, std::string_view amz_date) {
  std::string scope(amz_date.substr(0, 8));
  scope += '/';
  scope += creds.region;
  scope += '/';
  scope += creds.service;
  scope += "/aws4_request";
  return scope;
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (Unreserved(c) || (c == '/' && !encode_slash)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string AmzDate(base::TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string CanonicalQuery(const Params& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(UriEncode(name), UriEncode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view path, const Params& query,
                             const Params& headers, std::string_view payload_hash,
                             std::string* signed_headers) {
  // Lower-cased names, sorted; repeated names join their values with ','.
  std::vector<std::pair<std::string, std::string>> lowered;
  lowered.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    std::string n(name);
    std::transform(n.begin(), n.end(), n.begin(), Lower);
    lowered.emplace_back(std::move(n), CanonicalHeaderValue(value));
  }
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  std::string names;
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    if (i > 0 && lowered[i].first == lowered[i - 1].first) {
      canonical_headers.pop_back();  // the '\n' of the previous value
      canonical_headers += ',';
    } else {
      if (!names.empty()) names += ';';
      names += lowered[i].first;
      canonical_headers += lowered[i].first;
      canonical_headers += ':';
    }
    canonical_headers += lowered[i].second;
    canonical_headers += '\n';
  }
  std::string out(method);
  out += '\n';
  out += path.empty() ? std::string_view("/") : path;
  out += '\n';
  out += CanonicalQuery(query);
  out += '\n';
  out += canonical_headers;
  out += '\n';
  out += names;
  out += '\n';
  out += payload_hash;
  if (signed_headers != nullptr) *signed_headers = std::move(names);
  return out;
}

std::string SigningKey(const base::Secret& secret, std::string_view date8, std::string_view region,
                       std::string_view service) {
  std::string key = crypto::HmacSha256("AWS4" + secret.Reveal(), date8);
  key = crypto::HmacSha256(key, region);
  key = crypto::HmacSha256(key, service);
  return crypto::HmacSha256(key, "aws4_request");
}

std::string Signature(const Credentials& creds, std::string_view amz_date,
                      std::string_view canonical_request) {
  std::string to_sign(kAlgorithm);
  to_sign += '\n';
  to_sign += amz_date;
  to_sign += '\n';
  to_sign += Scope(creds, amz_date);
  to_sign += '\n';
  to_sign += crypto::Sha256Hex(canonical_request);
  const std::string key =
      SigningKey(creds.secret_access_key, amz_date.substr(0, 8), creds.region, creds.service);
  return crypto::HexEncode(crypto::HmacSha256(key, to_sign));
}

std::string Authorization(const Credentials& creds, std::string_view amz_date,
                          std::string_view method, std::string_view path, const Params& query,
                          const Params& headers, std::string_view payload_hash) {
  std::string signed_headers;
  const std::string canonical =
      CanonicalRequest(method, path, query, headers, payload_hash, &signed_headers);
  std::string out(kAlgorithm);
  out += " Credential=";
  out += creds.access_key_id;
  out += '/';
  out += Scope(creds, amz_date);
  out += ", SignedHeaders=";
  out += signed_headers;
  out += ", Signature=";
  out += Signature(creds, amz_date, canonical);
  return out;
}

void SignRequest(const Credentials& creds, base::TimePoint now, std::string_view method,
                 std::string_view path, const Params& query, std::string_view payload_hash,
                 Params& headers) {
  const std::string amz_date = AmzDate(now);
  headers.emplace_back("x-amz-date", amz_date);
  headers.emplace_back("x-amz-content-sha256", std::string(payload_hash));
  std::string authorization =
      Authorization(creds, amz_date, method, path, query, headers, payload_hash);
  headers.emplace_back("Authorization", std::move(authorization));
}

std::string PresignQuery(const Credentials& creds, base::TimePoint now, int64_t expires_seconds,
                         std::string_view method, std::string_view path, const Params& query,
                         const Params& headers) {
  const std::string amz_date = AmzDate(now);
  std::string signed_headers;
  CanonicalRequest(method, path, {}, headers, kUnsignedPayload, &signed_headers);
  Params all = query;
  all.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  all.emplace_back("X-Amz-Credential", creds.access_key_id + "/" + Scope(creds, amz_date));
  all.emplace_back("X-Amz-Date", amz_date);
  all.emplace_back("X-Amz-Expires", std::to_string(expires_seconds));
  all.emplace_back("X-Amz-SignedHeaders", signed_headers);
  const std::string canonical =
      CanonicalRequest(method, path, all, headers, kUnsignedPayload, nullptr);
  std::string out = CanonicalQuery(all);
  out += "&X-Amz-Signature=";
  out += Signature(creds, amz_date, canonical);
  return out;
}

}  // namespace tenantd::s3
