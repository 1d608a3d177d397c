#!/usr/bin/env bash
# Build and run the libotr contract tests, optionally under valgrind.
#   tests/libotr-contract/run.sh [--valgrind] [OUTDIR]
# OUTDIR defaults to target/libotr-contract. The program loads whatever
# libotr.so.5 the dynamic linker finds: put another one first with
# LD_LIBRARY_PATH=DIR. Keys: tests/fixtures/libotr (made by libotr 4.1.1).
# Exit status: 0 all passed, 1 a test failed (or valgrind found an error),
# 2 usage, 3 a prerequisite is missing (libotr5-dev, pkg-config, a C compiler
# for the build; valgrind for --valgrind).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
use_valgrind=0
if [ "${1:-}" = --valgrind ]; then
    use_valgrind=1
    shift
fi
if [ $# -gt 1 ]; then
    echo "usage: $0 [--valgrind] [OUTDIR]" >&2
    exit 2
fi
outdir="${1:-$repo/target/libotr-contract}"

if [ "$use_valgrind" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
    echo "run.sh: valgrind not found; install: apt-get install -y valgrind" >&2
    exit 3
fi
"$here/build.sh" "$outdir" # exits 3 when libotr's development files are missing

lib="$(ldd "$outdir/contract" | awk '$1 == "libotr.so.5" { print $3 }')"
echo "run.sh: contract loads libotr.so.5 from ${lib:-?}"
if [ "$use_valgrind" = 1 ]; then
    exec valgrind -q --error-exitcode=1 --leak-check=full --num-callers=40 \
        --child-silent-after-fork=yes --suppressions="$here/libotr-4.1.1.supp" \
        "$outdir/contract" -k "$repo/tests/fixtures/libotr"
fi
exec "$outdir/contract" -k "$repo/tests/fixtures/libotr"
