#include "mail/templates.h"

#include <string_view>
#include <utility>
#include <vector>

namespace tenantd::mail {
namespace {

using Values = std::vector<std::pair<std::string_view, std::string>>;

// Replaces each "{key}" of `tmpl` by its value, in one pass (a value is
// never scanned for keys itself). Unknown keys stay as written.
std::string Fill(std::string_view tmpl, const Values& values) {
  std::string out;
  out.reserve(tmpl.size() + 256);
  std::size_t i = 0;
  while (i < tmpl.size()) {
    const std::size_t open = tmpl.find('{', i);
    if (open == std::string_view::npos) break;
    const std::size_t close = tmpl.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(tmpl.substr(i, open - i));
    const std::string_view key = tmpl.substr(open + 1, close - open - 1);
    const std::string* value = nullptr;
    for (const auto& [k, v] : values) {
      if (k == key) value = &v;
    }
    if (value != nullptr) {
      out += *value;
    } else {
      out.append(tmpl.substr(open, close - open + 1));
    }
    i = close + 1;
  }
  out.append(tmpl.substr(std::min(i, tmpl.size())));
  return out;
}

// The same values HTML-escaped, for the HTML part.
Values Escaped(const Values& values) {
  Values out;
  for (const auto& [k, v] : values) out.emplace_back(k, EscapeHtml(v));
  return out;
}

// A subject is a header: names that reach it lose any control character
// (ValidateMessage would refuse the message otherwise).
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return s;
}

std::string Greeting(const std::string& name) {
  return name.empty() ? "Hello," : "Hello " + name + ",";
}

std::string Expiry(const std::string& expires_in) {
  return expires_in.empty() ? std::string() : "The link expires in " + expires_in + ".";
}

EmailContent Render(std::string subject, std::string_view text, std::string_view html,
                    Values values) {
  values.emplace_back("product", kProductName);
  values.emplace_back("subject", subject);
  EmailContent out;
  out.text = Fill(text, values);
  out.html = Fill(html, Escaped(values));
  out.subject = OneLine(std::move(subject));
  return out;
}

// The frame of every HTML part; {body} is already HTML.
constexpr std::string_view kHtmlFrame = R"(<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{subject}</title>
</head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
)";
constexpr std::string_view kHtmlEnd = R"(<p style="color: #666;">{product}</p>
</body>
</html>
)";

std::string Html(std::string_view body) {
  return std::string(kHtmlFrame) + std::string(body) + std::string(kHtmlEnd);
}

constexpr std::string_view kVerificationText = R"({greeting}

Please confirm the email address of your {product} account by opening this link:

{link}

{expiry} If you did not create a {product} account, you can ignore this email.

{product}
)";
constexpr std::string_view kVerificationHtml = R"(<p>{greeting}</p>
<p>Please confirm the email address of your {product} account.</p>
<p><a href="{link}">Confirm my email address</a></p>
<p>Or open this link: {link}</p>
<p>{expiry} If you did not create a {product} account, you can ignore this email.</p>
)";

constexpr std::string_view kPasswordResetText = R"({greeting}

Someone asked to reset the password of your {product} account. To choose a new password, open this link:

{link}

{expiry} If you did not ask for this, you can ignore this email: your password stays as it is.

{product}
)";
constexpr std::string_view kPasswordResetHtml = R"(<p>{greeting}</p>
<p>Someone asked to reset the password of your {product} account.</p>
<p><a href="{link}">Choose a new password</a></p>
<p>Or open this link: {link}</p>
<p>{expiry} If you did not ask for this, you can ignore this email: your password stays as it is.</p>
)";

constexpr std::string_view kInviteText = R"({greeting}

{inviter} invited you to join {tenant} on {product} as {role}. To accept, open this link:

{link}

{expiry} If you were not expecting this invitation, you can ignore this email.

{product}
)";
constexpr std::string_view kInviteHtml = R"(<p>{greeting}</p>
<p>{inviter} invited you to join <strong>{tenant}</strong> on {product} as <strong>{role}</strong>.</p>
<p><a href="{link}">Accept the invitation</a></p>
<p>Or open this link: {link}</p>
<p>{expiry} If you were not expecting this invitation, you can ignore this email.</p>
)";

constexpr std::string_view kSignupAttemptText = R"({greeting}

Someone tried to sign up for {product} with this email address, which already has an account. Nothing was changed.

If it was you, you can sign in with your password, or choose a new one with this link:

{link}

{expiry} If it was not you, you can ignore this email.

{product}
)";
constexpr std::string_view kSignupAttemptHtml = R"(<p>{greeting}</p>
<p>Someone tried to sign up for {product} with this email address, which already has an account. Nothing was changed.</p>
<p>If it was you, you can sign in with your password, or choose a new one:</p>
<p><a href="{link}">Reset my password</a></p>
<p>Or open this link: {link}</p>
<p>{expiry} If it was not you, you can ignore this email.</p>
)";

}  // namespace

std::string EscapeHtml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

EmailContent RenderVerification(const VerificationEmail& in) {
  return Render("Confirm your email address for " + std::string(kProductName), kVerificationText,
                Html(kVerificationHtml),
                {{"greeting", Greeting(in.recipient_name)},
                 {"link", in.link},
                 {"expiry", Expiry(in.expires_in)}});
}

EmailContent RenderPasswordReset(const PasswordResetEmail& in) {
  return Render("Reset your " + std::string(kProductName) + " password", kPasswordResetText,
                Html(kPasswordResetHtml),
                {{"greeting", Greeting(in.recipient_name)},
                 {"link", in.link},
                 {"expiry", Expiry(in.expires_in)}});
}

EmailContent RenderInvite(const InviteEmail& in) {
  const std::string inviter = in.inviter_name.empty() ? "Someone" : in.inviter_name;
  return Render(inviter + " invited you to " + in.tenant_name + " on " + kProductName, kInviteText,
                Html(kInviteHtml),
                {{"greeting", Greeting(in.recipient_name)},
                 {"inviter", inviter},
                 {"tenant", in.tenant_name},
                 {"role", in.role},
                 {"link", in.link},
                 {"expiry", Expiry(in.expires_in)}});
}

EmailContent RenderSignupAttempt(const SignupAttemptEmail& in) {
  return Render("Someone tried to sign up with your email address", kSignupAttemptText,
                Html(kSignupAttemptHtml),
                {{"greeting", Greeting(in.recipient_name)},
                 {"link", in.reset_link},
                 {"expiry", Expiry(in.expires_in)}});
}

}  // namespace tenantd::mail
