/*
 * SQL text helpers for the store: literals for the recorder's batches,
 * fields of COPY's binary format for its statement rows, timestamps, UUID
 * checks, the revocation NOTIFY payload, and the libpq connection keywords
 * every store connection uses.
 *
 * Batches are built by us, so everything a client or token controls passes
 * through store_sql_str / store_sql_text or store_copy_str /
 * store_copy_text here and nowhere else: literals are escaped, COPY fields
 * carry their length (nothing in them is syntax) and both are made valid
 * UTF-8 first. Lookups and admin commands use query parameters instead and
 * need none of this.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/internal.h"

/* Appends s (n bytes of valid UTF-8 without NUL) inside E'...'. */
static void append_escaped(struct core_buf *b, const char *s, size_t n)
{
	size_t i;
	uint8_t *p;

	/* Worst case every byte doubles; plus E, two quotes. */
	core_buf_reserve(b, 2 * n + 3);
	p = b->data + b->len;
	*p++ = 'E';
	*p++ = '\'';
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\'' || c == '\\')
			*p++ = (uint8_t)c;
		*p++ = (uint8_t)c;
	}
	*p++ = '\'';
	b->len = (size_t)(p - b->data);
}

/* True when every byte is 7-bit ASCII other than NUL: such text is valid
 * UTF-8 as it is and needs no copy. */
static bool plain_ascii(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == 0 || s[i] >= 0x80)
			return false;
	return true;
}

/* Appends the bytes made valid UTF-8 through `append`; true when nothing
 * had to change. */
static bool append_text(struct core_buf *b, const void *data, size_t len,
                        void (*append)(struct core_buf *, const char *,
                                       size_t))
{
	char *clean = NULL;
	bool lossless = false;

	if (plain_ascii(data, len)) {
		append(b, data, len);
		return true;
	}
	clean = core_utf8_sanitize(data, len, &lossless);
	append(b, clean, strlen(clean));
	free(clean);
	return lossless;
}

bool store_sql_text(struct core_buf *b, const void *data, size_t len)
{
	return append_text(b, data, len, append_escaped);
}

void store_sql_str(struct core_buf *b, const char *s)
{
	if (s == NULL) {
		core_buf_append(b, "NULL", 4);
		return;
	}
	(void)store_sql_text(b, s, strlen(s));
}

/* ------------------------------------------------------- binary COPY */

/* Integers of the binary format are big-endian (network order). */
static void put_be(struct core_buf *b, uint64_t v, size_t n)
{
	uint8_t *p;
	size_t i;

	core_buf_reserve(b, n);
	p = b->data + b->len;
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	b->len += n;
}

/* A field's length word; the caller keeps len within STORE_COPY_FIELD_MAX. */
static void field_len(struct core_buf *b, size_t len)
{
	put_be(b, (uint32_t)len, 4);
}

void store_copy_begin(struct core_buf *b)
{
	core_buf_append(b, STORE_COPY_SIGNATURE, STORE_COPY_SIGNATURE_LEN);
	put_be(b, 0, 4); /* flags: no OIDs */
	put_be(b, 0, 4); /* header extension: none */
}

void store_copy_end(struct core_buf *b)
{
	put_be(b, 0xffff, 2); /* a field count of -1 */
}

void store_copy_row(struct core_buf *b, uint16_t nfields)
{
	put_be(b, nfields, 2);
}

void store_copy_null(struct core_buf *b)
{
	put_be(b, 0xffffffffu, 4); /* a length of -1 */
}

void store_copy_i16(struct core_buf *b, int16_t v)
{
	field_len(b, 2);
	put_be(b, (uint16_t)v, 2);
}

void store_copy_i32(struct core_buf *b, int32_t v)
{
	field_len(b, 4);
	put_be(b, (uint32_t)v, 4);
}

void store_copy_i64(struct core_buf *b, int64_t v)
{
	field_len(b, 8);
	put_be(b, (uint64_t)v, 8);
}

/* Appends n bytes, at most STORE_COPY_FIELD_MAX, as one field. */
static void copy_field(struct core_buf *b, const void *data, size_t n)
{
	field_len(b, n);
	core_buf_append(b, data, n);
}

/* Appends valid UTF-8 without NUL as one text field, cut at a character
 * boundary when longer than max bytes. True when nothing was cut. */
static bool copy_utf8(struct core_buf *b, const char *s, size_t n, size_t max)
{
	bool whole = n <= max;

	if (!whole) {
		n = max;
		/* Back to the first byte of the character that was cut. */
		while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80)
			n--;
	}
	copy_field(b, s, n);
	return whole;
}

bool store_copy_text_max(struct core_buf *b, const void *data, size_t len,
                         size_t max)
{
	char *clean = NULL;
	bool lossless = false;

	if (max > STORE_COPY_FIELD_MAX)
		max = STORE_COPY_FIELD_MAX;
	if (plain_ascii(data, len))
		return copy_utf8(b, data, len, max);
	clean = core_utf8_sanitize(data, len, &lossless);
	if (!copy_utf8(b, clean, strlen(clean), max))
		lossless = false;
	free(clean);
	return lossless;
}

bool store_copy_text(struct core_buf *b, const void *data, size_t len)
{
	return store_copy_text_max(b, data, len, STORE_COPY_FIELD_MAX);
}

void store_copy_str(struct core_buf *b, const char *s)
{
	if (s == NULL) {
		store_copy_null(b);
		return;
	}
	(void)store_copy_text(b, s, strlen(s));
}

/* bytea's hex input \x... after `prefix`, then `suffix`. */
static void append_hex(struct core_buf *b, const char *prefix,
                       const void *data, size_t len, const char *suffix)
{
	static const char hex[] = "0123456789abcdef";
	size_t plen = strlen(prefix), slen = strlen(suffix);
	const uint8_t *s = data;
	uint8_t *p;
	size_t i;

	core_buf_reserve(b, plen + 2 * len + slen);
	p = b->data + b->len;
	memcpy(p, prefix, plen);
	p += plen;
	for (i = 0; i < len; i++) {
		*p++ = (uint8_t)hex[s[i] >> 4];
		*p++ = (uint8_t)hex[s[i] & 0x0f];
	}
	memcpy(p, suffix, slen);
	p += slen;
	b->len = (size_t)(p - b->data);
}

void store_sql_bytea(struct core_buf *b, const void *data, size_t len)
{
	/* E'\\x...': the literal's doubled backslash reads as one. */
	append_hex(b, "E'\\\\x", data, len, "'");
}

void store_copy_bytea(struct core_buf *b, const void *data, size_t len)
{
	copy_field(b, data, len > STORE_COPY_FIELD_MAX ? STORE_COPY_FIELD_MAX
	                                               : len);
}

void store_sql_i64(struct core_buf *b, int64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	/* Work on the magnitude as unsigned so INT64_MIN does not overflow. */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	core_buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Writes us as "2024-05-01 12:00:00.000001+00" into out (NUL-terminated)
 * and returns its length; 0 for a year outside 1 to 9999. */
static size_t format_ts(char out[40], int64_t us)
{
	/* Floor division, so times before 1970 keep a positive fraction. */
	int64_t secs = us / 1000000;
	int64_t frac = us % 1000000;
	time_t t;
	struct tm tm;
	int n;

	if (frac < 0) {
		frac += 1000000;
		secs -= 1;
	}
	t = (time_t)secs;
	/* A year PostgreSQL or ISO text cannot hold means a broken clock or
	 * caller: store no time rather than have the whole record refused. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 1 - 1900 ||
	    tm.tm_year > 9999 - 1900)
		return 0;
	n = snprintf(out, 40, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec, (int)frac);
	return n > 0 && n < 40 ? (size_t)n : 0;
}

void store_sql_ts(struct core_buf *b, int64_t us)
{
	char ts[40];
	size_t n = format_ts(ts, us);

	if (n == 0) {
		core_buf_append_str(b, "NULL");
		return;
	}
	core_buf_append(b, "'", 1);
	core_buf_append(b, ts, n);
	core_buf_append(b, "'", 1);
}

/* The years 1 to 9999 (UTC) in microseconds since 1970, the range
 * format_ts writes: [0001-01-01, 10000-01-01). */
#define TS_MIN_US (-62135596800LL * 1000000)
#define TS_END_US (253402300800LL * 1000000)
/* timestamptz's binary form counts microseconds from 2000-01-01 UTC. */
#define PG_EPOCH_US (946684800LL * 1000000)

void store_copy_ts(struct core_buf *b, int64_t us)
{
	if (us < TS_MIN_US || us >= TS_END_US)
		store_copy_null(b);
	else
		store_copy_i64(b, us - PG_EPOCH_US);
}

static uint8_t hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return (uint8_t)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (uint8_t)(c - 'a' + 10);
	return (uint8_t)(c - 'A' + 10);
}

void store_copy_uuid(struct core_buf *b, const char *id)
{
	uint8_t u[16];
	size_t i = 0, n = 0;

	/* 32 hexadecimal digits; the dashes carry nothing. */
	while (n < sizeof(u)) {
		if (id[i] == '-') {
			i++;
			continue;
		}
		u[n++] = (uint8_t)(hex_value(id[i]) << 4 | hex_value(id[i + 1]));
		i += 2;
	}
	copy_field(b, u, sizeof(u));
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

bool store_uuid_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (s[i] == '\0')
			return false;
		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return false;
	}
	return s[36] == '\0';
}

bool store_parse_revoke_payload(const char *payload, int64_t *id,
                                const char **reason)
{
	char *end = NULL;
	long long v;

	if (payload == NULL || payload[0] < '0' || payload[0] > '9')
		return false;
	errno = 0;
	v = strtoll(payload, &end, 10);
	if (errno != 0 || v <= 0)
		return false;
	if (*end == '\0') {
		*reason = "";
	} else if (*end == ' ') {
		*reason = end + 1;
	} else {
		return false;
	}
	*id = (int64_t)v;
	return true;
}

void store_pg_params(const char *dsn, const char *app,
                     const char *keywords[STORE_PG_PARAMS + 1],
                     const char *values[STORE_PG_PARAMS + 1])
{
	size_t i = 0;

	/* Before the DSN, so that it may override them. Keepalives find a
	 * peer that vanished without a reset within about a minute. */
	keywords[i] = "fallback_application_name";
	values[i++] = app;
	keywords[i] = "connect_timeout";
	values[i++] = "10";
	keywords[i] = "keepalives";
	values[i++] = "1";
	keywords[i] = "keepalives_idle";
	values[i++] = "30";
	keywords[i] = "keepalives_interval";
	values[i++] = "10";
	keywords[i] = "keepalives_count";
	values[i++] = "3";
	/* Expanded as a connection string (expand_dbname = 1). */
	keywords[i] = "dbname";
	values[i++] = dsn;
	/* After the DSN: batches are built as UTF-8 text. */
	keywords[i] = "client_encoding";
	values[i++] = "UTF8";
	keywords[i] = NULL;
	values[i] = NULL;
}

void store_pg_error(PGconn *pg, char *err, size_t errlen)
{
	const char *msg = pg ? PQerrorMessage(pg) : "out of memory";
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	snprintf(err, errlen, "%.*s", (int)n, msg);
	/* Multi-line libpq messages read better on one line: each run of
	 * white space becomes one space. */
	{
		char *w = err;
		const char *r;

		for (r = err; *r; r++) {
			bool space = *r == '\n' || *r == '\t' || *r == ' ';

			if (space && w > err && w[-1] == ' ')
				continue;
			*w++ = space ? ' ' : *r;
		}
		*w = '\0';
	}
}

static void notice_to_debug(void *arg, const char *message)
{
	size_t n = strlen(message);

	while (n > 0 && message[n - 1] == '\n')
		n--;
	log_debug("store: PostgreSQL says: %.*s", (int)n, message);
}

void store_pg_quiet(PGconn *pg)
{
	if (pg == NULL)
		return;
	(void)PQsetNoticeProcessor(pg, notice_to_debug, NULL);
}
