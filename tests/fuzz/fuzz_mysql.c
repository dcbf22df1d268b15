/*
 * Fuzzes the MySQL codec: the first byte picks a parser (handshake
 * response, server greeting, OK/ERR/EOF, or the response tracker fed a
 * packet stream); the rest is the input. Besides crashes and sanitizer
 * reports it checks invariants: parsed pointers stay inside the input, and
 * the tracker never changes state when it asks for the whole packet.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *base, size_t size, const void *p, size_t n)
{
	const uint8_t *q = p;

	if (!p)
		return;
	if (q < base || n > size || q > base + size - n)
		abort();
}

static void fuzz_handshake(const uint8_t *p, size_t n)
{
	struct mysql_handshake_response r;
	char err[128];

	if (mysql_parse_handshake_response(p, n, &r, err, sizeof err) ==
	    MYSQL_PARSE_OK) {
		inside(p, n, r.user, r.user_len + 1);
		inside(p, n, r.auth, r.auth_len);
		inside(p, n, r.database, r.database ? r.database_len + 1 : 0);
		inside(p, n, r.auth_plugin, r.auth_plugin ? r.auth_plugin_len + 1 : 0);
		inside(p, n, r.attrs, r.attrs_len);
	}
}

static void fuzz_small(const uint8_t *p, size_t n)
{
	struct mysql_server_greeting g;
	struct mysql_ok ok;
	struct mysql_err e;
	uint16_t w, st;
	char err[128];

	(void)mysql_parse_greeting(p, n, &g, err, sizeof err);
	(void)mysql_parse_ok(p, n, &ok);
	if (mysql_parse_err(p, n, &e) && strlen(e.message) >= sizeof e.message)
		abort();
	(void)mysql_parse_eof(p, n, &w, &st);
}

/* Input: kind byte, then packets as [claimed length: 2 bytes][bytes...]. */
static void fuzz_tracker(const uint8_t *p, size_t n)
{
	struct resp r, snap;
	size_t pos = 1;

	if (n < 1)
		return;
	resp_begin(&r, (enum resp_kind)(p[0] % 7), p[0] & 0x80);
	while (pos + 2 <= n) {
		size_t len = (size_t)p[pos] | (size_t)p[pos + 1] << 8;
		size_t have;
		enum resp_step step;

		pos += 2;
		/* Large claimed lengths exercise the continuation logic. */
		if (len == 0xFFFF)
			len = MYSQL_MAX_PAYLOAD;
		have = n - pos < len ? n - pos : len;
		snap = r;
		step = resp_packet(&r, p + pos, have > 0 ? 1 : 0, len);
		if (step == RESP_STEP_NEED_WHOLE) {
			if (memcmp(&snap, &r, sizeof r) != 0)
				abort();
			step = resp_packet(&r, p + pos, have, len);
			if (step == RESP_STEP_NEED_WHOLE && memcmp(&snap, &r, sizeof r))
				abort();
			if (step == RESP_STEP_NEED_WHOLE)
				return; /* would wait for more bytes */
		}
		if (step == RESP_STEP_DONE || step == RESP_STEP_BAD)
			return;
		pos += have;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_handshake(data + 1, size - 1);
		break;
	case 1:
		fuzz_small(data + 1, size - 1);
		break;
	default:
		fuzz_tracker(data + 1, size - 1);
		break;
	}
	return 0;
}
