#include "support/mail_files.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <thread>

namespace tenantd::test {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The token after `marker` in one .eml file's text, if it is to `to`.
std::string TokenIn(std::string text, const std::string& to, const std::string& marker) {
  if (text.find("\r\nTo: " + to + "\r\n") == std::string::npos) return "";
  // Quoted-printable: soft line breaks, and '=' itself encoded.
  for (std::size_t at; (at = text.find("=\r\n")) != std::string::npos;) text.erase(at, 3);
  for (std::size_t at; (at = text.find("=3D")) != std::string::npos;) text.replace(at, 3, "=");
  const std::size_t link = text.find(marker);
  if (link == std::string::npos) return "";
  std::size_t end = link + marker.size();
  while (end < text.size() && std::isalnum(static_cast<unsigned char>(text[end]))) ++end;
  return text.substr(link + marker.size(), end - link - marker.size());
}

}  // namespace

std::string TokenFromMail(const std::filesystem::path& data_dir, std::string to,
                          std::string_view action, std::chrono::milliseconds wait) {
  to = Lower(std::move(to));
  const std::string marker = "/auth/" + std::string(action) + "?token=";
  const auto deadline = std::chrono::steady_clock::now() + wait;
  do {
    // Files are named by date first: the greatest name is the newest email.
    std::string newest_name, token;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(data_dir / "mail", ec)) {
      const std::string name = entry.path().filename().string();
      if (name < newest_name) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      std::string found = TokenIn(buffer.str(), to, marker);
      if (found.empty()) continue;
      newest_name = name;
      token = std::move(found);
    }
    if (!token.empty()) return token;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return "";
}

}  // namespace tenantd::test
