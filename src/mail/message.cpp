#include "mail/message.h"

#include <array>

#include "base/text.h"
#include "crypto/crypto.h"

namespace tenantd::mail {
namespace {

constexpr std::string_view kCrlf = "\r\n";
// RFC 2045 §6.7 (5): encoded lines are at most 76 characters.
constexpr std::size_t kMaxQpLine = 76;
// Bytes of UTF-8 per RFC 2047 encoded word: 42 bytes are 56 base64
// characters, a 68-character word, so "Subject: " + word stays within
// RFC 5322's 78 (and far within the hard limit of 998).
constexpr std::size_t kEncodedWordBytes = 42;
constexpr std::size_t kMaxDisplayNameBytes = 200;
constexpr std::size_t kMaxSubjectBytes = 500;
constexpr std::size_t kMaxAddressBytes = 254;  // RFC 5321 §4.5.3.1.3 path, less brackets

base::Error Invalid(std::string field, std::string why) {
  base::Error e = base::InvalidArgument("invalid_email", "invalid " + field + ": " + why);
  e.field_errors.push_back({std::move(field), std::move(why)});
  return e;
}

// C0 controls (CR and LF among them) and DEL: what could end a header line
// early or forge one.
bool HasControl(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

bool IsPlainAscii(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return false;
  }
  return true;
}

// Header text with any control character replaced by a space: the last
// line of defence against header injection when ValidateMessage was not
// called.
std::string Flatten(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = ' ';
  }
  return out;
}

// RFC 5322 "specials" plus space-free atext check for the local part and
// domain of a plausible address. Non-ASCII addresses would need SMTPUTF8,
// which tenantd does not use.
bool IsAddressChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7F) return false;
  switch (c) {
    case '<':
    case '>':
    case '(':
    case ')':
    case '[':
    case ']':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
      return false;
    default:
      return true;
  }
}

struct Mailbox {
  std::string display_name;  // unquoted, may be empty
  std::string address;
};

// "Name <a@b>", "\"Name, Jr.\" <a@b>", "<a@b>" or "a@b".
base::Result<Mailbox> ParseMailbox(std::string_view field, std::string_view value) {
  if (HasControl(value)) return Invalid(std::string(field), "must not contain control characters");
  value = base::TrimAsciiSpace(value);
  Mailbox box;
  std::string_view address = value;
  if (value.ends_with('>')) {
    const std::size_t open = value.rfind('<');
    if (open == std::string_view::npos) return Invalid(std::string(field), "unbalanced '>'");
    address = value.substr(open + 1, value.size() - open - 2);
    std::string_view name = base::TrimAsciiSpace(value.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
      for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\' && i + 1 < name.size()) ++i;
        box.display_name += name[i];
      }
    } else {
      box.display_name = std::string(name);
    }
    if (!box.display_name.empty()) {
      if (const auto bad = base::CheckName(box.display_name, kMaxDisplayNameBytes)) {
        return Invalid(std::string(field), "display name: " + bad->message);
      }
    }
  }
  const std::size_t at = address.find('@');
  if (address.empty() || address.size() > kMaxAddressBytes || at == std::string_view::npos ||
      at == 0 || at + 1 == address.size() || address.find('@', at + 1) != std::string_view::npos) {
    return Invalid(std::string(field), "must hold one address local@domain");
  }
  for (const char c : address) {
    if (c != '@' && !IsAddressChar(c)) {
      return Invalid(std::string(field), "the address holds a character that is not allowed");
    }
  }
  box.address = std::string(address);
  return box;
}

// The UTF-8 sequence length announced by a lead byte (1 for anything else,
// so malformed input still advances).
std::size_t SequenceLength(unsigned char lead) {
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

std::string Base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                       (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const std::size_t rest = data.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// RFC 2047 "B" encoded words, folded onto continuation lines. A word never
// splits a UTF-8 sequence (§5: each word must decode on its own).
std::string EncodedWords(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    while (end < text.size()) {
      const std::size_t next =
          std::min(text.size(), end + SequenceLength(static_cast<unsigned char>(text[end])));
      if (next - start > kEncodedWordBytes) break;
      end = next;
    }
    if (end == start) end = std::min(text.size(), start + kEncodedWordBytes);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

// A header value that is shown to people (Subject, display names): as is
// when it is short printable ASCII that cannot be mistaken for an encoded
// word, else encoded words.
std::string HeaderText(std::string_view text, std::size_t room) {
  if (IsPlainAscii(text) && text.size() <= room && text.find("=?") == std::string_view::npos) {
    return std::string(text);
  }
  return EncodedWords(text);
}

std::string FormatMailbox(std::string_view value) {
  const auto box = ParseMailbox("address", value);
  if (!box) return Flatten(value);  // unvalidated input: sent as is, on one line
  if (box->display_name.empty()) return box->address;
  std::string name;
  if (!IsPlainAscii(box->display_name) || box->display_name.find("=?") != std::string::npos) {
    name = EncodedWords(box->display_name);
  } else if (box->display_name.find_first_of("()<>[]:;@\\,.\"") != std::string::npos) {
    name = "\"";
    for (const char c : box->display_name) {
      if (c == '"' || c == '\\') name += '\\';
      name += c;
    }
    name += '"';
  } else {
    name = box->display_name;
  }
  return name + " <" + box->address + ">";
}

// RFC 5322 §3.3 date-time; IMF-fixdate is the same shape with "GMT" for
// the obsolete zone, which RFC 5322 asks generators to write as "+0000".
std::string FormatDate(base::TimePoint date) {
  std::string text = base::FormatImfFixdate(date);
  if (text.ends_with(" GMT")) text.replace(text.size() - 3, 3, "+0000");
  return text;
}

// Quoted-printable (RFC 2045 §6.7) of UTF-8 text with hard line breaks at
// each "\n" (a preceding "\r" is dropped). Beyond the RFC: a '.' starting a
// line is encoded, so no line ever reads as SMTP's end of data.
std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t line_start = 0;
  while (line_start <= text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    const bool last = line_end == std::string_view::npos;
    if (last) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    std::size_t width = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto u = static_cast<unsigned char>(line[i]);
      const bool at_end = i + 1 == line.size();
      const bool literal =
          (u >= 33 && u <= 126 && u != '=') || ((u == ' ' || u == '\t') && !at_end);
      const std::size_t token = literal ? 1 : 3;
      // Room for the token and the '=' of a soft break (unless it ends the line).
      if (width + token + (at_end ? 0 : 1) > kMaxQpLine) {
        out += "=\r\n";
        width = 0;
      }
      if (literal && !(u == '.' && width == 0)) {
        out += static_cast<char>(u);
        width += 1;
      } else {
        out += '=';
        out += kHex[u >> 4];
        out += kHex[u & 15];
        width += 3;
      }
    }
    if (last) break;
    out += kCrlf;
    line_start = line_end + 1;
  }
  return out;
}

}  // namespace

base::Result<std::string> BareAddress(std::string_view value) {
  TENANTD_TRY(Mailbox box, ParseMailbox("address", value));
  return std::move(box.address);
}

base::Status ValidateMessage(const Message& m) {
  const std::string_view id = m.message_id;
  if (id.size() < 5 || id.size() > 250 || id.front() != '<' || id.back() != '>' ||
      id.find('@') == std::string_view::npos) {
    return Invalid("message_id", "must look like <local@domain>");
  }
  for (const char c : id.substr(1, id.size() - 2)) {
    if (!IsAddressChar(c)) return Invalid("message_id", "holds a character that is not allowed");
  }
  TENANTD_RETURN_IF_ERROR(ParseMailbox("from", m.from));
  TENANTD_RETURN_IF_ERROR(ParseMailbox("to", m.to));
  if (HasControl(m.subject)) return Invalid("subject", "must not contain control characters");
  if (const auto bad = base::CheckName(m.subject, kMaxSubjectBytes)) {
    return Invalid("subject", bad->message);
  }
  return {};
}

std::string FormatMessage(const Message& m) {
  // Stable for the same message, and never inside a quoted-printable body:
  // "=_" is not a valid QP sequence (RFC 2045 §5.1 suggests this trick).
  const std::string boundary = "=_tenantd_" + crypto::Sha256Hex(m.message_id).substr(0, 32);
  std::string out;
  out.reserve(1024 + m.text.size() * 2 + m.html.size() * 2);
  const auto header = [&](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append(kCrlf);
  };
  header("Date", FormatDate(m.date));
  header("From", FormatMailbox(m.from));
  header("To", FormatMailbox(m.to));
  header("Subject", HeaderText(Flatten(m.subject), 78 - std::string_view("Subject: ").size()));
  header("Message-ID", Flatten(m.message_id));
  header("MIME-Version", "1.0");
  // RFC 3834: machine-sent, so vacation responders stay quiet.
  header("Auto-Submitted", "auto-generated");
  header("Content-Type", "multipart/alternative;\r\n boundary=\"" + boundary + "\"");
  out += kCrlf;
  const auto part = [&](std::string_view type, std::string_view body) {
    out.append("--").append(boundary).append(kCrlf);
    header("Content-Type", std::string(type) + "; charset=utf-8");
    header("Content-Transfer-Encoding", "quoted-printable");
    out += kCrlf;
    out += QuotedPrintable(body);
    out += kCrlf;
  };
  part("text/plain", m.text);
  part("text/html", m.html);
  out.append("--").append(boundary).append("--").append(kCrlf);
  return out;
}

}  // namespace tenantd::mail
