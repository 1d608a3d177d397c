/*
 * files_tool: what libotr 4.1.1 itself reads from its instance-tag and
 * fingerprint files, for the differential tests in tests/tests/files_interop.rs.
 *
 *   files_tool instags FILE
 *       otrl_instag_read, then one line per instance tag in libotr's list
 *       order: hex(account) TAB hex(protocol) TAB tag (8 lowercase hex)
 *   files_tool fingerprints FILE
 *       otrl_privkey_read_fingerprints, then one line per known fingerprint:
 *       hex(username) TAB hex(account) TAB hex(protocol) TAB fingerprint
 *       (40 lowercase hex) TAB hex(trust) ("" for none)
 *
 * hex() of an empty string is "-". On failure: "error: ..." and exit 2.
 *
 * Build: cc files_tool.c $(pkg-config --cflags --libs libotr) $(libgcrypt-config --libs)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/instag.h>
#include <libotr/privkey.h>
#include <libotr/userstate.h>

static void print_hex(const char *s)
{
    if (!s || !*s) {
        fputs("-", stdout);
        return;
    }
    for (; *s; s++) {
        printf("%02x", (unsigned char)*s);
    }
}

int main(int argc, char **argv)
{
    OtrlUserState us;
    gcry_error_t err;

    if (argc != 3) {
        fprintf(stderr, "usage: files_tool instags|fingerprints FILE\n");
        return 1;
    }
    OTRL_INIT;
    us = otrl_userstate_create();
    if (!strcmp(argv[1], "instags")) {
        OtrlInsTag *p;
        err = otrl_instag_read(us, argv[2]);
        if (err) {
            printf("error: %s\n", gcry_strerror(err));
            return 2;
        }
        for (p = us->instag_root; p; p = p->next) {
            print_hex(p->accountname);
            putchar('\t');
            print_hex(p->protocol);
            printf("\t%08x\n", p->instag);
        }
    } else if (!strcmp(argv[1], "fingerprints")) {
        ConnContext *c;
        err = otrl_privkey_read_fingerprints(us, argv[2], NULL, NULL);
        if (err) {
            printf("error: %s\n", gcry_strerror(err));
            return 2;
        }
        for (c = us->context_root; c; c = c->next) {
            Fingerprint *f;
            for (f = c->fingerprint_root.next; f; f = f->next) {
                int i;
                print_hex(c->username);
                putchar('\t');
                print_hex(c->accountname);
                putchar('\t');
                print_hex(c->protocol);
                putchar('\t');
                for (i = 0; i < 20; i++) {
                    printf("%02x", f->fingerprint[i]);
                }
                putchar('\t');
                print_hex(f->trust);
                putchar('\n');
            }
        }
    } else {
        fprintf(stderr, "unknown command %s\n", argv[1]);
        return 1;
    }
    otrl_userstate_free(us);
    return 0;
}
