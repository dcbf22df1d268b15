/*
 * Unit tests of the proxy module's MySQL codec and response tracker: packet
 * framing across the 16 MiB boundary and sequence-id wrap; OK, ERR and EOF
 * built and parsed; the v10 greeting both ways and every way a server's
 * greeting can be short or refused; HandshakeResponse41 as clients really
 * send it (each capability-dependent layout), the SSLRequest, and a table of
 * malformed responses with the exact message the client would see; the
 * password scrambles checked against digests computed here with OpenSSL
 * directly; RSA password encryption decrypted with a key made in the test;
 * and the response tracker fed the packet sequences a real server sends,
 * including the rows and continuations that only look like EOF.
 *
 * Sockets, TLS sessions and the relay itself belong to the integration
 * tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "core/core.h"
#include "proxy/internal.h"
#include "proxy/mysql.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A byte list as pointer and length, for tables. */
#define BYTES(...)                                                          \
	(const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
/* The first n bytes of a byte list (n may be 0). */
#define CUT(n, ...) (const uint8_t[]){__VA_ARGS__}, (n)
/* A string literal as pointer and length (without the final NUL). */
#define STR(s) (const uint8_t *)(s), sizeof(s) - 1

/* The 20-byte scramble used throughout (printable, as servers send it);
 * the array keeps the literal's NUL, which is not part of it. */
static const uint8_t SCRAMBLE[MYSQL_SCRAMBLE_LEN + 1] = "aG5#kL9!pQ2@wE7*zX1&";

/* A fixed pattern, so a misplaced byte shows. */
static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 7 + seed) % 251);
}

/* ============================================================ framing */

struct frame_case {
	const char *label;
	size_t len;
	uint8_t seq;
	size_t n_packets;
	uint32_t lens[3];
	uint8_t seqs[3];
	uint8_t next_seq;
};

static const struct frame_case frame_cases[] = {
	{"empty payload", 0, 0, 1, {0}, {0}, 1},
	{"small payload", 5, 3, 1, {5}, {3}, 4},
	{"small payload at seq 255 wraps to 0", 1, 255, 1, {1}, {255}, 0},
	{"one byte under the limit", 0xFFFFFE, 0, 1, {0xFFFFFE}, {0}, 1},
	{"exactly 0xFFFFFF: an empty packet ends it", 0xFFFFFF, 0, 2,
	 {0xFFFFFF, 0}, {0, 1}, 2},
	{"0xFFFFFF + 5", 0xFFFFFF + 5, 7, 2, {0xFFFFFF, 5}, {7, 8}, 9},
	{"0xFFFFFF + 5 wrapping inside the split", 0xFFFFFF + 5, 255, 2,
	 {0xFFFFFF, 5}, {255, 0}, 1},
	{"two full packets and an empty one", 2 * 0xFFFFFFu, 254, 3,
	 {0xFFFFFF, 0xFFFFFF, 0}, {254, 255, 0}, 1},
};

static void test_frame(void **state)
{
	const size_t maxlen = 2 * (size_t)MYSQL_MAX_PAYLOAD + 5;
	uint8_t *payload = malloc(maxlen);
	uint8_t *joined = malloc(maxlen);

	(void)state;
	assert_non_null(payload);
	assert_non_null(joined);
	fill_pattern(payload, maxlen, 1);
	for (size_t i = 0; i < ARRAY_LEN(frame_cases); i++) {
		const struct frame_case *tc = &frame_cases[i];
		struct core_buf out = {0};
		struct cursor c;
		uint8_t seq = tc->seq;
		size_t joined_len = 0;

		mysql_frame(&out, &seq, payload, tc->len);
		if (seq != tc->next_seq)
			fail_msg("%s: next seq %u, expected %u", tc->label, seq,
			         tc->next_seq);
		cursor_init(&c, out.data, out.len);
		for (size_t k = 0; k < tc->n_packets; k++) {
			uint32_t len;
			uint8_t pseq;
			const uint8_t *b;

			if (!rd_u24le(&c, &len) || !rd_u8(&c, &pseq) ||
			    !rd_bytes(&c, len, &b))
				fail_msg("%s: packet %zu missing", tc->label, k);
			if (len != tc->lens[k] || pseq != tc->seqs[k])
				fail_msg("%s: packet %zu has len %x seq %u, expected "
				         "len %x seq %u",
				         tc->label, k, len, pseq, tc->lens[k],
				         tc->seqs[k]);
			memcpy(joined + joined_len, b, len);
			joined_len += len;
		}
		if (cursor_left(&c) != 0)
			fail_msg("%s: %zu bytes after the last packet", tc->label,
			         cursor_left(&c));
		assert_int_equal(joined_len, tc->len);
		if (tc->len > 0)
			assert_memory_equal(joined, payload, tc->len);
		core_buf_free(&out);
	}
	free(payload);
	free(joined);
}

/* Consecutive packets of one exchange: each takes the next id, mod 256. */
static void test_frame_sequence_runs(void **state)
{
	struct core_buf out = {0};
	uint8_t seq = 0;

	(void)state;
	for (unsigned i = 0; i < 600; i++) {
		uint8_t b = (uint8_t)i;
		mysql_frame(&out, &seq, &b, 1);
	}
	assert_int_equal(out.len, 600 * 5);
	for (unsigned i = 0; i < 600; i++) {
		const uint8_t *h = out.data + i * 5;
		assert_int_equal(h[0], 1);
		assert_int_equal(h[1], 0);
		assert_int_equal(h[2], 0);
		assert_int_equal(h[3], i % 256);
		assert_int_equal(h[4], (uint8_t)i);
	}
	assert_int_equal(seq, 600 % 256);
	core_buf_free(&out);
}

/* ====================================================== OK, ERR, EOF */

struct ok_case {
	const char *label;
	uint64_t affected, last_id;
	uint16_t status, warnings;
	const uint8_t *bytes;
	size_t len;
};

static const struct ok_case ok_cases[] = {
	{"3 rows", 3, 0, SERVER_STATUS_AUTOCOMMIT, 0,
	 BYTES(0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00)},
	{"250 and 251 (the 1-byte limit)", 250, 251, 0x0003, 0x0102,
	 BYTES(0x00, 0xFA, 0xFC, 0xFB, 0x00, 0x03, 0x00, 0x02, 0x01)},
	{"3-byte and 8-byte ids", 0x10000, 0x1000000, 0xFFFF, 0xFFFF,
	 BYTES(0x00, 0xFD, 0x00, 0x00, 0x01, 0xFE, 0x00, 0x00, 0x00, 0x01, 0x00,
	       0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF)},
	{"largest values", UINT64_MAX, UINT64_MAX - 1, 0, 0,
	 BYTES(0x00, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
	       0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00,
	       0x00)},
};

static void test_ok_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ok_cases); i++) {
		const struct ok_case *tc = &ok_cases[i];
		struct core_buf b = {0};
		struct mysql_ok ok;

		mysql_build_ok(&b, tc->affected, tc->last_id, tc->status,
		               tc->warnings);
		if (b.len != tc->len || memcmp(b.data, tc->bytes, tc->len) != 0)
			fail_msg("%s: built %zu bytes, not the expected %zu",
			         tc->label, b.len, tc->len);
		if (!mysql_parse_ok(b.data, b.len, &ok))
			fail_msg("%s: does not parse back", tc->label);
		if (ok.affected_rows != tc->affected ||
		    ok.last_insert_id != tc->last_id || ok.status != tc->status ||
		    ok.warnings != tc->warnings)
			fail_msg("%s: parsed %llu %llu %x %u", tc->label,
			         (unsigned long long)ok.affected_rows,
			         (unsigned long long)ok.last_insert_id, ok.status,
			         ok.warnings);
		core_buf_free(&b);
	}
}

struct bytes_case {
	const char *label;
	const uint8_t *p;
	size_t len;
};

static const struct bytes_case bad_ok_cases[] = {
	{"empty", CUT(0, 0x00)},
	{"header only", BYTES(0x00)},
	{"no last insert id", BYTES(0x00, 0x03)},
	{"missing status", BYTES(0x00, 0x03, 0x00)},
	{"half a status", BYTES(0x00, 0x03, 0x00, 0x02)},
	{"missing warnings", BYTES(0x00, 0x03, 0x00, 0x02, 0x00)},
	{"half the warnings", BYTES(0x00, 0x03, 0x00, 0x02, 0x00, 0x00)},
	{"truncated lenenc", BYTES(0x00, 0xFC, 0x01)},
	{"NULL as a count", BYTES(0x00, 0xFB, 0x00, 0x02, 0x00, 0x00, 0x00)},
	{"ERR header", BYTES(0xFF, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00)},
	{"row header", BYTES(0x01, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00)},
};

static void test_ok_parse_errors(void **state)
{
	struct mysql_ok ok;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_ok_cases); i++) {
		const struct bytes_case *tc = &bad_ok_cases[i];
		if (mysql_parse_ok(tc->p, tc->len, &ok))
			fail_msg("%s: parsed", tc->label);
	}
	/* The 0xFE header of an OK that ends a result set also parses. */
	assert_true(mysql_parse_ok(
	    BYTES(0xFE, 0x00, 0x00, 0x22, 0x00, 0x01, 0x00), &ok));
	assert_int_equal(ok.status, 0x22);
	assert_int_equal(ok.warnings, 1);
}

static void test_err_round_trip(void **state)
{
	static const uint8_t want[] = "\xFF\x15\x04#28000Access denied";
	struct core_buf b = {0};
	struct mysql_err e;
	char longmsg[700];

	(void)state;
	mysql_build_err(&b, ER_ACCESS_DENIED, "28000", "Access denied");
	assert_int_equal(b.len, sizeof want - 1);
	assert_memory_equal(b.data, want, sizeof want - 1);
	assert_true(mysql_parse_err(b.data, b.len, &e));
	assert_int_equal(e.code, 1045);
	assert_string_equal(e.state, "28000");
	assert_string_equal(e.message, "Access denied");

	/* Messages are cut at 500 bytes when built. */
	memset(longmsg, 'm', sizeof longmsg - 1);
	longmsg[sizeof longmsg - 1] = '\0';
	core_buf_reset(&b);
	mysql_build_err(&b, ER_HANDSHAKE_ERROR, "08S01", longmsg);
	assert_int_equal(b.len, 9 + 500);
	assert_true(mysql_parse_err(b.data, b.len, &e));
	assert_int_equal(e.code, 1043);
	assert_string_equal(e.state, "08S01");
	assert_int_equal(strlen(e.message), 500);

	/* A server's longer message is cut to what the struct holds. */
	core_buf_reset(&b);
	wr_bytes(&b, "\xFF\x15\x04#28000", 9);
	wr_bytes(&b, longmsg, 600);
	assert_true(mysql_parse_err(b.data, b.len, &e));
	assert_int_equal(strlen(e.message), sizeof e.message - 1);
	assert_int_equal(e.message[0], 'm');
	core_buf_free(&b);
}

struct err_case {
	const char *label;
	const uint8_t *p;
	size_t len;
	bool ok;
	uint16_t code;
	const char *state;
	const char *message;
};

static const struct err_case err_cases[] = {
	{"no sqlstate (pre-handshake error)",
	 STR("\xFF\x6A\x04Host '10.0.0.7' is not allowed to connect"), true,
	 1130, "HY000", "Host '10.0.0.7' is not allowed to connect"},
	{"sqlstate, empty message", STR("\xFF\x10\x04#08004"), true, 1040,
	 "08004", ""},
	{"'#' with fewer than 5 bytes after it is message text",
	 STR("\xFF\x10\x04#0800"), true, 1040, "HY000", "#0800"},
	{"code only", STR("\xFF\x10\x04"), true, 1040, "HY000", ""},
	{"empty", CUT(0, 0xFF), false, 0, NULL, NULL},
	{"header only", BYTES(0xFF), false, 0, NULL, NULL},
	{"half a code", BYTES(0xFF, 0x10), false, 0, NULL, NULL},
	{"OK header", BYTES(0x00, 0x10, 0x04), false, 0, NULL, NULL},
};

static void test_err_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(err_cases); i++) {
		const struct err_case *tc = &err_cases[i];
		struct mysql_err e;
		bool ok = mysql_parse_err(tc->p, tc->len, &e);

		if (ok != tc->ok)
			fail_msg("%s: returned %d", tc->label, ok);
		if (!ok)
			continue;
		if (e.code != tc->code || strcmp(e.state, tc->state) != 0 ||
		    strcmp(e.message, tc->message) != 0)
			fail_msg("%s: got %u '%s' '%s'", tc->label, e.code, e.state,
			         e.message);
	}
}

struct eof_case {
	const char *label;
	const uint8_t *p;
	size_t len;
	bool is_eof;
	uint16_t warnings, status;
};

static const struct eof_case eof_cases[] = {
	{"EOF", BYTES(0xFE, 0x01, 0x00, 0x0A, 0x00), true, 1, 0x000A},
	{"bare EOF (pre-4.1)", BYTES(0xFE), true, 0, 0},
	{"8 bytes is still EOF", BYTES(0xFE, 0x02, 0x00, 0x22, 0x00, 0, 0, 0), true,
	 2, 0x22},
	{"9 bytes starting 0xFE is not EOF",
	 BYTES(0xFE, 0x02, 0x00, 0x22, 0x00, 0, 0, 0, 0), false, 0, 0},
	{"empty", CUT(0, 0xFE), false, 0, 0},
	{"OK", BYTES(0x00, 0x00, 0x00, 0x02, 0x00), false, 0, 0},
};

static void test_eof(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(eof_cases); i++) {
		const struct eof_case *tc = &eof_cases[i];
		uint16_t w = 0xAAAA, s = 0xAAAA;
		bool ok;

		if (mysql_is_eof(tc->p, tc->len) != tc->is_eof)
			fail_msg("%s: mysql_is_eof wrong", tc->label);
		ok = mysql_parse_eof(tc->p, tc->len, &w, &s);
		if (ok != tc->is_eof)
			fail_msg("%s: mysql_parse_eof returned %d", tc->label, ok);
		if (ok && (w != tc->warnings || s != tc->status))
			fail_msg("%s: warnings %u status %x", tc->label, w, s);
	}
}

/* ========================================================== greeting */

/* Capabilities whose low and high halves differ in every byte, with the
 * flags a 4.1 server must have. */
#define GREET_CAPS                                                          \
	(CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |   \
	 CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG |          \
	 CLIENT_CONNECT_WITH_DB | CLIENT_ODBC | CLIENT_LOCAL_FILES |            \
	 CLIENT_INTERACTIVE | CLIENT_TRANSACTIONS | CLIENT_MULTI_RESULTS |      \
	 CLIENT_CONNECT_ATTRS)

static const uint8_t greeting_bytes[] = {
	0x0A,                                   /* protocol */
	'8', '.', '0', '.', '3', '6', 0x00,     /* version */
	0x0D, 0x0C, 0x0B, 0x0A,                 /* connection id */
	'a', 'G', '5', '#', 'k', 'L', '9', '!', /* scramble, first 8 */
	0x00,                                   /* filler */
	0xCF, 0xA6,                             /* capabilities, low */
	0x2D,                                   /* charset */
	0x02, 0x00,                             /* status */
	0x1A, 0x00,                             /* capabilities, high */
	0x15,                                   /* auth data length */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0,           /* reserved */
	'p', 'Q', '2', '@', 'w', 'E', '7', '*', 'z', 'X', '1', '&', 0x00,
	'c', 'a', 'c', 'h', 'i', 'n', 'g', '_', 's', 'h', 'a', '2', '_', 'p',
	'a', 's', 's', 'w', 'o', 'r', 'd', 0x00,
};
/* Offsets into greeting_bytes. */
#define GREET_CAPS_LO 21
#define GREET_AUTH_LEN 28
#define GREET_PLUGIN 52

static void build_test_greeting(struct core_buf *b, uint32_t caps,
                                 const char *version)
{
	struct mysql_greeting g = {
		.server_version = version,
		.connection_id = 0x0A0B0C0D,
		.capabilities = caps,
		.charset = 45,
		.status = SERVER_STATUS_AUTOCOMMIT,
		.auth_plugin = "caching_sha2_password",
	};

	memcpy(g.scramble, SCRAMBLE, sizeof g.scramble);
	mysql_build_greeting(b, &g);
}

static void test_greeting_round_trip(void **state)
{
	struct core_buf b = {0};
	struct mysql_server_greeting g;
	char err[256] = "";

	(void)state;
	assert_int_equal(GREET_CAPS, 0x001AA6CF);
	build_test_greeting(&b, GREET_CAPS, "8.0.36");
	assert_int_equal(b.len, sizeof greeting_bytes);
	assert_memory_equal(b.data, greeting_bytes, sizeof greeting_bytes);

	assert_true(mysql_parse_greeting(b.data, b.len, &g, err, sizeof err));
	assert_int_equal(g.protocol, 10);
	assert_string_equal(g.version, "8.0.36");
	assert_int_equal(g.connection_id, 0x0A0B0C0D);
	assert_memory_equal(g.scramble, SCRAMBLE, MYSQL_SCRAMBLE_LEN);
	assert_int_equal(g.capabilities, GREET_CAPS);
	assert_int_equal(g.charset, 45);
	assert_int_equal(g.status, SERVER_STATUS_AUTOCOMMIT);
	assert_string_equal(g.auth_plugin, "caching_sha2_password");

	/* The gateway's own offer, TLS included, survives the split. */
	core_buf_reset(&b);
	build_test_greeting(&b, GATEWAY_CAPABILITIES | CLIENT_SSL,
	                    "8.0.36-agentgate");
	assert_true(mysql_parse_greeting(b.data, b.len, &g, err, sizeof err));
	assert_int_equal(g.capabilities, GATEWAY_CAPABILITIES | CLIENT_SSL);
	assert_string_equal(g.version, "8.0.36-agentgate");
	core_buf_free(&b);
}

static void test_greeting_variants(void **state)
{
	struct mysql_server_greeting g;
	uint8_t buf[sizeof greeting_bytes];
	char err[256] = "";
	char version[65];
	struct core_buf b = {0};

	(void)state;
	/* Without CLIENT_PLUGIN_AUTH the name is not read: native password. */
	core_buf_reset(&b);
	build_test_greeting(&b, GREET_CAPS & ~CLIENT_PLUGIN_AUTH, "5.5.5");
	assert_true(mysql_parse_greeting(b.data, b.len, &g, err, sizeof err));
	assert_string_equal(g.auth_plugin, "mysql_native_password");
	assert_memory_equal(g.scramble, SCRAMBLE, MYSQL_SCRAMBLE_LEN);

	/* Auth data length 0 (servers without plugin auth): still 13 bytes. */
	memcpy(buf, greeting_bytes, sizeof buf);
	buf[GREET_AUTH_LEN] = 0;
	assert_true(mysql_parse_greeting(buf, sizeof buf, &g, err, sizeof err));
	assert_memory_equal(g.scramble, SCRAMBLE, MYSQL_SCRAMBLE_LEN);
	assert_string_equal(g.auth_plugin, "caching_sha2_password");

	/* Some servers leave out the NUL after the plugin name. */
	assert_true(mysql_parse_greeting(greeting_bytes, sizeof greeting_bytes - 1,
	                                 &g, err, sizeof err));
	assert_string_equal(g.auth_plugin, "caching_sha2_password");

	/* A 63-character version fits; 64 does not. */
	memset(version, 'v', 64);
	version[63] = '\0';
	core_buf_reset(&b);
	build_test_greeting(&b, GREET_CAPS, version);
	assert_true(mysql_parse_greeting(b.data, b.len, &g, err, sizeof err));
	assert_string_equal(g.version, version);
	version[63] = 'v';
	version[64] = '\0';
	core_buf_reset(&b);
	build_test_greeting(&b, GREET_CAPS, version);
	assert_false(mysql_parse_greeting(b.data, b.len, &g, err, sizeof err));
	assert_string_equal(err, "malformed server greeting");
	core_buf_free(&b);
}

/* Cut the greeting after every byte: before the end of the scramble it is
 * malformed; after it, what is there of the plugin name is taken. */
static void test_greeting_truncated(void **state)
{
	static const char plugin[] = "caching_sha2_password";
	struct mysql_server_greeting g;
	char err[256];

	(void)state;
	assert_false(mysql_parse_greeting(greeting_bytes, 0, &g, err, sizeof err));
	assert_string_equal(err, "unsupported protocol version 0");
	for (size_t n = 1; n < GREET_PLUGIN; n++) {
		uint8_t *copy = malloc(n); /* exact size, so ASan sees overreads */
		bool ok;

		assert_non_null(copy);
		memcpy(copy, greeting_bytes, n);
		strcpy(err, "untouched");
		ok = mysql_parse_greeting(copy, n, &g, err, sizeof err);
		if (ok || strcmp(err, "malformed server greeting") != 0)
			fail_msg("cut at %zu: returned %d, '%s'", n, ok, err);
		free(copy);
	}
	for (size_t n = GREET_PLUGIN; n < sizeof greeting_bytes; n++) {
		uint8_t *copy = malloc(n);
		size_t have = n - GREET_PLUGIN;

		assert_non_null(copy);
		memcpy(copy, greeting_bytes, n);
		if (!mysql_parse_greeting(copy, n, &g, err, sizeof err))
			fail_msg("cut at %zu: '%s'", n, err);
		/* The name's first `have` bytes; none at all means the default. */
		if (have == 0)
			assert_string_equal(g.auth_plugin, "mysql_native_password");
		else if (strlen(g.auth_plugin) != have ||
		         strncmp(g.auth_plugin, plugin, have) != 0)
			fail_msg("cut at %zu: plugin '%s'", n, g.auth_plugin);
		free(copy);
	}
}

struct greet_err_case {
	const char *label;
	const uint8_t *p;
	size_t len;
	const char *err;
};

static const struct greet_err_case greet_err_cases[] = {
	{"ERR without sqlstate",
	 STR("\xFF\x6A\x04Host '10.0.0.7' is not allowed to connect to this "
	     "MySQL server"),
	 "server refused the connection: 1130 Host '10.0.0.7' is not allowed "
	 "to connect to this MySQL server"},
	{"ERR with sqlstate", STR("\xFF\x10\x04#08004Too many connections"),
	 "server refused the connection: 1040 Too many connections"},
	{"ERR too short to read", BYTES(0xFF, 0x10),
	 "server refused the connection"},
	{"protocol 9", STR("\x09" "5.0.0\0"), "unsupported protocol version 9"},
	{"protocol 11", BYTES(0x0B), "unsupported protocol version 11"},
};

static void test_greeting_errors(void **state)
{
	struct mysql_server_greeting g;
	uint8_t buf[sizeof greeting_bytes];
	char err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(greet_err_cases); i++) {
		const struct greet_err_case *tc = &greet_err_cases[i];
		err[0] = '\0';
		if (mysql_parse_greeting(tc->p, tc->len, &g, err, sizeof err))
			fail_msg("%s: parsed", tc->label);
		if (strcmp(err, tc->err) != 0)
			fail_msg("%s: '%s'", tc->label, err);
	}

	/* A whole v10 greeting with only the version byte changed. */
	memcpy(buf, greeting_bytes, sizeof buf);
	buf[0] = 9;
	assert_false(mysql_parse_greeting(buf, sizeof buf, &g, err, sizeof err));
	assert_string_equal(err, "unsupported protocol version 9");

	/* Without PROTOCOL_41 or SECURE_CONNECTION: pre-4.1 server. */
	memcpy(buf, greeting_bytes, sizeof buf);
	buf[GREET_CAPS_LO + 1] &= (uint8_t)~(CLIENT_PROTOCOL_41 >> 8);
	assert_false(mysql_parse_greeting(buf, sizeof buf, &g, err, sizeof err));
	assert_string_equal(err, "server lacks protocol 4.1 authentication");
	memcpy(buf, greeting_bytes, sizeof buf);
	buf[GREET_CAPS_LO + 1] &= (uint8_t)~(CLIENT_SECURE_CONNECTION >> 8);
	assert_false(mysql_parse_greeting(buf, sizeof buf, &g, err, sizeof err));
	assert_string_equal(err, "server lacks protocol 4.1 authentication");

	/* A message that does not fit the caller's buffer is cut, not
	 * overrun. */
	{
		char small[16];
		memset(small, 'x', sizeof small);
		assert_false(mysql_parse_greeting(buf, sizeof buf, &g, small,
		                                  sizeof small));
		assert_string_equal(small, "server lacks pr");
	}
}

/* ================================================ handshake response */

#define P41 CLIENT_PROTOCOL_41
#define SEC CLIENT_SECURE_CONNECTION
#define LENENC CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
#define WITH_DB CLIENT_CONNECT_WITH_DB
#define PLUGIN CLIENT_PLUGIN_AUTH
#define ATTRS CLIENT_CONNECT_ATTRS

/* Connect attributes as libmysqlclient sends them. */
#define CLIENT_ATTRS                                                        \
	"\x0c_client_name\x08libmysql\x04_pid\x05" "12345\x03_os\x05Linux"

static uint8_t auth20[20];
static uint8_t auth32[32];
static uint8_t auth300[300]; /* an access token as clear password */

struct hs_case {
	const char *label;
	uint32_t caps;
	uint32_t max_packet;
	uint8_t charset;
	const char *user;
	const uint8_t *auth;
	size_t auth_len;
	const char *db;     /* written when not NULL */
	const char *plugin; /* written when not NULL */
	const char *attrs;  /* written when not NULL */
	size_t attrs_len;
};

static const struct hs_case hs_cases[] = {
	{"lenenc auth, database, plugin, attributes",
	 P41 | SEC | LENENC | WITH_DB | PLUGIN | ATTRS | CLIENT_LONG_PASSWORD |
	     CLIENT_TRANSACTIONS | CLIENT_MULTI_RESULTS,
	 0x01000000, 255, "reporting", auth20, 20, "sales",
	 "mysql_native_password", CLIENT_ATTRS, sizeof CLIENT_ATTRS - 1},
	{"300-byte lenenc auth (0xFC length)", P41 | SEC | LENENC | PLUGIN,
	 0xFFFFFF, 45, "agent-7", auth300, 300, NULL, "mysql_clear_password",
	 NULL, 0},
	{"1-byte auth length, nothing more", P41 | SEC, 0x40000000, 33, "app",
	 auth32, 32, NULL, NULL, NULL, 0},
	{"1-byte auth length, database and plugin", P41 | SEC | WITH_DB | PLUGIN,
	 16777216, 8, "app", auth20, 20, "inventory", "caching_sha2_password",
	 NULL, 0},
	{"NUL-terminated auth (no SECURE_CONNECTION)", P41 | CLIENT_LONG_PASSWORD,
	 65536, 8, "old", (const uint8_t *)"abcdefgh", 8, NULL, NULL, NULL, 0},
	{"empty user and auth", P41 | SEC | LENENC, 0, 0, "", auth20, 0, NULL,
	 NULL, NULL, 0},
	{"CONNECT_WITH_DB announced, database left out", P41 | SEC | WITH_DB,
	 0xFFFFFF, 45, "u", auth20, 20, NULL, NULL, NULL, 0},
	{"empty database name", P41 | SEC | WITH_DB, 0xFFFFFF, 45, "u", auth20,
	 20, "", NULL, NULL, 0},
	{"empty attribute block", P41 | SEC | PLUGIN | ATTRS, 0xFFFFFF, 45, "u",
	 auth20, 20, NULL, "mysql_native_password", "", 0},
	{"full response after TLS keeps CLIENT_SSL",
	 P41 | SEC | LENENC | PLUGIN | CLIENT_SSL, 0xFFFFFF, 45, "tls-user",
	 auth32, 32, NULL, "caching_sha2_password", NULL, 0},
};

static void build_hs(struct core_buf *b, const struct hs_case *tc)
{
	static const uint8_t zeros[23] = {0};

	wr_u32le(b, tc->caps);
	wr_u32le(b, tc->max_packet);
	wr_u8(b, tc->charset);
	wr_bytes(b, zeros, sizeof zeros);
	wr_nulstr(b, tc->user);
	if (tc->caps & LENENC) {
		wr_lenenc(b, tc->auth_len);
		wr_bytes(b, tc->auth, tc->auth_len);
	} else if (tc->caps & SEC) {
		wr_u8(b, (uint8_t)tc->auth_len);
		wr_bytes(b, tc->auth, tc->auth_len);
	} else {
		wr_bytes(b, tc->auth, tc->auth_len);
		wr_u8(b, 0);
	}
	if (tc->db)
		wr_nulstr(b, tc->db);
	if (tc->plugin)
		wr_nulstr(b, tc->plugin);
	if (tc->attrs) {
		wr_lenenc(b, tc->attrs_len);
		wr_bytes(b, tc->attrs, tc->attrs_len);
	}
}

/* A counted string inside the packet, NUL-terminated right after it. */
static void check_str(const char *label, const char *field, const char *got,
                      size_t got_len, const char *want)
{
	if (!want) {
		if (got)
			fail_msg("%s: %s present", label, field);
		return;
	}
	if (!got)
		fail_msg("%s: %s missing", label, field);
	if (got_len != strlen(want) || memcmp(got, want, got_len) != 0 ||
	    got[got_len] != '\0')
		fail_msg("%s: %s is '%.*s'", label, field, (int)got_len, got);
}

static void test_handshake_response(void **state)
{
	(void)state;
	fill_pattern(auth20, sizeof auth20, 20);
	fill_pattern(auth32, sizeof auth32, 32);
	fill_pattern(auth300, sizeof auth300, 3);
	for (size_t i = 0; i < ARRAY_LEN(hs_cases); i++) {
		const struct hs_case *tc = &hs_cases[i];
		struct core_buf b = {0};
		struct mysql_handshake_response r;
		enum mysql_parse_result res;
		uint8_t *copy;
		char err[256] = "";

		build_hs(&b, tc);
		copy = malloc(b.len); /* exact size, so ASan sees overreads */
		assert_non_null(copy);
		memcpy(copy, b.data, b.len);
		res = mysql_parse_handshake_response(copy, b.len, &r, err,
		                                     sizeof err);
		if (res != MYSQL_PARSE_OK)
			fail_msg("%s: result %d '%s'", tc->label, res, err);
		if (r.capabilities != tc->caps || r.max_packet != tc->max_packet ||
		    r.charset != tc->charset)
			fail_msg("%s: caps %x max %u charset %u", tc->label,
			         r.capabilities, r.max_packet, r.charset);
		check_str(tc->label, "user", r.user, r.user_len, tc->user);
		if (r.auth_len != tc->auth_len ||
		    (tc->auth_len && memcmp(r.auth, tc->auth, tc->auth_len) != 0))
			fail_msg("%s: auth of %zu bytes differs", tc->label,
			         r.auth_len);
		check_str(tc->label, "database", r.database, r.database_len, tc->db);
		check_str(tc->label, "plugin", r.auth_plugin, r.auth_plugin_len,
		          tc->plugin);
		if (!tc->attrs) {
			if (r.attrs || r.attrs_len)
				fail_msg("%s: attributes present", tc->label);
		} else if (!r.attrs || r.attrs_len != tc->attrs_len ||
		           memcmp(r.attrs, tc->attrs, tc->attrs_len) != 0) {
			fail_msg("%s: attributes differ (%zu bytes)", tc->label,
			         r.attrs_len);
		}
		free(copy);
		core_buf_free(&b);
	}
}

static void test_ssl_request(void **state)
{
	static const uint8_t want[MYSQL_SSL_REQUEST_LEN] = {
		0x00, 0x8A, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x2D,
	};
	struct core_buf b = {0};
	struct mysql_handshake_response r;
	char err[256] = "";

	(void)state;
	mysql_build_ssl_request(&b, P41 | SEC, 45);
	assert_int_equal(b.len, MYSQL_SSL_REQUEST_LEN);
	assert_memory_equal(b.data, want, sizeof want);
	assert_int_equal(mysql_parse_handshake_response(b.data, b.len, &r, err,
	                                                sizeof err),
	                 MYSQL_PARSE_SSL_REQUEST);
	assert_int_equal(r.capabilities, P41 | SEC | CLIENT_SSL);
	assert_int_equal(r.max_packet, 0xFFFFFF);
	assert_int_equal(r.charset, 45);
	assert_null(r.user);
	core_buf_free(&b);
}

/* A 32-byte HandshakeResponse41 header. */
#define HDR(caps)                                                           \
	(caps) & 0xFF, ((caps) >> 8) & 0xFF, ((caps) >> 16) & 0xFF,             \
	    ((caps) >> 24) & 0xFF, 0x00, 0x00, 0x00, 0x01, 0x21, 0, 0, 0, 0, 0, \
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

#define TRUNCATED "handshake response is truncated"
#define BAD_ATTRS "malformed connection attributes"

struct hs_err_case {
	const char *label;
	const uint8_t *p;
	size_t len;
	const char *err;
};

static const struct hs_err_case hs_err_cases[] = {
	{"empty", CUT(0, HDR(P41)), TRUNCATED},
	{"4 bytes", CUT(4, HDR(P41)), TRUNCATED},
	{"header of 31 bytes", CUT(31, HDR(P41 | CLIENT_SSL)), TRUNCATED},
	{"SSLRequest without PROTOCOL_41", BYTES(HDR(SEC | CLIENT_SSL)),
	 "client does not speak protocol 4.1"},
	{"response without PROTOCOL_41",
	 BYTES(HDR(SEC | LENENC), 'u', 0, 0x00),
	 "client does not speak protocol 4.1"},
	{"32 bytes without CLIENT_SSL", BYTES(HDR(P41 | SEC)),
	 "handshake response has no user name"},
	{"no NUL after the user", BYTES(HDR(P41 | LENENC), 'r', 'o', 'o', 't'),
	 "handshake response has no user name"},
	{"nothing after the user", BYTES(HDR(P41 | SEC | LENENC), 'u', 0),
	 TRUNCATED},
	{"lenenc auth 0xFFFF with 3 bytes left",
	 BYTES(HDR(P41 | SEC | LENENC), 'u', 0, 0xFC, 0xFF, 0xFF, 1, 2, 3),
	 TRUNCATED},
	{"lenenc auth 2^64-1",
	 BYTES(HDR(P41 | SEC | LENENC), 'u', 0, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF,
	       0xFF, 0xFF, 0xFF, 0xFF, 1, 2),
	 TRUNCATED},
	{"lenenc auth NULL", BYTES(HDR(P41 | SEC | LENENC), 'u', 0, 0xFB),
	 TRUNCATED},
	{"1-byte auth length 20 with 5 bytes",
	 BYTES(HDR(P41 | SEC), 'u', 0, 20, 1, 2, 3, 4, 5), TRUNCATED},
	{"NUL-terminated auth without NUL", BYTES(HDR(P41), 'u', 0, 'a', 'b'),
	 TRUNCATED},
	{"database without NUL",
	 BYTES(HDR(P41 | SEC | WITH_DB), 'u', 0, 0, 'd', 'b'), TRUNCATED},
	{"plugin without NUL",
	 BYTES(HDR(P41 | SEC | PLUGIN), 'u', 0, 0, 'm', 'y'), TRUNCATED},
	{"attributes longer than what is left",
	 BYTES(HDR(P41 | SEC | ATTRS), 'u', 0, 0, 0x20, 1, 'k', 1, 'v'),
	 TRUNCATED},
	{"attributes length 0xFFFF",
	 BYTES(HDR(P41 | SEC | ATTRS), 'u', 0, 0, 0xFC, 0xFF, 0xFF, 1, 'k', 1,
	       'v'),
	 TRUNCATED},
	{"attributes length 2^64-1",
	 BYTES(HDR(P41 | SEC | ATTRS), 'u', 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF,
	       0xFF, 0xFF, 0xFF, 0xFF, 1, 'k', 1, 'v'),
	 TRUNCATED},
	{"attributes length NULL",
	 BYTES(HDR(P41 | SEC | ATTRS), 'u', 0, 0, 0xFB), TRUNCATED},
	{"attribute key without value",
	 BYTES(HDR(P41 | SEC | ATTRS), 'u', 0, 0, 0x02, 1, 'k'), BAD_ATTRS},
	{"attribute value running past the block",
	 BYTES(HDR(P41 | SEC | ATTRS), 'u', 0, 0, 0x04, 1, 'k', 5, 'v', 'x',
	       'y', 'z', 'w'),
	 BAD_ATTRS},
	{"attribute value NULL",
	 BYTES(HDR(P41 | SEC | ATTRS), 'u', 0, 0, 0x03, 1, 'k', 0xFB), BAD_ATTRS},
	{"attribute key with truncated length",
	 BYTES(HDR(P41 | SEC | ATTRS), 'u', 0, 0, 0x02, 0xFC, 0x01), BAD_ATTRS},
};

static void test_handshake_response_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(hs_err_cases); i++) {
		const struct hs_err_case *tc = &hs_err_cases[i];
		struct mysql_handshake_response r;
		uint8_t *copy = malloc(tc->len ? tc->len : 1);
		enum mysql_parse_result res;
		char err[256] = "";

		assert_non_null(copy);
		memcpy(copy, tc->p, tc->len);
		res = mysql_parse_handshake_response(copy, tc->len, &r, err,
		                                     sizeof err);
		if (res != MYSQL_PARSE_ERROR)
			fail_msg("%s: result %d", tc->label, res);
		if (strcmp(err, tc->err) != 0)
			fail_msg("%s: '%s'", tc->label, err);
		free(copy);
	}
}

static void test_login_exact_bytes(void **state)
{
	static const uint8_t auth[] = {1, 2, 3};
	static const uint8_t want[] = {
		0x00, 0x82, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x08,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		'u', 0x00, 0x03, 1, 2, 3,
	};
	struct mysql_login l = {
		.capabilities = P41 | SEC,
		.charset = 8,
		.user = "u",
		.auth = auth,
		.auth_len = sizeof auth,
	};
	struct core_buf b = {0};

	(void)state;
	mysql_build_login(&b, &l);
	assert_int_equal(b.len, sizeof want);
	assert_memory_equal(b.data, want, sizeof want);
	core_buf_free(&b);
}

/* mysql_build_login and mysql_parse_handshake_response are inverses. */
static void test_login_round_trip(void **state)
{
	const struct mysql_login cases[] = {
		{P41 | SEC | LENENC | WITH_DB | PLUGIN | ATTRS | CLIENT_LONG_PASSWORD |
		     CLIENT_TRANSACTIONS,
		 45, "svc_reporting", auth20, 20, "sales", "mysql_native_password",
		 (const uint8_t *)CLIENT_ATTRS, sizeof CLIENT_ATTRS - 1},
		{P41 | SEC | PLUGIN, 255, "app", auth32, 32, NULL,
		 "caching_sha2_password", NULL, 0},
		{P41 | SEC | LENENC | PLUGIN, 33, "tok", auth300, 300, NULL,
		 "mysql_clear_password", NULL, 0},
		{P41 | SEC, 8, "nopw", auth20, 0, NULL, NULL, NULL, 0},
		{P41 | SEC | ATTRS | WITH_DB, 8, "x", auth20, 20, "db", NULL,
		 (const uint8_t *)"", 0},
	};

	(void)state;
	fill_pattern(auth20, sizeof auth20, 20);
	fill_pattern(auth32, sizeof auth32, 32);
	fill_pattern(auth300, sizeof auth300, 3);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct mysql_login *l = &cases[i];
		struct core_buf b = {0};
		struct mysql_handshake_response r;
		char err[256] = "";
		char label[32];

		snprintf(label, sizeof label, "login %zu", i);
		mysql_build_login(&b, l);
		if (mysql_parse_handshake_response(b.data, b.len, &r, err,
		                                   sizeof err) != MYSQL_PARSE_OK)
			fail_msg("%s: '%s'", label, err);
		assert_int_equal(r.capabilities, l->capabilities);
		assert_int_equal(r.max_packet, MYSQL_MAX_PAYLOAD);
		assert_int_equal(r.charset, l->charset);
		check_str(label, "user", r.user, r.user_len, l->user);
		assert_int_equal(r.auth_len, l->auth_len);
		if (l->auth_len)
			assert_memory_equal(r.auth, l->auth, l->auth_len);
		check_str(label, "database", r.database, r.database_len,
		          l->database);
		check_str(label, "plugin", r.auth_plugin, r.auth_plugin_len,
		          l->auth_plugin);
		if (l->capabilities & ATTRS) {
			assert_non_null(r.attrs);
			assert_int_equal(r.attrs_len, l->attrs_len);
			if (l->attrs_len)
				assert_memory_equal(r.attrs, l->attrs, l->attrs_len);
		} else {
			assert_null(r.attrs);
		}
		core_buf_free(&b);
	}

	/* CONNECT_WITH_DB without a database sends an empty name. */
	{
		struct mysql_login l = {P41 | SEC | WITH_DB, 8, "u", auth20, 20,
		                        NULL, NULL, NULL, 0};
		struct core_buf b = {0};
		struct mysql_handshake_response r;
		char err[256] = "";

		mysql_build_login(&b, &l);
		assert_int_equal(mysql_parse_handshake_response(b.data, b.len, &r,
		                                                err, sizeof err),
		                 MYSQL_PARSE_OK);
		check_str("empty database", "database", r.database, r.database_len,
		          "");
		core_buf_free(&b);
	}
}

static void test_auth_switch(void **state)
{
	static const uint8_t want[] =
	    "\xFE" "mysql_native_password\0aG5#kL9!pQ2@wE7*zX1&";
	struct core_buf b = {0};

	(void)state;
	mysql_build_auth_switch(&b, "mysql_native_password", SCRAMBLE,
	                        MYSQL_SCRAMBLE_LEN);
	/* want's own terminating NUL is the packet's last byte. */
	assert_int_equal(b.len, sizeof want);
	assert_memory_equal(b.data, want, sizeof want);
	core_buf_free(&b);
}

static void test_command_names(void **state)
{
	static const struct {
		uint8_t cmd;
		const char *name;
	} cases[] = {
		{COM_SLEEP, "COM_SLEEP"},
		{COM_QUIT, "COM_QUIT"},
		{COM_INIT_DB, "COM_INIT_DB"},
		{COM_QUERY, "COM_QUERY"},
		{COM_FIELD_LIST, "COM_FIELD_LIST"},
		{COM_STATISTICS, "COM_STATISTICS"},
		{COM_PING, "COM_PING"},
		{COM_CHANGE_USER, "COM_CHANGE_USER"},
		{COM_BINLOG_DUMP, "COM_BINLOG_DUMP"},
		{COM_STMT_PREPARE, "COM_STMT_PREPARE"},
		{COM_STMT_EXECUTE, "COM_STMT_EXECUTE"},
		{COM_STMT_SEND_LONG_DATA, "COM_STMT_SEND_LONG_DATA"},
		{COM_STMT_CLOSE, "COM_STMT_CLOSE"},
		{COM_STMT_RESET, "COM_STMT_RESET"},
		{COM_SET_OPTION, "COM_SET_OPTION"},
		{COM_STMT_FETCH, "COM_STMT_FETCH"},
		{COM_BINLOG_DUMP_GTID, "COM_BINLOG_DUMP_GTID"},
		{COM_RESET_CONNECTION, "COM_RESET_CONNECTION"},
		{0x20, "COM_UNKNOWN"},
		{0xFF, "COM_UNKNOWN"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (strcmp(mysql_command_name(cases[i].cmd), cases[i].name) != 0)
			fail_msg("0x%02x: '%s', expected '%s'", cases[i].cmd,
			         mysql_command_name(cases[i].cmd), cases[i].name);
}

/* ========================================================= scrambles */

static const char *const passwords[] = {
	"secret",
	"",
	"a password longer than the twenty-byte scramble, with spaces",
	"p\xC3\xA4sswort",
};

static void test_native_scramble(void **state)
{
	/* SHA1("secret") XOR SHA1(SCRAMBLE + SHA1(SHA1("secret"))), worked
	 * out with a separate SHA-1 implementation. */
	static const uint8_t vector[20] = {
		0x5a, 0x50, 0x5e, 0x01, 0x1a, 0x17, 0x67, 0x8c, 0x22, 0xff,
		0x51, 0x2d, 0x4b, 0x08, 0xd4, 0x47, 0x79, 0x2d, 0x4c, 0xdd,
	};
	uint8_t out[20];

	(void)state;
	mysql_native_scramble("secret", SCRAMBLE, MYSQL_SCRAMBLE_LEN, out);
	assert_memory_equal(out, vector, sizeof vector);

	for (size_t i = 0; i < ARRAY_LEN(passwords); i++) {
		const char *pw = passwords[i];
		uint8_t h1[20], h2[20], h3[20], cat[40], check[20];

		SHA1((const uint8_t *)pw, strlen(pw), h1);
		SHA1(h1, 20, h2);
		memcpy(cat, SCRAMBLE, 20);
		memcpy(cat + 20, h2, 20);
		SHA1(cat, 40, h3);
		mysql_native_scramble(pw, SCRAMBLE, MYSQL_SCRAMBLE_LEN, out);
		for (int k = 0; k < 20; k++)
			if (out[k] != (h1[k] ^ h3[k]))
				fail_msg("password %zu: byte %d differs", i, k);
		/* What the server does: out XOR SHA1(scramble + stored) gives
		 * SHA1(pw), whose SHA1 is the stored hash. */
		for (int k = 0; k < 20; k++)
			check[k] = out[k] ^ h3[k];
		SHA1(check, 20, h3);
		assert_memory_equal(h3, h2, 20);
	}

	/* A different scramble gives a different answer. */
	{
		uint8_t other[20], s2[MYSQL_SCRAMBLE_LEN];
		memcpy(s2, SCRAMBLE, sizeof s2);
		s2[19] ^= 1;
		mysql_native_scramble("secret", s2, sizeof s2, other);
		assert_memory_not_equal(other, vector, sizeof vector);
	}
}

static void test_sha2_scramble(void **state)
{
	/* SHA256("secret") XOR SHA256(SHA256(SHA256("secret")) + SCRAMBLE). */
	static const uint8_t vector[32] = {
		0x7a, 0xee, 0x9a, 0xc1, 0x4d, 0x45, 0x23, 0xd5, 0xc4, 0xde, 0x80,
		0xbe, 0xfe, 0x85, 0x19, 0xaa, 0xff, 0x00, 0x20, 0x85, 0xca, 0x1a,
		0x8d, 0xc4, 0x6c, 0x82, 0x5d, 0xd1, 0x4d, 0xc8, 0x2c, 0xf2,
	};
	uint8_t out[32];

	(void)state;
	mysql_sha2_scramble("secret", SCRAMBLE, MYSQL_SCRAMBLE_LEN, out);
	assert_memory_equal(out, vector, sizeof vector);

	for (size_t i = 0; i < ARRAY_LEN(passwords); i++) {
		const char *pw = passwords[i];
		uint8_t h1[32], h2[32], h3[32], cat[52];

		SHA256((const uint8_t *)pw, strlen(pw), h1);
		SHA256(h1, 32, h2);
		memcpy(cat, h2, 32);
		memcpy(cat + 32, SCRAMBLE, 20);
		SHA256(cat, 52, h3);
		mysql_sha2_scramble(pw, SCRAMBLE, MYSQL_SCRAMBLE_LEN, out);
		for (int k = 0; k < 32; k++)
			if (out[k] != (h1[k] ^ h3[k]))
				fail_msg("password %zu: byte %d differs", i, k);
	}
}

struct rsa_fixture {
	EVP_PKEY *key;
	char *pem;
	size_t pem_len;
};

static int rsa_setup(void **state)
{
	struct rsa_fixture *f = calloc(1, sizeof *f);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n = 0;
	int rc = -1;

	if (!f || !bio)
		goto out;
	f->key = EVP_RSA_gen(2048);
	if (!f->key || PEM_write_bio_PUBKEY(bio, f->key) != 1)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || !(f->pem = malloc((size_t)n)))
		goto out;
	memcpy(f->pem, data, (size_t)n);
	f->pem_len = (size_t)n;
	*state = f;
	f = NULL;
	rc = 0;
out:
	if (f) {
		EVP_PKEY_free(f->key);
		free(f);
	}
	BIO_free(bio);
	return rc;
}

static int rsa_teardown(void **state)
{
	struct rsa_fixture *f = *state;

	EVP_PKEY_free(f->key);
	free(f->pem);
	free(f);
	return 0;
}

static void test_sha2_rsa_encrypt(void **state)
{
	struct rsa_fixture *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(passwords); i++) {
		const char *pw = passwords[i];
		size_t plen = strlen(pw) + 1;
		uint8_t *cipher = NULL, *plain = NULL;
		size_t clen = 0, n = 0;
		EVP_PKEY_CTX *ctx;

		if (!mysql_sha2_rsa_encrypt(pw, SCRAMBLE, MYSQL_SCRAMBLE_LEN, f->pem,
		                            f->pem_len, &cipher, &clen))
			fail_msg("password %zu: encryption failed", i);
		assert_int_equal(clen, 256);
		ctx = EVP_PKEY_CTX_new(f->key, NULL);
		assert_non_null(ctx);
		assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) >
		            0);
		assert_int_equal(EVP_PKEY_decrypt(ctx, NULL, &n, cipher, clen), 1);
		plain = malloc(n);
		assert_non_null(plain);
		assert_int_equal(EVP_PKEY_decrypt(ctx, plain, &n, cipher, clen), 1);
		assert_int_equal(n, plen);
		for (size_t k = 0; k < n; k++)
			plain[k] ^= SCRAMBLE[k % MYSQL_SCRAMBLE_LEN];
		assert_memory_equal(plain, pw, plen); /* includes the NUL */
		EVP_PKEY_CTX_free(ctx);
		free(plain);
		free(cipher);
	}
}

static void test_sha2_rsa_encrypt_errors(void **state)
{
	static const char garbage[] =
	    "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n";
	struct rsa_fixture *f = *state;
	uint8_t *out = NULL;
	size_t outlen = 0;
	char *big;
	BIO *bio;
	char *priv = NULL;
	long n;

	assert_false(mysql_sha2_rsa_encrypt("pw", SCRAMBLE, MYSQL_SCRAMBLE_LEN,
	                                    garbage, sizeof garbage - 1, &out,
	                                    &outlen));
	assert_false(mysql_sha2_rsa_encrypt("pw", SCRAMBLE, MYSQL_SCRAMBLE_LEN,
	                                    "", 0, &out, &outlen));
	/* A valid key cut short. */
	assert_false(mysql_sha2_rsa_encrypt("pw", SCRAMBLE, MYSQL_SCRAMBLE_LEN,
	                                    f->pem, f->pem_len / 2, &out,
	                                    &outlen));
	/* No scramble to mix in. */
	assert_false(mysql_sha2_rsa_encrypt("pw", SCRAMBLE, 0, f->pem,
	                                    f->pem_len, &out, &outlen));
	/* A valid key followed by padding past the 16 KiB cap. */
	big = calloc(1, 16385);
	assert_non_null(big);
	memcpy(big, f->pem, f->pem_len);
	memset(big + f->pem_len, '\n', 16385 - f->pem_len);
	assert_true(mysql_sha2_rsa_encrypt("pw", SCRAMBLE, MYSQL_SCRAMBLE_LEN, big,
	                                   16384, &out, &outlen));
	free(out);
	out = NULL;
	assert_false(mysql_sha2_rsa_encrypt("pw", SCRAMBLE, MYSQL_SCRAMBLE_LEN, big,
	                                    16385, &out, &outlen));
	free(big);
	/* A private key is not a public key. */
	bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, f->key, NULL, NULL, 0,
	                                          NULL, NULL),
	                 1);
	n = BIO_get_mem_data(bio, &priv);
	assert_true(n > 0);
	assert_false(mysql_sha2_rsa_encrypt("pw", SCRAMBLE, MYSQL_SCRAMBLE_LEN, priv,
	                                    (size_t)n, &out, &outlen));
	BIO_free(bio);

	assert_null(out);
	assert_int_equal(outlen, 256); /* from the one success */
	/* Failures leave no error queued for the next TLS call to trip on. */
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_random_scramble(void **state)
{
	bool seen[256] = {false};
	size_t distinct = 0;
	uint8_t first[MYSQL_SCRAMBLE_LEN];

	(void)state;
	mysql_random_scramble(first);
	for (int i = 0; i < 2000; i++) {
		uint8_t s[MYSQL_SCRAMBLE_LEN];

		mysql_random_scramble(s);
		for (int k = 0; k < MYSQL_SCRAMBLE_LEN; k++) {
			if (s[k] < 0x21 || s[k] > 0x7E || s[k] == '$')
				fail_msg("byte 0x%02x", s[k]);
			seen[s[k]] = true;
		}
		if (i == 0)
			assert_memory_not_equal(s, first, sizeof s);
	}
	/* 40000 bytes over 93 values: every one shows up. */
	for (int v = 0; v < 256; v++)
		distinct += seen[v];
	assert_int_equal(distinct, 0x7E - 0x21 + 1 - 1);
}

/* ================================================== response tracker */

/* One packet as the relay sees it: its declared length and either all of
 * its bytes or (for the 16 MiB ones) just the first. */
struct feed {
	const uint8_t *p;
	size_t have;
	size_t len;
	enum resp_step want;
};

#define MORE RESP_STEP_MORE
#define DONE RESP_STEP_DONE
#define BAD RESP_STEP_BAD

/* A whole packet given as bytes or as a string literal. */
#define W(want, ...)                                                        \
	{(const uint8_t[]){__VA_ARGS__},                                        \
	 sizeof((const uint8_t[]){__VA_ARGS__}),                                \
	 sizeof((const uint8_t[]){__VA_ARGS__}), want}
#define S(want, s) {(const uint8_t *)(s), sizeof(s) - 1, sizeof(s) - 1, want}
/* Only the first byte of a long packet. */
#define H(want, b, l) {(const uint8_t[]){b}, 1, l, want}
/* An empty packet. */
#define EMPTY(want) {(const uint8_t[]){0}, 0, 0, want}

#define FEEDS(...)                                                          \
	(const struct feed[]){__VA_ARGS__},                                     \
	    sizeof((const struct feed[]){__VA_ARGS__}) / sizeof(struct feed)

#define OK_PKT(affected, status)                                            \
	0x00, affected, 0x00, (status) & 0xFF, (status) >> 8, 0x00, 0x00
#define EOF_PKT(status) 0xFE, 0x00, 0x00, (status) & 0xFF, (status) >> 8
/* Column `id` of shop.t. */
#define COLDEF                                                              \
	0x03, 'd', 'e', 'f', 0x04, 's', 'h', 'o', 'p', 0x01, 't', 0x01, 't',    \
	    0x02, 'i', 'd', 0x02, 'i', 'd', 0x0C, 0x3F, 0x00, 0x0B, 0x00, 0x00, \
	    0x00, 0x03, 0x03, 0x40, 0x00, 0x00, 0x00
/* A `?` parameter. */
#define PARAMDEF                                                            \
	0x03, 'd', 'e', 'f', 0x00, 0x00, 0x00, 0x01, '?', 0x00, 0x0C, 0x3F,     \
	    0x00, 0x00, 0x00, 0x00, 0x00, 0xFD, 0x80, 0x00, 0x00, 0x00, 0x00
/* Text row ("1", "alpha") and binary row (NULL bitmap, LONG 7). */
#define TEXT_ROW 0x01, '1', 0x05, 'a', 'l', 'p', 'h', 'a'
#define BIN_ROW 0x00, 0x00, 0x07, 0x00, 0x00, 0x00
#define ERR_1146 "\xFF\x7A\x04#42S02Table 'shop.t' doesn't exist"
/* Prepare OK: statement id, columns, params (all little endian). */
#define PREP_OK(id, cols, params)                                           \
	0x00, (id), 0x00, 0x00, 0x00, (cols), 0x00, (params), 0x00, 0x00, 0x00, \
	    0x00

#define AC SERVER_STATUS_AUTOCOMMIT
#define MORE_RES SERVER_MORE_RESULTS_EXISTS
#define CURSOR SERVER_STATUS_CURSOR_EXISTS
#define LAST_ROW SERVER_STATUS_LAST_ROW_SENT

struct resp_case {
	const char *label;
	enum resp_kind kind;
	bool execute;
	const struct feed *feeds;
	size_t n;
	/* after the last packet */
	enum resp_state state;
	uint64_t affected_rows;
	uint64_t rows;
	uint32_t stmt_id;
	bool local_infile;
	uint16_t err_code; /* 0: no error */
	const char *err_state;
	const char *err_message;
};

static const struct resp_case resp_cases[] = {
	/* ---- simple answers */
	{"OK with 3 affected rows", RESP_RESULT, false,
	 FEEDS(W(DONE, OK_PKT(3, AC))), RS_DONE, 3, 0, 0, false, 0, NULL, NULL},
	{"OK to a ping", RESP_OK, false, FEEDS(W(DONE, OK_PKT(0, AC))), RS_DONE,
	 0, 0, 0, false, 0, NULL, NULL},
	{"EOF to COM_SET_OPTION", RESP_OK, false, FEEDS(W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 0, 0, false, 0, NULL, NULL},
	{"ERR to a query", RESP_RESULT, false, FEEDS(S(DONE, ERR_1146)), RS_DONE,
	 0, 0, 0, false, 1146, "42S02", "Table 'shop.t' doesn't exist"},
	{"ERR without sqlstate", RESP_OK, false,
	 FEEDS(S(DONE, "\xFF\x15\x04" "Access denied")), RS_DONE, 0, 0, 0, false,
	 1045, "HY000", "Access denied"},

	/* ---- result sets */
	{"2 columns, 3 text rows", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x02), W(MORE, COLDEF), W(MORE, COLDEF),
	       W(MORE, EOF_PKT(AC)), W(MORE, TEXT_ROW), W(MORE, TEXT_ROW),
	       W(MORE, 0xFB, 0x01, 'x'), W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 3, 0, false, 0, NULL, NULL},
	{"no rows", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 0, 0, false, 0, NULL, NULL},
	{"multi-results: result set, then OK", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC | MORE_RES)),
	       W(MORE, TEXT_ROW), W(MORE, EOF_PKT(AC | MORE_RES)),
	       W(DONE, OK_PKT(4, AC))),
	 RS_DONE, 4, 1, 0, false, 0, NULL, NULL},
	{"multi-statements: OK, OK", RESP_RESULT, false,
	 FEEDS(W(MORE, OK_PKT(2, AC | MORE_RES)), W(DONE, OK_PKT(5, AC))),
	 RS_DONE, 7, 0, 0, false, 0, NULL, NULL},
	{"multi-statements: OK, then result set", RESP_RESULT, false,
	 FEEDS(W(MORE, OK_PKT(1, AC | MORE_RES)), W(MORE, 0x01), W(MORE, COLDEF),
	       W(MORE, EOF_PKT(AC)), W(MORE, TEXT_ROW), W(DONE, EOF_PKT(AC))),
	 RS_DONE, 1, 1, 0, false, 0, NULL, NULL},
	{"multi-statements: OK, then ERR", RESP_RESULT, false,
	 FEEDS(W(MORE, OK_PKT(1, AC | MORE_RES)), S(DONE, ERR_1146)), RS_DONE,
	 1, 0, 0, false, 1146, "42S02", "Table 'shop.t' doesn't exist"},
	{"ERR in the middle of rows", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       W(MORE, TEXT_ROW),
	       S(DONE, "\xFF\x25\x05#HY000Query execution was interrupted")),
	 RS_DONE, 0, 1, 0, false, 1317, "HY000",
	 "Query execution was interrupted"},
	{"4096 columns is allowed", RESP_RESULT, false,
	 FEEDS(W(MORE, 0xFC, 0x00, 0x10)), RS_COLUMNS, 0, 0, 0, false, 0, NULL,
	 NULL},

	/* ---- rows and continuations that look like EOF */
	{"9-byte row starting 0xFE is a row", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       W(MORE, 0xFE, 1, 2, 3, 4, 5, 6, 7, 8), W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 1, 0, false, 0, NULL, NULL},
	{"16 MiB row then a continuation that looks like EOF", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       H(MORE, 0xFE, 0xFFFFFF), W(MORE, EOF_PKT(AC)),
	       W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 1, 0, false, 0, NULL, NULL},
	{"16 MiB row then a continuation that looks like ERR", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       H(MORE, 0xFD, 0xFFFFFF), S(MORE, ERR_1146),
	       W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 1, 0, false, 0, NULL, NULL},
	{"row of exactly 0xFFFFFF ends with an empty packet", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       H(MORE, 0xFD, 0xFFFFFF), EMPTY(MORE), W(MORE, TEXT_ROW),
	       W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 2, 0, false, 0, NULL, NULL},
	{"row over three packets", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       H(MORE, 0xFE, 0xFFFFFF), H(MORE, 0xFE, 0xFFFFFF), W(MORE, 0xFE),
	       W(MORE, TEXT_ROW), W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 2, 0, false, 0, NULL, NULL},
	{"16 MiB column definition", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), H(MORE, 0x03, 0xFFFFFF), W(MORE, EOF_PKT(AC)),
	       W(MORE, EOF_PKT(AC)), W(MORE, TEXT_ROW), W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 1, 0, false, 0, NULL, NULL},

	/* ---- prepared statements */
	{"prepare: 2 params, 1 column", RESP_PREPARE, false,
	 FEEDS(W(MORE, PREP_OK(7, 1, 2)), W(MORE, PARAMDEF), W(MORE, PARAMDEF),
	       W(MORE, EOF_PKT(AC)), W(MORE, COLDEF), W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 0, 7, false, 0, NULL, NULL},
	{"prepare: 0 params, 0 columns", RESP_PREPARE, false,
	 FEEDS(W(DONE, PREP_OK(42, 0, 0))), RS_DONE, 0, 0, 42, false, 0, NULL,
	 NULL},
	{"prepare: 0 params, 2 columns", RESP_PREPARE, false,
	 FEEDS(W(MORE, PREP_OK(3, 2, 0)), W(MORE, COLDEF), W(MORE, COLDEF),
	       W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 0, 3, false, 0, NULL, NULL},
	{"prepare: 1 param, 0 columns", RESP_PREPARE, false,
	 FEEDS(W(MORE, PREP_OK(9, 0, 1)), W(MORE, PARAMDEF),
	       W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 0, 9, false, 0, NULL, NULL},
	{"prepare: 4-byte statement id", RESP_PREPARE, false,
	 FEEDS(W(DONE, 0x00, 0x04, 0x03, 0x02, 0x81, 0, 0, 0, 0, 0, 0, 0)),
	 RS_DONE, 0, 0, 0x81020304, false, 0, NULL, NULL},
	{"prepare: ERR", RESP_PREPARE, false,
	 FEEDS(S(DONE, "\xFF\x28\x04#42000You have an error in your SQL syntax")),
	 RS_DONE, 0, 0, 0, false, 1064, "42000",
	 "You have an error in your SQL syntax"},
	{"prepare: EOF instead of the second param", RESP_PREPARE, false,
	 FEEDS(W(MORE, PREP_OK(7, 0, 2)), W(MORE, PARAMDEF),
	       W(BAD, EOF_PKT(AC))),
	 RS_PARAMS, 0, 0, 7, false, 0, NULL, NULL},
	{"prepare: column where the params EOF belongs", RESP_PREPARE, false,
	 FEEDS(W(MORE, PREP_OK(7, 1, 1)), W(MORE, PARAMDEF), W(BAD, COLDEF)),
	 RS_PARAMS_EOF, 0, 0, 7, false, 0, NULL, NULL},
	{"prepare: OK cut after the column count", RESP_PREPARE, false,
	 FEEDS(W(BAD, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00)), RS_FIRST, 0, 0,
	 7, false, 0, NULL, NULL},
	{"prepare: result set instead of OK", RESP_PREPARE, false,
	 FEEDS(W(BAD, 0x01)), RS_FIRST, 0, 0, 0, false, 0, NULL, NULL},

	/* ---- execute and fetch */
	{"execute with a cursor: column EOF ends the answer", RESP_RESULT, true,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(DONE, EOF_PKT(AC | CURSOR))),
	 RS_DONE, 0, 0, 0, false, 0, NULL, NULL},
	{"execute without a cursor: binary rows", RESP_RESULT, true,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       W(MORE, BIN_ROW), W(MORE, BIN_ROW), W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 2, 0, false, 0, NULL, NULL},
	{"cursor flag outside execute is ignored", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC | CURSOR)),
	       W(MORE, TEXT_ROW), W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 1, 0, false, 0, NULL, NULL},
	{"fetch: rows until EOF", RESP_ROWS, false,
	 FEEDS(W(MORE, BIN_ROW), W(MORE, BIN_ROW), W(MORE, BIN_ROW),
	       W(DONE, EOF_PKT(AC | CURSOR))),
	 RS_DONE, 0, 3, 0, false, 0, NULL, NULL},
	{"fetch: last rows", RESP_ROWS, false,
	 FEEDS(W(MORE, BIN_ROW), W(DONE, EOF_PKT(AC | LAST_ROW))), RS_DONE, 0, 1,
	 0, false, 0, NULL, NULL},
	{"fetch: more-results flag does not continue a fetch", RESP_ROWS, false,
	 FEEDS(W(DONE, EOF_PKT(AC | MORE_RES))), RS_DONE, 0, 0, 0, false, 0,
	 NULL, NULL},
	{"fetch: ERR", RESP_ROWS, false,
	 FEEDS(S(DONE, "\xFF\xDB\x04#HY000Unknown prepared statement handler")),
	 RS_DONE, 0, 0, 0, false, 1243, "HY000",
	 "Unknown prepared statement handler"},

	/* ---- field list, raw */
	{"field list: definitions until EOF", RESP_FIELDS, false,
	 FEEDS(W(MORE, COLDEF), W(MORE, COLDEF), W(MORE, COLDEF),
	       W(DONE, EOF_PKT(AC))),
	 RS_DONE, 0, 0, 0, false, 0, NULL, NULL},
	{"field list: ERR", RESP_FIELDS, false, FEEDS(S(DONE, ERR_1146)),
	 RS_DONE, 0, 0, 0, false, 1146, "42S02", "Table 'shop.t' doesn't exist"},
	{"statistics: one raw packet", RESP_RAW, false,
	 FEEDS(S(DONE, "Uptime: 42  Threads: 1  Questions: 7")), RS_DONE, 0, 0,
	 0, false, 0, NULL, NULL},
	{"raw: a first byte of 0xFF is not looked at", RESP_RAW, false,
	 FEEDS(S(DONE, "\xFF\x15\x04" "x")), RS_DONE, 0, 0, 0, false, 0, NULL,
	 NULL},
	{"raw: empty packet", RESP_RAW, false, FEEDS(EMPTY(DONE)), RS_DONE, 0, 0,
	 0, false, 0, NULL, NULL},
	{"raw: 16 MiB packet ends with its continuation", RESP_RAW, false,
	 FEEDS(H(MORE, 'U', 0xFFFFFF), W(DONE, 'x')), RS_DONE, 0, 0, 0, false, 0,
	 NULL, NULL},
	{"raw: continued by an empty packet", RESP_RAW, false,
	 FEEDS(H(MORE, 'U', 0xFFFFFF), EMPTY(DONE)), RS_DONE, 0, 0, 0, false, 0,
	 NULL, NULL},

	/* ---- broken answers */
	{"LOCAL INFILE request", RESP_RESULT, false,
	 FEEDS(S(BAD, "\xFB/etc/passwd")), RS_FIRST, 0, 0, 0, true, 0, NULL,
	 NULL},
	{"column count 0 (0xFC 00 00)", RESP_RESULT, false,
	 FEEDS(W(BAD, 0xFC, 0x00, 0x00)), RS_FIRST, 0, 0, 0, false, 0, NULL,
	 NULL},
	{"column count 4097", RESP_RESULT, false,
	 FEEDS(W(BAD, 0xFC, 0x01, 0x10)), RS_FIRST, 0, 0, 0, false, 0, NULL,
	 NULL},
	{"column count 2^64-1", RESP_RESULT, false,
	 FEEDS(W(BAD, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)),
	 RS_FIRST, 0, 0, 0, false, 0, NULL, NULL},
	{"column count truncated", RESP_RESULT, false, FEEDS(W(BAD, 0xFC, 0x01)),
	 RS_FIRST, 0, 0, 0, false, 0, NULL, NULL},
	{"EOF as the first packet of a query", RESP_RESULT, false,
	 FEEDS(W(BAD, EOF_PKT(AC))), RS_FIRST, 0, 0, 0, false, 0, NULL, NULL},
	{"truncated OK", RESP_RESULT, false, FEEDS(W(BAD, 0x00, 0x03, 0x00)),
	 RS_FIRST, 0, 0, 0, false, 0, NULL, NULL},
	{"truncated ERR", RESP_RESULT, false, FEEDS(W(BAD, 0xFF, 0x15)),
	 RS_FIRST, 0, 0, 0, false, 0, NULL, NULL},
	{"ERR over 64 KiB", RESP_RESULT, false, FEEDS(H(BAD, 0xFF, 70000)),
	 RS_FIRST, 0, 0, 0, false, 0, NULL, NULL},
	{"OK over 64 KiB", RESP_OK, false, FEEDS(H(BAD, 0x00, 70000)), RS_FIRST,
	 0, 0, 0, false, 0, NULL, NULL},
	{"column count over 64 KiB", RESP_RESULT, false,
	 FEEDS(H(BAD, 0x01, 70000)), RS_FIRST, 0, 0, 0, false, 0, NULL, NULL},
	{"result set where OK/ERR/EOF is expected", RESP_OK, false,
	 FEEDS(W(BAD, 0x01)), RS_FIRST, 0, 0, 0, false, 0, NULL, NULL},
	{"9-byte 0xFE packet where OK/ERR/EOF is expected", RESP_OK, false,
	 FEEDS(W(BAD, 0xFE, 0, 0, 2, 0, 0, 0, 0, 0)), RS_FIRST, 0, 0, 0, false,
	 0, NULL, NULL},
	{"empty packet in a result", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), EMPTY(BAD)), RS_COLUMNS, 0, 0, 0, false, 0, NULL,
	 NULL},
	{"EOF in place of a column definition", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x02), W(MORE, COLDEF), W(BAD, EOF_PKT(AC))), RS_COLUMNS,
	 0, 0, 0, false, 0, NULL, NULL},
	{"row in place of the column EOF", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(BAD, TEXT_ROW)), RS_COLUMNS_EOF,
	 0, 0, 0, false, 0, NULL, NULL},
	{"packet after the OK", RESP_RESULT, false,
	 FEEDS(W(DONE, OK_PKT(1, AC)), W(BAD, OK_PKT(1, AC))), RS_DONE, 1, 0, 0,
	 false, 0, NULL, NULL},
	{"packet after the ERR", RESP_RESULT, false,
	 FEEDS(S(DONE, ERR_1146), W(BAD, TEXT_ROW)), RS_DONE, 0, 0, 0, false,
	 1146, "42S02", "Table 'shop.t' doesn't exist"},
	{"packet after the last EOF", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       W(DONE, EOF_PKT(AC)), W(BAD, EOF_PKT(AC))),
	 RS_DONE, 0, 0, 0, false, 0, NULL, NULL},
	{"packet after a raw answer", RESP_RAW, false,
	 FEEDS(S(DONE, "Uptime: 1"), S(BAD, "Uptime: 2")), RS_DONE, 0, 0, 0,
	 false, 0, NULL, NULL},
};

/* What the relay does: offer the first byte, and the whole packet only
 * when asked (and then, the tracker must not have moved). */
static enum resp_step relay(struct resp *r, const struct feed *f)
{
	struct resp before;
	enum resp_step step;

	memcpy(&before, r, sizeof before);
	step = resp_packet(r, f->p, f->have > 0 ? 1 : 0, f->len);
	if (step != RESP_STEP_NEED_WHOLE)
		return step;
	assert_memory_equal(&before, r, sizeof before);
	if (f->have < f->len)
		return step;
	return resp_packet(r, f->p, f->have, f->len);
}

static const char *step_name(enum resp_step s)
{
	switch (s) {
	case RESP_STEP_NEED_WHOLE:
		return "NEED_WHOLE";
	case RESP_STEP_MORE:
		return "MORE";
	case RESP_STEP_DONE:
		return "DONE";
	case RESP_STEP_BAD:
		return "BAD";
	}
	return "?";
}

static void test_resp_sequences(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(resp_cases); i++) {
		const struct resp_case *tc = &resp_cases[i];
		struct resp r;

		resp_begin(&r, tc->kind, tc->execute);
		for (size_t k = 0; k < tc->n; k++) {
			enum resp_step step = relay(&r, &tc->feeds[k]);
			if (step != tc->feeds[k].want)
				fail_msg("%s: packet %zu gave %s, expected %s", tc->label,
				         k, step_name(step), step_name(tc->feeds[k].want));
		}
		if (r.state != tc->state)
			fail_msg("%s: state %d, expected %d", tc->label, r.state,
			         tc->state);
		if (r.affected_rows != tc->affected_rows || r.rows != tc->rows)
			fail_msg("%s: affected %llu rows %llu", tc->label,
			         (unsigned long long)r.affected_rows,
			         (unsigned long long)r.rows);
		if (r.stmt_id != tc->stmt_id)
			fail_msg("%s: statement id %u", tc->label, r.stmt_id);
		if (r.local_infile != tc->local_infile)
			fail_msg("%s: local_infile %d", tc->label, r.local_infile);
		if (r.continuation)
			fail_msg("%s: still in a continuation", tc->label);
		if (r.is_error != (tc->err_code != 0))
			fail_msg("%s: is_error %d", tc->label, r.is_error);
		if (tc->err_code &&
		    (r.err.code != tc->err_code ||
		     strcmp(r.err.state, tc->err_state) != 0 ||
		     strcmp(r.err.message, tc->err_message) != 0))
			fail_msg("%s: error %u '%s' '%s'", tc->label, r.err.code,
			         r.err.state, r.err.message);
	}
}

/* Packets that need their whole payload, each offered first in part: the
 * tracker answers NEED_WHOLE without moving, and the whole packet then gives
 * exactly what a tracker that saw it whole at once gives. */
struct whole_case {
	const char *label;
	enum resp_kind kind;
	bool execute;
	const struct feed *before; /* positions the tracker */
	size_t n_before;
	struct feed pkt;
};

static const struct whole_case whole_cases[] = {
	{"OK", RESP_RESULT, false, NULL, 0, W(DONE, OK_PKT(3, AC))},
	{"OK with more results", RESP_RESULT, false, NULL, 0,
	 W(MORE, OK_PKT(3, AC | MORE_RES))},
	{"OK to a ping", RESP_OK, false, NULL, 0, W(DONE, OK_PKT(0, AC))},
	{"ERR", RESP_RESULT, false, NULL, 0, S(DONE, ERR_1146)},
	{"column count", RESP_RESULT, false, NULL, 0, W(MORE, 0xFC, 0x00, 0x01)},
	{"prepare OK", RESP_PREPARE, false, NULL, 0, W(MORE, PREP_OK(7, 1, 2))},
	{"column EOF", RESP_RESULT, true, FEEDS(W(MORE, 0x01), W(MORE, COLDEF)),
	 W(DONE, EOF_PKT(AC | CURSOR))},
	{"params EOF", RESP_PREPARE, false,
	 FEEDS(W(MORE, PREP_OK(7, 1, 1)), W(MORE, PARAMDEF)),
	 W(MORE, EOF_PKT(AC))},
	{"last EOF", RESP_RESULT, false,
	 FEEDS(W(MORE, 0x01), W(MORE, COLDEF), W(MORE, EOF_PKT(AC)),
	       W(MORE, TEXT_ROW)),
	 W(DONE, EOF_PKT(AC))},
	{"ERR among rows", RESP_ROWS, false, FEEDS(W(MORE, BIN_ROW)),
	 S(DONE, ERR_1146)},
	{"field list EOF", RESP_FIELDS, false, FEEDS(W(MORE, COLDEF)),
	 W(DONE, EOF_PKT(AC))},
};

static void test_resp_need_whole(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(whole_cases); i++) {
		const struct whole_case *tc = &whole_cases[i];
		const struct feed *f = &tc->pkt;
		struct resp r, fresh, snap;
		enum resp_step step;

		resp_begin(&r, tc->kind, tc->execute);
		for (size_t k = 0; k < tc->n_before; k++)
			assert_int_equal(relay(&r, &tc->before[k]), tc->before[k].want);
		memcpy(&fresh, &r, sizeof r);
		memcpy(&snap, &r, sizeof r);

		/* Nothing, one byte, all but one byte. */
		const size_t haves[] = {0, 1, f->len - 1};
		for (size_t h = 0; h < ARRAY_LEN(haves); h++) {
			if (haves[h] >= f->len)
				continue;
			step = resp_packet(&r, f->p, haves[h], f->len);
			if (step != RESP_STEP_NEED_WHOLE)
				fail_msg("%s: %zu of %zu bytes gave %s", tc->label,
				         haves[h], f->len, step_name(step));
			if (memcmp(&r, &snap, sizeof r) != 0)
				fail_msg("%s: %zu bytes changed the tracker", tc->label,
				         haves[h]);
		}
		step = resp_packet(&r, f->p, f->len, f->len);
		if (step != f->want)
			fail_msg("%s: whole packet gave %s", tc->label,
			         step_name(step));
		assert_int_equal(resp_packet(&fresh, f->p, f->len, f->len), f->want);
		if (memcmp(&r, &fresh, sizeof r) != 0)
			fail_msg("%s: differs from a tracker given it whole at once",
			         tc->label);
	}
}

static enum resp_step resp_whole(struct resp *r, const uint8_t *p, size_t len)
{
	return resp_packet(r, p, len, len);
}

/* Rows and column definitions are never held back, however long. */
static void test_resp_rows_stream(void **state)
{
	struct resp r;

	(void)state;
	resp_begin(&r, RESP_RESULT, false);
	assert_int_equal(resp_whole(&r, BYTES(0x02)), RESP_STEP_MORE);
	assert_int_equal(resp_packet(&r, (const uint8_t[]){0x03}, 1, 5000),
	                 RESP_STEP_MORE);
	assert_int_equal(resp_packet(&r, (const uint8_t[]){0x03}, 0, 5000),
	                 RESP_STEP_NEED_WHOLE);
	assert_int_equal(resp_packet(&r, (const uint8_t[]){0x03}, 1, 5000),
	                 RESP_STEP_MORE);
	assert_int_equal(resp_whole(&r, BYTES(EOF_PKT(AC))), RESP_STEP_MORE);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(resp_packet(&r, (const uint8_t[]){0xFC}, 1,
		                             100000 + (size_t)i),
		                 RESP_STEP_MORE);
	assert_int_equal(r.rows, 1000);
	assert_int_equal(resp_whole(&r, BYTES(EOF_PKT(AC))), RESP_STEP_DONE);
}

/* ------------------------------------------------ execute parameters */

struct param_case {
	const char *label;
	uint16_t n_params;
	const uint8_t *pkt;
	size_t len;
	bool ok;
	const char *json;
};

#define EXEC_HDR 0x17, 1, 0, 0, 0, 0x00, 1, 0, 0, 0
static const uint8_t p_none[] = {EXEC_HDR};
/* int 42 (LONGLONG), string "a\"b", NULL */
static const uint8_t p_mixed[] = {EXEC_HDR, 0x04, 1, 0x08, 0x00, 0xFD, 0x00,
                                  0x06, 0x00, 42, 0, 0, 0, 0, 0, 0, 0,
                                  3, 'a', '"', 'b'};
/* unsigned tiny 200, signed short -2, double 1.5 */
static const uint8_t p_nums[] = {EXEC_HDR, 0x00, 1, 0x01, 0x80, 0x02, 0x00,
                                 0x05, 0x00, 200, 0xFE, 0xFF,
                                 0, 0, 0, 0, 0, 0, 0xF8, 0x3F};
/* DATETIME 2024-01-02 03:04:05, DATE 2024-01-02 */
static const uint8_t p_dates[] = {EXEC_HDR, 0x00, 1, 0x0C, 0x00, 0x0A, 0x00,
                                  7, 0xE8, 0x07, 1, 2, 3, 4, 5,
                                  4, 0xE8, 0x07, 1, 2};
/* types not bound this time and never before */
static const uint8_t p_unbound[] = {EXEC_HDR, 0x00, 0, 5};
/* string length beyond the packet */
static const uint8_t p_short[] = {EXEC_HDR, 0x00, 1, 0xFD, 0x00, 50, 'x'};
/* truncated header */
static const uint8_t p_trunc[] = {0x17, 1, 0, 0};

static const struct param_case param_cases[] = {
	{"no parameters", 0, p_none, sizeof p_none, true, "[]"},
	{"int, string with a quote, NULL", 3, p_mixed, sizeof p_mixed, true,
	 "[42,\"a\\\"b\",null]"},
	{"unsigned tiny, signed short, double", 3, p_nums, sizeof p_nums, true,
	 "[200,-2,1.5]"},
	{"datetime and date", 2, p_dates, sizeof p_dates, true,
	 "[\"2024-01-02 03:04:05.000000\",\"2024-01-02\"]"},
	{"values without types", 1, p_unbound, sizeof p_unbound, false, NULL},
	{"string beyond the packet", 1, p_short, sizeof p_short, false, NULL},
	{"truncated header", 1, p_trunc, sizeof p_trunc, false, NULL},
};

static void test_decode_params(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof param_cases / sizeof param_cases[0]; i++) {
		const struct param_case *tc = &param_cases[i];
		struct prepared ps = {.id = 1, .n_params = tc->n_params};
		struct core_buf out = {0};
		bool ok = proxy_decode_params(tc->pkt, tc->len, &ps, &out);

		if (ok != tc->ok)
			fail_msg("%s: ok %d", tc->label, ok);
		if (ok) {
			wr_u8(&out, 0);
			if (strcmp((char *)out.data, tc->json) != 0)
				fail_msg("%s: got %s want %s", tc->label, out.data, tc->json);
		}
		free(ps.types);
		free(ps.long_data);
		core_buf_free(&out);
	}
}

static void test_decode_params_reuse_and_long_data(void **state)
{
	/* First execute binds types; the second reuses them; parameter 0 sent
	 * as long data has no value in the packet. */
	static const uint8_t first[] = {EXEC_HDR, 0x00, 1, 0x03, 0x00, 0x03, 0x00,
	                                7, 0, 0, 0, 8, 0, 0, 0};
	static const uint8_t second[] = {EXEC_HDR, 0x00, 0, 9, 0, 0, 0};
	struct prepared ps = {.id = 1, .n_params = 2};
	struct core_buf out = {0};

	(void)state;
	assert_true(proxy_decode_params(first, sizeof first, &ps, &out));
	wr_u8(&out, 0);
	assert_string_equal((char *)out.data, "[7,8]");
	proxy_note_long_data(&ps, 0);
	proxy_note_long_data(&ps, 7); /* out of range: ignored */
	assert_true(proxy_decode_params(second, sizeof second, &ps, &out));
	wr_u8(&out, 0);
	assert_string_equal((char *)out.data, "[\"<long data>\",9]");
	proxy_clear_long_data(&ps);
	free(ps.types);
	free(ps.long_data);
	core_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_frame_sequence_runs),
		cmocka_unit_test(test_ok_round_trip),
		cmocka_unit_test(test_ok_parse_errors),
		cmocka_unit_test(test_err_round_trip),
		cmocka_unit_test(test_err_parse),
		cmocka_unit_test(test_eof),
		cmocka_unit_test(test_greeting_round_trip),
		cmocka_unit_test(test_greeting_variants),
		cmocka_unit_test(test_greeting_truncated),
		cmocka_unit_test(test_greeting_errors),
		cmocka_unit_test(test_handshake_response),
		cmocka_unit_test(test_ssl_request),
		cmocka_unit_test(test_handshake_response_errors),
		cmocka_unit_test(test_login_exact_bytes),
		cmocka_unit_test(test_login_round_trip),
		cmocka_unit_test(test_auth_switch),
		cmocka_unit_test(test_command_names),
		cmocka_unit_test(test_native_scramble),
		cmocka_unit_test(test_sha2_scramble),
		cmocka_unit_test_setup_teardown(test_sha2_rsa_encrypt, rsa_setup,
		                                rsa_teardown),
		cmocka_unit_test_setup_teardown(test_sha2_rsa_encrypt_errors,
		                                rsa_setup, rsa_teardown),
		cmocka_unit_test(test_random_scramble),
		cmocka_unit_test(test_resp_sequences),
		cmocka_unit_test(test_resp_need_whole),
		cmocka_unit_test(test_resp_rows_stream),
		cmocka_unit_test(test_decode_params),
		cmocka_unit_test(test_decode_params_reuse_and_long_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
