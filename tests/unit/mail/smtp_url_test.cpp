#include <gtest/gtest.h>

#include "mail/smtp_transport.h"

namespace tenantd::mail {
namespace {

TEST(SmtpUrl, ParsesUserPasswordHostAndPort) {
  const auto url = ParseSmtpUrl("smtp://mailer%40example.com:p%40ss:w/rd@smtp.example.com:2525");
  ASSERT_TRUE(url) << url.error().public_message;
  EXPECT_FALSE(url->implicit_tls);
  EXPECT_EQ(url->host, "smtp.example.com");
  EXPECT_EQ(url->port, 2525);
  EXPECT_EQ(url->user, "mailer@example.com");
  EXPECT_EQ(url->password.Reveal(), "p@ss:w/rd");
  EXPECT_EQ(url->Masked(), "smtp://mailer@example.com:***@smtp.example.com:2525");
}

TEST(SmtpUrl, DefaultsToSubmissionAndSmtpsPorts) {
  const auto plain = ParseSmtpUrl("smtp://smtp.example.com");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 587);
  EXPECT_TRUE(plain->user.empty());
  EXPECT_EQ(plain->Masked(), "smtp://smtp.example.com:587");
  const auto tls = ParseSmtpUrl("smtps://user@smtp.example.com/");
  ASSERT_TRUE(tls);
  EXPECT_TRUE(tls->implicit_tls);
  EXPECT_EQ(tls->port, 465);
  EXPECT_EQ(tls->user, "user");
  EXPECT_TRUE(tls->password.empty());
  EXPECT_EQ(tls->Masked(), "smtps://user@smtp.example.com:465");
}

TEST(SmtpUrl, AcceptsIpLiterals) {
  const auto v6 = ParseSmtpUrl("smtp://[::1]:25");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->port, 25);
  const auto v4 = ParseSmtpUrl("smtps://127.0.0.1:4650");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
}

TEST(SmtpUrl, RefusesMalformedUrlsWithoutEchoingThePassword) {
  constexpr const char* kPassword = "s3cret-PW";
  for (const char* bad : {
           "http://u:s3cret-PW@smtp.example.com",
           "SMTP://u:s3cret-PW@smtp.example.com",
           "smtp://u:s3cret-PW@",
           "smtp://u:s3cret-PW@:587",
           "smtp://u:s3cret-PW@smtp.example.com:0",
           "smtp://u:s3cret-PW@smtp.example.com:65536",
           "smtp://u:s3cret-PW@smtp.example.com:abc",
           "smtp://u:s3cret-PW@smtp.example.com:",
           "smtp://u:s3cret-PW@smtp.example.com:587/path",
           "smtp://u:s3cret-PW@smtp.example.com:587?x=1",
           "smtp://u:s3cret-PW%zz@smtp.example.com",
           "smtp://:s3cret-PW@smtp.example.com",
           "smtp://u:s3cret-PW@[::1",
           "smtp://u:s3cret-PW@smtp example.com",
           "",
       }) {
    const auto url = ParseSmtpUrl(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().problem_code, "invalid_smtp_url") << bad;
    EXPECT_EQ(url.error().code, base::ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(url.error().public_message.find(kPassword), std::string::npos)
        << url.error().public_message;
    EXPECT_EQ(url.error().log_detail.find(kPassword), std::string::npos);
  }
}

TEST(SmtpUrl, CreateRefusesBadUrlAndUnreadableCaFile) {
  const auto bad_url = SmtpTransport::Create({"smtp://u:s3cret-PW@", "", std::chrono::seconds(5)});
  ASSERT_FALSE(bad_url);
  EXPECT_EQ(bad_url.error().problem_code, "invalid_smtp_url");
  const auto bad_ca = SmtpTransport::Create(
      {"smtp://smtp.example.com", "/nonexistent/ca.pem", std::chrono::seconds(5)});
  ASSERT_FALSE(bad_ca);
  EXPECT_EQ(bad_ca.error().problem_code, "invalid_config");
}

}  // namespace
}  // namespace tenantd::mail
