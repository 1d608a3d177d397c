/*
 * dsa_tool: libotr 4.1.1's own DSA key handling, for the interop tests in
 * tests/tests/dsa_interop.rs.
 *
 *   dsa_tool sign    KEYFILE ACCOUNT PROTOCOL HEX32
 *       prints the 40-byte signature (r || s) made by otrl_privkey_sign, as hex
 *   dsa_tool verify  KEYFILE ACCOUNT PROTOCOL HEX32 SIGHEX
 *       checks SIGHEX (80 hex digits) with otrl_privkey_verify against the
 *       account's public key; prints "ok" or "bad"
 *   dsa_tool list    KEYFILE
 *       one line per key, in libotr's list order:
 *       hex(account) TAB hex(protocol) TAB fingerprint (40 lowercase hex)
 *   dsa_tool rewrite KEYFILE OUTFILE ACCOUNT PROTOCOL
 *       reads KEYFILE, then otrl_privkey_generate(OUTFILE, ACCOUNT, PROTOCOL):
 *       libotr writes every key it holds, then a new one
 *
 * Reading KEYFILE is otrl_privkey_read. On any failure: "error: ..." on
 * stdout and exit status 2.
 *
 * Build: cc dsa_tool.c $(pkg-config --cflags --libs libotr) $(libgcrypt-config --libs)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/privkey.h>
#include <libotr/userstate.h>

static int fail(const char *what, gcry_error_t err)
{
    if (err) {
        printf("error: %s: %s\n", what, gcry_strerror(err));
    } else {
        printf("error: %s\n", what);
    }
    return 2;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes exactly LEN bytes of hex; returns 0 on success. */
static int parse_hex(const char *hex, unsigned char *out, size_t len)
{
    size_t i;
    if (strlen(hex) != 2 * len) return -1;
    for (i = 0; i < len; i++) {
        int hi = hex_nibble(hex[2 * i]);
        int lo = hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    return 0;
}

static void print_hex(const unsigned char *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) printf("%02x", data[i]);
}

/* The account's public key as libgcrypt wants it for verification. */
static gcry_error_t public_key_of(OtrlPrivKey *key, gcry_sexp_t *pubs)
{
    const char *names[4] = { "p", "q", "g", "y" };
    gcry_mpi_t mpis[4] = { NULL, NULL, NULL, NULL };
    gcry_sexp_t dsa = gcry_sexp_find_token(key->privkey, "dsa", 0);
    gcry_error_t err = 0;
    int i;

    if (!dsa) return gcry_error(GPG_ERR_UNUSABLE_SECKEY);
    for (i = 0; i < 4; i++) {
        gcry_sexp_t part = gcry_sexp_find_token(dsa, names[i], 0);
        if (part) mpis[i] = gcry_sexp_nth_mpi(part, 1, GCRYMPI_FMT_USG);
        gcry_sexp_release(part);
        if (!mpis[i]) err = gcry_error(GPG_ERR_UNUSABLE_SECKEY);
    }
    gcry_sexp_release(dsa);
    if (!err) {
        err = gcry_sexp_build(pubs, NULL,
                "(public-key (dsa (p %m)(q %m)(g %m)(y %m)))",
                mpis[0], mpis[1], mpis[2], mpis[3]);
    }
    for (i = 0; i < 4; i++) gcry_mpi_release(mpis[i]);
    return err;
}

int main(int argc, char **argv)
{
    OtrlUserState us;
    gcry_error_t err;
    const char *cmd;

    if (argc < 3) {
        fprintf(stderr, "usage: dsa_tool sign|verify|list|rewrite KEYFILE ...\n");
        return 2;
    }
    OTRL_INIT;
    cmd = argv[1];
    us = otrl_userstate_create();
    err = otrl_privkey_read(us, argv[2]);
    if (err) return fail("otrl_privkey_read", err);

    if (!strcmp(cmd, "list") && argc == 3) {
        OtrlPrivKey *p;
        for (p = us->privkey_root; p; p = p->next) {
            unsigned char hash[20];
            gcry_md_hash_buffer(GCRY_MD_SHA1, hash, p->pubkey_data, p->pubkey_datalen);
            print_hex((const unsigned char *)p->accountname, strlen(p->accountname));
            printf("\t");
            print_hex((const unsigned char *)p->protocol, strlen(p->protocol));
            printf("\t");
            print_hex(hash, sizeof hash);
            printf("\n");
        }
        return 0;
    }

    if (!strcmp(cmd, "rewrite") && argc == 6) {
        err = otrl_privkey_generate(us, argv[3], argv[4], argv[5]);
        if (err) return fail("otrl_privkey_generate", err);
        printf("ok\n");
        return 0;
    }

    if ((!strcmp(cmd, "sign") && argc == 6) || (!strcmp(cmd, "verify") && argc == 7)) {
        unsigned char value[32];
        OtrlPrivKey *key = otrl_privkey_find(us, argv[3], argv[4]);
        if (!key) return fail("no key for that account and protocol", 0);
        if (parse_hex(argv[5], value, sizeof value)) return fail("HEX32 is not 64 hex digits", 0);

        if (!strcmp(cmd, "sign")) {
            unsigned char *sig = NULL;
            size_t siglen = 0;
            err = otrl_privkey_sign(&sig, &siglen, key, value, sizeof value);
            if (err) return fail("otrl_privkey_sign", err);
            print_hex(sig, siglen);
            printf("\n");
            free(sig);
            return 0;
        } else {
            unsigned char sig[40];
            gcry_sexp_t pubs = NULL;
            if (parse_hex(argv[6], sig, sizeof sig)) return fail("SIGHEX is not 80 hex digits", 0);
            err = public_key_of(key, &pubs);
            if (err) return fail("building the public key", err);
            err = otrl_privkey_verify(sig, sizeof sig, OTRL_PUBKEY_TYPE_DSA, pubs,
                    value, sizeof value);
            gcry_sexp_release(pubs);
            printf("%s\n", err ? "bad" : "ok");
            return 0;
        }
    }

    fprintf(stderr, "dsa_tool: bad command or argument count\n");
    return 2;
}
