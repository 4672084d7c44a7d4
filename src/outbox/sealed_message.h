// How an outbox message is kept at rest (api.md §11: bodies carry tokens,
// so they are stored only encrypted under the master key).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "crypto/secret_box.h"
#include "mail/message.h"

namespace tenantd::outbox {

// The message's fields (Message-ID and Date included) as JSON, sealed with
// aad "email_outbox:<outbox_id>:body": a body cannot be moved to another
// row. With the same fields mail::FormatMessage writes the same bytes, so
// every attempt sends the same message.
std::string SealMessage(const crypto::SecretBox& box, std::string_view outbox_id,
                        const mail::Message& m);

// The message SealMessage sealed for `outbox_id`. kInternal when it cannot
// be opened (another master key, tampering, another row) or is malformed.
base::Result<mail::Message> OpenMessage(const crypto::SecretBox& box, std::string_view outbox_id,
                                        std::string_view sealed);

}  // namespace tenantd::outbox
