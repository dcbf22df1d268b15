/*
 * text.c: the pure text work of the web page — HTML escaping (the one
 * function every value on a page goes through), SQL keyword highlighting
 * on top of it, percent and form decoding, cookie parsing, route matching,
 * constant-time comparison, and small formatters and validators.
 *
 * Nothing here does I/O or keeps state; everything is covered by
 * tests/unit/test_web.c. Input is untrusted: every reader is bounded by the
 * length it is given, and what cannot be decoded exactly is refused rather
 * than guessed at.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core/core.h"
#include "web/internal.h"

/* U+FFFD REPLACEMENT CHARACTER, in UTF-8. */
#define REPLACEMENT "\xEF\xBF\xBD"
/* Longest path we route; longer ones are simply not found. */
#define MAX_ROUTE_PATH 256
#define MAX_RETURN_TO 512
/* Largest flash message we take back from a cookie (bytes, decoded). */
#define MAX_FLASH 1024

/* ----------------------------------------------------------------- HTML */

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes there
 * are not one: overlong forms, surrogates and values beyond U+10FFFF are
 * invalid (RFC 3629). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return len;
}

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k = utf8_seq(p + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

void web_html_n(struct core_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	/* Plain runs are copied in one append; only specials break them. */
	while (i < len) {
		unsigned char c = p[i];
		const char *rep = NULL;
		size_t k = 1;

		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				rep = REPLACEMENT;
			else if (c == 0x7f)
				rep = REPLACEMENT;
			else if (c >= 0x80) {
				k = utf8_seq(p + i, len - i);
				if (k == 0) {
					rep = REPLACEMENT;
					k = 1;
				}
			}
			break;
		}
		if (rep) {
			if (run)
				core_buf_append(b, p + i - run, run);
			run = 0;
			core_buf_append_str(b, rep);
			i += k;
		} else {
			run += k;
			i += k;
		}
	}
	if (run)
		core_buf_append(b, p + i - run, run);
}

void web_html(struct core_buf *b, const char *s)
{
	if (s)
		web_html_n(b, s, strlen(s));
}

static const char *const sql_keywords[] = {
	"ADD", "ALL", "ALTER", "AND", "AS", "ASC", "BEGIN", "BETWEEN", "BY",
	"CALL", "CASE", "CHANGE", "COLUMN", "COMMIT", "CREATE", "DATA",
	"DATABASE", "DEALLOCATE", "DEFAULT", "DELETE", "DESC", "DESCRIBE",
	"DISTINCT", "DO", "DROP", "ELSE", "END", "EXECUTE", "EXISTS", "EXPLAIN",
	"FLUSH", "FOR", "FOREIGN", "FROM", "FUNCTION", "GRANT", "GROUP",
	"HANDLER", "HAVING", "IDENTIFIED", "IF", "IN", "INDEX", "INFILE",
	"INNER", "INSERT", "INTO", "IS", "JOIN", "KEY", "KILL", "LEFT", "LIKE",
	"LIMIT", "LOAD", "LOCK", "MODIFY", "NOT", "NULL", "OFFSET", "ON", "OR",
	"ORDER", "OUTER", "OUTFILE", "PREPARE", "PRIMARY", "PRIVILEGES",
	"PROCEDURE", "REFERENCES", "RENAME", "REPLACE", "RESET", "REVOKE",
	"RIGHT", "ROLLBACK", "SCHEMA", "SELECT", "SET", "SHOW", "SHUTDOWN",
	"TABLE", "TABLES", "THEN", "TRIGGER", "TRUNCATE", "UNION", "UNLOCK",
	"UPDATE", "USE", "USER", "VALUES", "VIEW", "WHEN", "WHERE", "WITH",
};

static bool is_keyword(const char *w, size_t n)
{
	char up[16];

	if (n == 0 || n >= sizeof up)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!(c >= 'A' && c <= 'Z') && c != '_')
			return false;
		up[i] = c;
	}
	up[n] = '\0';
	for (size_t i = 0; i < sizeof sql_keywords / sizeof sql_keywords[0]; i++)
		if (strcmp(sql_keywords[i], up) == 0)
			return true;
	return false;
}

static bool is_word_byte(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/* Appends p[0..n) escaped inside <span class="cls">. */
static void span(struct core_buf *b, const char *cls, const char *p, size_t n)
{
	core_buf_printf(b, "<span class=\"%s\">", cls);
	web_html_n(b, p, n);
	core_buf_append_str(b, "</span>");
}

/* End of a quoted literal starting at s[i] (the quote), just past the
 * closing quote or at len when unterminated. Backslash escapes and doubled
 * quotes are followed the way MySQL reads them. */
static size_t quoted_end(const char *s, size_t i, size_t len)
{
	char q = s[i++];

	while (i < len) {
		if (s[i] == '\\' && q != '`') {
			i += i + 1 < len ? 2 : 1;
			continue;
		}
		if (s[i] == q) {
			if (i + 1 < len && s[i + 1] == q) {
				i += 2;
				continue;
			}
			return i + 1;
		}
		i++;
	}
	return len;
}

void web_html_sql(struct core_buf *b, const char *s)
{
	size_t len = s ? strlen(s) : 0, i = 0, plain = 0;

	/* Every token is handed whole to web_html_n, so a multi-byte UTF-8
	 * character (word bytes include everything >= 0x80) is never split. */
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t end = i;
		const char *cls = NULL;

		if (c == '\'' || c == '"') {
			end = quoted_end(s, i, len);
			cls = "str";
		} else if (c == '`') {
			end = quoted_end(s, i, len);
		} else if (c == '#' ||
		           (c == '-' && i + 1 < len && s[i + 1] == '-' &&
		            (i + 2 == len || s[i + 2] == ' ' || s[i + 2] == '\t' ||
		             s[i + 2] == '\n' || s[i + 2] == '\r'))) {
			const char *nl = memchr(s + i, '\n', len - i);
			end = nl ? (size_t)(nl - s) : len;
			cls = "cm";
		} else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *close = strstr(s + i + 2, "*/");
			end = close ? (size_t)(close - s) + 2 : len;
			cls = "cm";
		} else if (is_word_byte(c)) {
			while (end < len && is_word_byte((unsigned char)s[end]))
				end++;
			if (is_keyword(s + i, end - i))
				cls = "kw";
		} else {
			end = i + 1;
		}
		if (cls) {
			if (plain)
				web_html_n(b, s + i - plain, plain);
			plain = 0;
			span(b, cls, s + i, end - i);
		} else {
			plain += end - i;
		}
		i = end;
	}
	if (plain)
		web_html_n(b, s + i - plain, plain);
}

/* ------------------------------------------------------- URL and forms */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool web_url_decode(const char *s, size_t len, bool plus_space, char **out)
{
	char *d = core_xmalloc(len + 1);
	size_t o = 0;

	*out = NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;
			if (len - i < 3)
				goto bad;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				goto bad;
			c = (unsigned char)(h * 16 + l);
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c == '\0')
			goto bad;
		d[o++] = (char)c;
	}
	d[o] = '\0';
	*out = d;
	return true;

bad:
	free(d);
	return false;
}

void web_url_encode(struct core_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			core_buf_append(b, &c, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			core_buf_append(b, e, 3);
		}
	}
}

void web_form_free(struct web_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->f[i].name);
		free(f->f[i].value);
	}
	memset(f, 0, sizeof *f);
}

bool web_form_parse(const char *s, size_t len, struct web_form *f)
{
	size_t i = 0;

	memset(f, 0, sizeof *f);
	while (i < len) {
		const char *seg = s + i, *amp = memchr(seg, '&', len - i), *eq;
		size_t seglen = amp ? (size_t)(amp - seg) : len - i;
		char *name = NULL, *value = NULL;

		i += seglen + (amp ? 1 : 0);
		if (seglen == 0)
			continue;
		if (f->n == WEB_MAX_FIELDS)
			goto bad;
		eq = memchr(seg, '=', seglen);
		if (!web_url_decode(seg, eq ? (size_t)(eq - seg) : seglen, true,
		                    &name))
			goto bad;
		if (!web_url_decode(eq ? eq + 1 : "",
		                    eq ? seglen - (size_t)(eq - seg) - 1 : 0, true,
		                    &value)) {
			free(name);
			goto bad;
		}
		f->f[f->n].name = name;
		f->f[f->n].value = value;
		f->n++;
		if (!utf8_valid(name, strlen(name)) ||
		    !utf8_valid(value, strlen(value)))
			goto bad;
	}
	return true;

bad:
	web_form_free(f);
	return false;
}

const char *web_form_get(const struct web_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->f[i].name, name) == 0)
			return f->f[i].value;
	return NULL;
}

/* -------------------------------------------------------------- cookies */

bool web_cookie_get(const char *header, const char *name, char *out,
                    size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = header;

	if (!header || outlen == 0)
		return false;
	while (*p) {
		const char *end = strchr(p, ';');
		size_t seglen = end ? (size_t)(end - p) : strlen(p);
		const char *v;
		size_t vlen;

		while (seglen && (*p == ' ' || *p == '\t')) {
			p++;
			seglen--;
		}
		if (seglen > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			v = p + nlen + 1;
			vlen = seglen - nlen - 1;
			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (vlen == 0 || vlen >= outlen)
				return false;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return true;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/* -------------------------------------------------------------- secrets */

bool web_ct_equal(const char *a, const char *b)
{
	size_t n;

	if (!a || !b)
		return false;
	n = strlen(a);
	if (n != strlen(b) || n == 0)
		return false;
	return CRYPTO_memcmp(a, b, n) == 0;
}

bool web_token_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (n > 43)
			return false;
	}
	return n == 43;
}

void web_sha256_hex(const char *s, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), d);
	for (size_t i = 0; i < sizeof d; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

bool web_uuid_parse(const char *s, size_t len, char out[37])
{
	if (!s || len != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
			out[i] = c;
			continue;
		}
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[36] = '\0';
	return true;
}

/* --------------------------------------------------------------- routes */

struct route {
	const char *pattern; /* "{id}" stands for a UUID segment */
	bool post;
	enum web_route route;
};

static const struct route routes[] = {
	{"/", false, WEB_R_QUEUE},
	{"/healthz", false, WEB_R_HEALTH},
	{"/static/app.js", false, WEB_R_STATIC},
	{"/static/app.css", false, WEB_R_STATIC},
	{"/favicon.ico", false, WEB_R_STATIC},
	{"/login", false, WEB_R_LOGIN},
	{"/login/callback", false, WEB_R_CALLBACK},
	{"/logout", true, WEB_R_LOGOUT},
	{"/fragment/queue", false, WEB_R_QUEUE_FRAGMENT},
	{"/requests/{id}", false, WEB_R_REQUEST},
	{"/requests/{id}/approve", true, WEB_R_APPROVE},
	{"/requests/{id}/deny", true, WEB_R_DENY},
	{"/history", false, WEB_R_HISTORY},
	{"/sessions/{id}", false, WEB_R_SESSION},
	{"/grants", false, WEB_R_GRANTS},
	{"/grants/{id}/revoke", true, WEB_R_REVOKE},
	{"/events", false, WEB_R_EVENTS},
};

/* Matches path against one pattern; the UUID goes to id. */
static bool match_one(const char *pattern, const char *path, char id[37])
{
	const char *hole = strstr(pattern, "{id}");
	size_t pre, post_len, plen = strlen(path);

	if (!hole)
		return strcmp(pattern, path) == 0;
	pre = (size_t)(hole - pattern);
	post_len = strlen(hole + 4);
	if (plen != pre + 36 + post_len)
		return false;
	if (strncmp(path, pattern, pre) != 0 ||
	    strcmp(path + pre + 36, hole + 4) != 0)
		return false;
	return web_uuid_parse(path + pre, 36, id);
}

void web_route_match(bool post, const char *path, struct web_match *m)
{
	char id[37];

	memset(m, 0, sizeof *m);
	m->route = WEB_R_NOT_FOUND;
	if (!path || strlen(path) > MAX_ROUTE_PATH)
		return;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (!match_one(routes[i].pattern, path, id))
			continue;
		m->route = routes[i].route;
		m->method_ok = routes[i].post == post;
		if (strstr(routes[i].pattern, "{id}"))
			memcpy(m->id, id, sizeof m->id);
		return;
	}
}

/* ----------------------------------------------------------- formatting */

void web_fmt_duration(int64_t secs, char *out, size_t outlen)
{
	if (secs <= 0)
		snprintf(out, outlen, "expired");
	else if (secs < 60)
		snprintf(out, outlen, "%llds", (long long)secs);
	else if (secs < 3600)
		snprintf(out, outlen, "%lldm %02llds", (long long)(secs / 60),
		         (long long)(secs % 60));
	else if (secs < 86400)
		snprintf(out, outlen, "%lldh %02lldm", (long long)(secs / 3600),
		         (long long)(secs % 3600 / 60));
	else
		snprintf(out, outlen, "%lldd %lldh", (long long)(secs / 86400),
		         (long long)(secs % 86400 / 3600));
}

bool web_return_to_ok(const char *s)
{
	size_t n;

	if (!s || s[0] != '/' || s[1] == '/')
		return false;
	n = strlen(s);
	if (n > MAX_RETURN_TO)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return false;
	}
	return true;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
	                             31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

bool web_date_ok(const char *s)
{
	int year, month, day;
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2))
		return false;
	year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	       (s[3] - '0');
	month = (s[5] - '0') * 10 + (s[6] - '0');
	day = (s[8] - '0') * 10 + (s[9] - '0');
	if (year < 1 || month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month))
		return false;
	if (n == 10)
		return true;
	if ((s[10] != 'T' && s[10] != ' ') || (n != 16 && n != 19) ||
	    !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2))
		return false;
	if (s[11] > '2' || (s[11] == '2' && s[12] > '3') || s[14] > '5')
		return false;
	if (n == 19 && (s[16] != ':' || !digits(s + 17, 2) || s[17] > '5'))
		return false;
	return true;
}

bool web_parse_int(const char *s, long long min, long long max,
                   long long *out)
{
	long long v = 0;
	bool neg = false;
	size_t i = 0;

	if (!s || !*s)
		return false;
	if (s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (!s[i] || strlen(s + i) > 18)
		return false;
	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

void web_pg_array(struct core_buf *b, char *const *items, size_t n)
{
	core_buf_append_str(b, "{");
	for (size_t i = 0; i < n; i++) {
		const char *p = items[i];

		if (i)
			core_buf_append_str(b, ",");
		core_buf_append_str(b, "\"");
		for (; *p; p++) {
			if (*p == '"' || *p == '\\')
				core_buf_append_str(b, "\\");
			core_buf_append(b, p, 1);
		}
		core_buf_append_str(b, "\"");
	}
	core_buf_append_str(b, "}");
}

/* ------------------------------------------------------------- origins */

static void normalise_origin(const char *in, size_t n, char *out,
                             size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	/* Only the default port of https is dropped: the page is HTTPS only. */
	if (n > 4 && strncmp(in + n - 4, ":443", 4) == 0 &&
	    strncasecmp(in, "https://", 8) == 0)
		n -= 4;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[o++] = c;
	}
	out[o] = '\0';
}

void web_origin_of(const char *public_url, char *out, size_t outlen)
{
	size_t n = strlen(public_url);

	while (n > 0 && public_url[n - 1] == '/')
		n--;
	normalise_origin(public_url, n, out, outlen);
}

bool web_origin_matches(const char *origin, const char *expected)
{
	char norm[300];

	if (!origin || strlen(origin) >= sizeof norm)
		return false;
	normalise_origin(origin, strlen(origin), norm, sizeof norm);
	return strcmp(norm, expected) == 0;
}

bool web_notify_payload_ok(const char *payload)
{
	char id[37];
	size_t n;

	if (!payload || strlen(payload) < 38 || payload[36] != ' ' ||
	    !web_uuid_parse(payload, 36, id))
		return false;
	n = strlen(payload + 37);
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 37; payload[i]; i++)
		if (payload[i] < 'a' || payload[i] > 'z')
			return false;
	return true;
}

/* ---------------------------------------------------------------- flash */

char *web_flash_encode(bool ok, const char *msg)
{
	struct core_buf b = {0};
	char *out;

	core_buf_append_str(&b, ok ? "o" : "e");
	core_buf_append(&b, msg, strnlen(msg, MAX_FLASH - 1));
	out = core_base64_encode(b.data, b.len, true);
	core_buf_free(&b);
	return out;
}

bool web_flash_decode(const char *value, bool *ok, char **msg)
{
	uint8_t *raw = NULL;
	size_t n = 0;

	*msg = NULL;
	if (!value || strlen(value) > (MAX_FLASH + 2) / 3 * 4 + 4)
		return false;
	if (!core_base64_decode(value, strlen(value), true, &raw, &n))
		return false;
	if (n < 2 || n > MAX_FLASH || (raw[0] != 'o' && raw[0] != 'e') ||
	    memchr(raw, '\0', n) || !utf8_valid((const char *)raw + 1, n - 1)) {
		free(raw);
		return false;
	}
	*ok = raw[0] == 'o';
	*msg = core_xstrndup((const char *)raw + 1, n - 1);
	free(raw);
	return true;
}
