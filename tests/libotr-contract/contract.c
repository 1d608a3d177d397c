/*
 * contract.c — the points of libotr 4.1.1's C interface that real clients
 * (pidgin-otr, irssi-plugin-otr, bitlbee-plugin-otr, profanity, mcabber)
 * depend on, one test each, plus calls back into the library from inside
 * callbacks. Written against the real libotr; run it on another
 * libotr.so.5 with LD_LIBRARY_PATH.
 *
 * Usage: contract [-k KEYDIR] [TEST...]
 *   -k KEYDIR  read alice.key and bob.key (alice@example.org / bob@example.org,
 *              protocol xmpp) from KEYDIR instead of generating them
 *   TEST       run only the named tests (default: all; -l lists them)
 *
 * Every test prints "ok NAME" or "FAIL NAME: reason"; the exit status is 1
 * when any test failed. The parties live in one process, each with its own
 * OtrlUserState, and talk through an in-memory FIFO ("the network"): a
 * message sent to an account reaches every party logged in as that account,
 * as with several XMPP resources.
 *
 * Build: tests/libotr-contract/build.sh OUTDIR
 */

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <gcrypt.h>

#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>
#include <libotr/userstate.h>
#include <libotr/tlv.h>
#include <libotr/sm.h>

#define PROTO "xmpp"
#define ACCT_A "alice@example.org"
#define ACCT_B "bob@example.org"
#define ACCT_C "carol@example.org"
#define TAG_A 0x1000aaaau
#define TAG_A2 0x1000aaabu
#define TAG_B 0x1000bbbbu

/* ------------------------------------------------------------------ */
/* Test bookkeeping                                                    */

static int n_failed, n_passed;
static char fail_msg[1024];
static int test_failed;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    if (test_failed) return; /* keep the first reason */
    test_failed = 1;
    va_start(ap, fmt);
    vsnprintf(fail_msg, sizeof fail_msg, fmt, ap);
    va_end(ap);
}

/* CHECK(cond, fmt, ...): record the first failure and leave the test. */
#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fail(__VA_ARGS__);                                              \
            return;                                                         \
        }                                                                   \
    } while (0)

/* Violations noticed inside callbacks, where a test cannot return. */
static char violation[512];
static int n_violations;

static void violate(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void violate(const char *fmt, ...)
{
    va_list ap;
    if (n_violations++ == 0) {
        va_start(ap, fmt);
        vsnprintf(violation, sizeof violation, fmt, ap);
        va_end(ap);
    }
}

/* ------------------------------------------------------------------ */
/* Parties                                                             */

typedef struct Party Party;
typedef void (*SmpHook)(Party *p, OtrlSMPEvent ev, ConnContext *ctx);

struct Party {
    const char *label;     /* "alice", "alice2", "bob" */
    const char *account;   /* our account = the name others send to */
    OtrlUserState us;
    OtrlPolicy policy;
    int max_size;          /* max_message_size; 0 = no fragmentation */
    char keyfile[PATH_MAX], instagfile[PATH_MAX], fprfile[PATH_MAX];

    /* what the callbacks saw */
    int n_injected;
    char *last_injected;   /* copy of the last injected message */
    int gone_secure, gone_insecure, still_secure, create_privkey, create_instag;
    int msg_events[32];
    int smp_events[16];
    ConnContext *smp_ctx;  /* context of the last SMP event */

    /* calls back into the library from inside callbacks */
    int gen_key_in_create_privkey;
    int gen_instag_in_create_instag;
    int find_key_in_policy, policy_found_key, policy_missed_key;
    int fp_in_gone_secure, gone_secure_trusted, gone_secure_bad;
    char gone_secure_ourfp[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
    SmpHook smp_hook;
    int secret_in_ask_for_secret; /* smstate->secret != NULL seen in ASK_FOR_SECRET */
};

#define MAX_PARTIES 4
static Party parties[MAX_PARTIES];
static int n_parties;
static char basedir[PATH_MAX];  /* temporary directory of this run */
static char keydir[PATH_MAX];   /* where alice.key and bob.key are */
static OtrlMessageAppOps ops;

/* ------------------------------------------------------------------ */
/* app_data: what irssi's add_app_data does, with checks               */

#define AD_MAGIC 0xa11da7a0u
typedef struct {
    unsigned magic;
    ConnContext *ctx;
    Party *owner;
} AppData;
static int ad_created, ad_freed;

static void app_data_free_cb(void *data)
{
    AppData *ad = data;
    if (!ad || ad->magic != AD_MAGIC) {
        violate("app_data_free called with a bad pointer");
        return;
    }
    ad->magic = 0;
    ad_freed++;
    free(ad);
}

static void add_app_data(void *data, ConnContext *ctx)
{
    AppData *ad;
    if (!ctx) {
        violate("add_app_data called with a NULL context");
        return;
    }
    if (ctx->app_data) {
        violate("add_app_data called twice for %s/%08x", ctx->username,
                ctx->their_instance);
        return;
    }
    ad = malloc(sizeof *ad);
    ad->magic = AD_MAGIC;
    ad->ctx = ctx;
    ad->owner = data;
    ctx->app_data = ad;
    ctx->app_data_free = app_data_free_cb;
    ad_created++;
}

/* Every context a callback or the caller sees must have its app_data. */
static void check_ctx(const char *where, ConnContext *ctx)
{
    AppData *ad;
    if (!ctx) return;
    ad = ctx->app_data;
    if (!ad || ad->magic != AD_MAGIC || ad->ctx != ctx)
        violate("%s saw context %s/%08x without its app_data", where,
                ctx->username ? ctx->username : "?", ctx->their_instance);
}

/* ------------------------------------------------------------------ */
/* The network: a FIFO of messages                                     */

typedef struct QMsg {
    Party *to;
    char *from;
    char *text;
    struct QMsg *next;
} QMsg;
static QMsg *q_head, *q_tail;

static void net_send(Party *from, const char *recipient, const char *text)
{
    int i;
    for (i = 0; i < n_parties; i++) {
        Party *p = &parties[i];
        QMsg *m;
        if (p == from || strcmp(p->account, recipient) != 0) continue;
        m = calloc(1, sizeof *m);
        m->to = p;
        m->from = strdup(from->account);
        m->text = strdup(text);
        if (q_tail) q_tail->next = m;
        else q_head = m;
        q_tail = m;
    }
}

static void net_clear(void)
{
    while (q_head) {
        QMsg *m = q_head;
        q_head = m->next;
        free(m->from);
        free(m->text);
        free(m);
    }
    q_tail = NULL;
}

/* One delivery, as recorded. */
#define MAX_RLOG 512
typedef struct {
    Party *to;
    char *in;       /* the message as received */
    int ret;
    char *newmsg;   /* what the library returned, or NULL */
    int tlv[8];     /* TLV types returned */
    int n_tlv;
    ConnContext *ctx;
} Rcv;
static Rcv rlog[MAX_RLOG];
static int n_rlog;

static char sentinel_byte;
#define SENTINEL_STR ((char *)&sentinel_byte)
#define SENTINEL_TLV ((OtrlTLV *)&sentinel_byte)
#define SENTINEL_CTX ((ConnContext *)&sentinel_byte)

/* The application's receive path: what every client does with a message
 * from the network. Returned strings are released with plain free(). */
static Rcv *deliver(Party *p, const char *from, const char *text)
{
    char *newmsg = SENTINEL_STR;
    OtrlTLV *tlvs = SENTINEL_TLV, *t;
    ConnContext *ctx = SENTINEL_CTX;
    Rcv *r = &rlog[n_rlog < MAX_RLOG ? n_rlog++ : MAX_RLOG - 1];

    free(r->in);
    free(r->newmsg);
    memset(r, 0, sizeof *r);
    r->to = p;
    r->in = strdup(text);
    r->ret = otrl_message_receiving(p->us, &ops, p, p->account, PROTO, from,
                                    text, &newmsg, &tlvs, &ctx, add_app_data, p);
    if (newmsg == SENTINEL_STR) {
        violate("otrl_message_receiving left *newmessagep unset");
        newmsg = NULL;
    }
    if (tlvs == SENTINEL_TLV) {
        violate("otrl_message_receiving left *tlvsp unset");
        tlvs = NULL;
    }
    if (ctx == SENTINEL_CTX) {
        violate("otrl_message_receiving left *contextp unset");
        ctx = NULL;
    }
    check_ctx("otrl_message_receiving's *contextp", ctx);
    r->ctx = ctx;
    if (newmsg) r->newmsg = strdup(newmsg);
    for (t = tlvs; t && r->n_tlv < 8; t = t->next) r->tlv[r->n_tlv++] = t->type;
    free(newmsg);
    otrl_tlv_free(tlvs);
    return r;
}

/* Deliver everything in flight, including what the deliveries cause. */
static void pump(void)
{
    int steps = 0;
    while (q_head) {
        QMsg *m = q_head;
        q_head = m->next;
        if (!q_head) q_tail = NULL;
        if (++steps > 2000) {
            violate("more than 2000 messages in flight: a loop");
            free(m->from);
            free(m->text);
            free(m);
            net_clear();
            return;
        }
        deliver(m->to, m->from, m->text);
        free(m->from);
        free(m->text);
        free(m);
    }
}

/* What otrl_message_sending gave the application. */
typedef struct {
    gcry_error_t err;
    int was_null;   /* *messagep was NULL */
    char *msg;      /* copy of *messagep */
    ConnContext *ctx;
    int injected;   /* inject_message calls during the call */
} Sent;

static void sent_free(Sent *s)
{
    free(s->msg);
    s->msg = NULL;
}

/* The application's send path. With transmit, what the library returned
 * (or the original text when it returned NULL) goes on the network, as
 * clients do; an empty string is not sent. */
static Sent app_send(Party *p, const char *to, otrl_instag_t instag,
                     const char *text, OtrlFragmentPolicy fragpol, int transmit)
{
    Sent s;
    char *out = SENTINEL_STR;
    ConnContext *ctx = SENTINEL_CTX;
    int before = p->n_injected;

    memset(&s, 0, sizeof s);
    s.err = otrl_message_sending(p->us, &ops, p, p->account, PROTO, to, instag,
                                 text, NULL, &out, fragpol, &ctx, add_app_data, p);
    s.injected = p->n_injected - before;
    if (out == SENTINEL_STR) {
        violate("otrl_message_sending left *messagep unset");
        out = NULL;
    }
    if (ctx == SENTINEL_CTX) {
        violate("otrl_message_sending left *contextp unset");
        ctx = NULL;
    }
    check_ctx("otrl_message_sending's *contextp", ctx);
    s.ctx = ctx;
    s.was_null = out == NULL;
    if (transmit && !s.err) {
        if (!out) net_send(p, to, text);
        else if (*out) net_send(p, to, out);
    }
    if (out) s.msg = strdup(out);
    free(out);
    return s;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                           */

static OtrlPolicy cb_policy(void *opdata, ConnContext *ctx)
{
    Party *p = opdata;
    check_ctx("policy", ctx);
    if (p->find_key_in_policy && ctx) {
        /* bitlbee: look the key up from inside policy */
        OtrlPrivKey *k = otrl_privkey_find(p->us, ctx->accountname, ctx->protocol);
        if (k && strcmp(k->accountname, ctx->accountname) == 0 &&
            strcmp(k->protocol, ctx->protocol) == 0)
            p->policy_found_key++;
        else
            p->policy_missed_key++;
    }
    return p->policy;
}

static void cb_create_privkey(void *opdata, const char *accountname,
                              const char *protocol)
{
    Party *p = opdata;
    p->create_privkey++;
    if (p->gen_key_in_create_privkey) {
        /* pidgin, mcabber: generate synchronously, inside the callback */
        gcry_error_t err = otrl_privkey_generate(p->us, p->keyfile, accountname,
                                                 protocol);
        if (err) violate("otrl_privkey_generate in create_privkey: %s",
                         gcry_strerror(err));
    }
}

static int cb_is_logged_in(void *opdata, const char *accountname,
                           const char *protocol, const char *recipient)
{
    (void)opdata; (void)accountname; (void)protocol; (void)recipient;
    return 1;
}

static void cb_inject(void *opdata, const char *accountname,
                      const char *protocol, const char *recipient,
                      const char *message)
{
    Party *p = opdata;
    (void)protocol;
    if (strcmp(accountname, p->account) != 0)
        violate("inject_message for account %s from %s", accountname, p->account);
    p->n_injected++;
    free(p->last_injected);
    p->last_injected = strdup(message);
    net_send(p, recipient, message);
}

static void cb_update_context_list(void *opdata) { (void)opdata; }

static void cb_new_fingerprint(void *opdata, OtrlUserState us,
                               const char *accountname, const char *protocol,
                               const char *username, unsigned char fp[20])
{
    (void)opdata; (void)us; (void)accountname; (void)protocol;
    (void)username; (void)fp;
}

static void cb_write_fingerprints(void *opdata)
{
    Party *p = opdata;
    gcry_error_t err = otrl_privkey_write_fingerprints(p->us, p->fprfile);
    if (err) violate("otrl_privkey_write_fingerprints: %s", gcry_strerror(err));
}

static void cb_gone_secure(void *opdata, ConnContext *ctx)
{
    Party *p = opdata;
    check_ctx("gone_secure", ctx);
    p->gone_secure++;
    if (p->fp_in_gone_secure) {
        /* irssi: the state must be current, and the library callable */
        char *r;
        if (ctx->msgstate != OTRL_MSGSTATE_ENCRYPTED || !ctx->active_fingerprint) {
            p->gone_secure_bad++;
            return;
        }
        r = otrl_privkey_fingerprint(p->us, p->gone_secure_ourfp,
                                     ctx->accountname, ctx->protocol);
        if (r != p->gone_secure_ourfp) p->gone_secure_bad++;
        if (otrl_context_is_fingerprint_trusted(ctx->active_fingerprint))
            p->gone_secure_trusted++;
    }
}

static void cb_gone_insecure(void *opdata, ConnContext *ctx)
{
    Party *p = opdata;
    check_ctx("gone_insecure", ctx);
    p->gone_insecure++;
}

static void cb_still_secure(void *opdata, ConnContext *ctx, int is_reply)
{
    Party *p = opdata;
    (void)is_reply;
    check_ctx("still_secure", ctx);
    p->still_secure++;
}

static int cb_max_message_size(void *opdata, ConnContext *ctx)
{
    Party *p = opdata;
    check_ctx("max_message_size", ctx);
    return p->max_size;
}

static const char *cb_account_name(void *opdata, const char *account,
                                   const char *protocol)
{
    (void)opdata; (void)protocol;
    return strdup(account);
}

static void cb_account_name_free(void *opdata, const char *name)
{
    (void)opdata;
    free((char *)name);
}

static void cb_received_symkey(void *opdata, ConnContext *ctx, unsigned int use,
                               const unsigned char *usedata, size_t usedatalen,
                               const unsigned char *symkey)
{
    (void)opdata; (void)use; (void)usedata; (void)usedatalen; (void)symkey;
    check_ctx("received_symkey", ctx);
}

static const char *cb_otr_error_message(void *opdata, ConnContext *ctx,
                                        OtrlErrorCode code)
{
    (void)opdata; (void)code;
    check_ctx("otr_error_message", ctx);
    return strdup("contract test error");
}

static void cb_otr_error_message_free(void *opdata, const char *msg)
{
    (void)opdata;
    free((char *)msg);
}

static const char *cb_resent_msg_prefix(void *opdata, ConnContext *ctx)
{
    (void)opdata;
    check_ctx("resent_msg_prefix", ctx);
    return strdup("[resent]");
}

static void cb_resent_msg_prefix_free(void *opdata, const char *prefix)
{
    (void)opdata;
    free((char *)prefix);
}

static void cb_handle_smp_event(void *opdata, OtrlSMPEvent ev, ConnContext *ctx,
                                unsigned short progress, char *question)
{
    Party *p = opdata;
    (void)progress; (void)question;
    check_ctx("handle_smp_event", ctx);
    if ((int)ev >= 0 && ev < 16) p->smp_events[ev]++;
    p->smp_ctx = ctx;
    if ((ev == OTRL_SMPEVENT_ASK_FOR_SECRET || ev == OTRL_SMPEVENT_ASK_FOR_ANSWER) &&
        ctx && ctx->smstate && ctx->smstate->secret)
        p->secret_in_ask_for_secret++;
    if (p->smp_hook) p->smp_hook(p, ev, ctx);
}

static void cb_handle_msg_event(void *opdata, OtrlMessageEvent ev,
                                ConnContext *ctx, const char *message,
                                gcry_error_t err)
{
    Party *p = opdata;
    (void)message; (void)err;
    check_ctx("handle_msg_event", ctx);
    if ((int)ev >= 0 && ev < 32) p->msg_events[ev]++;
}

static void cb_create_instag(void *opdata, const char *accountname,
                             const char *protocol)
{
    Party *p = opdata;
    p->create_instag++;
    if (p->gen_instag_in_create_instag) {
        /* irssi, bitlbee, mcabber: generate from inside the callback */
        gcry_error_t err = otrl_instag_generate(p->us, p->instagfile,
                                                accountname, protocol);
        if (err) violate("otrl_instag_generate in create_instag: %s",
                         gcry_strerror(err));
    }
}

static void cb_timer_control(void *opdata, unsigned int interval)
{
    (void)opdata; (void)interval;
}

static void init_ops(void)
{
    memset(&ops, 0, sizeof ops);
    ops.policy = cb_policy;
    ops.create_privkey = cb_create_privkey;
    ops.is_logged_in = cb_is_logged_in;
    ops.inject_message = cb_inject;
    ops.update_context_list = cb_update_context_list;
    ops.new_fingerprint = cb_new_fingerprint;
    ops.write_fingerprints = cb_write_fingerprints;
    ops.gone_secure = cb_gone_secure;
    ops.gone_insecure = cb_gone_insecure;
    ops.still_secure = cb_still_secure;
    ops.max_message_size = cb_max_message_size;
    ops.account_name = cb_account_name;
    ops.account_name_free = cb_account_name_free;
    ops.received_symkey = cb_received_symkey;
    ops.otr_error_message = cb_otr_error_message;
    ops.otr_error_message_free = cb_otr_error_message_free;
    ops.resent_msg_prefix = cb_resent_msg_prefix;
    ops.resent_msg_prefix_free = cb_resent_msg_prefix_free;
    ops.handle_smp_event = cb_handle_smp_event;
    ops.handle_msg_event = cb_handle_msg_event;
    ops.create_instag = cb_create_instag;
    ops.convert_msg = NULL;
    ops.convert_free = NULL;
    ops.timer_control = cb_timer_control;
}

/* ------------------------------------------------------------------ */
/* World set-up                                                        */

/* snprintf that refuses to truncate a path */
static void path_fmt(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void path_fmt(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    int len;
    va_start(ap, fmt);
    len = vsnprintf(dst, n, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= n) {
        fprintf(stderr, "contract: path too long\n");
        exit(2);
    }
}

static int copy_file(const char *from, const char *to)
{
    char buf[8192];
    size_t n;
    int ok = 1;
    FILE *in = fopen(from, "rb"), *out;
    if (!in) return 0;
    out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return 0;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) ok = 0;
    fclose(in);
    if (fclose(out) != 0) ok = 0;
    return ok;
}

static void write_instag(const char *file, const char *account, unsigned tag)
{
    FILE *f = fopen(file, "w");
    if (!f) {
        perror(file);
        exit(2);
    }
    fprintf(f, "%s\t%s\t%08x\n", account, PROTO, tag);
    fclose(f);
}

enum { WITH_KEY = 1, WITH_INSTAG = 2, WITH_ALL = 3 };

/* A party: its own user state, files in its own names under basedir.
 * keyname is "alice" or "bob" (the key it uses). */
static Party *party_new(const char *label, const char *account,
                        const char *keyname, unsigned tag, int what)
{
    Party *p = &parties[n_parties++];
    char src[PATH_MAX];
    gcry_error_t err;

    memset(p, 0, sizeof *p);
    p->label = label;
    p->account = account;
    p->policy = OTRL_POLICY_DEFAULT;
    p->us = otrl_userstate_create();
    path_fmt(p->keyfile, sizeof p->keyfile, "%s/%s.key", basedir, label);
    path_fmt(p->instagfile, sizeof p->instagfile, "%s/%s.instag", basedir, label);
    path_fmt(p->fprfile, sizeof p->fprfile, "%s/%s.fpr", basedir, label);
    unlink(p->keyfile);
    unlink(p->instagfile);
    unlink(p->fprfile);
    if (what & WITH_KEY) {
        path_fmt(src, sizeof src, "%s/%s.key", keydir, keyname);
        if (!copy_file(src, p->keyfile)) {
            fprintf(stderr, "contract: cannot copy %s\n", src);
            exit(2);
        }
        err = otrl_privkey_read(p->us, p->keyfile);
        if (err) {
            fprintf(stderr, "contract: otrl_privkey_read(%s): %s\n", p->keyfile,
                    gcry_strerror(err));
            exit(2);
        }
    }
    if (what & WITH_INSTAG) {
        write_instag(p->instagfile, account, tag);
        err = otrl_instag_read(p->us, p->instagfile);
        if (err) {
            fprintf(stderr, "contract: otrl_instag_read: %s\n", gcry_strerror(err));
            exit(2);
        }
    }
    return p;
}

static void world_reset(void)
{
    int i;
    net_clear();
    for (i = 0; i < n_parties; i++) {
        if (parties[i].us) otrl_userstate_free(parties[i].us);
        free(parties[i].last_injected);
    }
    n_parties = 0;
    for (i = 0; i < MAX_RLOG; i++) {
        free(rlog[i].in);
        free(rlog[i].newmsg);
    }
    memset(rlog, 0, sizeof rlog);
    n_rlog = 0;
    n_violations = 0;
    violation[0] = '\0';
    ad_created = ad_freed = 0;
}

/* The context p uses for peer (their_instance meta-tag or tag). */
static ConnContext *ctx_of(Party *p, const char *peer, otrl_instag_t tag)
{
    return otrl_context_find(p->us, peer, p->account, PROTO, tag, 0, NULL,
                             NULL, NULL);
}

/* A sends a query to b's account; everything is delivered. Returns 1 when
 * both ends have an ENCRYPTED instance. */
static int ake(Party *a, Party *b)
{
    Sent s = app_send(a, b->account, OTRL_INSTAG_BEST, "?OTRv3?",
                      OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
    ConnContext *ca, *cb;
    sent_free(&s);
    pump();
    ca = ctx_of(a, b->account, OTRL_INSTAG_BEST);
    cb = ctx_of(b, a->account, OTRL_INSTAG_BEST);
    return ca && cb && ca->msgstate == OTRL_MSGSTATE_ENCRYPTED &&
           cb->msgstate == OTRL_MSGSTATE_ENCRYPTED;
}

/* The newest delivery to p (NULL if none since index from). */
static Rcv *last_rcv_to(Party *p, int from)
{
    int i;
    for (i = n_rlog - 1; i >= from; i--)
        if (rlog[i].to == p) return &rlog[i];
    return NULL;
}

static int count_contexts(OtrlUserState us)
{
    int n = 0;
    ConnContext *c;
    for (c = us->context_root; c; c = c->next) n++;
    return n;
}

/* ------------------------------------------------------------------ */
/* Tests: initialisation                                               */

static gcry_error_t init_result = 1;

static void t_init_returns_zero(void)
{
    /* main() did what pidgin does: gcry_control(GCRYCTL_ENABLE_QUICK_RANDOM)
     * and then OTRL_INIT, whose result a client checks (non-zero: exit). */
    CHECK(init_result == 0, "OTRL_INIT returned 0x%08x", init_result);
}

/* ------------------------------------------------------------------ */
/* Tests: output pointers, return values, TLVs                         */

static void t_receiving_clears_outputs(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    Rcv *r;

    /* irssi passes an uninitialised tlvs: the library must set it. */
    r = deliver(b, ACCT_A, "just plain text");
    CHECK(n_violations == 0, "plain text: %s", violation);
    CHECK(r->ret == 0 && r->newmsg == NULL && r->n_tlv == 0,
          "plain text: ret %d newmsg %s tlvs %d (want 0, NULL, none)", r->ret,
          r->newmsg ? r->newmsg : "NULL", r->n_tlv);
    r = deliver(b, ACCT_A, "?OTRv23?");
    CHECK(n_violations == 0, "query: %s", violation);
    CHECK(r->ret == 1 && r->newmsg == NULL, "query: ret %d newmsg %s", r->ret,
          r->newmsg ? r->newmsg : "NULL");
    net_clear();
    CHECK(ake(a, b), "AKE failed");
    {
        Sent s = app_send(a, ACCT_B, OTRL_INSTAG_BEST, "secret words",
                          OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
        int mark = n_rlog;
        sent_free(&s);
        pump();
        r = last_rcv_to(b, mark);
        CHECK(r && r->ret == 0 && r->newmsg && strcmp(r->newmsg, "secret words") == 0,
              "data message not decrypted");
    }
    CHECK(n_violations == 0, "%s", violation);
}

static void t_sending_clears_output(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Sent s;
    (void)party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);

    a->policy = OTRL_POLICY_MANUAL; /* no whitespace tag: nothing to change */
    s = app_send(a, ACCT_B, OTRL_INSTAG_BEST, "hello", OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 0);
    CHECK(n_violations == 0, "%s", violation);
    CHECK(s.err == 0 && s.was_null, "plaintext under MANUAL: err 0x%08x, *messagep %s (want 0, NULL)",
          s.err, s.msg ? s.msg : "NULL");
    CHECK(s.ctx && s.ctx->m_context == s.ctx, "*contextp is not the master context");
    sent_free(&s);
}

static void t_protocol_traffic_returns_1(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    int i, mark, n_ake = 0;
    Sent s;

    CHECK(ake(a, b), "AKE failed");
    for (i = 0; i < n_rlog; i++) {
        Rcv *r = &rlog[i];
        n_ake++;
        CHECK(r->ret == 1 && r->newmsg == NULL,
              "AKE message %.12s... to %s: ret %d newmsg %s (want 1, NULL)", r->in,
              r->to->label, r->ret, r->newmsg ? r->newmsg : "NULL");
    }
    CHECK(n_ake >= 5, "only %d AKE messages (query, DH-commit, DH-key, reveal, sig)", n_ake);

    mark = n_rlog;
    s = app_send(b, ACCT_A, OTRL_INSTAG_BEST, "user text", OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
    sent_free(&s);
    pump();
    CHECK(n_rlog == mark + 1 && rlog[mark].ret == 0 && rlog[mark].newmsg &&
              strcmp(rlog[mark].newmsg, "user text") == 0,
          "data message with text: ret %d newmsg %s (want 0, the text)", rlog[mark].ret,
          rlog[mark].newmsg ? rlog[mark].newmsg : "NULL");

    /* SMP messages are data messages with an empty body: all return 1 */
    mark = n_rlog;
    otrl_message_initiate_smp(a->us, &ops, a, ctx_of(a, ACCT_B, OTRL_INSTAG_BEST),
                              (const unsigned char *)"s", 1);
    pump();
    CHECK(b->smp_ctx, "no SMP event at bob");
    otrl_message_respond_smp(b->us, &ops, b, b->smp_ctx, (const unsigned char *)"s", 1);
    pump();
    CHECK(n_rlog - mark == 4, "%d SMP messages, want 4", n_rlog - mark);
    for (i = mark; i < n_rlog; i++)
        CHECK(rlog[i].ret == 1 && rlog[i].newmsg == NULL,
              "SMP message %d to %s: ret %d newmsg %s (want 1, NULL)", i - mark + 1,
              rlog[i].to->label, rlog[i].ret, rlog[i].newmsg ? rlog[i].newmsg : "NULL");
    CHECK(n_violations == 0, "%s", violation);
}

static int has_tlv(const Rcv *r, int type)
{
    int i;
    for (i = 0; i < r->n_tlv; i++)
        if (r->tlv[i] == type) return 1;
    return 0;
}

static void t_tlvs_come_with_return_1(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    ConnContext *ca;
    Rcv *r;
    int mark;

    CHECK(ake(a, b), "AKE failed");

    /* SMP1 comes back to the caller as a TLV, with return 1 */
    mark = n_rlog;
    ca = ctx_of(a, ACCT_B, OTRL_INSTAG_BEST);
    otrl_message_initiate_smp(a->us, &ops, a, ca, (const unsigned char *)"x", 1);
    pump();
    r = last_rcv_to(b, mark);
    CHECK(r && r->ret == 1 && has_tlv(r, OTRL_TLV_SMP1),
          "SMP1: ret %d, SMP1 TLV %s", r ? r->ret : -1, r && has_tlv(r, OTRL_TLV_SMP1) ? "present" : "missing");
    otrl_message_abort_smp(b->us, &ops, b, b->smp_ctx);
    pump();

    /* alice ends the conversation: bob gets the DISCONNECTED TLV, return 1 */
    mark = n_rlog;
    otrl_message_disconnect(a->us, &ops, a, ACCT_A, PROTO, ACCT_B, ca->their_instance);
    pump();
    r = last_rcv_to(b, mark);
    CHECK(r, "nothing reached bob after otrl_message_disconnect");
    CHECK(r->ret == 1 && r->newmsg == NULL,
          "DISCONNECTED: ret %d newmsg %s (want 1, NULL)", r->ret, r->newmsg ? r->newmsg : "NULL");
    CHECK(has_tlv(r, OTRL_TLV_DISCONNECTED), "no DISCONNECTED TLV returned (%d TLVs)", r->n_tlv);
    CHECK(r->ctx && r->ctx->msgstate == OTRL_MSGSTATE_FINISHED,
          "bob's context is not FINISHED after DISCONNECTED");
    CHECK(n_violations == 0, "%s", violation);
}

/* ------------------------------------------------------------------ */
/* Tests: fragment policies                                            */

static const char *long_text(void)
{
    static char buf[701];
    int i;
    for (i = 0; i < 700; i++) buf[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36];
    buf[700] = '\0';
    return buf;
}

/* "?OTR|%08x|%08x,%05u,%05u," of a v3 fragment: k and n, or 0 */
static int frag_kn(const char *m, unsigned *k, unsigned *n)
{
    unsigned s, r;
    return sscanf(m, "?OTR|%x|%x,%u,%u,", &s, &r, k, n) == 4;
}

static void t_fragment_send_all_but_last(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    Sent s;
    unsigned k, n;
    int mark, i;

    a->max_size = b->max_size = 150; /* the AKE is fragmented too */
    CHECK(ake(a, b), "AKE with 150-byte fragments failed");

    mark = n_rlog;
    s = app_send(a, ACCT_B, OTRL_INSTAG_BEST, long_text(), OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
    CHECK(s.err == 0 && s.msg, "err 0x%08x, *messagep %s", s.err, s.msg ? "set" : "NULL");
    CHECK(frag_kn(s.msg, &k, &n), "returned message is not a fragment: %.30s", s.msg);
    CHECK(k == n && n > 1, "returned fragment %u of %u, want the last", k, n);
    CHECK(strlen(s.msg) <= 150, "returned fragment has %zu bytes > 150", strlen(s.msg));
    CHECK(s.injected == (int)n - 1, "%d fragments injected, want %u", s.injected, n - 1);
    CHECK(a->last_injected && frag_kn(a->last_injected, &k, &n) && k == n - 1,
          "the last injected fragment is not n-1");
    sent_free(&s);
    pump();
    for (i = mark; i < n_rlog - 1; i++)
        CHECK(rlog[i].ret == 1 && !rlog[i].newmsg, "fragment %d: ret %d (want 1)", i - mark + 1, rlog[i].ret);
    CHECK(n_rlog > mark && rlog[n_rlog - 1].ret == 0 && rlog[n_rlog - 1].newmsg &&
              strcmp(rlog[n_rlog - 1].newmsg, long_text()) == 0,
          "bob did not reassemble the message");

    /* no fragmentation needed: nothing injected, the whole message returned */
    a->max_size = 0;
    s = app_send(a, ACCT_B, OTRL_INSTAG_BEST, long_text(), OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
    CHECK(s.err == 0 && s.msg && strncmp(s.msg, "?OTR:", 5) == 0 && s.injected == 0,
          "unfragmented: err 0x%08x, %d injected, message %.10s", s.err, s.injected, s.msg ? s.msg : "NULL");
    sent_free(&s);
    pump();
    CHECK(n_violations == 0, "%s", violation);
}

static void t_fragment_send_skip(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    Sent s;
    Rcv *r;
    int mark;

    CHECK(ake(a, b), "AKE failed");
    a->max_size = 150;
    mark = n_rlog;
    s = app_send(a, ACCT_B, OTRL_INSTAG_BEST, long_text(), OTRL_FRAGMENT_SEND_SKIP, 1);
    CHECK(s.err == 0 && s.msg, "err 0x%08x, *messagep %s", s.err, s.msg ? "set" : "NULL");
    CHECK(s.injected == 0, "%d messages injected under SEND_SKIP", s.injected);
    CHECK(strncmp(s.msg, "?OTR:", 5) == 0 && strlen(s.msg) > 150,
          "SEND_SKIP returned %.12s... of %zu bytes: want the whole data message", s.msg, strlen(s.msg));
    sent_free(&s);
    pump();
    r = last_rcv_to(b, mark);
    CHECK(r && r->ret == 0 && r->newmsg && strcmp(r->newmsg, long_text()) == 0,
          "bob did not decrypt the unfragmented message");
    CHECK(n_violations == 0, "%s", violation);
}

/* ------------------------------------------------------------------ */
/* Tests: instance tags on sending                                     */

/* alice on two devices (same account and key, two instance tags) and bob;
 * both of alice's instances have an encrypted session with bob. */
static int three_party(Party **a1, Party **a2, Party **b)
{
    *a1 = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    *a2 = party_new("alice2", ACCT_A, "alice", TAG_A2, WITH_ALL);
    *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    ake(*a1, *b);
    ake(*a2, *b);
    return ctx_of(*b, ACCT_A, TAG_A) && ctx_of(*b, ACCT_A, TAG_A2) &&
           ctx_of(*b, ACCT_A, TAG_A)->msgstate == OTRL_MSGSTATE_ENCRYPTED &&
           ctx_of(*b, ACCT_A, TAG_A2)->msgstate == OTRL_MSGSTATE_ENCRYPTED &&
           ctx_of(*a1, ACCT_B, TAG_B)->msgstate == OTRL_MSGSTATE_ENCRYPTED &&
           ctx_of(*a2, ACCT_B, TAG_B)->msgstate == OTRL_MSGSTATE_ENCRYPTED;
}

/* Which of alice's instances showed text (1, 2, 3 = both, 0 = none). */
static int shown_by(Party *a1, Party *a2, int mark, const char *text)
{
    int i, who = 0;
    for (i = mark; i < n_rlog; i++) {
        if (!rlog[i].newmsg || strcmp(rlog[i].newmsg, text) != 0) continue;
        if (rlog[i].to == a1) who |= 1;
        if (rlog[i].to == a2) who |= 2;
    }
    return who;
}

static void t_instag_explicit(void)
{
    Party *a1, *a2, *b;
    Sent s;
    int mark;

    CHECK(three_party(&a1, &a2, &b), "set-up: both of alice's instances did not get a session");
    /* pidgin: a chosen instance tag */
    mark = n_rlog;
    s = app_send(b, ACCT_A, TAG_A2, "to the second", OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
    CHECK(s.err == 0 && s.ctx && s.ctx->their_instance == TAG_A2,
          "*contextp is %08x, want the child %08x", s.ctx ? s.ctx->their_instance : 0, TAG_A2);
    CHECK(s.ctx->m_context != s.ctx && s.ctx->m_context == ctx_of(b, ACCT_A, OTRL_INSTAG_MASTER),
          "the child's m_context is not the master");
    sent_free(&s);
    pump();
    CHECK(shown_by(a1, a2, mark, "to the second") == 2,
          "shown by instance set %d, want only alice2", shown_by(a1, a2, mark, "to the second"));
    CHECK(a1->msg_events[OTRL_MSGEVENT_RCVDMSG_FOR_OTHER_INSTANCE] > 0,
          "alice (first instance) was not told the message was for another instance");
    mark = n_rlog;
    s = app_send(b, ACCT_A, TAG_A, "to the first", OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
    CHECK(s.ctx && s.ctx->their_instance == TAG_A, "*contextp is not the first instance");
    sent_free(&s);
    pump();
    CHECK(shown_by(a1, a2, mark, "to the first") == 1, "not shown by alice (first instance) only");
    CHECK(n_violations == 0, "%s", violation);
}

static void t_instag_best(void)
{
    Party *a1, *a2, *b;
    Sent s;
    int mark, who;

    CHECK(three_party(&a1, &a2, &b), "set-up: both of alice's instances did not get a session");
    /* irssi, bitlbee, mcabber: OTRL_INSTAG_BEST = the encrypted instance we
     * heard from most recently. Make alice2 the most recent one. */
    s = app_send(a2, ACCT_B, OTRL_INSTAG_BEST, "from the second", OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
    sent_free(&s);
    pump();
    mark = n_rlog;
    s = app_send(b, ACCT_A, OTRL_INSTAG_BEST, "to the best", OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
    CHECK(s.err == 0 && s.ctx && s.ctx->msgstate == OTRL_MSGSTATE_ENCRYPTED,
          "BEST did not pick an encrypted instance");
    CHECK(s.ctx->their_instance == TAG_A || s.ctx->their_instance == TAG_A2,
          "BEST picked %08x, not one of alice's instances", s.ctx->their_instance);
    CHECK(s.msg && strncmp(s.msg, "?OTR:", 5) == 0, "BEST did not encrypt: %.20s", s.msg ? s.msg : "NULL");
    sent_free(&s);
    pump();
    who = shown_by(a1, a2, mark, "to the best");
    CHECK(who == 1 || who == 2, "shown by instance set %d, want exactly one", who);
    CHECK(n_violations == 0, "%s", violation);
}

static void t_instag_master(void)
{
    Party *a, *b;
    Sent s;
    ConnContext *m;
    int mark;
    Rcv *r;

    /* profanity: OTRL_INSTAG_MASTER with its policy ALLOW_V1 | ALLOW_V2, so
     * the session is a v2 one and lives in the master context itself */
    a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    b->policy = OTRL_POLICY_ALLOW_V1 | OTRL_POLICY_ALLOW_V2;
    CHECK(ake(a, b), "AKE failed");
    m = ctx_of(b, ACCT_A, OTRL_INSTAG_MASTER);
    CHECK(m && m->m_context == m && m->their_instance == OTRL_INSTAG_MASTER,
          "no master context for alice at bob");
    CHECK(m->msgstate == OTRL_MSGSTATE_ENCRYPTED && m->protocol_version == 2,
          "the master context is not an encrypted v2 session (state %d, version %d)",
          m->msgstate, m->protocol_version);
    mark = n_rlog;
    s = app_send(b, ACCT_A, OTRL_INSTAG_MASTER, "via the master", OTRL_FRAGMENT_SEND_SKIP, 1);
    CHECK(s.err == 0, "err 0x%08x", s.err);
    CHECK(s.ctx == m, "*contextp is %08x, not the master context", s.ctx ? s.ctx->their_instance : 0);
    CHECK(s.msg && strncmp(s.msg, "?OTR:AAI", 8) == 0,
          "MASTER did not give a v2 data message: %.20s", s.msg ? s.msg : "NULL (the plaintext)");
    sent_free(&s);
    pump();
    r = last_rcv_to(a, mark);
    CHECK(r && r->ret == 0 && r->newmsg && strcmp(r->newmsg, "via the master") == 0,
          "alice did not decrypt the message sent via the master context");
    CHECK(n_violations == 0, "%s", violation);
}

/* ------------------------------------------------------------------ */
/* Tests: FINISHED                                                     */

static void t_finished_sending_returns_empty(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    ConnContext *ca;
    Sent s;
    int ended;
    OtrlFragmentPolicy pols[2] = { OTRL_FRAGMENT_SEND_ALL_BUT_LAST, OTRL_FRAGMENT_SEND_SKIP };
    int i;

    CHECK(ake(a, b), "AKE failed");
    ca = ctx_of(a, ACCT_B, OTRL_INSTAG_BEST);
    otrl_message_disconnect(a->us, &ops, a, ACCT_A, PROTO, ACCT_B, ca->their_instance);
    pump();
    CHECK(ctx_of(b, ACCT_A, OTRL_INSTAG_BEST)->msgstate == OTRL_MSGSTATE_FINISHED,
          "bob is not FINISHED");
    for (i = 0; i < 2; i++) {
        ended = b->msg_events[OTRL_MSGEVENT_CONNECTION_ENDED];
        s = app_send(b, ACCT_A, OTRL_INSTAG_BEST, "too late", pols[i], 1);
        CHECK(s.err == 0, "policy %d: err 0x%08x, want 0", pols[i], s.err);
        CHECK(s.msg && s.msg[0] == '\0', "policy %d: *messagep %s, want \"\"", pols[i],
              s.msg ? s.msg : "NULL");
        CHECK(s.injected == 0, "policy %d: %d messages injected", pols[i], s.injected);
        CHECK(b->msg_events[OTRL_MSGEVENT_CONNECTION_ENDED] == ended + 1,
              "policy %d: no CONNECTION_ENDED event", pols[i]);
        sent_free(&s);
    }
    CHECK(q_head == NULL, "something was sent in FINISHED");
    CHECK(n_violations == 0, "%s", violation);
}

/* ------------------------------------------------------------------ */
/* Tests: app_data                                                     */

static void t_add_app_data_before_callbacks(void)
{
    Party *a1, *a2, *b;
    ConnContext *c;
    int n_children = 0, i;
    Sent s;

    CHECK(three_party(&a1, &a2, &b), "set-up failed");
    s = app_send(b, ACCT_A, TAG_A, "x", OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
    sent_free(&s);
    pump();
    otrl_message_initiate_smp(a1->us, &ops, a1, ctx_of(a1, ACCT_B, TAG_B),
                              (const unsigned char *)"k", 1);
    pump();
    if (b->smp_ctx) {
        otrl_message_respond_smp(b->us, &ops, b, b->smp_ctx, (const unsigned char *)"k", 1);
        pump();
    }
    otrl_message_disconnect(b->us, &ops, b, ACCT_B, PROTO, ACCT_A, TAG_A2);
    pump();
    CHECK(n_violations == 0, "%s", violation);
    for (i = 0; i < n_parties; i++)
        for (c = parties[i].us->context_root; c; c = c->next) {
            check_ctx("the context list", c);
            if (c->m_context != c) n_children++;
        }
    CHECK(n_violations == 0, "%s", violation);
    CHECK(n_children >= 4, "only %d child contexts were created", n_children);
    CHECK(ad_created == count_contexts(a1->us) + count_contexts(a2->us) + count_contexts(b->us),
          "add_app_data ran %d times for %d contexts", ad_created,
          count_contexts(a1->us) + count_contexts(a2->us) + count_contexts(b->us));
}

static void t_app_data_free_called(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    ConnContext *c;
    int before, n;

    CHECK(ake(a, b), "AKE failed");
    /* otrl_context_forget of a PLAINTEXT context frees its app_data */
    c = otrl_context_find(b->us, ACCT_C, ACCT_B, PROTO, OTRL_INSTAG_MASTER, 1, NULL,
                          add_app_data, b);
    CHECK(c && c->app_data, "no app_data on a context created by otrl_context_find");
    before = ad_freed;
    CHECK(otrl_context_forget(c) == 0, "otrl_context_forget failed on a PLAINTEXT context");
    CHECK(ad_freed == before + 1, "otrl_context_forget did not call app_data_free");
    /* otrl_userstate_free frees every context's app_data */
    n = count_contexts(b->us);
    before = ad_freed;
    otrl_userstate_free(b->us);
    b->us = NULL;
    CHECK(ad_freed == before + n, "otrl_userstate_free called app_data_free %d times for %d contexts",
          ad_freed - before, n);
    CHECK(n_violations == 0, "%s", violation);
}

/* ------------------------------------------------------------------ */
/* Tests: memory ownership                                             */

static void t_returned_strings_freeable(void)
{
    /* Everything this program gets from the library (sending and receiving
     * outputs in every test) is released with plain free(), as bitlbee's
     * g_free does; under valgrind a foreign allocation is an error. Here the
     * functions not used elsewhere. */
    char *q = otrl_proto_default_query_msg(ACCT_A, OTRL_POLICY_DEFAULT);
    CHECK(q && strncmp(q, "?OTRv", 5) == 0, "otrl_proto_default_query_msg: %s", q ? q : "NULL");
    free(q);
    q = otrl_proto_default_query_msg(ACCT_A, OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_ALLOW_V3);
    CHECK(q && strncmp(q, "?OTRv23?", 8) == 0, "query for v2+v3: %.10s", q ? q : "NULL");
    free(q);
}

static void t_trust_freed_with_free(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    ConnContext *c;
    Fingerprint *fp;
    OtrlUserState us2;
    ConnContext *c2;
    gcry_error_t err;

    CHECK(ake(a, b), "AKE failed");
    c = ctx_of(b, ACCT_A, OTRL_INSTAG_BEST);
    fp = c->active_fingerprint;
    CHECK(fp && !otrl_context_is_fingerprint_trusted(fp), "untrusted fingerprint expected");
    otrl_context_set_trust(fp, "verified");
    CHECK(fp->trust && strcmp(fp->trust, "verified") == 0, "otrl_context_set_trust did not store the trust");
    /* profanity: free() the library's string, store our own strdup */
    free(fp->trust);
    fp->trust = strdup("manual");
    CHECK(otrl_context_is_fingerprint_trusted(fp), "a client-set trust is not trusted");
    /* the library frees the client's string when it replaces it ... */
    otrl_context_set_trust(fp, "smp");
    CHECK(strcmp(fp->trust, "smp") == 0, "trust not replaced");
    free(fp->trust);
    fp->trust = strdup("manual");
    /* ... writes it ... */
    err = otrl_privkey_write_fingerprints(b->us, b->fprfile);
    CHECK(err == 0, "otrl_privkey_write_fingerprints: %s", gcry_strerror(err));
    us2 = otrl_userstate_create();
    err = otrl_privkey_read_fingerprints(us2, b->fprfile, NULL, NULL);
    c2 = otrl_context_find(us2, ACCT_A, ACCT_B, PROTO, OTRL_INSTAG_MASTER, 0, NULL, NULL, NULL);
    CHECK(err == 0 && c2 && c2->fingerprint_root.next && c2->fingerprint_root.next->trust &&
              strcmp(c2->fingerprint_root.next->trust, "manual") == 0,
          "the client's trust was not written and read back");
    otrl_userstate_free(us2);
    /* ... and frees it with free() in otrl_userstate_free (valgrind: no leak,
     * no mismatched free) */
    CHECK(n_violations == 0, "%s", violation);
}

/* ------------------------------------------------------------------ */
/* Tests: error codes                                                  */

static void t_gpg_error_enoent(void)
{
    OtrlUserState us = otrl_userstate_create();
    gcry_error_t want = gcry_error_from_errno(ENOENT), e1, e2, e3;
    const char *missing = "/nonexistent-otr-contract/x";

    CHECK(want == 0x01008051u, "gcry_error_from_errno(ENOENT) is 0x%08x here", want);
    e1 = otrl_privkey_read(us, missing);
    e2 = otrl_privkey_read_fingerprints(us, missing, NULL, NULL);
    e3 = otrl_instag_read(us, missing);
    otrl_userstate_free(us);
    CHECK(e1 == want, "otrl_privkey_read(missing) = 0x%08x, want 0x%08x", e1, want);
    CHECK(e2 == want, "otrl_privkey_read_fingerprints(missing) = 0x%08x, want 0x%08x", e2, want);
    CHECK(e3 == want, "otrl_instag_read(missing) = 0x%08x, want 0x%08x", e3, want);
    CHECK(strcmp(gcry_strerror(e1), "No such file or directory") == 0,
          "gcry_strerror prints \"%s\"", gcry_strerror(e1));
}

static void t_gpg_error_other(void)
{
    OtrlUserState us = otrl_userstate_create();
    gcry_error_t e;
    char *out = SENTINEL_STR;

    /* writing into a directory that does not exist: an errno code */
    e = otrl_privkey_write_fingerprints(us, "/nonexistent-otr-contract/fp");
    CHECK(e == gcry_error_from_errno(ENOENT), "write_fingerprints(missing dir) = 0x%08x", e);
    e = otrl_instag_generate(us, "/nonexistent-otr-contract/tag", ACCT_A, PROTO);
    CHECK(e == gcry_error_from_errno(ENOENT), "instag_generate(missing dir) = 0x%08x", e);
    /* a NULL argument: GPG_ERR_INV_VALUE, and *messagep still cleared */
    e = otrl_message_sending(us, &ops, NULL, ACCT_A, PROTO, NULL, OTRL_INSTAG_BEST, "x", NULL,
                             &out, OTRL_FRAGMENT_SEND_ALL, NULL, NULL, NULL);
    otrl_userstate_free(us);
    CHECK(e == gcry_error(GPG_ERR_INV_VALUE), "sending to NULL = 0x%08x, want 0x%08x", e,
          gcry_error(GPG_ERR_INV_VALUE));
    CHECK(out == NULL, "*messagep not cleared on an error");
}

/* ------------------------------------------------------------------ */
/* Tests: the context list                                             */

static void t_context_list_order(void)
{
    Party *a1, *a2, *b;
    ConnContext *c, *master = NULL;
    Fingerprint *f;
    int seen_children = 0, i;

    CHECK(three_party(&a1, &a2, &b), "set-up failed");
    /* other buddies around alice, created by the application */
    otrl_context_find(b->us, ACCT_C, ACCT_B, PROTO, OTRL_INSTAG_MASTER, 1, NULL, add_app_data, b);
    otrl_context_find(b->us, "aaron@example.org", ACCT_B, PROTO, OTRL_INSTAG_MASTER, 1, NULL,
                      add_app_data, b);
    for (c = b->us->context_root; c; c = c->next) {
        if (c->m_context == c) {
            CHECK(c->their_instance == OTRL_INSTAG_MASTER, "a master with instance %08x",
                  c->their_instance);
            CHECK(c->fingerprint_root.fingerprint == NULL,
                  "fingerprint_root of %s has a fingerprint", c->username);
            master = c;
        } else {
            CHECK(master && c->m_context == master,
                  "child %s/%08x does not follow its master", c->username, c->their_instance);
            CHECK(strcmp(c->username, master->username) == 0, "child of another buddy");
            CHECK(c->their_instance >= OTRL_MIN_VALID_INSTAG, "child instance %08x",
                  c->their_instance);
            if (strcmp(c->username, ACCT_A) == 0) seen_children++;
            if (c->msgstate == OTRL_MSGSTATE_ENCRYPTED) {
                int found = 0;
                CHECK(c->active_fingerprint, "encrypted child without active_fingerprint");
                /* the fingerprint lives on the master (irssi walks from fp->context) */
                CHECK(c->active_fingerprint->context == master,
                      "active_fingerprint->context is not the master");
                for (f = master->fingerprint_root.next; f; f = f->next)
                    if (f == c->active_fingerprint) found = 1;
                CHECK(found, "active_fingerprint is not in the master's fingerprint list");
            }
        }
    }
    CHECK(seen_children == 2, "%d children for alice, want 2", seen_children);
    /* the library's own look-ups return the listed objects */
    for (i = 0, c = b->us->context_root; c; c = c->next, i++) {
        ConnContext *f2 = otrl_context_find(b->us, c->username, c->accountname, c->protocol,
                                            c->their_instance, 0, NULL, NULL, NULL);
        CHECK(f2 == c, "otrl_context_find(%s, %08x) returned another object", c->username,
              c->their_instance);
    }
    CHECK(n_violations == 0, "%s", violation);
}

static void t_context_addresses_stable(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    ConnContext *m, *ch;
    Fingerprint *fp;
    Sent s;
    int i;

    CHECK(ake(a, b), "AKE failed");
    m = ctx_of(b, ACCT_A, OTRL_INSTAG_MASTER);
    ch = ctx_of(b, ACCT_A, TAG_A);
    fp = ch ? ch->active_fingerprint : NULL;
    CHECK(m && ch && fp, "no master/child/fingerprint");
    for (i = 0; i < 10; i++) {
        s = app_send(i % 2 ? a : b, i % 2 ? ACCT_B : ACCT_A, OTRL_INSTAG_BEST, "tick",
                     OTRL_FRAGMENT_SEND_ALL_BUT_LAST, 1);
        sent_free(&s);
        pump();
    }
    otrl_context_find(b->us, ACCT_C, ACCT_B, PROTO, OTRL_INSTAG_MASTER, 1, NULL, add_app_data, b);
    /* a second AKE on the same instance */
    CHECK(ake(a, b), "re-AKE failed");
    CHECK(ctx_of(b, ACCT_A, OTRL_INSTAG_MASTER) == m, "the master context moved");
    CHECK(ctx_of(b, ACCT_A, TAG_A) == ch, "the child context moved");
    CHECK(ch->active_fingerprint == fp, "the fingerprint moved");
    CHECK(n_violations == 0, "%s", violation);
}

/* ------------------------------------------------------------------ */
/* Tests: smstate->secret                                              */

static int smp_free_on_success;
static void hook_free_state_on_success(Party *p, OtrlSMPEvent ev, ConnContext *ctx)
{
    (void)p;
    if (ev == OTRL_SMPEVENT_SUCCESS && smp_free_on_success) {
        /* bitlbee: free the SMP state from inside handle_smp_event */
        otrl_sm_state_free(ctx->smstate);
    }
}

static void t_smstate_secret_rules(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    ConnContext *ca, *cb;

    CHECK(ake(a, b), "AKE failed");
    ca = ctx_of(a, ACCT_B, OTRL_INSTAG_BEST);
    cb = ctx_of(b, ACCT_A, OTRL_INSTAG_BEST);
    CHECK(ca->smstate && cb->smstate, "no smstate");
    CHECK(ca->smstate->secret == NULL && cb->smstate->secret == NULL,
          "secret non-NULL before any SMP");
    CHECK(cb->smstate->nextExpected == OTRL_SMP_EXPECT1, "nextExpected not EXPECT1");

    otrl_message_initiate_smp_q(a->us, &ops, a, ca, "what?", (const unsigned char *)"42", 2);
    CHECK(ca->smstate->secret != NULL, "initiator's secret NULL after initiating");
    pump();
    CHECK(b->smp_events[OTRL_SMPEVENT_ASK_FOR_ANSWER] == 1, "no ASK_FOR_ANSWER");
    CHECK(b->secret_in_ask_for_secret == 1, "responder's secret NULL inside ASK_FOR_ANSWER");
    CHECK(cb->smstate->secret != NULL, "responder's secret NULL after SMP1 arrived");
    CHECK(cb->smstate->received_question == 1, "received_question not set");
    b->smp_hook = hook_free_state_on_success;
    a->smp_hook = hook_free_state_on_success;
    smp_free_on_success = 1;
    otrl_message_respond_smp(b->us, &ops, b, cb, (const unsigned char *)"42", 2);
    pump();
    CHECK(a->smp_events[OTRL_SMPEVENT_SUCCESS] == 1 && b->smp_events[OTRL_SMPEVENT_SUCCESS] == 1,
          "SMP did not succeed");
    CHECK(ca->smstate->secret == NULL && cb->smstate->secret == NULL,
          "secret non-NULL after otrl_sm_state_free");
    CHECK(ca->smstate->nextExpected == OTRL_SMP_EXPECT1, "state not reset by otrl_sm_state_free");
    /* the freed state is usable again; without freeing, the secret stays */
    smp_free_on_success = 0;
    otrl_message_initiate_smp(b->us, &ops, b, cb, (const unsigned char *)"again", 5);
    pump();
    CHECK(a->smp_events[OTRL_SMPEVENT_ASK_FOR_SECRET] == 1, "second SMP: no ASK_FOR_SECRET");
    otrl_message_respond_smp(a->us, &ops, a, ca, (const unsigned char *)"again", 5);
    pump();
    CHECK(a->smp_events[OTRL_SMPEVENT_SUCCESS] == 2 && b->smp_events[OTRL_SMPEVENT_SUCCESS] == 2,
          "second SMP did not succeed");
    CHECK(ca->smstate->secret != NULL && cb->smstate->secret != NULL,
          "secret NULL after a completed SMP whose state was not freed");
    CHECK(n_violations == 0, "%s", violation);
}

/* ------------------------------------------------------------------ */
/* Tests: key generation after fork()                                  */

static void t_keygen_after_fork(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    char tmpl[PATH_MAX], fa[OTRL_PRIVKEY_FPRINT_HUMAN_LEN], fa2[OTRL_PRIVKEY_FPRINT_HUMAN_LEN],
        fc[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
    int fd, status, pfd[2];
    ssize_t got;
    pid_t pid;
    OtrlUserState us2;
    gcry_error_t err;

    CHECK(otrl_privkey_fingerprint(a->us, fa, ACCT_A, PROTO), "alice has no key");
    /* bitlbee: an empty mkstemp file; the child generates into it with the
     * parent's user state, so every existing key is rewritten there too */
    path_fmt(tmpl, sizeof tmpl, "%s/keygen.XXXXXX", basedir);
    fd = mkstemp(tmpl);
    CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
    close(fd);
    /* The child reports through a pipe: its exit status is not reliable
     * under valgrind, which counts the heap it inherited as leaks. */
    CHECK(pipe(pfd) == 0, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(pfd[0]);
        err = otrl_privkey_generate(a->us, tmpl, ACCT_C, PROTO);
        if (write(pfd[1], &err, sizeof err) != (ssize_t)sizeof err) _exit(3);
        _exit(0);
    }
    close(pfd[1]);
    got = read(pfd[0], &err, sizeof err);
    close(pfd[0]);
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid failed");
    CHECK(got == (ssize_t)sizeof err, "the forked child died before reporting (status 0x%x)", status);
    CHECK(err == 0, "otrl_privkey_generate in the forked child: 0x%08x %s", err, gcry_strerror(err));
    us2 = otrl_userstate_create();
    err = otrl_privkey_read(us2, tmpl);
    if (err == 0) {
        if (!otrl_privkey_fingerprint(us2, fc, ACCT_C, PROTO)) err = 1;
        if (!otrl_privkey_fingerprint(us2, fa2, ACCT_A, PROTO)) err = 2;
    }
    otrl_userstate_free(us2);
    unlink(tmpl);
    CHECK(err != 1, "the child's file has no key for the new account");
    CHECK(err != 2, "the child's file lost the existing key");
    CHECK(err == 0, "reading the child's key file: %s", gcry_strerror(err));
    CHECK(strcmp(fa, fa2) == 0, "the existing key changed: %s vs %s", fa, fa2);
}

/* ------------------------------------------------------------------ */
/* Tests: calls back into the library from inside callbacks            */

static void hook_abort_on_ask(Party *p, OtrlSMPEvent ev, ConnContext *ctx)
{
    if (ev == OTRL_SMPEVENT_ASK_FOR_SECRET) {
        otrl_message_abort_smp(p->us, &ops, p, ctx);
        otrl_sm_state_free(ctx->smstate); /* bitlbee does both */
    }
}

static void t_cb_abort_smp_in_handle_smp_event(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    ConnContext *ca, *cb;

    CHECK(ake(a, b), "AKE failed");
    ca = ctx_of(a, ACCT_B, OTRL_INSTAG_BEST);
    cb = ctx_of(b, ACCT_A, OTRL_INSTAG_BEST);
    b->smp_hook = hook_abort_on_ask;
    otrl_message_initiate_smp(a->us, &ops, a, ca, (const unsigned char *)"s", 1);
    pump();
    CHECK(b->smp_events[OTRL_SMPEVENT_ASK_FOR_SECRET] == 1, "no ASK_FOR_SECRET at bob");
    CHECK(a->smp_events[OTRL_SMPEVENT_ABORT] == 1, "alice did not get the abort");
    CHECK(cb->smstate->nextExpected == OTRL_SMP_EXPECT1 && cb->smstate->secret == NULL,
          "bob's SMP state not reset");
    CHECK(cb->msgstate == OTRL_MSGSTATE_ENCRYPTED && ca->msgstate == OTRL_MSGSTATE_ENCRYPTED,
          "the session did not survive the abort");
    /* and a new SMP runs normally */
    b->smp_hook = NULL;
    otrl_message_initiate_smp(a->us, &ops, a, ca, (const unsigned char *)"s", 1);
    pump();
    otrl_message_respond_smp(b->us, &ops, b, cb, (const unsigned char *)"s", 1);
    pump();
    CHECK(a->smp_events[OTRL_SMPEVENT_SUCCESS] == 1 && b->smp_events[OTRL_SMPEVENT_SUCCESS] == 1,
          "SMP after the abort did not succeed");
    CHECK(n_violations == 0, "%s", violation);
}

static void t_cb_privkey_generate_in_create_privkey(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, NULL, TAG_B, WITH_INSTAG); /* no key */
    char fb[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];

    b->gen_key_in_create_privkey = 1;
    CHECK(ake(a, b), "AKE with a key generated inside create_privkey failed");
    CHECK(b->create_privkey == 1, "create_privkey called %d times", b->create_privkey);
    CHECK(otrl_privkey_fingerprint(b->us, fb, ACCT_B, PROTO), "bob still has no key");
    CHECK(n_violations == 0, "%s", violation);
}

static void t_cb_instag_generate_in_create_instag(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", 0, WITH_KEY); /* no instag */
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    OtrlInsTag *t;
    ConnContext *ca, *cb;

    a->gen_instag_in_create_instag = 1;
    CHECK(ake(a, b), "AKE with an instance tag generated inside create_instag failed");
    CHECK(a->create_instag == 1, "create_instag called %d times", a->create_instag);
    t = otrl_instag_find(a->us, ACCT_A, PROTO);
    CHECK(t && t->instag >= OTRL_MIN_VALID_INSTAG, "no valid instance tag after create_instag");
    ca = ctx_of(a, ACCT_B, OTRL_INSTAG_BEST);
    cb = ctx_of(b, ACCT_A, OTRL_INSTAG_BEST);
    CHECK(ca->our_instance == t->instag, "alice's context uses %08x, not the generated %08x",
          ca->our_instance, t->instag);
    CHECK(cb->their_instance == t->instag, "bob sees instance %08x, not %08x",
          cb->their_instance, t->instag);
    CHECK(n_violations == 0, "%s", violation);
}

static void t_cb_privkey_find_in_policy(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);

    a->find_key_in_policy = b->find_key_in_policy = 1;
    CHECK(ake(a, b), "AKE failed");
    CHECK(a->policy_found_key > 0 && b->policy_found_key > 0, "policy was not called");
    CHECK(a->policy_missed_key == 0 && b->policy_missed_key == 0,
          "otrl_privkey_find from inside policy did not find the key");
    CHECK(n_violations == 0, "%s", violation);
}

static void t_cb_fingerprint_in_gone_secure(void)
{
    Party *a = party_new("alice", ACCT_A, "alice", TAG_A, WITH_ALL);
    Party *b = party_new("bob", ACCT_B, "bob", TAG_B, WITH_ALL);
    char want[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
    ConnContext *ca, *cb;

    a->fp_in_gone_secure = 1;
    CHECK(otrl_privkey_fingerprint(a->us, want, ACCT_A, PROTO), "alice has no key");
    CHECK(ake(a, b), "AKE failed");
    CHECK(a->gone_secure == 1, "gone_secure called %d times", a->gone_secure);
    CHECK(a->gone_secure_bad == 0,
          "inside gone_secure: not ENCRYPTED, no active_fingerprint, or no fingerprint");
    CHECK(strcmp(a->gone_secure_ourfp, want) == 0, "otrl_privkey_fingerprint inside gone_secure: %s",
          a->gone_secure_ourfp);
    CHECK(a->gone_secure_trusted == 0, "an unknown fingerprint reported trusted");
    /* SMP makes it trusted; the next AKE's gone_secure sees that */
    ca = ctx_of(a, ACCT_B, OTRL_INSTAG_BEST);
    cb = ctx_of(b, ACCT_A, OTRL_INSTAG_BEST);
    otrl_message_initiate_smp(b->us, &ops, b, cb, (const unsigned char *)"pw", 2);
    pump();
    otrl_message_respond_smp(a->us, &ops, a, ca, (const unsigned char *)"pw", 2);
    pump();
    CHECK(a->smp_events[OTRL_SMPEVENT_SUCCESS] == 1, "SMP failed");
    otrl_message_disconnect(a->us, &ops, a, ACCT_A, PROTO, ACCT_B, ca->their_instance);
    pump();
    CHECK(ake(a, b), "second AKE failed");
    CHECK(a->gone_secure == 2 && a->gone_secure_trusted == 1,
          "otrl_context_is_fingerprint_trusted inside gone_secure after SMP: %d of %d",
          a->gone_secure_trusted, a->gone_secure);
    CHECK(n_violations == 0, "%s", violation);
}

/* ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    void (*fn)(void);
} Test;

static const Test tests[] = {
    { "init_returns_zero", t_init_returns_zero },
    { "receiving_clears_outputs", t_receiving_clears_outputs },
    { "sending_clears_output", t_sending_clears_output },
    { "protocol_traffic_returns_1", t_protocol_traffic_returns_1 },
    { "tlvs_come_with_return_1", t_tlvs_come_with_return_1 },
    { "fragment_send_all_but_last", t_fragment_send_all_but_last },
    { "fragment_send_skip", t_fragment_send_skip },
    { "instag_master", t_instag_master },
    { "instag_best", t_instag_best },
    { "instag_explicit", t_instag_explicit },
    { "finished_sending_returns_empty", t_finished_sending_returns_empty },
    { "add_app_data_before_callbacks", t_add_app_data_before_callbacks },
    { "app_data_free_called", t_app_data_free_called },
    { "returned_strings_freeable", t_returned_strings_freeable },
    { "trust_freed_with_free", t_trust_freed_with_free },
    { "gpg_error_enoent", t_gpg_error_enoent },
    { "gpg_error_other", t_gpg_error_other },
    { "context_list_order", t_context_list_order },
    { "context_addresses_stable", t_context_addresses_stable },
    { "smstate_secret_rules", t_smstate_secret_rules },
    { "keygen_after_fork", t_keygen_after_fork },
    { "cb_abort_smp_in_handle_smp_event", t_cb_abort_smp_in_handle_smp_event },
    { "cb_privkey_generate_in_create_privkey", t_cb_privkey_generate_in_create_privkey },
    { "cb_instag_generate_in_create_instag", t_cb_instag_generate_in_create_instag },
    { "cb_privkey_find_in_policy", t_cb_privkey_find_in_policy },
    { "cb_fingerprint_in_gone_secure", t_cb_fingerprint_in_gone_secure },
};
#define N_TESTS ((int)(sizeof tests / sizeof tests[0]))

/* Remove the run's temporary directory: plain files, and the keys/ below. */
static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];
    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            path_fmt(path, sizeof path, "%s/%s", dir, e->d_name);
            if (strcmp(e->d_name, "keys") == 0) rm_tree(path);
            else unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

int main(int argc, char **argv)
{
    int i, j, argi = 1, ran = 0;
    const char *kd = NULL;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argi < argc && strcmp(argv[argi], "-l") == 0) {
        for (i = 0; i < N_TESTS; i++) printf("%s\n", tests[i].name);
        return 0;
    }
    if (argi + 1 < argc && strcmp(argv[argi], "-k") == 0) {
        kd = argv[argi + 1];
        argi += 2;
    }
    for (j = argi; j < argc; j++) {
        for (i = 0; i < N_TESTS; i++)
            if (strcmp(argv[j], tests[i].name) == 0) break;
        if (i == N_TESTS) {
            fprintf(stderr, "contract: no test named %s (-l lists them)\n", argv[j]);
            return 2;
        }
    }

    /* pidgin's order: its own libgcrypt set-up, then OTRL_INIT, which is
     * this call and exit(1) when it returns non-zero */
    gcry_control(GCRYCTL_ENABLE_QUICK_RANDOM, 0);
    init_result = otrl_init(OTRL_VERSION_MAJOR, OTRL_VERSION_MINOR, OTRL_VERSION_SUB);
    init_ops();

    snprintf(basedir, sizeof basedir, "%s/otr-contract.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(basedir)) {
        perror("mkdtemp");
        return 2;
    }
    if (kd) {
        path_fmt(keydir, sizeof keydir, "%s", kd);
    } else {
        /* generate alice's and bob's keys once for the whole run */
        OtrlUserState us = otrl_userstate_create();
        char f[PATH_MAX];
        gcry_error_t err;
        path_fmt(keydir, sizeof keydir, "%s/keys", basedir);
        mkdir(keydir, 0700);
        path_fmt(f, sizeof f, "%s/alice.key", keydir);
        err = otrl_privkey_generate(us, f, ACCT_A, PROTO);
        if (!err) {
            otrl_userstate_free(us);
            us = otrl_userstate_create();
            path_fmt(f, sizeof f, "%s/bob.key", keydir);
            err = otrl_privkey_generate(us, f, ACCT_B, PROTO);
        }
        otrl_userstate_free(us);
        if (err) {
            fprintf(stderr, "contract: key generation failed: %s\n", gcry_strerror(err));
            return 2;
        }
    }

    for (i = 0; i < N_TESTS; i++) {
        int selected = argi >= argc;
        for (j = argi; j < argc; j++)
            if (strcmp(argv[j], tests[i].name) == 0) selected = 1;
        if (!selected) continue;
        ran++;
        test_failed = 0;
        fail_msg[0] = '\0';
        tests[i].fn();
        world_reset();
        if (test_failed) {
            printf("FAIL %s: %s\n", tests[i].name, fail_msg);
            n_failed++;
        } else {
            printf("ok %s\n", tests[i].name);
            n_passed++;
        }
    }
    rm_tree(basedir);
    printf("contract: %d passed, %d failed (libotr %s)\n", n_passed, n_failed, otrl_version());
    return n_failed ? 1 : (ran ? 0 : 2);
}
