/*
 * Configuration: an INI file read into struct cfg through one settings table
 * per section kind. The tables drive parsing, defaults, validation and the
 * reference documentation (`agentgate --config-reference`), so a setting
 * exists in exactly one place.
 *
 * Syntax: `[gateway]`, `[store]`, `[listener NAME]`, `[idp NAME]`,
 * `[connection NAME]`; `key = value` lines; `#` or `;` start a comment at
 * the beginning of a line or after whitespace. Unknown sections and keys,
 * duplicates and bad values are errors reported as "file:line: reason".
 *
 * This file does not open sockets or read the files a setting names; the
 * daemon does that at start-up and reports its own errors.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"

#define CFG_MAX_FILE (1024 * 1024)   /* a config file is small */
#define CFG_MAX_SECTIONS 256         /* listeners + idps + connections */
#define CFG_NAME_MAX 64

#define G(f) offsetof(struct cfg_gateway, f)
#define S(f) offsetof(struct cfg_store, f)
#define L(f) offsetof(struct cfg_listener, f)
#define I(f) offsetof(struct cfg_idp, f)
#define C(f) offsetof(struct cfg_connection, f)
#define A(f) offsetof(struct cfg_approvals, f)
#define W(f) offsetof(struct cfg_web, f)

static const struct cfg_setting gateway_settings[] = {
	{"instance", CFG_STRING, G(instance), false, "gw", false, 0, 0,
	 "Name of this gateway instance, recorded with every session."},
	{"tls_cert", CFG_STRING, G(tls_cert), false, NULL, false, 0, 0,
	 "PEM certificate chain presented to MySQL clients. Required when a "
	 "listener requires TLS."},
	{"tls_key", CFG_STRING, G(tls_key), false, NULL, false, 0, 0,
	 "PEM private key for tls_cert."},
	{"log_level", CFG_STRING, G(log_level), false, "info", false, 0, 0,
	 "debug, info, warn or error."},
	{"max_packet_size", CFG_SIZE, G(max_packet_size), false, "64M", false, 0,
	 0,
	 "Largest command a client may send after login (all 16 MiB "
	 "continuation packets together). Larger commands are refused with "
	 "ER_NET_PACKET_TOO_LARGE and the session is closed."},
	{"max_packet_size_auth", CFG_SIZE, G(max_packet_size_auth), false, "64K",
	 false, 0, 0,
	 "Largest packet accepted before authentication has succeeded "
	 "(handshake response, token)."},
	{"handshake_timeout", CFG_DURATION, G(handshake_timeout), false, "10s",
	 false, 0, 0,
	 "Time a client has from connecting to finishing authentication."},
	{"idle_timeout", CFG_DURATION, G(idle_timeout), false, "8h", false, 0, 0,
	 "Close a session idle for this long between statements; 0 disables."},
	{"backend_connect_timeout", CFG_DURATION, G(backend_connect_timeout),
	 false, "10s", false, 0, 0,
	 "Time allowed to connect and log in to the MySQL backend."},
	{"close_on_token_expiry", CFG_BOOL, G(close_on_token_expiry), false,
	 "false", false, 0, 0,
	 "End a session at the next statement boundary once the token it "
	 "logged in with has expired."},
	{"max_session_lifetime", CFG_DURATION, G(max_session_lifetime), false,
	 "0", false, 0, 0,
	 "End a session at the next statement boundary after this long; 0 "
	 "disables."},
	{"max_sessions", CFG_INT, G(max_sessions), false, "10000", false, 1,
	 1000000, "Most client connections this instance holds at once."},
	{"max_sessions_per_agent", CFG_INT, G(max_sessions_per_agent), false,
	 "100", false, 1, 1000000,
	 "Most sessions one agent may hold on this instance."},
	{"client_high_watermark", CFG_SIZE, G(client_high_watermark), false,
	 "1M", false, 0, 0,
	 "Bytes waiting to be written to a slow client before the gateway "
	 "stops reading from its backend (results stream, never buffer)."},
	{"functions_are_reads", CFG_BOOL, G(functions_are_reads), false, "false",
	 false, 0, 0,
	 "Treat calls to functions that are not built in (stored functions, "
	 "UDFs) inside a SELECT as reads. Off by default: a stored function can "
	 "write, so such a SELECT is classified as a write."},
	{NULL, 0, 0, false, NULL, false, 0, 0, NULL},
};

static const struct cfg_setting store_settings[] = {
	{"dsn", CFG_STRING, S(dsn), false, NULL, true, 0, 0,
	 "libpq connection string of the PostgreSQL database."},
	{"queue_size", CFG_INT, S(queue_size), false, "100000", false, 100,
	 100000000,
	 "Most audit records held in memory waiting to be written. When full, "
	 "new sessions and statements are refused."},
	{"batch_size", CFG_INT, S(batch_size), false, "1000", false, 1, 100000,
	 "Most records written in one round trip."},
	{"flush_interval", CFG_DURATION, S(flush_interval), false, "50ms", false,
	 0, 0, "Longest time a record waits before its batch is written."},
	{"grace", CFG_DURATION, S(grace), false, "5s", false, 0, 0,
	 "How long records may wait unwritten (PostgreSQL unreachable) before "
	 "new statements are refused."},
	{"reconnect_interval", CFG_DURATION, S(reconnect_interval), false, "1s",
	 false, 0, 0, "Delay between reconnection attempts to PostgreSQL."},
	{NULL, 0, 0, false, NULL, false, 0, 0, NULL},
};

static const struct cfg_setting listener_settings[] = {
	{"address", CFG_STRING, L(address), false, "127.0.0.1", false, 0, 0,
	 "IPv4 or IPv6 address to listen on."},
	{"port", CFG_INT, L(port), false, "3307", false, 1, 65535,
	 "TCP port for MySQL clients."},
	{"require_tls", CFG_BOOL, L(require_tls), false, "true", false, 0, 0,
	 "Refuse to receive a token before TLS is established."},
	{"allow_plaintext_loopback", CFG_BOOL, L(allow_plaintext_loopback),
	 false, "false", false, 0, 0,
	 "With require_tls = false, accept tokens over plain TCP. Only valid "
	 "when address is a loopback address."},
	{NULL, 0, 0, false, NULL, false, 0, 0, NULL},
};

static const struct cfg_setting idp_settings[] = {
	{"type", CFG_STRING, I(type), false, "oidc", false, 0, 0,
	 "Kind of identity provider: oidc."},
	{"issuer", CFG_STRING, I(issuer), false, NULL, true, 0, 0,
	 "Issuer URL; tokens must carry exactly this iss. https, or http on a "
	 "loopback host."},
	{"audience", CFG_STRING, I(audience), false, NULL, true, 0, 0,
	 "Audience the token's aud must contain."},
	{"jwks_uri", CFG_STRING, I(jwks_uri), false, NULL, false, 0, 0,
	 "JWKS URL; when unset it is found through OpenID discovery."},
	{"ca_file", CFG_STRING, I(ca_file), false, NULL, false, 0, 0,
	 "CA bundle to verify the issuer's HTTPS certificate; system CAs when "
	 "unset."},
	{"subject_claim", CFG_STRING, I(subject_claim), false, "sub", false, 0, 0,
	 "Claim naming the principal (e.g. sub, client_id, azp)."},
	{"groups_claim", CFG_STRING, I(groups_claim), false, "groups", false, 0,
	 0, "Claim holding the principal's groups (array or space separated)."},
	{"name_claim", CFG_STRING, I(name_claim), false, "name", false, 0, 0,
	 "Claim holding a display name, when present."},
	{"algorithms", CFG_LIST, I(algorithms), false, "RS256,PS256,ES256", false,
	 0, 0,
	 "Signature algorithms accepted (subset of RS256, RS384, RS512, PS256, "
	 "PS384, PS512, ES256, ES384, ES512). none and HMAC are never accepted."},
	{"clock_skew", CFG_DURATION, I(clock_skew), false, "60s", false, 0, 0,
	 "Tolerance applied to exp, nbf and iat."},
	{"jwks_refresh_min_interval", CFG_DURATION, I(jwks_refresh_min_interval),
	 false, "30s", false, 0, 0,
	 "Least time between JWKS refreshes triggered by an unknown kid."},
	{"jwks_max_age", CFG_DURATION, I(jwks_max_age), false, "1h", false, 0, 0,
	 "Refetch the JWKS after this long even when no kid is unknown."},
	{"fetch_timeout", CFG_DURATION, I(fetch_timeout), false, "10s", false, 0,
	 0, "Timeout of discovery and JWKS requests."},
	{NULL, 0, 0, false, NULL, false, 0, 0, NULL},
};

static const struct cfg_setting connection_settings[] = {
	{"host", CFG_STRING, C(host), false, NULL, true, 0, 0,
	 "MySQL/MariaDB server host name or address."},
	{"port", CFG_INT, C(port), false, "3306", false, 1, 65535,
	 "MySQL/MariaDB server port."},
	{"user", CFG_STRING, C(user), false, NULL, true, 0, 0,
	 "MySQL user the gateway logs in as. Agents never see it."},
	{"password_file", CFG_STRING, C(password_file), false, NULL, true, 0, 0,
	 "File holding that user's password (first line). Keep it mode 0600."},
	{"database", CFG_STRING, C(database), false, NULL, false, 0, 0,
	 "Default database selected after login, unless the client names one."},
	{"tls", CFG_BOOL, C(tls), false, "false", false, 0, 0,
	 "Use TLS to the backend server."},
	{"tls_ca", CFG_STRING, C(tls_ca), false, NULL, false, 0, 0,
	 "CA bundle to verify the backend's certificate; system CAs when unset."},
	{"tls_verify", CFG_BOOL, C(tls_verify), false, "true", false, 0, 0,
	 "Verify the backend's certificate and host name."},
	{"readonly_user", CFG_STRING, C(readonly_user), false, NULL, false, 0, 0,
	 "A second MySQL user with read-only privileges. Sessions whose "
	 "effective policy denies every class that can change data run on it, "
	 "so a classifier miss still cannot write. Recommended."},
	{"readonly_password_file", CFG_STRING, C(readonly_password_file), false,
	 NULL, false, 0, 0, "File holding readonly_user's password."},
	{NULL, 0, 0, false, NULL, false, 0, 0, NULL},
};

static const struct cfg_setting approvals_settings[] = {
	{"review_timeout", CFG_DURATION, A(review_timeout), false, "5m", false,
	 0, 0,
	 "How long a review request waits for a decision before it expires. "
	 "In hold mode the agent's session waits this long."},
	{"deferred_window", CFG_DURATION, A(deferred_window), false, "15m",
	 false, 0, 0,
	 "Deferred mode: how long after its approval the identical statement "
	 "may be re-sent (once) by the same agent on the same connection."},
	{"max_pending_per_agent", CFG_INT, A(max_pending_per_agent), false, "20",
	 false, 1, 100000,
	 "Most requests one agent may have pending; beyond, statements that "
	 "need review are refused."},
	{"max_pending", CFG_INT, A(max_pending), false, "1000", false, 1,
	 10000000, "Most requests pending in total, all agents together."},
	{"max_grant_duration", CFG_DURATION, A(max_grant_duration), false, "1h",
	 false, 0, 0,
	 "Longest time-boxed grant a reviewer may give (agent x connection x "
	 "class without review); 0 disables grants."},
	{"max_statement_size", CFG_SIZE, A(max_statement_size), false, "1M",
	 false, 0, 0,
	 "Largest statement that may be sent for review; a larger one that "
	 "needs review is refused (no one can review it on a page)."},
	{"context_statements", CFG_INT, A(context_statements), false, "10",
	 false, 0, 100,
	 "Earlier statements of the session shown to reviewers with a "
	 "request."},
	{"sweep_interval", CFG_DURATION, A(sweep_interval), false, "5s", false,
	 0, 0,
	 "How often this instance expires overdue requests and delivers due "
	 "webhook notifications."},
	{"webhook_url", CFG_STRING, A(webhook_url), false, NULL, false, 0, 0,
	 "URL receiving a JSON POST for each new request and each decision. "
	 "https, or http on a loopback host. Unset: no webhook."},
	{"webhook_ca_file", CFG_STRING, A(webhook_ca_file), false, NULL, false,
	 0, 0, "CA bundle to verify the webhook's certificate; system CAs when "
	 "unset."},
	{"webhook_secret_file", CFG_STRING, A(webhook_secret_file), false, NULL,
	 false, 0, 0,
	 "File holding a secret; each POST then carries X-Agentgate-Signature: "
	 "sha256=HMAC-SHA256(secret, body) in hex."},
	{"webhook_timeout", CFG_DURATION, A(webhook_timeout), false, "10s", false,
	 0, 0, "Timeout of one webhook POST."},
	{"webhook_max_attempts", CFG_INT, A(webhook_max_attempts), false, "10",
	 false, 1, 1000,
	 "Attempts per notification (with exponential backoff from 1 s to 10 "
	 "min) before it is given up and logged."},
	{NULL, 0, 0, false, NULL, false, 0, 0, NULL},
};

static const struct cfg_setting web_settings[] = {
	{"address", CFG_STRING, W(address), false, "127.0.0.1", false, 0, 0,
	 "IPv4 or IPv6 address the reviewer web page listens on (HTTPS)."},
	{"port", CFG_INT, W(port), false, "8443", false, 1, 65535,
	 "TCP port of the reviewer web page."},
	{"public_url", CFG_STRING, W(public_url), false, NULL, false, 0, 0,
	 "Base URL reviewers reach the page at (https://host:port, no path); "
	 "links in errors and webhooks and the login redirect URI "
	 "(public_url/login/callback) are built from it. Default "
	 "https://address:port."},
	{"tls_cert", CFG_STRING, W(tls_cert), false, NULL, false, 0, 0,
	 "PEM certificate chain of the page; default [gateway] tls_cert."},
	{"tls_key", CFG_STRING, W(tls_key), false, NULL, false, 0, 0,
	 "PEM private key for tls_cert; default [gateway] tls_key."},
	{"idp", CFG_STRING, W(idp), false, NULL, false, 0, 0,
	 "Name of the [idp NAME] section reviewers log in with (OpenID Connect "
	 "authorization code flow with PKCE); default: the first one."},
	{"client_id", CFG_STRING, W(client_id), false, NULL, true, 0, 0,
	 "OAuth client id of the web page at that provider."},
	{"client_secret_file", CFG_STRING, W(client_secret_file), false, NULL,
	 true, 0, 0, "File holding the client secret (first line)."},
	{"reviewer_groups", CFG_LIST, W(reviewer_groups), false, NULL, false, 0,
	 0,
	 "Groups (from the ID token's groups claim) whose members may review. "
	 "At least one of reviewer_groups and reviewer_subjects must be set."},
	{"reviewer_subjects", CFG_LIST, W(reviewer_subjects), false, NULL, false,
	 0, 0, "Subjects (sub claim) who may review, whatever their groups."},
	{"session_lifetime", CFG_DURATION, W(session_lifetime), false, "8h",
	 false, 0, 0, "How long a reviewer stays logged in."},
	{"login_timeout", CFG_DURATION, W(login_timeout), false, "10m", false, 0,
	 0, "Time a reviewer has to finish a login at the provider."},
	{"max_clients", CFG_INT, W(max_clients), false, "1000", false, 1,
	 100000,
	 "Most open HTTP connections (live queue updates included)."},
	{NULL, 0, 0, false, NULL, false, 0, 0, NULL},
};

#undef G
#undef S
#undef L
#undef I
#undef C
#undef A
#undef W

static const char *const section_names[] = {
	[CFG_SEC_GATEWAY] = "gateway",
	[CFG_SEC_STORE] = "store",
	[CFG_SEC_LISTENER] = "listener",
	[CFG_SEC_IDP] = "idp",
	[CFG_SEC_CONNECTION] = "connection",
	[CFG_SEC_APPROVALS] = "approvals",
	[CFG_SEC_WEB] = "web",
};

static const char *const supported_algorithms[] = {
	"RS256", "RS384", "RS512", "PS256", "PS384",
	"PS512", "ES256", "ES384", "ES512", NULL,
};

const struct cfg_setting *cfg_settings(enum cfg_section_kind kind)
{
	switch (kind) {
	case CFG_SEC_GATEWAY:
		return gateway_settings;
	case CFG_SEC_STORE:
		return store_settings;
	case CFG_SEC_LISTENER:
		return listener_settings;
	case CFG_SEC_IDP:
		return idp_settings;
	case CFG_SEC_CONNECTION:
		return connection_settings;
	case CFG_SEC_APPROVALS:
		return approvals_settings;
	case CFG_SEC_WEB:
		return web_settings;
	}
	return NULL;
}

const char *cfg_section_name(enum cfg_section_kind kind)
{
	return section_names[kind];
}

/* ------------------------------------------------------------ parsing */

struct parser {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	struct cfg *cfg;
	bool seen_gateway, seen_store, seen_approvals;
	unsigned gateway_line, store_line, approvals_line, web_line;
	/* current section */
	enum cfg_section_kind kind;
	void *target;
	const struct cfg_setting *table;
	char sec_name[96];  /* current section as written, for messages */
	unsigned sec_line;  /* line of the current section's header */
	uint8_t *seen;     /* which keys of the current section were set */
	size_t seen_cap;
};

static bool fail(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return false;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Cut a comment that starts with # or ; after whitespace. */
static void strip_comment(char *s)
{
	for (char *q = s; *q; q++) {
		if ((*q == '#' || *q == ';') &&
		    (q == s || q[-1] == ' ' || q[-1] == '\t')) {
			*q = '\0';
			return;
		}
	}
}

static bool parse_u64_suffixed(const char *v, uint64_t *out,
                               const char *const *suffixes,
                               const uint64_t *mult, bool need_suffix)
{
	char *end = NULL;
	unsigned long long n;

	if (!isdigit((unsigned char)v[0]))
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return false;
	end = trim(end);
	if (*end == '\0') {
		if (need_suffix && n != 0)
			return false;
		if (n > UINT64_MAX / mult[0])
			return false;
		*out = n * mult[0];
		return true;
	}
	for (size_t i = 0; suffixes[i]; i++) {
		if (strcasecmp(end, suffixes[i]) == 0) {
			if (mult[i + 1] && n > UINT64_MAX / mult[i + 1])
				return false;
			*out = n * mult[i + 1];
			return true;
		}
	}
	return false;
}

static bool parse_value(struct parser *p, const struct cfg_setting *s,
                        const char *v)
{
	static const char *const size_suffixes[] = {"B", "K", "KB", "KiB", "M",
	                                           "MB", "MiB", "G", "GB", "GiB",
	                                           NULL};
	static const uint64_t size_mult[] = {1,       1,       1024,    1024,
	                                     1024,    1048576, 1048576, 1048576,
	                                     1u << 30, 1u << 30, 1u << 30};
	static const char *const dur_suffixes[] = {"ms", "s", "m", "min", "h",
	                                         NULL};
	static const uint64_t dur_mult[] = {1000, 1, 1000, 60000, 60000, 3600000};
	void *at = (char *)p->target + s->offset;

	switch (s->type) {
	case CFG_STRING:
	case CFG_LIST:
		free(*(char **)at);
		*(char **)at = core_xstrdup(v);
		return true;
	case CFG_BOOL:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		    !strcasecmp(v, "on") || !strcmp(v, "1")) {
			*(bool *)at = true;
			return true;
		}
		if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
		    !strcasecmp(v, "off") || !strcmp(v, "0")) {
			*(bool *)at = false;
			return true;
		}
		return fail(p, "%s: expected true or false, got '%s'", s->name, v);
	case CFG_INT: {
		char *end = NULL;
		long long n;

		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno || end == v || *trim(end) != '\0')
			return fail(p, "%s: expected an integer, got '%s'", s->name,
			            v);
		if ((s->min || s->max) && (n < s->min || n > s->max)) {
			char range[64];
			snprintf(range, sizeof range, "%lld..%lld", s->min, s->max);
			return fail(p, "%s: must be in %s", s->name, range);
		}
		*(long long *)at = n;
		return true;
	}
	case CFG_SIZE:
		if (!parse_u64_suffixed(v, (uint64_t *)at, size_suffixes, size_mult,
		                        false))
			return fail(p, "%s: expected a size like 64K or 16M, got '%s'",
			            s->name, v);
		return true;
	case CFG_DURATION:
		if (!parse_u64_suffixed(v, (uint64_t *)at, dur_suffixes, dur_mult,
		                        false))
			return fail(p,
			            "%s: expected a duration like 500ms, 10s, 5m or 1h, "
			            "got '%s'",
			            s->name, v);
		return true;
	}
	return false;
}

static bool apply_defaults(struct parser *p, const struct cfg_setting *table,
                           void *target)
{
	void *saved = p->target;
	bool ok = true;

	p->target = target;
	for (const struct cfg_setting *s = table; s->name && ok; s++)
		if (s->def)
			ok = parse_value(p, s, s->def);
	p->target = saved;
	return ok;
}

static bool valid_name(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > CFG_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && !strchr("_.-", n[i]))
			return false;
	return true;
}

/* Room for one more element of a section array. */
static void *grow(void *arr, size_t n, size_t size)
{
	void *p = reallocarray(arr, n + 1, size);

	if (!p)
		abort();
	return p;
}

static bool check_required(struct parser *p)
{
	size_t i = 0;

	if (!p->table)
		return true;
	for (const struct cfg_setting *s = p->table; s->name; s++, i++) {
		if (s->required && !p->seen[i]) {
			p->line = p->sec_line;
			return fail(p, "section [%s] lacks the required setting '%s'",
			            p->sec_name, s->name);
		}
	}
	return true;
}

static bool begin_section(struct parser *p, char *hdr)
{
	char *sp, *kind_s, *name = NULL;
	struct cfg *c = p->cfg;
	size_t count = 0;

	if (!check_required(p))
		return false;
	kind_s = trim(hdr);
	sp = strpbrk(kind_s, " \t");
	if (sp) {
		*sp = '\0';
		name = trim(sp + 1);
	}
	memset(p->seen, 0, p->seen_cap);
	p->sec_line = p->line;
	snprintf(p->sec_name, sizeof p->sec_name, "%s%s%.64s", kind_s,
	         name && *name ? " " : "", name ? name : "");
	if (!strcmp(kind_s, "gateway") || !strcmp(kind_s, "store") ||
	    !strcmp(kind_s, "approvals") || !strcmp(kind_s, "web")) {
		bool *seen;
		if (name && *name)
			return fail(p, "[%s] takes no name", kind_s);
		switch (kind_s[0]) {
		case 'g':
			seen = &p->seen_gateway;
			p->gateway_line = p->line;
			p->kind = CFG_SEC_GATEWAY;
			p->target = &c->gateway;
			break;
		case 's':
			seen = &p->seen_store;
			p->store_line = p->line;
			p->kind = CFG_SEC_STORE;
			p->target = &c->store;
			break;
		case 'a':
			seen = &p->seen_approvals;
			p->approvals_line = p->line;
			p->kind = CFG_SEC_APPROVALS;
			p->target = &c->approvals;
			break;
		default:
			seen = &c->has_web;
			p->web_line = p->line;
			p->kind = CFG_SEC_WEB;
			p->target = &c->web;
			break;
		}
		if (*seen)
			return fail(p, "[%s] appears twice", kind_s);
		*seen = true;
		p->table = cfg_settings(p->kind);
		/* [web] has required settings: its defaults apply only when it
		 * is present. */
		if (p->kind == CFG_SEC_WEB)
			return apply_defaults(p, p->table, p->target);
		return true;
	}
	if (!strcmp(kind_s, "listener"))
		p->kind = CFG_SEC_LISTENER;
	else if (!strcmp(kind_s, "idp"))
		p->kind = CFG_SEC_IDP;
	else if (!strcmp(kind_s, "connection"))
		p->kind = CFG_SEC_CONNECTION;
	else
		return fail(p,
		            "unknown section [%s] (expected gateway, store, approvals, "
		            "web, listener, idp or connection)",
		            kind_s);
	if (!name || !*name)
		return fail(p, "[%s] needs a name, e.g. [%s main]", kind_s, kind_s);
	if (!valid_name(name))
		return fail(p,
		            "section name '%s' must be 1-64 letters, digits, '_', '.' "
		            "or '-'",
		            name);
	if (c->n_listeners + c->n_idps + c->n_connections >= CFG_MAX_SECTIONS)
		return fail(p, "too many sections");
	p->table = cfg_settings(p->kind);
	switch (p->kind) {
	case CFG_SEC_LISTENER:
		for (size_t i = 0; i < c->n_listeners; i++)
			if (!strcmp(c->listeners[i].name, name))
				return fail(p, "[listener %s] appears twice", name);
		c->listeners = grow(c->listeners, c->n_listeners, sizeof *c->listeners);
		count = c->n_listeners++;
		memset(&c->listeners[count], 0, sizeof c->listeners[count]);
		c->listeners[count].name = core_xstrdup(name);
		c->listeners[count].line = p->line;
		p->target = &c->listeners[count];
		break;
	case CFG_SEC_IDP:
		for (size_t i = 0; i < c->n_idps; i++)
			if (!strcmp(c->idps[i].name, name))
				return fail(p, "[idp %s] appears twice", name);
		c->idps = grow(c->idps, c->n_idps, sizeof *c->idps);
		count = c->n_idps++;
		memset(&c->idps[count], 0, sizeof c->idps[count]);
		c->idps[count].name = core_xstrdup(name);
		c->idps[count].line = p->line;
		p->target = &c->idps[count];
		break;
	case CFG_SEC_CONNECTION:
		for (size_t i = 0; i < c->n_connections; i++)
			if (!strcmp(c->connections[i].name, name))
				return fail(p, "[connection %s] appears twice", name);
		c->connections = grow(c->connections, c->n_connections, sizeof *c->connections);
		count = c->n_connections++;
		memset(&c->connections[count], 0, sizeof c->connections[count]);
		c->connections[count].name = core_xstrdup(name);
		c->connections[count].line = p->line;
		p->target = &c->connections[count];
		break;
	default:
		abort();
	}
	return apply_defaults(p, p->table, p->target);
}

static bool set_key(struct parser *p, char *line)
{
	char *eq = strchr(line, '=');
	char *key, *val;
	size_t i = 0;

	if (!eq)
		return fail(p, "expected 'key = value', got '%s'", line);
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (!p->table)
		return fail(p, "'%s' is outside any section", key);
	for (const struct cfg_setting *s = p->table; s->name; s++, i++) {
		if (strcmp(s->name, key) != 0)
			continue;
		if (p->seen[i])
			return fail(p, "'%s' is set twice in this section", key);
		p->seen[i] = 1;
		if (*val == '\0' && s->required)
			return fail(p, "'%s' must not be empty", key);
		return parse_value(p, s, val);
	}
	return fail(p, "unknown setting '%s' in [%s]", key,
	            cfg_section_name(p->kind));
}

static bool is_url_ok(const char *url)
{
	char host[256];
	const char *h, *end;

	if (!strncmp(url, "https://", 8))
		return strlen(url) > 8;
	if (strncmp(url, "http://", 7) != 0)
		return false;
	h = url + 7;
	/* "http://localhost:80@evil.example/" names the host evil.example: an
	 * HTTP client reads what precedes '@' as user-info, so refuse it. */
	if (memchr(h, '@', strcspn(h, "/?#")))
		return false;
	if (*h == '[') {
		end = strchr(h, ']');
		if (!end || (end[1] != '\0' && !strchr(":/?#", end[1])))
			return false;
		h++;
	} else {
		end = h + strcspn(h, ":/");
	}
	if ((size_t)(end - h) >= sizeof host || end == h)
		return false;
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	return core_is_loopback_host(host);
}

/* Whole-file checks that no single line can make. */
static bool validate(struct parser *p)
{
	struct cfg *c = p->cfg;
	bool need_tls = false;

	p->line = 0;
	if (!p->seen_store)
		return fail(p, "missing [store] section");
	if (c->n_listeners == 0)
		return fail(p, "no [listener NAME] section");
	if (c->n_idps == 0)
		return fail(p, "no [idp NAME] section");
	if (c->n_connections == 0)
		return fail(p, "no [connection NAME] section");
	p->line = p->gateway_line;
	if (strcmp(c->gateway.log_level, "debug") &&
	    strcmp(c->gateway.log_level, "info") &&
	    strcmp(c->gateway.log_level, "warn") &&
	    strcmp(c->gateway.log_level, "error"))
		return fail(p, "[gateway] log_level must be debug, info, warn or error");
	if (c->gateway.max_packet_size < 1024 ||
	    c->gateway.max_packet_size > (1ull << 30))
		return fail(p, "[gateway] max_packet_size must be between 1K and 1G");
	if (c->gateway.max_packet_size_auth < 1024 ||
	    c->gateway.max_packet_size_auth > (1u << 20))
		return fail(p,
		            "[gateway] max_packet_size_auth must be between 1K and 1M");
	if (c->gateway.handshake_timeout == 0)
		return fail(p, "[gateway] handshake_timeout must not be 0");
	for (size_t i = 0; i < c->n_listeners; i++) {
		struct cfg_listener *l = &c->listeners[i];
		p->line = l->line;
		if (l->require_tls)
			need_tls = true;
		if (l->require_tls && l->allow_plaintext_loopback)
			return fail(p,
			            "[listener %s] require_tls and "
			            "allow_plaintext_loopback contradict each other",
			            l->name);
		if (!l->require_tls && !l->allow_plaintext_loopback)
			return fail(p,
			            "[listener %s] require_tls = false needs "
			            "allow_plaintext_loopback = true (tokens over plain "
			            "TCP are only allowed on loopback)",
			            l->name);
		if (l->allow_plaintext_loopback &&
		    !core_is_loopback_host(l->address))
			return fail(p,
			            "[listener %s] allow_plaintext_loopback needs a "
			            "loopback address, not '%s'",
			            l->name, l->address);
	}
	p->line = p->gateway_line;
	if (need_tls && (!c->gateway.tls_cert || !c->gateway.tls_key))
		return fail(p,
		            "[gateway] tls_cert and tls_key are required by a listener "
		            "with require_tls = true");
	for (size_t i = 0; i < c->n_connections; i++) {
		struct cfg_connection *k = &c->connections[i];
		p->line = k->line;
		if (!k->readonly_user != !k->readonly_password_file)
			return fail(p,
			            "[connection %s] readonly_user and "
			            "readonly_password_file go together",
			            k->name);
	}
	for (size_t i = 0; i < c->n_idps; i++) {
		struct cfg_idp *d = &c->idps[i];
		const char *a = d->algorithms;
		p->line = d->line;
		if (strcmp(d->type, "oidc") != 0)
			return fail(p, "[idp %s] type must be oidc, not '%s'", d->name,
			            d->type);
		if (!is_url_ok(d->issuer))
			return fail(p,
			            "[idp %s] issuer must be an https URL (http only on a "
			            "loopback host): '%s'",
			            d->name, d->issuer);
		if (d->jwks_uri && !is_url_ok(d->jwks_uri))
			return fail(p,
			            "[idp %s] jwks_uri must be an https URL (http only on a "
			            "loopback host): '%s'",
			            d->name, d->jwks_uri);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->idps[j].issuer, d->issuer))
				return fail(p, "[idp %s] has the same issuer as [idp %s]",
				            d->name, c->idps[j].name);
		if (*a == '\0')
			return fail(p, "[idp %s] algorithms must name at least one "
			            "algorithm", d->name);
		while (*a) {
			char alg[16];
			size_t n = strcspn(a, ",");
			const char *t = a;
			bool known = false;
			while (n && (*t == ' '))
				t++, n--;
			while (n && t[n - 1] == ' ')
				n--;
			if (n == 0 || n >= sizeof alg)
				return fail(p, "[idp %s] algorithms: bad list '%s'", d->name,
				            d->algorithms);
			memcpy(alg, t, n);
			alg[n] = '\0';
			for (size_t k = 0; supported_algorithms[k]; k++)
				if (!strcmp(alg, supported_algorithms[k]))
					known = true;
			if (!known)
				return fail(p,
				            "[idp %s] algorithms: '%s' is not supported (none "
				            "and HMAC are never accepted)",
				            d->name, alg);
			a += strcspn(a, ",");
			if (*a == ',')
				a++;
		}
	}
	p->line = p->approvals_line;
	if (c->approvals.review_timeout < 1000)
		return fail(p, "[approvals] review_timeout must be at least 1s");
	if (c->approvals.sweep_interval < 100)
		return fail(p, "[approvals] sweep_interval must be at least 100ms");
	if (c->approvals.webhook_url && !is_url_ok(c->approvals.webhook_url))
		return fail(p,
		            "[approvals] webhook_url must be an https URL (http only "
		            "on a loopback host): '%s'",
		            c->approvals.webhook_url);
	if (c->has_web) {
		struct cfg_web *w = &c->web;
		p->line = p->web_line;
		if (!w->reviewer_groups && !w->reviewer_subjects)
			return fail(p, "[web] needs reviewer_groups or reviewer_subjects: "
			               "nobody could review");
		if (w->idp && !cfg_find_idp(c, w->idp))
			return fail(p, "[web] idp '%s' names no [idp NAME] section",
			            w->idp);
		if (!w->tls_cert != !w->tls_key)
			return fail(p, "[web] tls_cert and tls_key go together");
		if (!w->tls_cert && !c->gateway.tls_cert)
			return fail(p, "[web] needs tls_cert and tls_key (or [gateway] "
			               "tls_cert and tls_key): the page is HTTPS only");
		if (w->public_url &&
		    (strncmp(w->public_url, "https://", 8) != 0 ||
		     strlen(w->public_url) <= 8 ||
		     strpbrk(w->public_url + 8, "/?#@") != NULL))
			return fail(p,
			            "[web] public_url must be https://host[:port] without "
			            "a path: '%s'",
			            w->public_url);
		if (w->session_lifetime < 60000)
			return fail(p, "[web] session_lifetime must be at least 1m");
		if (w->login_timeout < 10000)
			return fail(p, "[web] login_timeout must be at least 10s");
		if (!w->public_url) {
			char url[128];
			bool v6 = strchr(w->address, ':') != NULL;
			snprintf(url, sizeof url, "https://%s%.64s%s:%lld", v6 ? "[" : "",
			         w->address, v6 ? "]" : "", w->port);
			w->public_url = core_xstrdup(url);
		}
	}
	return true;
}

struct cfg *cfg_parse(const char *name, const char *text, size_t len,
                      char *err, size_t errlen)
{
	struct parser p = {0};
	struct cfg *c = core_xcalloc(1, sizeof *c);
	size_t pos = 0;
	size_t max_keys = 0;

	p.name = name;
	p.err = err;
	p.errlen = errlen;
	p.cfg = c;
	c->path = core_xstrdup(name);
	for (int k = CFG_SEC_GATEWAY; k <= CFG_SEC_LAST; k++) {
		size_t n = 0;
		for (const struct cfg_setting *s = cfg_settings(k); s->name; s++)
			n++;
		if (n > max_keys)
			max_keys = n;
	}
	p.seen_cap = max_keys;
	p.seen = core_xcalloc(max_keys, 1);
	if (!apply_defaults(&p, gateway_settings, &c->gateway) ||
	    !apply_defaults(&p, store_settings, &c->store) ||
	    !apply_defaults(&p, approvals_settings, &c->approvals))
		goto fail;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *line, *t;

		p.line++;
		if (memchr(text + pos, '\0', n)) {
			fail(&p, "NUL byte in line");
			goto fail;
		}
		line = core_xstrndup(text + pos, n);
		pos += n + (nl ? 1 : 0);
		strip_comment(line);
		t = trim(line);
		if (*t == '\0') {
			free(line);
			continue;
		}
		if (*t == '[') {
			char *close = strchr(t, ']');
			bool ok;
			if (!close || *trim(close + 1) != '\0') {
				fail(&p, "malformed section header '%s'", t);
				free(line);
				goto fail;
			}
			*close = '\0';
			ok = begin_section(&p, t + 1);
			free(line);
			if (!ok)
				goto fail;
			continue;
		}
		if (!set_key(&p, t)) {
			free(line);
			goto fail;
		}
		free(line);
	}
	if (!check_required(&p) || !validate(&p))
		goto fail;
	free(p.seen);
	return c;
fail:
	free(p.seen);
	cfg_free(c);
	return NULL;
}

struct cfg *cfg_load(const char *path, char *err, size_t errlen)
{
	char ferr[256];
	char *text = core_read_file(path, CFG_MAX_FILE, ferr, sizeof ferr);
	struct cfg *c;

	if (!text) {
		snprintf(err, errlen, "%s:0: %s", path, ferr);
		return NULL;
	}
	c = cfg_parse(path, text, strlen(text), err, errlen);
	free(text);
	return c;
}

static void free_section(const struct cfg_setting *table, void *target)
{
	for (const struct cfg_setting *s = table; s->name; s++) {
		if (s->type == CFG_STRING || s->type == CFG_LIST) {
			char **at = (char **)((char *)target + s->offset);
			free(*at);
			*at = NULL;
		}
	}
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	free_section(gateway_settings, &c->gateway);
	free_section(store_settings, &c->store);
	free_section(approvals_settings, &c->approvals);
	free_section(web_settings, &c->web);
	for (size_t i = 0; i < c->n_listeners; i++) {
		free_section(listener_settings, &c->listeners[i]);
		free(c->listeners[i].name);
	}
	for (size_t i = 0; i < c->n_idps; i++) {
		free_section(idp_settings, &c->idps[i]);
		free(c->idps[i].name);
	}
	for (size_t i = 0; i < c->n_connections; i++) {
		free_section(connection_settings, &c->connections[i]);
		free(c->connections[i].name);
	}
	free(c->listeners);
	free(c->idps);
	free(c->connections);
	free(c->path);
	free(c);
}

const struct cfg_connection *cfg_find_connection(const struct cfg *c,
                                                 const char *name)
{
	for (size_t i = 0; i < c->n_connections; i++)
		if (!strcmp(c->connections[i].name, name))
			return &c->connections[i];
	return NULL;
}

const struct cfg_idp *cfg_find_idp(const struct cfg *c, const char *name)
{
	for (size_t i = 0; i < c->n_idps; i++)
		if (!strcmp(c->idps[i].name, name))
			return &c->idps[i];
	return NULL;
}

bool cfg_list_contains(const char *list, const char *item)
{
	size_t ilen = strlen(item);

	while (list && *list) {
		const char *t = list;
		size_t n = strcspn(list, ",");
		list += n;
		if (*list == ',')
			list++;
		while (n && (*t == ' ' || *t == '\t'))
			t++, n--;
		while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
			n--;
		if (n == ilen && strncasecmp(t, item, n) == 0)
			return true;
	}
	return false;
}

static const char *type_name(enum cfg_type t)
{
	switch (t) {
	case CFG_STRING:
		return "string";
	case CFG_INT:
		return "integer";
	case CFG_BOOL:
		return "boolean";
	case CFG_SIZE:
		return "size";
	case CFG_DURATION:
		return "duration";
	case CFG_LIST:
		return "list";
	}
	return "?";
}

void cfg_write_reference(FILE *out)
{
	static const char *const headers[] = {
		[CFG_SEC_GATEWAY] = "[gateway]",
		[CFG_SEC_STORE] = "[store]",
		[CFG_SEC_LISTENER] = "[listener NAME]",
		[CFG_SEC_IDP] = "[idp NAME]",
		[CFG_SEC_CONNECTION] = "[connection NAME]",
		[CFG_SEC_APPROVALS] = "[approvals]",
		[CFG_SEC_WEB] = "[web] (optional: enables the reviewer web page)",
	};

	for (int k = CFG_SEC_GATEWAY; k <= CFG_SEC_LAST; k++) {
		fprintf(out, "### `%s`\n\n", headers[k]);
		fprintf(out, "| setting | type | default | description |\n");
		fprintf(out, "|---|---|---|---|\n");
		for (const struct cfg_setting *s = cfg_settings(k); s->name; s++)
			fprintf(out, "| `%s` | %s | %s | %s |\n", s->name,
			        type_name(s->type),
			        s->required ? "**required**"
			                    : (s->def ? s->def : "(unset)"),
			        s->help);
		fprintf(out, "\n");
	}
}
