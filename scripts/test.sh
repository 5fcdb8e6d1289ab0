#!/usr/bin/env bash
# The whole test suite: stage 1 builds (Release) and runs every test (unit, PyTorch-oracle
# fixtures, CLI bad input); stage 2 rebuilds with AddressSanitizer + UndefinedBehaviorSanitizer and
# runs them again. Idempotent. Usage: scripts/test.sh [--no-sanitizers]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs="$(nproc)"

echo "== stage 1: release build, all tests =="
scripts/build.sh build -DBIRNN_BUILD_TESTS=ON
ctest --test-dir build -j "$jobs" --output-on-failure

if [[ "${1:-}" == "--no-sanitizers" ]]; then exit 0; fi

echo "== stage 2: AddressSanitizer + UndefinedBehaviorSanitizer build, all tests =="
scripts/build.sh build-asan -DBIRNN_BUILD_TESTS=ON -DBIRNN_BUILD_BENCH=OFF -DBIRNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
# Every new heap block is filled with 0xff bytes, so a float read before it is written is a NaN (and an
# index -1) instead of a plausible leftover; tensors are exact-size heap blocks in this build (tensor.cpp).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:max_malloc_fill_size=2147483647:malloc_fill_byte=255 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j "$jobs" --output-on-failure -LE package   # the install check needs an uninstrumented consumer
