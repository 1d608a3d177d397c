#!/usr/bin/env bash
# A real OTR client, scripted: two irssi instances with irssi-plugin-otr, each
# with its own HOME and key files, talking through a private ngircd on
# 127.0.0.1. They generate their keys (irssi forks for it), run the AKE, send a
# message each way, run SMP with the right secret, and end the conversation.
#
# Instance A (alice) and instance B (bob) can each load libotr.so.5 from a
# directory of your choice:
#   OTR_LIB_DIR_A=DIR   put DIR first on A's LD_LIBRARY_PATH (DIR/libotr.so.5)
#   OTR_LIB_DIR_B=DIR   the same for B
# Other knobs (see README.md):
#   OTR_REAL_CLIENT_KEYS=generate|fixtures   keys made by irssi (default) or
#                       copied from tests/fixtures/libotr (made by libotr)
#   OTR_REAL_CLIENT_TIMEOUT=SECONDS          whole-run limit (default 170)
#   OTR_REAL_CLIENT_KEEP=1                   keep the temporary directory
#
# Exit status: 0 pass, 1 a check failed, 2 usage error, 3 a prerequisite is
# missing (nothing was run).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
apt_line="apt-get install -y irssi irssi-plugin-otr ngircd tmux"

if [ $# -ne 0 ]; then
    echo "usage: [OTR_LIB_DIR_A=DIR] [OTR_LIB_DIR_B=DIR] $0" >&2
    exit 2
fi

# ---------------------------------------------------------------- prerequisites
missing=""
for cmd in irssi ngircd tmux; do
    command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
done
otr_module=""
for d in /usr/lib/*/irssi/modules /usr/lib/irssi/modules /usr/local/lib/irssi/modules; do
    if [ -e "$d/libotr_core.so" ]; then
        otr_module="$d/libotr_core.so"
        break
    fi
done
[ -n "$otr_module" ] || missing="$missing irssi-plugin-otr(libotr_core.so)"
if [ -n "$missing" ]; then
    {
        echo "################################################################"
        echo "real-client: MISSING PREREQUISITES:$missing"
        echo "real-client: install them with:"
        echo "real-client:     $apt_line"
        echo "real-client: nothing was run."
        echo "################################################################"
    } >&2
    exit 3
fi

keys_mode="${OTR_REAL_CLIENT_KEYS:-generate}"
case "$keys_mode" in
    generate | fixtures) ;;
    *)
        echo "real-client: OTR_REAL_CLIENT_KEYS must be 'generate' or 'fixtures'" >&2
        exit 2
        ;;
esac
total_limit="${OTR_REAL_CLIENT_TIMEOUT:-170}"
case "$total_limit" in
    '' | *[!0-9]*)
        echo "real-client: OTR_REAL_CLIENT_TIMEOUT must be a number of seconds" >&2
        exit 2
        ;;
esac

lib_a="${OTR_LIB_DIR_A:-}"
lib_b="${OTR_LIB_DIR_B:-}"
for spec in "A:$lib_a" "B:$lib_b"; do
    dir="${spec#*:}"
    if [ -n "$dir" ] && [ ! -e "$dir/libotr.so.5" ]; then
        echo "real-client: OTR_LIB_DIR_${spec%%:*}=$dir has no libotr.so.5" >&2
        exit 2
    fi
done

# ---------------------------------------------------------------- state, cleanup
tmp="$(mktemp -d "${TMPDIR:-/tmp}/otr-real-client.XXXXXX")"
chmod 755 "$tmp" # ngircd drops to an unprivileged user when started as root
sock="$tmp/tmux.sock"
ngircd_pid=""
failed=1
start_time=$SECONDS
deadline=$((SECONDS + total_limit))

tm() { tmux -f /dev/null -S "$sock" "$@"; }

cleanup() {
    set +e
    if [ -S "$sock" ]; then
        tm kill-server >/dev/null 2>&1
    fi
    for who in alice bob; do
        # Normally gone with the tmux server; only ever kill our own irssi.
        if alive "$who"; then
            pid="$(cat "$tmp/$who/irssi.pid")"
            if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--home=$tmp/$who/"; then
                kill "$pid" 2>/dev/null
            fi
        fi
    done
    if [ -n "$ngircd_pid" ]; then
        kill "$ngircd_pid" 2>/dev/null
        wait "$ngircd_pid" 2>/dev/null
    fi
    if [ "$failed" = 0 ] && [ "${OTR_REAL_CLIENT_KEEP:-0}" != 1 ]; then
        rm -rf "$tmp"
    else
        echo "real-client: files kept in $tmp" >&2
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf 'real-client: %s\n' "$*"; }
ok() { printf 'ok %s\n' "$*"; }

dump() { # best effort: never fails
    set +e
    for who in alice bob; do
        echo "----- $who: last lines of irssi.log" >&2
        tail -n 25 "$tmp/$who/irssi.log" >&2 2>/dev/null
        echo "----- $who: screen" >&2
        tm capture-pane -p -t "$who" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n 15 >&2
        if [ -s "$tmp/$who/stderr.log" ]; then
            echo "----- $who: stderr" >&2
            tail -n 10 "$tmp/$who/stderr.log" >&2
        fi
    done
    echo "----- ngircd" >&2
    tail -n 10 "$tmp/ngircd/ngircd.log" >&2 2>/dev/null
}

fail() {
    printf 'FAIL %s\n' "$*"
    dump
    say "FAILED after $((SECONDS - start_time)) s"
    exit 1
}

alive() { # who: its irssi runs (a zombie waiting for tmux to reap it is dead)
    local pid state
    pid="$(cat "$tmp/$1/irssi.pid" 2>/dev/null)" || return 1
    state="$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

watch_alive=1 # 0 once the clients are told to quit
# wait_for SECONDS FILE ERE DESCRIPTION: poll until FILE has a line matching
# ERE; fail on timeout, on the whole-run deadline, or when an irssi died.
wait_for() {
    local limit="$1" file="$2" re="$3" what="$4"
    local until=$((SECONDS + limit))
    while ! grep -Eq -- "$re" "$file" 2>/dev/null; do
        if [ "$SECONDS" -ge "$until" ]; then
            fail "$what: nothing matching /$re/ in ${file#"$tmp"/} within $limit s"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "$what: whole run over its $total_limit s limit"
        fi
        for who in alice bob; do
            if [ "$watch_alive" = 1 ] && [ -f "$tmp/$who/irssi.pid" ] && ! alive "$who"; then
                fail "$what: irssi instance $who died" \
                    "($(tm display -p -t "$who" '#{pane_dead_status} #{pane_dead_signal}' 2>/dev/null || echo '?'))"
            fi
        done
        sleep 0.2
    done
}

# type WHO TEXT: type a line into WHO's irssi, as a user would.
type_line() {
    tm send-keys -t "$1" -l -- "$2"
    tm send-keys -t "$1" Enter
}

log_a="$tmp/alice/irssi.log"
log_b="$tmp/bob/irssi.log"
raw_a="$tmp/alice/raw.log"
raw_b="$tmp/bob/raw.log"

# ---------------------------------------------------------------- ngircd
mkdir -p "$tmp/ngircd"
port=""
for _ in 1 2 3 4 5 6 7 8; do
    cand=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    # A connection that succeeds means the port is taken.
    if (exec 3<>"/dev/tcp/127.0.0.1/$cand") 2>/dev/null; then
        continue
    fi
    cat >"$tmp/ngircd/ngircd.conf" <<EOF
[Global]
Name = irc.otr-test.invalid
Info = OTR real-client test server
AdminInfo1 = OTR test
AdminInfo2 = local
AdminEMail = nobody@otr-test.invalid
Listen = 127.0.0.1
Ports = $cand
MotdPhrase = OTR real-client test
PidFile = $tmp/ngircd/ngircd.pid
[Limits]
PingTimeout = 600
PongTimeout = 600
MaxNickLength = 30
[Options]
DNS = no
Ident = no
PAM = no
[SSL]
EOF
    ngircd -n -f "$tmp/ngircd/ngircd.conf" >"$tmp/ngircd/ngircd.log" 2>&1 &
    ngircd_pid=$!
    until=$((SECONDS + 10))
    while [ "$SECONDS" -lt "$until" ] && kill -0 "$ngircd_pid" 2>/dev/null &&
        ! grep -q "Now listening on \[127.0.0.1\]:$cand" "$tmp/ngircd/ngircd.log"; do
        sleep 0.1
    done
    if grep -q "Now listening on \[127.0.0.1\]:$cand" "$tmp/ngircd/ngircd.log"; then
        port="$cand"
        break
    fi
    kill "$ngircd_pid" 2>/dev/null || true
    wait "$ngircd_pid" 2>/dev/null || true
    ngircd_pid=""
done
[ -n "$port" ] || fail "ngircd did not start listening (see $tmp/ngircd/ngircd.log)"

say "$(irssi --version 2>/dev/null | head -n 1) + $otr_module; ngircd on 127.0.0.1:$port; in $tmp"

# ---------------------------------------------------------------- irssi instances
start_irssi() { # who libdir
    local who="$1" libdir="$2" home="$tmp/$1"
    mkdir -p "$home/.irssi/otr"
    cat >"$home/.irssi/config" <<EOF
servers = (
  { address = "127.0.0.1"; chatnet = "local"; port = "$port"; autoconnect = "yes"; }
);
chatnets = { local = { type = "IRC"; }; };
settings = {
  core = {
    real_name = "$who"; user_name = "$who"; nick = "$who";
    settings_autosave = "no";
  };
  "irc/core" = { cmd_queue_speed = "0"; cmds_max_at_once = "100"; };
  "fe-common/core" = { autolog = "no"; };
};
logs = { "$home/irssi.log" = { level = "ALL"; auto_open = "yes"; }; };
EOF
    printf 'load otr\nstatusbar window add otr\n' >"$home/.irssi/startup"
    if [ "$keys_mode" = fixtures ]; then
        # The fixture keys were made by libotr for XMPP accounts; irssi's
        # account is the server tag ("local") and its protocol "IRC".
        sed -e 's/(name "[^"]*")/(name "local")/' -e 's/(protocol xmpp)/(protocol IRC)/' \
            "$repo/tests/fixtures/libotr/$who.key" >"$home/.irssi/otr/otr.key"
    fi
    {
        echo '#!/bin/sh'
        echo "export HOME='$home'"
        if [ -n "$libdir" ]; then
            echo "export LD_LIBRARY_PATH='$libdir'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
        fi
        echo "echo \$\$ > '$home/irssi.pid'"
        echo "exec irssi --home='$home/.irssi' 2>'$home/stderr.log'"
    } >"$home/start.sh"
    chmod +x "$home/start.sh"
    tm new-session -d -s "$who" -x 200 -y 50 "$home/start.sh"
}

# A private tmux server that keeps a pane whose irssi exited (to read the
# exit status) and stays up without sessions until cleanup kills it.
tm start-server \; set-option -g exit-empty off \; set-option -g remain-on-exit on
start_irssi alice "$lib_a"
start_irssi bob "$lib_b"

for who in alice bob; do
    wait_for 20 "$tmp/$who/irssi.log" 'End of MOTD command|MOTD File is missing' "$who connects to ngircd"
done

# Which libotr.so.5 each instance really mapped.
for spec in "alice:A:$lib_a" "bob:B:$lib_b"; do
    who="${spec%%:*}"
    rest="${spec#*:}"
    side="${rest%%:*}"
    dir="${rest#*:}"
    pid="$(cat "$tmp/$who/irssi.pid")"
    mapped="$(awk '/\/libotr\.so/ { print $6; exit }' "/proc/$pid/maps")"
    if [ -z "$mapped" ]; then
        why="$(tm capture-pane -p -S -300 -t "$who" | grep -i 'module' | head -n 3)" || true
        fail "$side ($who) has no libotr.so mapped, the otr module did not load: ${why:-?}"
    fi
    if [ -n "$dir" ]; then
        want="$(readlink -f "$dir/libotr.so.5")"
        [ "$mapped" = "$want" ] ||
            fail "$side ($who) mapped $mapped, not $want from OTR_LIB_DIR_$side"
    fi
    say "$side ($who) runs on $mapped"
done

for who in alice bob; do
    type_line "$who" "/rawlog open $tmp/$who/raw.log"
done

# ---------------------------------------------------------------- keys
if [ "$keys_mode" = generate ]; then
    for who in alice bob; do
        type_line "$who" "/otr genkey local"
    done
    for who in alice bob; do
        wait_for 60 "$tmp/$who/irssi.log" 'OTR key generation for local (completed|failed)' \
            "$who generates its key"
        if grep -q 'OTR key generation for local failed' "$tmp/$who/irssi.log"; then
            fail "$who: key generation failed: $(grep 'OTR key generation for local failed' "$tmp/$who/irssi.log")"
        fi
    done
fi
hexfp='[0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8}'
for who in alice bob; do
    type_line "$who" "/otr info"
    wait_for 10 "$tmp/$who/irssi.log" "local: $hexfp|No OTR keys available" "$who lists its key"
done
fp_a="$(grep -Eo "local: $hexfp" "$log_a" | head -n 1 | cut -c8-)" || true
fp_b="$(grep -Eo "local: $hexfp" "$log_b" | head -n 1 | cut -c8-)" || true
[ -n "$fp_a" ] || fail "alice has no key (/otr info)"
[ -n "$fp_b" ] || fail "bob has no key (/otr info)"
[ "$fp_a" != "$fp_b" ] || fail "both instances have the same key $fp_a"
ok "keys ($keys_mode): alice $fp_a, bob $fp_b"

# ---------------------------------------------------------------- AKE
type_line alice "/query bob"
type_line alice "/otr init"
wait_for 30 "$log_a" 'Session secured' "AKE (alice)"
wait_for 30 "$log_b" 'Session secured' "AKE (bob)"
grep -Fq "OTR key fingerprint: $fp_b for bob" "$log_a" ||
    fail "AKE: alice does not show bob's fingerprint $fp_b"
grep -Fq "OTR key fingerprint: $fp_a for alice" "$log_b" ||
    fail "AKE: bob does not show alice's fingerprint $fp_a"
grep -Eq '^<< PRIVMSG bob :\?OTRv23\?' "$raw_a" || fail "AKE: alice sent no ?OTRv23? query"
ok "AKE: both sides 'Session secured', each shows the other's fingerprint"

# ---------------------------------------------------------------- messages
tag="$$-$RANDOM"
m1="alice-to-bob-$tag"
m2="bob-to-alice-$tag"
m3="bob-after-finish-$tag"
m4="bob-plaintext-$tag"
data_re='(\?OTR\|[0-9a-f]+\|[0-9a-f]+,0*1,[0-9]+,)?\?OTR:AAMD'

type_line alice "$m1"
wait_for 20 "$log_b" "<alice> $m1\$" "message alice->bob shown by bob"
type_line bob "/query alice"
type_line bob "$m2"
wait_for 20 "$log_a" "<bob> $m2\$" "message bob->alice shown by alice"
wait_for 5 "$raw_a" "^<< PRIVMSG bob :$data_re" "alice's raw log has a sent data message"
wait_for 5 "$raw_b" "^<< PRIVMSG alice :$data_re" "bob's raw log has a sent data message"
for f in "$raw_a" "$raw_b"; do
    if grep -Fq -e "$m1" -e "$m2" "$f"; then
        fail "messages: plaintext on the wire in ${f#"$tmp"/}: $(grep -F -e "$m1" -e "$m2" "$f" | head -n 1)"
    fi
done
for spec in "$raw_a:bob" "$raw_b:alice"; do
    f="${spec%:*}"
    if grep -E "^<< PRIVMSG ${spec##*:} :" "$f" | grep -Ev "^<< PRIVMSG ${spec##*:} :\?OTR" | grep -q .; then
        fail "messages: a non-OTR PRIVMSG was sent while encrypted (${f#"$tmp"/})"
    fi
done
if grep -Eq 'was not encrypted|Unreadable encrypted|Malformed message|Unrecognized OTR' "$log_a" "$log_b"; then
    fail "messages: OTR warning: $(grep -Eh 'was not encrypted|Unreadable encrypted|Malformed message|Unrecognized OTR' "$log_a" "$log_b" | head -n 1)"
fi
ok "messages: alice->bob and bob->alice shown by the receiver, only OTR data messages on the wire"

# ---------------------------------------------------------------- SMP
secret="sesame-$tag"
type_line alice "/otr auth $secret"
wait_for 30 "$log_b" 'alice wants to authenticate' "SMP: bob is asked for the secret"
type_line bob "/otr auth $secret"
wait_for 30 "$log_a" 'Authentication with bob (successful|failed)' "SMP result (alice)"
wait_for 30 "$log_b" 'Authentication with alice (successful|failed)' "SMP result (bob)"
if grep -Eq 'Authentication with (alice|bob) failed' "$log_a" "$log_b"; then
    fail "SMP with the right secret failed"
fi
fp_hex() { echo "$1" | tr -d ' ' | tr 'A-F' 'a-f'; }
grep -Eq "^bob	local	IRC	$(fp_hex "$fp_b")	smp\$" "$tmp/alice/.irssi/otr/otr.fp" ||
    fail "SMP: alice's otr.fp does not mark bob's fingerprint 'smp'"
grep -Eq "^alice	local	IRC	$(fp_hex "$fp_a")	smp\$" "$tmp/bob/.irssi/otr/otr.fp" ||
    fail "SMP: bob's otr.fp does not mark alice's fingerprint 'smp'"
for who in alice bob; do
    screen="$(tm capture-pane -p -t "$who")"
    if echo "$screen" | grep -q 'unverified'; then
        sleep 0.5 # the status bar is redrawn on the next event
        screen="$(tm capture-pane -p -t "$who")"
    fi
    echo "$screen" | grep -Fq '[OTR]' || fail "SMP: $who's status bar does not show [OTR] (verified)"
done
ok "SMP: both 'Authentication ... successful', status bar [OTR], trust 'smp' in both fingerprint files"

# ---------------------------------------------------------------- end
type_line alice "/otr finish"
wait_for 20 "$log_a" 'Finished conversation with bob' "end: alice finishes"
wait_for 20 "$log_b" 'alice has finished the OTR session' "end: bob sees alice's disconnect"
type_line bob "$m3"
wait_for 20 "$log_b" 'alice has closed the connection to you' "end: bob's message in FINISHED is refused"
type_line bob "/otr finish"
wait_for 20 "$log_b" 'Finished conversation with alice' "end: bob finishes"
type_line bob "$m4"
wait_for 20 "$log_a" "<bob> $m4\$" "end: bob's next message arrives in plaintext"
wait_for 5 "$raw_a" ">> :bob![^ ]* PRIVMSG alice :$m4\$" "end: plaintext on the wire after the end"
if grep -Fq "$m3" "$raw_a" "$raw_b" || grep -Fq "<bob> $m3" "$log_a"; then
    fail "end: bob's message typed in FINISHED state left bob"
fi
ok "end: alice's /otr finish reached bob, bob's message in FINISHED was not sent, plaintext afterwards"

# ---------------------------------------------------------------- screens, quit
for spec in "alice:$m2" "bob:$m1"; do
    who="${spec%%:*}"
    tm capture-pane -p -S -300 -t "$who" >"$tmp/$who/screen.txt"
    grep -Fq "${spec#*:}" "$tmp/$who/screen.txt" || fail "$who's screen does not show ${spec#*:}"
done
if grep -Eq '\(BUG!\)|Send failed|General Error|Error in private conversation' "$log_a" "$log_b"; then
    fail "errors in the logs: $(grep -Eh '\(BUG!\)|Send failed|General Error|Error in private conversation' "$log_a" "$log_b" | head -n 1)"
fi
watch_alive=0
for who in alice bob; do
    type_line "$who" "/quit"
done
for who in alice bob; do
    # irssi writes "--- Log closed" on an orderly exit, not when it crashes.
    wait_for 10 "$tmp/$who/irssi.log" '^--- Log closed' "$who quits"
    until=$((SECONDS + 10))
    while alive "$who" && [ "$SECONDS" -lt "$until" ]; do sleep 0.2; done
    alive "$who" && fail "$who did not exit within 10 s of closing its log"
    # tmux knows the exit status once it has reaped the process (it may not
    # have yet: then the log line above is the evidence).
    status="$(tm display -p -t "$who" '#{pane_dead_status}/#{pane_dead_signal}' 2>/dev/null || true)"
    case "$status" in
        '' | / | 0/ | 0/0) ;;
        *) fail "$who exited with status/signal '$status'" ;;
    esac
done
ok "screens show the peer's messages; both clients quit with status 0"

failed=0
say "PASS in $((SECONDS - start_time)) s"
