#include "cli/output.h"

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <iostream>

namespace tenantd::cli {

int Fail(const std::string& message) {
  std::fprintf(stderr, "tenantd: %s\n", message.c_str());
  return 1;
}

std::string Describe(const base::Error& e) {
  std::string msg = e.public_message;
  for (const auto& f : e.field_errors) msg += " " + f.field + ": " + f.message;
  return msg;
}

std::string OperatorDetail(const base::Error& e) {
  return OneLine(e.log_detail.empty() ? Describe(e) : e.log_detail);
}

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

void PrintJson(const boost::json::value& v) { std::cout << boost::json::serialize(v) << "\n"; }

}  // namespace tenantd::cli
