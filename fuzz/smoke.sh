#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 10; the first
# argument overrides), one after the other, single job, without sanitizers
# (works on stable Rust). Exits non-zero as soon as a target crashes or fails
# to build. New corpus entries go to a temporary directory; fuzz/corpus/<target>/
# is only read (as seeds), so a CI run leaves the committed corpora untouched.
#
#   fuzz/smoke.sh        # 10 s per target
#   fuzz/smoke.sh 60     # 60 s per target
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail

secs="${1:-10}"
case "$secs" in
    ''|*[!0-9]*) echo "usage: $0 [seconds per target]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")"
targets=(envelope fragment encoded_message tlvs signed_identity session_input two_party group_arithmetic)

cargo fuzz build --sanitizer none

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

for t in "${targets[@]}"; do
    echo "=== $t: ${secs}s"
    mkdir -p "$scratch/$t"
    # The first corpus directory receives new inputs; the committed corpus and
    # any saved regressions only seed.
    seeds=("corpus/$t")
    if [ -d "regressions/$t" ]; then seeds+=("regressions/$t"); fi
    if ! cargo fuzz run --sanitizer none "$t" "$scratch/$t" "${seeds[@]}" -- \
        -max_total_time="$secs" -print_final_stats=1; then
        echo "fuzz target $t FAILED (crash input under fuzz/artifacts/$t/)" >&2
        exit 1
    fi
done
echo "all ${#targets[@]} targets ran ${secs}s each without a crash"
