/*
 * gen_libotr_fixtures.c — run two libotr parties (alice and bob) in one
 * process, pass every message between them through an in-process queue and
 * write line-oriented fixture files describing everything that happened.
 *
 * Usage: gen_libotr_fixtures <output-dir> [<scratch-dir>]
 *
 * See tests/fixtures-gen/README.md for the record format.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/context_priv.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>
#include <libotr/userstate.h>
#include <libotr/tlv.h>
#include <libotr/b64.h>
#include <libotr/dh.h>

#define PROTO "xmpp"

/* ------------------------------------------------------------------ */
/* Output helpers                                                      */

static FILE *out;
static const char *outdir;
static const char *scratchdir;

static void die(const char *fmt, ...)
{
    va_list ap;
    if (out) fflush(out);
    va_start(ap, fmt);
    fprintf(stderr, "gen_libotr_fixtures: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* Escape a text field (see README). */
static void put_esc_len(const unsigned char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == '\\') fputs("\\\\", out);
        else if (c == '\n') fputs("\\n", out);
        else if (c == '\r') fputs("\\r", out);
        else if (c == '\t') fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f) fprintf(out, "\\x%02x", c);
        else if (c == ' ' && i + 1 == len) fputs("\\x20", out);
        else fputc(c, out);
    }
}

static void put_esc(const char *s)
{
    if (s) put_esc_len((const unsigned char *)s, strlen(s));
}

static void put_hex(const unsigned char *b, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) fprintf(out, "%02x", b[i]);
}

/* Start a record: the tag followed by nothing (fields add "\t..."). */
static void rec(const char *tag) { fputs(tag, out); }
static void f_str(const char *s) { fputc('\t', out); fputs(s, out); }
static void f_esc(const char *s) { fputc('\t', out); put_esc(s); }
static void f_hex(const unsigned char *b, size_t l) { fputc('\t', out); put_hex(b, l); }
static void f_uint(unsigned long v) { fprintf(out, "\t%lu", v); }
static void end(void) { fputc('\n', out); }

static void comment(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", out);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Parties and the wire queue                                          */

typedef struct party {
    const char *name;          /* "alice" / "bob" */
    const char *account;       /* "alice@example.org" */
    OtrlUserState us;
    OtrlPolicy policy;
    int mms;
    struct party *peer;
    /* sender-side fragment tracking (for SESSKEYS after the last piece) */
    int frag_is_data;
    /* SMP prompt received (ASK_FOR_ANSWER / ASK_FOR_SECRET) */
    ConnContext *smp_ctx;
    int smp_asked;
} Party;

static Party alice_p, bob_p;
static Party *alice = &alice_p, *bob = &bob_p;

typedef struct qent {
    Party *from, *to;
    char *msg;
    struct qent *next;
} QEnt;

static QEnt *qhead, *qtail;

static void enqueue(Party *from, Party *to, const char *msg)
{
    QEnt *e = calloc(1, sizeof *e);
    if (!e) die("out of memory");
    e->from = from;
    e->to = to;
    e->msg = strdup(msg);
    if (!e->msg) die("out of memory");
    if (qtail) qtail->next = e; else qhead = e;
    qtail = e;
}

static QEnt *dequeue(void)
{
    QEnt *e = qhead;
    if (e) {
        qhead = e->next;
        if (!qhead) qtail = NULL;
    }
    return e;
}

/* Remove and return the most recently queued entry. */
static QEnt *dequeue_last(void)
{
    QEnt *e = qhead, *prev = NULL;
    if (!e) return NULL;
    while (e->next) { prev = e; e = e->next; }
    if (prev) { prev->next = NULL; qtail = prev; }
    else { qhead = qtail = NULL; }
    return e;
}

static void qent_free(QEnt *e)
{
    free(e->msg);
    free(e);
}

/* ------------------------------------------------------------------ */
/* Fragment header parsing                                             */

typedef struct {
    int is_frag;        /* 0 = not a fragment */
    int version;        /* 2 or 3 */
    unsigned int snd, rcv;
    unsigned short k, n;
    const char *piece;
} FragInfo;

static FragInfo frag_info(const char *msg)
{
    FragInfo fi;
    int off = -1;
    memset(&fi, 0, sizeof fi);
    if (strncmp(msg, "?OTR|", 5) == 0) {
        if (sscanf(msg, "?OTR|%x|%x,%hu,%hu,%n", &fi.snd, &fi.rcv, &fi.k,
                    &fi.n, &off) >= 4 && off > 0) {
            fi.is_frag = 1;
            fi.version = 3;
            fi.piece = msg + off;
        }
    } else if (strncmp(msg, "?OTR,", 5) == 0) {
        if (sscanf(msg, "?OTR,%hu,%hu,%n", &fi.k, &fi.n, &off) >= 2
                && off > 0) {
            fi.is_frag = 1;
            fi.version = 2;
            fi.piece = msg + off;
        }
    }
    return fi;
}

static int is_data_msg(const char *s)
{
    return strncmp(s, "?OTR:AAMD", 9) == 0 || strncmp(s, "?OTR:AAID", 9) == 0;
}

/* ------------------------------------------------------------------ */
/* otr_parse                                                           */

static void record_parse(const char *msg)
{
    char path[4096];
    char cmd[4200];
    FILE *f, *p;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int fd;

    snprintf(path, sizeof path, "%s/otr_parse_in.XXXXXX", scratchdir);
    fd = mkstemp(path);
    if (fd < 0) die("mkstemp: %s", strerror(errno));
    f = fdopen(fd, "w");
    if (!f) die("fdopen");
    fputs(msg, f);
    fputc('\n', f);
    fclose(f);

    snprintf(cmd, sizeof cmd, "/usr/bin/otr_parse < '%s'", path);
    p = popen(cmd, "r");
    if (!p) die("popen otr_parse");
    for (;;) {
        size_t r;
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            if (!buf) die("out of memory");
        }
        r = fread(buf + len, 1, 4096, p);
        if (r == 0) break;
        len += r;
    }
    if (pclose(p) != 0) die("otr_parse failed");
    unlink(path);

    rec("PARSE");
    fputc('\t', out);
    put_esc_len((unsigned char *)buf, len);
    end();
    free(buf);
}

/* ------------------------------------------------------------------ */
/* Session keys                                                        */

static const char DH1536_MODULUS_HEX[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D"
    "670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF";

static gcry_mpi_t dh_modulus;

static int all_zero(const unsigned char *b, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) if (b[i]) return 0;
    return 1;
}

/* DH_sesskeys keeps the AES keys only inside gcrypt cipher handles, so
 * recompute them from the DH key pair and the peer's public value, and
 * check the result against the MAC and extra keys libotr stored. */
static void derive_aes(const DH_keypair *kp, gcry_mpi_t y,
        unsigned char sendenc[16], unsigned char rcvenc[16],
        unsigned char sendmac[20], unsigned char rcvmac[20],
        unsigned char extra[32])
{
    gcry_mpi_t s = gcry_mpi_new(0);
    size_t slen = 0;
    unsigned char *buf;
    unsigned char h[32];
    unsigned char sendbyte, rcvbyte;

    gcry_mpi_powm(s, y, kp->priv, dh_modulus);
    gcry_mpi_print(GCRYMPI_FMT_USG, NULL, 0, &slen, s);
    buf = malloc(5 + slen);
    if (!buf) die("out of memory");
    buf[1] = (slen >> 24) & 0xff;
    buf[2] = (slen >> 16) & 0xff;
    buf[3] = (slen >> 8) & 0xff;
    buf[4] = slen & 0xff;
    gcry_mpi_print(GCRYMPI_FMT_USG, buf + 5, slen, NULL, s);

    if (gcry_mpi_cmp(kp->pub, y) > 0) { sendbyte = 0x01; rcvbyte = 0x02; }
    else { sendbyte = 0x02; rcvbyte = 0x01; }

    buf[0] = sendbyte;
    gcry_md_hash_buffer(GCRY_MD_SHA1, h, buf, 5 + slen);
    memcpy(sendenc, h, 16);
    buf[0] = rcvbyte;
    gcry_md_hash_buffer(GCRY_MD_SHA1, h, buf, 5 + slen);
    memcpy(rcvenc, h, 16);
    gcry_md_hash_buffer(GCRY_MD_SHA1, sendmac, sendenc, 16);
    gcry_md_hash_buffer(GCRY_MD_SHA1, rcvmac, rcvenc, 16);
    buf[0] = 0xff;
    gcry_md_hash_buffer(GCRY_MD_SHA256, extra, buf, 5 + slen);

    free(buf);
    gcry_mpi_release(s);
}

static void record_sesskeys(Party *p, ConnContext *ctx)
{
    ConnContextPriv *cp;
    int i, j;
    if (!ctx) {
        comment("SESSKEYS: sending context not found");
        return;
    }
    cp = ctx->context_priv;
    for (i = 0; i < 2; i++) {
        for (j = 0; j < 2; j++) {
            DH_sesskeys *sk = &cp->sesskeys[i][j];
            const DH_keypair *kp = i == 0 ? &cp->our_dh_key : &cp->our_old_dh_key;
            gcry_mpi_t y = j == 0 ? cp->their_y : cp->their_old_y;
            unsigned char se[16], re[16], sm[20], rm[20], ex[32];

            if (all_zero(sk->sendmackey, 20) && all_zero(sk->rcvmackey, 20)
                    && all_zero(sk->extrakey, 32))
                continue;
            if (!kp->priv || !kp->pub || !y) {
                /* libotr does not clear sesskeys[*][1] when a new AKE
                 * completes on an ENCRYPTED context (their_old_y becomes
                 * NULL, the old keys stay): stale, unusable, skipped. */
                comment("SESSKEYS %s: sesskeys[%d][%d] is stale (no "
                        "matching DH values after a re-AKE); skipped",
                        p->name, i, j);
                continue;
            }
            derive_aes(kp, y, se, re, sm, rm, ex);
            if (memcmp(sm, sk->sendmackey, 20) || memcmp(rm, sk->rcvmackey, 20)
                    || memcmp(ex, sk->extrakey, 32))
                die("recomputed session keys [%d][%d] do not match libotr's",
                        i, j);
            rec("SESSKEYS");
            f_str(p->name);
            f_uint(cp->our_keyid - i);
            f_uint(cp->their_keyid - j);
            f_hex(se, 16);
            f_hex(sk->sendmackey, 20);
            f_hex(re, 16);
            f_hex(sk->rcvmackey, 20);
            f_hex(sk->extrakey, 32);
            end();
        }
    }
}

/* Find the context a data message from p was sent from. */
static ConnContext *sending_context(Party *p, int version, unsigned int rcvtag)
{
    otrl_instag_t inst = version == 3 ? rcvtag : OTRL_INSTAG_MASTER;
    return otrl_context_find(p->us, p->peer->account, p->account, PROTO,
            inst, 0, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Wire                                                                */

static void wire_ex(Party *from, const char *msg, int dump_keys)
{
    FragInfo fi = frag_info(msg);

    rec("WIRE"); f_str(from->name); f_str(from->peer->name); f_esc(msg); end();

    if (!fi.is_frag && strstr(msg, "?OTR:")) record_parse(msg);

    if (fi.is_frag) {
        if (fi.k == 1) from->frag_is_data = is_data_msg(fi.piece);
        if (fi.k == fi.n && from->frag_is_data) {
            if (dump_keys)
                record_sesskeys(from, sending_context(from, fi.version,
                            fi.rcv));
            from->frag_is_data = 0;
        }
    } else if (dump_keys && is_data_msg(msg)) {
        int version = strncmp(msg, "?OTR:AAMD", 9) == 0 ? 3 : 2;
        unsigned int snd = 0, rcv = 0;
        if (version == 3 && otrl_proto_instance(msg, &snd, &rcv))
            die("cannot read instance tags of own data message");
        record_sesskeys(from, sending_context(from, version, rcv));
    }
    enqueue(from, from->peer, msg);
}

static void wire(Party *from, const char *msg) { wire_ex(from, msg, 1); }

/* ------------------------------------------------------------------ */
/* libotr callbacks                                                    */

static const char *msgevent_names[] = {
    "NONE", "ENCRYPTION_REQUIRED", "ENCRYPTION_ERROR", "CONNECTION_ENDED",
    "SETUP_ERROR", "MSG_REFLECTED", "MSG_RESENT", "RCVDMSG_NOT_IN_PRIVATE",
    "RCVDMSG_UNREADABLE", "RCVDMSG_MALFORMED", "LOG_HEARTBEAT_RCVD",
    "LOG_HEARTBEAT_SENT", "RCVDMSG_GENERAL_ERR", "RCVDMSG_UNENCRYPTED",
    "RCVDMSG_UNRECOGNIZED", "RCVDMSG_FOR_OTHER_INSTANCE"
};

static const char *smpevent_names[] = {
    "NONE", "ERROR", "ABORT", "CHEATED", "ASK_FOR_ANSWER", "ASK_FOR_SECRET",
    "IN_PROGRESS", "SUCCESS", "FAILURE"
};

static OtrlPolicy cb_policy(void *opdata, ConnContext *context)
{
    (void)context;
    return ((Party *)opdata)->policy;
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
    Party *p = opdata;
    (void)protocol;
    if (strcmp(accountname, p->account) || strcmp(recipient, p->peer->account))
        die("inject_message with unexpected names %s -> %s", accountname,
                recipient);
    wire(p, message);
}

static void cb_update_context_list(void *opdata) { (void)opdata; }

static void cb_new_fingerprint(void *opdata, OtrlUserState us,
        const char *accountname, const char *protocol, const char *username,
        unsigned char fingerprint[20])
{
    Party *p = opdata;
    (void)us; (void)accountname; (void)protocol; (void)username;
    rec("NEW_FINGERPRINT"); f_str(p->name); f_hex(fingerprint, 20); end();
}

static void cb_write_fingerprints(void *opdata) { (void)opdata; }

static void cb_gone_secure(void *opdata, ConnContext *context)
{
    (void)context;
    rec("GONE_SECURE"); f_str(((Party *)opdata)->name); end();
}

static void cb_gone_insecure(void *opdata, ConnContext *context)
{
    (void)context;
    rec("GONE_INSECURE"); f_str(((Party *)opdata)->name); end();
}

static void cb_still_secure(void *opdata, ConnContext *context, int is_reply)
{
    (void)context; (void)is_reply;
    rec("STILL_SECURE"); f_str(((Party *)opdata)->name); end();
}

static int cb_max_message_size(void *opdata, ConnContext *context)
{
    (void)context;
    return ((Party *)opdata)->mms;
}

static const char *cb_account_name(void *opdata, const char *account,
        const char *protocol)
{
    (void)opdata; (void)protocol;
    return strdup(account);
}

static void cb_account_name_free(void *opdata, const char *account_name)
{
    (void)opdata;
    free((char *)account_name);
}

static void cb_received_symkey(void *opdata, ConnContext *context,
        unsigned int use, const unsigned char *usedata, size_t usedatalen,
        const unsigned char *symkey)
{
    (void)context;
    rec("SYMKEY"); f_str(((Party *)opdata)->name); f_uint(use);
    f_hex(usedata, usedatalen); f_hex(symkey, OTRL_EXTRAKEY_BYTES); end();
}

static const char *cb_otr_error_message(void *opdata, ConnContext *context,
        OtrlErrorCode err_code)
{
    (void)opdata; (void)context;
    switch (err_code) {
        case OTRL_ERRCODE_ENCRYPTION_ERROR:
            return "Error occurred encrypting message.";
        case OTRL_ERRCODE_MSG_NOT_IN_PRIVATE:
            return "You sent encrypted data to a peer who wasn't expecting it.";
        case OTRL_ERRCODE_MSG_UNREADABLE:
            return "You transmitted an unreadable encrypted message.";
        case OTRL_ERRCODE_MSG_MALFORMED:
            return "You transmitted a malformed data message.";
        default:
            return "Unknown error.";
    }
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
    rec("SMPEVENT"); f_str(p->name);
    f_str((unsigned)smp_event < sizeof smpevent_names / sizeof *smpevent_names
            ? smpevent_names[smp_event] : "?");
    f_uint(progress_percent); f_esc(question ? question : ""); end();
    if (smp_event == OTRL_SMPEVENT_ASK_FOR_ANSWER ||
            smp_event == OTRL_SMPEVENT_ASK_FOR_SECRET) {
        p->smp_ctx = context;
        p->smp_asked = 1;
    }
}

static void cb_handle_msg_event(void *opdata, OtrlMessageEvent msg_event,
        ConnContext *context, const char *message, gcry_error_t err)
{
    Party *p = opdata;
    (void)context; (void)err;
    rec("EVENT"); f_str(p->name);
    f_str((unsigned)msg_event < sizeof msgevent_names / sizeof *msgevent_names
            ? msgevent_names[msg_event] : "?");
    f_esc(message ? message : ""); end();
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
    .update_context_list = cb_update_context_list,
    .new_fingerprint = cb_new_fingerprint,
    .write_fingerprints = cb_write_fingerprints,
    .gone_secure = cb_gone_secure,
    .gone_insecure = cb_gone_insecure,
    .still_secure = cb_still_secure,
    .max_message_size = cb_max_message_size,
    .account_name = cb_account_name,
    .account_name_free = cb_account_name_free,
    .received_symkey = cb_received_symkey,
    .otr_error_message = cb_otr_error_message,
    .otr_error_message_free = cb_otr_error_message_free,
    .resent_msg_prefix = NULL,      /* libotr's default "[resent]" */
    .resent_msg_prefix_free = NULL,
    .handle_smp_event = cb_handle_smp_event,
    .handle_msg_event = cb_handle_msg_event,
    .create_instag = cb_create_instag,
    .convert_msg = NULL,
    .convert_free = NULL,
    .timer_control = cb_timer_control,
};

/* ------------------------------------------------------------------ */
/* Receiving                                                           */

static void record_tlvs(const char *tag, Party *p, OtrlTLV *t)
{
    for (; t; t = t->next) {
        rec(tag); f_str(p->name); f_uint(t->type); f_hex(t->data, t->len);
        end();
    }
}

static void deliver(Party *from, Party *to, const char *msg)
{
    char *newmsg = NULL;
    OtrlTLV *tlvs = NULL;
    FragInfo fi = frag_info(msg);
    int ret = otrl_message_receiving(to->us, &ops, to, to->account, PROTO,
            from->account, msg, &newmsg, &tlvs, NULL, NULL, NULL);
    if (ret == 0) {
        rec("DELIVERED"); f_str(to->name); f_esc(newmsg ? newmsg : msg); end();
    } else if (!fi.is_frag || fi.k == fi.n) {
        rec("IGNORED"); f_str(to->name); end();
    }
    record_tlvs("TLV", to, tlvs);
    if (newmsg) otrl_message_free(newmsg);
    if (tlvs) otrl_tlv_free(tlvs);
}

static void pump(void)
{
    int guard = 0;
    QEnt *e;
    while ((e = dequeue()) != NULL) {
        if (++guard > 20000) die("message loop does not terminate");
        deliver(e->from, e->to, e->msg);
        qent_free(e);
    }
}

/* ------------------------------------------------------------------ */
/* Application actions                                                 */

static void app_send(Party *p, const char *text, OtrlTLV *tlvs)
{
    char *msg = NULL;
    gcry_error_t err;
    OtrlTLV *t;

    rec("SEND"); f_str(p->name); f_esc(text); end();
    for (t = tlvs; t; t = t->next) {
        rec("SENDTLV"); f_str(p->name); f_uint(t->type);
        f_hex(t->data, t->len); end();
    }
    err = otrl_message_sending(p->us, &ops, p, p->account, PROTO,
            p->peer->account, OTRL_INSTAG_BEST, text, tlvs, &msg,
            OTRL_FRAGMENT_SEND_ALL, NULL, NULL, NULL);
    if (err) die("otrl_message_sending: %s", gcry_strerror(err));
    /* With OTRL_FRAGMENT_SEND_ALL libotr injects whatever it produced; a
     * NULL result means "send the original text unchanged". */
    if (!msg) wire(p, text);
    else otrl_message_free(msg);
    if (tlvs) otrl_tlv_free(tlvs);
}

static ConnContext *best_context(Party *p)
{
    ConnContext *c = otrl_context_find(p->us, p->peer->account, p->account,
            PROTO, OTRL_INSTAG_BEST, 0, NULL, NULL, NULL);
    if (!c) die("%s has no context", p->name);
    return c;
}

static void call_initiate_smp(Party *p, const char *question,
        const char *secret)
{
    rec("CALL"); f_str(p->name);
    if (question) {
        f_str("initiate_smp_q"); f_esc(question); f_esc(secret); end();
        otrl_message_initiate_smp_q(p->us, &ops, p, best_context(p), question,
                (const unsigned char *)secret, strlen(secret));
    } else {
        f_str("initiate_smp"); f_esc(secret); end();
        otrl_message_initiate_smp(p->us, &ops, p, best_context(p),
                (const unsigned char *)secret, strlen(secret));
    }
}

static void call_respond_smp(Party *p, const char *secret)
{
    if (!p->smp_asked) die("%s was not asked for an SMP secret", p->name);
    rec("CALL"); f_str(p->name); f_str("respond_smp"); f_esc(secret); end();
    otrl_message_respond_smp(p->us, &ops, p, p->smp_ctx,
            (const unsigned char *)secret, strlen(secret));
    p->smp_asked = 0;
}

static void call_abort_smp(Party *p)
{
    rec("CALL"); f_str(p->name); f_str("abort_smp"); end();
    otrl_message_abort_smp(p->us, &ops, p, best_context(p));
}

static void call_symkey(Party *p, unsigned int use, const char *usedata)
{
    unsigned char key[OTRL_EXTRAKEY_BYTES];
    gcry_error_t err;
    size_t ulen = strlen(usedata);
    rec("CALL"); f_str(p->name); f_str("symkey"); f_uint(use);
    f_hex((const unsigned char *)usedata, ulen); end();
    err = otrl_message_symkey(p->us, &ops, p, best_context(p), use,
            (const unsigned char *)usedata, ulen, key);
    if (err) die("otrl_message_symkey: %s", gcry_strerror(err));
    rec("SYMKEY"); f_str(p->name); f_uint(use);
    f_hex((const unsigned char *)usedata, ulen); f_hex(key, sizeof key); end();
}

static void call_disconnect(Party *p, int all_instances)
{
    rec("CALL"); f_str(p->name);
    if (all_instances) {
        f_str("disconnect_all_instances"); end();
        otrl_message_disconnect_all_instances(p->us, &ops, p, p->account,
                PROTO, p->peer->account);
    } else {
        f_str("disconnect"); end();
        otrl_message_disconnect(p->us, &ops, p, p->account, PROTO,
                p->peer->account, OTRL_INSTAG_MASTER);
    }
}

static void expect_encrypted(Party *p, int want)
{
    ConnContext *c = best_context(p);
    int enc = c->msgstate == OTRL_MSGSTATE_ENCRYPTED;
    if (enc != want)
        die("%s: expected %s, msgstate is %d", p->name,
                want ? "ENCRYPTED" : "not ENCRYPTED", (int)c->msgstate);
}

/* ------------------------------------------------------------------ */
/* Runs and files                                                      */

static char *path_in_outdir(const char *name)
{
    size_t n = strlen(outdir) + strlen(name) + 2;
    char *s = malloc(n);
    if (!s) die("out of memory");
    snprintf(s, n, "%s/%s", outdir, name);
    return s;
}

static void party_load(Party *p)
{
    char fn[64];
    char *path;
    gcry_error_t err;

    p->us = otrl_userstate_create();
    snprintf(fn, sizeof fn, "%s.key", p->name);
    path = path_in_outdir(fn);
    err = otrl_privkey_read(p->us, path);
    if (err) die("otrl_privkey_read %s: %s", path, gcry_strerror(err));
    free(path);
    snprintf(fn, sizeof fn, "%s.instag", p->name);
    path = path_in_outdir(fn);
    err = otrl_instag_read(p->us, path);
    if (err) die("otrl_instag_read %s: %s", path, gcry_strerror(err));
    free(path);
}

static void party_free(Party *p)
{
    if (p->us) otrl_userstate_free(p->us);
    p->us = NULL;
    p->smp_ctx = NULL;
    p->smp_asked = 0;
    p->frag_is_data = 0;
}

static void record_policy(Party *p)
{
    rec("POLICY"); f_str(p->name); f_uint(p->policy); f_uint(p->mms); end();
}

static void run_begin(const char *what, OtrlPolicy apol, int amms,
        OtrlPolicy bpol, int bmms)
{
    if (qhead) die("queue not empty at run start");
    comment("--- run: %s", what);
    party_free(alice);
    party_free(bob);
    party_load(alice);
    party_load(bob);
    alice->policy = apol; alice->mms = amms;
    bob->policy = bpol; bob->mms = bmms;
    rec("RESET"); end();
    record_policy(alice);
    record_policy(bob);
}

static void run_end(void)
{
    pump();
    party_free(alice);
    party_free(bob);
}

static void header_party(Party *p)
{
    OtrlUserState us;
    OtrlPrivKey *k;
    OtrlInsTag *t;
    char human[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
    unsigned char tagb[4];

    party_free(p);
    party_load(p);
    us = p->us;
    k = otrl_privkey_find(us, p->account, PROTO);
    if (!k) die("no key for %s", p->account);
    if (!otrl_privkey_fingerprint(us, human, p->account, PROTO))
        die("no fingerprint for %s", p->account);
    rec("KEY"); f_str(p->name); f_hex(k->pubkey_data, k->pubkey_datalen);
    f_str(human); end();
    t = otrl_instag_find(us, p->account, PROTO);
    if (!t) die("no instag for %s", p->account);
    tagb[0] = t->instag >> 24; tagb[1] = t->instag >> 16;
    tagb[2] = t->instag >> 8; tagb[3] = t->instag;
    rec("INSTAG"); f_str(p->name); f_hex(tagb, 4); end();
    party_free(p);
}

static void file_begin(const char *name, const char *description)
{
    char *path = path_in_outdir(name);
    out = fopen(path, "w");
    if (!out) die("cannot write %s: %s", path, strerror(errno));
    free(path);
    fprintf(out, "# generated by tests/fixtures-gen/gen_libotr_fixtures.c "
            "against libotr %s\n", otrl_version());
    comment("%s", description);
    header_party(alice);
    header_party(bob);
}

static void file_end(void)
{
    if (qhead) die("queue not empty at file end");
    fclose(out);
    out = NULL;
}

static void start_with_query(Party *p)
{
    app_send(p, "?OTR?", NULL);
    pump();
    expect_encrypted(alice, 1);
    expect_encrypted(bob, 1);
}

/* ------------------------------------------------------------------ */
/* Scenarios                                                           */

#define V2V3 (OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_ALLOW_V3)

static OtrlTLV *padding_tlv(unsigned short len)
{
    unsigned char zeros[64];
    memset(zeros, 0, sizeof zeros);
    return otrl_tlv_new(OTRL_TLV_PADDING, len, zeros);
}

static void write_fingerprint_files(void)
{
    ConnContext *m = otrl_context_find(alice->us, bob->account,
            alice->account, PROTO, OTRL_INSTAG_MASTER, 0, NULL, NULL, NULL);
    char *path;
    gcry_error_t err;
    if (!m || !m->fingerprint_root.next)
        die("alice has no fingerprint for bob");
    otrl_context_set_trust(m->fingerprint_root.next, "verified");
    comment("alice marks bob's fingerprint \"verified\"; bob's trust in "
            "alice's stays \"\" (alice.fpr / bob.fpr written here)");
    path = path_in_outdir("alice.fpr");
    err = otrl_privkey_write_fingerprints(alice->us, path);
    if (err) die("write fingerprints: %s", gcry_strerror(err));
    free(path);
    path = path_in_outdir("bob.fpr");
    err = otrl_privkey_write_fingerprints(bob->us, path);
    if (err) die("write fingerprints: %s", gcry_strerror(err));
    free(path);
}

static void scenario_ake_v3(void)
{
    OtrlPolicy pol = V2V3 | OTRL_POLICY_ERROR_START_AKE;
    file_begin("ake-v3.txt", "v3 AKE, data messages, TLVs, SMP, disconnect");
    run_begin("v3", pol, 0, pol, 0);

    start_with_query(alice);

    app_send(alice, "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93", NULL); pump();
    app_send(bob, "hi alice\nsecond line", NULL); pump();
    app_send(bob, "tab\there", NULL); pump();
    app_send(alice, "trailing space ", NULL); pump();
    app_send(alice, "back\\slash, comma, \"quotes\"", NULL); pump();
    app_send(bob, "\xc3\xbcn\xc3\xaf\x63\xc3\xb6\x64\xc3\xa9 \xe2\x9c\x93 done",
            NULL);
    pump();
    /* two messages queued before either is delivered: same key pair */
    app_send(alice, "queued one", NULL);
    app_send(alice, "queued two", NULL);
    pump();

    app_send(alice, "padded", padding_tlv(10)); pump();
    app_send(bob, "", padding_tlv(3)); pump();

    call_symkey(alice, 1, "abc"); pump();

    comment("SMP with question, right answer (alice initiates)");
    call_initiate_smp(alice, "What is the colour of the sky?", "blue");
    pump();
    call_respond_smp(bob, "blue");
    pump();

    comment("SMP without question, wrong answer (bob initiates)");
    call_initiate_smp(bob, NULL, "blue");
    pump();
    call_respond_smp(alice, "green");
    pump();

    comment("SMP aborted by the initiator before the answer");
    call_initiate_smp(alice, "Second question?", "x");
    pump();
    bob->smp_asked = 0;
    call_abort_smp(alice);
    pump();

    app_send(bob, "after smp", NULL); pump();

    write_fingerprint_files();

    call_disconnect(alice, 1);
    pump();
    comment("bob is FINISHED now; sending is refused (libotr injects an "
            "empty message)");
    app_send(bob, "are you still there?", NULL);
    pump();
    run_end();
    file_end();
}

static void scenario_ake_v2(void)
{
    OtrlPolicy pol = OTRL_POLICY_ALLOW_V2;
    file_begin("ake-v2.txt", "v2 AKE, data messages, TLVs, SMP, disconnect");
    run_begin("v2", pol, 0, pol, 0);

    start_with_query(alice);

    app_send(alice, "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93", NULL); pump();
    app_send(bob, "line one\nline two\ttabbed ", NULL); pump();
    app_send(bob, "second from bob", NULL); pump();
    app_send(alice, "reply", NULL); pump();
    app_send(alice, "padded", padding_tlv(7)); pump();

    call_symkey(alice, 1, "abc"); pump();

    comment("SMP with question, right answer (bob initiates)");
    call_initiate_smp(bob, "Favourite number?", "42");
    pump();
    call_respond_smp(alice, "42");
    pump();

    call_disconnect(alice, 0);
    pump();
    run_end();
    file_end();
}

static void make_long_text(char *buf, size_t len)
{
    static const char words[] =
        "The quick brown fox jumps over the lazy dog, "
        "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93; ";
    size_t i, wl = strlen(words);
    for (i = 0; i < len; i++) buf[i] = words[i % wl];
    /* do not end inside a multibyte sequence */
    while (len > 0 && ((unsigned char)buf[len - 1] & 0x80)) len--;
    buf[len] = '\0';
}

static void scenario_fragments(int version)
{
    OtrlPolicy pol = version == 3 ? (V2V3 | OTRL_POLICY_ERROR_START_AKE)
                                  : OTRL_POLICY_ALLOW_V2;
    char longtext[600];
    file_begin(version == 3 ? "fragments-v3.txt" : "fragments-v2.txt",
            "AKE and data with max message size 100 on both sides");
    run_begin(version == 3 ? "v3, mms 100" : "v2, mms 100", pol, 100, pol, 100);

    start_with_query(alice);

    make_long_text(longtext, 500);
    app_send(alice, "short", NULL); pump();
    app_send(bob, longtext, NULL); pump();
    app_send(alice, longtext, NULL); pump();
    app_send(bob, "bye, for now", NULL); pump();

    comment("SMP messages are fragmented too");
    call_initiate_smp(alice, "q?", "s");
    pump();
    call_respond_smp(bob, "s");
    pump();

    call_disconnect(alice, 1);
    pump();
    run_end();
    file_end();
}

static void scenario_whitespace(void)
{
    OtrlPolicy tagpols[3] = {
        OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_SEND_WHITESPACE_TAG,
        OTRL_POLICY_ALLOW_V3 | OTRL_POLICY_SEND_WHITESPACE_TAG,
        V2V3 | OTRL_POLICY_SEND_WHITESPACE_TAG,
    };
    int i;

    file_begin("whitespace.txt", "whitespace tags and tag-started AKEs");

    run_begin("both OPPORTUNISTIC: tag starts a v3 AKE",
            OTRL_POLICY_OPPORTUNISTIC, 0, OTRL_POLICY_OPPORTUNISTIC, 0);
    app_send(alice, "hello bob", NULL);
    pump();
    expect_encrypted(alice, 1);
    expect_encrypted(bob, 1);
    app_send(alice, "now private", NULL); pump();
    app_send(bob, "indeed", NULL); pump();
    run_end();

    run_begin("alice OPPORTUNISTIC, bob v2 only with WHITESPACE_START_AKE",
            OTRL_POLICY_OPPORTUNISTIC, 0,
            OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_WHITESPACE_START_AKE, 0);
    app_send(alice, "hello bob", NULL);
    pump();
    expect_encrypted(alice, 1);
    expect_encrypted(bob, 1);
    app_send(alice, "now private (v2)", NULL); pump();
    app_send(bob, "indeed (v2)", NULL); pump();
    run_end();

    for (i = 0; i < 3; i++) {
        char what[128];
        snprintf(what, sizeof what, "tag for alice policy %u; bob MANUAL "
                "(no AKE); bob's untagged reply makes alice stop tagging",
                tagpols[i]);
        run_begin(what, tagpols[i], 0, OTRL_POLICY_MANUAL, 0);
        app_send(alice, "hello bob", NULL); pump();
        app_send(alice, "still there?", NULL); pump();
        app_send(bob, "no otr here", NULL); pump();
        app_send(alice, "hello again", NULL); pump();
        expect_encrypted(alice, 0);
        run_end();
    }
    file_end();
}

/* Flip one bit of the first ciphertext byte of a data message, re-encode. */
static char *tamper_data_message(const char *msg)
{
    unsigned char *buf = NULL;
    size_t len = 0, off;
    unsigned int mpilen, datalen;
    char *res;
    int v3;

    if (otrl_base64_otr_decode(msg, &buf, &len)) die("cannot decode");
    if (len < 3 || buf[2] != 0x03) die("not a data message");
    v3 = buf[1] == 3;
    off = 3 + (v3 ? 8 : 0) + 1 + 4 + 4;            /* header, flags, keyids */
    mpilen = (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8)
             | buf[off + 3];
    off += 4 + mpilen + 8;                           /* next DH y, ctr */
    datalen = (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8)
              | buf[off + 3];
    off += 4;
    if (datalen == 0 || off >= len) die("no ciphertext to tamper with");
    buf[off] ^= 0x01;
    res = otrl_base64_otr_encode(buf, len);
    free(buf);
    return res;
}

static void error_run(int version)
{
    OtrlPolicy pol = version == 3 ? (V2V3 | OTRL_POLICY_ERROR_START_AKE)
                                  : (OTRL_POLICY_ALLOW_V2 |
                                     OTRL_POLICY_ERROR_START_AKE);
    QEnt *e;
    char *bad;

    run_begin(version == 3 ? "v3: tampered data message"
                           : "v2: tampered data message", pol, 0, pol, 0);
    start_with_query(alice);
    app_send(alice, "first", NULL); pump();
    app_send(bob, "reply", NULL); pump();
    app_send(alice, "secret message", NULL);
    e = dequeue_last();
    if (!e || e->from != alice) die("expected alice's data message in queue");
    rec("DROP"); f_str("alice"); f_str("bob"); end();
    comment("the WIRE message above is dropped; a copy with one ciphertext "
            "bit flipped is delivered instead");
    bad = tamper_data_message(e->msg);
    qent_free(e);
    wire_ex(alice, bad, 0);   /* not sent by alice: no SESSKEYS */
    free(bad);
    pump();
    comment("after the error: one message each way");
    app_send(alice, "after error", NULL); pump();
    app_send(bob, "after error too", NULL); pump();
    run_end();
}

static void scenario_error(void)
{
    file_begin("error.txt", "tampered data message, OTR Error reply, "
            "ERROR_START_AKE");
    error_run(3);
    error_run(2);
    file_end();
}

static void record_query(OtrlPolicy pol)
{
    char *q = otrl_proto_default_query_msg(alice->account, pol);
    if (!q) die("no query");
    rec("QUERY"); f_uint(pol); f_esc(q); end();
    free(q);
}

static void scenario_queries(void)
{
    file_begin("queries.txt", "default query messages; a fragmented query "
            "from a v3-only party");
    record_query(OTRL_POLICY_ALLOW_V2);
    record_query(OTRL_POLICY_ALLOW_V3);
    record_query(V2V3);
    record_query(OTRL_POLICY_OPPORTUNISTIC);
    record_query(OTRL_POLICY_ALWAYS);

    run_begin("v3-only both sides, mms 60: query sent in PLAINTEXT",
            OTRL_POLICY_ALLOW_V3, 60, OTRL_POLICY_ALLOW_V3, 60);
    app_send(alice, "?OTR?", NULL);
    pump();
    {
        ConnContext *a = best_context(alice), *b = best_context(bob);
        comment("after the query: alice msgstate %d, bob msgstate %d "
                "(1 = ENCRYPTED)", (int)a->msgstate, (int)b->msgstate);
        if (a->msgstate == OTRL_MSGSTATE_ENCRYPTED &&
                b->msgstate == OTRL_MSGSTATE_ENCRYPTED) {
            app_send(alice, "private after a fragmented query", NULL);
            pump();
            app_send(bob, "yes", NULL);
            pump();
        }
    }
    run_end();
    file_end();
}

static void make_b64_text(char *buf, size_t len)
{
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char prefix[] = "?OTR:AAMD";
    size_t i;
    unsigned int x = 12345;
    for (i = 0; i < len; i++) {
        if (i < sizeof prefix - 1) buf[i] = prefix[i];
        else {
            x = x * 1103515245u + 12345u;
            buf[i] = alpha[(x >> 16) & 63];
        }
    }
    if (len > sizeof prefix) buf[len - 1] = '.';
    buf[len] = '\0';
}

static void make_comma_text(char *buf, size_t len)
{
    static const char words[] = "one, two,three ,, four,five, ";
    size_t i, wl = strlen(words);
    for (i = 0; i < len; i++) buf[i] = words[i % wl];
    buf[len] = '\0';
}

static void record_split(ConnContext *ctx, int version, int mms,
        const char *msg)
{
    int len = (int)strlen(msg);
    int headerlen = version == 3 ? 37 : 19;
    int count, i;
    char **frags = NULL;
    gcry_error_t err;

    if (len <= mms) return;               /* libotr does not fragment */
    count = ((len - 1) / (mms - headerlen)) + 1;
    err = otrl_proto_fragment_create(mms, count, &frags, ctx, msg);
    if (err) die("otrl_proto_fragment_create: %s", gcry_strerror(err));
    rec("SPLIT"); f_uint(version); f_uint(mms); f_esc(msg); end();
    for (i = 0; i < count; i++) {
        rec("PIECE"); f_esc(frags[i]); end();
    }
    otrl_proto_fragment_free(&frags, count);
}

static void scenario_split(void)
{
    static const int lens[] = { 1, 50, 63, 64, 100, 250, 1000 };
    static const int mms3[] = { 40, 60, 100 };
    static const int mms2[] = { 20, 30, 60, 100 };
    char buf[1100];
    ConnContext *c3, *c2;
    OtrlInsTag *at;
    size_t li, mi;

    file_begin("split.txt", "libotr's own fragmentation "
            "(otrl_proto_fragment_create), only where length > mms");
    party_free(alice);
    party_free(bob);
    party_load(alice);
    party_load(bob);
    at = otrl_instag_find(alice->us, alice->account, PROTO);
    {
        OtrlInsTag *bt = otrl_instag_find(bob->us, bob->account, PROTO);
        /* v3: alice's child context for bob's instance */
        c3 = otrl_context_find(alice->us, bob->account, alice->account, PROTO,
                bt->instag, 1, NULL, NULL, NULL);
        c3->our_instance = at->instag;
        c3->protocol_version = 3;
        /* the fragment syntax follows the auth version, not protocol_version */
        c3->auth.protocol_version = 3;
        comment("v3 pieces from alice (sender tag %08x) to bob "
                "(receiver tag %08x)", at->instag, bt->instag);
    }
    /* v2: a second user state, master context */
    c2 = otrl_context_find(bob->us, alice->account, bob->account, PROTO,
            OTRL_INSTAG_MASTER, 1, NULL, NULL, NULL);
    c2->protocol_version = 2;

    for (mi = 0; mi < sizeof mms3 / sizeof *mms3; mi++) {
        for (li = 0; li < sizeof lens / sizeof *lens; li++) {
            make_b64_text(buf, lens[li]);
            record_split(c3, 3, mms3[mi], buf);
        }
        make_comma_text(buf, 100);
        record_split(c3, 3, mms3[mi], buf);
        make_comma_text(buf, 250);
        record_split(c3, 3, mms3[mi], buf);
    }
    for (mi = 0; mi < sizeof mms2 / sizeof *mms2; mi++) {
        for (li = 0; li < sizeof lens / sizeof *lens; li++) {
            make_b64_text(buf, lens[li]);
            record_split(c2, 2, mms2[mi], buf);
        }
        make_comma_text(buf, 100);
        record_split(c2, 2, mms2[mi], buf);
        make_comma_text(buf, 250);
        record_split(c2, 2, mms2[mi], buf);
    }
    party_free(alice);
    party_free(bob);
    file_end();
}

/* ------------------------------------------------------------------ */

static void generate_keys(Party *p)
{
    OtrlUserState us = otrl_userstate_create();
    char fn[64];
    char *path;
    gcry_error_t err;

    snprintf(fn, sizeof fn, "%s.key", p->name);
    path = path_in_outdir(fn);
    unlink(path);
    err = otrl_privkey_generate(us, path, p->account, PROTO);
    if (err) die("otrl_privkey_generate: %s", gcry_strerror(err));
    free(path);

    snprintf(fn, sizeof fn, "%s.instag", p->name);
    path = path_in_outdir(fn);
    unlink(path);
    err = otrl_instag_generate(us, path, p->account, PROTO);
    if (err) die("otrl_instag_generate: %s", gcry_strerror(err));
    free(path);

    snprintf(fn, sizeof fn, "%s.fpr", p->name);
    path = path_in_outdir(fn);
    unlink(path);
    free(path);

    otrl_userstate_free(us);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s <output-dir> [<scratch-dir>]\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    scratchdir = argc == 3 ? argv[2] : (getenv("TMPDIR") ? getenv("TMPDIR")
                                                          : "/tmp");
    OTRL_INIT;
    if (gcry_mpi_scan(&dh_modulus, GCRYMPI_FMT_HEX, DH1536_MODULUS_HEX, 0,
                NULL))
        die("cannot parse DH modulus");

    alice->name = "alice"; alice->account = "alice@example.org";
    bob->name = "bob"; bob->account = "bob@example.org";
    alice->peer = bob; bob->peer = alice;

    generate_keys(alice);
    generate_keys(bob);

    scenario_ake_v3();
    scenario_ake_v2();
    scenario_fragments(3);
    scenario_fragments(2);
    scenario_whitespace();
    scenario_error();
    scenario_queries();
    scenario_split();

    gcry_mpi_release(dh_modulus);
    return 0;
}
