// The process manager (like php-fpm, in one small file): forks WORKERS workers that
// accept on a shared socket, replaces any that die (with back-off when they keep
// dying), drains on SIGTERM/SIGINT, replaces workers one by one on SIGHUP, and
// tells systemd READY=1 once the first generation accepts.
#pragma once

#include "core/config.h"

// Runs in each forked worker; returns the worker's exit code. The worker writes
// its pid (4 bytes) to `ready_fd` once it is ready to accept.
using WorkerMain = int (*)(const Config& config, int listen_fd, int ready_fd);

// Returns the master's exit code (0 after a clean drain).
int run_pool(const Config& config, int listen_fd, WorkerMain worker_main);
