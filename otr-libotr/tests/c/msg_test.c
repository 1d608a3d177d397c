/*
 * msg_test: two accounts in one process talk through libotr's messaging
 * API; the program prints only what must be the same on every libotr
 * (the test compares the transcripts of the real libotr and ours).
 *
 *   msg_test KEYDIR
 *
 * Covers: "?OTR?" becoming the default query (named by the account, not by
 * account_name), otrl_proto_default_query_msg, the AKE through inject_message,
 * SEND_ALL_BUT_LAST and SEND_SKIP, convert_msg / convert_free around
 * encryption and decryption, otrl_message_symkey and received_symkey,
 * disconnect (FINISHED on the other side, "" when sending there), every
 * handle_msg_event and gone_insecure call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/instag.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/tlv.h>
#include <libotr/userstate.h>

#define CHECK(cond) do { if (!(cond)) { \
    printf("FAIL: %s (line %d)\n", #cond, __LINE__); exit(1); } } while (0)

typedef struct {
    const char *name, *account;
    OtrlUserState us;
    int secure, insecure, new_fprs, converts_out, converts_in, convert_frees, names, name_frees, symkeys, required;
    unsigned char symkey[32];
} Party;

static Party alice = { "alice", "alice@example.org" };
static Party bob = { "bob", "bob@example.org" };
static Party carol = { "carol", "carol@example.org" };

/* The network: one queue of messages per recipient. */
#define QMAX 64
static struct { Party *to; char *msg; } queue[QMAX];
static int qlen;

static Party frank = { "frank", "alice@example.org" };
static Party gina = { "gina", "bob@example.org" };

static int frank_requires;

static Party *peer_of(Party *p)
{
    if (p == &frank) return &gina;
    if (p == &gina) return &frank;
    return p == &alice ? &bob : &alice;
}

static OtrlPolicy cb_policy(void *opdata, ConnContext *c)
{
    (void)c;
    return (opdata == &carol || (opdata == &frank && frank_requires)) ? OTRL_POLICY_ALWAYS
                                                                      : OTRL_POLICY_DEFAULT;
}
static void cb_msg_event(void *opdata, OtrlMessageEvent e, ConnContext *c, const char *m, gcry_error_t err)
{
    (void)c; (void)m; (void)err;
    if (e == OTRL_MSGEVENT_ENCRYPTION_REQUIRED) ((Party *)opdata)->required++;
}
static int cb_logged_in(void *o, const char *a, const char *p, const char *r) { (void)o; (void)a; (void)p; (void)r; return 1; }
static void cb_inject(void *opdata, const char *a, const char *p, const char *r, const char *m)
{
    (void)a; (void)p; (void)r;
    CHECK(qlen < QMAX);
    queue[qlen].to = peer_of((Party *)opdata);
    queue[qlen].msg = strdup(m);
    qlen++;
}
static void cb_gone_secure(void *opdata, ConnContext *c) { (void)c; ((Party *)opdata)->secure = 1; }
static void cb_gone_insecure(void *opdata, ConnContext *c) { (void)c; ((Party *)opdata)->insecure++; }
static void cb_new_fpr(void *opdata, OtrlUserState us, const char *a, const char *p, const char *u,
                       unsigned char fp[20])
{
    (void)us; (void)a; (void)p; (void)u; (void)fp;
    ((Party *)opdata)->new_fprs++;
}
static const char *cb_account_name(void *opdata, const char *account, const char *protocol)
{
    Party *p = opdata;
    char *s = malloc(64);
    (void)account; (void)protocol;
    p->names++;
    snprintf(s, 64, "%s display", p->name);
    return s;
}
static void cb_account_name_free(void *opdata, const char *s) { ((Party *)opdata)->name_frees++; free((char *)s); }
static void cb_convert(void *opdata, ConnContext *c, OtrlConvertType t, char **dest, const char *src)
{
    Party *p = opdata;
    (void)c;
    *dest = malloc(strlen(src) + 8);
    if (t == OTRL_CONVERT_SENDING) { p->converts_out++; sprintf(*dest, "[c]%s", src); }
    else { p->converts_in++; sprintf(*dest, "%s [r]", src); }
}
static void cb_convert_free(void *opdata, ConnContext *c, char *dest) { (void)c; ((Party *)opdata)->convert_frees++; free(dest); }
static void cb_symkey(void *opdata, ConnContext *c, unsigned int use, const unsigned char *ud, size_t udl, const unsigned char *key)
{
    Party *p = opdata;
    (void)c;
    CHECK(use == 7 && udl == 3 && !memcmp(ud, "abc", 3));
    memcpy(p->symkey, key, 32);
    p->symkeys++;
}

static void cb_msg_event_all(void *opdata, OtrlMessageEvent e, ConnContext *c, const char *m,
                             gcry_error_t err)
{
    (void)c;
    printf("%s msgevent %d %s %08x\n", ((Party *)opdata)->name, e, m ? m : "-", err);
}
static const char *cb_error_message(void *opdata, ConnContext *c, OtrlErrorCode code)
{
    char *s = malloc(64);
    (void)c;
    snprintf(s, 64, "%s says error %d", ((Party *)opdata)->name, (int)code);
    return s;
}
static void cb_error_message_free(void *opdata, const char *s) { (void)opdata; free((char *)s); }

static void cb_smp(void *opdata, OtrlSMPEvent e, ConnContext *c, unsigned short percent, char *q)
{
    printf("%s smp event %d %u %s: secret=%s next=%d question=%d prog=%d\n", ((Party *)opdata)->name,
           (int)e, percent, q ? q : "-", c->smstate->secret ? "set" : "NULL",
           (int)c->smstate->nextExpected, c->smstate->received_question,
           (int)c->smstate->sm_prog_state);
}

static void print_sm(Party *p, ConnContext *c)
{
    printf("%s sm: secret=%s next=%d question=%d prog=%d trust=%s\n", p->name,
           c->smstate->secret ? "set" : "NULL", (int)c->smstate->nextExpected,
           c->smstate->received_question, (int)c->smstate->sm_prog_state,
           c->active_fingerprint && c->active_fingerprint->trust ? c->active_fingerprint->trust : "NULL");
}

static OtrlMessageAppOps ops;

static void deliver_all(void)
{
    int i;
    for (i = 0; i < qlen; i++) {
        Party *to = queue[i].to;
        char *newmsg = NULL;
        OtrlTLV *tlvs = NULL;
        int ignore = otrl_message_receiving(to->us, &ops, to, to->account, "xmpp",
            peer_of(to)->account, queue[i].msg, &newmsg, &tlvs, NULL, NULL, NULL);
        if (!ignore && newmsg) printf("%s got: %s\n", to->name, newmsg);
        if (tlvs && otrl_tlv_find(tlvs, OTRL_TLV_DISCONNECTED)) printf("%s got DISCONNECTED\n", to->name);
        otrl_tlv_free(tlvs);
        otrl_message_free(newmsg);
        free(queue[i].msg);
    }
    qlen = 0;
}

static void pump(void) { int n; for (n = 0; n < 20 && qlen; n++) deliver_all(); }

static ConnContext *best(Party *p)
{
    return otrl_context_find(p->us, peer_of(p)->account, p->account, "xmpp",
                             OTRL_INSTAG_BEST, 0, NULL, NULL, NULL);
}

static void send_text(Party *p, const char *text, OtrlFragmentPolicy fp)
{
    char *out = NULL;
    gcry_error_t err = otrl_message_sending(p->us, &ops, p, p->account, "xmpp",
        peer_of(p)->account, OTRL_INSTAG_BEST, text, NULL, &out, fp, NULL, NULL, NULL);
    CHECK(err == 0);
    if (out && *out) cb_inject(p, NULL, NULL, NULL, out);
    else if (!out) cb_inject(p, NULL, NULL, NULL, text);
    else printf("%s: nothing to send for \"%s\"\n", p->name, text);
    otrl_message_free(out);
}

static void setup(Party *p, const char *keys, const char *key, const char *instag)
{
    char path[4096];
    p->us = otrl_userstate_create();
    snprintf(path, sizeof path, "%s/%s", keys, key);
    CHECK(otrl_privkey_read(p->us, path) == 0);
    snprintf(path, sizeof path, "%s/%s", keys, instag);
    CHECK(otrl_instag_read(p->us, path) == 0);
}

int main(int argc, char **argv)
{
    char *out = NULL;
    unsigned char key[32];
    ConnContext *c;
    char *nl;
    if (argc != 2) { fprintf(stderr, "usage: msg_test KEYDIR\n"); return 2; }
    OTRL_INIT;
    ops.policy = cb_policy;
    ops.is_logged_in = cb_logged_in;
    ops.inject_message = cb_inject;
    ops.gone_secure = cb_gone_secure;
    ops.gone_insecure = cb_gone_insecure;
    ops.new_fingerprint = cb_new_fpr;
    ops.handle_smp_event = cb_smp;
    ops.handle_msg_event = cb_msg_event_all;
    ops.account_name = cb_account_name;
    ops.account_name_free = cb_account_name_free;
    ops.convert_msg = cb_convert;
    ops.convert_free = cb_convert_free;
    ops.received_symkey = cb_symkey;
    setup(&alice, argv[1], "alice.key", "alice.instag");
    setup(&bob, argv[1], "bob.key", "bob.instag");

    /* The query, as libotr writes it. */
    CHECK(otrl_message_sending(alice.us, &ops, &alice, alice.account, "xmpp", bob.account,
        OTRL_INSTAG_BEST, "?OTR?", NULL, &out, OTRL_FRAGMENT_SEND_SKIP, NULL, NULL, NULL) == 0);
    CHECK(out != NULL);
    for (nl = out; *nl; nl++) if (*nl == '\n') *nl = '|';
    printf("query: %s\n", out);
    for (nl = out; *nl; nl++) if (*nl == '|') *nl = '\n';
    cb_inject(&alice, NULL, NULL, NULL, out);
    otrl_message_free(out);
    printf("account_name calls freed: %s\n", alice.names == alice.name_frees ? "yes" : "no");
    out = otrl_proto_default_query_msg("someone", OTRL_POLICY_ALLOW_V2);
    for (nl = out; *nl; nl++) if (*nl == '\n') *nl = '|';
    printf("default query v2: %s\n", out);
    free(out);

    pump();
    printf("secure alice=%d bob=%d\n", alice.secure, bob.secure);
    CHECK(best(&alice)->msgstate == OTRL_MSGSTATE_ENCRYPTED);
    CHECK(best(&bob)->msgstate == OTRL_MSGSTATE_ENCRYPTED);

    send_text(&alice, "hello bob", OTRL_FRAGMENT_SEND_ALL_BUT_LAST);
    pump();
    send_text(&bob, "hello alice", OTRL_FRAGMENT_SEND_SKIP);
    pump();
    printf("converts alice out=%d in=%d freed=%d, bob out=%d in=%d freed=%d\n",
           alice.converts_out, alice.converts_in, alice.convert_frees,
           bob.converts_out, bob.converts_in, bob.convert_frees);

    /* A damaged data message: bob cannot read it and tells alice, in the
     * words of bob's otr_error_message (with and without that callback). */
    {
        int round;
        for (round = 0; round < 2; round++) {
            size_t len;
            ops.otr_error_message = round == 0 ? cb_error_message : NULL;
            ops.otr_error_message_free = round == 0 ? cb_error_message_free : NULL;
            send_text(&alice, "this one gets damaged", OTRL_FRAGMENT_SEND_ALL_BUT_LAST);
            CHECK(qlen == 1);
            len = strlen(queue[0].msg);
            queue[0].msg[len / 2] = queue[0].msg[len / 2] == 'A' ? 'B' : 'A';
            pump();
        }
        ops.otr_error_message = NULL;
        ops.otr_error_message_free = NULL;
    }

    /* Dave has no key and no create_privkey: alice's data message reaches
     * him anyway. It is not shown; he is told it was not in private. */
    {
        Party dave = { "dave", "dave@example.org" };
        char *newmsg = (char *)1;
        OtrlTLV *tlvs = (OtrlTLV *)1;
        int ignore;
        dave.us = otrl_userstate_create();
        send_text(&alice, "not for dave", OTRL_FRAGMENT_SEND_ALL_BUT_LAST);
        CHECK(qlen == 1);
        ops.otr_error_message = cb_error_message;
        ops.otr_error_message_free = cb_error_message_free;
        ignore = otrl_message_receiving(dave.us, &ops, &dave, dave.account, "xmpp", alice.account,
                                        queue[0].msg, &newmsg, &tlvs, NULL, NULL, NULL);
        printf("dave: ignore=%d newmsg=%s tlvs=%s queued=%d\n", ignore, newmsg ? newmsg : "NULL",
               tlvs ? "set" : "NULL", qlen);
        ops.otr_error_message = NULL;
        ops.otr_error_message_free = NULL;
        otrl_message_free(newmsg);
        otrl_tlv_free(tlvs);
        free(queue[0].msg);
        qlen = 0;
        otrl_userstate_free(dave.us);
    }

    /* SMP through the messaging API: the events and the SMP state the
     * clients read, at every step; a question, a wrong answer, an abort. */
    {
        ConnContext *ca = best(&alice), *cb = best(&bob);
        otrl_message_initiate_smp_q(alice.us, &ops, &alice, ca, "colour?",
                                    (const unsigned char *)"blue", 4);
        print_sm(&alice, ca);
        pump();
        print_sm(&bob, cb);
        otrl_message_respond_smp(bob.us, &ops, &bob, cb, (const unsigned char *)"blue", 4);
        print_sm(&bob, cb);
        pump();
        print_sm(&alice, ca);
        print_sm(&bob, cb);
        otrl_message_initiate_smp(bob.us, &ops, &bob, cb, (const unsigned char *)"x", 1);
        pump();
        otrl_message_respond_smp(alice.us, &ops, &alice, ca, (const unsigned char *)"y", 1);
        pump();
        print_sm(&alice, ca);
        print_sm(&bob, cb);
        otrl_message_initiate_smp(alice.us, &ops, &alice, ca, (const unsigned char *)"z", 1);
        pump();
        otrl_message_abort_smp(bob.us, &ops, &bob, cb);
        print_sm(&bob, cb);
        pump();
        print_sm(&alice, ca);
    }

    /* Plain text while private, and a whitespace-tagged message. */
    cb_inject(&alice, NULL, NULL, NULL, "plain while private");
    pump();

    /* The extra symmetric key: the same 32 bytes on both sides. */
    c = best(&alice);
    CHECK(otrl_message_symkey(alice.us, &ops, &alice, c, 7, (const unsigned char *)"abc", 3, key) == 0);
    pump();
    printf("symkey received=%d same=%s\n", bob.symkeys, !memcmp(key, bob.symkey, 32) ? "yes" : "no");

    /* Alice ends: bob is FINISHED and sends nothing in the clear. */
    otrl_message_disconnect_all_instances(alice.us, &ops, &alice, alice.account, "xmpp", bob.account);
    pump();
    printf("after disconnect alice=%d bob=%d\n", best(&alice)->msgstate, best(&bob)->msgstate);
    printf("gone_insecure alice=%d bob=%d\n", alice.insecure, bob.insecure);
    send_text(&bob, "are you there?", OTRL_FRAGMENT_SEND_ALL_BUT_LAST);
    CHECK(qlen == 0);

    /* Alice makes a new key: the next AKE uses it, bob sees a new
     * fingerprint. */
    {
        FILE *kf = tmpfile();
        Fingerprint *f;
        int n = 0;
        CHECK(kf != NULL);
        CHECK(otrl_privkey_generate_FILEp(alice.us, kf, alice.account, "xmpp") == 0);
        fclose(kf);
        alice.secure = bob.secure = 0;
        send_text(&alice, "?OTR?", OTRL_FRAGMENT_SEND_ALL_BUT_LAST);
        pump();
        c = otrl_context_find(bob.us, alice.account, bob.account, "xmpp", OTRL_INSTAG_MASTER, 0,
                              NULL, NULL, NULL);
        for (f = c ? c->fingerprint_root.next : NULL; f; f = f->next) n++;
        printf("after new key: secure alice=%d bob=%d, bob knows %d fingerprints, new_fingerprint %d\n",
               alice.secure, bob.secure, n, bob.new_fprs);
    }

    /* A whitespace-tagged first message starts the AKE (opportunistic
     * policy); the receiver sees the text without the tag. */
    setup(&frank, argv[1], "alice.key", "alice.instag");
    setup(&gina, argv[1], "bob.key", "bob.instag");
    send_text(&frank, "hello with a tag", OTRL_FRAGMENT_SEND_ALL_BUT_LAST);
    printf("tagged: %s\n", qlen == 1 && strstr(queue[0].msg, " \t  \t\t\t\t \t \t \t  ") ? "yes" : "no");
    pump();
    printf("whitespace AKE: frank=%d gina=%d\n", best(&frank)->msgstate, best(&gina)->msgstate);
    send_text(&gina, "private now", OTRL_FRAGMENT_SEND_ALL_BUT_LAST);
    pump();
    otrl_userstate_free(frank.us);
    otrl_userstate_free(gina.us);

    /* Frank requires encryption and has a key: his first message waits
     * for the AKE and then goes out, unconverted and without a notice. */
    frank.secure = gina.secure = 0;
    setup(&frank, argv[1], "alice.key", "alice.instag");
    setup(&gina, argv[1], "bob.key", "bob.instag");
    frank_requires = 1;
    send_text(&frank, "held until private", OTRL_FRAGMENT_SEND_ALL_BUT_LAST);
    pump();
    printf("held: frank=%d gina=%d\n", best(&frank)->msgstate, best(&gina)->msgstate);
    frank_requires = 0;
    otrl_userstate_free(frank.us);
    otrl_userstate_free(gina.us);

    /* Carol requires encryption and has no key (no create_privkey): her
     * text must not go out; a query goes instead. */
    carol.us = otrl_userstate_create();
    ops.handle_msg_event = cb_msg_event;
    out = NULL;
    CHECK(otrl_message_sending(carol.us, &ops, &carol, carol.account, "xmpp", alice.account,
        OTRL_INSTAG_BEST, "top secret", NULL, &out, OTRL_FRAGMENT_SEND_ALL_BUT_LAST, NULL, NULL, NULL) == 0);
    CHECK(out != NULL && strstr(out, "top secret") == NULL);
    printf("carol sends: %.8s required=%d\n", out, carol.required);
    otrl_message_free(out);
    otrl_userstate_free(carol.us);

    otrl_userstate_free(alice.us);
    otrl_userstate_free(bob.us);
    printf("done\n");
    return 0;
}
