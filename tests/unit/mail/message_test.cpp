#include "mail/message.h"

#include <gtest/gtest.h>

#include <vector>

#include "mail/mail_test_util.h"

namespace tenantd::mail {
namespace {

using test::DecodeBase64;
using test::DecodeQuotedPrintable;
using test::SampleMessage;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find("\r\n", start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

std::string HeaderBlock(const std::string& text) {
  return text.substr(0, text.find("\r\n\r\n") + 2);
}

// The unfolded value of header `name` ("" when absent).
std::string Header(const std::string& text, const std::string& name) {
  const std::string block = "\r\n" + HeaderBlock(text);
  const std::size_t at = block.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  std::string value;
  std::size_t i = at + 4 + name.size();
  while (i < block.size()) {
    const std::size_t end = block.find("\r\n", i);
    value += block.substr(i, end - i);
    i = end + 2;
    if (i >= block.size() || (block[i] != ' ' && block[i] != '\t')) break;
  }
  return value;
}

std::string Boundary(const std::string& text) {
  const std::string type = Header(text, "Content-Type");
  const std::size_t at = type.find("boundary=\"");
  return type.substr(at + 10, type.find('"', at + 10) - at - 10);
}

// The encoded body of the part with `content_type`.
std::string PartBody(const std::string& text, const std::string& content_type) {
  const std::size_t type_at = text.find("Content-Type: " + content_type + ";");
  const std::size_t body = text.find("\r\n\r\n", type_at) + 4;
  const std::size_t end = text.find("\r\n--" + Boundary(text), body);
  return text.substr(body, end - body);
}

// Decodes every RFC 2047 B word of a header value (tests write only those).
std::string DecodeWords(const std::string& value, std::vector<std::string>* words = nullptr) {
  std::string out;
  std::size_t at = 0;
  while ((at = value.find("=?UTF-8?B?", at)) != std::string::npos) {
    const std::size_t end = value.find("?=", at + 10);
    const std::string word = DecodeBase64(value.substr(at + 10, end - at - 10));
    if (words != nullptr) words->push_back(value.substr(at, end + 2 - at));
    out += word;
    at = end + 2;
  }
  return out;
}

TEST(MailMessage, HasTheHeadersOfRfc5322AndMime) {
  const std::string text = FormatMessage(SampleMessage());
  EXPECT_EQ(Header(text, "Date"), "Fri, 04 Dec 2026 12:00:00 +0000");
  EXPECT_EQ(Header(text, "From"), "tenantd <no-reply@example.com>");
  EXPECT_EQ(Header(text, "To"), "Ada Lovelace <ada@example.org>");
  EXPECT_EQ(Header(text, "Subject"), "Confirm your email address");
  EXPECT_EQ(Header(text, "Message-ID"), "<0123456789abcdef@tenantd.example>");
  EXPECT_EQ(Header(text, "MIME-Version"), "1.0");
  EXPECT_EQ(Header(text, "Auto-Submitted"), "auto-generated");
  EXPECT_TRUE(Header(text, "Content-Type").starts_with("multipart/alternative; boundary=\""));
}

TEST(MailMessage, UsesCrlfLineEndsOnlyAndShortLines) {
  Message m = SampleMessage();
  m.text = std::string(3000, 'x') + "\n" + std::string(500, '=') + "\r\nend\rbare cr";
  m.html = std::string(2000, 'y');
  m.subject = std::string(300, 's');
  const std::string text = FormatMessage(m);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ASSERT_TRUE(i > 0 && text[i - 1] == '\r') << "bare LF at " << i;
    }
    if (text[i] == '\r') {
      ASSERT_TRUE(i + 1 < text.size() && text[i + 1] == '\n') << "bare CR at " << i;
    }
    ASSERT_LT(static_cast<unsigned char>(text[i]), 0x80) << "8-bit byte at " << i;
  }
  ASSERT_TRUE(text.ends_with("\r\n"));
  for (const std::string& line : Lines(text)) EXPECT_LE(line.size(), 78u) << line;
}

TEST(MailMessage, IsMultipartAlternativeTextThenHtml) {
  const Message m = SampleMessage();
  const std::string text = FormatMessage(m);
  const std::string boundary = Boundary(text);
  ASSERT_FALSE(boundary.empty());
  const std::string open = "\r\n--" + boundary + "\r\n";
  const std::size_t first = text.find(open);
  const std::size_t second = text.find(open, first + 1);
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_EQ(text.find(open, second + 1), std::string::npos);
  EXPECT_TRUE(text.ends_with("\r\n--" + boundary + "--\r\n"));
  const std::size_t plain = text.find("Content-Type: text/plain; charset=utf-8");
  const std::size_t html = text.find("Content-Type: text/html; charset=utf-8");
  EXPECT_TRUE(first < plain && plain < second && second < html) << text;
  EXPECT_EQ(DecodeQuotedPrintable(PartBody(text, "text/plain")),
            "Hello Ada,\r\n\r\nOpen this link:\r\n\r\n"
            "https://app.example/auth/verify?token=abc_DEF-123\r\n");
  EXPECT_EQ(DecodeQuotedPrintable(PartBody(text, "text/html")),
            "<p>Hello Ada,</p>\r\n<p><a href=\"https://app.example/auth/verify?token=abc_DEF-123\">"
            "Confirm</a></p>\r\n");
}

TEST(MailMessage, QuotedPrintableRoundTripsTrickyText) {
  Message m = SampleMessage();
  m.text = "a=b =3D\ntrailing space \ntrailing tab\t\n.leading dot\n..\n" + std::string(200, '.') +
           "\nGrüße, 日本語 🙂 " + std::string(150, 'z') + "=\nCRLF\r\nend";
  const std::string text = FormatMessage(m);
  const std::string body = PartBody(text, "text/plain");
  std::string expected = m.text;
  for (std::size_t at = 0; (at = expected.find('\n', at)) != std::string::npos; at += 2) {
    if (at == 0 || expected[at - 1] != '\r') expected.insert(at, "\r");
  }
  EXPECT_EQ(DecodeQuotedPrintable(body), expected);
  for (const std::string& line : Lines(body)) {
    EXPECT_FALSE(line.starts_with(".")) << "a line could end SMTP data: " << line;
    EXPECT_FALSE(line.ends_with(" ") || line.ends_with("\t")) << "trailing whitespace: " << line;
    EXPECT_LE(line.size(), 76u);
  }
  // The boundary cannot occur in a quoted-printable body.
  EXPECT_EQ(body.find(Boundary(text)), std::string::npos);
}

TEST(MailMessage, EncodesNonAsciiSubjectAsRfc2047Words) {
  Message m = SampleMessage();
  m.subject =
      "Grüße aus Köln — 日本語のテキスト, long enough to need several encoded words "
      "🙂";
  const std::string text = FormatMessage(m);
  const std::string subject = Header(text, "Subject");
  std::vector<std::string> words;
  EXPECT_EQ(DecodeWords(subject, &words), m.subject);
  ASSERT_GT(words.size(), 1u);
  for (const std::string& word : words) {
    EXPECT_LE(word.size(), 75u);  // RFC 2047 §2
    const std::string bytes = DecodeBase64(word.substr(10, word.size() - 12));
    // No word starts inside a UTF-8 sequence (each must decode on its own).
    EXPECT_NE(static_cast<unsigned char>(bytes[0]) & 0xC0, 0x80) << word;
  }
}

TEST(MailMessage, EncodesAsciiSubjectThatLooksLikeAnEncodedWord) {
  Message m = SampleMessage();
  m.subject = "=?UTF-8?B?SGk=?=";
  const std::string subject = Header(FormatMessage(m), "Subject");
  EXPECT_NE(subject, m.subject);
  EXPECT_EQ(DecodeWords(subject), m.subject);
}

TEST(MailMessage, QuotesOrEncodesDisplayNames) {
  Message m = SampleMessage();
  m.from = "Doe, John <john@example.com>";
  m.to = "Jürgen Groß <j@example.de>";
  const std::string text = FormatMessage(m);
  EXPECT_EQ(Header(text, "From"), "\"Doe, John\" <john@example.com>");
  const std::string to = Header(text, "To");
  EXPECT_TRUE(to.ends_with(" <j@example.de>")) << to;
  EXPECT_EQ(DecodeWords(to), "Jürgen Groß");
}

TEST(MailMessage, FormatsTheSameMessageToTheSameBytes) {
  EXPECT_EQ(FormatMessage(SampleMessage()), FormatMessage(SampleMessage()));
  Message other = SampleMessage();
  other.message_id = "<other@tenantd.example>";
  EXPECT_NE(Boundary(FormatMessage(SampleMessage())), Boundary(FormatMessage(other)));
}

TEST(MailMessage, AcceptsTheSampleMessage) { EXPECT_TRUE(ValidateMessage(SampleMessage())); }

TEST(MailMessage, RefusesHeaderInjection) {
  const auto refused = [](Message m, const std::string& field) {
    const auto status = ValidateMessage(m);
    if (status) return ::testing::AssertionFailure() << "accepted";
    if (status.error().problem_code != "invalid_email") {
      return ::testing::AssertionFailure() << status.error().problem_code;
    }
    if (status.error().field_errors.empty() || status.error().field_errors[0].field != field) {
      return ::testing::AssertionFailure() << "wrong field: " << status.error().public_message;
    }
    return ::testing::AssertionSuccess();
  };
  Message m = SampleMessage();
  m.subject = "Hello\r\nBcc: victim@example.net";
  EXPECT_TRUE(refused(m, "subject"));
  m = SampleMessage();
  m.subject = "Hello\nBcc: victim@example.net";
  EXPECT_TRUE(refused(m, "subject"));
  m = SampleMessage();
  m.to = "ada@example.org\r\nBcc: victim@example.net";
  EXPECT_TRUE(refused(m, "to"));
  m = SampleMessage();
  m.from = "Evil\r\nBcc: victim@example.net <evil@example.com>";
  EXPECT_TRUE(refused(m, "from"));
  m = SampleMessage();
  m.message_id = "<a@b>\r\nBcc: victim@example.net";
  EXPECT_TRUE(refused(m, "message_id"));
  m = SampleMessage();
  m.subject = "";
  EXPECT_TRUE(refused(m, "subject"));
  m = SampleMessage();
  m.subject = "bad \xC3 utf-8";
  EXPECT_TRUE(refused(m, "subject"));
  m = SampleMessage();
  m.message_id = "no-brackets@example";
  EXPECT_TRUE(refused(m, "message_id"));
}

TEST(MailMessage, FormatFlattensControlCharactersLeftInHeaders) {
  Message m = SampleMessage();
  m.subject = "Hello\r\nBcc: victim@example.net";
  m.to = "ada@example.org\r\nBcc: victim@example.net";
  m.message_id = "<a@b>\nBcc: victim@example.net";
  const std::string text = FormatMessage(m);
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos) << text;
  EXPECT_EQ(text.find("\nBcc:"), std::string::npos) << text;
}

TEST(MailMessage, BareAddressTakesTheAddressOutOfAMailbox) {
  EXPECT_EQ(*BareAddress("tenantd <no-reply@example.com>"), "no-reply@example.com");
  EXPECT_EQ(*BareAddress("\"Doe, John\" <john@example.com>"), "john@example.com");
  EXPECT_EQ(*BareAddress("<a@b.example>"), "a@b.example");
  EXPECT_EQ(*BareAddress("  a+tag@b.example  "), "a+tag@b.example");
}

TEST(MailMessage, BareAddressRefusesWhatIsNoAddress) {
  for (const char* bad : {"", "no-at-sign", "a@b@c", "@b.example", "a@", "Name <a@b.example",
                          "Name <>", "a b@c.example", "a@b.example>", "<a@b.example>\r\n",
                          "a,b@c.example", "jürgen@example.de"}) {
    const auto address = BareAddress(bad);
    EXPECT_FALSE(address) << bad;
    if (!address) {
      EXPECT_EQ(address.error().problem_code, "invalid_email");
    }
  }
}

}  // namespace
}  // namespace tenantd::mail
