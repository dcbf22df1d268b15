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
 * Reviewer logins to the web page use the OpenID Connect authorization
 * code flow with PKCE (login.c): idp builds the authorization URL, exchanges
 * the code at the token endpoint (client_secret_basic) and verifies the ID
 * token (signature, iss, aud = the web page's client id, exp, nonce, azp).
 * What to do with the reviewer — cookies, sessions, pages — is web/'s.
 *
 * idp knows nothing of MySQL, PostgreSQL or HTTP servers. It never logs a
 * token.
 */
#ifndef AGENTGATE_IDP_H
#define AGENTGATE_IDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "core/core.h"

struct event_base;
struct evdns_base;

/* Who presented a token. All strings owned by the principal. */
struct idp_principal {
	char *idp;        /* name of the [idp NAME] section that verified it */
	char *issuer;
	char *subject;    /* value of the configured subject claim */
	char *name;       /* display name (name_claim), may be NULL */
	char *email;      /* ID tokens only: the email claim, may be NULL */
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

/* Verify an OpenID Connect ID token issued to `client_id` for a login that
 * sent `nonce`: like idp_verify_jwt() but with aud = client_id, subject =
 * the sub claim, and the nonce, azp and email claims checked or read. */
enum idp_result idp_verify_id_token(const struct cfg_idp *cfg,
                                    const struct idp_keyset *ks,
                                    const char *token, size_t len,
                                    int64_t now, const char *client_id,
                                    const char *nonce,
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

/* ------------------------------------------------------ reviewer login */

/* Length of a login secret (state, nonce, PKCE verifier): 32 random bytes
 * in unpadded base64url, and of an S256 code challenge. */
#define IDP_LOGIN_SECRET_LEN 43

/* Fills out[IDP_LOGIN_SECRET_LEN + 1] with a fresh random secret. */
void idp_login_secret(char out[IDP_LOGIN_SECRET_LEN + 1]);

/* The PKCE S256 challenge of a verifier (RFC 7636 4.2):
 * BASE64URL(SHA256(verifier)), unpadded, into out[IDP_LOGIN_SECRET_LEN + 1]. */
void idp_pkce_challenge(const char *verifier,
                        char out[IDP_LOGIN_SECRET_LEN + 1]);

/* The login client of one provider: its endpoints (from discovery), its
 * keys, the client id and secret. */
struct idp_login;

/* Copies what it needs from `idp` and the strings; reads nothing yet.
 * `redirect_uri` is sent with every authorization request and code
 * exchange. NULL with a reason when the issuer URL is refused or TLS cannot
 * be set up. */
struct idp_login *idp_login_new(struct event_base *base,
                                const struct cfg_idp *idp,
                                const char *client_id,
                                const char *client_secret,
                                const char *redirect_uri, char *err,
                                size_t errlen);
/* Starts discovery (and the key fetch behind it), retried with backoff
 * until it succeeds; calling it again while the provider is unknown retries
 * at once. Non-blocking. */
void idp_login_start(struct idp_login *l);
/* Wipes the client secret. Pending exchanges are dropped without their
 * callbacks. */
void idp_login_free(struct idp_login *l);
/* True once the endpoints are known. */
bool idp_login_ready(const struct idp_login *l);
/* Why the endpoints are not known (the last fetch error), or "". */
const char *idp_login_last_error(const struct idp_login *l);
/* The provider's issuer (for the callback's iss parameter, RFC 9207). */
const char *idp_login_issuer(const struct idp_login *l);

/* The URL to send the reviewer's browser to, or NULL before discovery has
 * succeeded. Caller frees. */
char *idp_login_authorize_url(const struct idp_login *l, const char *scope,
                              const char *state, const char *nonce,
                              const char *verifier);

/* Outcome of a code exchange: on IDP_OK `p` is the verified reviewer
 * (callee owns it); otherwise `reason` says why, fit for a log and, with
 * care, a page (it never holds a token). */
typedef void (*idp_login_cb)(void *arg, enum idp_result res,
                             const char *reason, struct idp_principal *p);

struct idp_login_op;

/* Exchanges an authorization code at the token endpoint (grant
 * authorization_code, client_secret_basic, the PKCE verifier) and verifies
 * the ID token it returns against `nonce`, refreshing the keys once on an
 * unknown kid. The callback always runs later from the event loop, exactly
 * once unless cancelled. Strings are copied (and wiped). Never NULL. */
struct idp_login_op *idp_login_exchange(struct idp_login *l, const char *code,
                                        const char *verifier,
                                        const char *nonce, idp_login_cb cb,
                                        void *arg);
/* The callback will not be called. Not from inside that callback. */
void idp_login_cancel(struct idp_login_op *op);

/* ------------------------------------------------ outbound HTTP(S) */

/* The HTTPS client idp/ fetches provider documents with, offered to other
 * modules for outbound notifications (webhooks): https anywhere, plain
 * http only to a loopback host, peer and host name verified. */

/* A TLS client context that verifies the peer against `ca_file`, or the
 * system's default CA paths when ca_file is NULL; TLS 1.2 or newer. Caller
 * frees with SSL_CTX_free(). NULL with a reason on failure. */
SSL_CTX *idp_http_ssl_ctx_new(const char *ca_file, char *err, size_t errlen);

/* Outcome of a request. `status` is the HTTP status (0 when no response was
 * read); `body` is NUL-terminated and valid only during the call; `err` is
 * NULL on a complete response (of any status), else why it failed. */
typedef void (*idp_http_cb)(void *arg, int status, const char *body,
                            size_t len, const char *err);

struct idp_http;

/* POSTs `body` to `url` with extra headers (name, value pairs,
 * NULL-terminated; may be NULL). Only the response status matters: the
 * callback gets it (body capped at 64 KiB). Same lifetime rules as every
 * request of this client: the callback runs once, later, from the loop,
 * unless idp_http_cancel() is called first; NULL with a reason when the
 * URL is refused. */
struct idp_http *idp_http_post_headers(struct event_base *base,
                                       struct evdns_base *dns,
                                       SSL_CTX *ssl_ctx, const char *url,
                                       const char *const *headers,
                                       const char *content_type,
                                       const void *body, size_t body_len,
                                       uint64_t timeout_ms, idp_http_cb cb,
                                       void *arg, char *err, size_t errlen);

/* Abandon a request whose callback has not run yet; it never will. Not to be
 * called from inside that callback. */
void idp_http_cancel(struct idp_http *h);

#endif
