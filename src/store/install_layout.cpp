#include "store/install_layout.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

std::string default_sql_dir() {
  // Relative to the binary rather than a prefix compiled in: the package and
  // `make install PREFIX=...` install the same build.
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::string dir = (exe.parent_path().parent_path() / "share/todo-api/sql").string();
    if (access(dir.c_str(), R_OK | X_OK) == 0) return dir;
  }
  return "sql";
}
