// Where the installed binary finds the files installed beside it.
#pragma once

#include <string>

// The migrations `todo-api migrate` applies without --dir: PREFIX/share/todo-api/sql
// for a binary in PREFIX/bin (the Debian package: /usr; `make install`: /usr/local or
// any PREFIX), else ./sql of a checkout.
std::string default_sql_dir();
