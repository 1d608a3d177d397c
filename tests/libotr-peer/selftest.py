#!/usr/bin/env python3
"""Self-test for libotr_peer: two libotr peers talking to each other.

Usage: selftest.py [BINDIR]

BINDIR holds libotr_peer and libfaketime_otr.so (as built by build.sh);
without it, build.sh is run into a temporary directory.  Exits 0 when every
check passes, 1 on the first failure, 3 when libotr is not installed.
Python 3 standard library only.
"""

import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 30.0
VERBOSE = os.environ.get("SELFTEST_VERBOSE") == "1"


def esc(s):
    """The line protocol's escaping of a payload (str -> str)."""
    b = s.encode("utf-8")
    out = []
    for i, c in enumerate(b):
        if c == 0x5C:
            out.append(b"\\\\")
        elif c == 0x0A:
            out.append(b"\\n")
        elif c == 0x0D:
            out.append(b"\\r")
        elif c == 0x09:
            out.append(b"\\t")
        elif c < 0x20 or c == 0x7F:
            out.append(b"\\x%02x" % c)
        elif c == 0x20 and i == len(b) - 1:
            out.append(b"\\x20")
        else:
            out.append(bytes([c]))
    return b"".join(out).decode("utf-8")


def unesc(s):
    b = s.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(b):
        c = b[i]
        if c == 0x5C and i + 1 < len(b):
            d = b[i + 1]
            m = {0x5C: 0x5C, ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09}
            if d in m:
                out.append(m[d])
                i += 2
                continue
            if d == ord("x") and i + 3 < len(b):
                try:
                    out.append(int(b[i + 2:i + 4].decode(), 16))
                    i += 4
                    continue
                except ValueError:
                    pass
        out.append(c)
        i += 1
    return bytes(out)


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print("  ok   " + what)


class Peer:
    def __init__(self, name, bindir, workdir, account, buddy, extra=(),
                 faketime=True):
        self.name = name
        self.account = account
        self.timefile = os.path.join(workdir, name + ".faketime")
        env = dict(os.environ)
        if faketime:
            env["LD_PRELOAD"] = os.path.join(bindir, "libfaketime_otr.so")
            env["OTR_FAKETIME_FILE"] = self.timefile
        args = [os.path.join(bindir, "libotr_peer"),
                "--key", os.path.join(workdir, name + ".key"),
                "--instag", os.path.join(workdir, name + ".instag"),
                "--fingerprints", os.path.join(workdir, name + ".fpr"),
                *extra, account, "xmpp", buddy]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env,
                                     cwd=workdir)
        self.buf = b""
        self.log = []
        ready = self._readline()
        if not ready.startswith("READY "):
            raise Failure("%s: expected READY, got %r" % (name, ready))
        self.ready = ready

    def _readline(self):
        deadline = time.time() + TIMEOUT
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise Failure("%s: timeout waiting for output" % self.name)
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise Failure("%s: process exited (rc=%s)" %
                              (self.name, self.proc.poll()))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "surrogateescape")

    def cmd(self, line):
        if VERBOSE:
            print("    %s <- %s" % (self.name, line[:150]))
        self.proc.stdin.write(line.encode("utf-8", "surrogateescape") + b"\n")
        self.proc.stdin.flush()
        out = []
        while True:
            ln = self._readline()
            if ln == "DONE":
                break
            if VERBOSE:
                print("    %s -> %s" % (self.name, ln[:150]))
            out.append(ln)
        self.log.extend(out)
        return out

    def one(self, line, prefix):
        """Run a command and return its single line starting with prefix."""
        got = [ln for ln in self.cmd(line) if ln.startswith(prefix)]
        if len(got) != 1:
            raise Failure("%s: %r gave %r lines %r" % (self.name, line,
                                                        prefix, got))
        return got[0]

    def state(self):
        st = self.one("state", "STATE ").split(" ")
        d = {"msgstate": st[1], "version": st[2], "their": st[3]}
        for kv in st[4:]:
            k, v = kv.split("=", 1)
            d[k] = v
        return d

    def fpr(self):
        return self.one("fingerprint", "FPR ").split(" ", 1)[1]

    def set_time_offset(self, secs):
        with open(self.timefile, "w") as f:
            f.write("%d\n" % secs)

    def quit(self):
        try:
            out = self.cmd("quit")
        except Failure:
            out = None
        rc = self.proc.wait(timeout=TIMEOUT)
        return out, rc


def exchange(first, first_out, a, b, limit=500):
    """Forward SEND lines between peers a and b until none are left.

    first / first_out: the peer whose command produced first_out.
    Returns {peer name: [all output lines produced while forwarding]}."""
    outputs = {a.name: [], b.name: []}
    outputs[first.name].extend(first_out)
    queue = [(first, ln[5:]) for ln in first_out if ln.startswith("SEND ")]
    n = 0
    while queue:
        n += 1
        if n > limit:
            raise Failure("message loop does not terminate")
        sender, payload = queue.pop(0)
        receiver = b if sender is a else a
        out = receiver.cmd("recv " + payload)
        outputs[receiver.name].extend(out)
        queue.extend((receiver, ln[5:]) for ln in out
                     if ln.startswith("SEND "))
    return outputs


def run(a, b, who, line):
    """Run a command on `who` and forward everything it causes."""
    out = who.cmd(line)
    return exchange(who, out, a, b)


def has(lines, prefix):
    return any(ln == prefix or ln.startswith(prefix) for ln in lines)


def count(lines, prefix):
    return sum(1 for ln in lines if ln == prefix or ln.startswith(prefix))


def main():
    bindir = sys.argv[1] if len(sys.argv) > 1 else None
    tmp = tempfile.mkdtemp(prefix="libotr-peer-selftest.")
    try:
        if bindir is None:
            bindir = os.path.join(tmp, "bin")
            rc = subprocess.call([os.path.join(HERE, "build.sh"), bindir])
            if rc == 3:
                print("libotr not installed: skipped")
                return 3
            if rc != 0:
                print("build failed")
                return 1
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        scenario(bindir, work)
        print("ALL OK")
        return 0
    except Failure as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def start_pair(bindir, work, a_extra=(), b_extra=()):
    alice = Peer("alice", bindir, work, "alice@example.org",
                 "bob@example.org", extra=a_extra)
    bob = Peer("bob", bindir, work, "bob@example.org", "alice@example.org",
               extra=b_extra)
    return alice, bob


def scenario(bindir, work):
    print("== start, key/instag files created")
    alice, bob = start_pair(bindir, work, b_extra=("--show-tlvs",))
    check(alice.ready.startswith("READY libotr_peer libotr-4.1"),
          "READY line: " + alice.ready)
    for n in ("alice", "bob"):
        check(os.path.exists(os.path.join(work, n + ".key")), n + ".key written")
        check(os.path.exists(os.path.join(work, n + ".instag")),
              n + ".instag written")
    a_fpr, b_fpr = alice.fpr(), bob.fpr()
    check(len(a_fpr) == 40 and a_fpr == a_fpr.lower(), "FPR is 40 lowercase hex")
    st = alice.state()
    check(st["msgstate"] == "PLAINTEXT" and st["ssid"] == "-",
          "STATE before anything: PLAINTEXT, ssid=-")
    a_tag = st["our"]

    print("== garbage never crashes")
    for junk in ["", "nonsense", "smp-respond x", "symkey", "symkey x",
                 "symkey 1 zz", "mms -1", "mms 10", "mms abc", "trust x",
                 "smpq no tab here", "state extra", "query x", "smp-abort",
                 "recv ?OTR:AAMD" + "A" * 50 + ".", "recv ?OTR|1|2,1,1,x,",
                 "recv ?OTR:AAMCgarbage.", "recv ?OTR,1,0,,", "recv \\x00",
                 "recv ?OTR Error: boom", "recv"]:
        out = alice.cmd(junk)
        if junk in ("", "nonsense", "symkey", "symkey x", "symkey 1 zz",
                    "mms -1", "mms 10", "mms abc", "trust x",
                    "smpq no tab here", "state extra", "query x",
                    "smp-respond x", "smp-abort"):
            check(has(out, "ERR "), "%r -> ERR" % junk)
    check(alice.proc.poll() is None, "alice still alive after garbage")
    # the junk above may have produced an error reply / state; restart clean
    alice.quit()
    bob.quit()
    alice, bob = start_pair(bindir, work, b_extra=("--show-tlvs",))
    check(alice.fpr() == a_fpr and bob.fpr() == b_fpr,
          "restart: same FPR from the key files")
    check(alice.state()["our"] == a_tag, "restart: same instance tag")

    print("== AKE by query")
    out = run(alice, bob, alice, "query")
    check(has(out["alice"], "SEND ?OTRv23?"), "query is ?OTRv23? ...")
    check("SECURE" in out["alice"] and "SECURE" in out["bob"],
          "SECURE on both sides")
    check(("NEWFPR " + b_fpr) in out["alice"], "alice: NEWFPR of bob's key")
    check(("NEWFPR " + a_fpr) in out["bob"], "bob: NEWFPR of alice's key")
    check(has(out["alice"] + out["bob"], "TIMER 70"),
          "TIMER 70 when the v3 DH-Commit goes out")
    sa, sb = alice.state(), bob.state()
    print("    " + " ".join("%s=%s" % kv for kv in sa.items()))
    check(sa["msgstate"] == "ENCRYPTED" and sb["msgstate"] == "ENCRYPTED",
          "STATE ENCRYPTED on both")
    check(sa["version"] == "3" and sb["version"] == "3", "protocol version 3")
    check(sa["ssid"] == sb["ssid"] and len(sa["ssid"]) == 16, "same ssid")
    check({sa["ssid_half"], sb["ssid_half"]} == {"first", "second"},
          "ssid_half first/second")
    check(sa["fpr"] == b_fpr and sb["fpr"] == a_fpr, "fpr= is the buddy's FPR")
    check(sa["their"] == "0x" + sb["our"][2:] and sb["their"] == "0x" +
          sa["our"][2:], "instance tags cross-match")
    check(sa["smp"] == "EXPECT1" and sa["auth"] == "NONE", "smp=EXPECT1 auth=NONE")
    check(sa["trust"] == "-", "trust=- before SMP")
    check(os.path.exists(os.path.join(work, "alice.fpr")),
          "fingerprints file written on NEWFPR")

    print("== messages both ways")
    texts = ["h\u00e9llo w\u00f6rld \u2713", "line one\nline two",
             "tab\there", "trailing space ", "back\\slash \\n literal",
             "\u00fcn\u00efc\u00f6d\u00e9 \U0001F600"]
    for i, t in enumerate(texts):
        src, dst = (alice, bob) if i % 2 == 0 else (bob, alice)
        out = run(alice, bob, src, "send " + esc(t))
        sends = [ln for ln in out[src.name] if ln.startswith("SEND ")]
        check(len(sends) == 1 and sends[0].startswith("SEND ?OTR:AAMD"),
              "%s: one v3 data message" % src.name)
        check(("MSG " + esc(t)) in out[dst.name],
              "%s receives %r" % (dst.name, t))
    check(count(bob.log, "TLV ") == 0, "no TLV lines for plain data messages")

    print("== fragmentation with mms 100")
    alice.cmd("mms 100")
    bob.cmd("mms 100")
    long_text = ("The quick brown fox jumps over the lazy dog, "
                 "h\u00e9llo w\u00f6rld \u2713; ") * 8
    out = run(alice, bob, alice, "send " + esc(long_text))
    sends = [ln[5:] for ln in out["alice"] if ln.startswith("SEND ")]
    check(len(sends) > 1, "long message split into %d fragments" % len(sends))
    check(all(s.startswith("?OTR|") for s in sends), "v3 fragment syntax")
    check(all(len(unesc(s)) <= 99 for s in sends), "each fragment <= 99 bytes")
    check(("MSG " + esc(long_text)) in out["bob"], "bob reassembles it")
    out = run(alice, bob, bob, "send " + esc(long_text[::-1]))
    check(("MSG " + esc(long_text[::-1])) in out["alice"],
          "alice reassembles bob's fragments")

    print("== SMP, right secret, fragmented")
    out = run(alice, bob, alice, "smp s3cret")
    check("SMP ASK_FOR_SECRET 25" in out["bob"], "bob: SMP ASK_FOR_SECRET 25")
    check(count(out["alice"], "SEND ?OTR|") > 1, "SMP1 is fragmented")
    out = run(alice, bob, bob, "smp-respond s3cret")
    check("SMP IN_PROGRESS 60" in out["alice"], "alice: SMP IN_PROGRESS 60")
    check("SMP SUCCESS 100" in out["alice"] and "SMP SUCCESS 100" in out["bob"],
          "SMP SUCCESS 100 on both")
    check(alice.state()["trust"] == "smp" and bob.state()["trust"] == "smp",
          "trust=smp on both (no question)")
    with open(os.path.join(work, "alice.fpr")) as f:
        check("\tsmp" in f.read(), "alice.fpr records smp trust")
    alice.cmd("mms 0")
    bob.cmd("mms 0")

    print("== SMP, wrong secret")
    run(alice, bob, bob, "smp one")
    out = run(alice, bob, alice, "smp-respond two")
    check("SMP FAILURE 100" in out["alice"] and "SMP FAILURE 100" in out["bob"],
          "SMP FAILURE 100 on both")
    check(alice.state()["trust"] == "-" and bob.state()["trust"] == "-",
          "trust cleared on both")

    print("== SMP with a question")
    out = run(alice, bob, alice, "smpq Favourite colour?\tblue")
    check("SMP ASK_FOR_ANSWER 25 Favourite colour?" in out["bob"],
          "bob: SMP ASK_FOR_ANSWER 25 <question>")
    out = run(alice, bob, bob, "smp-respond blue")
    check("SMP SUCCESS 100" in out["alice"] and "SMP SUCCESS 100" in out["bob"],
          "SMP SUCCESS 100 on both")
    check(alice.state()["trust"] == "smp", "asker: trust=smp")
    check(bob.state()["trust"] == "-",
          "responder to a question: trust unchanged (libotr)")

    print("== SMP abort and out-of-state")
    run(alice, bob, alice, "smp x")
    out = run(alice, bob, alice, "smp-abort")
    check("SMP ABORT 0" in out["bob"], "bob: SMP ABORT 0")
    check(has(bob.cmd("smp-respond x"), "ERR "), "smp-respond after abort: ERR")

    print("== symkey")
    out = run(alice, bob, alice, "symkey 5 0102ff")
    a_sym = [ln for ln in out["alice"] if ln.startswith("SYMKEY ")]
    b_sym = [ln for ln in out["bob"] if ln.startswith("SYMKEY ")]
    check(len(a_sym) == 1 and a_sym == b_sym,
          "SYMKEY identical on both: " + (a_sym[0] if a_sym else "-"))
    check(len(a_sym[0].split(" ")[2]) == 64 and
          a_sym[0].endswith(" 0102ff"), "SYMKEY <use> <64 hex> <usedata>")
    check(has(out["bob"], "TLV 8 000000050102ff"), "--show-tlvs: TLV 8 line")

    print("== heartbeat after 61 s")
    out = run(alice, bob, alice, "send ping")
    check("EVENT LOG_HEARTBEAT_SENT" not in out["bob"], "no heartbeat yet")
    bob.set_time_offset(61)
    out = run(alice, bob, alice, "send ping again")
    check("MSG ping again" in out["bob"], "bob got the message")
    check("EVENT LOG_HEARTBEAT_SENT" in out["bob"], "bob: EVENT LOG_HEARTBEAT_SENT")
    check("EVENT LOG_HEARTBEAT_RCVD" in out["alice"],
          "alice: EVENT LOG_HEARTBEAT_RCVD")
    out = run(alice, bob, alice, "send and again")
    check("EVENT LOG_HEARTBEAT_SENT" not in out["bob"],
          "no second heartbeat within 60 s")

    print("== poll")
    alice.set_time_offset(200)
    out = alice.cmd("poll")
    check(out in ([], ["TIMER 0"]), "poll: %r" % out)

    print("== end")
    out = run(alice, bob, alice, "end")
    check(count(out["alice"], "SEND ?OTR:AAMD") == 1, "alice sends the disconnect")
    check("INSECURE" in out["alice"] and "INSECURE" in out["bob"],
          "INSECURE on both")
    check(alice.state()["msgstate"] == "PLAINTEXT", "alice PLAINTEXT")
    sb = bob.state()
    check(sb["msgstate"] == "FINISHED" and sb["ssid"] == "-" and
          sb["version"] == "0", "bob FINISHED, ssid=-, version 0")
    out = bob.cmd("send are you there?")
    check(out == ["EVENT CONNECTION_ENDED"],
          "send in FINISHED: only EVENT CONNECTION_ENDED")
    out = bob.cmd("end")
    check(bob.state()["msgstate"] == "PLAINTEXT" and out == [],
          "end in FINISHED -> PLAINTEXT silently")
    out = run(alice, bob, alice, "send plain now")
    check("MSG plain now" in out["bob"] or has(out["bob"], "MSG plain now"),
          "plaintext (tagged) delivered after end")

    _, rc = alice.quit()
    check(rc == 0, "quit exits 0")
    _, rc = bob.quit()

    print("== restart: files re-read, mms 100 from the start, --smp-secret")
    alice, bob = start_pair(bindir, work,
                            a_extra=("--max-msg-size", "100"),
                            b_extra=("--max-msg-size", "100",
                                     "--smp-secret", "auto"))
    check(alice.fpr() == a_fpr and bob.fpr() == b_fpr, "same FPR after restart")
    out = run(alice, bob, alice, "query")
    check("SECURE" in out["alice"] and "SECURE" in out["bob"], "SECURE again")
    check(not has(out["alice"] + out["bob"], "NEWFPR"),
          "no NEWFPR: fingerprints file was read")
    check(count(out["bob"], "SEND ?OTR|") > 1, "AKE messages fragmented")
    check(alice.state()["trust"] == "smp", "alice's smp trust persisted")
    out = run(alice, bob, alice, "smp auto")
    check("SMP SUCCESS 100" in out["alice"] and "SMP SUCCESS 100" in out["bob"],
          "--smp-secret answers automatically: SUCCESS")
    out = run(alice, bob, alice, "smp wrong")
    check("SMP FAILURE 100" in out["alice"], "--smp-secret, wrong: FAILURE")

    print("== unencrypted message while private")
    out = bob.cmd("recv hello in clear")
    check(out == ["EVENT RCVDMSG_UNENCRYPTED hello in clear"],
          "EVENT RCVDMSG_UNENCRYPTED with the text")
    out = bob.cmd("recv ?OTR Error: something broke")
    check("EVENT RCVDMSG_GENERAL_ERR something broke" in out,
          "EVENT RCVDMSG_GENERAL_ERR with the text")

    print("== v2-only pair")
    alice.quit()
    bob.quit()
    alice, bob = start_pair(bindir, work, a_extra=("--policy", "v2-only"),
                            b_extra=("--policy", "manual"))
    out = run(alice, bob, alice, "query")
    check(has(out["alice"], "SEND ?OTRv2?"), "v2-only query is ?OTRv2?")
    check("SECURE" in out["alice"] and "SECURE" in out["bob"], "v2 SECURE")
    check(alice.state()["version"] == "2", "version 2")
    out = run(alice, bob, bob, "send v2 " + esc("text\twith tab "))
    check(("MSG " + esc("v2 text\twith tab ")) in out["alice"], "v2 message")
    alice.cmd("mms 30")
    out = run(alice, bob, alice, "send " + esc(long_text))
    check(count(out["alice"], "SEND ?OTR,") > 10 and
          all(len(unesc(ln[5:])) <= 29 for ln in out["alice"]
              if ln.startswith("SEND ")), "v2 fragments at mms 30")
    check(("MSG " + esc(long_text)) in out["bob"], "v2 fragments reassembled")
    alice.quit()
    bob.quit()

    print("== require-encryption: held message")
    alice, bob = start_pair(bindir, work, a_extra=("--policy", "always"))
    out = run(alice, bob, alice, "send held " + esc("message"))
    check(out["alice"][0] == "EVENT ENCRYPTION_REQUIRED",
          "EVENT ENCRYPTION_REQUIRED first")
    check(has(out["alice"], "SEND ?OTRv23?"), "a query goes out instead")
    check("SECURE" in out["alice"] and "SECURE" in out["bob"], "SECURE")
    check("MSG held message" in out["bob"],
          "held message sent encrypted after the AKE (libotr: by the "
          "Reveal-Signature receiver)")
    out = bob.cmd("recv plain text")
    check(out == ["EVENT RCVDMSG_UNENCRYPTED plain text"],
          "plaintext while private: RCVDMSG_UNENCRYPTED")

    print("== trust command")
    check(alice.cmd("trust verified") == [], "trust verified")
    check(alice.state()["trust"] == "verified", "trust=verified")
    with open(os.path.join(work, "alice.fpr")) as f:
        check("\tverified" in f.read(), "fingerprints file updated")
    alice.cmd("trust")
    check(alice.state()["trust"] == "-", "trust with no level: untrusted")

    print("== random input never crashes")
    import random
    rnd = random.Random(1234)
    alphabet = "?OTR:AAMDKRS|,.0123456789abcdef \\xtn!"
    real = [ln[5:] for ln in alice.log + bob.log if ln.startswith("SEND ")]
    for i in range(300):
        kind = rnd.randrange(4)
        if kind == 0:
            line = "recv " + "".join(rnd.choice(alphabet)
                                     for _ in range(rnd.randrange(80)))
        elif kind == 1 and real:
            s = list(rnd.choice(real))
            for _ in range(rnd.randrange(1, 4)):
                if s:
                    s[rnd.randrange(len(s))] = rnd.choice(alphabet)
            line = "recv " + "".join(s)
        elif kind == 2:
            line = rnd.choice(["smp", "smpq", "smp-respond", "smp-abort",
                               "symkey", "mms", "trust", "state", "poll",
                               "fingerprint", "send", "end", "query", "x"])
            if rnd.randrange(2):
                line += " " + "".join(rnd.choice(alphabet)
                                      for _ in range(rnd.randrange(10)))
        else:
            line = "".join(chr(rnd.randrange(1, 256))
                           for _ in range(rnd.randrange(40)))
            line = line.replace("\n", "")
            if line in ("quit",):
                continue
            if line.startswith("quit"):
                line = "x" + line
        (alice if i % 2 else bob).cmd(line)
    check(alice.proc.poll() is None and bob.proc.poll() is None,
          "both alive after 300 random lines")
    alice.quit()
    bob.quit()


if __name__ == "__main__":
    sys.exit(main())
