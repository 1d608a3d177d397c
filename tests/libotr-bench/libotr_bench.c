/*
 * libotr_bench.c — the libotr 4.1.1 half of otr-core's side-by-side
 * benchmarks (otr-core/benches/session.rs; see README.md here).
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
    fprintf(stderr, "usage: %s ake|alternating|oneway|smp <iterations> "
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

    if (strcmp(scenario, "ake") == 0) {
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
