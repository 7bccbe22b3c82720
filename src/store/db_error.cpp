#include "store/db_error.h"

namespace {

std::string_view field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value ? std::string_view(value) : std::string_view();
}

void append_name(std::string& out, std::string_view label, std::string_view name) {
  if (name.empty()) return;
  out += out.empty() ? "" : ", ";
  out += label;
  out += " \"";
  out += name;
  out += '"';
}

}  // namespace

std::string loggable_pg_error(const PgErrorFields& f) {
  bool quotes_input = f.sqlstate.starts_with("22") || f.sqlstate == "P0001";
  if (!quotes_input) return std::string(f.primary.empty() ? "(no message)" : f.primary);
  std::string names;
  append_name(names, "constraint", f.constraint);
  append_name(names, "column", f.column);
  append_name(names, "type", f.datatype);
  std::string out = f.sqlstate == "P0001" ? "raised by a function" : "data exception";
  out += " (message not logged: it may quote the input";
  if (!names.empty()) out += "; " + names;
  out += ')';
  return out;
}

std::string loggable_pg_error(const PGresult* result) {
  if (result == nullptr) return "no result";
  return loggable_pg_error(
      PgErrorFields{field(result, PG_DIAG_SQLSTATE), field(result, PG_DIAG_MESSAGE_PRIMARY),
                    field(result, PG_DIAG_CONSTRAINT_NAME), field(result, PG_DIAG_COLUMN_NAME),
                    field(result, PG_DIAG_DATATYPE_NAME)});
}

std::string first_line(const char* message) {
  std::string_view text = message ? message : "";
  text = text.substr(0, text.find('\n'));
  return std::string(text.empty() ? "(no message)" : text);
}
