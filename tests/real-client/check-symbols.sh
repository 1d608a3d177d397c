#!/usr/bin/env bash
# check-symbols.sh DIR: would every installed libotr client load DIR/libotr.so.5?
#
# For each client (pidgin-otr's plugin, irssi's otr module, bitlbee's otr.so,
# profanity, mcabber) that is installed:
#   1. every otrl_* symbol it imports is exported by DIR/libotr.so.5 as a
#      function (nm -D);
#   2. the dynamic linker, with LD_LIBRARY_PATH=DIR, picks DIR/libotr.so.5 and
#      leaves no otrl_*, gcry_* or gpg_* symbol undefined (ldd -r);
#   3. for the two programs (profanity, mcabber): they start with
#      LD_BIND_NOW=1 (`--version`), and LD_DEBUG=bindings shows each of their
#      otrl_* imports bound to DIR/libotr.so.5.
# Environment: OTR_CHECK_REQUIRE_ALL=1 makes a client that is not installed a
# failure instead of a skip.
# Exit status: 0 all installed clients pass, 1 a check failed, 2 usage,
# 3 prerequisites missing (binutils, or no client installed).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR   (DIR holds the libotr.so.5 to check)" >&2
    exit 2
fi
if [ ! -d "$1" ] || [ ! -e "$1/libotr.so.5" ]; then
    echo "check-symbols: $1/libotr.so.5 does not exist" >&2
    exit 2
fi
dir="$(cd "$1" && pwd)"
lib="$dir/libotr.so.5"
lib_real="$(readlink -f "$lib")"
apt_line="apt-get install -y binutils pidgin-otr irssi-plugin-otr bitlbee-plugin-otr profanity mcabber"

for cmd in nm readelf ldd awk; do
    if ! command -v "$cmd" >/dev/null 2>&1; then
        echo "check-symbols: MISSING PREREQUISITE: $cmd; install: $apt_line" >&2
        exit 3
    fi
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/otr-check-symbols.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

soname="$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
echo "check-symbols: $lib -> $lib_real (SONAME ${soname:-none})"
failures=0
if [ "$soname" != libotr.so.5 ]; then
    echo "FAIL library: SONAME is '${soname:-none}', clients need libotr.so.5"
    failures=$((failures + 1))
fi

# Functions the library exports (nm -D: T text, W weak, i indirect).
nm -D --defined-only "$lib" | awk '$2 ~ /^[TWi]$/ { sub(/@.*/, "", $3); print $3 }' |
    grep '^otrl_' | sort -u >"$tmp/exports"
echo "check-symbols: the library exports $(wc -l <"$tmp/exports") otrl_* functions"

first() { # print the first existing path among the arguments
    local p
    for p in "$@"; do
        if [ -e "$p" ]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

clients="pidgin irssi bitlbee profanity mcabber"
present=0
for client in $clients; do
    case "$client" in
        pidgin) file="$(first /usr/lib/pidgin/pidgin-otr.so /usr/lib/*/pidgin/pidgin-otr.so)" || file="" ;;
        irssi) file="$(first /usr/lib/*/irssi/modules/libotr_core.so /usr/lib/irssi/modules/libotr_core.so)" || file="" ;;
        bitlbee) file="$(first /usr/lib/bitlbee/otr.so /usr/lib/*/bitlbee/otr.so)" || file="" ;;
        profanity) file="$(command -v profanity)" || file="" ;;
        mcabber) file="$(command -v mcabber)" || file="" ;;
    esac
    if [ -z "$file" ]; then
        if [ "${OTR_CHECK_REQUIRE_ALL:-0}" = 1 ]; then
            echo "FAIL $client: not installed (OTR_CHECK_REQUIRE_ALL=1; install: $apt_line)"
            failures=$((failures + 1))
        else
            echo "skip $client: not installed"
        fi
        continue
    fi
    present=$((present + 1))
    problems=""

    # 1. imports against exports
    nm -D --undefined-only "$file" | awk '{ sub(/@.*/, "", $2); print $2 }' |
        grep '^otrl_' | sort -u >"$tmp/imports.$client" || true
    n_imports="$(wc -l <"$tmp/imports.$client")"
    missing="$(comm -23 "$tmp/imports.$client" "$tmp/exports" | tr '\n' ' ')"
    [ -z "$missing" ] || problems="$problems; not exported: $missing"
    [ "$n_imports" -gt 0 ] || problems="$problems; imports no otrl_* symbol (not a libotr client?)"

    # 2. the dynamic linker's view
    ldd_out="$(env LD_LIBRARY_PATH="$dir" ldd -r "$file" 2>&1)" || true
    bound="$(echo "$ldd_out" | awk '$1 == "libotr.so.5" && $2 == "=>" { print $3; exit }')"
    if [ -z "$bound" ]; then
        problems="$problems; ldd finds no libotr.so.5"
    elif [ "$(readlink -f "$bound")" != "$lib_real" ]; then
        problems="$problems; ldd loads $bound instead (RPATH?)"
    fi
    undef="$(echo "$ldd_out" | sed -n 's/^undefined symbol: \(\(otrl_\|gcry_\|gpg_\)[^[:space:]]*\).*/\1/p' |
        sort -u | tr '\n' ' ')"
    [ -z "$undef" ] || problems="$problems; ldd -r: undefined $undef"
    if echo "$ldd_out" | grep -q "libotr.so.5.*version .* not found"; then
        problems="$problems; ldd -r: $(echo "$ldd_out" | grep 'libotr.so.5.*version' | head -n 1)"
    fi
    how="ldd -r"

    # 3. programs: start them for real and look at the bindings
    case "$client" in
        profanity | mcabber)
            case "$client" in
                profanity) vflag=--version ;;
                mcabber) vflag=-V ;;
            esac
            mkdir -p "$tmp/home.$client"
            if ! env HOME="$tmp/home.$client" LD_LIBRARY_PATH="$dir" LD_BIND_NOW=1 \
                LD_DEBUG=bindings LD_DEBUG_OUTPUT="$tmp/bind.$client" \
                timeout 10 "$file" "$vflag" </dev/null >"$tmp/run.$client" 2>&1; then
                problems="$problems; '$client $vflag' with LD_BIND_NOW=1 failed: $(head -n 2 "$tmp/run.$client" | tr '\n' ' ')"
            else
                # PID: binding file /usr/bin/x [0] to /dir/libotr.so.5 [0]: normal symbol `otrl_init'
                cat "$tmp/bind.$client".* 2>/dev/null |
                    awk -v exe="$file" '$2 == "binding" && $4 == exe && $7 ~ /libotr\.so/ {
                        sym = $NF; gsub(/[`'"'"']/, "", sym); print $7 " " sym }' |
                    sort -u >"$tmp/bindings.$client"
                unbound=""
                while read -r sym; do
                    to="$(awk -v s="$sym" '$2 == s { print $1; exit }' "$tmp/bindings.$client")"
                    if [ -z "$to" ] || [ "$(readlink -f "$to")" != "$lib_real" ]; then
                        unbound="$unbound $sym${to:+(->$to)}"
                    fi
                done <"$tmp/imports.$client"
                [ -z "$unbound" ] || problems="$problems; not bound to the library:$unbound"
                how="ldd -r, LD_BIND_NOW start, LD_DEBUG=bindings"
            fi
            ;;
    esac

    if [ -z "$problems" ]; then
        printf 'ok   %-9s %s: %d otrl_* imports, all exported; %s: libotr.so.5 => %s\n' \
            "$client" "$file" "$n_imports" "$how" "$bound"
    else
        printf 'FAIL %-9s %s: %d otrl_* imports%s\n' "$client" "$file" "$n_imports" "$problems"
        failures=$((failures + 1))
    fi
done

if [ "$present" -eq 0 ]; then
    echo "check-symbols: NO CLIENT INSTALLED; install: $apt_line" >&2
    exit 3
fi
if [ "$failures" -gt 0 ]; then
    echo "check-symbols: $failures FAILED"
    exit 1
fi
echo "check-symbols: all $present installed clients resolve every otrl_* import against $lib"
