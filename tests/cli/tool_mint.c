/*
 * tool_mint KEY_PEM OUT_FILE [CHAIN_PEM]: issue one PID-like SD-JWT VC with the
 * file signer over KEY_PEM, for the CLI tests. Writes the credential to
 * OUT_FILE and the holder's private JWK to OUT_FILE.holder.jwk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gramota/gramota.h>

#include "core/internal.h"

static int write_all(const char *path, struct gr_str s)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(s.p, 1, s.len, f) == s.len;

    if (f)
        ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct gr_err err;
    struct gr_buf uri, chain, holder_json, path;
    struct gr_signer *signer = NULL;
    struct gr_sdjwt_vc_template *t = NULL;
    struct gr_jwk *holder = NULL;
    struct gr_sdjwt_vc_issued out[1];
    int rc = 1;
    struct gr_sdjwt_vc_spec spec = {
        .vct = GR_STR("urn:eudi:pid:1"),
        .iss = GR_STR("https://issuer.example.com"),
        .claims_json = GR_STR("{\"given_name\":\"Erika\",\"family_name\":\"Mustermann\","
                              "\"address\":{\"locality\":\"Berlin\",\"country\":\"DE\"},"
                              "\"nationalities\":[\"DE\"]}"),
        .disclosable_json = GR_STR("[\"given_name\",\"family_name\",[\"address\",\"locality\"],"
                                   "[\"nationalities\",null]]"),
        .decoys_min = 1,
        .decoys_max = 4,
    };

    if (argc < 3) {
        fprintf(stderr, "usage: tool_mint KEY_PEM OUT_FILE [CHAIN_PEM]\n");
        return 2;
    }
    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    gr_buf_init(&chain, GR_MAX_PEM_LEN);
    gr_buf_init(&holder_json, GR_BUF_UNBOUNDED);
    gr_buf_init(&path, GR_BUF_UNBOUNDED);
    gr_buf_printf(&uri, "file:%s", argv[1]);
    if ((argc > 3 && gr__read_file(argv[3], GR_MAX_PEM_LEN, &chain, &err) < 0) ||
        (signer = gr_signer_new(gr_buf_str(&uri), gr_buf_str(&chain), &err)) == NULL ||
        (t = gr_sdjwt_vc_template_new(&spec, signer, &err)) == NULL ||
        (holder = gr_jwk_generate(&err)) == NULL)
        goto out;
    {
        const struct gr_jwk *keys[1] = { holder };
        struct gr_sdjwt_vc_batch b = {
            .iat = time(NULL),
            .exp = time(NULL) + 3600,
            .count = 1,
            .holder_keys = keys,
        };

        if (gr_sdjwt_vc_issue(t, &b, out, &err) < 0)
            goto out;
    }
    gr_jwk_to_json(holder, true, &holder_json);
    gr_buf_printf(&path, "%s.holder.jwk", argv[2]);
    rc = write_all(argv[2], gr_buf_str(&out[0].credential)) ||
         write_all(path.data, gr_buf_str(&holder_json));
    gr_sdjwt_vc_issued_release(out, 1);
out:
    if (rc)
        fprintf(stderr, "tool_mint: %s\n", err.desc);
    gr_jwk_free(holder);
    gr_sdjwt_vc_template_free(t);
    gr_signer_free(signer);
    gr_buf_release(&uri);
    gr_buf_release(&chain);
    gr_buf_release(&holder_json);
    gr_buf_release(&path);
    return rc;
}
