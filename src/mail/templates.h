// The texts of tenantd's four emails (api.md §11): verification, password
// reset, invite, and the notice of a sign-up attempt with an address that
// already has an account. Each returns the subject and both bodies; the
// caller builds the links (from TENANTD_PUBLIC_URL or TENANTD_AUTH_LINK_BASE)
// and the Message around them.
//
// Every value is interpolated as text: HTML-escaped in the HTML part (links
// too, inside href="..."), as is in the plain-text part. Names may be
// empty: the greeting then has no name.
#pragma once

#include <string>
#include <string_view>

namespace tenantd::mail {

struct EmailContent {
  std::string subject;
  std::string text;
  std::string html;
};

inline constexpr const char* kProductName = "tenantd";

struct VerificationEmail {
  std::string recipient_name;
  std::string link;        // {base}/auth/verify?token=…
  std::string expires_in;  // e.g. "24 hours"
};
EmailContent RenderVerification(const VerificationEmail& in);

struct PasswordResetEmail {
  std::string recipient_name;
  std::string link;        // {base}/auth/reset?token=…
  std::string expires_in;  // e.g. "1 hour"
};
EmailContent RenderPasswordReset(const PasswordResetEmail& in);

struct InviteEmail {
  std::string recipient_name;  // often unknown: ""
  std::string inviter_name;    // who invited; "" = not named
  std::string tenant_name;
  std::string role;        // e.g. "admin"
  std::string link;        // {base}/auth/invite?token=…
  std::string expires_in;  // e.g. "7 days"
};
EmailContent RenderInvite(const InviteEmail& in);

// Sent instead of a verification email when someone signs up with an
// address that already has an account (no account enumeration): the
// owner learns of it and gets a way back in.
struct SignupAttemptEmail {
  std::string recipient_name;
  std::string reset_link;  // {base}/auth/reset?token=…, or a page that asks for a reset
  std::string expires_in;  // of the reset link, e.g. "1 hour"
};
EmailContent RenderSignupAttempt(const SignupAttemptEmail& in);

// `s` with &, <, >, " and ' replaced by entities: safe in HTML text and in
// quoted attribute values.
std::string EscapeHtml(std::string_view s);

}  // namespace tenantd::mail
