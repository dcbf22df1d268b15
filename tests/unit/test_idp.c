/*
 * Unit tests of idp: key set parsing, a table of good and bad tokens signed
 * at runtime with freshly generated RSA and EC keys, hand-built attacks
 * (alg none, HMAC keyed with the RSA public key, malformed input), and the
 * provider machinery against real HTTP and HTTPS servers started inside the
 * test on 127.0.0.1: discovery, caching, refresh on an unknown kid, its rate
 * limit, queueing, cancellation, and the transport policy.
 *
 * It does not reach any external network; "refused" URLs are refused before
 * any connection is attempted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjose/cjose.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/core.h"
#include "idp/idp.h"
#include "idp/internal.h"

#define ISS "https://idp.example.test"
#define AUD "urn:agentgate"
#define RUN_TIMEOUT_MS 10000

/* ------------------------------------------------------------ key fixture */

static cjose_jwk_t *k_rsa1, *k_rsa2, *k_evil, *k_ec1;
static char *jwks_all;  /* rsa1, rsa2, ec1 */
static char *jwks_rsa1; /* rsa1 only */

static cjose_jwk_t *new_rsa(const char *kid)
{
	static const uint8_t e[] = {0x01, 0x00, 0x01};
	cjose_err err;
	cjose_jwk_t *k = cjose_jwk_create_RSA_random(2048, e, sizeof e, &err);

	assert_non_null(k);
	assert_true(cjose_jwk_set_kid(k, kid, strlen(kid), &err));
	return k;
}

static cjose_jwk_t *new_ec(const char *kid)
{
	cjose_err err;
	cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);

	assert_non_null(k);
	assert_true(cjose_jwk_set_kid(k, kid, strlen(kid), &err));
	return k;
}

/* A JWKS document with the public halves of `keys`. Caller frees. */
static char *jwks_of(cjose_jwk_t *const *keys, size_t n)
{
	json_t *arr = json_array();
	json_t *doc;
	char *out;

	for (size_t i = 0; i < n; i++) {
		cjose_err err;
		char *s = cjose_jwk_to_json(keys[i], false, &err);
		json_t *j;
		assert_non_null(s);
		j = json_loads(s, 0, NULL);
		assert_non_null(j);
		assert_non_null(json_object_get(j, "kid"));
		assert_null(json_object_get(j, "d"));
		json_array_append_new(arr, j);
		cjose_get_dealloc()(s);
	}
	doc = json_pack("{s:o}", "keys", arr);
	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return out;
}

static int keys_setup(void **state)
{
	(void)state;
	log_set_level(LOG_WARN);
	k_rsa1 = new_rsa("rsa1");
	k_rsa2 = new_rsa("rsa2");
	k_evil = new_rsa("rsa1"); /* same kid as rsa1, different key */
	k_ec1 = new_ec("ec1");
	{
		cjose_jwk_t *all[] = {k_rsa1, k_rsa2, k_ec1};
		jwks_all = jwks_of(all, 3);
		jwks_rsa1 = jwks_of(&k_rsa1, 1);
	}
	return 0;
}

static int keys_teardown(void **state)
{
	(void)state;
	cjose_jwk_release(k_rsa1);
	cjose_jwk_release(k_rsa2);
	cjose_jwk_release(k_evil);
	cjose_jwk_release(k_ec1);
	free(jwks_all);
	free(jwks_rsa1);
	return 0;
}

/* ---------------------------------------------------------- token helpers */

static int64_t now_s(void)
{
	return core_wall_us() / 1000000;
}

static struct cfg_idp base_cfg(void)
{
	struct cfg_idp c;

	memset(&c, 0, sizeof c);
	c.name = "corp";
	c.type = "oidc";
	c.issuer = ISS;
	c.audience = AUD;
	c.subject_claim = "sub";
	c.groups_claim = "groups";
	c.name_claim = "name";
	c.algorithms = "RS256,PS256,ES256";
	c.clock_skew = 60000;
	c.jwks_refresh_min_interval = 60000;
	c.jwks_max_age = 3600000;
	c.fetch_timeout = 5000;
	return c;
}

static json_t *std_claims(const char *iss, int64_t now)
{
	json_t *c = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:[s,s], s:s}",
	                      "iss", iss, "aud", AUD, "exp",
	                      (json_int_t)(now + 300), "iat",
	                      (json_int_t)(now - 10), "nbf",
	                      (json_int_t)(now - 10), "sub", "agent-7", "groups",
	                      "readers", "writers", "name", "Agent Seven");
	assert_non_null(c);
	return c;
}

/* Merge `patch` (JSON text) into claims: integers under exp/nbf/iat are
 * offsets from now, the string "-" deletes a claim. */
static void apply_patch(json_t *claims, const char *patch, int64_t now)
{
	json_t *p = json_loads(patch ? patch : "{}", 0, NULL);
	const char *key;
	json_t *v;

	assert_non_null(p);
	json_object_foreach (p, key, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), "-") == 0)
			json_object_del(claims, key);
		else if (json_is_integer(v) &&
		         (!strcmp(key, "exp") || !strcmp(key, "nbf") ||
		          !strcmp(key, "iat")))
			json_object_set_new(claims, key,
			                    json_integer(now + json_integer_value(v)));
		else
			json_object_set(claims, key, v);
	}
	json_decref(p);
}

/* Sign `claims` with cjose. Caller frees the token. */
static char *sign_claims(const cjose_jwk_t *key, const char *alg,
                         const char *kid, json_t *claims)
{
	cjose_err err;
	cjose_header_t *hdr = cjose_header_new(&err);
	char *payload = json_dumps(claims, JSON_COMPACT);
	cjose_jws_t *jws;
	const char *ser = NULL;
	char *out;

	assert_non_null(hdr);
	assert_non_null(payload);
	assert_true(cjose_header_set(hdr, CJOSE_HDR_ALG, alg, &err));
	assert_true(cjose_header_set(hdr, "typ", "at+jwt", &err));
	if (kid)
		assert_true(cjose_header_set(hdr, CJOSE_HDR_KID, kid, &err));
	jws = cjose_jws_sign(key, hdr, (const uint8_t *)payload, strlen(payload),
	                     &err);
	assert_non_null(jws);
	assert_true(cjose_jws_export(jws, &ser, &err));
	out = strdup(ser);
	cjose_jws_release(jws);
	cjose_header_release(hdr);
	free(payload);
	return out;
}

static char *make_token(const cjose_jwk_t *key, const char *alg,
                        const char *kid, const char *iss, const char *patch)
{
	int64_t now = now_s();
	json_t *c = std_claims(iss, now);
	char *t;

	apply_patch(c, patch, now);
	t = sign_claims(key, alg, kid, c);
	json_decref(c);
	return t;
}

static char *b64url(const void *p, size_t n)
{
	return core_base64_encode(p, n, true);
}

/* header.payload.signature from raw parts, signature already encoded. */
static char *hand_token(const char *hdr, const char *payload,
                        const char *sig_b64)
{
	char *h = b64url(hdr, strlen(hdr));
	char *p = b64url(payload, strlen(payload));
	size_t n = strlen(h) + strlen(p) + strlen(sig_b64) + 3;
	char *out = malloc(n);

	snprintf(out, n, "%s.%s.%s", h, p, sig_b64);
	free(h);
	free(p);
	return out;
}

static char *std_payload(void)
{
	json_t *c = std_claims(ISS, now_s());
	char *s = json_dumps(c, JSON_COMPACT);

	json_decref(c);
	return s;
}

static enum idp_result verify_with(const struct cfg_idp *cfg,
                                   const char *jwks, const char *token,
                                   size_t len, struct idp_principal **p,
                                   char *reason, size_t reasonlen)
{
	char err[256];
	struct idp_keyset *ks = idp_keyset_parse(jwks, strlen(jwks), err,
	                                         sizeof err);
	enum idp_result r;

	assert_non_null(ks);
	r = idp_verify_jwt(cfg, ks, token, len, now_s(), p, reason, reasonlen);
	idp_keyset_free(ks);
	return r;
}

/* ------------------------------------------------------------ token table */

enum signer { S_RSA1, S_RSA2, S_EVIL, S_EC1 };

struct vcase {
	const char *name;
	enum signer signer;
	const char *alg;
	const char *kid;           /* NULL: no kid in the header */
	const char *patch;         /* see apply_patch() */
	const char *subject_claim; /* NULL: sub */
	const char *algorithms;    /* NULL: RS256,PS256,ES256 */
	enum idp_result want;
	const char *want_reason;   /* substring of the reason, or NULL */
};

static const struct vcase vcases[] = {
	{"RS256", S_RSA1, "RS256", "rsa1", "{}", NULL, NULL, IDP_OK, NULL},
	{"PS256", S_RSA1, "PS256", "rsa1", "{}", NULL, NULL, IDP_OK, NULL},
	{"ES256", S_EC1, "ES256", "ec1", "{}", NULL, NULL, IDP_OK, NULL},
	{"second RSA key", S_RSA2, "RS256", "rsa2", "{}", NULL, NULL, IDP_OK,
	 NULL},
	{"expired", S_RSA1, "RS256", "rsa1", "{\"exp\":-120}", NULL, NULL,
	 IDP_ERR_EXPIRED, "token expired 120 s ago"},
	{"expired within skew", S_RSA1, "RS256", "rsa1", "{\"exp\":-30}", NULL,
	 NULL, IDP_OK, NULL},
	{"not yet valid", S_RSA1, "RS256", "rsa1", "{\"nbf\":300}", NULL, NULL,
	 IDP_ERR_NOT_YET_VALID, "not valid for another 300 s"},
	{"nbf within skew", S_RSA1, "RS256", "rsa1", "{\"nbf\":30}", NULL, NULL,
	 IDP_OK, NULL},
	{"issued in the future", S_RSA1, "RS256", "rsa1", "{\"iat\":300}", NULL,
	 NULL, IDP_ERR_ISSUED_IN_FUTURE, "issued 300 s in the future"},
	{"no nbf and no iat", S_RSA1, "RS256", "rsa1",
	 "{\"nbf\":\"-\",\"iat\":\"-\"}", NULL, NULL, IDP_OK, NULL},
	{"wrong audience", S_RSA1, "RS256", "rsa1", "{\"aud\":\"urn:other\"}",
	 NULL, NULL, IDP_ERR_AUDIENCE, "audience does not include 'urn:agentgate'"},
	{"audience array with ours", S_RSA1, "RS256", "rsa1",
	 "{\"aud\":[\"urn:other\",\"urn:agentgate\"]}", NULL, NULL, IDP_OK, NULL},
	{"audience array without ours", S_RSA1, "RS256", "rsa1",
	 "{\"aud\":[\"urn:other\",\"urn:agentgate2\"]}", NULL, NULL,
	 IDP_ERR_AUDIENCE, "audience does not include 'urn:agentgate'"},
	{"no audience", S_RSA1, "RS256", "rsa1", "{\"aud\":\"-\"}", NULL, NULL,
	 IDP_ERR_AUDIENCE, "no audience"},
	{"wrong issuer", S_RSA1, "RS256", "rsa1",
	 "{\"iss\":\"https://evil.example\"}", NULL, NULL, IDP_ERR_ISSUER,
	 "issuer 'https://evil.example' is not"},
	{"issuer with trailing slash", S_RSA1, "RS256", "rsa1",
	 "{\"iss\":\"https://idp.example.test/\"}", NULL, NULL, IDP_ERR_ISSUER,
	 NULL},
	{"no issuer", S_RSA1, "RS256", "rsa1", "{\"iss\":\"-\"}", NULL, NULL,
	 IDP_ERR_ISSUER, "no issuer"},
	{"bad signature (other key, same kid)", S_EVIL, "RS256", "rsa1", "{}",
	 NULL, NULL, IDP_ERR_SIGNATURE, "signature does not verify with key 'rsa1'"},
	{"unknown kid", S_RSA1, "RS256", "nope", "{}", NULL, NULL,
	 IDP_ERR_UNKNOWN_KID, "no key with kid 'nope'"},
	{"no kid, several keys", S_RSA1, "RS256", NULL, "{}", NULL, NULL,
	 IDP_ERR_UNKNOWN_KID, "no kid"},
	{"missing exp", S_RSA1, "RS256", "rsa1", "{\"exp\":\"-\"}", NULL, NULL,
	 IDP_ERR_CLAIMS, "no expiry (exp) claim"},
	{"exp not a number", S_RSA1, "RS256", "rsa1", "{\"exp\":\"tomorrow\"}",
	 NULL, NULL, IDP_ERR_CLAIMS, "'exp' is not a number"},
	{"exp out of range", S_RSA1, "RS256", "rsa1", "{\"exp\":1e300}", NULL,
	 NULL, IDP_ERR_CLAIMS, "'exp' is out of range"},
	{"missing subject", S_RSA1, "RS256", "rsa1", "{\"sub\":\"-\"}", NULL, NULL,
	 IDP_ERR_CLAIMS, "no 'sub' claim"},
	{"empty subject", S_RSA1, "RS256", "rsa1", "{\"sub\":\"\"}", NULL, NULL,
	 IDP_ERR_CLAIMS, "claim 'sub' is empty"},
	{"subject not a string", S_RSA1, "RS256", "rsa1", "{\"sub\":42}", NULL,
	 NULL, IDP_ERR_CLAIMS, "claim 'sub' is not a string"},
	{"subject with a control character", S_RSA1, "RS256", "rsa1",
	 "{\"sub\":\"a\\nb\"}", NULL, NULL, IDP_ERR_CLAIMS, "control characters"},
	{"client_id as subject", S_RSA1, "RS256", "rsa1",
	 "{\"client_id\":\"svc-1\"}", "client_id", NULL, IDP_OK, NULL},
	{"client_id missing", S_RSA1, "RS256", "rsa1", "{}", "client_id", NULL,
	 IDP_ERR_CLAIMS, "no 'client_id' claim"},
	{"groups as a string", S_RSA1, "RS256", "rsa1",
	 "{\"groups\":\"a  b c\"}", NULL, NULL, IDP_OK, NULL},
	{"groups holding a number", S_RSA1, "RS256", "rsa1",
	 "{\"groups\":[\"a\",1]}", NULL, NULL, IDP_ERR_CLAIMS, "not a string"},
	{"groups as an object", S_RSA1, "RS256", "rsa1", "{\"groups\":{}}", NULL,
	 NULL, IDP_ERR_CLAIMS, "neither an array nor a string"},
	{"algorithm not in the allow-list", S_RSA1, "RS384", "rsa1", "{}", NULL,
	 NULL, IDP_ERR_ALGORITHM, "algorithm RS384 is not allowed"},
	{"algorithm added to the allow-list", S_RSA1, "RS384", "rsa1", "{}", NULL,
	 "RS256,RS384", IDP_OK, NULL},
	{"ES256 with an RS256-only list", S_EC1, "ES256", "ec1", "{}", NULL,
	 "RS256", IDP_ERR_ALGORITHM, "algorithm ES256 is not allowed"},
	{"EC key named for RS256", S_RSA1, "RS256", "ec1", "{}", NULL, NULL,
	 IDP_ERR_ALGORITHM, "key 'ec1' is an EC P-256 key, not usable for RS256"},
	{"RSA key named for ES256", S_EC1, "ES256", "rsa1", "{}", NULL, NULL,
	 IDP_ERR_ALGORITHM, "key 'rsa1' is an RSA key, not usable for ES256"},
};

static const cjose_jwk_t *signer_key(enum signer s)
{
	switch (s) {
	case S_RSA1:
		return k_rsa1;
	case S_RSA2:
		return k_rsa2;
	case S_EVIL:
		return k_evil;
	case S_EC1:
		return k_ec1;
	}
	return NULL;
}

static void test_token_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
		const struct vcase *c = &vcases[i];
		struct cfg_idp cfg = base_cfg();
		struct idp_principal *p = NULL;
		char reason[IDP_REASON_LEN] = "";
		char *tok;
		enum idp_result r;

		if (c->subject_claim)
			cfg.subject_claim = (char *)c->subject_claim;
		if (c->algorithms)
			cfg.algorithms = (char *)c->algorithms;
		tok = make_token(signer_key(c->signer), c->alg, c->kid, ISS, c->patch);
		r = verify_with(&cfg, jwks_all, tok, strlen(tok), &p, reason,
		                sizeof reason);
		if (r != c->want ||
		    (c->want_reason && !strstr(reason, c->want_reason)))
			fail_msg("case '%s': got %s (%s), want %s (%s)", c->name,
			         idp_result_name(r), reason, idp_result_name(c->want),
			         c->want_reason ? c->want_reason : "");
		if (r == IDP_OK) {
			assert_non_null(p);
			assert_string_equal(reason, "");
		} else {
			assert_null(p);
			/* A reason never carries the token. */
			assert_null(strstr(reason, tok));
			assert_true(strlen(reason) > 0);
		}
		idp_principal_free(p);
		free(tok);
	}
}

static void test_principal_fields(void **state)
{
	struct cfg_idp cfg = base_cfg();
	struct idp_principal *p = NULL;
	char reason[IDP_REASON_LEN];
	int64_t now = now_s();
	json_t *c = std_claims(ISS, now);
	char *tok;

	(void)state;
	tok = sign_claims(k_rsa1, "RS256", "rsa1", c);
	assert_int_equal(verify_with(&cfg, jwks_all, tok, strlen(tok), &p, reason,
	                             sizeof reason),
	                 IDP_OK);
	assert_string_equal(p->idp, "corp");
	assert_string_equal(p->issuer, ISS);
	assert_string_equal(p->subject, "agent-7");
	assert_string_equal(p->name, "Agent Seven");
	assert_int_equal(p->n_groups, 2);
	assert_string_equal(p->groups[0], "readers");
	assert_string_equal(p->groups[1], "writers");
	assert_true(p->expires_at == now + 300);
	idp_principal_free(p);
	free(tok);
	json_decref(c);

	/* groups as a space separated string */
	tok = make_token(k_rsa1, "RS256", "rsa1", ISS,
	                 "{\"groups\":\" a  b c \",\"name\":\"-\"}");
	assert_int_equal(verify_with(&cfg, jwks_all, tok, strlen(tok), &p, reason,
	                             sizeof reason),
	                 IDP_OK);
	assert_int_equal(p->n_groups, 3);
	assert_string_equal(p->groups[0], "a");
	assert_string_equal(p->groups[1], "b");
	assert_string_equal(p->groups[2], "c");
	assert_null(p->name);
	idp_principal_free(p);
	free(tok);

	/* no groups claim at all: no groups, still fine */
	tok = make_token(k_rsa1, "RS256", "rsa1", ISS, "{\"groups\":\"-\"}");
	assert_int_equal(verify_with(&cfg, jwks_all, tok, strlen(tok), &p, reason,
	                             sizeof reason),
	                 IDP_OK);
	assert_int_equal(p->n_groups, 0);
	idp_principal_free(p);
	free(tok);

	/* client_id as the subject */
	cfg.subject_claim = "client_id";
	tok = make_token(k_ec1, "ES256", "ec1", ISS, "{\"client_id\":\"svc-1\"}");
	assert_int_equal(verify_with(&cfg, jwks_all, tok, strlen(tok), &p, reason,
	                             sizeof reason),
	                 IDP_OK);
	assert_string_equal(p->subject, "svc-1");
	idp_principal_free(p);
	free(tok);
}

static void test_group_limit(void **state)
{
	struct cfg_idp cfg = base_cfg();
	struct idp_principal *p = NULL;
	char reason[IDP_REASON_LEN];
	int64_t now = now_s();
	json_t *c = std_claims(ISS, now);
	json_t *groups = json_array();
	char *tok;

	(void)state;
	for (int i = 0; i < IDP_MAX_GROUPS; i++)
		json_array_append_new(groups, json_sprintf("g%d", i));
	json_object_set(c, "groups", groups);
	tok = sign_claims(k_rsa1, "RS256", "rsa1", c);
	assert_int_equal(verify_with(&cfg, jwks_all, tok, strlen(tok), &p, reason,
	                             sizeof reason),
	                 IDP_OK);
	assert_int_equal(p->n_groups, IDP_MAX_GROUPS);
	idp_principal_free(p);
	p = NULL;
	free(tok);

	json_array_append_new(groups, json_string("one-too-many"));
	tok = sign_claims(k_rsa1, "RS256", "rsa1", c);
	assert_int_equal(verify_with(&cfg, jwks_all, tok, strlen(tok), &p, reason,
	                             sizeof reason),
	                 IDP_ERR_CLAIMS);
	assert_non_null(strstr(reason, "more than 256 groups"));
	assert_null(p);
	free(tok);
	json_decref(groups);
	json_decref(c);
}

static void test_no_kid_single_key(void **state)
{
	struct cfg_idp cfg = base_cfg();
	struct idp_principal *p = NULL;
	char reason[IDP_REASON_LEN];
	char *tok = make_token(k_rsa1, "RS256", NULL, ISS, "{}");

	(void)state;
	assert_int_equal(verify_with(&cfg, jwks_rsa1, tok, strlen(tok), &p, reason,
	                             sizeof reason),
	                 IDP_OK);
	idp_principal_free(p);
	p = NULL;
	free(tok);
	/* ...but only when that key fits the algorithm */
	tok = make_token(k_ec1, "ES256", NULL, ISS, "{}");
	assert_int_equal(verify_with(&cfg, jwks_rsa1, tok, strlen(tok), &p, reason,
	                             sizeof reason),
	                 IDP_ERR_ALGORITHM);
	free(tok);
}

/* ---------------------------------------------------- hand-built attacks */

static void expect(const char *tok, size_t len, enum idp_result want,
                   const char *want_reason)
{
	struct cfg_idp cfg = base_cfg();
	struct idp_principal *p = NULL;
	char reason[IDP_REASON_LEN] = "";
	enum idp_result r = verify_with(&cfg, jwks_all, tok, len, &p, reason,
	                                sizeof reason);

	if (r != want || (want_reason && !strstr(reason, want_reason)))
		fail_msg("got %s (%s), want %s (%s)", idp_result_name(r), reason,
		         idp_result_name(want), want_reason ? want_reason : "");
	assert_null(p);
}

static void test_alg_none(void **state)
{
	char *payload = std_payload();
	char *tok;

	(void)state;
	tok = hand_token("{\"alg\":\"none\",\"kid\":\"rsa1\"}", payload, "");
	expect(tok, strlen(tok), IDP_ERR_ALGORITHM, "algorithm none is not allowed");
	free(tok);
	tok = hand_token("{\"alg\":\"NONE\"}", payload, "");
	expect(tok, strlen(tok), IDP_ERR_ALGORITHM, "algorithm none is not allowed");
	free(tok);
	/* none with a made-up signature */
	tok = hand_token("{\"alg\":\"none\",\"kid\":\"rsa1\"}", payload, "AAAA");
	expect(tok, strlen(tok), IDP_ERR_ALGORITHM, "algorithm none is not allowed");
	free(tok);
	free(payload);
}

/* The classic key-confusion attack: HS256 keyed with the RSA public key. */
static void test_hs256_with_public_key(void **state)
{
	char *payload = std_payload();
	cjose_err err;
	char *pub = cjose_jwk_to_json(k_rsa1, false, &err);
	char *h, *p, *input, *sig, *tok;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t n;

	(void)state;
	assert_non_null(pub);
	h = b64url("{\"alg\":\"HS256\",\"kid\":\"rsa1\"}",
	           strlen("{\"alg\":\"HS256\",\"kid\":\"rsa1\"}"));
	p = b64url(payload, strlen(payload));
	n = strlen(h) + strlen(p) + 2;
	input = malloc(n);
	snprintf(input, n, "%s.%s", h, p);
	assert_non_null(HMAC(EVP_sha256(), pub, (int)strlen(pub),
	                     (const unsigned char *)input, strlen(input), mac,
	                     &maclen));
	sig = b64url(mac, maclen);
	n = strlen(input) + strlen(sig) + 2;
	tok = malloc(n);
	snprintf(tok, n, "%s.%s", input, sig);
	expect(tok, strlen(tok), IDP_ERR_ALGORITHM, "algorithm HS256 is not allowed");

	/* Even a configuration that lists HS256 cannot enable it. */
	{
		struct cfg_idp cfg = base_cfg();
		struct idp_principal *pr = NULL;
		char reason[IDP_REASON_LEN];
		cfg.algorithms = "HS256,RS256";
		assert_int_equal(verify_with(&cfg, jwks_all, tok, strlen(tok), &pr,
		                             reason, sizeof reason),
		                 IDP_ERR_ALGORITHM);
		assert_null(pr);
	}
	free(tok);
	free(sig);
	free(input);
	free(h);
	free(p);
	cjose_get_dealloc()(pub);
	free(payload);
}

static void test_malformed(void **state)
{
	char *good = make_token(k_rsa1, "RS256", "rsa1", ISS, "{}");
	size_t glen = strlen(good);
	char *payload = std_payload();
	char *big, *tok;

	(void)state;
	expect("", 0, IDP_ERR_MALFORMED, "token is empty");
	expect(NULL, 0, IDP_ERR_MALFORMED, "token is empty");
	expect("garbage", 7, IDP_ERR_MALFORMED, "1 dot-separated parts");
	expect("hello world", 11, IDP_ERR_MALFORMED, "not base64url");
	expect("not.a.jwt", 9, IDP_ERR_MALFORMED, "header is not valid JSON");
	expect("a.b.c.d.e", 9, IDP_ERR_MALFORMED, "more than 3");
	expect("..", 2, IDP_ERR_MALFORMED, "header is empty");
	/* truncated: cut inside the payload (two parts left) */
	expect(good, strchr(good, '.') - good + 10, IDP_ERR_MALFORMED,
	       "2 dot-separated parts");
	/* truncated: four characters off the signature */
	expect(good, glen - 4, IDP_ERR_SIGNATURE, NULL);
	/* signature stripped */
	expect(good, strrchr(good, '.') - good + 1, IDP_ERR_MALFORMED,
	       "no signature");
	/* a NUL byte inside */
	{
		char *t = strdup(good);
		t[5] = '\0';
		expect(t, glen, IDP_ERR_MALFORMED, "not base64url");
		free(t);
	}
	/* standard base64 padding is not base64url */
	{
		size_t n = glen + 2;
		char *t = malloc(n + 1);
		memcpy(t, good, glen);
		memcpy(t + glen, "==", 3);
		expect(t, n, IDP_ERR_MALFORMED, "not base64url");
		free(t);
	}
	/* oversized */
	big = malloc(IDP_MAX_TOKEN_LEN + 2);
	memset(big, 'a', IDP_MAX_TOKEN_LEN + 1);
	big[100] = '.';
	big[200] = '.';
	big[IDP_MAX_TOKEN_LEN + 1] = '\0';
	expect(big, IDP_MAX_TOKEN_LEN + 1, IDP_ERR_MALFORMED,
	       "more than the limit of 16384");
	free(big);
	/* header JSON that is not an object, and an array payload */
	tok = hand_token("[\"RS256\"]", payload, "AAAA");
	expect(tok, strlen(tok), IDP_ERR_MALFORMED, "header is not a JSON object");
	free(tok);
	/* duplicate alg members must not confuse anybody */
	tok = hand_token("{\"alg\":\"RS256\",\"alg\":\"none\"}", payload, "AAAA");
	expect(tok, strlen(tok), IDP_ERR_MALFORMED, "header is not valid JSON");
	free(tok);
	/* critical extensions we do not understand */
	tok = hand_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"crit\":[\"x\"],"
	                 "\"x\":1}",
	                 payload, "AAAA");
	expect(tok, strlen(tok), IDP_ERR_MALFORMED, "critical");
	free(tok);
	/* no alg */
	tok = hand_token("{\"kid\":\"rsa1\"}", payload, "AAAA");
	expect(tok, strlen(tok), IDP_ERR_MALFORMED, "no alg");
	free(tok);
	/* an algorithm nobody supports */
	tok = hand_token("{\"alg\":\"EdDSA\",\"kid\":\"rsa1\"}", payload, "AAAA");
	expect(tok, strlen(tok), IDP_ERR_ALGORITHM, "EdDSA is not supported");
	free(tok);
	/* kid that is not a string */
	tok = hand_token("{\"alg\":\"RS256\",\"kid\":7}", payload, "AAAA");
	expect(tok, strlen(tok), IDP_ERR_MALFORMED, "kid is not a string");
	free(tok);
	/* payload that is not an object, under a valid signature */
	{
		json_t *arr = json_pack("[s]", "x");
		tok = sign_claims(k_rsa1, "RS256", "rsa1", arr);
		expect(tok, strlen(tok), IDP_ERR_MALFORMED, "payload");
		free(tok);
		json_decref(arr);
	}
	free(payload);
	free(good);
}

/* A hostile kid or issuer is quoted, cut and made printable in reasons. */
static void test_reason_sanitised(void **state)
{
	char kid[300];
	char *tok;
	struct cfg_idp cfg = base_cfg();
	struct idp_principal *p = NULL;
	char reason[IDP_REASON_LEN];

	(void)state;
	memset(kid, 'k', sizeof kid - 1);
	kid[sizeof kid - 1] = '\0';
	kid[3] = '\x1b';
	tok = make_token(k_rsa1, "RS256", kid, ISS, "{}");
	assert_int_equal(verify_with(&cfg, jwks_all, tok, strlen(tok), &p, reason,
	                             sizeof reason),
	                 IDP_ERR_UNKNOWN_KID);
	assert_null(strchr(reason, '\x1b'));
	assert_non_null(strstr(reason, "kkk?kkk"));
	assert_non_null(strstr(reason, "..."));
	free(tok);
}

/* ---------------------------------------------------------------- key set */

static void test_keyset_parse(void **state)
{
	char err[256];
	struct idp_keyset *ks;
	char *iss = NULL, *kid = NULL;
	char *tok;

	(void)state;
	assert_null(idp_keyset_parse("", 0, err, sizeof err));
	assert_null(idp_keyset_parse("{", 1, err, sizeof err));
	assert_non_null(strstr(err, "not valid JSON"));
	assert_null(idp_keyset_parse("{}", 2, err, sizeof err));
	assert_non_null(strstr(err, "no \"keys\" array"));
	assert_null(idp_keyset_parse("[]", 2, err, sizeof err));
	{
		/* only keys we must never verify with */
		const char *j = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":"
		                "\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"},"
		                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}]}";
		assert_null(idp_keyset_parse(j, strlen(j), err, sizeof err));
		assert_non_null(strstr(err, "no usable signature key"));
	}
	ks = idp_keyset_parse(jwks_all, strlen(jwks_all), err, sizeof err);
	assert_non_null(ks);
	assert_int_equal(idp_keyset_count(ks), 3);
	assert_true(idp_keyset_has_kid(ks, "rsa1"));
	assert_true(idp_keyset_has_kid(ks, "ec1"));
	assert_false(idp_keyset_has_kid(ks, "nope"));
	assert_false(idp_keyset_has_kid(ks, NULL));
	idp_keyset_free(ks);
	ks = idp_keyset_parse(jwks_rsa1, strlen(jwks_rsa1), err, sizeof err);
	assert_true(idp_keyset_has_kid(ks, NULL));
	idp_keyset_free(ks);

	/* encryption keys and oct keys are skipped, the rest kept */
	{
		json_t *doc = json_loads(jwks_all, 0, NULL);
		json_t *keys = json_object_get(doc, "keys");
		char *s;
		json_object_set_new(json_array_get(keys, 1), "use",
		                    json_string("enc"));
		json_array_append_new(keys, json_pack("{s:s,s:s,s:s}", "kty", "oct",
		                                      "kid", "rsa1", "k", "AAAA"));
		s = json_dumps(doc, JSON_COMPACT);
		ks = idp_keyset_parse(s, strlen(s), err, sizeof err);
		assert_non_null(ks);
		assert_int_equal(idp_keyset_count(ks), 2);
		assert_false(idp_keyset_has_kid(ks, "rsa2"));
		idp_keyset_free(ks);
		free(s);
		json_decref(doc);
	}

	/* a key pinned to RS256 is not used for PS256 */
	{
		json_t *doc = json_loads(jwks_rsa1, 0, NULL);
		struct cfg_idp cfg = base_cfg();
		struct idp_principal *p = NULL;
		char reason[IDP_REASON_LEN];
		char *s;
		json_object_set_new(json_array_get(json_object_get(doc, "keys"), 0),
		                    "alg", json_string("RS256"));
		s = json_dumps(doc, JSON_COMPACT);
		tok = make_token(k_rsa1, "PS256", "rsa1", ISS, "{}");
		assert_int_equal(verify_with(&cfg, s, tok, strlen(tok), &p, reason,
		                             sizeof reason),
		                 IDP_ERR_ALGORITHM);
		assert_non_null(strstr(reason, "pinned to RS256"));
		free(tok);
		tok = make_token(k_rsa1, "RS256", "rsa1", ISS, "{}");
		assert_int_equal(verify_with(&cfg, s, tok, strlen(tok), &p, reason,
		                             sizeof reason),
		                 IDP_OK);
		idp_principal_free(p);
		free(tok);
		free(s);
		json_decref(doc);
	}

	/* peek */
	tok = make_token(k_rsa1, "RS256", "rsa1", ISS, "{}");
	assert_true(idp_peek(tok, strlen(tok), &iss, &kid));
	assert_string_equal(iss, ISS);
	assert_string_equal(kid, "rsa1");
	free(iss);
	free(kid);
	free(tok);
	tok = make_token(k_rsa1, "RS256", NULL, ISS, "{\"iss\":\"-\"}");
	assert_true(idp_peek(tok, strlen(tok), &iss, &kid));
	assert_null(iss);
	assert_null(kid);
	free(tok);
	assert_false(idp_peek("x.y", 3, &iss, &kid));
	assert_false(idp_peek("", 0, &iss, &kid));
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(idp_result_name(IDP_OK), "ok");
	assert_string_equal(idp_result_name(IDP_ERR_EXPIRED), "expired");
	assert_string_equal(idp_result_name(IDP_ERR_UNKNOWN_KID), "unknown_kid");
	assert_string_equal(idp_result_name(IDP_ERR_KEYS_UNAVAILABLE),
	                    "keys_unavailable");
	assert_string_equal(idp_result_name((enum idp_result)99), "unknown");
}

/* ------------------------------------------------- reviewer ID tokens */

#define CLIENT "reviewer-web"

static enum idp_result id_verify(const struct cfg_idp *c, const char *patch,
                                 const char *nonce,
                                 struct idp_principal **p)
{
	char *tok = make_token(k_rsa1, "RS256", "rsa1", ISS, patch);
	struct idp_keyset *ks = idp_keyset_parse(jwks_all, strlen(jwks_all),
	                                         NULL, 0);
	char reason[IDP_REASON_LEN];
	enum idp_result r;

	assert_non_null(ks);
	*p = NULL;
	r = idp_verify_id_token(c, ks, tok, strlen(tok), now_s(), CLIENT, nonce,
	                        p, reason, sizeof reason);
	if (r != IDP_OK)
		assert_true(reason[0] != '\0');
	idp_keyset_free(ks);
	free(tok);
	return r;
}

static void test_id_token(void **state)
{
	static const struct {
		const char *patch;
		const char *nonce;
		enum idp_result want;
	} cases[] = {
		{"{\"aud\":\"" CLIENT "\",\"nonce\":\"n1\"}", "n1", IDP_OK},
		/* the nonce of another login, none, or not a string */
		{"{\"aud\":\"" CLIENT "\",\"nonce\":\"n2\"}", "n1", IDP_ERR_CLAIMS},
		{"{\"aud\":\"" CLIENT "\"}", "n1", IDP_ERR_CLAIMS},
		{"{\"aud\":\"" CLIENT "\",\"nonce\":7}", "n1", IDP_ERR_CLAIMS},
		{"{\"aud\":\"" CLIENT "\",\"nonce\":\"n\"}", "n1", IDP_ERR_CLAIMS},
		/* an agent's access token is no ID token of the page */
		{"{\"nonce\":\"n1\"}", "n1", IDP_ERR_AUDIENCE},
		/* several audiences need azp, and azp must be us */
		{"{\"aud\":[\"" CLIENT "\",\"other\"],\"nonce\":\"n1\"}", "n1",
		 IDP_ERR_AUDIENCE},
		{"{\"aud\":[\"" CLIENT "\",\"other\"],\"azp\":\"" CLIENT
		 "\",\"nonce\":\"n1\"}", "n1", IDP_OK},
		{"{\"aud\":\"" CLIENT "\",\"azp\":\"other\",\"nonce\":\"n1\"}",
		 "n1", IDP_ERR_AUDIENCE},
		{"{\"aud\":\"" CLIENT "\",\"nonce\":\"n1\",\"exp\":-120}", "n1",
		 IDP_ERR_EXPIRED},
		{"{\"aud\":\"" CLIENT "\",\"nonce\":\"n1\",\"sub\":\"-\"}", "n1",
		 IDP_ERR_CLAIMS},
	};
	struct cfg_idp c = base_cfg();
	struct idp_principal *p = NULL;

	(void)state;
	/* The agents' subject claim does not apply to ID tokens. */
	c.subject_claim = "client_id";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum idp_result r = id_verify(&c, cases[i].patch, cases[i].nonce, &p);
		if (r != cases[i].want)
			fail_msg("case %zu: got %s, want %s", i, idp_result_name(r),
			         idp_result_name(cases[i].want));
		if (r == IDP_OK) {
			assert_non_null(p);
			assert_string_equal(p->subject, "agent-7");
			assert_string_equal(p->issuer, ISS);
			assert_int_equal(p->n_groups, 2);
		} else {
			assert_null(p);
		}
		idp_principal_free(p);
		p = NULL;
	}
	assert_int_equal(id_verify(&c, "{\"aud\":\"" CLIENT
	                                "\",\"nonce\":\"n1\",\"email\":"
	                                "\"rita@example.test\"}",
	                           "n1", &p),
	                 IDP_OK);
	assert_string_equal(p->email, "rita@example.test");
	assert_string_equal(p->name, "Agent Seven");
	idp_principal_free(p);
	assert_int_equal(idp_verify_id_token(&c, NULL, "a.b.c", 5, now_s(), CLIENT,
	                                     "", &p, NULL, 0),
	                 IDP_ERR_CLAIMS);
}

static bool token_response(int status, const char *body, char **tok,
                           char reason[IDP_REASON_LEN])
{
	return idp_login_parse_token_response(status, body, strlen(body), tok,
	                                      reason, IDP_REASON_LEN);
}

static void test_login_requests(void **state)
{
	char *s, reason[IDP_REASON_LEN], *tok = NULL;
	char ch[IDP_LOGIN_SECRET_LEN + 1], a[IDP_LOGIN_SECRET_LEN + 1],
	    b[IDP_LOGIN_SECRET_LEN + 1];

	(void)state;
	s = idp_login_build_url("https://idp.test/auth", "web", "https://gw/cb",
	                        "openid email", "st", "no", "CH");
	assert_string_equal(s, "https://idp.test/auth?response_type=code"
	                       "&client_id=web&redirect_uri=https%3A%2F%2Fgw%2Fcb"
	                       "&scope=openid%20email&state=st&nonce=no"
	                       "&code_challenge=CH&code_challenge_method=S256");
	free(s);
	s = idp_login_build_url("https://idp.test/auth?tenant=a", "w", "r", "s",
	                        "t", "n", "c");
	assert_non_null(strstr(s, "/auth?tenant=a&response_type=code&"));
	free(s);
	s = idp_login_token_body("c/d", "v", "https://gw/cb");
	assert_string_equal(s, "grant_type=authorization_code&code=c%2Fd"
	                       "&redirect_uri=https%3A%2F%2Fgw%2Fcb&code_verifier=v");
	free(s);
	/* RFC 6749 2.3.1: form-encode both parts, then base64. */
	s = idp_login_basic_auth("web", "s:c");
	assert_string_equal(s, "Basic d2ViOnMlM0Fj");
	free(s);

	assert_true(token_response(200, "{\"id_token\":\"x.y.z\",\"access_token\""
	                                ":\"a\"}",
	                           &tok, reason));
	assert_string_equal(tok, "x.y.z");
	free(tok);
	assert_false(token_response(200, "{\"access_token\":1}", &tok, reason));
	assert_null(tok);
	assert_non_null(strstr(reason, "without an ID token"));
	assert_false(token_response(400, "{\"error\":\"invalid_grant\","
	                                 "\"error_description\":\"bad\"}",
	                            &tok, reason));
	assert_non_null(strstr(reason, "HTTP 400"));
	assert_non_null(strstr(reason, "invalid_grant: bad"));
	assert_false(token_response(502, "<html>", &tok, reason));
	assert_non_null(strstr(reason, "HTTP 502"));

	/* RFC 7636 appendix B. */
	idp_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch);
	assert_string_equal(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	idp_login_secret(a);
	idp_login_secret(b);
	assert_int_equal(strlen(a), IDP_LOGIN_SECRET_LEN);
	assert_string_not_equal(a, b);
}

static void test_url_policy(void **state)
{
	struct idp_url u;
	char err[256];

	(void)state;
	assert_true(idp_url_parse("https://idp.example.com/a/b?x=1", &u, err,
	                          sizeof err));
	assert_true(u.https);
	assert_string_equal(u.host, "idp.example.com");
	assert_int_equal(u.port, 443);
	assert_string_equal(u.path, "/a/b?x=1");
	assert_string_equal(u.host_header, "idp.example.com");
	idp_url_free(&u);
	assert_true(idp_url_parse("http://[::1]:8080", &u, err, sizeof err));
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.host_header, "[::1]:8080");
	assert_string_equal(u.path, "/");
	idp_url_free(&u);
	assert_true(idp_url_parse("http://localhost:9/x", &u, err, sizeof err));
	idp_url_free(&u);
	assert_false(idp_url_parse("http://idp.example.com/", &u, err, sizeof err));
	assert_non_null(strstr(err, "only allowed to a loopback host"));
	assert_false(idp_url_parse("http://10.0.0.1/", &u, err, sizeof err));
	assert_false(idp_url_parse("ftp://idp.example.com/", &u, err, sizeof err));
	assert_false(idp_url_parse("https://u:p@idp.example.com/", &u, err,
	                           sizeof err));
	assert_non_null(strstr(err, "credentials"));
	assert_false(idp_url_parse("not a url", &u, err, sizeof err));
	assert_false(idp_url_parse("", &u, err, sizeof err));
}

/* ------------------------------------------------------- test HTTP server */

struct server {
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *tls;            /* set: serve HTTPS */
	int port;
	char issuer[128];        /* what discovery claims, and what tokens use */
	char *jwks;              /* body of /jwks (owned) */
	char *discovery;         /* body of discovery, NULL = the default */
	int jwks_status;
	size_t jwks_big;         /* >0: /jwks returns this many bytes */
	bool hang;               /* never answer /jwks */
	int n_discovery, n_jwks;
};

static void server_set_jwks(struct server *s, const char *jwks)
{
	free(s->jwks);
	s->jwks = strdup(jwks);
}

static void reply(struct evhttp_request *req, int code, const char *body,
                  size_t len)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, body, len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", b);
	evbuffer_free(b);
}

static void server_cb(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	const char *uri = evhttp_request_get_uri(req);
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req),
	                                      "Host");

	/* The client must name the host it wants. */
	if (!host) {
		reply(req, 400, "no host", 7);
		return;
	}
	if (strcmp(uri, "/.well-known/openid-configuration") == 0) {
		char doc[512];
		s->n_discovery++;
		if (s->discovery) {
			reply(req, 200, s->discovery, strlen(s->discovery));
			return;
		}
		snprintf(doc, sizeof doc, "{\"issuer\":\"%s\",\"jwks_uri\":\"%s/jwks\"}",
		         s->issuer, s->issuer);
		reply(req, 200, doc, strlen(doc));
	} else if (strcmp(uri, "/jwks") == 0) {
		s->n_jwks++;
		if (s->hang)
			return;
		if (s->jwks_big) {
			char *b = malloc(s->jwks_big);
			memset(b, ' ', s->jwks_big);
			reply(req, 200, b, s->jwks_big);
			free(b);
			return;
		}
		reply(req, s->jwks_status, s->jwks, strlen(s->jwks));
	} else {
		reply(req, 404, "{}", 2);
	}
}

static struct bufferevent *server_bev_cb(struct event_base *base, void *arg)
{
	struct server *s = arg;

	return bufferevent_openssl_socket_new(base, -1, SSL_new(s->tls),
	                                      BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}

static void server_start(struct server *s, struct event_base *base,
                         SSL_CTX *tls, const char *host_in_issuer)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;

	memset(s, 0, sizeof *s);
	s->base = base;
	s->tls = tls;
	s->jwks_status = 200;
	s->jwks = strdup(jwks_rsa1);
	s->http = evhttp_new(base);
	assert_non_null(s->http);
	if (tls)
		evhttp_set_bevcb(s->http, server_bev_cb, s);
	evhttp_set_gencb(s->http, server_cb, s);
	bound = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
	assert_non_null(bound);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bound),
	                             (struct sockaddr *)&sin, &sl),
	                 0);
	s->port = ntohs(sin.sin_port);
	snprintf(s->issuer, sizeof s->issuer, "%s://%s:%d", tls ? "https" : "http",
	         host_in_issuer, s->port);
}

static void server_stop(struct server *s)
{
	evhttp_free(s->http);
	free(s->jwks);
	free(s->discovery);
}

/* ------------------------------------------------------------ loop helpers */

struct waiter {
	int calls;
	enum idp_result res;
	char reason[IDP_REASON_LEN];
	struct idp_principal *p;
};

static void on_verified(void *arg, enum idp_result res, const char *reason,
                        struct idp_principal *p)
{
	struct waiter *w = arg;

	w->calls++;
	w->res = res;
	snprintf(w->reason, sizeof w->reason, "%s", reason ? reason : "");
	idp_principal_free(w->p);
	w->p = p;
}

static void waiter_clear(struct waiter *w)
{
	idp_principal_free(w->p);
	memset(w, 0, sizeof *w);
}

static void flag_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

/* Run the loop until *calls reaches want, or for at most ms. */
static bool run_until(struct event_base *base, const int *calls, int want,
                      int ms)
{
	bool expired = false;
	struct event *guard = evtimer_new(base, flag_cb, &expired);
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(guard, &tv);
	while (*calls < want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
	return *calls >= want;
}

struct loop_fixture {
	struct event_base *base;
	struct server srv;
	struct cfg_idp idp;
	struct cfg cfg;
	struct idp_set *set;
};

static int loop_setup(void **state)
{
	struct loop_fixture *f = calloc(1, sizeof *f);

	f->base = event_base_new();
	assert_non_null(f->base);
	*state = f;
	return 0;
}

static int loop_teardown(void **state)
{
	struct loop_fixture *f = *state;

	idp_set_free(f->set);
	if (f->srv.http)
		server_stop(&f->srv);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* A set with one provider for the fixture's server. */
static void make_set(struct loop_fixture *f)
{
	char err[256] = "";

	f->idp = base_cfg();
	f->idp.issuer = f->srv.issuer;
	f->cfg.idps = &f->idp;
	f->cfg.n_idps = 1;
	f->set = idp_set_new(f->base, &f->cfg, err, sizeof err);
	if (!f->set)
		fail_msg("idp_set_new: %s", err);
}

static char *srv_token(struct loop_fixture *f, const cjose_jwk_t *k,
                       const char *alg, const char *kid)
{
	return make_token(k, alg, kid, f->srv.issuer, "{}");
}

static void run_until_ready(struct loop_fixture *f)
{
	bool expired = false;
	struct event *guard = evtimer_new(f->base, flag_cb, &expired);
	struct timeval tv = {RUN_TIMEOUT_MS / 1000, 0};

	evtimer_add(guard, &tv);
	while (!idp_set_ready(f->set) && !expired)
		event_base_loop(f->base, EVLOOP_ONCE);
	event_free(guard);
	assert_true(idp_set_ready(f->set));
}

/* Verify through the set and wait for the answer. */
static enum idp_result set_verify(struct loop_fixture *f, const char *tok,
                                  struct waiter *w)
{
	struct idp_request *req;

	waiter_clear(w);
	req = idp_set_verify(f->set, tok, strlen(tok), on_verified, w);
	assert_non_null(req);
	/* never called back from inside idp_set_verify() */
	assert_int_equal(w->calls, 0);
	assert_true(run_until(f->base, &w->calls, 1, RUN_TIMEOUT_MS));
	assert_int_equal(w->calls, 1);
	return w->res;
}

/* ------------------------------------------------------------ loop tests */

static void test_fetch_refresh_ratelimit(void **state)
{
	struct loop_fixture *f = *state;
	struct waiter w = {0}, w2 = {0}, w3 = {0};
	char *tok, *tok2, *tok3;

	server_start(&f->srv, f->base, NULL, "127.0.0.1");
	make_set(f);
	assert_false(idp_set_ready(f->set));

	/* Three requests before any keys: one fetch serves them all. */
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	assert_non_null(idp_set_verify(f->set, tok, strlen(tok), on_verified, &w));
	assert_non_null(idp_set_verify(f->set, tok, strlen(tok), on_verified, &w2));
	idp_set_start(f->set);
	assert_non_null(idp_set_verify(f->set, tok, strlen(tok), on_verified, &w3));
	assert_int_equal(w.calls + w2.calls + w3.calls, 0);
	assert_true(run_until(f->base, &w3.calls, 1, RUN_TIMEOUT_MS));
	assert_true(run_until(f->base, &w2.calls, 1, RUN_TIMEOUT_MS));
	assert_true(run_until(f->base, &w.calls, 1, RUN_TIMEOUT_MS));
	assert_int_equal(w.res, IDP_OK);
	assert_int_equal(w2.res, IDP_OK);
	assert_int_equal(w3.res, IDP_OK);
	assert_string_equal(w.p->subject, "agent-7");
	assert_string_equal(w.p->issuer, f->srv.issuer);
	assert_int_equal(f->srv.n_discovery, 1);
	assert_int_equal(f->srv.n_jwks, 1);
	assert_true(idp_set_ready(f->set));
	waiter_clear(&w2);
	waiter_clear(&w3);

	/* Known kid: no fetch. */
	assert_int_equal(set_verify(f, tok, &w), IDP_OK);
	assert_int_equal(f->srv.n_jwks, 1);

	/* Rotation: rsa2 appears; its first token triggers one refresh. */
	{
		cjose_jwk_t *both[] = {k_rsa1, k_rsa2};
		char *j = jwks_of(both, 2);
		server_set_jwks(&f->srv, j);
		free(j);
	}
	tok2 = srv_token(f, k_rsa2, "RS256", "rsa2");
	assert_int_equal(set_verify(f, tok2, &w), IDP_OK);
	assert_int_equal(f->srv.n_jwks, 2);
	assert_int_equal(f->srv.n_discovery, 1);

	/* Another rotation within jwks_refresh_min_interval: no refetch. */
	server_set_jwks(&f->srv, jwks_all);
	tok3 = srv_token(f, k_ec1, "ES256", "ec1");
	assert_int_equal(set_verify(f, tok3, &w), IDP_ERR_UNKNOWN_KID);
	assert_non_null(strstr(w.reason, "no key with kid 'ec1'"));
	assert_non_null(strstr(w.reason, "next refresh in"));
	assert_int_equal(f->srv.n_jwks, 2);

	/* Bad signature and wrong issuer through the set. */
	{
		char *evil = srv_token(f, k_evil, "RS256", "rsa1");
		char *other = make_token(k_rsa1, "RS256", "rsa1",
		                         "https://other.example", "{}");
		assert_int_equal(set_verify(f, evil, &w), IDP_ERR_SIGNATURE);
		assert_int_equal(set_verify(f, other, &w), IDP_ERR_ISSUER);
		assert_non_null(strstr(w.reason, "no identity provider is configured "
		                                 "for issuer 'https://other.example'"));
		assert_int_equal(set_verify(f, "garbage", &w), IDP_ERR_MALFORMED);
		free(evil);
		free(other);
	}
	assert_int_equal(f->srv.n_jwks, 2);

	waiter_clear(&w);
	free(tok);
	free(tok2);
	free(tok3);
}

/* A refresh allowed again after the interval finds the new key. */
static void test_refresh_after_interval(void **state)
{
	struct loop_fixture *f = *state;
	struct waiter w = {0};
	char *tok2;

	server_start(&f->srv, f->base, NULL, "127.0.0.1");
	make_set(f);
	/* make_set copied base_cfg(); lower the interval, then rebuild */
	idp_set_free(f->set);
	f->idp.jwks_refresh_min_interval = 1000;
	{
		char err[256];
		f->set = idp_set_new(f->base, &f->cfg, err, sizeof err);
		assert_non_null(f->set);
	}
	idp_set_start(f->set);
	run_until_ready(f);
	tok2 = srv_token(f, k_rsa2, "RS256", "rsa2");
	/* first unknown kid: refresh, still unknown */
	assert_int_equal(set_verify(f, tok2, &w), IDP_ERR_UNKNOWN_KID);
	assert_int_equal(f->srv.n_jwks, 2);
	/* within the interval: no refresh */
	server_set_jwks(&f->srv, jwks_all);
	assert_int_equal(set_verify(f, tok2, &w), IDP_ERR_UNKNOWN_KID);
	assert_int_equal(f->srv.n_jwks, 2);
	/* after it: refresh, and the key is there now */
	{
		int never = 0;
		run_until(f->base, &never, 1, 1100);
	}
	assert_int_equal(set_verify(f, tok2, &w), IDP_OK);
	assert_int_equal(f->srv.n_jwks, 3);
	waiter_clear(&w);
	free(tok2);
}

/* jwks_max_age refreshes in the background without any token asking. */
static void test_max_age_refresh(void **state)
{
	struct loop_fixture *f = *state;
	struct waiter w = {0};
	char err[256];
	char *tok;
	int never = 0;

	server_start(&f->srv, f->base, NULL, "127.0.0.1");
	f->idp = base_cfg();
	f->idp.issuer = f->srv.issuer;
	f->idp.jwks_max_age = 150;
	f->cfg.idps = &f->idp;
	f->cfg.n_idps = 1;
	f->set = idp_set_new(f->base, &f->cfg, err, sizeof err);
	assert_non_null(f->set);
	idp_set_start(f->set);
	run_until_ready(f);
	assert_int_equal(f->srv.n_jwks, 1);
	server_set_jwks(&f->srv, jwks_all);
	run_until(f->base, &never, 1, 400);
	assert_true(f->srv.n_jwks >= 2);
	/* the rotated key is known without an unknown-kid refresh */
	tok = srv_token(f, k_ec1, "ES256", "ec1");
	assert_int_equal(set_verify(f, tok, &w), IDP_OK);
	assert_int_equal(f->srv.n_discovery, 1);
	waiter_clear(&w);
	free(tok);
}

/* A callback may free the whole set; answers still pending are dropped. */
struct freeing_waiter {
	struct waiter w;
	struct loop_fixture *f;
};

static void on_verified_free_set(void *arg, enum idp_result res,
                                 const char *reason, struct idp_principal *p)
{
	struct freeing_waiter *fw = arg;

	on_verified(&fw->w, res, reason, p);
	idp_set_free(fw->f->set);
	fw->f->set = NULL;
}

static void test_free_set_from_callback(void **state)
{
	struct loop_fixture *f = *state;
	struct freeing_waiter fw = {{0}, f};
	struct waiter w2 = {0};
	char *tok;
	int never = 0;

	server_start(&f->srv, f->base, NULL, "127.0.0.1");
	make_set(f);
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	assert_non_null(idp_set_verify(f->set, tok, strlen(tok),
	                               on_verified_free_set, &fw));
	assert_non_null(idp_set_verify(f->set, tok, strlen(tok), on_verified,
	                               &w2));
	idp_set_start(f->set);
	assert_true(run_until(f->base, &fw.w.calls, 1, RUN_TIMEOUT_MS));
	assert_int_equal(fw.w.res, IDP_OK);
	assert_null(f->set);
	run_until(f->base, &never, 1, 50);
	assert_int_equal(w2.calls, 0);
	waiter_clear(&fw.w);
	free(tok);
}

static void test_cancel(void **state)
{
	struct loop_fixture *f = *state;
	struct waiter w = {0}, w2 = {0};
	struct idp_request *req;
	char *tok;
	int never = 0;

	server_start(&f->srv, f->base, NULL, "127.0.0.1");
	make_set(f);
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	/* cancelled while waiting for keys */
	req = idp_set_verify(f->set, tok, strlen(tok), on_verified, &w);
	assert_non_null(req);
	idp_set_start(f->set);
	idp_request_cancel(req);
	/* a second one completes normally */
	assert_non_null(idp_set_verify(f->set, tok, strlen(tok), on_verified, &w2));
	assert_true(run_until(f->base, &w2.calls, 1, RUN_TIMEOUT_MS));
	assert_int_equal(w2.res, IDP_OK);
	/* cancelled after being answered, before delivery */
	req = idp_set_verify(f->set, tok, strlen(tok), on_verified, &w);
	idp_request_cancel(req);
	req = idp_set_verify(f->set, "x", 1, on_verified, &w);
	idp_request_cancel(req);
	run_until(f->base, &never, 1, 100);
	assert_int_equal(w.calls, 0);
	/* pending requests are dropped silently when the set goes away */
	assert_non_null(idp_set_verify(f->set, tok, strlen(tok), on_verified, &w));
	idp_set_free(f->set);
	f->set = NULL;
	run_until(f->base, &never, 1, 50);
	assert_int_equal(w.calls, 0);
	waiter_clear(&w2);
	free(tok);
}

static void test_refused_transport(void **state)
{
	struct loop_fixture *f = *state;
	struct cfg_idp idp = base_cfg();
	struct cfg cfg;
	char err[256] = "";

	(void)f;
	memset(&cfg, 0, sizeof cfg);
	cfg.idps = &idp;
	cfg.n_idps = 1;
	idp.issuer = "http://idp.example.com";
	assert_null(idp_set_new(f->base, &cfg, err, sizeof err));
	assert_non_null(strstr(err, "only allowed to a loopback host"));
	idp.issuer = "https://idp.example.com";
	idp.jwks_uri = "http://10.1.2.3/jwks";
	assert_null(idp_set_new(f->base, &cfg, err, sizeof err));
	assert_non_null(strstr(err, "jwks_uri"));
	idp.jwks_uri = NULL;
	idp.algorithms = "RS256,HS256";
	assert_null(idp_set_new(f->base, &cfg, err, sizeof err));
	assert_non_null(strstr(err, "HS256"));
	idp.algorithms = "none";
	assert_null(idp_set_new(f->base, &cfg, err, sizeof err));
	idp.algorithms = "RS256";
	idp.audience = NULL;
	assert_null(idp_set_new(f->base, &cfg, err, sizeof err));
	assert_non_null(strstr(err, "audience"));
	idp.audience = AUD;
	idp.ca_file = "/nonexistent/ca.pem";
	assert_null(idp_set_new(f->base, &cfg, err, sizeof err));
	assert_non_null(strstr(err, "CA file"));
}

/* Discovery that points the JWKS at plain http on another host. */
static void test_discovery_to_remote_http(void **state)
{
	struct loop_fixture *f = *state;
	struct waiter w = {0};
	char *tok;
	char doc[256];

	server_start(&f->srv, f->base, NULL, "127.0.0.1");
	snprintf(doc, sizeof doc,
	         "{\"issuer\":\"%s\",\"jwks_uri\":\"http://idp.example.com/jwks\"}",
	         f->srv.issuer);
	f->srv.discovery = strdup(doc);
	make_set(f);
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	assert_int_equal(set_verify(f, tok, &w), IDP_ERR_KEYS_UNAVAILABLE);
	assert_non_null(strstr(w.reason, "only allowed to a loopback host"));
	assert_int_equal(f->srv.n_discovery, 1);
	assert_int_equal(f->srv.n_jwks, 0);
	assert_false(idp_set_ready(f->set));
	waiter_clear(&w);
	free(tok);
}

static void test_discovery_wrong_issuer(void **state)
{
	struct loop_fixture *f = *state;
	struct waiter w = {0};
	char *tok;

	server_start(&f->srv, f->base, NULL, "127.0.0.1");
	f->srv.discovery = strdup("{\"issuer\":\"https://evil.example\","
	                          "\"jwks_uri\":\"https://evil.example/jwks\"}");
	make_set(f);
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	assert_int_equal(set_verify(f, tok, &w), IDP_ERR_KEYS_UNAVAILABLE);
	assert_non_null(strstr(w.reason, "names issuer 'https://evil.example'"));
	assert_int_equal(f->srv.n_jwks, 0);
	waiter_clear(&w);
	free(tok);
}

static void test_jwks_errors(void **state)
{
	struct loop_fixture *f = *state;
	struct waiter w = {0};
	char *tok;

	server_start(&f->srv, f->base, NULL, "127.0.0.1");
	f->srv.jwks_status = 500;
	make_set(f);
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	assert_int_equal(set_verify(f, tok, &w), IDP_ERR_KEYS_UNAVAILABLE);
	assert_non_null(strstr(w.reason, "HTTP 500"));
	/* during backoff the answer is immediate, without another fetch */
	assert_int_equal(set_verify(f, tok, &w), IDP_ERR_KEYS_UNAVAILABLE);
	assert_int_equal(f->srv.n_jwks, 1);
	/* the retry (after 1 s) succeeds once the server is healthy */
	f->srv.jwks_status = 200;
	run_until_ready(f);
	assert_int_equal(f->srv.n_jwks, 2);
	assert_int_equal(set_verify(f, tok, &w), IDP_OK);

	/* an oversized JWKS is refused, the old keys stay */
	f->srv.jwks_big = 2 * 1024 * 1024;
	{
		char *tok2 = srv_token(f, k_rsa2, "RS256", "rsa2");
		assert_int_equal(set_verify(f, tok2, &w), IDP_ERR_UNKNOWN_KID);
		assert_non_null(strstr(w.reason, "key refresh failed"));
		free(tok2);
	}
	assert_int_equal(set_verify(f, tok, &w), IDP_OK);
	waiter_clear(&w);
	free(tok);
}

static void test_timeout_and_unreachable(void **state)
{
	struct loop_fixture *f = *state;
	struct waiter w = {0};
	char *tok;
	char err[256];

	server_start(&f->srv, f->base, NULL, "127.0.0.1");
	f->srv.hang = true;
	f->idp = base_cfg();
	f->idp.issuer = f->srv.issuer;
	f->idp.fetch_timeout = 300;
	f->cfg.idps = &f->idp;
	f->cfg.n_idps = 1;
	f->set = idp_set_new(f->base, &f->cfg, err, sizeof err);
	assert_non_null(f->set);
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	assert_int_equal(set_verify(f, tok, &w), IDP_ERR_KEYS_UNAVAILABLE);
	assert_non_null(strstr(w.reason, "within 300 ms"));
	idp_set_free(f->set);
	f->set = NULL;
	free(tok);

	/* nothing listening */
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sin;
		socklen_t sl = sizeof sin;
		char iss[64];
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
		close(fd);
		snprintf(iss, sizeof iss, "http://127.0.0.1:%d",
		         ntohs(sin.sin_port));
		f->idp = base_cfg();
		f->idp.issuer = iss;
		f->set = idp_set_new(f->base, &f->cfg, err, sizeof err);
		assert_non_null(f->set);
		tok = make_token(k_rsa1, "RS256", "rsa1", iss, "{}");
		assert_int_equal(set_verify(f, tok, &w), IDP_ERR_KEYS_UNAVAILABLE);
		assert_non_null(strstr(w.reason, "not available"));
		free(tok);
		idp_set_free(f->set);
		f->set = NULL;
	}
	waiter_clear(&w);
}

/* ------------------------------------------------------------------ HTTPS */

static char cert_path[256];
static SSL_CTX *server_tls;

/* A self-signed certificate for DNS name "localhost" only. */
static int tls_setup(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	FILE *fp;
	int fd;

	if (loop_setup(state) != 0)
		return -1;
	if (server_tls)
		return 0;
	assert_non_null(key);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)"agentgate test", -1, -1,
	                           0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	                          "DNS:localhost");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);

	snprintf(cert_path, sizeof cert_path, "%s/idp-test-ca-XXXXXX", P_tmpdir);
	fd = mkstemp(cert_path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_true(PEM_write_X509(fp, x));
	fclose(fp);

	server_tls = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(server_tls, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(server_tls, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
	return 0;
}

static int tls_group_teardown(void **state)
{
	(void)state;
	if (cert_path[0])
		unlink(cert_path);
	SSL_CTX_free(server_tls);
	return 0;
}

static void test_https(void **state)
{
	struct loop_fixture *f = *state;
	struct waiter w = {0};
	char *tok;
	char err[256];

	/* Trusted CA and matching host name. */
	server_start(&f->srv, f->base, server_tls, "localhost");
	f->idp = base_cfg();
	f->idp.issuer = f->srv.issuer;
	f->idp.ca_file = cert_path;
	f->cfg.idps = &f->idp;
	f->cfg.n_idps = 1;
	f->set = idp_set_new(f->base, &f->cfg, err, sizeof err);
	if (!f->set)
		fail_msg("idp_set_new: %s", err);
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	assert_int_equal(set_verify(f, tok, &w), IDP_OK);
	assert_int_equal(f->srv.n_jwks, 1);
	idp_set_free(f->set);
	f->set = NULL;
	free(tok);

	/* System CAs do not know our certificate. */
	f->idp.ca_file = NULL;
	f->set = idp_set_new(f->base, &f->cfg, err, sizeof err);
	assert_non_null(f->set);
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	assert_int_equal(set_verify(f, tok, &w), IDP_ERR_KEYS_UNAVAILABLE);
	assert_non_null(strstr(w.reason, "certificate verification failed"));
	idp_set_free(f->set);
	f->set = NULL;
	free(tok);
	server_stop(&f->srv);

	/* Right CA, wrong name: the certificate is for localhost only. */
	server_start(&f->srv, f->base, server_tls, "127.0.0.1");
	f->idp.issuer = f->srv.issuer;
	f->idp.ca_file = cert_path;
	f->set = idp_set_new(f->base, &f->cfg, err, sizeof err);
	assert_non_null(f->set);
	tok = srv_token(f, k_rsa1, "RS256", "rsa1");
	assert_int_equal(set_verify(f, tok, &w), IDP_ERR_KEYS_UNAVAILABLE);
	assert_non_null(strstr(w.reason, "certificate verification failed"));
	assert_int_equal(f->srv.n_discovery, 0);
	free(tok);
	waiter_clear(&w);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_token_table),
		cmocka_unit_test(test_principal_fields),
		cmocka_unit_test(test_group_limit),
		cmocka_unit_test(test_no_kid_single_key),
		cmocka_unit_test(test_alg_none),
		cmocka_unit_test(test_hs256_with_public_key),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_reason_sanitised),
		cmocka_unit_test(test_keyset_parse),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_id_token),
		cmocka_unit_test(test_login_requests),
		cmocka_unit_test(test_url_policy),
		cmocka_unit_test_setup_teardown(test_fetch_refresh_ratelimit,
		                                loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_refresh_after_interval,
		                                loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_max_age_refresh, loop_setup,
		                                loop_teardown),
		cmocka_unit_test_setup_teardown(test_cancel, loop_setup,
		                                loop_teardown),
		cmocka_unit_test_setup_teardown(test_free_set_from_callback,
		                                loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_refused_transport, loop_setup,
		                                loop_teardown),
		cmocka_unit_test_setup_teardown(test_discovery_to_remote_http,
		                                loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_discovery_wrong_issuer,
		                                loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_jwks_errors, loop_setup,
		                                loop_teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_unreachable,
		                                loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_https, tls_setup,
		                                loop_teardown),
	};
	int failed;

	/* Like any libevent program: a peer closing early must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	failed = cmocka_run_group_tests_name("idp", pure, keys_setup,
	                                     keys_teardown);

	tls_group_teardown(NULL);
	return failed;
}
