/*
 * Unit tests of core: the bounds-checked read cursor (every failing read
 * leaves the cursor where it was, declared lengths cannot wrap), the
 * little-endian writers read back through the cursor, base64, hex, UTF-8
 * sanitising, UUIDs, loopback detection, small-file reading and the INI
 * configuration — defaults, suffixes, comments, and a table of bad files
 * each with the exact "file:line: reason" the operator sees.
 *
 * Network, event loop and database behaviour belong to other modules' tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */

static void assert_prefix(const char *got, const char *want)
{
	if (strncmp(got, want, strlen(want)) != 0)
		fail_msg("got      '%s'\nexpected '%s...'", got, want);
}

/* ============================================================ cursor */

/* Each fixed-width and length-encoded reader through one signature, so a
 * single table can drive them all. */
typedef bool (*reader_fn)(struct cursor *c, uint64_t *v);

static bool read_u8(struct cursor *c, uint64_t *v)
{
	uint8_t x;
	if (!rd_u8(c, &x))
		return false;
	*v = x;
	return true;
}

static bool read_u16(struct cursor *c, uint64_t *v)
{
	uint16_t x;
	if (!rd_u16le(c, &x))
		return false;
	*v = x;
	return true;
}

static bool read_u24(struct cursor *c, uint64_t *v)
{
	uint32_t x;
	if (!rd_u24le(c, &x))
		return false;
	*v = x;
	return true;
}

static bool read_u32(struct cursor *c, uint64_t *v)
{
	uint32_t x;
	if (!rd_u32le(c, &x))
		return false;
	*v = x;
	return true;
}

static bool read_u64(struct cursor *c, uint64_t *v)
{
	return rd_u64le(c, v);
}

static bool read_lenenc(struct cursor *c, uint64_t *v)
{
	return rd_lenenc(c, v);
}

struct int_case {
	const char *label;
	reader_fn fn;
	uint8_t bytes[10];
	size_t len;
	bool ok;
	uint64_t value;
	size_t consumed;
};

static const struct int_case int_cases[] = {
	{"u8", read_u8, {0xAB}, 1, true, 0xAB, 1},
	{"u8 empty", read_u8, {0}, 0, false, 0, 0},
	{"u16", read_u16, {0x01, 0x02}, 2, true, 0x0201, 2},
	{"u16 truncated", read_u16, {0x01}, 1, false, 0, 0},
	{"u24", read_u24, {0x01, 0x02, 0x03}, 3, true, 0x030201, 3},
	{"u24 truncated", read_u24, {0x01, 0x02}, 2, false, 0, 0},
	{"u32", read_u32, {0x01, 0x02, 0x03, 0xF4}, 4, true, 0xF4030201u, 4},
	{"u32 truncated", read_u32, {0x01, 0x02, 0x03}, 3, false, 0, 0},
	{"u64", read_u64, {1, 2, 3, 4, 5, 6, 7, 0xF8}, 8, true,
	 0xF807060504030201ull, 8},
	{"u64 truncated", read_u64, {1, 2, 3, 4, 5, 6, 7}, 7, false, 0, 0},
	{"u16 reads only two", read_u16, {0xFF, 0xFF, 0x77}, 3, true, 0xFFFF, 2},

	{"lenenc 0", read_lenenc, {0x00}, 1, true, 0, 1},
	{"lenenc 250", read_lenenc, {0xFA}, 1, true, 250, 1},
	{"lenenc 0xFB (NULL) refused", read_lenenc, {0xFB}, 1, false, 0, 0},
	{"lenenc 0xFF (error) refused", read_lenenc, {0xFF, 0, 0}, 3, false, 0,
	 0},
	{"lenenc 0xFC", read_lenenc, {0xFC, 0xFB, 0x00}, 3, true, 251, 3},
	{"lenenc 0xFC no payload", read_lenenc, {0xFC}, 1, false, 0, 0},
	{"lenenc 0xFC truncated", read_lenenc, {0xFC, 0xFF}, 2, false, 0, 0},
	{"lenenc 0xFD", read_lenenc, {0xFD, 1, 2, 3}, 4, true, 0x030201, 4},
	{"lenenc 0xFD truncated", read_lenenc, {0xFD, 1, 2}, 3, false, 0, 0},
	{"lenenc 0xFE", read_lenenc, {0xFE, 1, 2, 3, 4, 5, 6, 7, 8}, 9, true,
	 0x0807060504030201ull, 9},
	{"lenenc 0xFE max", read_lenenc,
	 {0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 9, true,
	 UINT64_MAX, 9},
	{"lenenc 0xFE truncated", read_lenenc, {0xFE, 1, 2, 3, 4, 5, 6, 7}, 8,
	 false, 0, 0},
	{"lenenc empty", read_lenenc, {0}, 0, false, 0, 0},
};

/* Every case is read from position 1 (after a skipped marker byte) so that
 * "unchanged on failure" is checked at a position other than zero. */
static void test_cursor_int_readers(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(int_cases); i++) {
		const struct int_case *tc = &int_cases[i];
		uint8_t buf[1 + sizeof tc->bytes];
		struct cursor c;
		uint64_t v = 0xDEADBEEF;
		bool ok;

		buf[0] = 0xAA;
		memcpy(buf + 1, tc->bytes, tc->len);
		cursor_init(&c, buf, 1 + tc->len);
		assert_true(rd_skip(&c, 1));
		ok = tc->fn(&c, &v);
		if (ok != tc->ok)
			fail_msg("%s: returned %d", tc->label, ok);
		if (ok) {
			if (v != tc->value)
				fail_msg("%s: value %llx", tc->label,
				         (unsigned long long)v);
		} else if (v != 0xDEADBEEF) {
			fail_msg("%s: wrote the output on failure", tc->label);
		}
		if (c.pos != 1 + tc->consumed)
			fail_msg("%s: position %zu, expected %zu", tc->label, c.pos,
			         1 + tc->consumed);
		assert_ptr_equal(c.p, buf);
		assert_int_equal(c.len, 1 + tc->len);
	}
}

static void test_cursor_bytes_and_skip(void **state)
{
	static const uint8_t buf[] = "0123456789";
	const size_t len = 10;
	static const size_t bad[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 2, 10, 8};
	const uint8_t *s = NULL;
	struct cursor c;

	cursor_init(&c, buf, len);
	assert_true(rd_skip(&c, 2));
	assert_int_equal(cursor_left(&c), 8);

	/* Lengths that would wrap `pos + n` or simply exceed what is left. */
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (bad[i] <= cursor_left(&c))
			continue;
		assert_false(rd_bytes(&c, bad[i], &s));
		assert_null(s);
		assert_false(rd_skip(&c, bad[i]));
		assert_int_equal(c.pos, 2);
	}
	assert_false(rd_bytes(&c, 9, &s));
	assert_int_equal(c.pos, 2);

	assert_true(rd_bytes(&c, 0, &s));
	assert_ptr_equal(s, buf + 2);
	assert_int_equal(c.pos, 2);
	assert_true(rd_bytes(&c, 3, &s));
	assert_memory_equal(s, "234", 3);
	assert_int_equal(c.pos, 5);
	assert_true(rd_skip(&c, 5));
	assert_int_equal(cursor_left(&c), 0);
	assert_true(rd_skip(&c, 0));
	assert_false(rd_skip(&c, 1));
	assert_false(rd_bytes(&c, SIZE_MAX, &s));
	assert_int_equal(c.pos, 10);
}

static void test_cursor_nulstr(void **state)
{
	static const char buf[] = "abc\0\0def\0"; /* plus the literal's NUL */
	const char *s = NULL;
	size_t n = 99;
	struct cursor c;

	cursor_init(&c, buf, sizeof buf - 1);
	assert_true(rd_nulstr(&c, &s, &n));
	assert_int_equal(n, 3);
	assert_string_equal(s, "abc");
	assert_int_equal(c.pos, 4);
	assert_true(rd_nulstr(&c, &s, &n));
	assert_int_equal(n, 0);
	assert_string_equal(s, "");
	assert_int_equal(c.pos, 5);
	assert_true(rd_nulstr(&c, &s, &n));
	assert_string_equal(s, "def");
	assert_int_equal(cursor_left(&c), 0);

	/* Empty cursor. */
	s = NULL;
	n = 99;
	assert_false(rd_nulstr(&c, &s, &n));
	assert_null(s);
	assert_int_equal(n, 99);

	/* No NUL inside the available bytes, even though memory beyond the
	 * cursor's end holds one: the search must stop at the end. */
	cursor_init(&c, buf + 5, 3); /* "def" */
	assert_false(rd_nulstr(&c, &s, &n));
	assert_int_equal(c.pos, 0);
	cursor_init(&c, buf, 7); /* "abc\0\0de" */
	assert_true(rd_skip(&c, 5));
	assert_false(rd_nulstr(&c, &s, &n));
	assert_int_equal(c.pos, 5);
}

struct str_case {
	const char *label;
	uint8_t bytes[12];
	size_t len;
	bool ok;
	const char *value;
};

static const struct str_case str_cases[] = {
	{"short", {3, 'a', 'b', 'c', 'x'}, 5, true, "abc"},
	{"empty", {0}, 1, true, ""},
	{"exactly what is left", {2, 'h', 'i'}, 3, true, "hi"},
	{"one byte too long", {4, 'a', 'b', 'c'}, 4, false, NULL},
	{"0xFC declares 256", {0xFC, 0x00, 0x01, 'a', 'b'}, 5, false, NULL},
	{"0xFE declares 2^64-1",
	 {0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 'a'}, 10, false,
	 NULL},
	{"0xFE declares 2^63",
	 {0xFE, 0, 0, 0, 0, 0, 0, 0, 0x80, 'a'}, 10, false, NULL},
	{"0xFB (NULL)", {0xFB, 'a'}, 2, false, NULL},
	{"0xFF", {0xFF, 'a'}, 2, false, NULL},
	{"truncated length", {0xFD, 0x01}, 2, false, NULL},
	{"nothing", {0}, 0, false, NULL},
};

static void test_cursor_lenenc_str(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(str_cases); i++) {
		const struct str_case *tc = &str_cases[i];
		uint8_t buf[1 + sizeof tc->bytes];
		const uint8_t *s = NULL;
		size_t n = 12345;
		struct cursor c;
		bool ok;

		buf[0] = 0x55;
		memcpy(buf + 1, tc->bytes, tc->len);
		cursor_init(&c, buf, 1 + tc->len);
		assert_true(rd_skip(&c, 1));
		ok = rd_lenenc_str(&c, &s, &n);
		if (ok != tc->ok)
			fail_msg("%s: returned %d", tc->label, ok);
		if (!ok) {
			if (c.pos != 1 || s != NULL || n != 12345)
				fail_msg("%s: cursor or outputs changed on failure",
				         tc->label);
			continue;
		}
		assert_int_equal(n, strlen(tc->value));
		assert_memory_equal(s, tc->value, n);
		assert_ptr_equal(s, buf + 2);
		assert_int_equal(c.pos, 2 + n);
	}
}

static void test_cursor_rest(void **state)
{
	static const uint8_t buf[] = {1, 2, 3, 4};
	const uint8_t *s = NULL;
	size_t n = 0;
	struct cursor c;

	cursor_init(&c, buf, sizeof buf);
	assert_true(rd_skip(&c, 1));
	rd_rest(&c, &s, &n);
	assert_ptr_equal(s, buf + 1);
	assert_int_equal(n, 3);
	assert_int_equal(cursor_left(&c), 0);
	rd_rest(&c, &s, &n);
	assert_int_equal(n, 0);
}

/* ============================================================ writers */

static void test_writers_round_trip(void **state)
{
	struct core_buf b = {0};
	struct cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	const char *s;
	size_t n;
	const uint8_t *bytes;

	wr_u8(&b, 0xFE);
	wr_u16le(&b, 0xBEEF);
	wr_u24le(&b, 0xABCDEF);
	wr_u32le(&b, 0xDEADBEEF);
	wr_u64le(&b, 0x0102030405060708ull);
	wr_nulstr(&b, "user");
	wr_bytes(&b, "xyz", 3);
	assert_int_equal(b.len, 1 + 2 + 3 + 4 + 8 + 5 + 3);
	/* Little-endian on the wire. */
	assert_memory_equal(b.data + 1, "\xEF\xBE", 2);
	assert_memory_equal(b.data + 3, "\xEF\xCD\xAB", 3);

	cursor_init(&c, b.data, b.len);
	assert_true(rd_u8(&c, &u8));
	assert_int_equal(u8, 0xFE);
	assert_true(rd_u16le(&c, &u16));
	assert_int_equal(u16, 0xBEEF);
	assert_true(rd_u24le(&c, &u32));
	assert_int_equal(u32, 0xABCDEF);
	assert_true(rd_u32le(&c, &u32));
	assert_int_equal(u32, 0xDEADBEEF);
	assert_true(rd_u64le(&c, &u64));
	assert_int_equal(u64, 0x0102030405060708ull);
	assert_true(rd_nulstr(&c, &s, &n));
	assert_string_equal(s, "user");
	assert_true(rd_bytes(&c, 3, &bytes));
	assert_memory_equal(bytes, "xyz", 3);
	assert_int_equal(cursor_left(&c), 0);
	core_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_wr_lenenc_boundaries(void **state)
{
	static const struct {
		uint64_t v;
		size_t len;
		uint8_t first;
	} cases[] = {
		{0, 1, 0x00},
		{250, 1, 0xFA},
		{251, 3, 0xFC},
		{65535, 3, 0xFC},
		{65536, 4, 0xFD},
		{16777215, 4, 0xFD},
		{16777216, 9, 0xFE},
		{UINT64_MAX, 9, 0xFE},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct core_buf b = {0};
		struct cursor c;
		uint64_t v = 0;

		wr_lenenc(&b, cases[i].v);
		if (b.len != cases[i].len || b.data[0] != cases[i].first)
			fail_msg("%llu: encoded as %zu bytes starting %02x",
			         (unsigned long long)cases[i].v, b.len, b.data[0]);
		cursor_init(&c, b.data, b.len);
		assert_true(rd_lenenc(&c, &v));
		assert_int_equal(v, cases[i].v);
		assert_int_equal(cursor_left(&c), 0);
		/* Any shorter prefix is refused and leaves the cursor alone. */
		for (size_t cut = 0; cut < b.len; cut++) {
			cursor_init(&c, b.data, cut);
			assert_false(rd_lenenc(&c, &v));
			assert_int_equal(c.pos, 0);
		}
		core_buf_free(&b);
	}
}

static void test_wr_lenenc_str_round_trip(void **state)
{
	static const size_t lens[] = {0, 1, 250, 251, 300, 65535, 65536};
	struct core_buf b = {0};

	for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
		uint8_t *src = malloc(lens[i] + 1);
		const uint8_t *s = NULL;
		size_t n = 0;
		struct cursor c;

		assert_non_null(src);
		for (size_t j = 0; j < lens[i]; j++)
			src[j] = (uint8_t)(j * 7);
		core_buf_reset(&b);
		wr_lenenc_str(&b, src, lens[i]);
		cursor_init(&c, b.data, b.len);
		assert_true(rd_lenenc_str(&c, &s, &n));
		assert_int_equal(n, lens[i]);
		if (n)
			assert_memory_equal(s, src, n);
		assert_int_equal(cursor_left(&c), 0);
		/* One byte short of the declared length. */
		if (lens[i] > 0) {
			cursor_init(&c, b.data, b.len - 1);
			assert_false(rd_lenenc_str(&c, &s, &n));
			assert_int_equal(c.pos, 0);
		}
		free(src);
	}
	core_buf_free(&b);
}

static void test_buf_printf_and_growth(void **state)
{
	struct core_buf b = {0};

	core_buf_printf(&b, "%s=%d", "n", 42);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "n=42", 4);
	core_buf_append_str(&b, ";");
	core_buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 5);
	for (int i = 0; i < 1000; i++)
		core_buf_append(&b, "0123456789", 10);
	assert_int_equal(b.len, 10005);
	assert_true(b.cap >= b.len);
	assert_memory_equal(b.data + 9995, "0123456789", 10);
	core_buf_append(&b, NULL, 0);
	assert_int_equal(b.len, 10005);
	core_buf_reset(&b);
	assert_int_equal(b.len, 0);
	core_buf_free(&b);
	core_buf_free(&b); /* twice is harmless */
}

/* =========================================================== encoding */

static void test_hex(void **state)
{
	char *h = core_hex("\x00\xAB\xFF\x10", 4);

	assert_string_equal(h, "00abff10");
	free(h);
	h = core_hex("", 0);
	assert_string_equal(h, "");
	free(h);
}

/* RFC 4648 section 10 vectors. */
static const struct {
	const char *plain;
	const char *std;
	const char *url;
} b64_vectors[] = {
	{"", "", ""},
	{"f", "Zg==", "Zg"},
	{"fo", "Zm8=", "Zm8"},
	{"foo", "Zm9v", "Zm9v"},
	{"foob", "Zm9vYg==", "Zm9vYg"},
	{"fooba", "Zm9vYmE=", "Zm9vYmE"},
	{"foobar", "Zm9vYmFy", "Zm9vYmFy"},
	{"\xFB\xFF\xBF", "+/+/", "-_-_"},
	{"\xFF\xEF", "/+8=", "_-8"},
};

static void check_decode(const char *in, bool url, const char *want,
                         size_t wantlen)
{
	uint8_t *out = NULL;
	size_t n = 0;

	if (!core_base64_decode(in, strlen(in), url, &out, &n))
		fail_msg("'%s' (url=%d) refused", in, url);
	if (n != wantlen || (n && memcmp(out, want, n) != 0))
		fail_msg("'%s' (url=%d) decoded wrongly", in, url);
	free(out);
}

static void test_base64_vectors(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(b64_vectors); i++) {
		const char *p = b64_vectors[i].plain;
		size_t len = strlen(p);
		char *e;

		e = core_base64_encode(p, len, false);
		assert_string_equal(e, b64_vectors[i].std);
		free(e);
		e = core_base64_encode(p, len, true);
		assert_string_equal(e, b64_vectors[i].url);
		free(e);

		/* Padding is optional on input, in either alphabet. */
		check_decode(b64_vectors[i].std, false, p, len);
		check_decode(b64_vectors[i].url, true, p, len);
		if (strchr(b64_vectors[i].std, '=')) {
			char unpadded[16];
			snprintf(unpadded, sizeof unpadded, "%.*s",
			         (int)strcspn(b64_vectors[i].std, "="),
			         b64_vectors[i].std);
			check_decode(unpadded, false, p, len);
		}
	}
}

static void test_base64_round_trip(void **state)
{
	uint8_t data[64];

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof data; len++) {
		for (int url = 0; url <= 1; url++) {
			char *e = core_base64_encode(data, len, url);
			uint8_t *d = NULL;
			size_t n = 0;

			assert_true(core_base64_decode(e, strlen(e), url, &d, &n));
			assert_int_equal(n, len);
			if (n)
				assert_memory_equal(d, data, n);
			free(d);
			free(e);
		}
	}
}

static void test_base64_invalid(void **state)
{
	static const struct {
		const char *in;
		size_t len; /* 0: strlen */
		bool url;
	} cases[] = {
		{"-_-_", 0, false},   /* URL alphabet in standard decoding */
		{"+/+/", 0, true},    /* standard alphabet in URL decoding */
		{"Zm9v!A", 0, false},
		{"Zm 9", 0, false},   /* whitespace is not skipped */
		{"Zm9vZg\n", 0, false},
		{"Z", 0, false},      /* one character cannot encode a byte */
		{"Zm9vY", 0, true},
		{"Zm=v", 0, false},   /* padding only at the end */
		{"Zg==Zg==", 0, false},
		{"\xC3\xA9Zg", 0, false},
		{"Zm\0v", 4, false},  /* NUL inside the given length */
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *in = cases[i].in;
		size_t len = cases[i].len ? cases[i].len : strlen(in);
		uint8_t *out = (uint8_t *)"untouched";
		size_t n = 777;

		if (core_base64_decode(in, len, cases[i].url, &out, &n))
			fail_msg("case %zu accepted", i);
		assert_string_equal((const char *)out, "untouched");
		assert_int_equal(n, 777);
	}
}

struct utf8_case {
	const char *label;
	const char *in;
	size_t len;
	const char *out;
	bool lossless;
};

static const struct utf8_case utf8_cases[] = {
	{"ascii", "hello", 5, "hello", true},
	{"empty", "", 0, "", true},
	{"two-byte", "h\xC3\xA9llo", 6, "h\xC3\xA9llo", true},
	{"three-byte", "\xE2\x82\xAC", 3, "\xE2\x82\xAC", true},
	{"four-byte", "\xF0\x9F\x98\x80", 4, "\xF0\x9F\x98\x80", true},
	{"largest code point", "\xF4\x8F\xBF\xBF", 4, "\xF4\x8F\xBF\xBF", true},
	{"overlong slash", "\xC0\xAF", 2, REPLACEMENT REPLACEMENT, false},
	{"overlong three-byte", "\xE0\x80\xAF", 3,
	 REPLACEMENT REPLACEMENT REPLACEMENT, false},
	{"overlong four-byte", "\xF0\x82\x82\xAC", 4,
	 REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT, false},
	{"surrogate", "a\xED\xA0\x80z", 5,
	 "a" REPLACEMENT REPLACEMENT REPLACEMENT "z", false},
	{"above U+10FFFF", "\xF4\x90\x80\x80", 4,
	 REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT, false},
	{"truncated at end", "a\xE2\x82", 3, "a" REPLACEMENT REPLACEMENT, false},
	{"truncated before ascii", "\xE2\x82" "A", 3,
	 REPLACEMENT REPLACEMENT "A", false},
	{"lone continuation", "\x80", 1, REPLACEMENT, false},
	{"0xFF", "x\xFF", 2, "x" REPLACEMENT, false},
	{"NUL", "a\0b", 3, "a" REPLACEMENT "b", false},
};

static void test_utf8_sanitize(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(utf8_cases); i++) {
		const struct utf8_case *tc = &utf8_cases[i];
		bool lossless = !tc->lossless;
		char *s = core_utf8_sanitize(tc->in, tc->len, &lossless);

		if (strcmp(s, tc->out) != 0 || lossless != tc->lossless)
			fail_msg("%s: got '%s' lossless=%d", tc->label, s, lossless);
		free(s);
	}
	/* The flag is optional. */
	free(core_utf8_sanitize("x", 1, NULL));
}

static void test_uuid(void **state)
{
	char a[37], b[37];

	core_uuid(a);
	core_uuid(b);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else if (!strchr("0123456789abcdef", a[i]) || a[i] == '\0')
			fail_msg("'%s': bad character at %zu", a, i);
	}
	assert_int_equal(a[14], '4');             /* version 4 */
	assert_non_null(strchr("89ab", a[19]));   /* RFC 4122 variant */
}

/* ================================================================ misc */

static void test_is_loopback_host(void **state)
{
	static const struct {
		const char *host;
		bool loopback;
	} cases[] = {
		{"127.0.0.1", true},  {"127.9.9.9", true},   {"127.255.255.255", true},
		{"::1", true},        {"localhost", true},   {"LocalHost", true},
		{"10.0.0.1", false},  {"128.0.0.1", false},  {"0.0.0.0", false},
		{"::", false},        {"::2", false},        {"example.com", false},
		{"localhost.example.com", false},            {"127.0.0.1.nip.io", false},
		{"", false},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (core_is_loopback_host(cases[i].host) != cases[i].loopback)
			fail_msg("%s: expected %d", cases[i].host, cases[i].loopback);
	assert_false(core_is_loopback_host(NULL));
}

static void test_clocks_and_alloc(void **state)
{
	uint64_t m1 = core_mono_ms(), m2 = core_mono_ms();
	char *s = core_xstrndup("abcdef", 3);
	uint8_t secret[4] = {1, 2, 3, 4};

	assert_true(m2 >= m1);
	assert_true(core_wall_us() > 1577836800LL * 1000000); /* after 2020 */
	assert_string_equal(s, "abc");
	free(s);
	core_wipe(secret, sizeof secret);
	assert_memory_equal(secret, "\0\0\0\0", 4);
	core_wipe(NULL, 0);
	log_set_level(LOG_WARN);
	assert_int_equal(log_get_level(), LOG_WARN);
	log_debug("suppressed %d", 1);
	log_set_level(LOG_INFO);
}

/* A fresh, empty temporary file per test; removed afterwards. */
static int temp_setup(void **state)
{
	const char *dir = getenv("TMPDIR");
	char *path = NULL;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if (asprintf(&path, "%s/test_core.XXXXXX", dir) < 0)
		return -1;
	fd = mkstemp(path);
	if (fd < 0) {
		free(path);
		return -1;
	}
	close(fd);
	*state = path;
	return 0;
}

static int temp_teardown(void **state)
{
	unlink(*state);
	free(*state);
	return 0;
}

static void put_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_read_file(void **state)
{
	const char *path = *state;
	char err[256] = "";
	char want[300];
	char *s;

	put_file(path, "s3cret\n", 7);
	s = core_read_file(path, 64, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s, "s3cret");
	free(s);

	put_file(path, "pw\r\n\n\n", 6);
	s = core_read_file(path, 64, err, sizeof err);
	assert_string_equal(s, "pw");
	free(s);

	/* Inner newlines are kept; only trailing ones go. */
	put_file(path, "a\nb\n", 4);
	s = core_read_file(path, 64, err, sizeof err);
	assert_string_equal(s, "a\nb");
	free(s);

	put_file(path, "", 0);
	s = core_read_file(path, 64, err, sizeof err);
	assert_string_equal(s, "");
	free(s);

	/* Exactly max bytes is fine, one more is not. */
	put_file(path, "12345678", 8);
	s = core_read_file(path, 8, err, sizeof err);
	assert_string_equal(s, "12345678");
	free(s);
	assert_null(core_read_file(path, 7, err, sizeof err));
	snprintf(want, sizeof want, "%s is larger than 7 bytes", path);
	assert_string_equal(err, want);

	/* A NUL would silently cut a password or a configuration short. */
	put_file(path, "ab\0cd", 5);
	assert_null(core_read_file(path, 64, err, sizeof err));
	snprintf(want, sizeof want, "%s contains a NUL byte", path);
	assert_string_equal(err, want);
}

static void test_read_file_missing(void **state)
{
	const char *path = *state;
	char missing[300], want[400], err[400];

	snprintf(missing, sizeof missing, "%s.missing", path);
	assert_null(core_read_file(missing, 64, err, sizeof err));
	snprintf(want, sizeof want, "cannot open %s: ", missing);
	assert_prefix(err, want);
}

/* ============================================================== config */

/* Building blocks of a valid file; the line count of each is noted so the
 * expected line numbers below can be checked by eye. */
#define STORE_OK "[store]\ndsn = dbname=audit\n"                   /* 2 */
#define LISTENER_OK                                                       \
	"[listener main]\nrequire_tls = false\n"                          \
	"allow_plaintext_loopback = true\n"                        /* 3 */
#define IDP_OK                                                            \
	"[idp corp]\nissuer = https://id.example.com\n"                   \
	"audience = agentgate\n"                                   /* 3 */
#define CONN_OK                                                           \
	"[connection app]\nhost = db.internal\nuser = gw\n"               \
	"password_file = app.pw\n"                                 /* 4 */
#define BASE STORE_OK LISTENER_OK IDP_OK CONN_OK                   /* 12 */
#define WEB_OK "[web]\nclient_id = rv\nclient_secret_file = rv.secret\n" /* 3 */

static struct cfg *parse_ok(const char *text)
{
	char err[512] = "";
	struct cfg *c = cfg_parse("t.ini", text, strlen(text), err, sizeof err);

	if (!c)
		fail_msg("valid config refused: %s", err);
	return c;
}

static int base_setup(void **state)
{
	char err[512];

	*state = cfg_parse("t.ini", BASE, strlen(BASE), err, sizeof err);
	return *state ? 0 : -1;
}

static int base_teardown(void **state)
{
	cfg_free(*state);
	return 0;
}

static void test_cfg_defaults(void **state)
{
	const struct cfg *c = *state;
	const struct cfg_listener *l = &c->listeners[0];
	const struct cfg_idp *d = &c->idps[0];
	const struct cfg_connection *k = &c->connections[0];

	assert_string_equal(c->path, "t.ini");
	assert_string_equal(c->gateway.instance, "gw");
	assert_string_equal(c->gateway.log_level, "info");
	assert_null(c->gateway.tls_cert);
	assert_null(c->gateway.tls_key);
	assert_int_equal(c->gateway.max_packet_size, 67108864);
	assert_int_equal(c->gateway.max_packet_size_auth, 65536);
	assert_int_equal(c->gateway.handshake_timeout, 10000);
	assert_int_equal(c->gateway.idle_timeout, 8 * 3600 * 1000);
	assert_int_equal(c->gateway.max_session_lifetime, 0);
	assert_false(c->gateway.close_on_token_expiry);
	assert_int_equal(c->gateway.max_sessions, 10000);
	assert_int_equal(c->gateway.client_high_watermark, 1048576);

	assert_string_equal(c->store.dsn, "dbname=audit");
	assert_int_equal(c->store.queue_size, 100000);
	assert_int_equal(c->store.batch_size, 1000);
	assert_int_equal(c->store.flush_interval, 50);
	assert_int_equal(c->store.grace, 5000);

	assert_int_equal(c->n_listeners, 1);
	assert_string_equal(l->name, "main");
	assert_int_equal(l->line, 3);
	assert_string_equal(l->address, "127.0.0.1");
	assert_int_equal(l->port, 3307);
	assert_false(l->require_tls);
	assert_true(l->allow_plaintext_loopback);

	assert_int_equal(c->n_idps, 1);
	assert_string_equal(d->name, "corp");
	assert_int_equal(d->line, 6);
	assert_string_equal(d->type, "oidc");
	assert_string_equal(d->issuer, "https://id.example.com");
	assert_string_equal(d->audience, "agentgate");
	assert_null(d->jwks_uri);
	assert_string_equal(d->subject_claim, "sub");
	assert_string_equal(d->algorithms, "RS256,PS256,ES256");
	assert_int_equal(d->clock_skew, 60000);
	assert_int_equal(d->jwks_max_age, 3600000);

	assert_int_equal(c->n_connections, 1);
	assert_int_equal(k->line, 9);
	assert_string_equal(k->host, "db.internal");
	assert_int_equal(k->port, 3306);
	assert_string_equal(k->user, "gw");
	assert_string_equal(k->password_file, "app.pw");
	assert_null(k->database);
	assert_false(k->tls);
	assert_true(k->tls_verify);

	assert_ptr_equal(cfg_find_connection(c, "app"), k);
	assert_null(cfg_find_connection(c, "App"));
	assert_ptr_equal(cfg_find_idp(c, "corp"), d);
	assert_null(cfg_find_idp(c, "other"));

	/* [approvals] applies its defaults when absent; [web] is off. */
	assert_int_equal(c->approvals.review_timeout, 300000);
	assert_int_equal(c->approvals.deferred_window, 900000);
	assert_int_equal(c->approvals.max_pending_per_agent, 20);
	assert_int_equal(c->approvals.max_pending, 1000);
	assert_int_equal(c->approvals.max_grant_duration, 3600000);
	assert_null(c->approvals.webhook_url);
	assert_false(c->has_web);
}

static void test_cfg_web(void **state)
{
	struct cfg *c;

	(void)state;
	c = parse_ok(BASE WEB_OK "reviewer_groups = dba, oncall\n"
	             "tls_cert = c.pem\ntls_key = k.pem\naddress = ::1\n"
	             "port = 9443\n");
	assert_true(c->has_web);
	assert_string_equal(c->web.client_id, "rv");
	assert_string_equal(c->web.public_url, "https://[::1]:9443");
	assert_true(cfg_list_contains(c->web.reviewer_groups, "oncall"));
	assert_null(c->web.reviewer_subjects);
	assert_int_equal(c->web.session_lifetime, 8 * 3600 * 1000);
	cfg_free(c);
	c = parse_ok("[gateway]\ntls_cert = g.pem\ntls_key = g.key\n" BASE WEB_OK
	             "reviewer_subjects = alice\n"
	             "public_url = https://review.example.com\n");
	assert_null(c->web.tls_cert);
	assert_string_equal(c->web.public_url, "https://review.example.com");
	assert_string_equal(c->web.address, "127.0.0.1");
	cfg_free(c);
}

static void test_cfg_full(void **state)
{
	static const char text[] =
	    "[gateway]\n"
	    "instance = gw-eu-1\n"
	    "tls_cert = gw.crt\n"
	    "tls_key = gw.key\n"
	    "log_level = debug\n"
	    "close_on_token_expiry = yes\n"
	    STORE_OK
	    "[listener tls]\n"
	    "address = 0.0.0.0\n"
	    "port = 3310\n"
	    LISTENER_OK
	    "[idp local]\n"
	    "issuer = http://127.0.0.1:8080/realms/dev\n"
	    "audience = agentgate\n"
	    "jwks_uri = http://[::1]:9000/jwks\n"
	    "algorithms = ES256 , RS256\n"
	    "[idp corp]\n"
	    "issuer = https://id.example.com\n"
	    "audience = a\n"
	    "[idp lo]\n"
	    "issuer = http://localhost/x\n"
	    "audience = a\n"
	    "[idp v6]\n"
	    "issuer = http://[::1]\n"
	    "audience = a\n"
	    CONN_OK
	    "[ connection   reports ]\n"
	    "host = 10.0.0.5\n"
	    "port = 3316\n"
	    "user = r\n"
	    "password_file = r.pw\n"
	    "database = sales\n"
	    "tls = on\n"
	    "tls_verify = 0\n";
	struct cfg *c = parse_ok(text);
	const struct cfg_connection *r;

	assert_string_equal(c->gateway.instance, "gw-eu-1");
	assert_string_equal(c->gateway.tls_cert, "gw.crt");
	assert_true(c->gateway.close_on_token_expiry);
	assert_int_equal(c->n_listeners, 2);
	assert_true(c->listeners[0].require_tls);
	assert_int_equal(c->listeners[0].port, 3310);
	assert_int_equal(c->n_idps, 4);
	assert_string_equal(c->idps[0].jwks_uri, "http://[::1]:9000/jwks");
	assert_string_equal(c->idps[0].algorithms, "ES256 , RS256");
	assert_int_equal(c->n_connections, 2);
	r = cfg_find_connection(c, "reports");
	assert_non_null(r);
	assert_int_equal(r->port, 3316);
	assert_string_equal(r->database, "sales");
	assert_true(r->tls);
	assert_false(r->tls_verify);
	cfg_free(c);
	cfg_free(NULL);
}

/* Value parsing through one setting, with BASE making the file valid. */
static void parse_one(const char *line, struct cfg **out, char *err,
                      size_t errlen)
{
	char text[1024];

	snprintf(text, sizeof text, "[gateway]\n%s\n" BASE, line);
	*out = cfg_parse("t.ini", text, strlen(text), err, errlen);
}

static void test_cfg_sizes(void **state)
{
	static const struct {
		const char *v;
		bool ok;
		uint64_t bytes;
	} cases[] = {
		{"0", true, 0},
		{"1000", true, 1000},
		{"1000B", true, 1000},
		{"2K", true, 2048},
		{"2KB", true, 2048},
		{"2KiB", true, 2048},
		{"2k", true, 2048},
		{"3M", true, 3 << 20},
		{"3 MiB", true, 3 << 20},
		{"1G", true, 1ull << 30},
		{"16GB", true, 16ull << 30},
		{"17179869183G", true, 17179869183ull << 30},
		{"17179869184G", false, 0}, /* 2^64: overflow */
		{"18446744073709551616", false, 0},
		{"2T", false, 0},
		{"1.5M", false, 0},
		{"-1K", false, 0},
		{"+1K", false, 0},
		{"K", false, 0},
		{"0x10", false, 0},
		{"", false, 0},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char line[128], err[512] = "", want[256];
		struct cfg *c;

		snprintf(line, sizeof line, "client_high_watermark = %s", cases[i].v);
		parse_one(line, &c, err, sizeof err);
		if (cases[i].ok) {
			if (!c)
				fail_msg("'%s' refused: %s", cases[i].v, err);
			if (c->gateway.client_high_watermark != cases[i].bytes)
				fail_msg("'%s' gave %llu", cases[i].v,
				         (unsigned long long)
				             c->gateway.client_high_watermark);
			cfg_free(c);
		} else {
			if (c)
				fail_msg("'%s' accepted", cases[i].v);
			snprintf(want, sizeof want,
			         "t.ini:2: client_high_watermark: expected a size like "
			         "64K or 16M, got '%s'",
			         cases[i].v);
			assert_string_equal(err, want);
		}
	}
}

static void test_cfg_durations(void **state)
{
	static const struct {
		const char *v;
		bool ok;
		uint64_t ms;
	} cases[] = {
		{"0", true, 0},
		{"30", true, 30000}, /* a bare number is seconds */
		{"500ms", true, 500},
		{"500 ms", true, 500},
		{"10s", true, 10000},
		{"10S", true, 10000},
		{"5m", true, 300000},
		{"5min", true, 300000},
		{"2h", true, 7200000},
		{"18446744073709551", true, 18446744073709551000ull},
		{"18446744073709552", false, 0}, /* * 1000 wraps past 2^64 */
		{"5124095576030h", true, 5124095576030ull * 3600000},
		{"5124095576031h", false, 0},
		{"10 parsecs", false, 0},
		{"1.5s", false, 0},
		{"-1s", false, 0},
		{"s", false, 0},
		{"10d", false, 0},
		{"", false, 0},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char line[128], err[512] = "", want[256];
		struct cfg *c;

		snprintf(line, sizeof line, "idle_timeout = %s", cases[i].v);
		parse_one(line, &c, err, sizeof err);
		if (cases[i].ok) {
			if (!c)
				fail_msg("'%s' refused: %s", cases[i].v, err);
			if (c->gateway.idle_timeout != cases[i].ms)
				fail_msg("'%s' gave %llu", cases[i].v,
				         (unsigned long long)c->gateway.idle_timeout);
			cfg_free(c);
		} else {
			if (c)
				fail_msg("'%s' accepted as %llu ms", cases[i].v,
				         (unsigned long long)c->gateway.idle_timeout);
			snprintf(want, sizeof want,
			         "t.ini:2: idle_timeout: expected a duration like 500ms, "
			         "10s, 5m or 1h, got '%s'",
			         cases[i].v);
			assert_string_equal(err, want);
		}
	}
}

static void test_cfg_bools(void **state)
{
	static const struct {
		const char *v;
		bool value;
	} cases[] = {
		{"true", true}, {"TRUE", true}, {"yes", true}, {"on", true},
		{"1", true},    {"false", false}, {"No", false}, {"off", false},
		{"0", false},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char line[128], err[512] = "";
		struct cfg *c;

		snprintf(line, sizeof line, "close_on_token_expiry = %s", cases[i].v);
		parse_one(line, &c, err, sizeof err);
		if (!c)
			fail_msg("'%s' refused: %s", cases[i].v, err);
		assert_int_equal(c->gateway.close_on_token_expiry, cases[i].value);
		cfg_free(c);
	}
}

/* `#` and `;` start a comment at the start of a line or after whitespace;
 * elsewhere they are part of the value (passwords, DSNs). */
static void test_cfg_comments(void **state)
{
	static const char text[] =
	    "# leading comment\n"
	    "; another\n"
	    "\n"
	    "   \t\n"
	    "[gateway] # section comment\n"
	    "instance = gw-1 # trailing comment\n"
	    "log_level = warn\t; tab before the comment\n"
	    STORE_OK LISTENER_OK IDP_OK
	    "[connection app]\n"
	    "host = db.internal#2\n"
	    "user = a#b\n"
	    "password_file = pw;1 ;comment\n"
	    "database = shop#\n"
	    "  # indented comment\n";
	struct cfg *c = parse_ok(text);

	assert_string_equal(c->gateway.instance, "gw-1");
	assert_string_equal(c->gateway.log_level, "warn");
	assert_string_equal(c->connections[0].host, "db.internal#2");
	assert_string_equal(c->connections[0].user, "a#b");
	assert_string_equal(c->connections[0].password_file, "pw;1");
	assert_string_equal(c->connections[0].database, "shop#");
	cfg_free(c);
}

static void test_cfg_crlf_and_no_final_newline(void **state)
{
	static const char text[] =
	    "[store]\r\ndsn = dbname=audit\r\n"
	    "[listener main]\r\nrequire_tls = false\r\n"
	    "allow_plaintext_loopback = true\r\n"
	    IDP_OK
	    "[connection app]\r\nhost = h\r\nuser = u\r\npassword_file = p";
	struct cfg *c = parse_ok(text);

	assert_string_equal(c->store.dsn, "dbname=audit");
	assert_string_equal(c->listeners[0].name, "main");
	assert_false(c->listeners[0].require_tls);
	assert_string_equal(c->connections[0].password_file, "p");
	cfg_free(c);
}

struct bad_case {
	const char *label;
	const char *text;
	const char *err; /* expected prefix of the message */
};

static const struct bad_case bad_cases[] = {
	/* --- structure */
	{"unknown section", "[gatway]\n" BASE,
	 "t.ini:1: unknown section [gatway] (expected gateway, store, "
	 "approvals, web, listener, idp or connection)"},
	{"unknown named section", BASE "[backend x]\n",
	 "t.ini:13: unknown section [backend]"},
	{"section without name", "[listener]\n" BASE,
	 "t.ini:1: [listener] needs a name, e.g. [listener main]"},
	{"section with blank name", STORE_OK "[idp   ]\n",
	 "t.ini:3: [idp] needs a name, e.g. [idp main]"},
	{"gateway with a name", "[gateway x]\n" BASE,
	 "t.ini:1: [gateway] takes no name"},
	{"store with a name", "[store main]\n",
	 "t.ini:1: [store] takes no name"},
	{"bad section name", "[listener a/b]\n",
	 "t.ini:1: section name 'a/b' must be 1-64 letters, digits, '_', '.' "
	 "or '-'"},
	{"section name with a space", "[connection a b]\n",
	 "t.ini:1: section name 'a b' must be"},
	{"section name too long",
	 "[idp "
	 "x123456789x123456789x123456789x123456789x123456789x123456789x1234]\n",
	 "t.ini:1: section name "},
	{"malformed header", "[gateway\n", "t.ini:1: malformed section header "
	                                   "'[gateway'"},
	{"junk after header", "[gateway] x\n",
	 "t.ini:1: malformed section header '[gateway] x'"},
	{"duplicate named section", BASE "[connection app]\n",
	 "t.ini:13: [connection app] appears twice"},
	{"duplicate listener", BASE "[listener main]\n",
	 "t.ini:13: [listener main] appears twice"},
	{"duplicate store", BASE "[store]\n", "t.ini:13: [store] appears twice"},
	{"duplicate gateway", "[gateway]\n[gateway]\n" BASE,
	 "t.ini:2: [gateway] appears twice"},
	{"duplicate approvals", BASE "[approvals]\n[approvals]\n",
	 "t.ini:14: [approvals] appears twice"},
	{"approvals with a name", BASE "[approvals x]\n",
	 "t.ini:13: [approvals] takes no name"},
	{"review timeout too short", BASE "[approvals]\nreview_timeout = 0\n",
	 "t.ini:13: [approvals] review_timeout must be at least 1s"},
	{"webhook over plain http", BASE "[approvals]\n"
	 "webhook_url = http://hooks.example.com/x\n",
	 "t.ini:13: [approvals] webhook_url must be an https URL"},
	{"web without client id", BASE "[web]\nclient_secret_file = s\n",
	 "t.ini:13: section [web] lacks the required setting 'client_id'"},
	{"web without reviewers", BASE WEB_OK,
	 "t.ini:13: [web] needs reviewer_groups or reviewer_subjects"},
	{"web without TLS", BASE WEB_OK "reviewer_groups = dba\n",
	 "t.ini:13: [web] needs tls_cert and tls_key"},
	{"web with an unknown idp", BASE WEB_OK "reviewer_groups = dba\n"
	 "idp = nope\ntls_cert = c\ntls_key = k\n",
	 "t.ini:13: [web] idp 'nope' names no [idp NAME] section"},
	{"web public url with a path", BASE WEB_OK "reviewer_groups = dba\n"
	 "tls_cert = c\ntls_key = k\npublic_url = https://h/x\n",
	 "t.ini:13: [web] public_url must be https://host[:port] without a path"},
	{"web public url over http", BASE WEB_OK "reviewer_groups = dba\n"
	 "tls_cert = c\ntls_key = k\npublic_url = http://h\n",
	 "t.ini:13: [web] public_url must be https://host[:port]"},
	{"duplicate web", BASE WEB_OK "[web]\n",
	 "t.ini:16: [web] appears twice"},
	{"key outside any section", "# first\ninstance = a\n" BASE,
	 "t.ini:2: 'instance' is outside any section"},
	{"not key = value", "[gateway]\njust words\n" BASE,
	 "t.ini:2: expected 'key = value', got 'just words'"},
	{"missing store", LISTENER_OK IDP_OK CONN_OK,
	 "t.ini:0: missing [store] section"},
	{"no listener", STORE_OK IDP_OK CONN_OK,
	 "t.ini:0: no [listener NAME] section"},
	{"no idp", STORE_OK LISTENER_OK CONN_OK, "t.ini:0: no [idp NAME] section"},
	{"no connection", STORE_OK LISTENER_OK IDP_OK,
	 "t.ini:0: no [connection NAME] section"},
	{"empty file", "", "t.ini:0: missing [store] section"},

	/* --- keys */
	{"unknown key", "[gateway]\ninstance = a\ncolour = blue\n" BASE,
	 "t.ini:3: unknown setting 'colour' in [gateway]"},
	{"unknown key in a named section", BASE "[listener two]\nprot = 3308\n",
	 "t.ini:14: unknown setting 'prot' in [listener]"},
	{"key of another section", "[store]\nport = 1\n",
	 "t.ini:2: unknown setting 'port' in [store]"},
	{"keys are case-sensitive", "[gateway]\nInstance = a\n",
	 "t.ini:2: unknown setting 'Instance' in [gateway]"},
	{"duplicate key", "[gateway]\ninstance = a\n\ninstance = b\n" BASE,
	 "t.ini:4: 'instance' is set twice in this section"},
	/* A required setting missing is reported at its section's header. */
	{"missing host",
	 "[connection app]\nuser = gw\npassword_file = app.pw\n" STORE_OK
	     LISTENER_OK IDP_OK,
	 "t.ini:1: section [connection app] lacks the required setting 'host'"},
	{"missing host in the last section",
	 STORE_OK LISTENER_OK IDP_OK
	 "[connection app]\nuser = gw\npassword_file = app.pw\n# end\n\n",
	 "t.ini:9: section [connection app] lacks the required setting 'host'"},
	{"missing dsn", "[store]\n" LISTENER_OK IDP_OK CONN_OK,
	 "t.ini:1: section [store] lacks the required setting 'dsn'"},
	{"missing audience",
	 STORE_OK LISTENER_OK "[idp corp]\nissuer = https://a.example\n" CONN_OK,
	 "t.ini:6: section [idp corp] lacks the required setting 'audience'"},
	{"empty required value", "[store]\ndsn =\n" LISTENER_OK IDP_OK CONN_OK,
	 "t.ini:2: 'dsn' must not be empty"},

	/* --- values */
	{"bad bool", "[gateway]\nclose_on_token_expiry = maybe\n" BASE,
	 "t.ini:2: close_on_token_expiry: expected true or false, got 'maybe'"},
	{"port out of range", BASE "[listener two]\nport = 70000\n",
	 "t.ini:14: port: must be in 1..65535"},
	{"port zero", BASE "[connection two]\nport = 0\n",
	 "t.ini:14: port: must be in 1..65535"},
	{"port negative", BASE "[connection two]\nport = -3306\n",
	 "t.ini:14: port: must be in 1..65535"},
	{"not an integer", "[gateway]\nmax_sessions = 10k\n" BASE,
	 "t.ini:2: max_sessions: expected an integer, got '10k'"},
	{"empty integer", "[gateway]\nmax_sessions =\n" BASE,
	 "t.ini:2: max_sessions: expected an integer, got ''"},
	{"integer overflow", "[gateway]\nmax_sessions = 99999999999999999999\n",
	 "t.ini:2: max_sessions: expected an integer, got "
	 "'99999999999999999999'"},
	{"bad duration", "[gateway]\nhandshake_timeout = 10 parsecs\n" BASE,
	 "t.ini:2: handshake_timeout: expected a duration like 500ms, 10s, 5m "
	 "or 1h, got '10 parsecs'"},
	{"bad size", "[gateway]\nmax_packet_size = 64T\n" BASE,
	 "t.ini:2: max_packet_size: expected a size like 64K or 16M, got '64T'"},

	/* --- whole-file checks */
	{"bad log_level", "[gateway]\nlog_level = loud\n" BASE,
	 "t.ini:1: [gateway] log_level must be debug, info, warn or error"},
	{"max_packet_size too small", "[gateway]\nmax_packet_size = 512\n" BASE,
	 "t.ini:1: [gateway] max_packet_size must be between 1K and 1G"},
	{"max_packet_size too large", "\n[gateway]\nmax_packet_size = 2G\n" BASE,
	 "t.ini:2: [gateway] max_packet_size must be between 1K and 1G"},
	{"max_packet_size_auth too large",
	 "[gateway]\nmax_packet_size_auth = 2M\n" BASE,
	 "t.ini:1: [gateway] max_packet_size_auth must be between 1K and 1M"},
	{"handshake_timeout 0", "[gateway]\nhandshake_timeout = 0\n" BASE,
	 "t.ini:1: [gateway] handshake_timeout must not be 0"},
	{"plaintext without allow_plaintext_loopback",
	 STORE_OK "[listener main]\nrequire_tls = false\n" IDP_OK CONN_OK,
	 "t.ini:3: [listener main] require_tls = false needs "
	 "allow_plaintext_loopback = true (tokens over plain TCP are only "
	 "allowed on loopback)"},
	{"allow_plaintext_loopback on a public address",
	 STORE_OK "[listener main]\naddress = 0.0.0.0\nrequire_tls = false\n"
	          "allow_plaintext_loopback = true\n" IDP_OK CONN_OK,
	 "t.ini:3: [listener main] allow_plaintext_loopback needs a loopback "
	 "address, not '0.0.0.0'"},
	{"allow_plaintext_loopback on 10.0.0.1",
	 BASE "[listener lan]\naddress = 10.0.0.1\nrequire_tls = no\n"
	      "allow_plaintext_loopback = yes\n",
	 "t.ini:13: [listener lan] allow_plaintext_loopback needs a loopback "
	 "address, not '10.0.0.1'"},
	{"require_tls with allow_plaintext_loopback",
	 STORE_OK "[listener main]\nallow_plaintext_loopback = true\n" IDP_OK
	     CONN_OK,
	 "t.ini:3: [listener main] require_tls and allow_plaintext_loopback "
	 "contradict each other"},
	{"tls listener without gateway section",
	 STORE_OK "[listener main]\n" IDP_OK CONN_OK,
	 "t.ini:0: [gateway] tls_cert and tls_key are required by a listener "
	 "with require_tls = true"},
	{"tls listener without tls_cert",
	 "[gateway]\ntls_key = gw.key\n" STORE_OK "[listener main]\n" IDP_OK
	     CONN_OK,
	 "t.ini:1: [gateway] tls_cert and tls_key are required by a listener "
	 "with require_tls = true"},
	{"tls listener without tls_key",
	 "[gateway]\ntls_cert = gw.crt\n" BASE "[listener tls]\n",
	 "t.ini:1: [gateway] tls_cert and tls_key are required"},
	{"http issuer on a public host",
	 STORE_OK LISTENER_OK
	 "[idp corp]\nissuer = http://id.example.com\naudience = a\n" CONN_OK,
	 "t.ini:6: [idp corp] issuer must be an https URL (http only on a "
	 "loopback host): 'http://id.example.com'"},
	{"http issuer whose user-info looks like loopback",
	 STORE_OK LISTENER_OK
	 "[idp corp]\nissuer = http://localhost:80@id.example.com/\n"
	 "audience = a\n" CONN_OK,
	 "t.ini:6: [idp corp] issuer must be an https URL (http only on a "
	 "loopback host): 'http://localhost:80@id.example.com/'"},
	{"http issuer with junk after an IPv6 loopback",
	 STORE_OK LISTENER_OK
	 "[idp corp]\nissuer = http://[::1].example.com/\naudience = a\n"
	 CONN_OK,
	 "t.ini:6: [idp corp] issuer must be an https URL"},
	{"issuer without scheme",
	 STORE_OK LISTENER_OK "[idp corp]\nissuer = id.example.com\naudience = a\n"
	 CONN_OK,
	 "t.ini:6: [idp corp] issuer must be an https URL (http only on a "
	 "loopback host): 'id.example.com'"},
	{"http jwks_uri on a public host",
	 STORE_OK LISTENER_OK IDP_OK "jwks_uri = http://keys.example.com/\n"
	 CONN_OK,
	 "t.ini:6: [idp corp] jwks_uri must be an https URL (http only on a "
	 "loopback host): 'http://keys.example.com/'"},
	{"HS256", STORE_OK LISTENER_OK IDP_OK "algorithms = RS256, HS256\n"
	          CONN_OK,
	 "t.ini:6: [idp corp] algorithms: 'HS256' is not supported (none and "
	 "HMAC are never accepted)"},
	{"none", STORE_OK LISTENER_OK IDP_OK "algorithms = none\n" CONN_OK,
	 "t.ini:6: [idp corp] algorithms: 'none' is not supported"},
	{"algorithms are case-sensitive",
	 STORE_OK LISTENER_OK IDP_OK "algorithms = rs256\n" CONN_OK,
	 "t.ini:6: [idp corp] algorithms: 'rs256' is not supported"},
	{"empty list element",
	 STORE_OK LISTENER_OK IDP_OK "algorithms = RS256,,ES256\n" CONN_OK,
	 "t.ini:6: [idp corp] algorithms: bad list 'RS256,,ES256'"},
	{"idp type", STORE_OK LISTENER_OK IDP_OK "type = saml\n" CONN_OK,
	 "t.ini:6: [idp corp] type must be oidc, not 'saml'"},
	{"same issuer twice",
	 BASE "[idp other]\nissuer = https://id.example.com\naudience = b\n",
	 "t.ini:13: [idp other] has the same issuer as [idp corp]"},
};

/* Reports every mismatching case, not just the first. */
static void test_cfg_bad(void **state)
{
	size_t failures = 0;

	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *tc = &bad_cases[i];
		char err[512] = "";
		struct cfg *c = cfg_parse("t.ini", tc->text, strlen(tc->text), err,
		                          sizeof err);

		if (c) {
			cfg_free(c);
			print_error("%s: accepted\n", tc->label);
			failures++;
		} else if (strncmp(err, tc->err, strlen(tc->err)) != 0) {
			print_error("%s:\n got      '%s'\n expected '%s...'\n",
			            tc->label, err, tc->err);
			failures++;
		}
	}
	if (failures)
		fail_msg("%zu of %zu bad configurations wrong", failures,
		         ARRAY_LEN(bad_cases));
}

static void test_cfg_nul_byte(void **state)
{
	static const char text[] = "[gateway]\ninstance = a\0b\n" BASE;
	char err[512] = "";

	assert_null(cfg_parse("t.ini", text, sizeof text - 1, err, sizeof err));
	assert_string_equal(err, "t.ini:2: NUL byte in line");
	/* Even inside a comment. */
	assert_null(cfg_parse("t.ini", "# a\0b\n", 6, err, sizeof err));
	assert_string_equal(err, "t.ini:1: NUL byte in line");
}

static void test_cfg_error_truncated(void **state)
{
	char err[12];

	memset(err, 'x', sizeof err);
	assert_null(cfg_parse("t.ini", "[gatway]\n", 9, err, sizeof err));
	assert_string_equal(err, "t.ini:1: un");
}

static void test_cfg_load(void **state)
{
	const char *path = *state;
	char err[512], want[512];
	struct cfg *c;

	put_file(path, BASE, strlen(BASE));
	c = cfg_load(path, err, sizeof err);
	assert_non_null(c);
	assert_string_equal(c->path, path);
	assert_string_equal(c->connections[0].host, "db.internal");
	cfg_free(c);

	put_file(path, "[gateway]\ncolour = red\n", 23);
	assert_null(cfg_load(path, err, sizeof err));
	snprintf(want, sizeof want, "%s:2: unknown setting 'colour' in [gateway]",
	         path);
	assert_string_equal(err, want);

	/* A NUL must not silently end the file early. */
	put_file(path, BASE "\0[gateway]\n", sizeof(BASE) + 10);
	assert_null(cfg_load(path, err, sizeof err));
	snprintf(want, sizeof want, "%s:0: %s contains a NUL byte", path, path);
	assert_string_equal(err, want);
}

static void test_cfg_load_missing(void **state)
{
	char path[300], want[700], err[700];

	snprintf(path, sizeof path, "%s.missing", (const char *)*state);
	assert_null(cfg_load(path, err, sizeof err));
	snprintf(want, sizeof want, "%s:0: cannot open %s: ", path, path);
	assert_prefix(err, want);
}

static void test_cfg_list_contains(void **state)
{
	static const struct {
		const char *list;
		const char *item;
		bool in;
	} cases[] = {
		{"RS256,PS256,ES256", "PS256", true},
		{"RS256,PS256,ES256", "RS256", true},
		{"RS256,PS256,ES256", "ES256", true},
		{" RS256 ,\tPS256 ", "rs256", true},
		{" RS256 ,\tPS256 ", "PS256", true},
		{"RS256", "RS25", false},
		{"RS2567", "RS256", false},
		{"RS256,PS256", "RS256,PS256", false},
		{"", "RS256", false},
		{NULL, "RS256", false},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (cfg_list_contains(cases[i].list, cases[i].item) != cases[i].in)
			fail_msg("'%s' in '%s': expected %d", cases[i].item,
			         cases[i].list ? cases[i].list : "(null)", cases[i].in);
}

static void test_cfg_tables_and_reference(void **state)
{
	char *doc = NULL;
	size_t doclen = 0, rows = 0, settings = 0;
	FILE *f = open_memstream(&doc, &doclen);
	const char *p;

	assert_non_null(f);
	cfg_write_reference(f);
	assert_int_equal(fclose(f), 0);

	assert_string_equal(cfg_section_name(CFG_SEC_GATEWAY), "gateway");
	assert_string_equal(cfg_section_name(CFG_SEC_CONNECTION), "connection");
	for (int k = CFG_SEC_GATEWAY; k <= CFG_SEC_LAST; k++) {
		const struct cfg_setting *s = cfg_settings(k);
		char want[128];

		assert_non_null(s);
		for (; s->name; s++) {
			settings++;
			assert_non_null(s->help);
			snprintf(want, sizeof want, "| `%s` | ", s->name);
			if (!strstr(doc, want))
				fail_msg("no row for [%s] %s", cfg_section_name(k),
				         s->name);
		}
	}
	for (p = doc; (p = strstr(p, "\n| `")) != NULL; p++)
		rows++;
	assert_int_equal(rows, settings);

	assert_non_null(strstr(doc, "### `[gateway]`"));
	assert_non_null(strstr(doc, "### `[connection NAME]`"));
	assert_non_null(strstr(doc, "| `max_packet_size` | size | 64M | "));
	assert_non_null(strstr(doc, "| `handshake_timeout` | duration | 10s | "));
	assert_non_null(strstr(doc, "| `host` | string | **required** | "));
	assert_non_null(strstr(doc, "| `require_tls` | boolean | true | "));
	assert_non_null(strstr(doc, "| `algorithms` | list | RS256,PS256,ES256 | "));
	assert_non_null(strstr(doc, "| `jwks_uri` | string | (unset) | "));
	assert_non_null(strstr(doc, "| `port` | integer | 3307 | "));
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_int_readers),
		cmocka_unit_test(test_cursor_bytes_and_skip),
		cmocka_unit_test(test_cursor_nulstr),
		cmocka_unit_test(test_cursor_lenenc_str),
		cmocka_unit_test(test_cursor_rest),
		cmocka_unit_test(test_writers_round_trip),
		cmocka_unit_test(test_wr_lenenc_boundaries),
		cmocka_unit_test(test_wr_lenenc_str_round_trip),
		cmocka_unit_test(test_buf_printf_and_growth),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_base64_invalid),
		cmocka_unit_test(test_utf8_sanitize),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_is_loopback_host),
		cmocka_unit_test(test_clocks_and_alloc),
		cmocka_unit_test_setup_teardown(test_read_file, temp_setup,
		                                temp_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_missing, temp_setup,
		                                temp_teardown),
		cmocka_unit_test_setup_teardown(test_cfg_defaults, base_setup,
		                                base_teardown),
		cmocka_unit_test(test_cfg_full),
		cmocka_unit_test(test_cfg_web),
		cmocka_unit_test(test_cfg_sizes),
		cmocka_unit_test(test_cfg_durations),
		cmocka_unit_test(test_cfg_bools),
		cmocka_unit_test(test_cfg_comments),
		cmocka_unit_test(test_cfg_crlf_and_no_final_newline),
		cmocka_unit_test(test_cfg_bad),
		cmocka_unit_test(test_cfg_nul_byte),
		cmocka_unit_test(test_cfg_error_truncated),
		cmocka_unit_test_setup_teardown(test_cfg_load, temp_setup,
		                                temp_teardown),
		cmocka_unit_test_setup_teardown(test_cfg_load_missing, temp_setup,
		                                temp_teardown),
		cmocka_unit_test(test_cfg_list_contains),
		cmocka_unit_test(test_cfg_tables_and_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
