#!/usr/bin/env bash
# Build the libotr contract test program:
#   OUTDIR/contract   (usage: contract [-k KEYDIR] [-l] [TEST...])
# Needs: a C compiler, pkg-config, libotr 4.1.1 development files
# (libotr5-dev), libgcrypt.
# Exit status 3: libotr is not available (tests should skip).
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
tmp="$outdir/.contract.$$"
# shellcheck disable=SC2046,SC2086
"$cc" -O1 -g -Wall -Wextra -o "$tmp" "$here/contract.c" \
    $(pkg-config --cflags --libs libotr) $gcrypt_libs
mv -f "$tmp" "$outdir/contract"
echo "built $outdir/contract ($(pkg-config --modversion libotr))"
