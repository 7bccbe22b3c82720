// todo-api: one binary, four subcommands (SYSTEM.md). Configuration is read once,
// here, and passed down as const Config&.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "api/status_report.h"
#include "auth/auth.h"
#include "core/config.h"
#include "ops/log.h"
#include "ops/shared_state.h"
#include "pool/listen_socket.h"
#include "pool/pool.h"
#include "pool/worker.h"
#include "store/db.h"
#include "store/db_probe.h"
#include "store/install_layout.h"
#include "store/migrate.h"

namespace {

constexpr const char* kUsage =
    "usage: todo-api [serve]                 run the FastCGI worker pool\n"
    "       todo-api migrate [--dir DIR]     apply sql/ migrations (DATABASE_URL as owner)\n"
    "       todo-api check-config            validate the environment, load the JWT keys,\n"
    "                                        reach the database\n"
    "       todo-api token --sub ID [--email E] [--ttl SECONDS]\n"
    "                                        mint an HS256 token with JWT_SECRET (local trials)\n"
    "       todo-api status [--full] [--json] [--file PATH]\n"
    "                                        the running pool's scoreboard (STATUS_FILE);\n"
    "                                        exits 1 when no pool runs\n"
    "       todo-api --version\n";

bool report(const std::vector<std::string>& problems) {
  for (const auto& p : problems) std::fprintf(stderr, "todo-api: %s\n", p.c_str());
  return problems.empty();
}

int serve() {
  std::vector<std::string> problems;
  Config config = load_config(problems);
  if (!report(problems)) return 2;
  log_init(config, "master");
  // A database that cannot be verified (TLS) will not fix itself: refuse to start, as
  // for any bad configuration. One that is down does not stop the pool (503 until back).
  if (std::string problem = database_start_problem(config); !problem.empty()) {
    std::fprintf(stderr, "todo-api: %s\n", problem.c_str());
    return 2;
  }
  ListenSocket sock = open_listen_socket(config.fcgi_socket, config.fcgi_socket_mode);
  if (sock.fd < 0) {
    std::fprintf(stderr, "todo-api: %s\n", sock.error.c_str());
    return 2;
  }
  log_info("listening", {{"socket", sock.description}, {"version", TODO_API_VERSION}});
  int rc = run_pool(config, sock.fd, worker_main);
  if (!sock.unix_path.empty()) unlink(sock.unix_path.c_str());
  return rc;
}

int migrate(int argc, char** argv) {
  std::string dir = default_sql_dir();
  for (int i = 2; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr, "todo-api migrate: unknown option %s\n%s", argv[i], kUsage);
      return 2;
    }
  }
  std::vector<std::string> problems;
  Config config = load_config(problems, /*need_auth=*/false);
  if (!report(problems)) return 2;
  log_init(config, "migrate");
  return run_migrate(config, dir);
}

int check_config() {
  std::vector<std::string> problems;
  Config config = load_config(problems);
  if (!report(problems)) return 2;
  log_init(config, "check-config");
  bool ok = true;
  // Loads the JWKS now, as a worker does at start: an unreachable one is a config error.
  if (std::string problem = Authenticator(config).key_problem(); !problem.empty()) {
    std::fprintf(stderr, "todo-api: %s\n", problem.c_str());
    ok = false;
  }
  Database db(config);
  if (!db.ensure_connected()) {
    std::fprintf(stderr, "todo-api: %s\n", connect_problem(db).c_str());
    ok = false;
  } else if (!db.ping()) {
    std::fprintf(stderr, "todo-api: DATABASE_URL: the database does not answer (see log above)\n");
    ok = false;
  }
  if (!ok) return 1;
  std::puts("todo-api: configuration OK");
  return 0;
}

int token(int argc, char** argv) {
  std::string sub, email;
  long ttl = 3600;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "todo-api token: %s needs a value\n%s", argv[i], kUsage);
      return 2;
    }
    if (arg == "--sub") {
      sub = argv[++i];
    } else if (arg == "--email") {
      email = argv[++i];
    } else if (arg == "--ttl") {
      char* end = nullptr;
      ttl = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || ttl <= 0) {
        std::fprintf(stderr, "todo-api token: --ttl must be a positive number of seconds\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "todo-api token: unknown option %s\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (sub.empty() || sub.size() > 255) {
    std::fprintf(stderr, "todo-api token: --sub is required (1..255 bytes)\n");
    return 2;
  }
  std::vector<std::string> ignored;
  Config config = load_config(ignored);
  if (config.jwt_secret.size() < 32) {
    std::fprintf(stderr, "todo-api token: JWT_SECRET (>= 32 bytes) is required\n");
    return 2;
  }
  std::string jwt = mint_hs256_token(config.jwt_secret, sub, email, time(nullptr), ttl,
                                     config.jwt_issuer, config.jwt_audience);
  if (jwt.empty()) return 1;
  std::puts(jwt.c_str());
  return 0;
}

// Reads the running pool's shared segment: works even when every worker is busy
// (no request goes through nginx), and tells a stale file from a live pool.
int status(int argc, char** argv) {
  bool full = false;
  bool json = false;
  std::string file;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--full") {
      full = true;
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--file" && i + 1 < argc) {
      file = argv[++i];
    } else {
      std::fprintf(stderr, "todo-api status: unknown option %s\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (file.empty()) {
    std::vector<std::string> ignored;  // only STATUS_FILE matters here
    file = load_config(ignored, /*need_auth=*/false).status_file;
  }
  std::string error;
  SharedMapping shared = open_shared_state(file, error);
  if (shared.get() == nullptr) {
    std::fprintf(stderr, "todo-api status: no running pool: %s\n", error.c_str());
    return 1;
  }
  std::string out;
  if (json) {
    render_status_json(*shared.get(), full, unix_ms_now(), out);
    out += '\n';
  } else {
    render_status_table(*shared.get(), full, unix_ms_now(), out);
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view command = argc > 1 ? argv[1] : "serve";
  if (command == "serve") return serve();
  if (command == "check-config") return check_config();
  if (command == "migrate") return migrate(argc, argv);
  if (command == "token") return token(argc, argv);
  if (command == "status") return status(argc, argv);
  if (command == "--version" || command == "version") {
    std::puts("todo-api " TODO_API_VERSION);
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "todo-api: unknown command '%.*s'\n%s", static_cast<int>(command.size()),
               command.data(), kUsage);
  return 2;
}
