#include "users/passwords.h"

#include <boost/asio/post.hpp>
#include <functional>
#include <stdexcept>

#include "base/off_loop.h"
#include "base/text.h"
#include "crypto/password.h"

namespace tenantd::users {

namespace {

constexpr std::size_t kMaxEmailBytes = 254;  // RFC 5321's path limit

bool IsEmailByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f && c != ',' && c != ';' && c != '<' && c != '>' && c != '"';
}

}  // namespace

std::optional<base::FieldError> CheckNewPassword(std::string_view field,
                                                 std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return base::FieldError{std::string(field), "A password is 10 to 1024 bytes long."};
  }
  return std::nullopt;
}

std::optional<std::string> NormalizeEmail(std::string_view email) {
  const std::string_view trimmed = base::TrimAsciiSpace(email);
  if (trimmed.empty() || trimmed.size() > kMaxEmailBytes) return std::nullopt;
  const std::size_t at = trimmed.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == trimmed.size()) return std::nullopt;
  std::string out;
  out.reserve(trimmed.size());
  for (char c : trimmed) {
    if (!IsEmailByte(c)) return std::nullopt;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  if (out.find('.', at + 1) == std::string::npos && out.substr(at + 1) != "localhost") {
    return std::nullopt;  // a domain without a dot cannot receive mail
  }
  return out;
}

Passwords::Passwords(boost::asio::thread_pool& workers) : workers_(workers) {
  boost::asio::post(workers_, [] { crypto::VerifyAgainstNobody(""); });
}

boost::asio::awaitable<base::Result<std::string>> Passwords::Hash(std::string password) const {
  std::function<base::Result<std::string>()> hash =
      [password = std::move(password)]() -> base::Result<std::string> {
    try {
      return crypto::HashPassword(password);
    } catch (const std::exception& e) {
      return base::MakeError(base::ErrorCode::kUnavailable, "server_busy",
                             "The server is short of memory; retry shortly.", e.what());
    }
  };
  co_return co_await base::OffLoop(&workers_, std::move(hash));
}

boost::asio::awaitable<bool> Passwords::Verify(std::string password, std::string stored) const {
  std::function<bool()> verify = [password = std::move(password), stored = std::move(stored)] {
    return crypto::VerifyPassword(password, stored);
  };
  co_return co_await base::OffLoop(&workers_, std::move(verify));
}

boost::asio::awaitable<void> Passwords::VerifyNobody(std::string password) const {
  std::function<bool()> verify = [password = std::move(password)] {
    crypto::VerifyAgainstNobody(password);
    return false;
  };
  (void)co_await base::OffLoop(&workers_, std::move(verify));
}

}  // namespace tenantd::users
