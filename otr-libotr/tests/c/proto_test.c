/*
 * proto_test: libotr's proto.h readers and fragment functions and
 * otrl_privkey_sign, printed as a transcript.
 *
 *   proto_test KEYDIR
 *
 * KEYDIR holds alice.key (written by libotr 4.1.1). Built against libotr's
 * headers; the test runs it with the real libotr and with ours
 * (LD_LIBRARY_PATH) and compares the transcripts. Signatures are random, so
 * only their length is printed; each is verified here with libgcrypt
 * against the key's public part (pubkey_data), and a failure exits 1 with
 * "FAIL: ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/context_priv.h>
#include <libotr/privkey.h>
#include <libotr/b64.h>
#include <libotr/mem.h>
#include <libotr/userstate.h>

#define CHECK(cond) do { if (!(cond)) { \
    printf("FAIL: %s (line %d)\n", #cond, __LINE__); exit(1); } } while (0)

/* Prints a string with the white space of tags visible. */
static void show(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == ' ') putchar('_');
        else if (*s == '\t') fputs("\\t", stdout);
        else if (*s == '\n') fputs("\\n", stdout);
        else putchar(*s);
    }
    putchar('"');
}

static const char *queries[] = {
    "?OTRv23?", "?OTRv3?", "?OTRv2?", "?OTR?", "?OTR?v2?", "?OTR?v23?",
    "hi ?OTRv32? there", "?OTRv4?", "?OTRv", "?OTR", "no query", "?OTRvx3?",
    "?OTR?v", "",
};

static const char *tags[] = {
    "hi \t  \t\t\t\t \t \t \t    \t\t  \t\t", /* base + v3 */
    "hi \t  \t\t\t\t \t \t \t    \t\t  \t   \t\t  \t\t!", /* v2 + v3 */
    " \t  \t\t\t\t \t \t \t   \t \t  \t ", /* v1 */
    " \t  \t\t\t\t \t \t \t          x", /* an unknown group */
    " \t  \t\t\t\t \t \t \t    \t\t  \t", /* a short group */
    "no tag", "",
};

static const unsigned int policies[] = { 0x01, 0x02, 0x04, 0x06, 0x07, 0x00 };

static void bestversions(void)
{
    size_t i, j;
    for (i = 0; i < sizeof queries / sizeof *queries; i++) {
        show(queries[i]);
        for (j = 0; j < sizeof policies / sizeof *policies; j++)
            printf(" %u", otrl_proto_query_bestversion(queries[i], policies[j]));
        printf(" type=%d version=%d\n", (int)otrl_proto_message_type(queries[i]),
               otrl_proto_message_version(queries[i]));
    }
    for (i = 0; i < sizeof tags / sizeof *tags; i++) {
        show(tags[i]);
        for (j = 0; j < sizeof policies / sizeof *policies; j++) {
            const char *start = (const char *)1, *end = (const char *)1;
            unsigned int v = otrl_proto_whitespace_bestversion(tags[i], &start, &end,
                                                               policies[j]);
            if (start)
                printf(" %u@%td-%td", v, start - tags[i], end - tags[i]);
            else
                printf(" %u@none%s", v, end ? "!" : "");
        }
        printf(" type=%d\n", (int)otrl_proto_message_type(tags[i]));
    }
}

static const char *headers[] = {
    "?OTR:AAMDAAABABI0VngB.",          /* v3 data, tags 0x100 0x12345678, flags 1 */
    "?OTR:AAMDAAABABI0VngA",           /* no '.' */
    "?OTR:AAMCAAABAAAAAAAA.",          /* v3 commit */
    "?OTR:AAMD AAAB\nABI0 VngB.",      /* white space inside */
    "?OTR:AAMDAAAB=ABI0VngB.",         /* padding early */
    "?OTR:AAMDAAABABI0.",              /* short */
    "?OTR:AAMDAAAB.",
    "?OTR:AAIDAA==.",                  /* v2 data, flags 0 */
    "?OTR:AAIDAQ==.",                  /* v2 data, flags 1 */
    "?OTR:AAID.",                      /* v2 without flags */
    "?OTR:AAED.",                      /* v1 data */
    "?OTR:AAEDAQ==.",
    "?OTR:AAQDAQ==.",                  /* version 4 */
    "?OTR:AQMDAQ==.",                  /* first byte 1 */
    "?OTR:AAIC.",                      /* v2 commit */
    "x ?OTR:AAMDAAABABI0VngB.",        /* not at the start */
    "?OTR:", "?OTR:.", "no otr", "",
};

static void header_fields(void)
{
    size_t i;
    for (i = 0; i < sizeof headers / sizeof *headers; i++) {
        unsigned int from = 0xdeadbeef, to = 0xdeadbeef;
        unsigned char flags = 0xee;
        gcry_error_t e1 = otrl_proto_instance(headers[i], &from, &to);
        gcry_error_t e2 = otrl_proto_data_read_flags(headers[i], &flags);
        show(headers[i]);
        printf(" instance=%08x from=%08x to=%08x flags=%08x:%02x type=%d version=%d\n",
               e1, from, to, e2, flags, (int)otrl_proto_message_type(headers[i]),
               otrl_proto_message_version(headers[i]));
    }
}

static ConnContext *context(OtrlUserState us)
{
    int added = 0;
    ConnContext *c = otrl_context_find(us, "bob@example.org", "alice@example.org",
                                       "xmpp", OTRL_INSTAG_MASTER, 1, &added, NULL, NULL);
    CHECK(c && added);
    return c;
}

static void create(ConnContext *c, unsigned int version, unsigned int auth_version,
                   int mms, int count, const char *message)
{
    char **fragments = (char **)1;
    gcry_error_t err;
    int i;
    c->protocol_version = version;
    c->auth.protocol_version = auth_version;
    c->our_instance = 0x101;
    c->their_instance = 0xabcdef12;
    err = otrl_proto_fragment_create(mms, count, &fragments, c, message);
    printf("create v%u/%u mms=%d count=%d: %08x", version, auth_version, mms, count, err);
    if (!err) {
        for (i = 0; i < count; i++) {
            putchar(' ');
            show(fragments[i]);
        }
        otrl_proto_fragment_free(&fragments, (unsigned short)count);
    } else {
        CHECK(fragments == (char **)1);
    }
    putchar('\n');
}

static const char *pieces[] = {
    "?OTR,00001,00003,hel,", "?OTR,00002,00003,lo ,", "?OTR,00003,00003,you,",
    "?OTR|00000101|abcdef12,00001,00002,ab,", "?OTR|101|0xabcdef12,00002,00002,cd,",
    "?OTR,1,3,x,", "?OTR,3,3,z,",           /* out of order: dropped */
    "?OTR,1,2,a,", "?OTR,2,2,,",            /* empty piece: unreadable */
    "?OTR,1,2,a,", "?OTR,x,2,b,", "?OTR, +2,2,b,",
    "?OTR,1,2,a,", "plain text",            /* drops the partial message */
    "?OTR,2,2,b,",
    "?OTR,65537,1,z,", "?OTR,0,1,z,", "?OTR,2,1,z,", "?OTR,1,1,z",
    "junk ?OTR,1,1,tail,more", "?OTR,1,1,one,?OTR|1|2,1,1,three,",
    "?OTR|zz|1,1,1,q,", "?OTR|1|2|1,1,q,",
};

static void accumulate(ConnContext *c)
{
    size_t i;
    for (i = 0; i < sizeof pieces / sizeof *pieces; i++) {
        char *whole = (char *)1;
        OtrlFragmentResult r = otrl_proto_fragment_accumulate(&whole, c, pieces[i]);
        show(pieces[i]);
        printf(" -> %d", (int)r);
        if (r == OTRL_FRAGMENT_COMPLETE) {
            putchar(' ');
            show(whole);
            free(whole);
        } else {
            CHECK(whole == (char *)1);
        }
        printf(" len=%zu n=%hu k=%hu\n", c->context_priv->fragment_len,
               c->context_priv->fragment_n, c->context_priv->fragment_k);
    }
}

static const char *b64s[] = {
    "aGVsbG8=", "aG V\nsb\x80G8=", "aGVsbG8", "aGVs=bG8", "aG==", "", "!!!!", "YQ", "YWJj",
};

static void base64(void)
{
    size_t i;
    unsigned char out[64];
    char enc[64];
    static const unsigned char raw[] = { 0, 1, 2, 0xfe, 0xff };
    for (i = 0; i < sizeof b64s / sizeof *b64s; i++) {
        size_t n = otrl_base64_decode(out, b64s[i], strlen(b64s[i])), j;
        printf("decode %zu:", n);
        for (j = 0; j < n; j++) printf(" %02x", out[j]);
        putchar('\n');
    }
    for (i = 0; i <= sizeof raw; i++) {
        size_t n = otrl_base64_encode(enc, raw, i);
        char *otr = otrl_base64_otr_encode(raw, i);
        unsigned char *back = NULL;
        size_t backlen = 99;
        int rc = otrl_base64_otr_decode(otr, &back, &backlen);
        enc[n] = 0;
        printf("encode %zu: %zu \"%s\" %s decode=%d len=%zu same=%d\n", i, n, enc, otr, rc,
               backlen, backlen == i && (i == 0 || !memcmp(back, raw, i)));
        free(otr);
        free(back);
    }
    {
        unsigned char *back = (unsigned char *)1;
        size_t backlen = 99;
        printf("otr_decode no dot: %d %zu\n", otrl_base64_otr_decode("?OTR:YWJj", &back, &backlen),
               backlen);
        printf("otr_decode no tag: %d\n", otrl_base64_otr_decode("YWJj.", &back, &backlen));
        CHECK(back == (unsigned char *)1);
        CHECK(otrl_base64_otr_decode("x ?OTR:YW Jj.z", &back, &backlen) == 0);
        printf("otr_decode inside: %zu %.3s\n", backlen, (char *)back);
        free(back);
    }
    printf("differ %d %d %d %d\n", otrl_mem_differ((const unsigned char *)"abc",
           (const unsigned char *)"abc", 3), otrl_mem_differ((const unsigned char *)"abc",
           (const unsigned char *)"abd", 3), otrl_mem_differ((const unsigned char *)"abc",
           (const unsigned char *)"xbc", 3), otrl_mem_differ((const unsigned char *)"a",
           (const unsigned char *)"b", 0));
}

/* Reads the n-th MPI of libotr's serialized public key. */
static gcry_mpi_t mpi_at(const unsigned char *data, size_t len, int n)
{
    size_t at = 0;
    gcry_mpi_t m = NULL;
    for (;;) {
        size_t l;
        CHECK(at + 4 <= len);
        l = ((size_t)data[at] << 24) | ((size_t)data[at + 1] << 16) |
            ((size_t)data[at + 2] << 8) | data[at + 3];
        at += 4;
        CHECK(at + l <= len);
        if (n-- == 0) {
            CHECK(!gcry_mpi_scan(&m, GCRYMPI_FMT_USG, data + at, l, NULL));
            return m;
        }
        at += l;
    }
}

static void sign(OtrlUserState us)
{
    static const size_t lengths[] = { 0, 1, 20, 32, 33 };
    OtrlPrivKey *key = otrl_privkey_find(us, "alice@example.org", "xmpp");
    size_t i;
    gcry_sexp_t pub;
    CHECK(key);
    CHECK(!gcry_sexp_build(&pub, NULL, "(public-key (dsa (p %m)(q %m)(g %m)(y %m)))",
                           mpi_at(key->pubkey_data, key->pubkey_datalen, 0),
                           mpi_at(key->pubkey_data, key->pubkey_datalen, 1),
                           mpi_at(key->pubkey_data, key->pubkey_datalen, 2),
                           mpi_at(key->pubkey_data, key->pubkey_datalen, 3)));
    for (i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        unsigned char data[40], *sig = NULL;
        size_t siglen = 0, j;
        gcry_error_t err;
        for (j = 0; j < sizeof data; j++) data[j] = (unsigned char)(0xf0 + j);
        err = otrl_privkey_sign(&sig, &siglen, key, data, lengths[i]);
        if (lengths[i] > 32) {
            /* Ours refuses what no OTR signature needs; libotr signs it. */
            printf("sign %zu bytes: refused or signed\n", lengths[i]);
            free(sig);
            continue;
        }
        printf("sign %zu bytes: %08x siglen=%zu\n", lengths[i], err, siglen);
        if (!err) {
            gcry_mpi_t r, s, h;
            gcry_sexp_t sigs, datas;
            CHECK(siglen == 40);
            CHECK(!gcry_mpi_scan(&r, GCRYMPI_FMT_USG, sig, 20, NULL));
            CHECK(!gcry_mpi_scan(&s, GCRYMPI_FMT_USG, sig + 20, 20, NULL));
            if (lengths[i]) CHECK(!gcry_mpi_scan(&h, GCRYMPI_FMT_USG, data, lengths[i], NULL));
            else h = gcry_mpi_set_ui(NULL, 0);
            CHECK(!gcry_sexp_build(&sigs, NULL, "(sig-val (dsa (r %m)(s %m)))", r, s));
            CHECK(!gcry_sexp_build(&datas, NULL, "(%m)", h));
            CHECK(gcry_pk_verify(sigs, datas, pub) == 0);
            data[0] ^= 1;
            gcry_mpi_release(h);
            CHECK(!gcry_mpi_scan(&h, GCRYMPI_FMT_USG, data, lengths[i] ? lengths[i] : 1, NULL));
            gcry_sexp_release(datas);
            CHECK(!gcry_sexp_build(&datas, NULL, "(%m)", h));
            CHECK(gcry_pk_verify(sigs, datas, pub) != 0);
            gcry_mpi_release(r);
            gcry_mpi_release(s);
            gcry_mpi_release(h);
            gcry_sexp_release(sigs);
            gcry_sexp_release(datas);
        }
        free(sig);
    }
    gcry_sexp_release(pub);
}

int main(int argc, char **argv)
{
    OtrlUserState us;
    ConnContext *c;
    char path[4096];
    if (argc != 2) {
        fprintf(stderr, "usage: %s KEYDIR\n", argv[0]);
        return 2;
    }
    gcry_check_version(NULL);
    OTRL_INIT;
    us = otrl_userstate_create();
    snprintf(path, sizeof path, "%s/alice.key", argv[1]);
    CHECK(otrl_privkey_read(us, path) == 0);

    bestversions();
    header_fields();
    c = context(us);
    create(c, 2, 2, 24, 3, "hello world");
    create(c, 3, 3, 40, 2, "abcdef");
    create(c, 3, 3, 40, 4, "abcdef");
    create(c, 2, 3, 30, 2, "abcdefghijklmnop");  /* v3 format, v2 size: cut */
    create(c, 3, 2, 40, 1, "abc");
    create(c, 2, 2, 19, 2, "x");
    create(c, 2, 2, 100, 0, "x");
    create(c, 2, 2, 100, 65536, "x");
    create(c, 3, 3, 1000, 1, "");
    accumulate(c);
    sign(us);
    base64();

    otrl_userstate_free(us);
    printf("done\n");
    return 0;
}
