// Delivery as .eml files, when no SMTP server is configured (api.md §11:
// `<data>/mail/`). An operator reads them, or a test does.
#pragma once

#include <filesystem>

#include "mail/transport.h"

namespace tenantd::mail {

// Writes each message to `<dir>/<date>-<message id>.eml`, e.g.
// "20261204T101500Z-abc123_tenantd.example.eml": the date is the message's
// (UTC, so names sort by it), the id is stripped of "<>" and of any
// character other than [A-Za-z0-9._@+-] (replaced by '_'), with a short hash
// of the full id appended when something was replaced, so distinct ids keep
// distinct files. The write is atomic (temporary file, fsync, rename, fsync
// of the directory): a reader never sees half a message. Sending the same
// message again (same id and date, as the outbox does on a retry) replaces
// the file, so at-least-once delivery leaves one file.
//
// The directory is created with mode 0700 when missing (its parents with
// the default mode); files are 0600. An invalid message is kFailed; an I/O
// error (disk full, permissions) kRetry. Thread-safe.
class EmlDirectory final : public Transport {
 public:
  explicit EmlDirectory(std::filesystem::path dir);

  Delivery Send(const Message& m) override;

  // The file name Send uses for `m`.
  static std::string FileName(const Message& m);
  const std::filesystem::path& dir() const { return dir_; }

 private:
  const std::filesystem::path dir_;
};

}  // namespace tenantd::mail
