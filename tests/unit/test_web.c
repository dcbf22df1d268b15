/*
 * Unit tests of web's pure parts: HTML escaping (the one way values reach
 * a page) and SQL highlighting on top of it, percent and form decoding,
 * cookies, the CSRF comparison, route matching with malformed UUIDs, PKCE
 * (RFC 7636 appendix B), formatters and validators, the flash cookie, who
 * may review, and the compiled-in static files.
 *
 * The server itself (TLS, sessions in PostgreSQL, the login against a real
 * identity provider) is exercised by tests/integration/it_web.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "idp/idp.h"
#include "web/internal.h"

#define FFFD "\xEF\xBF\xBD"

/* ----------------------------------------------------------- helpers */

static char *html(const char *s)
{
	struct core_buf b = {0};

	web_html(&b, s);
	core_buf_append(&b, "", 1);
	return (char *)b.data;
}

static char *html_n(const char *s, size_t n)
{
	struct core_buf b = {0};

	web_html_n(&b, s, n);
	core_buf_append(&b, "", 1);
	return (char *)b.data;
}

static char *html_sql(const char *s)
{
	struct core_buf b = {0};

	web_html_sql(&b, s);
	core_buf_append(&b, "", 1);
	return (char *)b.data;
}

/* Removes the highlighting spans, leaving what web_html would give. */
static char *strip_spans(const char *s)
{
	struct core_buf b = {0};

	while (*s) {
		if (strncmp(s, "<span class=\"", 13) == 0) {
			s = strchr(s, '>') + 1;
			continue;
		}
		if (strncmp(s, "</span>", 7) == 0) {
			s += 7;
			continue;
		}
		core_buf_append(&b, s, 1);
		s++;
	}
	core_buf_append(&b, "", 1);
	return (char *)b.data;
}

#define ASSERT_HTML(in, want)                                                 \
	do {                                                                      \
		char *got_ = html(in);                                                \
		assert_string_equal(got_, want);                                      \
		free(got_);                                                           \
	} while (0)

/* -------------------------------------------------------------- HTML */

static void test_html_specials(void **state)
{
	(void)state;
	ASSERT_HTML("&", "&amp;");
	ASSERT_HTML("<", "&lt;");
	ASSERT_HTML(">", "&gt;");
	ASSERT_HTML("\"", "&quot;");
	ASSERT_HTML("'", "&#39;");
	ASSERT_HTML("<script>alert('x' + \"y\")</script>&amp;",
	            "&lt;script&gt;alert(&#39;x&#39; + &quot;y&quot;)&lt;/script&gt;"
	            "&amp;amp;");
	ASSERT_HTML("plain text, no change", "plain text, no change");
	ASSERT_HTML("", "");
	ASSERT_HTML("tab\tnewline\ncr\r", "tab\tnewline\ncr\r");
	{
		struct core_buf b = {0};
		web_html(&b, NULL);
		assert_int_equal(b.len, 0);
		core_buf_free(&b);
	}
}

static void test_html_utf8(void **state)
{
	(void)state;
	/* Valid UTF-8 of every length passes untouched. */
	ASSERT_HTML("h\xC3\xA9llo \xE2\x80\x94 \xE6\x97\xA5\xE6\x9C\xAC "
	            "\xF0\x9F\x8E\x89",
	            "h\xC3\xA9llo \xE2\x80\x94 \xE6\x97\xA5\xE6\x9C\xAC "
	            "\xF0\x9F\x8E\x89");
	ASSERT_HTML("\xEF\xBF\xBF", "\xEF\xBF\xBF");
	ASSERT_HTML("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"); /* U+10FFFF */
	/* Invalid bytes become U+FFFD, one per byte that starts nothing. */
	ASSERT_HTML("a\xFF" "b", "a" FFFD "b");
	ASSERT_HTML("\xC0\xAF", FFFD FFFD);          /* overlong "/" */
	ASSERT_HTML("\xE0\x80\xAF", FFFD FFFD FFFD); /* overlong */
	ASSERT_HTML("\xED\xA0\x80", FFFD FFFD FFFD); /* surrogate */
	ASSERT_HTML("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
	ASSERT_HTML("\xF5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	ASSERT_HTML("\x80", FFFD);                   /* lone continuation */
	ASSERT_HTML("x\xE6\x97", "x" FFFD FFFD);     /* cut at the end */
	ASSERT_HTML("\xE6\x97<", FFFD FFFD "&lt;");  /* cut by a special */
	ASSERT_HTML("\xC3", FFFD);
	/* Controls other than tab, CR, LF, and DEL. */
	ASSERT_HTML("a\x01z\x1B\x7F", "a" FFFD "z" FFFD FFFD);
}

static void test_html_nul(void **state)
{
	char *got;

	(void)state;
	got = html_n("a\0b<", 4);
	assert_string_equal(got, "a" FFFD "b&lt;");
	free(got);
	got = html_n("\0", 1);
	assert_string_equal(got, FFFD);
	free(got);
	/* Lengths are honoured: nothing past len is read. */
	got = html_n("<abc", 2);
	assert_string_equal(got, "&lt;a");
	free(got);
}

static void test_html_sql(void **state)
{
	static const char *const inputs[] = {
		"SELECT * FROM t WHERE a = '<b>' -- <i>\n/* </pre> */ \"x\" `s`",
		"update `select` set v = 'it''s' # done",
		"DELETE FROM t WHERE s = 'unterminated <",
		"/* unterminated comment <",
		"INSERT INTO t VALUES ('\\' <still string>')",
		"select \xC3\xA9select, \xFF<",
		"--",
		"-",
		"a-- b",
		"",
	};
	char *got, *plain, *want;

	(void)state;
	got = html_sql("select a from t where b = 'x<y' -- c");
	assert_string_equal(got,
	                    "<span class=\"kw\">select</span> a "
	                    "<span class=\"kw\">from</span> t "
	                    "<span class=\"kw\">where</span> b = "
	                    "<span class=\"str\">&#39;x&lt;y&#39;</span> "
	                    "<span class=\"cm\">-- c</span>");
	free(got);
	/* A word with non-ASCII bytes is no keyword, and is not split. */
	got = html_sql("\xC3\xA9SELECT SELECT_1 select2");
	assert_string_equal(got, "\xC3\xA9SELECT SELECT_1 select2");
	free(got);
	/* In MySQL "--" starts a comment only when whitespace follows. */
	got = html_sql("1--2");
	assert_string_equal(got, "1--2");
	free(got);
	/* Whatever the input, removing our spans gives exactly web_html(). */
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		got = html_sql(inputs[i]);
		plain = strip_spans(got);
		want = html(inputs[i]);
		assert_string_equal(plain, want);
		assert_null(strchr(plain, '<'));
		free(got);
		free(plain);
		free(want);
	}
}

/* ------------------------------------------------------ URL and forms */

static void test_url_decode(void **state)
{
	static const struct {
		const char *in;
		bool plus;
		const char *want; /* NULL: refused */
	} cases[] = {
		{"a%20b+c", true, "a b c"},
		{"a%20b+c", false, "a b+c"},
		{"%C3%A9t%c3%a9", true, "\xC3\xA9t\xC3\xA9"},
		{"", true, ""},
		{"100%", true, NULL},
		{"%2", true, NULL},
		{"%zz", true, NULL},
		{"%g0", true, NULL},
		{"a%00b", true, NULL},
		{"%%41", true, NULL},
		{"%41%42", true, "AB"},
	};
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool ok = web_url_decode(cases[i].in, strlen(cases[i].in),
		                         cases[i].plus, &out);
		if (!cases[i].want) {
			assert_false(ok);
			assert_null(out);
			continue;
		}
		assert_true(ok);
		assert_string_equal(out, cases[i].want);
		free(out);
	}
	/* Only the given length is read. */
	assert_true(web_url_decode("ab%41", 2, true, &out));
	assert_string_equal(out, "ab");
	free(out);
	{
		struct core_buf b = {0};
		web_url_encode(&b, "/history?x=a b&y=\xC3\xA9~._-");
		core_buf_append(&b, "", 1);
		assert_string_equal((char *)b.data,
		                    "%2Fhistory%3Fx%3Da%20b%26y%3D%C3%A9~._-");
		core_buf_free(&b);
	}
}

static void test_form_parse(void **state)
{
	struct web_form f;
	char many[4096];
	size_t o = 0;

	(void)state;
	assert_true(web_form_parse("csrf=abc&comment=hello+world%21&flag&=v&&"
	                           "csrf=second",
	                           strlen("csrf=abc&comment=hello+world%21&flag&"
	                                  "=v&&csrf=second"),
	                           &f));
	assert_int_equal(f.n, 5);
	assert_string_equal(web_form_get(&f, "csrf"), "abc"); /* first wins */
	assert_string_equal(web_form_get(&f, "comment"), "hello world!");
	assert_string_equal(web_form_get(&f, "flag"), "");
	assert_string_equal(web_form_get(&f, ""), "v");
	assert_null(web_form_get(&f, "missing"));
	web_form_free(&f);

	assert_true(web_form_parse("", 0, &f));
	assert_int_equal(f.n, 0);
	web_form_free(&f);
	assert_true(web_form_parse("a=%3D%26", 8, &f));
	assert_string_equal(web_form_get(&f, "a"), "=&");
	web_form_free(&f);

	/* Malformed escapes, NUL, invalid UTF-8: the whole form is refused. */
	assert_false(web_form_parse("a=1&b=%zz", 9, &f));
	assert_int_equal(f.n, 0);
	assert_false(web_form_parse("a=%00", 5, &f));
	assert_false(web_form_parse("a=%FF", 5, &f));
	assert_false(web_form_parse("%C0%AF=x", 8, &f));

	/* At most WEB_MAX_FIELDS fields. */
	for (int i = 0; i < WEB_MAX_FIELDS; i++)
		o += (size_t)snprintf(many + o, sizeof many - o, "f%d=%d&", i, i);
	assert_true(web_form_parse(many, o, &f));
	assert_int_equal(f.n, WEB_MAX_FIELDS);
	web_form_free(&f);
	o += (size_t)snprintf(many + o, sizeof many - o, "one=more");
	assert_false(web_form_parse(many, o, &f));
	assert_int_equal(f.n, 0);
}

/* ------------------------------------------------------------ cookies */

static void test_cookies(void **state)
{
	char out[64];

	(void)state;
	assert_true(web_cookie_get("a=1; __Host-agentgate=tok; b=2",
	                           WEB_COOKIE_SESSION, out, sizeof out));
	assert_string_equal(out, "tok");
	assert_true(web_cookie_get("__Host-agentgate=first;__Host-agentgate=2",
	                           WEB_COOKIE_SESSION, out, sizeof out));
	assert_string_equal(out, "first");
	assert_true(web_cookie_get(" \t__Host-agentgate=\"quoted\" ",
	                           WEB_COOKIE_SESSION, out, sizeof out));
	assert_string_equal(out, "quoted");
	/* A longer name with the same prefix is another cookie. */
	assert_false(web_cookie_get("__Host-agentgate-login=x", WEB_COOKIE_SESSION,
	                            out, sizeof out));
	assert_true(web_cookie_get("__Host-agentgate-login=x; __Host-agentgate=y",
	                           WEB_COOKIE_SESSION, out, sizeof out));
	assert_string_equal(out, "y");
	assert_true(web_cookie_get("__Host-agentgate=y; __Host-agentgate-login=x",
	                           WEB_COOKIE_LOGIN, out, sizeof out));
	assert_string_equal(out, "x");
	/* A name inside a value is not a name. */
	assert_false(web_cookie_get("x=__Host-agentgate=z", WEB_COOKIE_SESSION,
	                            out, sizeof out));
	assert_false(web_cookie_get("", WEB_COOKIE_SESSION, out, sizeof out));
	assert_false(web_cookie_get(NULL, WEB_COOKIE_SESSION, out, sizeof out));
	assert_false(web_cookie_get("__Host-agentgate=", WEB_COOKIE_SESSION, out,
	                            sizeof out));
	assert_false(web_cookie_get("__Host-agentgate", WEB_COOKIE_SESSION, out,
	                            sizeof out));
	assert_false(web_cookie_get("__Host-agentgate=0123456789", WEB_COOKIE_SESSION,
	                            out, 10));
	assert_true(web_cookie_get("__Host-agentgate=012345678", WEB_COOKIE_SESSION,
	                           out, 10));
	assert_false(web_cookie_get(";;;", WEB_COOKIE_SESSION, out, sizeof out));
}

static void test_secrets(void **state)
{
	char hex[65], a[IDP_LOGIN_SECRET_LEN + 1];

	(void)state;
	assert_true(web_ct_equal("abcdef", "abcdef"));
	assert_false(web_ct_equal("abcdef", "abcdeg"));
	assert_false(web_ct_equal("abcdef", "abcde"));
	assert_false(web_ct_equal("abcde", "abcdef"));
	assert_false(web_ct_equal("", ""));
	assert_false(web_ct_equal(NULL, "a"));
	assert_false(web_ct_equal("a", NULL));

	assert_true(web_token_valid("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
	assert_false(web_token_valid("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX"));
	assert_false(web_token_valid("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXkk"));
	assert_false(web_token_valid("dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
	assert_false(web_token_valid(""));
	assert_false(web_token_valid(NULL));
	idp_login_secret(a);
	assert_true(web_token_valid(a));

	web_sha256_hex("abc", hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
}

static void test_pkce(void **state)
{
	char ch[IDP_LOGIN_SECRET_LEN + 1];

	(void)state;
	/* RFC 7636 appendix B. */
	idp_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch);
	assert_string_equal(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

/* ------------------------------------------------------------- routes */

#define UUID "ff7e834e-d1f9-452e-bcbb-d65374651bcf"

static void test_routes(void **state)
{
	static const struct {
		bool post;
		const char *path;
		enum web_route route;
		bool method_ok;
		const char *id;
	} cases[] = {
		{false, "/", WEB_R_QUEUE, true, ""},
		{true, "/", WEB_R_QUEUE, false, ""},
		{false, "/healthz", WEB_R_HEALTH, true, ""},
		{false, "/static/app.js", WEB_R_STATIC, true, ""},
		{false, "/static/app.css", WEB_R_STATIC, true, ""},
		{false, "/favicon.ico", WEB_R_STATIC, true, ""},
		{false, "/static/other.js", WEB_R_NOT_FOUND, false, ""},
		{false, "/static/", WEB_R_NOT_FOUND, false, ""},
		{false, "/login", WEB_R_LOGIN, true, ""},
		{false, "/login/", WEB_R_NOT_FOUND, false, ""},
		{false, "/login/callback", WEB_R_CALLBACK, true, ""},
		{true, "/logout", WEB_R_LOGOUT, true, ""},
		{false, "/logout", WEB_R_LOGOUT, false, ""},
		{false, "/fragment/queue", WEB_R_QUEUE_FRAGMENT, true, ""},
		{false, "/events", WEB_R_EVENTS, true, ""},
		{false, "/history", WEB_R_HISTORY, true, ""},
		{false, "/grants", WEB_R_GRANTS, true, ""},
		{false, "/requests/" UUID, WEB_R_REQUEST, true, UUID},
		{false, "/requests/FF7E834E-D1F9-452E-BCBB-D65374651BCF", WEB_R_REQUEST,
		 true, UUID},
		{true, "/requests/" UUID "/approve", WEB_R_APPROVE, true, UUID},
		{true, "/requests/" UUID "/deny", WEB_R_DENY, true, UUID},
		{false, "/requests/" UUID "/approve", WEB_R_APPROVE, false, UUID},
		{true, "/requests/" UUID, WEB_R_REQUEST, false, UUID},
		{false, "/sessions/" UUID, WEB_R_SESSION, true, UUID},
		{true, "/grants/" UUID "/revoke", WEB_R_REVOKE, true, UUID},
		/* malformed UUIDs and near misses */
		{false, "/requests/", WEB_R_NOT_FOUND, false, ""},
		{false, "/requests/" UUID "/", WEB_R_NOT_FOUND, false, ""},
		{false, "/requests/ff7e834e-d1f9-452e-bcbb-d65374651bc", WEB_R_NOT_FOUND,
		 false, ""},
		{false, "/requests/ff7e834e-d1f9-452e-bcbb-d65374651bcff",
		 WEB_R_NOT_FOUND, false, ""},
		{false, "/requests/ff7e834ed1f9-452e-bcbb-d65374651bcf0",
		 WEB_R_NOT_FOUND, false, ""},
		{false, "/requests/ff7e834e-d1f9-452e-bcbb-d65374651bcg",
		 WEB_R_NOT_FOUND, false, ""},
		{false, "/requests/ff7e834e-d1f9-452e-bcbb_d65374651bcf",
		 WEB_R_NOT_FOUND, false, ""},
		{false, "/requests/../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaa",
		 WEB_R_NOT_FOUND, false, ""},
		{false, "/requests/ff7e834e-d1f9-452e-bcbb-d65374651b%66",
		 WEB_R_NOT_FOUND, false, ""},
		{true, "/requests/" UUID "/approved", WEB_R_NOT_FOUND, false, ""},
		{true, "/grants/" UUID "/revokes", WEB_R_NOT_FOUND, false, ""},
		{false, "//", WEB_R_NOT_FOUND, false, ""},
		{false, "", WEB_R_NOT_FOUND, false, ""},
		{false, "/HISTORY", WEB_R_NOT_FOUND, false, ""},
	};
	struct web_match m;
	char longpath[600];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		web_route_match(cases[i].post, cases[i].path, &m);
		if (m.route != cases[i].route || m.method_ok != cases[i].method_ok)
			fail_msg("case %zu (%s): route %d ok %d, want %d %d", i,
			         cases[i].path, m.route, m.method_ok, cases[i].route,
			         cases[i].method_ok);
		assert_string_equal(m.id, cases[i].id);
	}
	web_route_match(false, NULL, &m);
	assert_int_equal(m.route, WEB_R_NOT_FOUND);
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	web_route_match(false, longpath, &m);
	assert_int_equal(m.route, WEB_R_NOT_FOUND);
}

static void test_uuid_parse(void **state)
{
	char out[37];

	(void)state;
	assert_true(web_uuid_parse(UUID, 36, out));
	assert_string_equal(out, UUID);
	assert_false(web_uuid_parse(UUID, 35, out));
	assert_false(web_uuid_parse(NULL, 36, out));
	assert_false(web_uuid_parse("ff7e834e-d1f9-452e-bcbb-d65374651bc\0", 36,
	                            out));
	assert_false(web_uuid_parse("ff7e834e d1f9-452e-bcbb-d65374651bcf", 36,
	                            out));
}

/* ---------------------------------------------------------- formatters */

static void test_durations(void **state)
{
	static const struct {
		int64_t s;
		const char *want;
	} cases[] = {
		{-5, "expired"}, {0, "expired"}, {1, "1s"}, {59, "59s"},
		{60, "1m 00s"}, {61, "1m 01s"}, {3599, "59m 59s"}, {3600, "1h 00m"},
		{7322, "2h 02m"}, {86399, "23h 59m"}, {86400, "1d 0h"},
		{200000, "2d 7h"},
	};
	char out[32];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		web_fmt_duration(cases[i].s, out, sizeof out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_return_to(void **state)
{
	char longp[600];

	(void)state;
	assert_true(web_return_to_ok("/"));
	assert_true(web_return_to_ok("/history?agent=alpha&page=2"));
	assert_true(web_return_to_ok("/requests/" UUID));
	assert_false(web_return_to_ok("//evil.example/x"));
	assert_false(web_return_to_ok("/\\evil.example"));
	assert_false(web_return_to_ok("https://evil.example/"));
	assert_false(web_return_to_ok("evil"));
	assert_false(web_return_to_ok("/a b"));
	assert_false(web_return_to_ok("/a\nb"));
	assert_false(web_return_to_ok("/\xC3\xA9"));
	assert_false(web_return_to_ok(""));
	assert_false(web_return_to_ok(NULL));
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = '\0';
	assert_false(web_return_to_ok(longp));
}

static void test_dates(void **state)
{
	static const char *const good[] = {
		"2024-01-01", "2024-02-29", "2000-02-29", "2023-12-31",
		"2024-01-01T10:00", "2024-01-01 23:59", "2024-01-01T00:00:59",
	};
	static const char *const bad[] = {
		"", "2024", "2024-1-01", "2024-13-01", "2024-00-10", "2024-01-00",
		"2024-01-32", "2023-02-29", "1900-02-29", "2024-04-31",
		"2024-01-01T24:00", "2024-01-01T10:60", "2024-01-01T10:00:60",
		"2024-01-01T10", "2024-01-01X10:00", "2024-01-01 ", "0000-01-01",
		"2024-01-01'; DROP TABLE x", "２０２４-01-01",
	};

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!web_date_ok(good[i]))
			fail_msg("refused %s", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (web_date_ok(bad[i]))
			fail_msg("accepted %s", bad[i]);
	assert_false(web_date_ok(NULL));
}

static void test_parse_int(void **state)
{
	long long v = 0;

	(void)state;
	assert_true(web_parse_int("0", 0, 60, &v));
	assert_int_equal(v, 0);
	assert_true(web_parse_int("60", 0, 60, &v));
	assert_int_equal(v, 60);
	assert_true(web_parse_int("-3", -5, 5, &v));
	assert_int_equal(v, -3);
	assert_false(web_parse_int("61", 0, 60, &v));
	assert_false(web_parse_int("-1", 0, 60, &v));
	assert_false(web_parse_int("", 0, 60, &v));
	assert_false(web_parse_int("-", 0, 60, &v));
	assert_false(web_parse_int("5m", 0, 60, &v));
	assert_false(web_parse_int(" 5", 0, 60, &v));
	assert_false(web_parse_int("1e3", 0, 10000, &v));
	assert_false(web_parse_int("99999999999999999999", 0, INT64_MAX, &v));
	assert_false(web_parse_int(NULL, 0, 60, &v));
}

static void test_pg_array(void **state)
{
	char *items[] = {"a", "b\"c", "d\\e", "with, comma", "{x}"};
	struct core_buf b = {0};

	(void)state;
	web_pg_array(&b, items, 5);
	core_buf_append(&b, "", 1);
	assert_string_equal((char *)b.data,
	                    "{\"a\",\"b\\\"c\",\"d\\\\e\",\"with, comma\",\"{x}\"}");
	core_buf_free(&b);
	web_pg_array(&b, NULL, 0);
	core_buf_append(&b, "", 1);
	assert_string_equal((char *)b.data, "{}");
	core_buf_free(&b);
}

static void test_origins(void **state)
{
	char o[300];

	(void)state;
	web_origin_of("https://Review.Example.com:443", o, sizeof o);
	assert_string_equal(o, "https://review.example.com");
	assert_true(web_origin_matches("https://review.example.com", o));
	assert_true(web_origin_matches("https://REVIEW.example.com:443", o));
	assert_false(web_origin_matches("https://review.example.com:8443", o));
	assert_false(web_origin_matches("http://review.example.com", o));
	assert_false(web_origin_matches("null", o));
	assert_false(web_origin_matches(NULL, o));
	web_origin_of("https://127.0.0.1:24015/", o, sizeof o);
	assert_string_equal(o, "https://127.0.0.1:24015");
	assert_true(web_origin_matches("https://127.0.0.1:24015", o));
	assert_false(web_origin_matches("https://127.0.0.1:24016", o));
	assert_false(web_origin_matches("https://127.0.0.1:24015.evil.example", o));
	web_origin_of("https://[::1]:8443", o, sizeof o);
	assert_true(web_origin_matches("https://[::1]:8443", o));
}

static void test_notify_payload(void **state)
{
	(void)state;
	assert_true(web_notify_payload_ok(UUID " created"));
	assert_true(web_notify_payload_ok(UUID " approved"));
	assert_false(web_notify_payload_ok(UUID));
	assert_false(web_notify_payload_ok(UUID " "));
	assert_false(web_notify_payload_ok(UUID " created\ndata: forged"));
	assert_false(web_notify_payload_ok(UUID " Created"));
	assert_false(web_notify_payload_ok(UUID "  created"));
	assert_false(web_notify_payload_ok(UUID " aaaaaaaaaaaaaaaaaaaaa"));
	assert_false(web_notify_payload_ok("not-a-uuid-at-all-not-a-uuid-at-all created"));
	assert_false(web_notify_payload_ok(""));
	assert_false(web_notify_payload_ok(NULL));
}

static void test_flash(void **state)
{
	char *v, *msg = NULL;
	bool ok = false;

	(void)state;
	v = web_flash_encode(true, "The request is approved.");
	/* Cookie-safe: base64url only. */
	assert_int_equal(strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                           "abcdefghijklmnopqrstuvwxyz0123456789-_"),
	                 strlen(v));
	assert_true(web_flash_decode(v, &ok, &msg));
	assert_true(ok);
	assert_string_equal(msg, "The request is approved.");
	free(msg);
	free(v);
	v = web_flash_encode(false, "refused: <b>\xC3\xA9</b>");
	assert_true(web_flash_decode(v, &ok, &msg));
	assert_false(ok);
	assert_string_equal(msg, "refused: <b>\xC3\xA9</b>");
	free(msg);
	free(v);
	/* Anything we did not write is refused. */
	assert_false(web_flash_decode("", &ok, &msg));
	assert_false(web_flash_decode("!!!", &ok, &msg));
	assert_false(web_flash_decode("eA", &ok, &msg));       /* "x": bad kind */
	assert_false(web_flash_decode("bw", &ok, &msg));       /* "o" alone */
	assert_false(web_flash_decode("b_8", &ok, &msg));      /* "o\xFF" */
	assert_false(web_flash_decode("bwBh", &ok, &msg));     /* "o\0a" */
	assert_null(msg);
}

static void test_may_review(void **state)
{
	struct cfg_web wc;
	char *g1[] = {"staff", "Reviewers"};
	char *g2[] = {"staff"};

	(void)state;
	memset(&wc, 0, sizeof wc);
	wc.reviewer_groups = "reviewers, dba";
	wc.reviewer_subjects = "alice";
	assert_true(web_may_review(&wc, "bob", g1, 2));
	assert_false(web_may_review(&wc, "bob", g2, 1));
	assert_false(web_may_review(&wc, "bob", NULL, 0));
	assert_true(web_may_review(&wc, "alice", NULL, 0));
	wc.reviewer_groups = NULL;
	assert_false(web_may_review(&wc, "bob", g1, 2));
	wc.reviewer_subjects = NULL;
	assert_false(web_may_review(&wc, "alice", g1, 2));
}

static void test_assets(void **state)
{
	bool js = false, css = false;

	(void)state;
	for (const struct web_asset *a = web_assets; a->path; a++) {
		assert_true(a->len > 100);
		assert_int_equal(strlen((const char *)a->data), a->len);
		if (strcmp(a->path, "/static/app.js") == 0) {
			js = true;
			assert_non_null(strstr(a->content_type, "javascript"));
			assert_non_null(strstr((const char *)a->data, "EventSource"));
		}
		if (strcmp(a->path, "/static/app.css") == 0) {
			css = true;
			assert_non_null(strstr(a->content_type, "text/css"));
		}
	}
	assert_true(js);
	assert_true(css);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_specials),
		cmocka_unit_test(test_html_utf8),
		cmocka_unit_test(test_html_nul),
		cmocka_unit_test(test_html_sql),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_form_parse),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_pkce),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_uuid_parse),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_return_to),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_pg_array),
		cmocka_unit_test(test_origins),
		cmocka_unit_test(test_notify_payload),
		cmocka_unit_test(test_flash),
		cmocka_unit_test(test_may_review),
		cmocka_unit_test(test_assets),
	};

	return cmocka_run_group_tests_name("web", tests, NULL, NULL);
}
