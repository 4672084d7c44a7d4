// One email message and its RFC 5322 / MIME text (api.md §11 "Email").
//
// The outbox rebuilds a Message from its stored fields on every attempt;
// with the same fields FormatMessage writes the same bytes, so a retried
// delivery is the same message (same Message-ID, Date and boundary).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"

namespace tenantd::mail {

struct Message {
  std::string message_id;  // "<local@domain>", stable across retries, set by the caller
  std::string from;        // "tenantd <no-reply@example.com>" or a bare address
  std::string to;          // one address, same forms as `from`
  std::string subject;     // UTF-8; RFC 2047-encoded when not plain short ASCII
  std::string text;        // plain-text body (UTF-8; "\n" or "\r\n" line ends)
  std::string html;        // HTML body (UTF-8)
  base::TimePoint date;
};

// Whether `m` can be formatted and sent: message_id of the form
// "<local@domain>", from and to each one valid address (optionally with a
// display name), and no control characters (CR, LF, NUL, ...) in any
// header field, so no header can be injected. kInvalidArgument
// "invalid_email" naming the field otherwise. Retrying an invalid message
// cannot help: transports answer Outcome::kFailed for it.
base::Status ValidateMessage(const Message& m);

// The message as RFC 5322 text: Date, From, To, Subject, Message-ID,
// MIME-Version, Auto-Submitted, then a multipart/alternative body (text,
// then html), both parts UTF-8 quoted-printable. CRLF line ends, every line
// at most 78 characters (bodies 76), 7-bit only. Call ValidateMessage
// first; as a second line of defence, control characters left in header
// fields are replaced by spaces here.
std::string FormatMessage(const Message& m);

// The bare address of a From/To value, for the SMTP envelope:
// "Name <a@b.example>" -> "a@b.example", " a@b.example " -> "a@b.example".
// kInvalidArgument "invalid_email" when there is no single plausible
// address (no '@', spaces, control characters, angle brackets left over).
base::Result<std::string> BareAddress(std::string_view value);

}  // namespace tenantd::mail
