// SmtpTransport against a real SMTP server (tests/support/smtp_server.h):
// plain, STARTTLS and SMTPS delivery, AUTH, and how failures map to
// outcomes.
#include "mail/smtp_transport.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "base/unique_fd.h"
#include "mail/mail_test_util.h"
#include "mail/templates.h"
#include "support/smtp_server.h"

namespace tenantd::mail {
namespace {

using tenantd::test::SmtpServer;
using test::SampleMessage;

constexpr const char* kPassword = "s3cret-PW";

std::unique_ptr<SmtpTransport> MakeTransport(
    const std::string& url, const std::string& ca_file = "",
    std::chrono::seconds timeout = std::chrono::seconds(20)) {
  auto transport = SmtpTransport::Create({url, ca_file, timeout});
  EXPECT_TRUE(transport) << transport.error().public_message;
  return transport ? std::move(*transport) : nullptr;
}

// A message as the outbox would build it: a template, a link with a token.
Message VerificationMessage() {
  const EmailContent content = RenderVerification(
      {"Zoë <script>", "https://app.example/auth/verify?token=tok_AbC-123_xyz", "24 hours"});
  Message m = SampleMessage();
  m.subject = content.subject + " — Zoë";
  m.text = content.text;
  m.html = content.html;
  return m;
}

// Python's decoding keeps the CRLF line ends of the wire.
std::string Lf(std::string s) {
  for (std::size_t at = 0; (at = s.find("\r\n", at)) != std::string::npos;) s.erase(at, 1);
  return s;
}

void ExpectDelivered(const SmtpServer::Received& r, const Message& m) {
  EXPECT_EQ(r.mail_from, "no-reply@example.com");
  EXPECT_EQ(r.rcpt_tos, std::vector<std::string>{"ada@example.org"});
  EXPECT_TRUE(r.defects.empty()) << r.defects[0];
  EXPECT_EQ(r.raw, FormatMessage(m));
  EXPECT_EQ(r.headers.at("Message-ID"), m.message_id);
  EXPECT_EQ(r.headers.at("Subject"), m.subject);  // RFC 2047, decoded by Python
  EXPECT_EQ(r.headers.at("From"), m.from);
  EXPECT_EQ(r.headers.at("To"), m.to);
  EXPECT_EQ(r.headers.at("Date"), "Fri, 04 Dec 2026 12:00:00 +0000");
  // Python's quoted-printable decoding gives back both bodies exactly.
  EXPECT_EQ(Lf(r.parts.at("text/plain")), m.text);
  EXPECT_EQ(Lf(r.parts.at("text/html")), m.html);
  const std::string link = "https://app.example/auth/verify?token=tok_AbC-123_xyz";
  EXPECT_NE(r.parts.at("text/plain").find(link), std::string::npos);
  EXPECT_NE(r.parts.at("text/html").find("href=\"" + link + "\""), std::string::npos);
}

TEST(SmtpTransport, DeliversOverPlainSmtp) {
  SmtpServer server(SmtpServer::Mode::kPlain);
  ASSERT_TRUE(server.Start());
  const auto transport = MakeTransport(server.url());
  const Message m = VerificationMessage();
  const Delivery d = transport->Send(m);
  ASSERT_EQ(d.outcome, Outcome::kSent) << d.detail;
  EXPECT_NE(d.detail.find("250"), std::string::npos) << d.detail;
  const auto received = server.Messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_FALSE(received[0].tls);
  ExpectDelivered(received[0], m);
}

TEST(SmtpTransport, DeliversOverStartTls) {
  SmtpServer server(SmtpServer::Mode::kStartTls);
  ASSERT_TRUE(server.Start());
  const auto transport = MakeTransport(server.url(), server.ca_file());
  const Message m = VerificationMessage();
  const Delivery d = transport->Send(m);
  ASSERT_EQ(d.outcome, Outcome::kSent) << d.detail;
  const auto received = server.Messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].tls);
  ExpectDelivered(received[0], m);
}

TEST(SmtpTransport, DeliversOverImplicitTls) {
  SmtpServer server(SmtpServer::Mode::kImplicitTls);
  ASSERT_TRUE(server.Start());
  const auto transport = MakeTransport(server.url(), server.ca_file());
  const Message m = VerificationMessage();
  const Delivery d = transport->Send(m);
  ASSERT_EQ(d.outcome, Outcome::kSent) << d.detail;
  const auto received = server.Messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].tls);
  ExpectDelivered(received[0], m);
}

TEST(SmtpTransport, AuthenticatesAfterStartTls) {
  SmtpServer server(SmtpServer::Mode::kStartTls, std::string("mailer:") + kPassword);
  ASSERT_TRUE(server.Start());
  const auto transport =
      MakeTransport(server.url(std::string("mailer:") + kPassword), server.ca_file());
  const Delivery d = transport->Send(SampleMessage());
  ASSERT_EQ(d.outcome, Outcome::kSent) << d.detail;
  EXPECT_EQ(d.detail.find(kPassword), std::string::npos) << d.detail;
  const auto received = server.Messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].auth_user, "mailer");
}

TEST(SmtpTransport, AuthenticatesOverSmtps) {
  SmtpServer server(SmtpServer::Mode::kImplicitTls, std::string("mailer:") + kPassword);
  ASSERT_TRUE(server.Start());
  const auto transport =
      MakeTransport(server.url(std::string("mailer:") + kPassword), server.ca_file());
  const Delivery d = transport->Send(SampleMessage());
  ASSERT_EQ(d.outcome, Outcome::kSent) << d.detail;
  ASSERT_EQ(server.Messages().size(), 1u);
  EXPECT_EQ(server.Messages()[0].auth_user, "mailer");
}

TEST(SmtpTransport, WrongPasswordFailsWithoutShowingIt) {
  SmtpServer server(SmtpServer::Mode::kStartTls, "mailer:right-password");
  ASSERT_TRUE(server.Start());
  const auto transport =
      MakeTransport(server.url(std::string("mailer:") + kPassword), server.ca_file());
  const Delivery d = transport->Send(SampleMessage());
  EXPECT_EQ(d.outcome, Outcome::kFailed) << d.detail;  // 535
  EXPECT_NE(d.detail.find("535"), std::string::npos) << d.detail;
  EXPECT_EQ(d.detail.find(kPassword), std::string::npos) << d.detail;
  EXPECT_TRUE(server.Messages().empty());
}

TEST(SmtpTransport, NeverSendsCredentialsWithoutTls) {
  // The server would take AUTH in the clear; the transport does not offer it.
  SmtpServer server(SmtpServer::Mode::kPlain, std::string("mailer:") + kPassword);
  ASSERT_TRUE(server.Start());
  const auto transport = MakeTransport(server.url(std::string("mailer:") + kPassword));
  const Delivery d = transport->Send(SampleMessage());
  EXPECT_EQ(d.outcome, Outcome::kRetry) << d.detail;
  EXPECT_EQ(d.detail.find(kPassword), std::string::npos) << d.detail;
  EXPECT_TRUE(server.Messages().empty());
}

TEST(SmtpTransport, ServerDownIsRetriedAndWorksOnceItIsBack) {
  SmtpServer server(SmtpServer::Mode::kPlain);
  ASSERT_TRUE(server.Start());
  const auto transport = MakeTransport(server.url());
  server.Stop();
  const Delivery down = transport->Send(SampleMessage());
  EXPECT_EQ(down.outcome, Outcome::kRetry) << down.detail;
  ASSERT_TRUE(server.Start());  // same port
  const Delivery back = transport->Send(SampleMessage());
  EXPECT_EQ(back.outcome, Outcome::kSent) << back.detail;
  EXPECT_EQ(server.Messages().size(), 1u);
}

TEST(SmtpTransport, PermanentRejectionFails) {
  SmtpServer server(SmtpServer::Mode::kPlain);
  ASSERT_TRUE(server.Start());
  const auto transport = MakeTransport(server.url());
  server.ReplyToRcpt("550 5.1.1 No such user");
  const Delivery rcpt = transport->Send(SampleMessage());
  EXPECT_EQ(rcpt.outcome, Outcome::kFailed) << rcpt.detail;
  EXPECT_NE(rcpt.detail.find("550 5.1.1 No such user"), std::string::npos) << rcpt.detail;
  server.ReplyToRcpt("");
  server.ReplyToData("554 5.7.1 Message rejected");
  const Delivery data = transport->Send(SampleMessage());
  EXPECT_EQ(data.outcome, Outcome::kFailed) << data.detail;
  EXPECT_NE(data.detail.find("554"), std::string::npos) << data.detail;
  EXPECT_TRUE(server.Messages().empty());
}

TEST(SmtpTransport, TemporaryRejectionIsRetried) {
  SmtpServer server(SmtpServer::Mode::kPlain);
  ASSERT_TRUE(server.Start());
  const auto transport = MakeTransport(server.url());
  server.ReplyToRcpt("451 4.3.0 Try again later");
  const Delivery rcpt = transport->Send(SampleMessage());
  EXPECT_EQ(rcpt.outcome, Outcome::kRetry) << rcpt.detail;
  EXPECT_NE(rcpt.detail.find("451"), std::string::npos) << rcpt.detail;
  server.ReplyToRcpt("");
  server.ReplyToData("452 4.3.1 Insufficient system storage");
  const Delivery data = transport->Send(SampleMessage());
  EXPECT_EQ(data.outcome, Outcome::kRetry) << data.detail;
  server.ReplyToData("");
  EXPECT_EQ(transport->Send(SampleMessage()).outcome, Outcome::kSent);
  EXPECT_EQ(server.Messages().size(), 1u);
}

TEST(SmtpTransport, UntrustedCertificateIsRetriedNeverSent) {
  for (const auto mode : {SmtpServer::Mode::kStartTls, SmtpServer::Mode::kImplicitTls}) {
    SmtpServer server(mode, std::string("mailer:") + kPassword);
    ASSERT_TRUE(server.Start());
    const std::string url = server.url(std::string("mailer:") + kPassword);
    for (const std::string& ca : {server.OtherCaFile().string(), std::string()}) {
      const auto transport = MakeTransport(url, ca);  // "" = the system store
      const Delivery d = transport->Send(SampleMessage());
      EXPECT_EQ(d.outcome, Outcome::kRetry) << d.detail;
      EXPECT_EQ(d.detail.find(kPassword), std::string::npos) << d.detail;
    }
    EXPECT_TRUE(server.Messages().empty());
  }
}

TEST(SmtpTransport, StartTlsHandshakeFailureIsRetriedNotDowngraded) {
  // No credentials: plain SMTP would be allowed if the server offered no
  // STARTTLS, but this one does, and the handshake fails.
  SmtpServer server(SmtpServer::Mode::kStartTls);
  ASSERT_TRUE(server.Start());
  const auto transport = MakeTransport(server.url(), server.OtherCaFile());
  const Delivery d = transport->Send(SampleMessage());
  EXPECT_EQ(d.outcome, Outcome::kRetry) << d.detail;
  EXPECT_TRUE(server.Messages().empty());
}

TEST(SmtpTransport, SilentServerTimesOut) {
  // A listening socket that never answers: the connection is accepted by
  // the kernel, the greeting never comes.
  base::UniqueFd fd(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd.get(), 4), 0);
  ASSERT_EQ(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const auto transport = MakeTransport("smtp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                                       "", std::chrono::seconds(1));
  const auto start = std::chrono::steady_clock::now();
  const Delivery d = transport->Send(SampleMessage());
  EXPECT_EQ(d.outcome, Outcome::kRetry) << d.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(SmtpTransport, SendsFromSeveralThreadsAtOnce) {
  SmtpServer server(SmtpServer::Mode::kStartTls);
  ASSERT_TRUE(server.Start());
  const auto transport = MakeTransport(server.url(), server.ca_file());
  constexpr int kThreads = 4;
  std::vector<Delivery> deliveries(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Message m = SampleMessage();
      m.message_id = "<thread-" + std::to_string(i) + "@tenantd.example>";
      deliveries[i] = transport->Send(m);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Delivery& d : deliveries) EXPECT_EQ(d.outcome, Outcome::kSent) << d.detail;
  std::set<std::string> ids;
  for (const auto& r : server.Messages()) ids.insert(r.headers.at("Message-ID"));
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads));
}

TEST(SmtpTransport, InvalidMessageFailsWithoutConnecting) {
  const auto transport = MakeTransport("smtp://127.0.0.1:1");
  Message m = SampleMessage();
  m.subject = "Hi\r\nBcc: victim@example.net";
  const Delivery d = transport->Send(m);
  EXPECT_EQ(d.outcome, Outcome::kFailed) << d.detail;
  EXPECT_NE(d.detail.find("subject"), std::string::npos) << d.detail;
}

}  // namespace
}  // namespace tenantd::mail
