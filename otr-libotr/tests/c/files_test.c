/*
 * files_test: libotr's file and context API, printed as a transcript.
 *
 *   files_test KEYDIR WORKDIR
 *
 * KEYDIR holds alice.key, bob.key, alice.instag, alice.fpr (written by
 * libotr 4.1.1). The program is built against libotr's headers; the test
 * runs it once with the real libotr and once with ours (LD_LIBRARY_PATH)
 * and compares the transcripts. Checks that need no comparison exit 1
 * with "FAIL: ..." at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/instag.h>
#include <libotr/privkey.h>
#include <libotr/tlv.h>
#include <libotr/userstate.h>

#define CHECK(cond) do { if (!(cond)) { \
    printf("FAIL: %s (line %d)\n", #cond, __LINE__); exit(1); } } while (0)

static char path_buf[4096];
static const char *path(const char *dir, const char *name)
{
    snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
    return path_buf;
}

static int app_data_added, app_data_freed;
static void free_app_data(void *p) { app_data_freed++; free(p); }
static void add_app_data(void *data, ConnContext *c)
{
    CHECK(data == (void *)&app_data_added);
    app_data_added++;
    c->app_data = strdup(c->username);
    c->app_data_free = free_app_data;
}

static void print_keys(OtrlUserState us)
{
    OtrlPrivKey *p;
    for (p = us->privkey_root; p; p = p->next) {
        CHECK(p->tous && *p->tous == p);
        CHECK(p->pubkey_data && p->pubkey_datalen > 400);
        /* A fresh key's MPIs vary in length: print only the fixtures'. */
        if (!strcmp(p->protocol, "irc"))
            printf("key %s %s type=%u\n", p->accountname, p->protocol, p->pubkey_type);
        else
            printf("key %s %s type=%u publen=%zu\n", p->accountname, p->protocol,
                   p->pubkey_type, p->pubkey_datalen);
    }
}

static void print_contexts(OtrlUserState us)
{
    ConnContext *c;
    for (c = us->context_root; c; c = c->next) {
        Fingerprint *f;
        CHECK(c->tous && *c->tous == c);
        CHECK(c->fingerprint_root.fingerprint == NULL);
        CHECK(c->smstate != NULL);
        printf("context %s %s %s their=%x master=%s msgstate=%d app=%s ver=%u auth=%d sm=%d/%d/%d\n",
               c->username, c->accountname, c->protocol, c->their_instance,
               c->m_context == c ? "self" : (c->m_context ? c->m_context->username : "NULL"),
               c->msgstate, c->app_data ? (char *)c->app_data : "-",
               c->protocol_version, c->auth.authstate,
               c->smstate->nextExpected, c->smstate->received_question,
               c->smstate->sm_prog_state);
        for (f = c->fingerprint_root.next; f; f = f->next) {
            int i;
            CHECK(f->context == c);
            printf("  fpr ");
            for (i = 0; i < 20; i++) printf("%02x", f->fingerprint[i]);
            printf(" trust=%s trusted=%d\n", f->trust ? f->trust : "(null)",
                   otrl_context_is_fingerprint_trusted(f));
        }
    }
}

static void print_file(const char *file, const char *mask_account)
{
    char line[1000];
    FILE *f = fopen(file, "rb");
    CHECK(f != NULL);
    while (fgets(line, sizeof line, f)) {
        if (mask_account && !strncmp(line, mask_account, strlen(mask_account))) {
            char *tab = strrchr(line, '\t');
            if (tab) strcpy(tab, "\t(random)\n");
        }
        printf("| %s", line);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    OtrlUserState us, us2;
    char human[45];
    unsigned char hash[20];
    ConnContext *c, *child, *master;
    Fingerprint *f;
    OtrlInsTag *tag;
    int added, i;
    struct stat st;
    const char *keys, *work;
    otrl_instag_t dave_tag;
    gcry_error_t err;

    if (argc != 3) {
        fprintf(stderr, "usage: files_test KEYDIR WORKDIR\n");
        return 2;
    }
    keys = argv[1];
    work = argv[2];

    printf("init 4.1.1 = %08x\n", otrl_init(4, 1, 1));
    printf("init 3.2.0 = %08x\n", otrl_init(3, 2, 0));
    printf("init 5.0.0 = %08x\n", otrl_init(5, 0, 0));
    printf("init 4.0.0 = %08x\n", otrl_init(4, 0, 0));
    us = otrl_userstate_create();
    CHECK(us && !us->context_root && !us->privkey_root && !us->instag_root);

    printf("privkey_read missing = %08x\n", otrl_privkey_read(us, "/nonexistent/x"));
    printf("instag_read missing = %08x\n", otrl_instag_read(us, "/nonexistent/x"));
    printf("read_fingerprints missing = %08x\n",
           otrl_privkey_read_fingerprints(us, "/nonexistent/x", NULL, NULL));
    printf("privkey_read_FILEp NULL = %08x\n", otrl_privkey_read_FILEp(us, NULL));

    /* Keys. */
    printf("privkey_read alice = %08x\n", otrl_privkey_read(us, path(keys, "alice.key")));
    print_keys(us);
    printf("find alice = %s\n", otrl_privkey_find(us, "alice@example.org", "xmpp") ? "yes" : "no");
    printf("find alice/irc = %s\n", otrl_privkey_find(us, "alice@example.org", "irc") ? "yes" : "no");
    printf("fingerprint alice = %s\n",
           otrl_privkey_fingerprint(us, human, "alice@example.org", "xmpp") == human ? human : "NULL");
    printf("fingerprint nobody = %s\n",
           otrl_privkey_fingerprint(us, human, "nobody", "xmpp") ? "set" : "NULL");
    for (i = 0; i < 20; i++) hash[i] = (unsigned char)(i * 13);
    otrl_privkey_hash_to_human(human, hash);
    printf("hash_to_human = %s\n", human);
    printf("privkey_read bob = %08x\n", otrl_privkey_read(us, path(keys, "bob.key")));
    print_keys(us);

    /* Generating keeps the other keys and replaces the account's own. */
    printf("privkey_read alice = %08x\n", otrl_privkey_read(us, path(keys, "alice.key")));
    unlink(path(work, "new.key"));
    printf("generate carol = %08x\n",
           otrl_privkey_generate(us, path(work, "new.key"), "carol", "irc"));
    CHECK(stat(path(work, "new.key"), &st) == 0);
    printf("new.key mode = %o\n", st.st_mode & 0777);
    print_keys(us);
    CHECK(otrl_privkey_fingerprint(us, human, "carol", "irc") == human);
    printf("generate carol again = %08x\n",
           otrl_privkey_generate(us, path(work, "new.key"), "carol", "irc"));
    print_keys(us);
    us2 = otrl_userstate_create();
    printf("reread new.key = %08x\n", otrl_privkey_read(us2, path(work, "new.key")));
    print_keys(us2);
    printf("fingerprint alice from new.key = %s\n",
           otrl_privkey_fingerprint(us2, human, "alice@example.org", "xmpp") ? human : "NULL");
    {
        char a[45], b[45];
        CHECK(otrl_privkey_fingerprint(us, a, "carol", "irc"));
        CHECK(otrl_privkey_fingerprint(us2, b, "carol", "irc"));
        CHECK(strcmp(a, b) == 0);
    }
    otrl_userstate_free(us2);
    {
        /* bitlbee: a child process generates into an empty temporary file. */
        FILE *tf;
        OtrlUserState us3 = otrl_userstate_create();
        CHECK(otrl_privkey_read(us3, path(keys, "bob.key")) == 0);
        tf = fopen(path(work, "tmp.key"), "w+b");
        CHECK(tf != NULL);
        printf("generate_FILEp erin = %08x\n", otrl_privkey_generate_FILEp(us3, tf, "erin", "irc"));
        fclose(tf);
        print_keys(us3);
        otrl_userstate_free(us3);
    }

    {
        /* The three-step key generation. */
        void *newkey = NULL, *again = (void *)1;
        printf("generate_start frank = %08x\n",
               otrl_privkey_generate_start(us, "frank", "irc", &newkey));
        CHECK(newkey != NULL && us->pending_root != NULL);
        printf("generate_start frank again = %08x\n",
               otrl_privkey_generate_start(us, "frank", "irc", &again));
        CHECK(again == NULL);
        printf("generate_calculate = %08x\n", otrl_privkey_generate_calculate(newkey));
        printf("generate_finish = %08x\n",
               otrl_privkey_generate_finish(us, newkey, path(work, "new.key")));
        CHECK(us->pending_root == NULL);
        print_keys(us);
        printf("generate_start frank after = %08x\n",
               otrl_privkey_generate_start(us, "frank", "irc", &newkey));
        otrl_privkey_generate_cancelled(us, newkey);
        CHECK(us->pending_root == NULL);
    }

    /* Instance tags. */
    printf("instag_read alice = %08x\n", otrl_instag_read(us, path(keys, "alice.instag")));
    tag = otrl_instag_find(us, "alice@example.org", "xmpp");
    printf("instag alice = %08x\n", tag ? tag->instag : 0);
    printf("instag nobody = %s\n", otrl_instag_find(us, "nobody", "xmpp") ? "found" : "NULL");
    printf("instag_generate dave = %08x\n",
           otrl_instag_generate(us, path(work, "new.instag"), "dave", "irc"));
    tag = otrl_instag_find(us, "dave", "irc");
    CHECK(tag && tag->instag >= OTRL_MIN_VALID_INSTAG);
    dave_tag = tag->instag;
    print_file(path(work, "new.instag"), "dave");
    us2 = otrl_userstate_create();
    printf("reread new.instag = %08x\n", otrl_instag_read(us2, path(work, "new.instag")));
    tag = otrl_instag_find(us2, "dave", "irc");
    CHECK(tag && tag->instag == dave_tag);
    printf("instag_write = %08x\n", otrl_instag_write(us2, path(work, "copy.instag")));
    print_file(path(work, "copy.instag"), "dave");
    otrl_userstate_free(us2);

    /* Fingerprints and contexts. */
    printf("read_fingerprints alice = %08x\n",
           otrl_privkey_read_fingerprints(us, path(keys, "alice.fpr"), add_app_data, &app_data_added));
    printf("app data added %d\n", app_data_added);
    print_contexts(us);
    c = otrl_context_find(us, "bob@example.org", "alice@example.org", "xmpp",
                          OTRL_INSTAG_MASTER, 0, &added, NULL, NULL);
    CHECK(c && c == us->context_root && added == 0);
    printf("our_instance = %08x\n", c->our_instance);
    added = 7;
    CHECK(otrl_context_find(us, "zed", "alice@example.org", "xmpp", OTRL_INSTAG_MASTER, 0,
                            &added, NULL, NULL) == NULL && added == 0);
    CHECK(otrl_context_find(us, NULL, "a", "b", 0, 1, NULL, NULL, NULL) == NULL);
    c = otrl_context_find(us, "carl@example.org", "alice@example.org", "xmpp",
                          OTRL_INSTAG_MASTER, 1, &added, add_app_data, &app_data_added);
    CHECK(c && added == 1);
    c = otrl_context_find(us, "aaron@example.org", "alice@example.org", "xmpp",
                          OTRL_INSTAG_MASTER, 1, &added, add_app_data, &app_data_added);
    CHECK(c && added == 1 && c == us->context_root);
    /* A child: its master exists already. */
    child = otrl_context_find(us, "bob@example.org", "alice@example.org", "xmpp",
                              0x12345678, 1, &added, add_app_data, &app_data_added);
    CHECK(child && added == 1);
    master = child->m_context;
    CHECK(master && master->their_instance == 0 && master->next == child);
    /* A child made before its master is its own master (libotr 4.1.1). */
    c = otrl_context_find(us, "dora@example.org", "alice@example.org", "xmpp",
                          0x2000, 1, &added, add_app_data, &app_data_added);
    CHECK(c && added == 1 && c->m_context == c);
    child = otrl_context_find(us, "bob@example.org", "alice@example.org", "xmpp",
                              0x300, 1, &added, add_app_data, &app_data_added);
    CHECK(child && master->next == child);
    printf("app data added %d\n", app_data_added);
    print_contexts(us);
    c = otrl_context_find(us, "bob@example.org", "alice@example.org", "xmpp",
                          OTRL_INSTAG_BEST, 0, NULL, NULL, NULL);
    printf("best = %x\n", c ? c->their_instance : 0xdead);
    c = otrl_context_find(us, "bob@example.org", "alice@example.org", "xmpp",
                          OTRL_INSTAG_RECENT, 0, NULL, NULL, NULL);
    printf("recent = %x\n", c ? c->their_instance : 0xdead);
    c = otrl_context_find(us, "bob@example.org", "alice@example.org", "xmpp",
                          0x300, 0, NULL, NULL, NULL);
    CHECK(c == child);

    /* Fingerprints go to the master. */
    for (i = 0; i < 20; i++) hash[i] = (unsigned char)(0xa0 + i);
    f = otrl_context_find_fingerprint(child, hash, 0, &added);
    CHECK(f == NULL && added == 0);
    f = otrl_context_find_fingerprint(child, hash, 1, &added);
    CHECK(f && added == 1 && f->context == master && child->fingerprint_root.next == NULL);
    CHECK(otrl_context_find_fingerprint(master, hash, 1, &added) == f && added == 0);
    otrl_context_set_trust(f, "smp");
    printf("trusted smp = %d\n", otrl_context_is_fingerprint_trusted(f));
    otrl_context_set_trust(f, "");
    printf("trusted empty = %d\n", otrl_context_is_fingerprint_trusted(f));
    otrl_context_set_trust(f, NULL);
    printf("trusted NULL = %d\n", otrl_context_is_fingerprint_trusted(f));
    /* profanity frees trust itself and stores its own strdup. */
    free(f->trust);
    f->trust = strdup("verified");
    printf("trusted NULL fingerprint = %d\n", otrl_context_is_fingerprint_trusted(NULL));
    printf("write_fingerprints = %08x\n",
           otrl_privkey_write_fingerprints(us, path(work, "new.fpr")));
    print_file(path(work, "new.fpr"), NULL);

    /* Forgetting. */
    otrl_context_forget_fingerprint(f, 1);
    c = otrl_context_find(us, "carl@example.org", "alice@example.org", "xmpp",
                          OTRL_INSTAG_MASTER, 0, NULL, NULL, NULL);
    CHECK(c);
    otrl_context_forget_fingerprint(&c->fingerprint_root, 1);
    printf("app data freed %d\n", app_data_freed);
    print_contexts(us);

    /* TLVs. */
    CHECK(otrl_tlv_find(NULL, OTRL_TLV_DISCONNECTED) == NULL);
    otrl_tlv_free(NULL);
    {
        static const unsigned char ser[] = { 0, 1, 0, 0, 0, 8, 0, 3, 'a', 'b', 'c', 0, 2, 0, 9, 'x' };
        unsigned char back[64];
        OtrlTLV *list = otrl_tlv_parse(ser, sizeof ser), *t, *extra;
        for (t = list; t; t = t->next) {
            printf("tlv %u len %u", t->type, t->len);
            for (i = 0; i < t->len; i++) printf(" %02x", t->data[i]);
            printf("\n");
        }
        printf("tlv find 8 = %s\n", otrl_tlv_find(list, 8) ? "yes" : "no");
        printf("tlv find 6 = %s\n", otrl_tlv_find(list, 6) ? "yes" : "no");
        extra = otrl_tlv_new(6, 2, (const unsigned char *)"zz");
        printf("tlv seriallen = %zu\n", otrl_tlv_seriallen(list));
        otrl_tlv_serialize(back, list);
        printf("tlv roundtrip = %s\n", !memcmp(back, ser, otrl_tlv_seriallen(list)) ? "yes" : "no");
        printf("tlv new = %u %u %c%c\n", extra->type, extra->len, extra->data[0], extra->data[1]);
        otrl_tlv_free(extra);
        otrl_tlv_free(list);
    }

    {
        static const char *samples[] = { "hello", "hi \t  \t\t\t\t \t \t \t    \t\t  \t ",
            "?OTR?", "x ?OTRv23? y", "?OTRv2?", "?OTR:AAICxx", "?OTR:AAIKxx", "?OTR:AAIRxx",
            "?OTR:AAISxx", "?OTR:AAMCxx", "?OTR:AAMKxx", "?OTR:AAMRxx", "?OTR:AAMSxx",
            "?OTR:AAEKxx", "?OTR:AAEDxx", "?OTR:AAIDxx", "?OTR:AAMDxx", "?OTR Error: x",
            "?OTR:ZZ", "?OTR,1,2,x,", "?OTR|1|2,1,2,x,", "?OTR" };
        for (i = 0; i < (int)(sizeof samples / sizeof *samples); i++)
            printf("type %d version %d\n", otrl_proto_message_type(samples[i]),
                   otrl_proto_message_version(samples[i]));
    }

    otrl_userstate_free(us);
    printf("app data freed %d\n", app_data_freed);
    printf("version %s\n", otrl_version());
    err = 0;
    (void)err;
    printf("done\n");
    return 0;
}
