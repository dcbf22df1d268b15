/*
 * idp: verifies the tokens agents present and turns them into principals.
 *
 * OIDC access tokens (compact JWS) are checked with cjose against the
 * issuer's JWKS, fetched over HTTPS (plain HTTP only for loopback issuers)
 * through discovery or a configured jwks_uri, cached, and refreshed on an
 * unknown `kid` at most once per configured interval. Only asymmetric
 * algorithms from the configured allow-list are accepted; `none` and HMAC
 * never are. Every registered claim (iss, aud, exp, nbf, iat) is checked
 * here, with the configured clock skew.
 *
 * idp knows nothing of MySQL or PostgreSQL. It never logs a token.
 */
#ifndef AGENTGATE_IDP_H
#define AGENTGATE_IDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct event_base;

/* Who presented a token. All strings owned by the principal. */
struct idp_principal {
	char *idp;        /* name of the [idp NAME] section that verified it */
	char *issuer;
	char *subject;    /* value of the configured subject claim */
	char *name;       /* display name (name_claim), may be NULL */
	char **groups;    /* values of the groups claim */
	size_t n_groups;
	int64_t expires_at; /* exp, seconds since the epoch */
};

void idp_principal_free(struct idp_principal *p);

enum idp_result {
	IDP_OK = 0,
	IDP_ERR_MALFORMED,        /* not a compact JWS / bad JSON */
	IDP_ERR_ALGORITHM,        /* alg none, HMAC, or not in the allow-list */
	IDP_ERR_UNKNOWN_KID,      /* no key with that kid, even after refresh */
	IDP_ERR_SIGNATURE,        /* signature does not verify */
	IDP_ERR_ISSUER,           /* no configured identity provider has it */
	IDP_ERR_AUDIENCE,
	IDP_ERR_EXPIRED,
	IDP_ERR_NOT_YET_VALID,    /* nbf in the future */
	IDP_ERR_ISSUED_IN_FUTURE, /* iat in the future */
	IDP_ERR_CLAIMS,           /* missing exp / subject claim, wrong types */
	IDP_ERR_KEYS_UNAVAILABLE, /* JWKS could not be fetched */
};

/* Short stable name of a result, e.g. "expired". */
const char *idp_result_name(enum idp_result r);

/* ---------------------------------------------------- pure verification */

/* A parsed JWKS. Keys are imported lazily and cached by kid. */
struct idp_keyset;

/* Parse a JWKS document. Returns NULL with a reason on malformed input. */
struct idp_keyset *idp_keyset_parse(const char *json, size_t len, char *err,
                                    size_t errlen);
void idp_keyset_free(struct idp_keyset *ks);
bool idp_keyset_has_kid(const struct idp_keyset *ks, const char *kid);

/* Read the unverified `iss` and `kid` of a token, to pick the provider and
 * to know whether a key refresh may help. Caller frees the strings. */
bool idp_peek(const char *token, size_t len, char **iss, char **kid) CORE_WUR;

/* Verify a token against a key set and the provider's settings at time
 * `now` (seconds). On IDP_OK *out is a new principal the caller owns. On
 * failure `reason` says which check failed without echoing the token. */
enum idp_result idp_verify_jwt(const struct cfg_idp *cfg,
                               const struct idp_keyset *ks, const char *token,
                               size_t len, int64_t now,
                               struct idp_principal **out, char *reason,
                               size_t reasonlen);

/* --------------------------------------------------- providers on a loop */

/* All configured providers, with their fetched key sets. */
struct idp_set;

struct idp_set *idp_set_new(struct event_base *base, const struct cfg *cfg,
                            char *err, size_t errlen);
/* Starts discovery and JWKS fetches for every provider (non-blocking). */
void idp_set_start(struct idp_set *set);
void idp_set_free(struct idp_set *set);
/* True once every provider has a key set (for readiness reporting). */
bool idp_set_ready(const struct idp_set *set);

/* Result of an asynchronous verification. `p` is owned by the callee on
 * IDP_OK (NULL otherwise). Always called from the event loop, never from
 * inside idp_set_verify(). */
typedef void (*idp_verify_cb)(void *arg, enum idp_result res,
                              const char *reason, struct idp_principal *p);

struct idp_request;

/* Verify `token` with the provider whose issuer matches its `iss`. The token
 * is copied (and wiped when done). Returns a handle that can be cancelled
 * until the callback has run. */
struct idp_request *idp_set_verify(struct idp_set *set, const char *token,
                                   size_t len, idp_verify_cb cb, void *arg);
/* The callback will not be called. Safe to call from inside no callback of
 * this request. */
void idp_request_cancel(struct idp_request *req);

#endif
