#include "mail/templates.h"

#include <gtest/gtest.h>

#include <functional>

namespace tenantd::mail {
namespace {

constexpr const char* kEvil = "<script>alert(\"x\")</script> & 'co'";
constexpr const char* kEscaped =
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;";
constexpr const char* kLink = "https://app.example/auth/verify?token=abc&next=%2F";

struct Case {
  const char* name;
  std::function<EmailContent(const std::string& recipient, const std::string& link)> render;
};

const Case kCases[] = {
    {"verification",
     [](const std::string& name, const std::string& link) {
       return RenderVerification({name, link, "24 hours"});
     }},
    {"password reset",
     [](const std::string& name, const std::string& link) {
       return RenderPasswordReset({name, link, "1 hour"});
     }},
    {"invite",
     [](const std::string& name, const std::string& link) {
       return RenderInvite({name, "Grace", "Acme", "admin", link, "7 days"});
     }},
    {"sign-up attempt",
     [](const std::string& name, const std::string& link) {
       return RenderSignupAttempt({name, link, "1 hour"});
     }},
};

TEST(MailTemplates, PutTheLinkInBothParts) {
  for (const Case& c : kCases) {
    const EmailContent email = c.render("Ada", kLink);
    EXPECT_NE(email.text.find(kLink), std::string::npos) << c.name;
    // In HTML the '&' of the query is an entity, in href and in the text.
    const std::string html_link = "https://app.example/auth/verify?token=abc&amp;next=%2F";
    EXPECT_NE(email.html.find("href=\"" + html_link + "\""), std::string::npos) << c.name;
    EXPECT_NE(email.text.find("Hello Ada,"), std::string::npos) << c.name;
    EXPECT_NE(email.html.find("Hello Ada,"), std::string::npos) << c.name;
    EXPECT_FALSE(email.subject.empty()) << c.name;
    EXPECT_EQ(email.text.find('{'), std::string::npos) << c.name << ": unfilled placeholder";
    EXPECT_EQ(email.html.find('{'), std::string::npos) << c.name << ": unfilled placeholder";
  }
}

TEST(MailTemplates, EscapeEveryValueInTheHtmlPart) {
  for (const Case& c : kCases) {
    const EmailContent email = c.render(kEvil, std::string("https://x.example/?a=\"><script>"));
    EXPECT_EQ(email.html.find("<script>"), std::string::npos) << c.name << ":\n" << email.html;
    EXPECT_NE(email.html.find(kEscaped), std::string::npos) << c.name;
    EXPECT_EQ(email.html.find("href=\"https://x.example/?a=\">"), std::string::npos) << c.name;
    // The text part is not HTML: the name reads as written.
    EXPECT_NE(email.text.find(kEvil), std::string::npos) << c.name;
  }
}

TEST(MailTemplates, InviteNamesTenantRoleAndInviterEscaped) {
  const EmailContent email =
      RenderInvite({"", "Eve <eve@x>", "<b>Acme</b>", "admin", kLink, "7 days"});
  EXPECT_EQ(email.subject, "Eve <eve@x> invited you to <b>Acme</b> on tenantd");
  EXPECT_NE(email.text.find("Eve <eve@x> invited you to join <b>Acme</b> on tenantd as admin"),
            std::string::npos)
      << email.text;
  EXPECT_NE(email.html.find("Eve &lt;eve@x&gt; invited you to join <strong>&lt;b&gt;Acme&lt;/b&gt;"
                            "</strong> on tenantd as <strong>admin</strong>"),
            std::string::npos)
      << email.html;
  EXPECT_NE(email.text.find("Hello,\n"), std::string::npos);  // no name: no name in the greeting
  EXPECT_NE(email.text.find("The link expires in 7 days."), std::string::npos);
}

TEST(MailTemplates, SubjectsStayOnOneLine) {
  const EmailContent email = RenderInvite({"", "Eve\r\nBcc: x@y", "Acme\n", "admin", kLink, ""});
  EXPECT_EQ(email.subject.find_first_of("\r\n"), std::string::npos) << email.subject;
}

TEST(MailTemplates, EscapeHtmlEscapesTheFiveCharacters) {
  EXPECT_EQ(EscapeHtml("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(EscapeHtml("plain ü"), "plain ü");
}

}  // namespace
}  // namespace tenantd::mail
