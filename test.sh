#!/bin/sh
# Set up readinglist with its test tools (system packages included) and run the whole test suite, lint and types.
set -eu
cd "$(dirname "$0")"
scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec env QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest "$@"
