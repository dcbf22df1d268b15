/*
 * jwt.c: the pure half of idp — parse a JWKS into a key set, read a token's
 * unverified header and issuer, and verify a compact JWS access token (or a
 * reviewer's OpenID Connect ID token) with cjose against a key set and one
 * provider's settings, checking every registered claim ourselves.
 *
 * It does no I/O, keeps no clock of its own (callers pass `now`) and never
 * puts token bytes into a reason or a log line. It deliberately supports
 * asymmetric signatures only: "none" and every HMAC algorithm are refused
 * before a key is even looked up, whatever the configuration says.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjose/cjose.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "core/core.h"
#include "idp/idp.h"
#include "idp/internal.h"

/* Seconds values beyond this are refused rather than risk overflow when we
 * add the clock skew (1e15 s is about 31 million years). */
#define TIME_LIMIT 1000000000000000LL
/* Clock skew is trusted configuration, but keep the arithmetic bounded. */
#define MAX_SKEW_S 86400LL
/* Weakest RSA modulus we verify with (bits). */
#define MIN_RSA_BITS 2048

/* ------------------------------------------------------------- helpers */

static void say(char *reason, size_t reasonlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *reason, size_t reasonlen, const char *fmt, ...)
{
	va_list ap;

	if (!reason || reasonlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, reasonlen, fmt, ap);
	va_end(ap);
}

#define QUOTE_CHARS 64

void idp_quote(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	if (!s)
		s = "";
	for (size_t i = 0; s[i] && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == QUOTE_CHARS || o + 4 >= outlen) {
			/* Mark the cut when there is room for it. */
			const char *dots = "...";
			for (size_t k = 0; dots[k] && o + 1 < outlen; k++)
				out[o++] = dots[k];
			break;
		}
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

/* --------------------------------------------------------- algorithms */

enum key_kind { KIND_RSA, KIND_EC };

struct alg_info {
	const char *name;
	enum key_kind kind;
	const char *crv; /* EC curve name for ES*, NULL for RSA */
};

static const struct alg_info algorithms[] = {
	{"RS256", KIND_RSA, NULL}, {"RS384", KIND_RSA, NULL},
	{"RS512", KIND_RSA, NULL}, {"PS256", KIND_RSA, NULL},
	{"PS384", KIND_RSA, NULL}, {"PS512", KIND_RSA, NULL},
	{"ES256", KIND_EC, "P-256"}, {"ES384", KIND_EC, "P-384"},
	{"ES512", KIND_EC, "P-521"},
};

static const struct alg_info *find_alg(const char *name)
{
	for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
		if (strcmp(algorithms[i].name, name) == 0)
			return &algorithms[i];
	return NULL;
}

bool idp_alg_supported(const char *alg)
{
	return alg && find_alg(alg) != NULL;
}

/* ------------------------------------------------------------- key set */

struct ks_key {
	char *kid;          /* NULL when the JWK has none */
	enum key_kind kind;
	char *crv;          /* EC only */
	char *alg;          /* the JWK's own "alg", when it pins one */
	json_t *json;       /* the JWK, kept for lazy import */
	cjose_jwk_t *jwk;   /* imported on first use */
	bool import_failed; /* tried once and failed; do not retry */
};

struct idp_keyset {
	/* The array is not const through a const key set: importing a key
	 * caches it here, which is invisible to callers. */
	struct ks_key *keys;
	size_t n;
};

static void key_clear(struct ks_key *k)
{
	free(k->kid);
	free(k->crv);
	free(k->alg);
	if (k->json)
		json_decref(k->json);
	if (k->jwk)
		cjose_jwk_release(k->jwk);
	memset(k, 0, sizeof *k);
}

void idp_keyset_free(struct idp_keyset *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->n; i++)
		key_clear(&ks->keys[i]);
	free(ks->keys);
	free(ks);
}

size_t idp_keyset_count(const struct idp_keyset *ks)
{
	return ks ? ks->n : 0;
}

/* True when a JWK's key_ops either is absent or allows "verify". */
static bool ops_allow_verify(json_t *ops)
{
	size_t i;
	json_t *v;

	if (!ops)
		return true;
	if (!json_is_array(ops))
		return false;
	json_array_foreach (ops, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "verify") == 0)
			return true;
	return false;
}

/* Take one JWK into the set when we could ever verify with it. Keys of
 * other types (oct, OKP), encryption keys and malformed entries are skipped:
 * a JWKS may legitimately carry keys we do not use. */
static void keyset_take(struct idp_keyset *ks, json_t *jwk)
{
	json_t *kty, *kid, *crv, *use, *alg;
	struct ks_key *k;

	if (!json_is_object(jwk))
		return;
	kty = json_object_get(jwk, "kty");
	kid = json_object_get(jwk, "kid");
	crv = json_object_get(jwk, "crv");
	use = json_object_get(jwk, "use");
	alg = json_object_get(jwk, "alg");
	if (!json_is_string(kty))
		return;
	if (kid && (!json_is_string(kid) ||
	            strlen(json_string_value(kid)) != json_string_length(kid)))
		return;
	if (use && (!json_is_string(use) ||
	            strcmp(json_string_value(use), "sig") != 0))
		return;
	if (alg && (!json_is_string(alg) || !find_alg(json_string_value(alg))))
		return;
	if (!ops_allow_verify(json_object_get(jwk, "key_ops")))
		return;

	k = &ks->keys[ks->n];
	memset(k, 0, sizeof *k);
	if (strcmp(json_string_value(kty), "RSA") == 0) {
		k->kind = KIND_RSA;
	} else if (strcmp(json_string_value(kty), "EC") == 0) {
		if (!json_is_string(crv))
			return;
		k->kind = KIND_EC;
		k->crv = core_xstrdup(json_string_value(crv));
	} else {
		return;
	}
	if (kid)
		k->kid = core_xstrdup(json_string_value(kid));
	if (alg)
		k->alg = core_xstrdup(json_string_value(alg));
	k->json = json_incref(jwk);
	ks->n++;
}

struct idp_keyset *idp_keyset_parse(const char *json, size_t len, char *err,
                                    size_t errlen)
{
	json_error_t jerr;
	json_t *doc = NULL, *keys;
	struct idp_keyset *ks = NULL;
	size_t i, n;
	json_t *v;

	if (!json || len == 0) {
		say(err, errlen, "JWKS is empty");
		return NULL;
	}
	if (len > IDP_MAX_DOC_SIZE) {
		say(err, errlen, "JWKS is %zu bytes, more than the limit of %d", len,
		    IDP_MAX_DOC_SIZE);
		return NULL;
	}
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		say(err, errlen, "JWKS is not valid JSON (line %d: %s)", jerr.line,
		    jerr.text);
		return NULL;
	}
	keys = json_object_get(doc, "keys");
	if (!json_is_object(doc) || !json_is_array(keys)) {
		say(err, errlen, "JWKS has no \"keys\" array");
		goto fail;
	}
	n = json_array_size(keys);
	if (n > IDP_MAX_JWKS_KEYS) {
		say(err, errlen, "JWKS has %zu keys, more than the limit of %d", n,
		    IDP_MAX_JWKS_KEYS);
		goto fail;
	}
	ks = core_xcalloc(1, sizeof *ks);
	ks->keys = core_xcalloc(n ? n : 1, sizeof *ks->keys);
	json_array_foreach (keys, i, v)
		keyset_take(ks, v);
	if (ks->n == 0) {
		say(err, errlen,
		    "JWKS has no usable signature key (RSA or EC) among %zu", n);
		goto fail;
	}
	json_decref(doc);
	return ks;

fail:
	idp_keyset_free(ks);
	json_decref(doc);
	return NULL;
}

bool idp_keyset_has_kid(const struct idp_keyset *ks, const char *kid)
{
	if (!ks)
		return false;
	if (!kid)
		return ks->n == 1;
	for (size_t i = 0; i < ks->n; i++)
		if (ks->keys[i].kid && strcmp(ks->keys[i].kid, kid) == 0)
			return true;
	return false;
}

/* Import a key on first use; later calls reuse it. */
static cjose_jwk_t *key_get(struct ks_key *k)
{
	cjose_err cerr;

	if (k->jwk || k->import_failed)
		return k->jwk;
	k->jwk = cjose_jwk_import_json((cjose_header_t *)k->json, &cerr);
	if (!k->jwk)
		k->import_failed = true;
	return k->jwk;
}

/* ------------------------------------------------------- token parsing */

static bool is_b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The three segments of a compact JWS, as offsets into the token. */
struct segments {
	size_t hdr_off, hdr_len;
	size_t pay_off, pay_len;
	size_t sig_off, sig_len;
};

static enum idp_result split_token(const char *token, size_t len,
                                   struct segments *s, char *reason,
                                   size_t reasonlen)
{
	size_t dots[2];
	size_t n_dots = 0;

	if (!token || len == 0) {
		say(reason, reasonlen, "token is empty");
		return IDP_ERR_MALFORMED;
	}
	if (len > IDP_MAX_TOKEN_LEN) {
		say(reason, reasonlen, "token is %zu bytes, more than the limit of %d",
		    len, IDP_MAX_TOKEN_LEN);
		return IDP_ERR_MALFORMED;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)token[i];
		if (c == '.') {
			if (n_dots == 2) {
				say(reason, reasonlen,
				    "token has more than 3 dot-separated parts (JWE or "
				    "garbage?)");
				return IDP_ERR_MALFORMED;
			}
			dots[n_dots++] = i;
		} else if (!is_b64url_char(c)) {
			say(reason, reasonlen,
			    "token contains a character that is not base64url at "
			    "offset %zu",
			    i);
			return IDP_ERR_MALFORMED;
		}
	}
	if (n_dots != 2) {
		say(reason, reasonlen,
		    "token has %zu dot-separated parts, a compact JWS has 3",
		    n_dots + 1);
		return IDP_ERR_MALFORMED;
	}
	s->hdr_off = 0;
	s->hdr_len = dots[0];
	s->pay_off = dots[0] + 1;
	s->pay_len = dots[1] - dots[0] - 1;
	s->sig_off = dots[1] + 1;
	s->sig_len = len - dots[1] - 1;
	if (s->hdr_len == 0) {
		say(reason, reasonlen, "token header is empty");
		return IDP_ERR_MALFORMED;
	}
	if (s->pay_len == 0) {
		say(reason, reasonlen, "token payload is empty");
		return IDP_ERR_MALFORMED;
	}
	return IDP_OK;
}

/* Decode one base64url segment and parse it as a JSON object. */
static json_t *segment_json(const char *seg, size_t len, const char *what,
                            char *reason, size_t reasonlen)
{
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	json_error_t jerr;
	json_t *obj;

	if (!core_base64_decode(seg, len, true, &raw, &rawlen)) {
		say(reason, reasonlen, "token %s is not valid base64url", what);
		return NULL;
	}
	obj = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, &jerr);
	core_wipe(raw, rawlen);
	free(raw);
	if (!obj) {
		say(reason, reasonlen, "token %s is not valid JSON", what);
		return NULL;
	}
	if (!json_is_object(obj)) {
		say(reason, reasonlen, "token %s is not a JSON object", what);
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* A string member without embedded NUL, or NULL. */
static const char *plain_string(json_t *v)
{
	if (!json_is_string(v))
		return NULL;
	if (strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

bool idp_peek_reason(const char *token, size_t len, char **iss, char **kid,
                     char *reason, size_t reasonlen)
{
	struct segments s;
	json_t *hdr = NULL, *pay = NULL, *v;
	bool ok = false;

	*iss = NULL;
	*kid = NULL;
	if (split_token(token, len, &s, reason, reasonlen) != IDP_OK)
		return false;
	hdr = segment_json(token + s.hdr_off, s.hdr_len, "header", reason,
	                   reasonlen);
	if (!hdr)
		goto out;
	pay = segment_json(token + s.pay_off, s.pay_len, "payload", reason,
	                   reasonlen);
	if (!pay)
		goto out;
	v = json_object_get(hdr, "kid");
	if (v && !plain_string(v)) {
		say(reason, reasonlen, "token header kid is not a string");
		goto out;
	}
	if (v)
		*kid = core_xstrdup(json_string_value(v));
	if (plain_string(json_object_get(pay, "iss")))
		*iss = core_xstrdup(json_string_value(json_object_get(pay, "iss")));
	ok = true;

out:
	if (hdr)
		json_decref(hdr);
	if (pay)
		json_decref(pay);
	return ok;
}

bool idp_peek(const char *token, size_t len, char **iss, char **kid)
{
	return idp_peek_reason(token, len, iss, kid, NULL, 0);
}

/* ------------------------------------------------------------ principal */

void idp_principal_free(struct idp_principal *p)
{
	if (!p)
		return;
	free(p->idp);
	free(p->issuer);
	free(p->subject);
	free(p->name);
	free(p->email);
	for (size_t i = 0; i < p->n_groups; i++)
		free(p->groups[i]);
	free(p->groups);
	free(p);
}

const char *idp_result_name(enum idp_result r)
{
	switch (r) {
	case IDP_OK:
		return "ok";
	case IDP_ERR_MALFORMED:
		return "malformed";
	case IDP_ERR_ALGORITHM:
		return "algorithm";
	case IDP_ERR_UNKNOWN_KID:
		return "unknown_kid";
	case IDP_ERR_SIGNATURE:
		return "signature";
	case IDP_ERR_ISSUER:
		return "issuer";
	case IDP_ERR_AUDIENCE:
		return "audience";
	case IDP_ERR_EXPIRED:
		return "expired";
	case IDP_ERR_NOT_YET_VALID:
		return "not_yet_valid";
	case IDP_ERR_ISSUED_IN_FUTURE:
		return "issued_in_future";
	case IDP_ERR_CLAIMS:
		return "claims";
	case IDP_ERR_KEYS_UNAVAILABLE:
		return "keys_unavailable";
	}
	return "unknown";
}

/* --------------------------------------------------------------- checks */

/* The header: a known asymmetric alg that the provider allows, no critical
 * extensions (we understand none), and an optional string kid. */
static enum idp_result check_header(const struct cfg_idp *cfg, json_t *hdr,
                                    const struct alg_info **alg_out,
                                    const char **kid_out, char *reason,
                                    size_t reasonlen)
{
	const char *allowed = cfg->algorithms ? cfg->algorithms
	                                      : IDP_DEFAULT_ALGORITHMS;
	json_t *v = json_object_get(hdr, "alg");
	const char *alg = plain_string(v);
	char q[80];

	if (!alg) {
		say(reason, reasonlen, "token header has no alg string");
		return IDP_ERR_MALFORMED;
	}
	idp_quote(alg, q, sizeof q);
	if (strcasecmp(alg, "none") == 0) {
		say(reason, reasonlen, "algorithm none is not allowed");
		return IDP_ERR_ALGORITHM;
	}
	if (strncasecmp(alg, "HS", 2) == 0) {
		say(reason, reasonlen,
		    "algorithm %s is not allowed (HMAC is never accepted)", q);
		return IDP_ERR_ALGORITHM;
	}
	*alg_out = find_alg(alg);
	if (!*alg_out) {
		say(reason, reasonlen, "algorithm %s is not supported", q);
		return IDP_ERR_ALGORITHM;
	}
	if (!cfg_list_contains(allowed, alg)) {
		say(reason, reasonlen, "algorithm %s is not allowed", q);
		return IDP_ERR_ALGORITHM;
	}
	if (json_object_get(hdr, "crit")) {
		say(reason, reasonlen,
		    "token header lists critical extensions, none are supported");
		return IDP_ERR_MALFORMED;
	}
	v = json_object_get(hdr, "kid");
	*kid_out = NULL;
	if (v) {
		*kid_out = plain_string(v);
		if (!*kid_out) {
			say(reason, reasonlen, "token header kid is not a string");
			return IDP_ERR_MALFORMED;
		}
	}
	return IDP_OK;
}

static const char *kind_name(const struct ks_key *k)
{
	return k->kind == KIND_RSA ? "RSA" : "EC";
}

/* Choose the key for (kid, alg). A token without kid may use the only key of
 * a one-key set. A key whose type, curve or pinned alg does not fit the
 * token's alg is never used for it. */
static enum idp_result select_key(const struct idp_keyset *ks, const char *kid,
                                  const struct alg_info *alg,
                                  cjose_jwk_t **out, char *reason,
                                  size_t reasonlen)
{
	struct ks_key *mismatch = NULL;
	char qk[80];

	idp_quote(kid ? kid : "", qk, sizeof qk);
	if (!ks || ks->n == 0) {
		say(reason, reasonlen, "no keys are available");
		return IDP_ERR_KEYS_UNAVAILABLE;
	}
	if (!kid && ks->n != 1) {
		say(reason, reasonlen,
		    "token has no kid and the key set holds %zu keys", ks->n);
		return IDP_ERR_UNKNOWN_KID;
	}
	for (size_t i = 0; i < ks->n; i++) {
		struct ks_key *k = &ks->keys[i];
		cjose_jwk_t *jwk;
		cjose_err cerr;

		if (kid && (!k->kid || strcmp(k->kid, kid) != 0))
			continue;
		if (k->kind != alg->kind ||
		    (alg->crv && (!k->crv || strcmp(alg->crv, k->crv) != 0)) ||
		    (k->alg && strcmp(k->alg, alg->name) != 0)) {
			mismatch = k;
			continue;
		}
		jwk = key_get(k);
		if (!jwk) {
			say(reason, reasonlen, "key '%s' could not be imported", qk);
			return IDP_ERR_KEYS_UNAVAILABLE;
		}
		if (alg->kind == KIND_RSA &&
		    cjose_jwk_get_keysize(jwk, &cerr) < MIN_RSA_BITS) {
			say(reason, reasonlen,
			    "key '%s' is a %zu-bit RSA key, at least %d bits are "
			    "required",
			    qk, cjose_jwk_get_keysize(jwk, &cerr), MIN_RSA_BITS);
			return IDP_ERR_ALGORITHM;
		}
		*out = jwk;
		return IDP_OK;
	}
	if (mismatch) {
		say(reason, reasonlen, "key '%s' is an %s%s%s key%s%s, not usable "
		                       "for %s",
		    qk, kind_name(mismatch), mismatch->crv ? " " : "",
		    mismatch->crv ? mismatch->crv : "",
		    mismatch->alg ? " pinned to " : "",
		    mismatch->alg ? mismatch->alg : "", alg->name);
		return IDP_ERR_ALGORITHM;
	}
	say(reason, reasonlen, "no key with kid '%s'", qk);
	return IDP_ERR_UNKNOWN_KID;
}

/* A NumericDate claim: *present tells whether it is there; a value of the
 * wrong type or out of range is an error. */
static enum idp_result time_claim(json_t *pay, const char *name,
                                  int64_t *out, bool *present, char *reason,
                                  size_t reasonlen)
{
	json_t *v = json_object_get(pay, name);

	*present = false;
	if (!v)
		return IDP_OK;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i > TIME_LIMIT || i < -TIME_LIMIT)
			goto range;
		*out = (int64_t)i;
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!isfinite(d) || d > (double)TIME_LIMIT || d < -(double)TIME_LIMIT)
			goto range;
		*out = (int64_t)floor(d);
	} else {
		say(reason, reasonlen, "claim '%s' is not a number", name);
		return IDP_ERR_CLAIMS;
	}
	*present = true;
	return IDP_OK;

range:
	say(reason, reasonlen, "claim '%s' is out of range", name);
	return IDP_ERR_CLAIMS;
}

static enum idp_result check_audience(const struct cfg_idp *cfg, json_t *pay,
                                      char *reason, size_t reasonlen)
{
	json_t *aud = json_object_get(pay, "aud");
	char q[80];

	idp_quote(cfg->audience, q, sizeof q);
	if (!cfg->audience || !cfg->audience[0]) {
		say(reason, reasonlen, "provider has no audience configured");
		return IDP_ERR_AUDIENCE;
	}
	if (!aud) {
		say(reason, reasonlen, "token has no audience (aud) claim");
		return IDP_ERR_AUDIENCE;
	}
	if (json_is_string(aud)) {
		if (plain_string(aud) && strcmp(plain_string(aud), cfg->audience) == 0)
			return IDP_OK;
	} else if (json_is_array(aud)) {
		size_t i;
		json_t *v;
		json_array_foreach (aud, i, v)
			if (plain_string(v) && strcmp(plain_string(v), cfg->audience) == 0)
				return IDP_OK;
	} else {
		say(reason, reasonlen, "audience claim is neither string nor array");
		return IDP_ERR_AUDIENCE;
	}
	say(reason, reasonlen, "audience does not include '%s'", q);
	return IDP_ERR_AUDIENCE;
}

/* A claim value we copy into the principal: bounded, no NUL, no control
 * characters (it ends up in logs and SQL comments). */
static bool claim_text_ok(const char *s, size_t len)
{
	if (len > IDP_MAX_CLAIM_LEN || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static enum idp_result add_group(struct idp_principal *p, const char *claim,
                                 const char *s, size_t len, char *reason,
                                 size_t reasonlen)
{
	char *g;

	if (len == 0)
		return IDP_OK;
	if (p->n_groups == IDP_MAX_GROUPS) {
		say(reason, reasonlen, "claim '%s' has more than %d groups", claim,
		    IDP_MAX_GROUPS);
		return IDP_ERR_CLAIMS;
	}
	g = core_xstrndup(s, len);
	if (!claim_text_ok(g, len)) {
		free(g);
		say(reason, reasonlen,
		    "claim '%s' has a group that is too long or holds control "
		    "characters",
		    claim);
		return IDP_ERR_CLAIMS;
	}
	p->groups[p->n_groups++] = g;
	return IDP_OK;
}

static enum idp_result take_groups(const struct cfg_idp *cfg, json_t *pay,
                                   struct idp_principal *p, char *reason,
                                   size_t reasonlen)
{
	const char *claim = cfg->groups_claim;
	json_t *v;
	char q[80];
	enum idp_result r;

	if (!claim || !claim[0])
		return IDP_OK;
	v = json_object_get(pay, claim);
	if (!v || json_is_null(v))
		return IDP_OK;
	idp_quote(claim, q, sizeof q);
	p->groups = core_xcalloc(IDP_MAX_GROUPS, sizeof *p->groups);
	if (json_is_array(v)) {
		size_t i;
		json_t *g;
		if (json_array_size(v) > IDP_MAX_GROUPS) {
			say(reason, reasonlen, "claim '%s' has more than %d groups", q,
			    IDP_MAX_GROUPS);
			return IDP_ERR_CLAIMS;
		}
		json_array_foreach (v, i, g) {
			if (!json_is_string(g)) {
				say(reason, reasonlen,
				    "claim '%s' holds a value that is not a string", q);
				return IDP_ERR_CLAIMS;
			}
			r = add_group(p, q, json_string_value(g), json_string_length(g),
			              reason, reasonlen);
			if (r != IDP_OK)
				return r;
		}
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v), i = 0;
		while (i < len) {
			size_t start;
			while (i < len && s[i] == ' ')
				i++;
			start = i;
			while (i < len && s[i] != ' ')
				i++;
			r = add_group(p, q, s + start, i - start, reason, reasonlen);
			if (r != IDP_OK)
				return r;
		}
	} else {
		say(reason, reasonlen, "claim '%s' is neither an array nor a string",
		    q);
		return IDP_ERR_CLAIMS;
	}
	return IDP_OK;
}

/* Every claim check after the signature has verified. */
static enum idp_result check_claims(const struct cfg_idp *cfg, json_t *pay,
                                    int64_t now, struct idp_principal **out,
                                    char *reason, size_t reasonlen)
{
	const char *sub_claim =
	    cfg->subject_claim && cfg->subject_claim[0] ? cfg->subject_claim : "sub";
	int64_t skew = (int64_t)(cfg->clock_skew / 1000);
	int64_t exp = 0, nbf = 0, iat = 0;
	bool has_exp, has_nbf, has_iat;
	const char *iss;
	json_t *v;
	struct idp_principal *p = NULL;
	enum idp_result r;
	char q[80], q2[80];

	if (skew > MAX_SKEW_S)
		skew = MAX_SKEW_S;

	/* iss */
	v = json_object_get(pay, "iss");
	iss = plain_string(v);
	if (!iss) {
		say(reason, reasonlen, v ? "issuer (iss) claim is not a string"
		                         : "token has no issuer (iss) claim");
		return IDP_ERR_ISSUER;
	}
	if (!cfg->issuer || strcmp(iss, cfg->issuer) != 0) {
		idp_quote(iss, q, sizeof q);
		idp_quote(cfg->issuer, q2, sizeof q2);
		say(reason, reasonlen, "issuer '%s' is not '%s'", q, q2);
		return IDP_ERR_ISSUER;
	}

	/* aud */
	r = check_audience(cfg, pay, reason, reasonlen);
	if (r != IDP_OK)
		return r;

	/* exp, nbf, iat */
	if ((r = time_claim(pay, "exp", &exp, &has_exp, reason, reasonlen)) ||
	    (r = time_claim(pay, "nbf", &nbf, &has_nbf, reason, reasonlen)) ||
	    (r = time_claim(pay, "iat", &iat, &has_iat, reason, reasonlen)))
		return r;
	if (!has_exp) {
		say(reason, reasonlen, "token has no expiry (exp) claim");
		return IDP_ERR_CLAIMS;
	}
	if (now > exp + skew) {
		say(reason, reasonlen, "token expired %lld s ago",
		    (long long)(now - exp));
		return IDP_ERR_EXPIRED;
	}
	if (has_nbf && nbf > now + skew) {
		say(reason, reasonlen, "token is not valid for another %lld s",
		    (long long)(nbf - now));
		return IDP_ERR_NOT_YET_VALID;
	}
	if (has_iat && iat > now + skew) {
		say(reason, reasonlen, "token was issued %lld s in the future",
		    (long long)(iat - now));
		return IDP_ERR_ISSUED_IN_FUTURE;
	}

	/* subject */
	idp_quote(sub_claim, q, sizeof q);
	v = json_object_get(pay, sub_claim);
	if (!v) {
		say(reason, reasonlen, "token has no '%s' claim", q);
		return IDP_ERR_CLAIMS;
	}
	if (!json_is_string(v)) {
		say(reason, reasonlen, "claim '%s' is not a string", q);
		return IDP_ERR_CLAIMS;
	}
	if (json_string_length(v) == 0) {
		say(reason, reasonlen, "claim '%s' is empty", q);
		return IDP_ERR_CLAIMS;
	}
	if (!claim_text_ok(json_string_value(v), json_string_length(v))) {
		say(reason, reasonlen,
		    "claim '%s' is too long or holds control characters", q);
		return IDP_ERR_CLAIMS;
	}

	p = core_xcalloc(1, sizeof *p);
	p->idp = core_xstrdup(cfg->name ? cfg->name : "");
	p->issuer = core_xstrdup(iss);
	p->subject = core_xstrdup(json_string_value(v));
	p->expires_at = exp;

	/* groups */
	r = take_groups(cfg, pay, p, reason, reasonlen);
	if (r != IDP_OK) {
		idp_principal_free(p);
		return r;
	}

	/* display name: optional and informative only, so a value we would not
	 * copy is dropped rather than refusing the token. */
	if (cfg->name_claim && cfg->name_claim[0]) {
		v = json_object_get(pay, cfg->name_claim);
		if (json_is_string(v) && json_string_length(v) > 0 &&
		    claim_text_ok(json_string_value(v), json_string_length(v)))
			p->name = core_xstrdup(json_string_value(v));
	}
	*out = p;
	return IDP_OK;
}

/* Checks the header and the signature of a compact JWS and parses its
 * payload. On IDP_OK *pay_out is the payload object (caller decrefs). */
static enum idp_result verify_jws(const struct cfg_idp *cfg,
                                  const struct idp_keyset *ks,
                                  const char *token, size_t len,
                                  json_t **pay_out, char *reason,
                                  size_t reasonlen)
{
	struct segments s;
	json_t *hdr = NULL, *pay = NULL;
	const struct alg_info *alg = NULL;
	const char *kid = NULL;
	char *copy = NULL;
	cjose_jwk_t *jwk = NULL;
	cjose_jws_t *jws = NULL;
	cjose_err cerr;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	json_error_t jerr;
	enum idp_result r;
	char qk[80];

	*pay_out = NULL;
	r = split_token(token, len, &s, reason, reasonlen);
	if (r != IDP_OK)
		return r;
	hdr = segment_json(token + s.hdr_off, s.hdr_len, "header", reason,
	                   reasonlen);
	if (!hdr)
		return IDP_ERR_MALFORMED;
	r = check_header(cfg, hdr, &alg, &kid, reason, reasonlen);
	if (r != IDP_OK)
		goto out;
	if (s.sig_len == 0) {
		say(reason, reasonlen, "token has no signature");
		r = IDP_ERR_MALFORMED;
		goto out;
	}
	r = select_key(ks, kid, alg, &jwk, reason, reasonlen);
	if (r != IDP_OK)
		goto out;

	/* cjose wants its own NUL-free view; hand it a copy we can wipe. */
	copy = core_xstrndup(token, len);
	jws = cjose_jws_import(copy, len, &cerr);
	if (!jws) {
		say(reason, reasonlen, "token is not a well-formed JWS");
		r = IDP_ERR_MALFORMED;
		goto out;
	}
	idp_quote(kid ? kid : "(the only key)", qk, sizeof qk);
	if (!cjose_jws_verify(jws, jwk, &cerr)) {
		say(reason, reasonlen, "signature does not verify with key '%s'", qk);
		r = IDP_ERR_SIGNATURE;
		goto out;
	}
	if (!cjose_jws_get_plaintext(jws, &plain, &plain_len, &cerr)) {
		say(reason, reasonlen, "token payload cannot be read");
		r = IDP_ERR_MALFORMED;
		goto out;
	}
	pay = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES,
	                 &jerr);
	if (!pay || !json_is_object(pay)) {
		say(reason, reasonlen, "token payload is not a JSON object");
		r = IDP_ERR_MALFORMED;
		if (pay)
			json_decref(pay);
		goto out;
	}
	*pay_out = pay;

out:
	if (jws)
		cjose_jws_release(jws);
	if (copy) {
		core_wipe(copy, len);
		free(copy);
	}
	json_decref(hdr);
	return r;
}

enum idp_result idp_verify_jwt(const struct cfg_idp *cfg,
                               const struct idp_keyset *ks, const char *token,
                               size_t len, int64_t now,
                               struct idp_principal **out, char *reason,
                               size_t reasonlen)
{
	json_t *pay = NULL;
	enum idp_result r;

	if (out)
		*out = NULL;
	if (reason && reasonlen)
		reason[0] = '\0';
	if (!cfg || !out) {
		say(reason, reasonlen, "internal error: no provider settings");
		return IDP_ERR_CLAIMS;
	}
	r = verify_jws(cfg, ks, token, len, &pay, reason, reasonlen);
	if (r != IDP_OK)
		return r;
	r = check_claims(cfg, pay, now, out, reason, reasonlen);
	json_decref(pay);
	return r;
}

/* The ID token's own checks (OpenID Connect Core 3.1.3.7) once iss, aud,
 * exp, nbf and iat have passed: the nonce we sent, and azp when present or
 * when the token names several audiences. */
static enum idp_result check_id_claims(json_t *pay, const char *client_id,
                                       const char *nonce, char *reason,
                                       size_t reasonlen)
{
	json_t *aud = json_object_get(pay, "aud");
	json_t *azp = json_object_get(pay, "azp");
	const char *got = plain_string(json_object_get(pay, "nonce"));

	if (!got) {
		say(reason, reasonlen, "ID token has no nonce");
		return IDP_ERR_CLAIMS;
	}
	if (strlen(got) != strlen(nonce) ||
	    CRYPTO_memcmp(got, nonce, strlen(nonce)) != 0) {
		say(reason, reasonlen,
		    "ID token nonce does not match the login (replayed token?)");
		return IDP_ERR_CLAIMS;
	}
	if (azp) {
		if (!plain_string(azp) || strcmp(plain_string(azp), client_id) != 0) {
			say(reason, reasonlen,
			    "ID token was issued to another client (azp)");
			return IDP_ERR_AUDIENCE;
		}
	} else if (json_is_array(aud) && json_array_size(aud) > 1) {
		say(reason, reasonlen,
		    "ID token names several audiences but no authorized party "
		    "(azp)");
		return IDP_ERR_AUDIENCE;
	}
	return IDP_OK;
}

enum idp_result idp_verify_id_token(const struct cfg_idp *cfg,
                                    const struct idp_keyset *ks,
                                    const char *token, size_t len,
                                    int64_t now, const char *client_id,
                                    const char *nonce,
                                    struct idp_principal **out, char *reason,
                                    size_t reasonlen)
{
	struct cfg_idp c;
	json_t *pay = NULL, *v;
	enum idp_result r;

	if (out)
		*out = NULL;
	if (reason && reasonlen)
		reason[0] = '\0';
	if (!cfg || !out || !client_id || !client_id[0] || !nonce || !nonce[0]) {
		say(reason, reasonlen,
		    "internal error: no provider settings, client id or nonce");
		return IDP_ERR_CLAIMS;
	}
	/* The audience of an ID token is the client, and its subject is sub,
	 * whatever the provider's settings for agents' access tokens say. */
	c = *cfg;
	c.audience = (char *)client_id;
	c.subject_claim = (char *)"sub";
	r = verify_jws(&c, ks, token, len, &pay, reason, reasonlen);
	if (r != IDP_OK)
		return r;
	r = check_claims(&c, pay, now, out, reason, reasonlen);
	if (r == IDP_OK)
		r = check_id_claims(pay, client_id, nonce, reason, reasonlen);
	if (r == IDP_OK) {
		v = json_object_get(pay, "email");
		if (json_is_string(v) && json_string_length(v) > 0 &&
		    claim_text_ok(json_string_value(v), json_string_length(v)))
			(*out)->email = core_xstrdup(json_string_value(v));
	} else {
		idp_principal_free(*out);
		*out = NULL;
	}
	json_decref(pay);
	return r;
}
