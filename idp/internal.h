/*
 * idp internals: what jwt.c (pure token checks), http.c (a small HTTPS
 * client on libevent), set.c (providers, key caching, queued requests) and
 * login.c (reviewer logins) share with each other and with the unit tests.
 *
 * Nothing here is part of the module's public interface; other modules use
 * idp/idp.h only.
 */
#ifndef AGENTGATE_IDP_INTERNAL_H
#define AGENTGATE_IDP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "idp/idp.h"

struct event_base;
struct evdns_base;

/* Largest token we parse at all. Real access tokens are well under 2 KiB;
 * 16 KiB leaves room for fat group claims without letting a peer make us
 * base64-decode and JSON-parse megabytes. */
#define IDP_MAX_TOKEN_LEN (16 * 1024)

/* Most groups we copy into a principal; more is refused, not truncated, so
 * that an authorisation decision never rests on a silently cut list. */
#define IDP_MAX_GROUPS 256

/* Longest subject, group or display name we accept (bytes). */
#define IDP_MAX_CLAIM_LEN 1024

/* Most keys we keep from one JWKS. Large providers publish fewer than 20. */
#define IDP_MAX_JWKS_KEYS 100

/* Largest discovery document or JWKS we read. */
#define IDP_MAX_DOC_SIZE (1024 * 1024)

/* Room for a reason string handed to callers and logs. */
#define IDP_REASON_LEN 256

/* Algorithms accepted when a provider's configuration names none. */
#define IDP_DEFAULT_ALGORITHMS "RS256,PS256,ES256"

/* Copy `s` into out[outlen] for use in a message: bytes outside printable
 * ASCII become '?', and long values are cut to 64 characters with "...".
 * For values from tokens or peers that must not reach logs verbatim. */
void idp_quote(const char *s, char *out, size_t outlen);

/* True when `alg` is one of the asymmetric algorithms this module can check
 * (RS*, PS*, ES256/384/512). "none" and HS* are never supported. */
bool idp_alg_supported(const char *alg);

/* Like idp_peek(), with a reason on failure (never echoing the token). */
bool idp_peek_reason(const char *token, size_t len, char **iss, char **kid,
                     char *reason, size_t reasonlen) CORE_WUR;

/* Number of keys in a key set that can be used for some algorithm. */
size_t idp_keyset_count(const struct idp_keyset *ks);

/* -------------------------------------------------------------- http */

/* A URL split into what the HTTP client needs. */
struct idp_url {
	bool https;
	char *host;        /* without IPv6 brackets */
	int port;
	char *path;        /* path and query, at least "/" */
	char *host_header; /* value for the Host header */
};

/* Parse an absolute http(s) URL and apply the transport policy: https
 * anywhere, plain http only to a loopback host, no userinfo. On failure
 * returns false with a reason. The caller frees with idp_url_free(). */
bool idp_url_parse(const char *url, struct idp_url *u, char *err,
                   size_t errlen) CORE_WUR;
void idp_url_free(struct idp_url *u);

/* Start a GET of `url`. The callback always runs later from the event loop,
 * exactly once unless the request is cancelled; the handle is freed after
 * it returns. `ssl_ctx` is needed for https URLs. Returns NULL with a reason
 * when the URL is refused or the request cannot be set up (the callback is
 * then never called). */
struct idp_http *idp_http_get(struct event_base *base, struct evdns_base *dns,
                              SSL_CTX *ssl_ctx, const char *url,
                              uint64_t timeout_ms, size_t max_body,
                              idp_http_cb cb, void *arg, char *err,
                              size_t errlen);

/* Start a POST of `body` (content_type, e.g.
 * "application/x-www-form-urlencoded") to `url`, with an Authorization
 * header when `authorization` is not NULL. The body and header are copied
 * (the caller wipes its own copies of secrets). Otherwise like
 * idp_http_get(). */
struct idp_http *idp_http_post(struct event_base *base, struct evdns_base *dns,
                               SSL_CTX *ssl_ctx, const char *url,
                               const char *authorization,
                               const char *content_type, const void *body,
                               size_t body_len, uint64_t timeout_ms,
                               size_t max_body, idp_http_cb cb, void *arg,
                               char *err, size_t errlen);


/* -------------------------------------------------------------- login */

/* The authorization request URL: endpoint (which may carry a query of its
 * own) plus response_type=code, client_id, redirect_uri, scope, state,
 * nonce, code_challenge and code_challenge_method=S256, each value
 * percent-encoded. Caller frees. */
char *idp_login_build_url(const char *endpoint, const char *client_id,
                          const char *redirect_uri, const char *scope,
                          const char *state, const char *nonce,
                          const char *challenge);
/* The form body of the code exchange. Caller wipes and frees. */
char *idp_login_token_body(const char *code, const char *verifier,
                           const char *redirect_uri);
/* "Basic " + base64(urlencode(id) ":" urlencode(secret)) (RFC 6749 2.3.1).
 * Caller wipes and frees. */
char *idp_login_basic_auth(const char *client_id, const char *secret);
/* Reads the ID token out of a token endpoint response; an error response
 * becomes a reason naming the provider's error code and description.
 * Caller wipes and frees *id_token. */
bool idp_login_parse_token_response(int status, const char *body, size_t len,
                                    char **id_token, char *reason,
                                    size_t reasonlen) CORE_WUR;

#endif
