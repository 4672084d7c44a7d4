// Delivering one email message: over SMTP (SmtpTransport) or, without SMTP
// configured, as a file (EmlDirectory). The durable outbox above decides
// what to do with each Outcome (api.md §11 "Email").
#pragma once

#include <string>

#include "mail/message.h"

namespace tenantd::mail {

enum class Outcome {
  kSent,    // accepted by the server (or written to disk)
  kRetry,   // temporary: SMTP 4xx, connection or TLS failure, timeout, disk error
  kFailed,  // permanent: SMTP 5xx, or a message that fails ValidateMessage
};

struct Delivery {
  Outcome outcome = Outcome::kFailed;
  // What happened, for logs and the admin email list: the server's reply
  // or the error. Never holds the SMTP password or the message body.
  std::string detail;
};

// Implementations are safe to call from several threads at once. Send
// blocks (network or disk I/O): call it on a worker thread, never on an
// event loop. Delivery is at least once: after kRetry the message may have
// arrived all the same (e.g. a timeout after the server took the data), so
// callers resend it unchanged, with the same Message-ID.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Delivery Send(const Message& m) = 0;
};

}  // namespace tenantd::mail
