#!/bin/sh
# Adds every ONNX backend test that passes to tests/conformance/expected_pass.txt (the
# list only grows), e.g. after a new kernel lands:
#   tests/conformance/update_expected.sh build/release
set -eu
build=${1:-build/release}
cmake --build "$build" --target bb_conformance_tests
BB_CONFORMANCE_UPDATE=1 "$build/tests/conformance/bb_conformance_tests" --gtest_filter='OnnxBackend/*'
