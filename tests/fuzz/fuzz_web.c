/*
 * Fuzzes the reviewer page's parsers of untrusted text: form and query
 * decoding, cookies, routes, date filters, the flash cookie, notification
 * payloads, and the HTML escaping every value goes through. Besides crashes
 * and sanitizer reports, broken invariants abort: escaped output holding a
 * raw HTML special or invalid UTF-8, highlighted SQL that differs from the
 * plain escaping once its spans are removed, a decoded form field with a
 * NUL, a route with a malformed id.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "web/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_escaped(const struct core_buf *b)
{
	bool lossless = false;
	char *copy;

	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] == '<' || b->data[i] == '>' || b->data[i] == '"' ||
		    b->data[i] == '\'' || b->data[i] == '\0')
			abort();
	copy = core_utf8_sanitize(b->data, b->len, &lossless);
	if (!lossless)
		abort();
	free(copy);
}

/* Highlighted SQL minus our spans must equal the plain escaping. */
static void check_sql(const char *s)
{
	struct core_buf h = {0}, plain = {0}, stripped = {0};
	size_t i = 0;

	web_html_sql(&h, s);
	web_html(&plain, s);
	while (i < h.len) {
		if (h.len - i >= 13 && memcmp(h.data + i, "<span class=\"", 13) == 0) {
			uint8_t *gt = memchr(h.data + i, '>', h.len - i);
			if (!gt)
				abort();
			i = (size_t)(gt - h.data) + 1;
			continue;
		}
		if (h.len - i >= 7 && memcmp(h.data + i, "</span>", 7) == 0) {
			i += 7;
			continue;
		}
		core_buf_append(&stripped, h.data + i, 1);
		i++;
	}
	if (stripped.len != plain.len ||
	    (plain.len && memcmp(stripped.data, plain.data, plain.len) != 0))
		abort();
	check_escaped(&plain);
	core_buf_free(&h);
	core_buf_free(&plain);
	core_buf_free(&stripped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = core_xmalloc(size + 1);
	struct core_buf b = {0};
	struct web_form f;
	struct web_match m;
	char out[256], *msg = NULL;
	bool ok;

	memcpy(s, data, size);
	s[size] = '\0';

	web_html_n(&b, (const char *)data, size);
	check_escaped(&b);
	core_buf_free(&b);
	check_sql(s);

	if (web_form_parse((const char *)data, size, &f)) {
		for (size_t i = 0; i < f.n; i++)
			if (!f.f[i].name || !f.f[i].value)
				abort();
	} else if (f.n != 0) {
		abort();
	}
	web_form_free(&f);

	(void)web_cookie_get(s, WEB_COOKIE_SESSION, out, sizeof out);
	web_route_match(size % 2 == 0, s, &m);
	if (m.id[0] && strlen(m.id) != 36)
		abort();
	(void)web_date_ok(s);
	(void)web_return_to_ok(s);
	(void)web_notify_payload_ok(s);
	if (web_flash_decode(s, &ok, &msg)) {
		if (!msg)
			abort();
		free(msg);
	}
	free(s);
	return 0;
}
