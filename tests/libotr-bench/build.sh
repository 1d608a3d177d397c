#!/usr/bin/env bash
# Build the libotr side of otr-core's side-by-side benchmarks:
#   OUTDIR/libotr_bench   (usage: libotr_bench <scenario> <iterations> [KEYDIR])
# Needs: a C compiler, pkg-config, libotr 4.1.1 development files
# (libotr5-dev), libgcrypt.
# Exit status 3: libotr is not available (the benchmark then times only ours).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
outdir="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../libotr-build-env.sh
source "$here/../libotr-build-env.sh"

# Build into a temporary name and rename, so a concurrent run never sees a
# half-written binary.
tmp="$outdir/.libotr_bench.$$"
# shellcheck disable=SC2046,SC2086
"$cc" -O2 -Wall -Wextra -o "$tmp" "$here/libotr_bench.c" \
    $(pkg-config --cflags --libs libotr) $gcrypt_libs
mv -f "$tmp" "$outdir/libotr_bench"
echo "built $outdir/libotr_bench ($(pkg-config --modversion libotr))"
