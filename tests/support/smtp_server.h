// A real SMTP server for tests: tests/support/smtp_sink.py on Debian's
// aiosmtpd (package python3-aiosmtpd, run with /usr/bin/python3), on a free
// loopback port, in a temporary directory, in one of three modes: plain,
// STARTTLS, or implicit TLS (SMTPS), the TLS modes with a fresh self-signed
// certificate for 127.0.0.1 and localhost (ca_file()). It stores every
// message it accepts; Messages() reads them. A missing aiosmtpd fails the
// test: SMTP tests never skip.
//
// Not thread-safe: use from one test thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tenantd::test {

class SmtpServer {
 public:
  enum class Mode { kPlain, kStartTls, kImplicitTls };

  // `auth` "user:password" makes the server require AUTH (offered only
  // over TLS in the TLS modes, also in the clear in plain mode); "" = none.
  explicit SmtpServer(Mode mode = Mode::kPlain, std::string auth = "");
  ~SmtpServer();  // stops the server, removes the directory
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  // Starts the server and waits until it listens. The first start picks a
  // free port (and makes the certificate); later ones (after Stop) reuse
  // both, as a restarted server keeps its address.
  ::testing::AssertionResult Start();
  // SIGTERM (SIGKILL after 5 s); waits until the process is gone, so the
  // port refuses connections afterwards.
  void Stop();

  int port() const { return port_; }
  // smtp://127.0.0.1:<port> (plain, STARTTLS) or smtps://127.0.0.1:<port>,
  // with `userinfo@` when given (e.g. "user:pass").
  std::string url(const std::string& userinfo = "") const;
  // The certificate the server presents (TLS modes), to trust as CA.
  std::filesystem::path ca_file() const { return dir_ / "cert.pem"; }
  // A self-signed certificate unrelated to the server's: a wrong CA.
  std::filesystem::path OtherCaFile();

  // Answer RCPT TO (or DATA) with `reply`, e.g. "550 5.1.1 No such user";
  // "" accepts again. Takes effect on the next command.
  void ReplyToRcpt(const std::string& reply);
  void ReplyToData(const std::string& reply);

  struct Received {
    std::string mail_from;
    std::vector<std::string> rcpt_tos;
    bool tls = false;                            // the message came over TLS (STARTTLS or SMTPS)
    std::string auth_user;                       // "" = no AUTH
    std::string raw;                             // the message as received
    std::map<std::string, std::string> headers;  // Python's email parser, decoded (RFC 2047)
    std::map<std::string, std::string> parts;    // content type -> decoded body
    std::vector<std::string> defects;            // what Python's parser objected to
  };
  // Every message accepted so far, oldest first.
  std::vector<Received> Messages() const;

 private:
  ::testing::AssertionResult StartOnPort();
  std::string Log() const;

  const Mode mode_;
  const std::string auth_;
  std::filesystem::path dir_;  // certificate, logs, reply files
  std::filesystem::path inbox_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace tenantd::test
