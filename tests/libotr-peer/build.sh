#!/usr/bin/env bash
# Build the libotr side of the interop tests:
#   OUTDIR/libotr_peer          line-protocol OTR endpoint on libotr 4.1.1
#   OUTDIR/libfaketime_otr.so   LD_PRELOAD shim shifting time() (see faketime.c)
# Needs: a C compiler, pkg-config, libotr 4.1.1 development files, libgcrypt.
# Exit status 3: libotr is not available (tests should skip).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
outdir="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cc="${CC:-cc}"

if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libotr; then
    echo "build.sh: libotr not found (pkg-config --exists libotr failed);" \
         "install libotr5-dev (libotr 4.1.1)" >&2
    exit 3
fi
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "build.sh: no C compiler ($cc)" >&2
    exit 1
fi

gcrypt_libs="$(libgcrypt-config --libs 2>/dev/null || echo -lgcrypt)"
mkdir -p "$outdir"

# shellcheck disable=SC2046,SC2086
"$cc" -O1 -g -Wall -Wextra -o "$outdir/libotr_peer" "$here/libotr_peer.c" \
    $(pkg-config --cflags libotr) $(pkg-config --libs libotr) $gcrypt_libs
"$cc" -O1 -Wall -Wextra -shared -fPIC -o "$outdir/libfaketime_otr.so" \
    "$here/faketime.c"
echo "built $outdir/libotr_peer and $outdir/libfaketime_otr.so"
