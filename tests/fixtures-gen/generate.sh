#!/usr/bin/env bash
# Regenerate the libotr interop fixtures in tests/fixtures/libotr/.
# Needs: a C compiler, pkg-config, libotr5-dev (4.1.1), libgcrypt, and
# /usr/bin/otr_parse (libotr5-bin). Keys and instance tags are new each run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
outdir="$repo/tests/fixtures/libotr"

for tool in cc pkg-config /usr/bin/otr_parse; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# libgcrypt is used directly (session-key recomputation, DH modulus).
gcrypt_libs="$(libgcrypt-config --libs 2>/dev/null || echo -lgcrypt)"
# shellcheck disable=SC2046
cc -O1 -Wall -Wextra -o "$tmp/gen_libotr_fixtures" \
    "$here/gen_libotr_fixtures.c" \
    $(pkg-config --cflags --libs libotr) $gcrypt_libs

mkdir -p "$outdir"
"$tmp/gen_libotr_fixtures" "$outdir" "$tmp"
echo "fixtures written to $outdir"
ls -l "$outdir"
