#!/usr/bin/env bash
# Runs every test of agentgate on a fresh Debian 12 machine: installs what is
# needed, builds twice (optimised, and with AddressSanitizer +
# UndefinedBehaviorSanitizer), runs the unit and integration suites of both
# builds with ctest, then builds the libFuzzer targets with clang and runs
# each for a bounded time (FUZZ_SECONDS, default 20). Private MariaDB,
# PostgreSQL and OIDC provider servers are started on 127.0.0.1 by the test
# fixtures and stopped after.
#
# Usage: scripts/test.sh [ctest arguments, e.g. -L unit]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0

run_suite() { # build-dir cmake-args...
	local dir=$1
	shift
	echo "==> configuring $dir ($*)"
	cmake -S . -B "$dir" -DAGENTGATE_WERROR=ON "$@" >/dev/null
	echo "==> building $dir"
	cmake --build "$dir" -j"$jobs"
	echo "==> testing $dir"
	ctest --test-dir "$dir" --output-on-failure "${CTEST_ARGS[@]}" || status=1
}

CTEST_ARGS=("$@")
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DAGENTGATE_SANITIZE=ON

if [ "${#CTEST_ARGS[@]}" -eq 0 ]; then
	CC=clang run_suite build-fuzz -DAGENTGATE_FUZZ=ON \
		-DFUZZ_SECONDS="${FUZZ_SECONDS:-20}" -DCMAKE_BUILD_TYPE=Debug
fi

if [ "$status" -eq 0 ]; then
	echo "==> all suites passed (optimised, sanitized and fuzz builds)"
else
	echo "==> some tests failed"
fi
exit "$status"
