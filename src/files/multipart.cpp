#include "files/multipart.h"

#include <algorithm>

#include "base/text.h"

namespace tenantd::files {
namespace {

constexpr std::size_t kMaxPartHeaderBytes = 16 * 1024;

base::Error Malformed(std::string detail) {
  return base::InvalidArgument("bad_request", "Malformed multipart body: " + std::move(detail));
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

// Splits `value` ("form-data; name=\"file\"; filename=\"a.txt\"") into its
// first token and parameters, honouring quoted strings with backslash
// escapes; calls `param(name, value)` for each parameter.
template <class F>
std::string_view SplitParameters(std::string_view value, F&& param) {
  const std::size_t semi = value.find(';');
  const std::string_view first = base::TrimAsciiSpace(value.substr(0, semi));
  std::size_t i = semi == std::string_view::npos ? value.size() : semi + 1;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == ';')) ++i;
    const std::size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) break;
    // A parameter without a value ("form-data; foo; name=…") is skipped,
    // not allowed to swallow the next one's name.
    if (const std::size_t semi_at = value.find(';', i); semi_at < eq) {
      i = semi_at + 1;
      continue;
    }
    const std::string_view key = base::TrimAsciiSpace(value.substr(i, eq - i));
    i = eq + 1;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    std::string v;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        v += value[i];
      }
      if (i < value.size()) ++i;  // closing quote
    } else {
      const std::size_t end = std::min(value.find(';', i), value.size());
      v = std::string(base::TrimAsciiSpace(value.substr(i, end - i)));
      i = end;
    }
    param(key, std::move(v));
  }
  return first;
}

bool IsBoundaryChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> MultipartBoundary(std::string_view content_type) {
  std::optional<std::string> boundary;
  const std::string_view type =
      SplitParameters(content_type, [&](std::string_view k, std::string v) {
        if (IEquals(k, "boundary")) boundary = std::move(v);
      });
  if (!IEquals(type, "multipart/form-data") || !boundary) return std::nullopt;
  if (boundary->empty() || boundary->size() > 70 || boundary->back() == ' ' ||
      !std::all_of(boundary->begin(), boundary->end(), IsBoundaryChar)) {
    return std::nullopt;
  }
  return boundary;
}

MultipartParser::MultipartParser(std::string boundary, Events events)
    : delimiter_("\r\n--" + boundary), events_(std::move(events)) {
  // The first delimiter may open the body without a preceding CRLF;
  // pretending one was there makes every delimiter look alike.
  pending_ = "\r\n";
}

base::Status MultipartParser::Feed(std::string_view data) {
  pending_.append(data);
  return Run();
}

base::Status MultipartParser::Run() {
  for (;;) {
    switch (state_) {
      case State::kPreamble: {
        const std::size_t at = pending_.find(delimiter_);
        if (at == std::string::npos) {
          // Keep only what could still begin a delimiter.
          if (pending_.size() >= delimiter_.size()) {
            pending_.erase(0, pending_.size() - delimiter_.size() + 1);
          }
          return {};
        }
        pending_.erase(0, at + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kAfterDelimiter: {
        // "--" closes the body; otherwise optional whitespace, then CRLF.
        if (pending_.size() < 2) return {};
        if (pending_.compare(0, 2, "--") == 0) {
          state_ = State::kEpilogue;
          break;
        }
        const std::size_t crlf = pending_.find("\r\n");
        if (crlf == std::string::npos) {
          if (pending_.size() > 256) return Malformed("junk after a boundary.");
          return {};
        }
        if (pending_.find_first_not_of(" \t") < crlf) return Malformed("junk after a boundary.");
        pending_.erase(0, crlf + 2);
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        const std::size_t end = pending_.find("\r\n\r\n");
        const bool empty_block = pending_.compare(0, 2, "\r\n") == 0;
        if (end == std::string::npos && !empty_block) {
          // The buffer may already hold 3 bytes of the blank line that ends the block.
          if (pending_.size() > kMaxPartHeaderBytes + 3) {
            return Malformed("part headers too large.");
          }
          return {};
        }
        const std::size_t block_end = empty_block ? 0 : end;
        if (block_end > kMaxPartHeaderBytes) return Malformed("part headers too large.");
        TENANTD_RETURN_IF_ERROR(ParseHeaders(std::string_view(pending_).substr(0, block_end)));
        pending_.erase(0, block_end + (empty_block ? 2 : 4));
        state_ = State::kBody;
        break;
      }
      case State::kBody: {
        const std::size_t at = pending_.find(delimiter_);
        if (at == std::string::npos) {
          // Everything but a possible delimiter prefix at the end is body.
          if (pending_.size() >= delimiter_.size()) {
            const std::size_t safe = pending_.size() - delimiter_.size() + 1;
            TENANTD_RETURN_IF_ERROR(
                events_.on_part_data(std::string_view(pending_).substr(0, safe)));
            pending_.erase(0, safe);
          }
          return {};
        }
        if (at > 0)
          TENANTD_RETURN_IF_ERROR(events_.on_part_data(std::string_view(pending_).substr(0, at)));
        TENANTD_RETURN_IF_ERROR(events_.on_part_end());
        pending_.erase(0, at + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kEpilogue:
        pending_.clear();  // ignored, RFC 2046
        return {};
    }
  }
}

base::Status MultipartParser::ParseHeaders(std::string_view block) {
  MultipartPart part;
  bool has_disposition = false;
  while (!block.empty()) {
    const std::size_t eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Malformed("a part header line has no colon.");
    const std::string_view name = base::TrimAsciiSpace(line.substr(0, colon));
    const std::string_view value = base::TrimAsciiSpace(line.substr(colon + 1));
    if (IEquals(name, "Content-Disposition")) {
      std::optional<std::string> filename_star;
      const std::string_view kind = SplitParameters(value, [&](std::string_view k, std::string v) {
        if (IEquals(k, "name")) part.name = std::move(v);
        if (IEquals(k, "filename")) part.filename = std::move(v);
        if (IEquals(k, "filename*")) filename_star = std::move(v);
      });
      if (!IEquals(kind, "form-data")) return Malformed("a part is not form-data.");
      if (filename_star) part.filename = std::move(filename_star);  // the precise spelling wins
      has_disposition = true;
    } else if (IEquals(name, "Content-Type")) {
      part.content_type = std::string(value);
    }
  }
  if (!has_disposition) return Malformed("a part has no Content-Disposition.");
  return events_.on_part_begin(part);
}

base::Status MultipartParser::Finish() const {
  if (state_ != State::kEpilogue) return Malformed("the body ended before the closing boundary.");
  return {};
}

}  // namespace tenantd::files
