/*
 * libotr_bench.c — the libotr 4.1.1 half of otr-core's side-by-side
 * benchmarks (tests/benches/session.rs; see README.md here).
 *
 * Two libotr parties, alice and bob, live in this one process, each with
 * its own OtrlUserState, and talk through an in-process FIFO. Keys and
 * instance tags are read from KEYDIR (alice.key, bob.key, alice.instag,
 * bob.instag, as in tests/fixtures/libotr) or, without KEYDIR, generated
 * once at startup into a temporary directory (slow: DSA key generation).
 *
 * Usage: libotr_bench <scenario> <iterations> [KEYDIR]
 *
 * Prints one line: the nanoseconds (CLOCK_MONOTONIC) spent in the measured
 * part, i.e. <iterations> repetitions of the scenario's unit of work.
 * Setup (keys, the first AKE, warm-up messages) is never measured.
 *
 *   ake          one iteration = one complete v3 AKE from alice's query
 *                until both sides are ENCRYPTED. Between iterations, both
 *                user states forget all their contexts (outside the timing).
 *   alternating  after one AKE, one iteration = one 1 KiB message, sent and
 *                received; even iterations alice->bob, odd ones bob->alice,
 *                so every message turns the DH ratchet.
 *   oneway       after one AKE, one iteration = one 1 KiB message
 *                alice->bob, sent and received (the ratchet never turns).
 *   smp          after one AKE, one iteration = one SMP with the right
 *                secret, from otrl_message_initiate_smp until both sides
 *                have reported OTRL_SMPEVENT_SUCCESS.
 *   hostile:<kind>  one iteration = bob processing one message an
 *                unauthenticated sender can make him process (otr-core's
 *                `hostile` bench has the same kinds: forged-data-<s>-<r>
 *                with s, r in same|older|unknown, forged-data-after-rotation
 *                (a genuine ratcheting message and three forgeries naming
 *                the pairs it makes possible), forged-commit,
 *                forged-dh-key, forged-reveal-signature, forged-signature,
 *                query, whitespace-tag, error, fragment, data-not-private,
 *                data-malformed). Prints the nanoseconds and the bytes bob
 *                sent back per message.
 *
 * Exit status: 0 ok, 1 failure (message on stderr), 2 usage.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>

#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>
#include <libotr/userstate.h>
#include <libotr/tlv.h>
#include <libotr/b64.h>

#define PROTO "xmpp"
#define MSG_LEN 1024
#define SMP_SECRET "correct horse battery staple"

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "libotr_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static unsigned long long now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime");
    return (unsigned long long)ts.tv_sec * 1000000000ULL
        + (unsigned long long)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Parties and the wire                                                */

typedef struct party {
    const char *name;
    const char *account;
    OtrlUserState us;
    struct party *peer;
    unsigned long delivered;     /* MSG_LEN-byte user messages received */
    unsigned long smp_success;
    unsigned long smp_other;     /* FAILURE, ABORT, CHEATED, ERROR */
    ConnContext *smp_ctx;        /* set on ASK_FOR_SECRET / ASK_FOR_ANSWER */
} Party;

static Party alice_p, bob_p;
static Party *const alice = &alice_p, *const bob = &bob_p;

typedef struct qent {
    Party *from;
    char *msg;
    struct qent *next;
} QEnt;

static QEnt *qhead, *qtail;

/* Hostile scenarios: while `counting`, what bob (the victim) injects is
 * counted (its replies to the attacker) and dropped, and unexpected message
 * events are expected. */
static int hostile;
static int counting;
static unsigned long long reply_bytes, reply_count;

static void enqueue(Party *from, const char *msg)
{
    QEnt *e = malloc(sizeof *e);
    if (!e) die("out of memory");
    e->from = from;
    e->msg = strdup(msg);
    if (!e->msg) die("out of memory");
    e->next = NULL;
    if (qtail) qtail->next = e; else qhead = e;
    qtail = e;
}

/* ------------------------------------------------------------------ */
/* libotr callbacks                                                    */

static OtrlPolicy cb_policy(void *opdata, ConnContext *context)
{
    (void)opdata; (void)context;
    return OTRL_POLICY_DEFAULT;
}

static void cb_create_privkey(void *opdata, const char *accountname,
        const char *protocol)
{
    (void)opdata; (void)protocol;
    die("unexpected create_privkey for %s", accountname);
}

static int cb_is_logged_in(void *opdata, const char *accountname,
        const char *protocol, const char *recipient)
{
    (void)opdata; (void)accountname; (void)protocol; (void)recipient;
    return 1;
}

static void cb_inject_message(void *opdata, const char *accountname,
        const char *protocol, const char *recipient, const char *message)
{
    (void)accountname; (void)protocol; (void)recipient;
    if (counting && (Party *)opdata == bob) {
        reply_bytes += strlen(message);
        reply_count++;
        return;
    }
    enqueue((Party *)opdata, message);
}

static void cb_nothing(void *opdata) { (void)opdata; }

static void cb_new_fingerprint(void *opdata, OtrlUserState us,
        const char *accountname, const char *protocol, const char *username,
        unsigned char fingerprint[20])
{
    (void)opdata; (void)us; (void)accountname; (void)protocol;
    (void)username; (void)fingerprint;
}

static void cb_context(void *opdata, ConnContext *context)
{
    (void)opdata; (void)context;
}

static void cb_still_secure(void *opdata, ConnContext *context, int is_reply)
{
    (void)opdata; (void)context; (void)is_reply;
}

static int cb_max_message_size(void *opdata, ConnContext *context)
{
    (void)opdata; (void)context;
    return 0;   /* never fragment */
}

static const char *cb_account_name(void *opdata, const char *account,
        const char *protocol)
{
    (void)opdata; (void)protocol;
    return account;
}

static void cb_account_name_free(void *opdata, const char *account_name)
{
    (void)opdata; (void)account_name;
}

static const char *cb_otr_error_message(void *opdata, ConnContext *context,
        OtrlErrorCode err_code)
{
    (void)opdata; (void)context; (void)err_code;
    return "error";
}

static void cb_otr_error_message_free(void *opdata, const char *err_msg)
{
    (void)opdata; (void)err_msg;
}

static void cb_handle_smp_event(void *opdata, OtrlSMPEvent smp_event,
        ConnContext *context, unsigned short progress_percent,
        char *question)
{
    Party *p = opdata;
    (void)progress_percent; (void)question;
    switch (smp_event) {
        case OTRL_SMPEVENT_ASK_FOR_SECRET:
        case OTRL_SMPEVENT_ASK_FOR_ANSWER:
            p->smp_ctx = context;
            break;
        case OTRL_SMPEVENT_SUCCESS:
            p->smp_success++;
            break;
        case OTRL_SMPEVENT_IN_PROGRESS:
        case OTRL_SMPEVENT_NONE:
            break;
        default:
            p->smp_other++;
            break;
    }
}

static void cb_handle_msg_event(void *opdata, OtrlMessageEvent msg_event,
        ConnContext *context, const char *message, gcry_error_t err)
{
    (void)context; (void)err;
    switch (msg_event) {
        case OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD:
        case OTRL_MSGEVENT_LOG_HEARTBEAT_SENT:
            break;
        default:
            if (hostile) break;
            die("%s: unexpected message event %d (%s)",
                    ((Party *)opdata)->name, (int)msg_event,
                    message ? message : "");
    }
}

static void cb_create_instag(void *opdata, const char *accountname,
        const char *protocol)
{
    (void)opdata; (void)protocol;
    die("unexpected create_instag for %s", accountname);
}

static void cb_timer_control(void *opdata, unsigned int interval)
{
    (void)opdata; (void)interval;
}

static OtrlMessageAppOps ops = {
    .policy = cb_policy,
    .create_privkey = cb_create_privkey,
    .is_logged_in = cb_is_logged_in,
    .inject_message = cb_inject_message,
    .update_context_list = cb_nothing,
    .new_fingerprint = cb_new_fingerprint,
    .write_fingerprints = cb_nothing,
    .gone_secure = cb_context,
    .gone_insecure = cb_context,
    .still_secure = cb_still_secure,
    .max_message_size = cb_max_message_size,
    .account_name = cb_account_name,
    .account_name_free = cb_account_name_free,
    .received_symkey = NULL,
    .otr_error_message = cb_otr_error_message,
    .otr_error_message_free = cb_otr_error_message_free,
    .resent_msg_prefix = NULL,
    .resent_msg_prefix_free = NULL,
    .handle_smp_event = cb_handle_smp_event,
    .handle_msg_event = cb_handle_msg_event,
    .create_instag = cb_create_instag,
    .convert_msg = NULL,
    .convert_free = NULL,
    .timer_control = cb_timer_control,
};

/* ------------------------------------------------------------------ */
/* Moving messages                                                     */

static void deliver(Party *from, Party *to, const char *msg)
{
    char *newmsg = NULL;
    OtrlTLV *tlvs = NULL;
    int ignore = otrl_message_receiving(to->us, &ops, to, to->account, PROTO,
            from->account, msg, &newmsg, &tlvs, NULL, NULL, NULL);
    if (!ignore && newmsg && strlen(newmsg) == MSG_LEN) to->delivered++;
    if (newmsg) otrl_message_free(newmsg);
    if (tlvs) otrl_tlv_free(tlvs);
}

/* Deliver everything in flight, and what that causes, in FIFO order. */
static void pump(void)
{
    unsigned long guard = 0;
    QEnt *e;
    while ((e = qhead) != NULL) {
        qhead = e->next;
        if (!qhead) qtail = NULL;
        if (++guard > 10000) die("message loop does not terminate");
        deliver(e->from, e->from->peer, e->msg);
        free(e->msg);
        free(e);
    }
}

static char user_text[MSG_LEN + 1];

static void send_text(Party *p, const char *text)
{
    char *msg = NULL;
    gcry_error_t err = otrl_message_sending(p->us, &ops, p, p->account, PROTO,
            p->peer->account, OTRL_INSTAG_BEST, text, NULL, &msg,
            OTRL_FRAGMENT_SEND_ALL, NULL, NULL, NULL);
    if (err) die("otrl_message_sending: %s", gcry_strerror(err));
    /* SEND_ALL: libotr injected what it produced; NULL = send as is. */
    if (!msg) enqueue(p, text);
    else otrl_message_free(msg);
}

static ConnContext *best_context(Party *p)
{
    return otrl_context_find(p->us, p->peer->account, p->account, PROTO,
            OTRL_INSTAG_BEST, 0, NULL, NULL, NULL);
}

static int encrypted(Party *p)
{
    ConnContext *c = best_context(p);
    return c && c->msgstate == OTRL_MSGSTATE_ENCRYPTED;
}

static char *query_text;

/* A complete AKE: alice puts her query on the wire, messages flow. */
static void ake(void)
{
    enqueue(alice, query_text);
    pump();
}

static void check_encrypted(void)
{
    if (!encrypted(alice) || !encrypted(bob))
        die("AKE did not finish (alice %s, bob %s)",
                encrypted(alice) ? "encrypted" : "not encrypted",
                encrypted(bob) ? "encrypted" : "not encrypted");
}

/* One 1 KiB message from p, sent and received. */
static void message(Party *p)
{
    send_text(p, user_text);
    pump();
}

static void smp(void)
{
    ConnContext *c = best_context(alice);
    bob->smp_ctx = NULL;
    otrl_message_initiate_smp(alice->us, &ops, alice, c,
            (const unsigned char *)SMP_SECRET, strlen(SMP_SECRET));
    pump();
    if (!bob->smp_ctx) die("bob was not asked for the SMP secret");
    otrl_message_respond_smp(bob->us, &ops, bob, bob->smp_ctx,
            (const unsigned char *)SMP_SECRET, strlen(SMP_SECRET));
    pump();
}

/* ------------------------------------------------------------------ */
/* Hostile input: what an unauthenticated sender makes bob compute      */

/* A small deterministic generator for the forged bytes. */
static unsigned long long prng_state = 0x9e3779b97f4a7c15ULL;
static unsigned char prng_byte(void)
{
    prng_state ^= prng_state << 13;
    prng_state ^= prng_state >> 7;
    prng_state ^= prng_state << 17;
    return (unsigned char)(prng_state >> 24);
}

static void put32(unsigned char *p, unsigned int v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

static unsigned int get32(const unsigned char *p)
{
    return ((unsigned int)p[0] << 24) | ((unsigned int)p[1] << 16)
        | ((unsigned int)p[2] << 8) | (unsigned int)p[3];
}

static unsigned int instag_of(Party *p)
{
    OtrlInsTag *t = otrl_instag_find(p->us, p->account, PROTO);
    if (!t) die("%s has no instance tag", p->name);
    return t->instag;
}

/* Delivers the oldest message in flight; returns it (caller frees) without
 * delivering when `keep` is set. */
static char *step(int keep)
{
    QEnt *e = qhead;
    char *msg;
    if (!e) die("nothing in flight");
    qhead = e->next;
    if (!qhead) qtail = NULL;
    msg = e->msg;
    if (!keep) {
        deliver(e->from, e->from->peer, msg);
        free(msg);
        msg = NULL;
    }
    free(e);
    return msg;
}

static void drop_in_flight(void)
{
    while (qhead) free(step(1));
}

/* Decodes `wire` (?OTR:...), lets `edit` change the bytes, re-encodes. */
static char *reencode(const char *wire, void (*edit)(unsigned char *, size_t *, void *), void *arg)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char *out;
    if (otrl_base64_otr_decode(wire, &buf, &len) != 0) die("cannot decode %s", wire);
    edit(buf, &len, arg);
    out = otrl_base64_otr_encode(buf, len);
    free(buf);
    if (!out) die("cannot encode");
    return out;
}

/* A data message's fields: v3 header (11) + flags (1), then the key ids. */
#define DATA_KEYIDS 12

struct keyid_edit { int sender_delta, recipient_delta; };

/* Key ids moved, and one byte of the ciphertext flipped: a forgery. */
static void edit_data(unsigned char *buf, size_t *len, void *arg)
{
    struct keyid_edit *e = arg;
    size_t off = DATA_KEYIDS + 8, n;
    put32(buf + DATA_KEYIDS, get32(buf + DATA_KEYIDS) + (unsigned)e->sender_delta);
    put32(buf + DATA_KEYIDS + 4, get32(buf + DATA_KEYIDS + 4) + (unsigned)e->recipient_delta);
    n = get32(buf + off); off += 4 + n;      /* next DH key */
    off += 8;                                /* counter */
    n = get32(buf + off); off += 4;          /* ciphertext */
    if (off + n > *len || n == 0) die("not a data message");
    buf[off + n / 2] ^= 1;
}

static void edit_last_byte(unsigned char *buf, size_t *len, void *arg)
{
    (void)arg;
    buf[*len - 1] ^= 1;                      /* inside the MAC */
}

static void edit_truncate(unsigned char *buf, size_t *len, void *arg)
{
    (void)arg; (void)buf;
    *len = 40;
}

static int parse_delta(const char *which)
{
    if (!strcmp(which, "same")) return 0;
    if (!strcmp(which, "older")) return -1;
    if (!strcmp(which, "unknown")) return 1000;
    die("key id choice %s: same|older|unknown", which);
    return 0;
}

/* A genuine 1 KiB data message from alice, taken off the wire. */
static char *captured_data(void)
{
    char *m;
    send_text(alice, user_text);
    m = step(1);
    drop_in_flight();
    return m;
}

static void private_and_warm(void)
{
    ake();
    check_encrypted();
    message(alice); message(bob); message(alice); message(bob);
}

static char *forged_commit(unsigned int sender)
{
    unsigned char buf[11 + 4 + 196 + 4 + 32];
    size_t i;
    buf[0] = 0; buf[1] = 3; buf[2] = 0x02;
    put32(buf + 3, sender); put32(buf + 7, 0);
    put32(buf + 11, 196);
    for (i = 0; i < 196; i++) buf[15 + i] = prng_byte();
    put32(buf + 211, 32);
    for (i = 0; i < 32; i++) buf[215 + i] = prng_byte();
    return otrl_base64_otr_encode(buf, sizeof buf);
}

static char *forged_dh_key(unsigned int sender, unsigned int receiver)
{
    unsigned char buf[11 + 4 + 192];
    size_t i;
    buf[0] = 0; buf[1] = 3; buf[2] = 0x0a;
    put32(buf + 3, sender); put32(buf + 7, receiver);
    put32(buf + 11, 192);
    for (i = 0; i < 192; i++) buf[15 + i] = prng_byte();
    buf[15] = 0x7f;                          /* in [2, p - 2] */
    return otrl_base64_otr_encode(buf, sizeof buf);
}

/* Runs a hostile scenario; returns the nanoseconds of bob's processing. */
static unsigned long long run_hostile(const char *kind, unsigned long long iters)
{
    unsigned long long i, start, total = 0;
    char *m = NULL;
    hostile = 1;
    if (!strncmp(kind, "forged-data-", 12)
            && strcmp(kind, "forged-data-after-rotation") != 0) {
        char which[32];
        struct keyid_edit e;
        const char *sep;
        snprintf(which, sizeof which, "%s", kind + 12);
        sep = strchr(which, '-');
        if (!sep) die("forged-data-<sender>-<recipient>");
        which[sep - which] = '\0';
        e.sender_delta = parse_delta(which);
        e.recipient_delta = parse_delta(sep + 1);
        private_and_warm();
        {
            char *genuine = captured_data();
            m = reencode(genuine, edit_data, &e);
            free(genuine);
        }
        counting = 1;
        start = now_ns();
        for (i = 0; i < iters; i++) deliver(alice, bob, m);
        total = now_ns() - start;
    } else if (!strcmp(kind, "forged-data-after-rotation")) {
        /* One round: a genuine message that turns the ratchet, then three
         * forgeries naming the other pairs of keys it makes possible. */
        static struct keyid_edit edits[3] = { {0, -1}, {-1, 0}, {-1, -1} };
        private_and_warm();
        for (i = 0; i < iters; i++) {
            char *genuine = captured_data(), *forged[3];
            int k;
            for (k = 0; k < 3; k++) forged[k] = reencode(genuine, edit_data, &edits[k]);
            counting = 1;
            start = now_ns();
            deliver(alice, bob, genuine);
            for (k = 0; k < 3; k++) deliver(alice, bob, forged[k]);
            total += now_ns() - start;
            counting = 0;
            drop_in_flight();
            message(bob);
            for (k = 0; k < 3; k++) free(forged[k]);
            free(genuine);
        }
    } else if (!strcmp(kind, "forged-commit")) {
        for (i = 0; i < iters; i++) {
            m = forged_commit(0x10000000u + (unsigned)i);
            counting = 1;
            start = now_ns();
            deliver(alice, bob, m);
            total += now_ns() - start;
            counting = 0;
            free(m);
        }
        m = NULL;
    } else if (!strcmp(kind, "forged-dh-key")) {
        unsigned int bob_tag = instag_of(bob);
        for (i = 0; i < iters; i++) {
            otrl_context_forget_all(bob->us);
            deliver(alice, bob, "?OTRv3?");   /* bob's commit, from his master */
            drop_in_flight();
            m = forged_dh_key(0x20000000u + (unsigned)i, bob_tag);
            counting = 1;
            start = now_ns();
            deliver(alice, bob, m);
            total += now_ns() - start;
            counting = 0;
            drop_in_flight();
            free(m);
        }
        m = NULL;
    } else if (!strcmp(kind, "forged-reveal-signature")) {
        char *genuine;
        enqueue(bob, "?OTRv3?");
        step(0);                              /* alice commits */
        step(0);                              /* bob: D-H Key */
        step(0);                              /* alice: Reveal Signature */
        genuine = step(1);
        drop_in_flight();
        m = reencode(genuine, edit_last_byte, NULL);
        free(genuine);
        counting = 1;
        start = now_ns();
        for (i = 0; i < iters; i++) deliver(alice, bob, m);
        total = now_ns() - start;
    } else if (!strcmp(kind, "forged-signature")) {
        char *genuine;
        enqueue(alice, "?OTRv3?");
        step(0);                              /* bob commits */
        step(0);                              /* alice: D-H Key */
        step(0);                              /* bob: Reveal Signature */
        step(0);                              /* alice: Signature */
        genuine = step(1);
        drop_in_flight();
        m = reencode(genuine, edit_last_byte, NULL);
        free(genuine);
        counting = 1;
        start = now_ns();
        for (i = 0; i < iters; i++) deliver(alice, bob, m);
        total = now_ns() - start;
    } else if (!strcmp(kind, "query") || !strcmp(kind, "whitespace-tag")
            || !strcmp(kind, "error")) {
        const char *text = !strcmp(kind, "query") ? "?OTRv3?"
            : !strcmp(kind, "error") ? "?OTR Error: forged"
            : "hello \t  \t\t\t\t \t \t \t    \t\t  \t\t";
        counting = 1;
        start = now_ns();
        for (i = 0; i < iters; i++) deliver(alice, bob, text);
        total = now_ns() - start;
    } else if (!strcmp(kind, "fragment")) {
        char piece[101], frag[200];
        unsigned int a = instag_of(alice), b = instag_of(bob);
        memset(piece, 'A', 100); piece[100] = '\0';
        counting = 1;
        for (i = 0; i < iters; i++) {
            snprintf(frag, sizeof frag, "?OTR|%08x|%08x,%05u,%05u,%s,", a, b,
                    (unsigned)(i % 1000) + 1, 1000u, piece);
            start = now_ns();
            deliver(alice, bob, frag);
            total += now_ns() - start;
        }
    } else if (!strcmp(kind, "data-not-private")) {
        private_and_warm();
        m = captured_data();
        otrl_context_forget_all(bob->us);
        counting = 1;
        start = now_ns();
        for (i = 0; i < iters; i++) deliver(alice, bob, m);
        total = now_ns() - start;
    } else if (!strcmp(kind, "data-malformed")) {
        char *genuine;
        private_and_warm();
        genuine = captured_data();
        m = reencode(genuine, edit_truncate, NULL);
        free(genuine);
        counting = 1;
        start = now_ns();
        for (i = 0; i < iters; i++) deliver(alice, bob, m);
        total = now_ns() - start;
    } else {
        die("unknown hostile scenario %s", kind);
    }
    counting = 0;
    free(m);
    drop_in_flight();
    return total;
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */

static char *path_join(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *s = malloc(n);
    if (!s) die("out of memory");
    snprintf(s, n, "%s/%s%s", dir, name, ext);
    return s;
}

static void party_load(Party *p, const char *keydir)
{
    char *path;
    gcry_error_t err;

    p->us = otrl_userstate_create();
    path = path_join(keydir, p->name, ".key");
    err = otrl_privkey_read(p->us, path);
    if (err) die("otrl_privkey_read %s: %s", path, gcry_strerror(err));
    free(path);
    path = path_join(keydir, p->name, ".instag");
    err = otrl_instag_read(p->us, path);
    if (err) die("otrl_instag_read %s: %s", path, gcry_strerror(err));
    free(path);
    if (!otrl_privkey_find(p->us, p->account, PROTO))
        die("%s: no key for %s/%s", keydir, p->account, PROTO);
    if (!otrl_instag_find(p->us, p->account, PROTO))
        die("%s: no instance tag for %s/%s", keydir, p->account, PROTO);
}

static void party_generate(Party *p, const char *dir)
{
    char *path;
    gcry_error_t err;

    p->us = otrl_userstate_create();
    path = path_join(dir, p->name, ".key");
    err = otrl_privkey_generate(p->us, path, p->account, PROTO);
    if (err) die("otrl_privkey_generate: %s", gcry_strerror(err));
    unlink(path);
    free(path);
    path = path_join(dir, p->name, ".instag");
    err = otrl_instag_generate(p->us, path, p->account, PROTO);
    if (err) die("otrl_instag_generate: %s", gcry_strerror(err));
    unlink(path);
    free(path);
}

/* ------------------------------------------------------------------ */

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s ake|cold-ake|alternating|oneway|smp|hostile:<kind> <iterations> "
            "[KEYDIR]\n", argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *scenario;
    char *end = NULL;
    unsigned long long iters, i, start, total = 0;

    if (argc < 3 || argc > 4) usage(argv[0]);
    scenario = argv[1];
    errno = 0;
    iters = strtoull(argv[2], &end, 10);
    if (errno || !end || *end || argv[2][0] == '-') usage(argv[0]);

    OTRL_INIT;

    alice->name = "alice"; alice->account = "alice@example.org";
    bob->name = "bob"; bob->account = "bob@example.org";
    alice->peer = bob; bob->peer = alice;

    if (argc == 4) {
        party_load(alice, argv[3]);
        party_load(bob, argv[3]);
    } else {
        const char *tmp = getenv("TMPDIR");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/libotr_bench.XXXXXX", tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) die("mkdtemp: %s", strerror(errno));
        party_generate(alice, dir);
        party_generate(bob, dir);
        rmdir(dir);
    }

    query_text = otrl_proto_default_query_msg(alice->account,
            OTRL_POLICY_DEFAULT);
    if (!query_text) die("no query message");
    memset(user_text, 'm', MSG_LEN);
    user_text[MSG_LEN] = '\0';

    if (strcmp(scenario, "cold-ake") == 0) {
        /* The first AKE of this process, alone (keys loaded above). */
        if (iters != 1) die("cold-ake runs exactly 1 iteration");
        start = now_ns();
        ake();
        total = now_ns() - start;
        check_encrypted();
    } else if (strcmp(scenario, "ake") == 0) {
        for (i = 0; i < iters; i++) {
            start = now_ns();
            ake();
            total += now_ns() - start;
            check_encrypted();
            otrl_context_forget_all(alice->us);
            otrl_context_forget_all(bob->us);
        }
    } else if (strcmp(scenario, "alternating") == 0
            || strcmp(scenario, "oneway") == 0) {
        int oneway = strcmp(scenario, "oneway") == 0;
        unsigned long expect_a, expect_b;
        ake();
        check_encrypted();
        /* Warm-up, unmeasured: settle heartbeats and the first ratchet
         * turns. Alternating ends with bob, so that every measured message
         * goes the other way from the one before it; one-way ends with two
         * alice messages, so that the measured ones never turn it. */
        message(alice); message(bob); message(alice);
        if (oneway) message(alice); else message(bob);
        expect_a = alice->delivered;
        expect_b = bob->delivered;
        start = now_ns();
        if (oneway) {
            for (i = 0; i < iters; i++) message(alice);
        } else {
            for (i = 0; i < iters; i++) message((i & 1) ? bob : alice);
        }
        total = now_ns() - start;
        if (oneway) {
            expect_b += iters;
        } else {
            expect_b += (iters + 1) / 2;
            expect_a += iters / 2;
        }
        if (alice->delivered != expect_a || bob->delivered != expect_b)
            die("lost messages: alice got %lu of %lu, bob %lu of %lu",
                    alice->delivered, expect_a, bob->delivered, expect_b);
    } else if (strcmp(scenario, "smp") == 0) {
        ake();
        check_encrypted();
        start = now_ns();
        for (i = 0; i < iters; i++) smp();
        total = now_ns() - start;
        if (alice->smp_success != iters || bob->smp_success != iters
                || alice->smp_other || bob->smp_other)
            die("SMP did not succeed every time: alice %lu/%llu, bob "
                    "%lu/%llu, other events %lu/%lu", alice->smp_success,
                    iters, bob->smp_success, iters, alice->smp_other,
                    bob->smp_other);
    } else if (strncmp(scenario, "hostile:", 8) == 0) {
        total = run_hostile(scenario + 8, iters);
        /* The second number: bytes bob sent back, per message received. */
        printf("%llu %.1f\n", total, iters ? (double)reply_bytes / (double)iters : 0.0);
        if (fflush(stdout) != 0) die("cannot write the result");
        otrl_userstate_free(alice->us);
        otrl_userstate_free(bob->us);
        free(query_text);
        return 0;
    } else {
        usage(argv[0]);
    }

    printf("%llu\n", total);
    if (fflush(stdout) != 0) die("cannot write the result");

    otrl_userstate_free(alice->us);
    otrl_userstate_free(bob->us);
    free(query_text);
    return 0;
}
