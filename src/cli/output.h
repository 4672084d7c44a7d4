// How the commands speak: one-line failures on stderr, one JSON document
// on stdout for --json, and error text for the operator.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "base/error.h"

namespace tenantd::cli {

// Prints "tenantd: <message>" on stderr; returns exit code 1.
int Fail(const std::string& message);

// The public message and any field errors: what a user of `tenant …` needs.
std::string Describe(const base::Error& e);

// The log detail (file, SQL, SQLite's message), falling back to the public
// message, on one line (see OneLine): an operator's command (`migrate`)
// shows what went wrong where.
std::string OperatorDetail(const base::Error& e);

// `text` with every run of whitespace (newlines included) turned into one
// space and none at either end: SQLite errors quote multi-line SQL, and a
// report promises one line per failure.
std::string OneLine(std::string_view text);

// Serialises `v` on stdout, followed by a newline.
void PrintJson(const boost::json::value& v);

}  // namespace tenantd::cli
