#include "outbox/sealed_message.h"

#include <boost/json.hpp>

namespace tenantd::outbox {
namespace {

std::string Aad(std::string_view outbox_id) {
  return "email_outbox:" + std::string(outbox_id) + ":body";
}

}  // namespace

std::string SealMessage(const crypto::SecretBox& box, std::string_view outbox_id,
                        const mail::Message& m) {
  const boost::json::object fields{
      {"message_id", m.message_id},
      {"from", m.from},
      {"to", m.to},
      {"subject", m.subject},
      {"text", m.text},
      {"html", m.html},
      {"date", base::FormatRfc3339(m.date)},
  };
  return box.Seal(boost::json::serialize(fields), Aad(outbox_id));
}

base::Result<mail::Message> OpenMessage(const crypto::SecretBox& box, std::string_view outbox_id,
                                        std::string_view sealed) {
  TENANTD_TRY(base::Secret plain, box.Open(sealed, Aad(outbox_id)));
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(plain.Reveal(), ec);
  const boost::json::object* fields = ec ? nullptr : parsed.if_object();
  if (fields == nullptr)
    return base::Internal("outbox: malformed body of " + std::string(outbox_id));
  mail::Message m;
  const auto text = [fields](std::string_view key, std::string& out) {
    const boost::json::value* v = fields->if_contains(key);
    if (v == nullptr || !v->is_string()) return false;
    out = std::string(v->get_string());
    return true;
  };
  std::string date;
  if (!text("message_id", m.message_id) || !text("from", m.from) || !text("to", m.to) ||
      !text("subject", m.subject) || !text("text", m.text) || !text("html", m.html) ||
      !text("date", date)) {
    return base::Internal("outbox: malformed body of " + std::string(outbox_id));
  }
  const std::optional<base::TimePoint> at = base::ParseRfc3339(date);
  if (!at) return base::Internal("outbox: malformed date in the body of " + std::string(outbox_id));
  m.date = *at;
  return m;
}

}  // namespace tenantd::outbox
