/*
 * core: the pieces every other module stands on — logging, growable byte
 * buffers, a bounds-checked read cursor for untrusted bytes, base64 and hex
 * helpers, clocks, secret wiping and the INI configuration with its single
 * settings table.
 *
 * core knows nothing of MySQL, PostgreSQL, tokens or the event loop.
 */
#ifndef AGENTGATE_CORE_H
#define AGENTGATE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CORE_WUR __attribute__((warn_unused_result))

/* ------------------------------------------------------------------ log */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines go to stderr as "time level message". Never pass secrets. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* ---------------------------------------------------------------- buffer */

/* A growable byte buffer. Zero-initialise it; core_buf_free() releases. */
struct core_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Make room for `extra` more bytes. Aborts on allocation failure (our own
 * invariant: callers bound every size they append before appending). */
void core_buf_reserve(struct core_buf *b, size_t extra);
void core_buf_append(struct core_buf *b, const void *data, size_t len);
void core_buf_append_str(struct core_buf *b, const char *s);
void core_buf_printf(struct core_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void core_buf_reset(struct core_buf *b);
/* Wipes the contents with explicit_bzero before freeing. */
void core_buf_free(struct core_buf *b);

/* Little-endian writers used by the MySQL codec. */
void wr_u8(struct core_buf *b, uint8_t v);
void wr_u16le(struct core_buf *b, uint16_t v);
void wr_u24le(struct core_buf *b, uint32_t v);
void wr_u32le(struct core_buf *b, uint32_t v);
void wr_u64le(struct core_buf *b, uint64_t v);
void wr_lenenc(struct core_buf *b, uint64_t v);
void wr_lenenc_str(struct core_buf *b, const void *s, size_t len);
void wr_bytes(struct core_buf *b, const void *s, size_t len);
void wr_nulstr(struct core_buf *b, const char *s);

/* ---------------------------------------------------------------- cursor */

/* A read cursor over bytes we did not produce. Every reader returns false,
 * and leaves the cursor where it was, when the bytes are not there. */
struct cursor {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static inline void cursor_init(struct cursor *c, const void *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->pos = 0;
}

static inline size_t cursor_left(const struct cursor *c)
{
	return c->len - c->pos;
}

bool rd_u8(struct cursor *c, uint8_t *v) CORE_WUR;
bool rd_u16le(struct cursor *c, uint16_t *v) CORE_WUR;
bool rd_u24le(struct cursor *c, uint32_t *v) CORE_WUR;
bool rd_u32le(struct cursor *c, uint32_t *v) CORE_WUR;
bool rd_u64le(struct cursor *c, uint64_t *v) CORE_WUR;
/* MySQL length-encoded integer. 0xFB (NULL) and 0xFF are refused. */
bool rd_lenenc(struct cursor *c, uint64_t *v) CORE_WUR;
/* Points *s at n bytes inside the cursor's memory (no copy). */
bool rd_bytes(struct cursor *c, size_t n, const uint8_t **s) CORE_WUR;
/* A NUL-terminated string; *s points inside the cursor, *n excludes NUL. */
bool rd_nulstr(struct cursor *c, const char **s, size_t *n) CORE_WUR;
/* A length-encoded string, its length checked against what is left. */
bool rd_lenenc_str(struct cursor *c, const uint8_t **s, size_t *n) CORE_WUR;
/* Everything that is left. */
void rd_rest(struct cursor *c, const uint8_t **s, size_t *n);
bool rd_skip(struct cursor *c, size_t n) CORE_WUR;

/* -------------------------------------------------------------- encoding */

/* Caller owns the returned NUL-terminated string (malloc). */
char *core_hex(const void *data, size_t len);
/* Standard (url=false) or URL-safe alphabet, no padding required on input.
 * Returns false on any invalid character. Caller frees *out. */
bool core_base64_decode(const char *in, size_t inlen, bool url, uint8_t **out,
                        size_t *outlen) CORE_WUR;
char *core_base64_encode(const void *data, size_t len, bool url);

/* Copy into a fresh string that is valid UTF-8 without NUL: invalid bytes
 * become U+FFFD and NUL becomes U+FFFD. Sets *lossless when nothing changed.
 * Caller frees. */
char *core_utf8_sanitize(const void *data, size_t len, bool *lossless);

/* Appends the bytes as a JSON string literal (quotes included): made valid
 * UTF-8 as core_utf8_sanitize does, then escaped. */
void core_buf_json_string(struct core_buf *b, const void *data, size_t len);

/* 36-character random UUID (v4) into out[37]. */
void core_uuid(char out[37]);

/* ----------------------------------------------------------------- time */

uint64_t core_mono_ms(void);   /* monotonic milliseconds */
int64_t core_wall_us(void);    /* microseconds since the Unix epoch */

/* ---------------------------------------------------------------- misc */

void core_wipe(void *p, size_t n);  /* explicit_bzero */
void *core_xmalloc(size_t n);       /* abort on OOM */
void *core_xcalloc(size_t n, size_t m);
char *core_xstrdup(const char *s);
char *core_xstrndup(const char *s, size_t n);
/* Reads a whole small file (at most max bytes, no NUL byte). Trailing
 * newlines stripped. Caller frees (and wipes when secret). */
char *core_read_file(const char *path, size_t max, char *err, size_t errlen);
/* True for 127.0.0.0/8, ::1 and "localhost". */
bool core_is_loopback_host(const char *host);

/* --------------------------------------------------------------- config */

enum cfg_type {
	CFG_STRING,   /* char * (owned) */
	CFG_INT,      /* long long */
	CFG_BOOL,     /* bool */
	CFG_SIZE,     /* uint64_t, accepts K/M/G suffixes */
	CFG_DURATION, /* uint64_t milliseconds, accepts ms/s/m/h suffixes */
	CFG_LIST,     /* char * holding a comma separated list */
};

/* One setting in the settings table. `offset` is into the section's struct. */
struct cfg_setting {
	const char *name;
	enum cfg_type type;
	size_t offset;
	bool reloadable;
	const char *def;      /* default as text, NULL = required or unset */
	bool required;
	long long min, max;   /* for CFG_INT; 0,0 = unchecked */
	const char *help;
};

enum cfg_section_kind {
	CFG_SEC_GATEWAY,    /* [gateway] — exactly one */
	CFG_SEC_STORE,      /* [store]   — exactly one */
	CFG_SEC_LISTENER,   /* [listener NAME] — one or more */
	CFG_SEC_IDP,        /* [idp NAME] — one or more */
	CFG_SEC_CONNECTION, /* [connection NAME] — one or more */
	CFG_SEC_APPROVALS,  /* [approvals] — optional, defaults apply */
	CFG_SEC_WEB,        /* [web] — optional: the reviewer web page */
};
#define CFG_SEC_LAST CFG_SEC_WEB

struct cfg_gateway {
	char *instance;
	char *tls_cert;
	char *tls_key;
	char *log_level;
	uint64_t max_packet_size;
	uint64_t max_packet_size_auth;
	uint64_t handshake_timeout;
	uint64_t idle_timeout;
	uint64_t backend_connect_timeout;
	bool close_on_token_expiry;
	uint64_t max_session_lifetime;
	long long max_sessions;
	long long max_sessions_per_agent;
	uint64_t client_high_watermark;
	bool functions_are_reads;
};

struct cfg_store {
	char *dsn;
	long long queue_size;
	long long batch_size;
	uint64_t flush_interval;
	uint64_t grace;
	uint64_t reconnect_interval;
};

struct cfg_listener {
	char *name;
	unsigned line;           /* line of the section header */
	char *address;
	long long port;
	bool require_tls;
	bool allow_plaintext_loopback;
};

struct cfg_idp {
	char *name;
	unsigned line;           /* line of the section header */
	char *type;              /* "oidc" */
	char *issuer;
	char *audience;
	char *jwks_uri;          /* optional: skips discovery */
	char *ca_file;
	char *subject_claim;
	char *groups_claim;
	char *name_claim;
	char *algorithms;        /* comma separated allow-list */
	uint64_t clock_skew;
	uint64_t jwks_refresh_min_interval;
	uint64_t jwks_max_age;
	uint64_t fetch_timeout;
};

struct cfg_connection {
	char *name;
	unsigned line;           /* line of the section header */
	char *host;
	long long port;
	char *user;
	char *password_file;
	char *database;
	bool tls;
	char *tls_ca;
	bool tls_verify;
	char *readonly_user;          /* optional second, read-only credential */
	char *readonly_password_file;
};

struct cfg_approvals {
	uint64_t review_timeout;
	uint64_t deferred_window;
	long long max_pending_per_agent;
	long long max_pending;
	uint64_t max_grant_duration;
	uint64_t max_statement_size;
	long long context_statements;
	uint64_t sweep_interval;
	char *webhook_url;
	char *webhook_ca_file;
	char *webhook_secret_file;
	uint64_t webhook_timeout;
	long long webhook_max_attempts;
};

struct cfg_web {
	char *address;
	long long port;
	char *public_url;          /* as configured, or derived at load */
	char *tls_cert;            /* default: [gateway] tls_cert */
	char *tls_key;
	char *idp;                 /* [idp NAME] reviewers log in with */
	char *client_id;
	char *client_secret_file;
	char *reviewer_groups;     /* comma separated */
	char *reviewer_subjects;   /* comma separated */
	uint64_t session_lifetime;
	uint64_t login_timeout;
	long long max_clients;
};

struct cfg {
	char *path;
	struct cfg_gateway gateway;
	struct cfg_store store;
	struct cfg_approvals approvals;
	bool has_web;              /* a [web] section was given */
	struct cfg_web web;
	struct cfg_listener *listeners;
	size_t n_listeners;
	struct cfg_idp *idps;
	size_t n_idps;
	struct cfg_connection *connections;
	size_t n_connections;
};

/* Parse an INI file. On failure returns NULL and writes "file:line: reason"
 * into err. Caller frees with cfg_free(). */
struct cfg *cfg_load(const char *path, char *err, size_t errlen) CORE_WUR;
/* Same, from memory; `name` is used in messages. */
struct cfg *cfg_parse(const char *name, const char *text, size_t len, char *err,
                      size_t errlen) CORE_WUR;
void cfg_free(struct cfg *c);

const struct cfg_connection *cfg_find_connection(const struct cfg *c,
                                                 const char *name);
const struct cfg_idp *cfg_find_idp(const struct cfg *c, const char *name);

/* The settings table of one section kind, NULL-name terminated. */
const struct cfg_setting *cfg_settings(enum cfg_section_kind kind);
const char *cfg_section_name(enum cfg_section_kind kind);
/* Writes the reference documentation of every setting as Markdown. */
void cfg_write_reference(FILE *out);

/* Split a comma separated list; returns true when `item` is in it
 * (case-insensitive, surrounding spaces ignored). */
bool cfg_list_contains(const char *list, const char *item);

#endif
