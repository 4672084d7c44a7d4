// Passwords of users (api.md §11): the rules a new one must meet, and
// argon2id hashing and verification on a worker pool of their own, so that
// a burst of sign-ins never stalls an event loop nor the pool that syncs
// files. Each call holds 19 MiB for tens of milliseconds: the pool's size
// bounds both the memory and the CPU sign-ins can take.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace tenantd::users {

inline constexpr std::size_t kMinPasswordBytes = 10;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// A field error for a password outside 10-1024 bytes; nullopt when fine.
std::optional<base::FieldError> CheckNewPassword(std::string_view field, std::string_view password);

// `email` trimmed and lower-cased when it looks like an address
// (local@domain, at most 254 bytes, no spaces or controls); nullopt otherwise.
std::optional<std::string> NormalizeEmail(std::string_view email);

class Passwords {
 public:
  // `workers` must outlive this. Prepares VerifyNobody's hash on it at
  // once, so that the first unknown email costs no more than later ones.
  explicit Passwords(boost::asio::thread_pool& workers);

  boost::asio::awaitable<base::Result<std::string>> Hash(std::string password) const;
  // Whether `password` matches `stored`.
  boost::asio::awaitable<bool> Verify(std::string password, std::string stored) const;
  // The same work as a Verify that fails: for an unknown email.
  boost::asio::awaitable<void> VerifyNobody(std::string password) const;

 private:
  boost::asio::thread_pool& workers_;
};

}  // namespace tenantd::users
