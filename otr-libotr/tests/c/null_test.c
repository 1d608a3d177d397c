/*
 * null_test: every function of our libotr.so.5 called with NULL pointers
 * (and a user state with nothing in it) must return without crashing.
 * Run on our library only: the real libotr dereferences many of these.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/instag.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/tlv.h>
#include <libotr/userstate.h>

int main(void)
{
    OtrlUserState us;
    OtrlMessageAppOps ops = { 0 };
    char *msg = (char *)1;
    OtrlTLV *tlvs = (OtrlTLV *)1;
    ConnContext *ctx = (ConnContext *)1;
    void *newkey = (void *)1;
    unsigned char key[32];
    char human[45];

    OTRL_INIT;
    us = otrl_userstate_create();

    otrl_userstate_free(NULL);
    otrl_message_free(NULL);
    otrl_privkey_read(NULL, NULL);
    otrl_privkey_read(us, NULL);
    otrl_privkey_read_FILEp(NULL, NULL);
    otrl_privkey_generate(NULL, NULL, NULL, NULL);
    otrl_privkey_generate(us, NULL, NULL, NULL);
    otrl_privkey_generate_FILEp(us, NULL, NULL, NULL);
    otrl_privkey_generate_start(NULL, NULL, NULL, NULL);
    otrl_privkey_generate_start(us, NULL, "p", &newkey);
    otrl_privkey_generate_calculate(NULL);
    otrl_privkey_generate_finish(NULL, NULL, NULL);
    otrl_privkey_generate_finish_FILEp(NULL, NULL, NULL);
    otrl_privkey_generate_cancelled(NULL, NULL);
    otrl_privkey_find(NULL, NULL, NULL);
    otrl_privkey_find(us, NULL, "p");
    otrl_privkey_forget(NULL);
    otrl_privkey_forget_all(NULL);
    otrl_privkey_fingerprint(NULL, NULL, NULL, NULL);
    otrl_privkey_fingerprint(us, human, NULL, NULL);
    otrl_privkey_fingerprint_raw(us, key, "a", "p");
    otrl_privkey_hash_to_human(NULL, NULL);
    otrl_privkey_read_fingerprints(NULL, NULL, NULL, NULL);
    otrl_privkey_read_fingerprints(us, NULL, NULL, NULL);
    otrl_privkey_read_fingerprints_FILEp(us, NULL, NULL, NULL);
    otrl_privkey_write_fingerprints(NULL, NULL);
    otrl_privkey_write_fingerprints_FILEp(us, NULL);
    otrl_instag_read(NULL, NULL);
    otrl_instag_read_FILEp(us, NULL);
    otrl_instag_write(us, NULL);
    otrl_instag_write_FILEp(NULL, NULL);
    otrl_instag_generate(NULL, NULL, NULL, NULL);
    otrl_instag_generate_FILEp(us, NULL, NULL, NULL);
    otrl_instag_find(NULL, NULL, NULL);
    otrl_instag_find(us, NULL, NULL);
    otrl_instag_forget(NULL);
    otrl_instag_forget_all(NULL);
    otrl_context_find(NULL, NULL, NULL, NULL, 0, 1, NULL, NULL, NULL);
    otrl_context_find(us, "u", NULL, "p", 0, 1, NULL, NULL, NULL);
    otrl_context_find_fingerprint(NULL, NULL, 1, NULL);
    otrl_context_set_trust(NULL, NULL);
    otrl_context_is_fingerprint_trusted(NULL);
    otrl_context_forget_fingerprint(NULL, 1);
    otrl_context_forget(NULL);
    otrl_context_forget_all(NULL);
    otrl_context_force_finished(NULL);
    otrl_context_force_plaintext(NULL);
    otrl_context_find_recent_instance(NULL, OTRL_INSTAG_RECENT);
    otrl_context_find_recent_secure_instance(NULL);
    otrl_context_update_recent_child(NULL, 1);
    otrl_sm_state_free(NULL);
    otrl_tlv_find(NULL, 1);
    otrl_tlv_free(NULL);
    otrl_tlv_new(1, 5, NULL);
    otrl_tlv_parse(NULL, 5);
    otrl_tlv_seriallen(NULL);
    otrl_tlv_serialize(NULL, NULL);
    otrl_proto_default_query_msg(NULL, OTRL_POLICY_DEFAULT) ? (void)0 : (void)0;
    otrl_proto_message_type(NULL);
    otrl_proto_message_version(NULL);
    if (otrl_proto_query_bestversion(NULL, 0x07) != 0 ||
            otrl_proto_whitespace_bestversion(NULL, NULL, NULL, 0x07) != 0 ||
            otrl_proto_instance(NULL, NULL, NULL) == 0 ||
            otrl_proto_instance("?OTR:AAMDAAABABI0VngB.", NULL, NULL) != 0 ||
            otrl_proto_data_read_flags(NULL, NULL) == 0 ||
            otrl_proto_create_data(NULL, NULL, NULL, NULL, 0, NULL) == 0 ||
            otrl_proto_accept_data(NULL, NULL, NULL, NULL, NULL, NULL) == 0 ||
            otrl_proto_fragment_accumulate(NULL, NULL, NULL) != OTRL_FRAGMENT_UNFRAGMENTED ||
            otrl_proto_fragment_accumulate(NULL, NULL, "?OTR,1,1,x,") != OTRL_FRAGMENT_UNFRAGMENTED ||
            otrl_proto_fragment_create(100, 1, NULL, NULL, "x") == 0 ||
            otrl_privkey_sign(NULL, NULL, NULL, NULL, 0) == 0 ||
            otrl_privkey_verify(NULL, 0, 0, NULL, NULL, 0) == 0) {
        printf("FAIL: proto.h or signing with NULLs\n");
        return 1;
    }
    otrl_proto_fragment_free(NULL, 3);
    {
        char **none = NULL;
        otrl_proto_fragment_free(&none, 3);
    }

    if (otrl_message_sending(NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, &msg,
            OTRL_FRAGMENT_SEND_ALL, &ctx, NULL, NULL) == 0 || msg != NULL || ctx != NULL) {
        printf("FAIL: sending with NULLs\n");
        return 1;
    }
    otrl_message_sending(us, NULL, NULL, "a", "p", "b", 0, "hi", NULL, NULL,
            OTRL_FRAGMENT_SEND_ALL, NULL, NULL, NULL);
    /* No callbacks at all: the default policy, no key. */
    msg = (char *)1;
    otrl_message_sending(us, &ops, NULL, "a", "p", "b", OTRL_INSTAG_BEST, "hi", NULL, &msg,
            OTRL_FRAGMENT_SEND_ALL_BUT_LAST, NULL, NULL, NULL);
    otrl_message_free(msg);
    if (otrl_message_receiving(NULL, NULL, NULL, NULL, NULL, NULL, NULL, &msg, &tlvs, &ctx,
            NULL, NULL) != 0 || msg != NULL || tlvs != NULL || ctx != NULL) {
        printf("FAIL: receiving with NULLs\n");
        return 1;
    }
    otrl_message_receiving(us, &ops, NULL, "a", "p", "b", "?OTRv23?", NULL, NULL, NULL,
            NULL, NULL);
    otrl_message_receiving(us, &ops, NULL, "a", "p", "b", "?OTR:AAMDgarbage.", &msg, &tlvs,
            NULL, NULL, NULL);
    otrl_message_free(msg);
    otrl_tlv_free(tlvs);
    otrl_message_disconnect(NULL, NULL, NULL, NULL, NULL, NULL, 0);
    otrl_message_disconnect(us, NULL, NULL, "a", "p", "b", 0);
    otrl_message_disconnect_all_instances(us, NULL, NULL, NULL, NULL, NULL);
    otrl_message_initiate_smp(NULL, NULL, NULL, NULL, NULL, 0);
    otrl_message_initiate_smp_q(us, NULL, NULL, NULL, NULL, NULL, 0);
    otrl_message_respond_smp(us, NULL, NULL, NULL, NULL, 0);
    otrl_message_abort_smp(us, NULL, NULL, NULL);
    otrl_message_symkey(us, NULL, NULL, NULL, 0, NULL, 0, key);
    ctx = otrl_context_find(us, "b", "a", "p", OTRL_INSTAG_MASTER, 0, NULL, NULL, NULL);
    if (ctx) {
        otrl_message_initiate_smp(us, NULL, NULL, ctx, NULL, 0);
        otrl_message_respond_smp(us, NULL, NULL, ctx, NULL, 0);
        otrl_message_abort_smp(us, NULL, NULL, ctx);
        otrl_message_symkey(us, NULL, NULL, ctx, 1, NULL, 0, NULL);
    }
    otrl_message_poll(NULL, NULL, NULL);
    otrl_message_poll(us, NULL, NULL);
    otrl_message_poll_get_default_interval(NULL);

    otrl_userstate_free(us);
    printf("done\n");
    return 0;
}
