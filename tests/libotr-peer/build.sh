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
# shellcheck source=../libotr-build-env.sh
source "$here/../libotr-build-env.sh"

# shellcheck disable=SC2046,SC2086
"$cc" -O1 -g -Wall -Wextra -o "$outdir/libotr_peer" "$here/libotr_peer.c" \
    $(pkg-config --cflags libotr) $(pkg-config --libs libotr) $gcrypt_libs
"$cc" -O1 -Wall -Wextra -shared -fPIC -o "$outdir/libfaketime_otr.so" \
    "$here/faketime.c"
echo "built $outdir/libotr_peer and $outdir/libfaketime_otr.so"
