/*
 * libotr_peer.c — a command-line OTR endpoint built on libotr 4.1.1 that
 * speaks the line protocol of docs/PEER-PROTOCOL.md (the same protocol as the
 * workspace's `otr-peer`), so an interop test driver can put libotr on
 * either side of a conversation.
 *
 * Usage: libotr_peer [options] ACCOUNT PROTOCOL BUDDY
 *
 * Everything reported comes from libotr's own callbacks and data
 * structures; the program adds only what a host application must do
 * (answer SMP, abort SMP on CHEATED / ERROR, write fingerprints) plus a
 * few guards that keep libotr from crashing on states it creates itself
 * (see the comments marked GUARD).
 *
 * Build: tests/libotr-peer/build.sh OUTDIR
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
#include <libotr/sm.h>

#define PEER_NAME "libotr_peer"

/* ------------------------------------------------------------------ */
/* Global state (one process = one account talking to one buddy)       */

static OtrlUserState us;
static const char *account, *protocol, *buddy;
static OtrlPolicy policy = OTRL_POLICY_DEFAULT;
static int max_msg_size = 0;
static const char *key_file, *instag_file, *fpr_file;
static char *smp_secret;          /* --smp-secret, NULL if not given */
static size_t smp_secret_len;
static int show_tlvs, raw_mode;

/* SMP request waiting for an answer (ASK_FOR_SECRET / ASK_FOR_ANSWER) */
static ConnContext *smp_pending_ctx;
/* Actions deferred until libotr has returned from otrl_message_receiving */
static ConnContext *deferred_abort[8];
static int n_deferred_abort;
static ConnContext *deferred_answer;

/* Last observed msgstate of every context (for INSECURE) */
typedef struct {
    ConnContext *ctx;
    OtrlMessageState state;
} Seen;
static Seen *seen;
static size_t n_seen, cap_seen;
static int in_check;

static void check_transitions(void);

/* ------------------------------------------------------------------ */
/* Output                                                              */

static void out_flush_line(void)
{
    fputc('\n', stdout);
    if (fflush(stdout) != 0) {
        /* The driver went away: nothing left to talk to. */
        _exit(0);
    }
}

/* Write a payload with the protocol's escaping (or raw with --raw). */
static void out_esc_len(const unsigned char *s, size_t len)
{
    size_t i;
    if (raw_mode) {
        fwrite(s, 1, len, stdout);
        return;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == '\\') fputs("\\\\", stdout);
        else if (c == '\n') fputs("\\n", stdout);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c < 0x20 || c == 0x7f) fprintf(stdout, "\\x%02x", c);
        else if (c == ' ' && i + 1 == len) fputs("\\x20", stdout);
        else fputc(c, stdout);
    }
}

static void out_esc(const char *s)
{
    if (s) out_esc_len((const unsigned char *)s, strlen(s));
}

static void out_hex(const unsigned char *b, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) fprintf(stdout, "%02x", b[i]);
}

/* A whole line made of fixed text (no payload). */
static void out_line(const char *fmt, ...)
{
    va_list ap;
    check_transitions();
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    out_flush_line();
}

/* "TAG <escaped payload>" */
static void out_tag_payload(const char *tag, const char *payload)
{
    check_transitions();
    fputs(tag, stdout);
    fputc(' ', stdout);
    out_esc(payload);
    out_flush_line();
}

static void out_err(const char *fmt, ...)
{
    va_list ap;
    char buf[512];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    out_tag_payload("ERR", buf);
}

/* ------------------------------------------------------------------ */
/* INSECURE: libotr 4.1.1 never calls gone_insecure, so the peer watches
 * msgstate itself and reports every ENCRYPTED -> not ENCRYPTED change.  */

static Seen *seen_find(ConnContext *ctx)
{
    size_t i;
    for (i = 0; i < n_seen; i++)
        if (seen[i].ctx == ctx) return &seen[i];
    return NULL;
}

static Seen *seen_get(ConnContext *ctx)
{
    Seen *s = seen_find(ctx);
    if (s) return s;
    if (n_seen == cap_seen) {
        size_t nc = cap_seen ? cap_seen * 2 : 8;
        Seen *n = realloc(seen, nc * sizeof *n);
        if (!n) return NULL;
        seen = n;
        cap_seen = nc;
    }
    seen[n_seen].ctx = ctx;
    seen[n_seen].state = ctx->msgstate;
    return &seen[n_seen++];
}

static void check_transitions(void)
{
    ConnContext *c;
    if (in_check || !us) return;
    in_check = 1;
    for (c = us->context_root; c; c = c->next) {
        Seen *s = seen_find(c);
        if (!s) {
            /* First sighting: record silently (a new child may start
             * out as a copy of its master's msgstate). */
            seen_get(c);
            continue;
        }
        if (s->state == OTRL_MSGSTATE_ENCRYPTED &&
                c->msgstate != OTRL_MSGSTATE_ENCRYPTED) {
            s->state = c->msgstate;
            fputs("INSECURE", stdout);
            out_flush_line();
        } else {
            s->state = c->msgstate;
        }
    }
    in_check = 0;
}

/* ------------------------------------------------------------------ */
/* Input unescaping                                                    */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Unescape s[0..len) into a new NUL-terminated buffer; *outlen gets the
 * decoded length (which may include NUL bytes from \x00). */
static char *unescape(const char *s, size_t len, size_t *outlen)
{
    char *o = malloc(len + 1);
    size_t i, n = 0;
    if (!o) return NULL;
    if (raw_mode) {
        memcpy(o, s, len);
        o[len] = '\0';
        if (outlen) *outlen = len;
        return o;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < len) {
            char d = s[i + 1];
            if (d == '\\') { o[n++] = '\\'; i++; continue; }
            if (d == 'n') { o[n++] = '\n'; i++; continue; }
            if (d == 'r') { o[n++] = '\r'; i++; continue; }
            if (d == 't') { o[n++] = '\t'; i++; continue; }
            if (d == 'x' && i + 3 < len) {
                int h = hexval((unsigned char)s[i + 2]);
                int l = hexval((unsigned char)s[i + 3]);
                if (h >= 0 && l >= 0) {
                    o[n++] = (char)(h * 16 + l);
                    i += 3;
                    continue;
                }
            }
        }
        o[n++] = c;
    }
    o[n] = '\0';
    if (outlen) *outlen = n;
    return o;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

static const char *msgevent_name(OtrlMessageEvent e)
{
    switch (e) {
        case OTRL_MSGEVENT_NONE: return "NONE";
        case OTRL_MSGEVENT_ENCRYPTION_REQUIRED: return "ENCRYPTION_REQUIRED";
        case OTRL_MSGEVENT_ENCRYPTION_ERROR: return "ENCRYPTION_ERROR";
        case OTRL_MSGEVENT_CONNECTION_ENDED: return "CONNECTION_ENDED";
        case OTRL_MSGEVENT_SETUP_ERROR: return "SETUP_ERROR";
        case OTRL_MSGEVENT_MSG_REFLECTED: return "MSG_REFLECTED";
        case OTRL_MSGEVENT_MSG_RESENT: return "MSG_RESENT";
        case OTRL_MSGEVENT_RCVDMSG_NOT_IN_PRIVATE:
            return "RCVDMSG_NOT_IN_PRIVATE";
        case OTRL_MSGEVENT_RCVDMSG_UNREADABLE: return "RCVDMSG_UNREADABLE";
        case OTRL_MSGEVENT_RCVDMSG_MALFORMED: return "RCVDMSG_MALFORMED";
        case OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD: return "LOG_HEARTBEAT_RCVD";
        case OTRL_MSGEVENT_LOG_HEARTBEAT_SENT: return "LOG_HEARTBEAT_SENT";
        case OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR: return "RCVDMSG_GENERAL_ERR";
        case OTRL_MSGEVENT_RCVDMSG_UNENCRYPTED: return "RCVDMSG_UNENCRYPTED";
        case OTRL_MSGEVENT_RCVDMSG_UNRECOGNIZED:
            return "RCVDMSG_UNRECOGNIZED";
        case OTRL_MSGEVENT_RCVDMSG_FOR_OTHER_INSTANCE:
            return "RCVDMSG_FOR_OTHER_INSTANCE";
    }
    return "UNKNOWN";
}

static const char *smpevent_name(OtrlSMPEvent e)
{
    switch (e) {
        case OTRL_SMPEVENT_NONE: return "NONE";
        case OTRL_SMPEVENT_ERROR: return "ERROR";
        case OTRL_SMPEVENT_ABORT: return "ABORT";
        case OTRL_SMPEVENT_CHEATED: return "CHEATED";
        case OTRL_SMPEVENT_ASK_FOR_ANSWER: return "ASK_FOR_ANSWER";
        case OTRL_SMPEVENT_ASK_FOR_SECRET: return "ASK_FOR_SECRET";
        case OTRL_SMPEVENT_IN_PROGRESS: return "IN_PROGRESS";
        case OTRL_SMPEVENT_SUCCESS: return "SUCCESS";
        case OTRL_SMPEVENT_FAILURE: return "FAILURE";
    }
    return "UNKNOWN";
}

static const char *msgstate_name(OtrlMessageState s)
{
    switch (s) {
        case OTRL_MSGSTATE_PLAINTEXT: return "PLAINTEXT";
        case OTRL_MSGSTATE_ENCRYPTED: return "ENCRYPTED";
        case OTRL_MSGSTATE_FINISHED: return "FINISHED";
    }
    return "UNKNOWN";
}

static const char *authstate_name(OtrlAuthState s)
{
    switch (s) {
        case OTRL_AUTHSTATE_NONE: return "NONE";
        case OTRL_AUTHSTATE_AWAITING_DHKEY: return "AWAITING_DHKEY";
        case OTRL_AUTHSTATE_AWAITING_REVEALSIG: return "AWAITING_REVEALSIG";
        case OTRL_AUTHSTATE_AWAITING_SIG: return "AWAITING_SIG";
        case OTRL_AUTHSTATE_V1_SETUP: return "V1_SETUP";
    }
    return "UNKNOWN";
}

static const char *smpstate_name(NextExpectedSMP s)
{
    switch (s) {
        case OTRL_SMP_EXPECT1: return "EXPECT1";
        case OTRL_SMP_EXPECT2: return "EXPECT2";
        case OTRL_SMP_EXPECT3: return "EXPECT3";
        case OTRL_SMP_EXPECT4: return "EXPECT4";
        case OTRL_SMP_EXPECT5: return "EXPECT5";
    }
    return "UNKNOWN";
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static void write_fingerprints_file(void)
{
    gcry_error_t err;
    if (!fpr_file) return;
    err = otrl_privkey_write_fingerprints(us, fpr_file);
    if (err)
        fprintf(stderr, PEER_NAME ": cannot write %s: %s\n", fpr_file,
                gcry_strerror(err));
}

/* Generate a key for ACCOUNT/PROTOCOL that lives only in memory. */
static gcry_error_t privkey_generate_in_memory(const char *acc,
        const char *proto)
{
    gcry_error_t err;
    FILE *f = tmpfile();
    if (!f) return gcry_error_from_errno(errno);
    err = otrl_privkey_generate_FILEp(us, f, acc, proto);
    fclose(f);
    return err;
}

static gcry_error_t instag_generate_in_memory(const char *acc,
        const char *proto)
{
    gcry_error_t err;
    FILE *f = tmpfile();
    if (!f) return gcry_error_from_errno(errno);
    err = otrl_instag_generate_FILEp(us, f, acc, proto);
    fclose(f);
    return err;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ------------------------------------------------------------------ */
/* libotr callbacks                                                    */

static OtrlPolicy cb_policy(void *opdata, ConnContext *context)
{
    (void)opdata; (void)context;
    return policy;
}

static void cb_create_privkey(void *opdata, const char *accountname,
        const char *proto)
{
    (void)opdata;
    /* Not reached in practice: the key is created before READY. */
    if (key_file) otrl_privkey_generate(us, key_file, accountname, proto);
    else privkey_generate_in_memory(accountname, proto);
}

static int cb_is_logged_in(void *opdata, const char *accountname,
        const char *proto, const char *recipient)
{
    (void)opdata; (void)accountname; (void)proto; (void)recipient;
    return 1;
}

static void cb_inject_message(void *opdata, const char *accountname,
        const char *proto, const char *recipient, const char *message)
{
    (void)opdata; (void)accountname; (void)proto; (void)recipient;
    /* libotr "sends" an empty message when it refuses a send in FINISHED
     * (otrl_message_sending sets *messagep = "" and SEND_ALL injects it).
     * An IM network carries no empty messages: nothing goes on the wire. */
    if (!message || !*message) return;
    out_tag_payload("SEND", message);
}

static void cb_update_context_list(void *opdata)
{
    (void)opdata;
    check_transitions();
}

static void cb_new_fingerprint(void *opdata, OtrlUserState ust,
        const char *accountname, const char *proto, const char *username,
        unsigned char fingerprint[20])
{
    (void)opdata; (void)ust; (void)accountname; (void)proto; (void)username;
    check_transitions();
    fputs("NEWFPR ", stdout);
    out_hex(fingerprint, 20);
    out_flush_line();
}

static void cb_write_fingerprints(void *opdata)
{
    (void)opdata;
    write_fingerprints_file();
}

static void cb_gone_secure(void *opdata, ConnContext *context)
{
    Seen *s;
    (void)opdata;
    check_transitions();
    s = seen_get(context);
    if (s) s->state = context->msgstate;
    out_line("SECURE");
}

static void cb_gone_insecure(void *opdata, ConnContext *context)
{
    Seen *s;
    (void)opdata;
    /* Never called by libotr 4.1.1; kept for completeness. */
    check_transitions();
    s = seen_get(context);
    if (s) s->state = context->msgstate;
    out_line("INSECURE");
}

static void cb_still_secure(void *opdata, ConnContext *context, int is_reply)
{
    Seen *s;
    (void)opdata;
    check_transitions();
    s = seen_get(context);
    if (s) s->state = context->msgstate;
    /* libotr passes auth.initiated: whether this side sent the D-H Commit. */
    out_line("STILL_SECURE is_reply=%d", is_reply);
}

static int cb_max_message_size(void *opdata, ConnContext *context)
{
    int headerlen = (context && context->protocol_version == 3) ? 37 : 19;
    (void)opdata;
    /* GUARD: libotr divides by (mms - headerlen) and misbehaves (or
     * divides by zero) when mms <= headerlen.  --max-msg-size / mms accept
     * any N > 19; for a v3 context with N <= 37 we do not fragment. */
    if (max_msg_size > 0 && max_msg_size <= headerlen) return 0;
    return max_msg_size;
}

static const char *cb_account_name(void *opdata, const char *acc,
        const char *proto)
{
    (void)opdata; (void)proto;
    return strdup(acc);
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
    (void)opdata; (void)context;
    check_transitions();
    fprintf(stdout, "SYMKEY %u ", use);
    out_hex(symkey, OTRL_EXTRAKEY_BYTES);
    if (usedatalen > 0) {
        fputc(' ', stdout);
        out_hex(usedata, usedatalen);
    }
    out_flush_line();
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
    (void)opdata; (void)err_msg;    /* static strings */
}

static void defer_abort(ConnContext *context)
{
    int i;
    for (i = 0; i < n_deferred_abort; i++)
        if (deferred_abort[i] == context) return;
    if (n_deferred_abort < (int)(sizeof deferred_abort /
                sizeof *deferred_abort))
        deferred_abort[n_deferred_abort++] = context;
}

static void cb_handle_smp_event(void *opdata, OtrlSMPEvent smp_event,
        ConnContext *context, unsigned short progress_percent,
        char *question)
{
    (void)opdata;
    check_transitions();
    fprintf(stdout, "SMP %s %u", smpevent_name(smp_event),
            (unsigned)progress_percent);
    if (question) {
        fputc(' ', stdout);
        out_esc(question);
    }
    out_flush_line();

    switch (smp_event) {
        case OTRL_SMPEVENT_ASK_FOR_ANSWER:
        case OTRL_SMPEVENT_ASK_FOR_SECRET:
            smp_pending_ctx = context;
            if (smp_secret) deferred_answer = context;
            break;
        case OTRL_SMPEVENT_CHEATED:
        case OTRL_SMPEVENT_ERROR:
            /* The application is expected to abort (message.h). */
            if (smp_pending_ctx == context) smp_pending_ctx = NULL;
            if (deferred_answer == context) deferred_answer = NULL;
            defer_abort(context);
            break;
        case OTRL_SMPEVENT_ABORT:
        case OTRL_SMPEVENT_SUCCESS:
        case OTRL_SMPEVENT_FAILURE:
            if (smp_pending_ctx == context) smp_pending_ctx = NULL;
            if (deferred_answer == context) deferred_answer = NULL;
            break;
        default:
            break;
    }
}

static void cb_handle_msg_event(void *opdata, OtrlMessageEvent msg_event,
        ConnContext *context, const char *message, gcry_error_t err)
{
    (void)opdata; (void)context;
    check_transitions();
    fprintf(stdout, "EVENT %s", msgevent_name(msg_event));
    if (err) fprintf(stdout, " err=%u", (unsigned)gcry_err_code(err));
    if (message) {
        fputc(' ', stdout);
        out_esc(message);
    }
    out_flush_line();
}

static void cb_create_instag(void *opdata, const char *accountname,
        const char *proto)
{
    (void)opdata;
    /* Not reached in practice: the tag is created before READY. */
    if (instag_file) otrl_instag_generate(us, instag_file, accountname, proto);
    else instag_generate_in_memory(accountname, proto);
}

static void cb_timer_control(void *opdata, unsigned int interval)
{
    (void)opdata;
    out_line("TIMER %u", interval);
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
    .resent_msg_prefix = NULL,          /* libotr's default "[resent]" */
    .resent_msg_prefix_free = NULL,
    .handle_smp_event = cb_handle_smp_event,
    .handle_msg_event = cb_handle_msg_event,
    .create_instag = cb_create_instag,
    .convert_msg = NULL,
    .convert_free = NULL,
    .timer_control = cb_timer_control,
};

/* ------------------------------------------------------------------ */
/* Helpers for commands                                                */

static ConnContext *best_context(void)
{
    return otrl_context_find(us, buddy, account, protocol, OTRL_INSTAG_BEST,
            0, NULL, NULL, NULL);
}

/* GUARD: a child instance can be ENCRYPTED without session keys or an
 * active fingerprint: it copies the master's msgstate when a DH-Key creates
 * it (libotr's "keyless ENCRYPTED instance" defect), until its own AKE
 * finishes.  libotr's send, symkey and abort paths cope (ENCRYPTION_ERROR /
 * an error code / nothing sent), but otrl_message_initiate_smp and
 * otrl_message_respond_smp dereference the NULL active fingerprint and
 * crash, so SMP is refused there. */
static int keyless_encrypted(ConnContext *c)
{
    return c && c->msgstate == OTRL_MSGSTATE_ENCRYPTED &&
        (c->context_priv->their_keyid == 0 || c->active_fingerprint == NULL);
}

/* A context usable for starting / answering SMP: ENCRYPTED with keys.
 * (libotr silently ignores SMP requests outside ENCRYPTED; we say ERR.) */
static ConnContext *smp_context(ConnContext *c)
{
    if (!c || c->msgstate != OTRL_MSGSTATE_ENCRYPTED) {
        out_err("not in a private conversation");
        return NULL;
    }
    if (keyless_encrypted(c)) {
        out_err("instance is ENCRYPTED without session keys (libotr defect)"
                "; SMP refused");
        return NULL;
    }
    return c;
}

static void run_deferred(void)
{
    int i;
    ConnContext *ans = deferred_answer;
    deferred_answer = NULL;
    for (i = 0; i < n_deferred_abort; i++) {
        ConnContext *c = deferred_abort[i];
        deferred_abort[i] = NULL;
        /* As message.h asks: abort on CHEATED / ERROR.  (If the instance
         * is no longer ENCRYPTED, libotr cannot encrypt the abort and
         * sends nothing, but still resets the SMP state.) */
        if (c) otrl_message_abort_smp(us, &ops, NULL, c);
        if (ans == c) ans = NULL;
    }
    n_deferred_abort = 0;
    if (ans && smp_secret) {
        if (ans->msgstate == OTRL_MSGSTATE_ENCRYPTED &&
                !keyless_encrypted(ans)) {
            otrl_message_respond_smp(us, &ops, NULL, ans,
                    (const unsigned char *)smp_secret, smp_secret_len);
            if (smp_pending_ctx == ans) smp_pending_ctx = NULL;
        }
    }
}

/* Send text through otrl_message_sending (SEND_ALL: libotr injects every
 * piece itself; NULL *messagep means "send the original unchanged"). */
static void do_send(const char *text)
{
    char *newmsg = NULL;
    gcry_error_t err;
    err = otrl_message_sending(us, &ops, NULL, account, protocol, buddy,
            OTRL_INSTAG_BEST, text, NULL, &newmsg, OTRL_FRAGMENT_SEND_ALL,
            NULL, NULL, NULL);
    if (err) {
        out_err("otrl_message_sending: %s", gcry_strerror(err));
    } else if (!newmsg) {
        if (*text) out_tag_payload("SEND", text);
    }
    /* else: newmsg was already injected (and fragmented) by libotr */
    if (newmsg) otrl_message_free(newmsg);
}

static void print_tlvs(OtrlTLV *t)
{
    for (; t; t = t->next) {
        check_transitions();
        fprintf(stdout, "TLV %u ", (unsigned)t->type);
        out_hex(t->data, t->len);
        out_flush_line();
    }
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;
    int base = 10;
    if (!s || !*s) return -1;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { base = 16; s += 2; }
    if (!*s) return -1;
    if (*s == '-' || *s == '+' || *s == ' ') return -1;
    errno = 0;
    v = strtoul(s, &end, base);
    if (errno || *end || v > max) return -1;
    *out = v;
    return 0;
}

static int parse_hex(const char *s, unsigned char **out, size_t *outlen)
{
    size_t len = strlen(s), i;
    unsigned char *b;
    if (len % 2) return -1;
    b = malloc(len / 2 + 1);
    if (!b) return -1;
    for (i = 0; i < len / 2; i++) {
        int h = hexval((unsigned char)s[2 * i]);
        int l = hexval((unsigned char)s[2 * i + 1]);
        if (h < 0 || l < 0) { free(b); return -1; }
        b[i] = (unsigned char)(h * 16 + l);
    }
    *out = b;
    *outlen = len / 2;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */

static void cmd_recv(const char *arg, size_t arglen)
{
    char *msg, *newmsg = NULL;
    OtrlTLV *tlvs = NULL;
    int ret;

    msg = unescape(arg, arglen, NULL);
    if (!msg) { out_err("out of memory"); return; }
    ret = otrl_message_receiving(us, &ops, NULL, account, protocol, buddy,
            msg, &newmsg, &tlvs, NULL, NULL, NULL);
    if (ret == 0) out_tag_payload("MSG", newmsg ? newmsg : msg);
    if (show_tlvs) print_tlvs(tlvs);
    if (newmsg) otrl_message_free(newmsg);
    if (tlvs) otrl_tlv_free(tlvs);
    free(msg);
    run_deferred();
}

static void cmd_send(const char *arg, size_t arglen)
{
    char *msg = unescape(arg, arglen, NULL);
    if (!msg) { out_err("out of memory"); return; }
    do_send(msg);
    free(msg);
}

static void cmd_query(void)
{
    do_send("?OTR?");
}

static void start_smp(const char *question, const char *secret,
        size_t secretlen)
{
    ConnContext *c = smp_context(best_context());
    if (!c) return;
    if (question)
        otrl_message_initiate_smp_q(us, &ops, NULL, c, question,
                (const unsigned char *)secret, secretlen);
    else
        otrl_message_initiate_smp(us, &ops, NULL, c,
                (const unsigned char *)secret, secretlen);
    if (smp_pending_ctx == c) smp_pending_ctx = NULL;
}

static void cmd_smp(const char *arg, size_t arglen)
{
    size_t slen;
    char *secret = unescape(arg, arglen, &slen);
    if (!secret) { out_err("out of memory"); return; }
    start_smp(NULL, secret, slen);
    free(secret);
}

static void cmd_smpq(const char *arg, size_t arglen)
{
    const char *tab = memchr(arg, '\t', arglen);
    char *question, *secret;
    size_t slen;
    if (!tab) { out_err("usage: smpq <question>TAB<secret>"); return; }
    question = unescape(arg, (size_t)(tab - arg), NULL);
    secret = unescape(tab + 1, arglen - (size_t)(tab - arg) - 1, &slen);
    if (!question || !secret) out_err("out of memory");
    else start_smp(question, secret, slen);
    free(question);
    free(secret);
}

static void cmd_smp_respond(const char *arg, size_t arglen)
{
    size_t slen;
    char *secret;
    ConnContext *c = smp_pending_ctx;
    if (!c) { out_err("no SMP request pending"); return; }
    if (!smp_context(c)) { smp_pending_ctx = NULL; return; }
    secret = unescape(arg, arglen, &slen);
    if (!secret) { out_err("out of memory"); return; }
    otrl_message_respond_smp(us, &ops, NULL, c,
            (const unsigned char *)secret, slen);
    smp_pending_ctx = NULL;
    free(secret);
}

static void cmd_smp_abort(void)
{
    ConnContext *c = best_context();
    if (!c) { out_err("no conversation with %s", buddy); return; }
    otrl_message_abort_smp(us, &ops, NULL, c);
    if (smp_pending_ctx == c) smp_pending_ctx = NULL;
}

static void cmd_end(void)
{
    otrl_message_disconnect_all_instances(us, &ops, NULL, account, protocol,
            buddy);
    smp_pending_ctx = NULL;
}

static void cmd_symkey(const char *arg)
{
    char *copy = strdup(arg), *sp, *usestr, *hexstr = NULL;
    unsigned long use;
    unsigned char *usedata = NULL;
    size_t usedatalen = 0;
    unsigned char key[OTRL_EXTRAKEY_BYTES];
    gcry_error_t err;
    ConnContext *c;

    if (!copy) { out_err("out of memory"); return; }
    usestr = copy;
    sp = strchr(copy, ' ');
    if (sp) {
        *sp = '\0';
        hexstr = sp + 1;
    }
    if (parse_uint(usestr, 0xffffffffUL, &use)) {
        out_err("usage: symkey <use> [hex usedata]");
        free(copy);
        return;
    }
    if (hexstr && parse_hex(hexstr, &usedata, &usedatalen)) {
        out_err("usedata must be hex");
        free(copy);
        return;
    }
    /* TLV length is 16 bits: 4 bytes of use + usedata */
    if (usedatalen > 65535 - 4) {
        out_err("usedata too long");
        free(usedata);
        free(copy);
        return;
    }
    c = best_context();
    if (!c) {
        out_err("no conversation with %s", buddy);
    } else {
        err = otrl_message_symkey(us, &ops, NULL, c, (unsigned int)use,
                usedata, usedatalen, key);
        if (err) {
            out_err("otrl_message_symkey: %s", gcry_strerror(err));
        } else {
            check_transitions();
            fprintf(stdout, "SYMKEY %lu ", use);
            out_hex(key, sizeof key);
            if (usedatalen > 0) {
                fputc(' ', stdout);
                out_hex(usedata, usedatalen);
            }
            out_flush_line();
        }
    }
    free(usedata);
    free(copy);
}

static void cmd_fingerprint(void)
{
    unsigned char fp[20];
    if (!otrl_privkey_fingerprint_raw(us, fp, account, protocol)) {
        out_err("no private key");
        return;
    }
    check_transitions();
    fputs("FPR ", stdout);
    out_hex(fp, 20);
    out_flush_line();
}

/* ENGINE <name>: which library is loaded. The drop-in libotr.so.5 built on
 * our engine exports otr_libotr_engine(); libotr has no such symbol. */
static void cmd_engine(void)
{
    const char *(*engine)(void) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "otr_libotr_engine");
    memcpy(&engine, &sym, sizeof engine);
    fprintf(stdout, "ENGINE %s", engine ? engine() : "libotr");
    out_flush_line();
}

static void cmd_state(void)
{
    ConnContext *c = best_context();
    OtrlInsTag *tag = otrl_instag_find(us, account, protocol);
    otrl_instag_t ours = tag ? tag->instag : 0;

    check_transitions();
    if (!c) {
        fprintf(stdout, "STATE PLAINTEXT 0 0x%08x our=0x%08x ssid=- "
                "ssid_half=- fpr=- trust=- smp=- auth=NONE",
                0u, (unsigned)ours);
        out_flush_line();
        return;
    }
    if (c->our_instance) ours = c->our_instance;
    fprintf(stdout, "STATE %s %u 0x%08x our=0x%08x ssid=",
            msgstate_name(c->msgstate), c->protocol_version,
            (unsigned)c->their_instance, (unsigned)ours);
    if (c->sessionid_len > 0) out_hex(c->sessionid, c->sessionid_len);
    else fputc('-', stdout);
    fputs(" ssid_half=", stdout);
    if (c->sessionid_len == 0) fputc('-', stdout);
    else fputs(c->sessionid_half == OTRL_SESSIONID_FIRST_HALF_BOLD ?
            "first" : "second", stdout);
    fputs(" fpr=", stdout);
    if (c->active_fingerprint && c->active_fingerprint->fingerprint)
        out_hex(c->active_fingerprint->fingerprint, 20);
    else fputc('-', stdout);
    fputs(" trust=", stdout);
    if (c->active_fingerprint && c->active_fingerprint->trust &&
            c->active_fingerprint->trust[0]) {
        /* a trust level is one field: escape spaces too */
        const char *t = c->active_fingerprint->trust;
        for (; *t; t++) {
            if (*t == ' ') fputs("\\x20", stdout);
            else out_esc_len((const unsigned char *)t, 1);
        }
    } else {
        fputc('-', stdout);
    }
    fprintf(stdout, " smp=%s auth=%s",
            c->smstate ? smpstate_name(c->smstate->nextExpected) : "-",
            authstate_name(c->auth.authstate));
    out_flush_line();
}

static int valid_mms(unsigned long v)
{
    return v == 0 || (v > 19 && v <= 0x7fffffffUL);
}

static void cmd_mms(const char *arg)
{
    unsigned long v;
    if (parse_uint(arg, 0x7fffffffUL, &v) || !valid_mms(v)) {
        out_err("usage: mms <n> (0 = never fragment, else n > 19)");
        return;
    }
    max_msg_size = (int)v;
}

static void cmd_trust(const char *arg, size_t arglen)
{
    ConnContext *c = best_context();
    char *level;
    if (!c || !c->active_fingerprint) {
        out_err("no active fingerprint for %s", buddy);
        return;
    }
    level = unescape(arg, arglen, NULL);
    if (!level) { out_err("out of memory"); return; }
    otrl_context_set_trust(c->active_fingerprint, level);
    free(level);
    write_fingerprints_file();
}

/* ------------------------------------------------------------------ */
/* Main loop                                                           */

/* Returns 1 when the program should exit. */
static int dispatch(const char *line, size_t len)
{
    const char *sp = memchr(line, ' ', len);
    size_t cmdlen = sp ? (size_t)(sp - line) : len;
    const char *arg = sp ? sp + 1 : line + len;
    size_t arglen = sp ? len - cmdlen - 1 : 0;
    char cmd[32];
    int has_nul = memchr(line, '\0', len) != NULL;

#define IS(name) (cmdlen == strlen(name) && memcmp(line, name, cmdlen) == 0)
#define NOARG() do { if (sp) { out_err("%s takes no argument", cmd); \
        return 0; } } while (0)

    if (cmdlen >= sizeof cmd) cmdlen = sizeof cmd - 1;
    memcpy(cmd, line, cmdlen);
    cmd[cmdlen] = '\0';

    if (has_nul) {
        out_err("NUL byte in command line");
        return 0;
    }
    if (len == 0) { out_err("empty command"); return 0; }

    if (IS("recv")) cmd_recv(arg, arglen);
    else if (IS("send")) cmd_send(arg, arglen);
    else if (IS("query")) { NOARG(); cmd_query(); }
    else if (IS("smp")) cmd_smp(arg, arglen);
    else if (IS("smpq")) cmd_smpq(arg, arglen);
    else if (IS("smp-respond")) cmd_smp_respond(arg, arglen);
    else if (IS("smp-abort")) { NOARG(); cmd_smp_abort(); }
    else if (IS("end")) { NOARG(); cmd_end(); }
    else if (IS("symkey")) cmd_symkey(arg);
    else if (IS("poll")) { NOARG(); otrl_message_poll(us, &ops, NULL); }
    else if (IS("fingerprint")) { NOARG(); cmd_fingerprint(); }
    else if (IS("state")) { NOARG(); cmd_state(); }
    else if (IS("engine")) { NOARG(); cmd_engine(); }
    else if (IS("mms")) cmd_mms(arg);
    else if (IS("trust")) cmd_trust(arg, arglen);
    else if (IS("quit")) { NOARG(); return 1; }
    else {
        char *esc = unescape(line, cmdlen, NULL);
        out_err("unknown command: %s", esc ? esc : "?");
        free(esc);
    }
    return 0;
#undef IS
#undef NOARG
}

static void usage(FILE *f)
{
    fprintf(f,
"usage: libotr_peer [options] ACCOUNT PROTOCOL BUDDY\n"
"  --policy P          default|opportunistic|manual|always|never|v2-only|\n"
"                      v3-only|<number>, or a , or + separated list of those\n"
"                      and allow-v2, allow-v3, require-encryption,\n"
"                      send-whitespace-tag, whitespace-start-ake,\n"
"                      error-start-ake\n"
"  --max-msg-size N    fragment outgoing OTR messages longer than N (0 = never)\n"
"  --key FILE          private keys (read; generate if none for ACCOUNT)\n"
"  --instag FILE       instance tags (read; generate if none)\n"
"  --fingerprints FILE known fingerprints (read; written on change)\n"
"  --smp-secret S      answer SMP requests automatically with S\n"
"  --show-tlvs         print TLV lines for received data messages\n"
"  --raw               no escaping\n");
}

/* Parse a policy specification; returns 0 on success. */
static int parse_policy(const char *spec, OtrlPolicy *out)
{
    char *copy = strdup(spec), *tok, *save = NULL;
    OtrlPolicy p = 0;
    int count = 0, only = 0;     /* only: 2 or 3 for v2-only / v3-only */
    int rc = 0;
    if (!copy) return -1;
    for (tok = strtok_r(copy, ",+", &save); tok;
            tok = strtok_r(NULL, ",+", &save)) {
        unsigned long v;
        count++;
        if (!strcmp(tok, "default") || !strcmp(tok, "opportunistic"))
            p |= OTRL_POLICY_OPPORTUNISTIC;
        else if (!strcmp(tok, "manual")) p |= OTRL_POLICY_MANUAL;
        else if (!strcmp(tok, "always")) p |= OTRL_POLICY_ALWAYS;
        else if (!strcmp(tok, "never")) p |= OTRL_POLICY_NEVER;
        else if (!strcmp(tok, "v2-only") || !strcmp(tok, "v3-only")) {
            int o = tok[1] - '0';
            if (only && only != o) { rc = -1; break; }
            only = o;
        }
        else if (!strcmp(tok, "allow-v2")) p |= OTRL_POLICY_ALLOW_V2;
        else if (!strcmp(tok, "allow-v3")) p |= OTRL_POLICY_ALLOW_V3;
        else if (!strcmp(tok, "require-encryption"))
            p |= OTRL_POLICY_REQUIRE_ENCRYPTION;
        else if (!strcmp(tok, "send-whitespace-tag"))
            p |= OTRL_POLICY_SEND_WHITESPACE_TAG;
        else if (!strcmp(tok, "whitespace-start-ake"))
            p |= OTRL_POLICY_WHITESPACE_START_AKE;
        else if (!strcmp(tok, "error-start-ake"))
            p |= OTRL_POLICY_ERROR_START_AKE;
        else if (!parse_uint(tok, 0x7f, &v)) p |= (OtrlPolicy)v;
        else { rc = -1; break; }
    }
    if (rc == 0 && count == 0) rc = -1;
    if (rc == 0 && only) {
        /* alone: the default policy with only that version; in a list: a
         * modifier restricting the others to that version */
        int alone = 1;
        char *c2 = strdup(spec), *t2, *s2 = NULL;
        if (!c2) { free(copy); return -1; }
        for (t2 = strtok_r(c2, ",+", &s2); t2; t2 = strtok_r(NULL, ",+", &s2))
            if (strcmp(t2, "v2-only") && strcmp(t2, "v3-only")) alone = 0;
        free(c2);
        if (alone) p = OTRL_POLICY_DEFAULT;
        p &= ~(OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_ALLOW_V3);
        p |= only == 2 ? OTRL_POLICY_ALLOW_V2 : OTRL_POLICY_ALLOW_V3;
    }
    free(copy);
    if (rc == 0) *out = p;
    return rc;
}

static void die_setup(const char *what, const char *path, gcry_error_t err)
{
    fprintf(stderr, PEER_NAME ": %s %s: %s\n", what, path ? path : "",
            gcry_strerror(err));
    exit(1);
}

static void setup_files(void)
{
    gcry_error_t err;

    /* Private key */
    if (key_file) {
        if (file_exists(key_file)) {
            err = otrl_privkey_read(us, key_file);
            if (err) die_setup("cannot read key file", key_file, err);
        }
        if (!otrl_privkey_find(us, account, protocol)) {
            err = otrl_privkey_generate(us, key_file, account, protocol);
            if (err) die_setup("cannot generate key into", key_file, err);
        }
    } else {
        err = privkey_generate_in_memory(account, protocol);
        if (err) die_setup("cannot generate key", NULL, err);
    }
    if (!otrl_privkey_find(us, account, protocol))
        die_setup("no private key for", account, gcry_error(GPG_ERR_NO_SECKEY));

    /* Instance tag */
    if (instag_file) {
        if (file_exists(instag_file)) {
            err = otrl_instag_read(us, instag_file);
            if (err) die_setup("cannot read instag file", instag_file, err);
        }
        if (!otrl_instag_find(us, account, protocol)) {
            err = otrl_instag_generate(us, instag_file, account, protocol);
            if (err) die_setup("cannot generate instag into", instag_file,
                    err);
        }
    } else {
        err = instag_generate_in_memory(account, protocol);
        if (err) die_setup("cannot generate instag", NULL, err);
    }

    /* Fingerprints */
    if (fpr_file && file_exists(fpr_file)) {
        err = otrl_privkey_read_fingerprints(us, fpr_file, NULL, NULL);
        if (err) die_setup("cannot read fingerprints file", fpr_file, err);
    }
}

int main(int argc, char **argv)
{
    int i;
    const char *pos[3];
    int npos = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    signal(SIGPIPE, SIG_IGN);

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        const char *eq;
        char name[32];
        size_t nlen;

        if (strncmp(a, "--", 2) != 0 || npos > 0 ||
                strcmp(a, "--") == 0) {
            if (strcmp(a, "--") == 0 && npos == 0) {
                for (i++; i < argc; i++) {
                    if (npos >= 3) { usage(stderr); return 2; }
                    pos[npos++] = argv[i];
                }
                break;
            }
            if (npos >= 3) { usage(stderr); return 2; }
            pos[npos++] = a;
            continue;
        }
        eq = strchr(a, '=');
        nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (nlen >= sizeof name) { usage(stderr); return 2; }
        memcpy(name, a, nlen);
        name[nlen] = '\0';

        if (!strcmp(name, "--show-tlvs") && !eq) { show_tlvs = 1; continue; }
        if (!strcmp(name, "--raw") && !eq) { raw_mode = 1; continue; }
        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            usage(stdout);
            return 0;
        }
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else {
            fprintf(stderr, PEER_NAME ": %s needs a value\n", name);
            return 2;
        }

        if (!strcmp(name, "--policy")) {
            if (parse_policy(val, &policy)) {
                fprintf(stderr, PEER_NAME ": bad policy: %s\n", val);
                return 2;
            }
        } else if (!strcmp(name, "--max-msg-size")) {
            unsigned long v;
            if (parse_uint(val, 0x7fffffffUL, &v) || !valid_mms(v)) {
                fprintf(stderr, PEER_NAME ": bad --max-msg-size %s "
                        "(0 or > 19)\n", val);
                return 2;
            }
            max_msg_size = (int)v;
        } else if (!strcmp(name, "--key")) {
            key_file = val;
        } else if (!strcmp(name, "--instag")) {
            instag_file = val;
        } else if (!strcmp(name, "--fingerprints")) {
            fpr_file = val;
        } else if (!strcmp(name, "--smp-secret")) {
            smp_secret = strdup(val);
            smp_secret_len = strlen(val);
        } else {
            fprintf(stderr, PEER_NAME ": unknown option %s\n", name);
            usage(stderr);
            return 2;
        }
    }
    if (npos != 3) { usage(stderr); return 2; }
    account = pos[0];
    protocol = pos[1];
    buddy = pos[2];

    OTRL_INIT;
    us = otrl_userstate_create();
    setup_files();

    fprintf(stdout, "READY " PEER_NAME " libotr-%s", otrl_version());
    out_flush_line();

    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        int quit;
        if (len > 0 && line[len - 1] == '\n') len--;
        line[len] = '\0';
        quit = dispatch(line, len);
        check_transitions();
        fputs("DONE", stdout);
        out_flush_line();
        if (quit) break;
    }
    free(line);
    otrl_userstate_free(us);
    free(smp_secret);
    free(seen);
    return 0;
}
