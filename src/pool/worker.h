// One worker process: a FastCGI accept loop answering one request at a time.
#pragma once

#include "core/config.h"

int worker_main(const Config& config, int listen_fd, int ready_fd);
