# todo-api — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all build deps run test unit integration bench bench-smoke bench-soak bench-pgbouncer fuzz format format-check lint install deb clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Local stack: PostgreSQL under .run/, migrations, the pool, nginx on https://localhost:8443.
run: build
	/usr/bin/python3 scripts/devstack.py run

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 1

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration

bench: build
	/usr/bin/python3 bench/run_bench.py

# QUALITY.md's memory bar: 10 minutes of the mix, workers' RSS sampled every minute.
bench-soak: build
	/usr/bin/python3 bench/run_bench.py --soak 600

bench-smoke: build
	/usr/bin/python3 bench/run_bench.py --smoke

# Issue #13: list/get/create direct, with DB_PREPARED=off, and through PgBouncer
# (transaction mode, WORKERS/2 server connections), in one run.
bench-pgbouncer: build
	/usr/bin/python3 bench/run_bench.py --via-pgbouncer

# Each libFuzzer target runs FUZZ_SECONDS under ASan+UBSan, from its seed corpus.
FUZZ_SECONDS ?= 60
fuzz:
	@EXTRA_PACKAGES="clang libclang-rt-14-dev" scripts/install-deps.sh
	cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DTODO_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	@for target in build-fuzz/fuzz_*; do \
	  name=$$(basename $$target); short=$${name#fuzz_}; mkdir -p build-fuzz/corpus/$$short; \
	  echo "== $$name ($(FUZZ_SECONDS) s)"; \
	  $$target -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    $$( [ -f fuzz/$$short.dict ] && echo -dict=fuzz/$$short.dict ) \
	    build-fuzz/corpus/$$short $$( [ -d fuzz/corpus/$$short ] && echo fuzz/corpus/$$short ) 2>&1 \
	    | grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' ; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

# Every C++ file of the project, recursively (src/<layer>/, tests/, fuzz/, bench/).
FORMAT_FILES = $(shell find src tests fuzz bench -name '*.cpp' -o -name '*.h')

format:
	clang-format -i $(FORMAT_FILES)

# What CI checks besides the tests: the format (no file would change) and the lint.
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

lint: build
	@EXTRA_PACKAGES="clang-tidy cppcheck" scripts/install-deps.sh
	clang-tidy -p $(BUILD_DIR) --quiet $(shell find src -name "*.cpp")
	cppcheck --enable=warning,performance,portability --std=c++20 --error-exitcode=1 \
	  --suppress=missingIncludeSystem --inline-suppr -q src/

# The layout of the Debian package (`make deb`) under PREFIX, units in /etc/systemd/system.
# The unit names the package's /usr/bin/todo-api: rewritten here for PREFIX.
install: build
	install -D -m 0755 $(BUILD_DIR)/todo-api $(DESTDIR)$(PREFIX)/bin/todo-api
	sed 's|^ExecStart=/usr/bin/todo-api |ExecStart=$(PREFIX)/bin/todo-api |' \
	  systemd/todo-api.service > $(BUILD_DIR)/todo-api.service
	grep -qx 'ExecStart=$(PREFIX)/bin/todo-api serve' $(BUILD_DIR)/todo-api.service
	install -D -m 0644 $(BUILD_DIR)/todo-api.service $(DESTDIR)/etc/systemd/system/todo-api.service
	install -D -m 0644 systemd/todo-api.socket $(DESTDIR)/etc/systemd/system/todo-api.socket
	install -D -m 0644 nginx/todo-api.conf $(DESTDIR)/etc/nginx/sites-available/todo-api.conf
	install -d $(DESTDIR)$(PREFIX)/share/todo-api/sql
	install -m 0644 sql/*.sql sql/roles.sql.example $(DESTDIR)$(PREFIX)/share/todo-api/sql/
	install -D -m 0644 .env.example $(DESTDIR)/etc/todo-api/env.example
	install -D -m 0644 docs/todo-api.1 $(DESTDIR)$(PREFIX)/share/man/man1/todo-api.1

# dist/todo-api_VERSION_ARCH.deb: dpkg-buildpackage + lintian (scripts/build-deb.sh).
deb:
	@EXTRA_PACKAGES="debhelper dpkg-dev lintian rsync" scripts/install-deps.sh
	JOBS=$(JOBS) scripts/build-deb.sh

clean:
	rm -rf $(BUILD_DIR) build-fuzz dist
