/*
 * Fuzzes token verification. The key set holds one EC P-256 public key made
 * at start-up; no input can carry a valid signature for it, so besides
 * crashes and sanitizer reports, any IDP_OK is a broken invariant. Inputs
 * starting with '{' are also parsed as a JWKS document.
 */
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>

#include "idp/idp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct idp_keyset *keys;
static struct cfg_idp cfg = {
	.name = "fuzz",
	.type = "oidc",
	.issuer = "https://idp.example",
	.audience = "urn:agentgate:mysql",
	.subject_claim = "sub",
	.groups_claim = "groups",
	.name_claim = "name",
	.algorithms = "RS256,PS256,ES256",
	.clock_skew = 60000,
};

static void init(void)
{
	cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, NULL);
	char *pub = k ? cjose_jwk_to_json(k, false, NULL) : NULL;
	char doc[2048], err[256];

	if (!pub)
		abort();
	/* Give the key a kid the fuzzer can find in the corpus. */
	snprintf(doc, sizeof doc, "{\"keys\":[%.*s,\"kid\":\"k1\"}]}",
	         (int)strlen(pub) - 1, pub);
	keys = idp_keyset_parse(doc, strlen(doc), err, sizeof err);
	if (!keys)
		abort();
	free(pub);
	cjose_jwk_release(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idp_principal *p = NULL;
	char reason[256], *iss = NULL, *kid = NULL;
	enum idp_result r;

	if (!keys)
		init();
	if (size > 0 && data[0] == '{') {
		char err[256];
		idp_keyset_free(idp_keyset_parse((const char *)data, size, err,
		                                 sizeof err));
		return 0;
	}
	if (idp_peek((const char *)data, size, &iss, &kid)) {
		free(iss);
		free(kid);
	}
	r = idp_verify_jwt(&cfg, keys, (const char *)data, size, 1800000000, &p,
	                   reason, sizeof reason);
	if (r == IDP_OK)
		abort(); /* a forged token was accepted */
	idp_principal_free(p);
	return 0;
}
