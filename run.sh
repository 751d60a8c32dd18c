#!/bin/sh
# Set up readinglist (system libraries, .venv) and open it on the bundled sample library.
# Any arguments go to `readinglist` (try: ./run.sh --help, or ./run.sh --data-dir ~/papers).
set -eu
cd "$(dirname "$0")"
scripts/setup.sh run
if [ $# -eq 0 ]; then set -- --sample; fi
exec .venv/bin/readinglist "$@"
