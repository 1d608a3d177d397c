# Sourced by the build.sh of every C program built against libotr 4.1.1
# (tests/libotr-peer, tests/libotr-contract, tests/libotr-bench), after it set
# `outdir`: checks pkg-config, libotr's development files and a C compiler,
# sets `cc` and `gcrypt_libs`, and creates `outdir`.
# Exit status 3: libotr is not available (the caller's tests skip).

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

# shellcheck disable=SC2034 # used by the sourcing script
gcrypt_libs="$(libgcrypt-config --libs 2>/dev/null || echo -lgcrypt)"
mkdir -p "$outdir"
