/*
 * Unit tests for store: SQL literal and COPY field building and escaping,
 * timestamps, UUID and NOTIFY payload parsing, the compiled-in migration
 * list, and the recorder queue (bounds, grace, in-place merge of outcomes,
 * which records go by COPY, by INSERT or wait while running, updates after
 * a batch was taken, retries, refused batches, the classification and
 * session columns), durable records without a connection (deferred
 * failure, cancellation by store_stmt_done, their SQL), queries without a
 * connection and channel names — all without a server.
 *
 * With AGENTGATE_TEST_PG_DSN set (a libpq connection string to a database
 * the tests may create schemas in), a second group runs against a real
 * PostgreSQL: migrations, admin commands (policy rules included, with their
 * NOTIFY), lookups, NOTIFY revocations, the recorder's rows read back
 * exactly (through COPY and through INSERT), duplicate rows, large COPYs,
 * reconnection and the shutdown flush; durable writes (committed before
 * their callback, their latency, several sharing a round trip, cancelled in
 * flight, PostgreSQL unreachable, no commit within the grace); store_query
 * with parameters and NULLs; store_listen across a forced reconnect. Each
 * such test works in a fresh schema of its own and drops it afterwards.
 * Without the variable those tests are skipped. One test also stops and
 * restarts the server when AGENTGATE_TEST_PG_STOP and
 * AGENTGATE_TEST_PG_START hold shell commands that do so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <libpq-fe.h>

#include "store/internal.h"
#include "store/store.h"
#include "pg_fixture.h"

#define SID1 "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f"
#define SID2 "11111111-2222-4333-8444-555555555555"

/* ------------------------------------------------------------ helpers */

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static char *buf_str(struct core_buf *b)
{
	core_buf_append(b, "", 1);
	b->len--;
	return (char *)b->data;
}

static struct cfg_store small_cfg(long long queue, long long batch)
{
	struct cfg_store c = {
	    .dsn = NULL,
	    .queue_size = queue,
	    .batch_size = batch,
	    .flush_interval = 50,
	    .grace = 5000,
	    .reconnect_interval = 1000,
	};
	return c;
}

static struct store *detached(long long queue, long long batch)
{
	struct cfg_store c = small_cfg(queue, batch);
	struct store *st = store_new_detached(&c, "gw'1");

	fake_now = 1000;
	st->rq.now_ms = fake_clock;
	return st;
}

/* Builds the next batch; its COPY data, if any, is then copy_str(st). */
static char *take(struct store *st, size_t *n)
{
	*n = store_rq_take(&st->rq, st->instance_lit, &st->batch_sql,
	                   &st->batch_copy);
	return (char *)st->batch_sql.data;
}

/* ------------------------------------------------- binary COPY reader */

/* The types of STORE_COPY_STATEMENTS' columns, in order. */
enum copy_type { CT_UUID, CT_I16, CT_I32, CT_I64, CT_TS, CT_TEXT, CT_BYTEA };
static const enum copy_type stmt_types[] = {
    CT_UUID, CT_I64,  CT_TS,   CT_I16,  CT_TEXT, CT_TEXT,
    CT_BYTEA, CT_TEXT, CT_TEXT, CT_TEXT, CT_TEXT, CT_TEXT,
    CT_TEXT, CT_I64,  CT_I64,  CT_I64,  CT_I32,  CT_TEXT,
};
#define STMT_COLUMNS (sizeof(stmt_types) / sizeof(stmt_types[0]))

static uint64_t get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A text value as COPY's text format writes it. */
static void text_escaped(struct core_buf *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case '\\':
			core_buf_append_str(out, "\\\\");
			break;
		case '\t':
			core_buf_append_str(out, "\\t");
			break;
		case '\n':
			core_buf_append_str(out, "\\n");
			break;
		case '\r':
			core_buf_append_str(out, "\\r");
			break;
		default:
			core_buf_append(out, &p[i], 1);
		}
	}
}

/* One field of a known type and length, as the text format writes it. */
static void field_text(struct core_buf *out, enum copy_type t,
                       const uint8_t *p, size_t n)
{
	static const size_t width[] = {[CT_UUID] = 16, [CT_I16] = 2,
	                               [CT_I32] = 4,   [CT_I64] = 8,
	                               [CT_TS] = 8};
	size_t i;

	if (t != CT_TEXT && t != CT_BYTEA && n != width[t])
		fail_msg("a field of %zu bytes for a type of %zu", n, width[t]);
	switch (t) {
	case CT_UUID:
		for (i = 0; i < 16; i++)
			core_buf_printf(out, "%s%02x",
			                i == 4 || i == 6 || i == 8 || i == 10 ? "-"
			                                                      : "",
			                p[i]);
		break;
	case CT_I16:
		core_buf_printf(out, "%d", (int)(int16_t)get_be(p, 2));
		break;
	case CT_I32:
		core_buf_printf(out, "%ld", (long)(int32_t)get_be(p, 4));
		break;
	case CT_I64:
		core_buf_printf(out, "%lld", (long long)(int64_t)get_be(p, 8));
		break;
	case CT_TS: {
		/* Microseconds since 2000-01-01 UTC. */
		int64_t us = (int64_t)get_be(p, 8) + 946684800LL * 1000000;
		int64_t secs = us / 1000000, frac = us % 1000000;
		time_t tt;
		struct tm tm;

		if (frac < 0) {
			frac += 1000000;
			secs--;
		}
		tt = (time_t)secs;
		assert_non_null(gmtime_r(&tt, &tm));
		core_buf_printf(out, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00",
		                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		                tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
		break;
	}
	case CT_TEXT:
		text_escaped(out, p, n);
		break;
	case CT_BYTEA:
		core_buf_append_str(out, "\\\\x");
		for (i = 0; i < n; i++)
			core_buf_printf(out, "%02x", p[i]);
		break;
	}
}

/* The binary COPY data of statement rows read back strictly, part by
 * part (signature, header, field counts, lengths, types, trailer exactly
 * where `ends` says the part ends, at most STORE_COPY_PART_ROWS rows a
 * part), and written as the text format would have it: fields separated by
 * tabs, rows ended by newlines, NULL as \N, text escaped, bytea as
 * \\x..., times as 2024-05-01 12:00:00.000001+00. Empty data reads as
 * "". The string lives until the next call. */
static const char *copy_rows_text(const struct core_buf *in,
                                  const size_t *ends, size_t parts)
{
	static struct core_buf out;
	size_t pos = 0, part;

	core_buf_reset(&out);
	core_buf_append(&out, "", 1);
	out.len = 0;
	if (in->len == 0) {
		assert_int_equal(parts, 0);
		return (const char *)out.data;
	}
	assert_true(parts > 0);
	for (part = 0; part < parts; part++) {
		size_t rows = 0;

		assert_true(ends[part] <= in->len);
		assert_true(ends[part] - pos >= STORE_COPY_SIGNATURE_LEN + 8 + 2);
		assert_memory_equal(in->data + pos, "PGCOPY\n\377\r\n\0", 11);
		assert_int_equal(get_be(in->data + pos + 11, 4), 0);
		assert_int_equal(get_be(in->data + pos + 15, 4), 0);
		pos += 19;
		for (;;) {
			uint64_t nfields;
			size_t i;

			assert_true(ends[part] - pos >= 2);
			nfields = get_be(in->data + pos, 2);
			pos += 2;
			if (nfields == 0xffff)
				break;
			assert_int_equal(nfields, STMT_COLUMNS);
			for (i = 0; i < STMT_COLUMNS; i++) {
				uint64_t len;

				assert_true(ends[part] - pos >= 4);
				len = get_be(in->data + pos, 4);
				pos += 4;
				if (i > 0)
					core_buf_append(&out, "\t", 1);
				if (len == 0xffffffffu) {
					core_buf_append_str(&out, "\\N");
					continue;
				}
				assert_true(len <= ends[part] - pos);
				field_text(&out, stmt_types[i], in->data + pos,
				           len);
				pos += len;
			}
			core_buf_append(&out, "\n", 1);
			rows++;
		}
		assert_int_equal(pos, ends[part]);
		assert_true(rows > 0 && rows <= STORE_COPY_PART_ROWS);
	}
	assert_int_equal(pos, in->len);
	return buf_str(&out);
}

/* The batch's COPY rows, as copy_rows_text writes them. */
static const char *copy_str(struct store *st)
{
	return copy_rows_text(&st->batch_copy, st->rq.copy_ends,
	                      st->rq.copy_parts);
}

/* Past the age at which a statement still running is written as such. */
static void age_past_running(struct store *st)
{
	fake_now += st->rq.running_ms;
}

/* store_stmt_begin with the statement's fields as arguments, as most tests
 * need no classification. */
static struct store_stmt *begin(struct store *st, const char *session_id,
                                uint64_t seq, int64_t started_us,
                                uint8_t command, const char *command_name,
                                const void *text, size_t text_len)
{
	struct store_stmt_info info = {
	    .session_id = session_id,
	    .seq = seq,
	    .started_us = started_us,
	    .command = command,
	    .command_name = command_name,
	    .text = text,
	    .text_len = text_len,
	};

	return store_stmt_begin(st, &info);
}

static const struct store_stmt_result ok_result = {
    .status = STORE_STMT_OK,
    .duration_us = 1500,
    .rows_affected = -1,
    .rows_returned = 3,
    .error_code = 0,
    .error_message = NULL,
};

/* ------------------------------------------------------------ SQL text */

static void test_sql_str_escapes(void **state)
{
	struct core_buf b = {0};

	store_sql_str(&b, "it's a \\ test");
	assert_string_equal(buf_str(&b), "E'it''s a \\\\ test'");
	core_buf_reset(&b);
	store_sql_str(&b, NULL);
	assert_string_equal(buf_str(&b), "NULL");
	core_buf_reset(&b);
	store_sql_str(&b, "");
	assert_string_equal(buf_str(&b), "E''");
	core_buf_reset(&b);
	/* Valid UTF-8 passes unchanged. */
	store_sql_str(&b, "caf\xc3\xa9 \xe2\x82\xac");
	assert_string_equal(buf_str(&b), "E'caf\xc3\xa9 \xe2\x82\xac'");
	core_buf_free(&b);
}

static void test_sql_text_lossless(void **state)
{
	struct core_buf b = {0};
	static const char nul[] = {'a', 0, 'b'};
	static const char bad[] = {'x', (char)0xff, '\''};

	assert_true(store_sql_text(&b, "SELECT 1", 8));
	assert_string_equal(buf_str(&b), "E'SELECT 1'");
	core_buf_reset(&b);
	assert_false(store_sql_text(&b, nul, sizeof(nul)));
	assert_string_equal(buf_str(&b), "E'a\xef\xbf\xbd" "b'");
	core_buf_reset(&b);
	assert_false(store_sql_text(&b, bad, sizeof(bad)));
	assert_string_equal(buf_str(&b), "E'x\xef\xbf\xbd'''");
	core_buf_reset(&b);
	store_sql_bytea(&b, bad, sizeof(bad));
	assert_string_equal(buf_str(&b), "E'\\\\x78ff27'");
	core_buf_free(&b);
}

static void test_sql_bytea_exact(void **state)
{
	struct core_buf b = {0};
	static const uint8_t bytes[] = {0x00, 0x27, 0x5c, 0xff};

	store_sql_bytea(&b, bytes, sizeof(bytes));
	assert_string_equal(buf_str(&b), "E'\\\\x00275cff'");
	core_buf_reset(&b);
	store_sql_bytea(&b, bytes, 0);
	assert_string_equal(buf_str(&b), "E'\\\\x'");
	core_buf_free(&b);
}

/* ------------------------------------------------------------ COPY */

/* Asserts that b holds exactly the n bytes of want, then empties it. */
static void bytes_are(struct core_buf *b, const void *want, size_t n)
{
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, want, n);
	core_buf_reset(b);
}

#define BYTES_ARE(b, lit) bytes_are((b), (lit), sizeof(lit) - 1)

static void test_copy_header_ints_null(void **state)
{
	struct core_buf b = {0};

	store_copy_begin(&b);
	BYTES_ARE(&b, "PGCOPY\n\377\r\n\0"
	              "\0\0\0\0"   /* flags */
	              "\0\0\0\0"); /* header extension */
	store_copy_row(&b, 18);
	BYTES_ARE(&b, "\0\x12");
	store_copy_end(&b);
	BYTES_ARE(&b, "\xff\xff");
	store_copy_null(&b);
	BYTES_ARE(&b, "\xff\xff\xff\xff");
	/* Big-endian, after a four-byte length. */
	store_copy_i16(&b, 3);
	BYTES_ARE(&b, "\0\0\0\x02\0\x03");
	store_copy_i16(&b, -2);
	BYTES_ARE(&b, "\0\0\0\x02\xff\xfe");
	store_copy_i32(&b, 1146);
	BYTES_ARE(&b, "\0\0\0\x04\0\0\x04\x7a");
	store_copy_i64(&b, 0x0102030405060708LL);
	BYTES_ARE(&b, "\0\0\0\x08\x01\x02\x03\x04\x05\x06\x07\x08");
	store_copy_i64(&b, INT64_MIN);
	BYTES_ARE(&b, "\0\0\0\x08\x80\0\0\0\0\0\0\0");
	store_copy_uuid(&b, "0B1C2D3E-4f50-4617-8829-3a4b5c6d7e8f");
	BYTES_ARE(&b, "\0\0\0\x10\x0b\x1c\x2d\x3e\x4f\x50\x46\x17\x88\x29"
	              "\x3a\x4b\x5c\x6d\x7e\x8f");
	core_buf_free(&b);
}

static void test_copy_ts(void **state)
{
	struct core_buf b = {0};

	/* Microseconds since 2000-01-01 UTC. */
	store_copy_ts(&b, 946684800LL * 1000000);
	BYTES_ARE(&b, "\0\0\0\x08\0\0\0\0\0\0\0\0");
	store_copy_ts(&b, 946684800LL * 1000000 + 1);
	BYTES_ARE(&b, "\0\0\0\x08\0\0\0\0\0\0\0\x01");
	store_copy_ts(&b, 946684800LL * 1000000 - 1);
	BYTES_ARE(&b, "\0\0\0\x08\xff\xff\xff\xff\xff\xff\xff\xff");
	/* 2024-05-01 12:00:00.123456: 767880000123456 after 2000. */
	store_copy_ts(&b, 1714564800123456LL);
	BYTES_ARE(&b, "\0\0\0\x08\0\x02\xba\x61\xfe\xa3\x32\x40");
	/* The years 1 to 9999, as store_sql_ts: NULL outside. */
	store_copy_ts(&b, -62135596800LL * 1000000);
	assert_int_equal(b.len, 12);
	core_buf_reset(&b);
	store_copy_ts(&b, -62135596800LL * 1000000 - 1);
	BYTES_ARE(&b, "\xff\xff\xff\xff");
	store_copy_ts(&b, 253402300800LL * 1000000 - 1);
	assert_int_equal(b.len, 12);
	core_buf_reset(&b);
	store_copy_ts(&b, 253402300800LL * 1000000);
	BYTES_ARE(&b, "\xff\xff\xff\xff");
	store_copy_ts(&b, INT64_MAX);
	BYTES_ARE(&b, "\xff\xff\xff\xff");
	store_copy_ts(&b, INT64_MIN);
	BYTES_ARE(&b, "\xff\xff\xff\xff");
	core_buf_free(&b);
}

static void test_copy_text_bytea(void **state)
{
	struct core_buf b = {0};
	static const char nul[] = {'a', 0, '\t'};
	static const char bad[] = {'x', (char)0xff, '\\', '\n'};
	static const uint8_t bytes[] = {0x00, 0x09, 0x5c, 0xff};

	/* Text is its bytes: nothing in it is syntax, nothing escaped. */
	assert_true(store_copy_text(&b, "a\tb\\.\n\\N", 8));
	BYTES_ARE(&b, "\0\0\0\x08" "a\tb\\.\n\\N");
	assert_true(store_copy_text(&b, "", 0));
	BYTES_ARE(&b, "\0\0\0\0");
	assert_true(store_copy_text(&b, "caf\xc3\xa9", 5));
	BYTES_ARE(&b, "\0\0\0\x05" "caf\xc3\xa9");
	/* NUL and invalid sequences become U+FFFD, the length follows. */
	assert_false(store_copy_text(&b, nul, sizeof(nul)));
	BYTES_ARE(&b, "\0\0\0\x05" "a\xef\xbf\xbd\t");
	assert_false(store_copy_text(&b, bad, sizeof(bad)));
	BYTES_ARE(&b, "\0\0\0\x06" "x\xef\xbf\xbd\\\n");
	store_copy_str(&b, NULL);
	BYTES_ARE(&b, "\xff\xff\xff\xff");
	store_copy_str(&b, "ok");
	BYTES_ARE(&b, "\0\0\0\x02" "ok");
	store_copy_bytea(&b, bytes, sizeof(bytes));
	BYTES_ARE(&b, "\0\0\0\x04" "\x00\x09\x5c\xff");
	store_copy_bytea(&b, bytes, 0);
	BYTES_ARE(&b, "\0\0\0\0");
	/* Past the bound, text is cut at a character boundary and lossy. */
	assert_true(store_copy_text_max(&b, "abc", 3, 3));
	BYTES_ARE(&b, "\0\0\0\x03" "abc");
	assert_false(store_copy_text_max(&b, "abcd", 4, 3));
	BYTES_ARE(&b, "\0\0\0\x03" "abc");
	assert_false(store_copy_text_max(&b, "ab\xe2\x82\xac", 5, 4));
	BYTES_ARE(&b, "\0\0\0\x02" "ab");
	assert_true(store_copy_text_max(&b, "ab\xe2\x82\xac", 5, 5));
	BYTES_ARE(&b, "\0\0\0\x05" "ab\xe2\x82\xac");
	assert_false(store_copy_text_max(&b, "a\xff\xc3\xa9", 4, 4));
	BYTES_ARE(&b, "\0\0\0\x04" "a\xef\xbf\xbd");
	core_buf_free(&b);
}

static void test_sql_i64(void **state)
{
	struct core_buf b = {0};

	store_sql_i64(&b, 0);
	core_buf_append(&b, " ", 1);
	store_sql_i64(&b, -42);
	core_buf_append(&b, " ", 1);
	store_sql_i64(&b, INT64_MAX);
	core_buf_append(&b, " ", 1);
	store_sql_i64(&b, INT64_MIN);
	assert_string_equal(buf_str(&b), "0 -42 9223372036854775807 "
	                                 "-9223372036854775808");
	core_buf_free(&b);
}

static void test_sql_ts(void **state)
{
	static const struct {
		int64_t us;
		const char *want;
	} cases[] = {
	    {0, "'1970-01-01 00:00:00.000000+00'"},
	    {1, "'1970-01-01 00:00:00.000001+00'"},
	    {-1, "'1969-12-31 23:59:59.999999+00'"},
	    {1714564800123456LL, "'2024-05-01 12:00:00.123456+00'"},
	    {INT64_MIN, "NULL"},
	    {INT64_MAX, "NULL"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct core_buf b = {0};

		store_sql_ts(&b, cases[i].us);
		assert_string_equal(buf_str(&b), cases[i].want);
		core_buf_free(&b);
	}
}

static void test_uuid_valid(void **state)
{
	assert_true(store_uuid_valid(SID1));
	assert_true(store_uuid_valid("ABCDEF01-2345-4789-8BCD-EF0123456789"));
	assert_false(store_uuid_valid(NULL));
	assert_false(store_uuid_valid(""));
	assert_false(store_uuid_valid("0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8"));
	assert_false(store_uuid_valid(SID1 "0"));
	assert_false(store_uuid_valid("0b1c2d3e-4f50-4617-8829'3a4b5c6d7e8f"));
	assert_false(store_uuid_valid("0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8g"));
}

static void test_revoke_payload(void **state)
{
	int64_t id = 0;
	const char *reason = NULL;

	assert_true(store_parse_revoke_payload("42", &id, &reason));
	assert_int_equal(id, 42);
	assert_string_equal(reason, "");
	assert_true(store_parse_revoke_payload("7 key leaked", &id, &reason));
	assert_int_equal(id, 7);
	assert_string_equal(reason, "key leaked");
	assert_false(store_parse_revoke_payload("", &id, &reason));
	assert_false(store_parse_revoke_payload(NULL, &id, &reason));
	assert_false(store_parse_revoke_payload("-3 x", &id, &reason));
	assert_false(store_parse_revoke_payload("0", &id, &reason));
	assert_false(store_parse_revoke_payload("12x", &id, &reason));
	assert_false(store_parse_revoke_payload(" 12", &id, &reason));
	assert_false(
	    store_parse_revoke_payload("99999999999999999999", &id, &reason));
}

static void test_pg_params(void **state)
{
	const char *kw[STORE_PG_PARAMS + 1];
	const char *val[STORE_PG_PARAMS + 1];
	size_t i, dbname = 0, enc = 0;

	store_pg_params("host=x", "app", kw, val);
	for (i = 0; kw[i] != NULL; i++) {
		if (strcmp(kw[i], "dbname") == 0)
			dbname = i;
		if (strcmp(kw[i], "client_encoding") == 0)
			enc = i;
	}
	assert_int_equal(i, STORE_PG_PARAMS);
	assert_string_equal(val[dbname], "host=x");
	/* What we insist on comes after the DSN, defaults before it. */
	assert_true(enc > dbname);
	assert_string_equal(val[enc], "UTF8");
	assert_string_equal(kw[0], "fallback_application_name");
}

/* ------------------------------------------------------------ migrations */

static void test_migrations_compiled(void **state)
{
	char err[256];
	size_t i;

	assert_true(store_migrations_count >= 1);
	assert_true(store_migrations_check(store_migrations,
	                                   store_migrations_count, err,
	                                   sizeof(err)));
	assert_int_equal(store_migrations[0].version, 1);
	assert_string_equal(store_migrations[0].name, "001_init");
	assert_non_null(strstr(store_migrations[0].sql, "CREATE TABLE agents"));
	assert_int_equal(strlen(store_migrations[0].sql), store_migrations[0].len);
	for (i = 1; i < store_migrations_count; i++)
		assert_true(store_migrations[i].version >
		            store_migrations[i - 1].version);
	assert_int_equal(store_migrations_latest(),
	                 store_migrations[store_migrations_count - 1].version);
	assert_null(store_migrations[store_migrations_count].name);
}

static void test_migrations_check_rejects(void **state)
{
	char err[256];
	const struct store_migration out_of_order[] = {
	    {2, "002_b", "", 0},
	    {1, "001_a", "", 0},
	};
	const struct store_migration duplicate[] = {
	    {1, "001_a", "", 0},
	    {1, "001_b", "", 0},
	};
	const struct store_migration misnamed[] = {
	    {1, "002_a", "", 0},
	};
	const struct store_migration gap_ok[] = {
	    {1, "001_a", "", 0},
	    {3, "003_c", "", 0},
	};

	assert_false(store_migrations_check(out_of_order, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "out of order"));
	assert_false(store_migrations_check(duplicate, 2, err, sizeof(err)));
	assert_false(store_migrations_check(misnamed, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "does not match"));
	assert_true(store_migrations_check(gap_ok, 2, err, sizeof(err)));
	assert_true(store_migrations_check(gap_ok, 0, err, sizeof(err)));
}

/* ------------------------------------------------------------ recorder */

static void test_queue_bound(void **state)
{
	struct store *st = detached(3, 100);
	struct store_stmt *s[4];
	struct store_session_end e = {.ended_us = 1, .reason = "client quit"};
	struct store_auth_event a = {.at_us = 1, .reason = "x"};
	struct store_session_info si = {.id = SID1, .agent_id = 1};
	struct store_stats stats;
	const char *why = NULL;
	int i;

	assert_true(store_accepting(st, &why));
	for (i = 0; i < 3; i++) {
		s[i] = begin(st, SID1, (uint64_t)i, 1, 3, "COM_QUERY",
		                        "SELECT 1", 8);
		assert_non_null(s[i]);
	}
	/* Full: statements and session starts refused, auth dropped. */
	assert_false(store_accepting(st, &why));
	assert_string_equal(why, "audit queue full");
	s[3] = begin(st, SID1, 3, 1, 3, "COM_QUERY", "SELECT 1", 8);
	assert_null(s[3]);
	assert_false(store_session_start(st, &si));
	store_auth_event(st, &a);
	/* Session ends and outcomes are never refused. */
	store_session_end(st, SID1, &e);
	store_get_stats(st, &stats);
	assert_int_equal(stats.queue_len, 4);
	assert_int_equal(stats.dropped_auth, 1);
	assert_int_equal(stats.queued, 4);
	assert_false(stats.connected);
	for (i = 0; i < 3; i++)
		store_stmt_done(st, s[i], &ok_result);
	store_get_stats(st, &stats);
	assert_int_equal(stats.queue_len, 4); /* merged in place */
	store_close(st);
}

static void test_invalid_ids_refused(void **state)
{
	struct store *st = detached(10, 100);
	struct store_session_info si = {.id = "nope"};
	struct store_session_end e = {.ended_us = 1};

	assert_false(store_session_start(st, &si));
	assert_null(begin(st, "x'); DROP TABLE agents; --", 1, 1, 3,
	                             NULL, NULL, 0));
	assert_null(begin(st, SID1, (uint64_t)INT64_MAX + 1, 1, 3,
	                             NULL, NULL, 0));
	store_session_end(st, "nope", &e);
	assert_int_equal(st->rq.q.n, 0);
	store_close(st);
}

static void test_grace(void **state)
{
	struct store *st = detached(100, 100);
	struct store_stmt *s;
	const char *why = NULL;
	size_t n;

	s = begin(st, SID1, 1, 1, 3, "COM_QUERY", "SELECT 1", 8);
	assert_non_null(s);
	fake_now += 5000;
	assert_true(store_accepting(st, &why));
	fake_now += 2001;
	assert_false(store_accepting(st, &why));
	assert_string_equal(why, "audit store unreachable for 7 s");
	/* Written: the queue is empty and statements run again. */
	(void)take(st, &n);
	assert_int_equal(n, 1);
	store_rq_batch_ok(&st->rq);
	assert_true(store_accepting(st, &why));
	store_stmt_done(st, s, &ok_result);
	store_close(st);
}

static void test_batch_sql_merged(void **state)
{
	struct store *st = detached(100, 100);
	struct store_stmt *s;
	struct store_stmt_result r = {
	    .status = STORE_STMT_ERROR,
	    .duration_us = 12,
	    .rows_affected = -1,
	    .rows_returned = -1,
	    .error_code = 1146,
	    .error_message = "Table 'x' doesn't exist",
	};
	size_t n;
	char *sql;

	/* The INSERT form of a complete statement, which records that may
	 * already be stored are sent as (test_batch_copy_merged has the
	 * COPY form). */
	st->rq.use_copy = false;
	s = store_stmt_begin(
	    st, &(struct store_stmt_info){.session_id = SID1,
	                                  .seq = 5,
	                                  .started_us = 1000002,
	                                  .command = 3,
	                                  .command_name = "COM_QUERY",
	                                  .text = "SELECT 'a\\'",
	                                  .text_len = 11,
	                                  .cls = "read",
	                                  .decision = "allow",
	                                  .policy = "agent 'bot' on *",
	                                  .reason = NULL,
	                                  .params = "[1,\"x\\y\"]"});
	store_stmt_done(st, s, &r);
	sql = take(st, &n);
	assert_int_equal(n, 1);
	assert_int_equal(st->batch_copy.len, 0);
	assert_string_equal(
	    sql,
	    "INSERT INTO statements (session_id, seq, started_at, command, "
	    "command_name, sql_text, sql_bytes, class, decision, policy, "
	    "reason, params, status, duration_us, rows_affected, "
	    "rows_returned, error_code, error_message) VALUES "
	    "('" SID1 "', 5, '1970-01-01 00:00:01.000002+00', 3, E'COM_QUERY', "
	    "E'SELECT ''a\\\\''', NULL, E'read', E'allow', "
	    "E'agent ''bot'' on *', NULL, E'[1,\"x\\\\y\"]', "
	    "'error', 12, NULL, NULL, 1146, E'Table ''x'' doesn''t exist')"
	    " ON CONFLICT (session_id, seq) DO UPDATE SET "
	    "started_at = EXCLUDED.started_at, command = EXCLUDED.command, "
	    "command_name = EXCLUDED.command_name, sql_text = EXCLUDED.sql_text, "
	    "sql_bytes = EXCLUDED.sql_bytes, class = EXCLUDED.class, "
	    "decision = EXCLUDED.decision, policy = EXCLUDED.policy, "
	    "reason = EXCLUDED.reason, params = EXCLUDED.params, "
	    "status = EXCLUDED.status, "
	    "duration_us = EXCLUDED.duration_us, "
	    "rows_affected = EXCLUDED.rows_affected, "
	    "rows_returned = EXCLUDED.rows_returned, "
	    "error_code = EXCLUDED.error_code, "
	    "error_message = EXCLUDED.error_message;\n");
	store_rq_batch_ok(&st->rq);
	assert_int_equal(st->rq.q.n, 0);
	assert_int_equal(st->rq.parked.n, 0);
	assert_int_equal(st->rq.bytes, 0);
	store_close(st);
}

static void test_batch_copy_merged(void **state)
{
	struct store *st = detached(100, 100);
	struct store_stmt *s;
	struct store_stmt_result r = {
	    .status = STORE_STMT_ERROR,
	    .duration_us = 12,
	    .rows_affected = -1,
	    .rows_returned = -1,
	    .error_code = 1146,
	    .error_message = "Table 'x'\tdoesn't exist",
	};
	static const char lossy[] = {'S', 0, (char)0xc3, '\n'};
	size_t n;
	char *sql;

	s = store_stmt_begin(
	    st, &(struct store_stmt_info){.session_id = SID1,
	                                  .seq = 5,
	                                  .started_us = 1000002,
	                                  .command = 3,
	                                  .command_name = "COM_QUERY",
	                                  .text = "SELECT 'a\\'\t1",
	                                  .text_len = 13,
	                                  .cls = "write",
	                                  .decision = "review",
	                                  .policy = "built-in default",
	                                  .reason = "needs\ta review",
	                                  .params = "[\"\\n\"]"});
	store_stmt_done(st, s, &r);
	s = begin(st, SID1, 6, -1, 3, NULL, lossy, sizeof(lossy));
	store_stmt_done(st, s, &ok_result);
	s = begin(st, SID1, 7, INT64_MAX, 1, "COM_QUIT", NULL, 0);
	store_stmt_done(st, s,
	                &(struct store_stmt_result){.status = STORE_STMT_ABORTED,
	                                            .duration_us = -1,
	                                            .rows_affected = 0,
	                                            .rows_returned = -1});
	sql = take(st, &n);
	assert_int_equal(n, 3);
	/* Nothing but the COPY: every record is a complete statement. */
	assert_string_equal(
	    sql, "COPY statements (session_id, seq, started_at, command, "
	         "command_name, sql_text, sql_bytes, class, decision, policy, "
	         "reason, params, status, duration_us, rows_affected, "
	         "rows_returned, error_code, error_message) FROM STDIN "
	         "(FORMAT binary);\n");
	assert_string_equal(
	    copy_str(st),
	    SID1 "\t5\t1970-01-01 00:00:01.000002+00\t3\tCOM_QUERY\t"
	         "SELECT 'a\\\\'\\t1\t\\N\twrite\treview\tbuilt-in default\t"
	         "needs\\ta review\t[\"\\\\n\"]\terror\t12\t\\N\t\\N\t1146\t"
	         "Table 'x'\\tdoesn't exist\n" SID1
	         "\t6\t1969-12-31 23:59:59.999999+00\t3\t\\N\t"
	         "S\xef\xbf\xbd\xef\xbf\xbd\\n\t\\\\x5300c30a\t\\N\t\\N\t\\N\t"
	         "\\N\t\\N\tok\t1500\t\\N\t3\t\\N\t\\N\n" SID1
	         "\t7\t\\N\t1\tCOM_QUIT\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t"
	         "aborted\t\\N\t0\t\\N\t\\N\t\\N\n");
	store_rq_batch_ok(&st->rq);
	assert_int_equal(st->rq.q.n, 0);
	assert_int_equal(st->rq.written, 3);
	assert_int_equal(st->rq.bytes, 0);
	store_close(st);
}

/* A batch's COPY rows go STORE_COPY_PART_ROWS at a time, one COPY
 * statement each, in queue order; other records follow the COPYs. */
static void test_take_copy_parts(void **state)
{
	enum { N = 2 * STORE_COPY_PART_ROWS + 3 };
	struct store *st = detached(1000, 1000);
	struct core_buf want = {0}, sql = {0};
	size_t n, i;

	for (i = 1; i <= N; i++) {
		struct store_stmt *s = begin(st, SID1, i, 0, 3, "COM_QUERY",
		                             "SELECT 1", 8);

		store_stmt_done(st, s, &ok_result);
		core_buf_printf(&want,
		                SID1 "\t%zu\t1970-01-01 00:00:00.000000+00\t3\t"
		                     "COM_QUERY\tSELECT 1\t\\N\t\\N\t\\N\t\\N\t\\N\t"
		                     "\\N\tok\t1500\t\\N\t3\t\\N\t\\N\n",
		                i);
	}
	store_session_end(st, SID1, &(struct store_session_end){.ended_us = 1});
	(void)take(st, &n);
	assert_int_equal(n, N + 1);
	assert_int_equal(st->rq.copy_parts, 3);
	for (i = 0; i < 3; i++)
		core_buf_append_str(&sql, STORE_COPY_STATEMENTS);
	assert_true(strncmp((const char *)st->batch_sql.data, buf_str(&sql),
	                    sql.len) == 0);
	assert_non_null(strstr((const char *)st->batch_sql.data + sql.len,
	                       "INSERT INTO sessions"));
	assert_string_equal(copy_str(st), buf_str(&want));
	store_rq_batch_ok(&st->rq);
	/* The next batch starts over: one part. */
	store_stmt_done(st, begin(st, SID2, 1, 0, 3, NULL, NULL, 0),
	                &ok_result);
	assert_string_equal(take(st, &n), STORE_COPY_STATEMENTS);
	assert_int_equal(st->rq.copy_parts, 1);
	assert_non_null(strstr(copy_str(st), SID2 "\t1\t"));
	store_rq_batch_ok(&st->rq);
	core_buf_free(&want);
	core_buf_free(&sql);
	store_close(st);
}

/* Complete statements go through COPY, young running ones stay queued,
 * old running ones are written as running, the rest as INSERTs; the
 * batch's records need not be the first of the queue. */
static void test_take_routes(void **state)
{
	struct store *st = detached(100, 100);
	struct store_stmt *young, *old, *done;
	size_t n;
	char *sql;

	assert_int_equal(st->rq.running_ms, STORE_RUNNING_AFTER_MS);
	old = begin(st, SID1, 1, 0, 3, "COM_QUERY", "SELECT old", 10);
	fake_now += STORE_RUNNING_AFTER_MS;
	young = begin(st, SID1, 2, 0, 3, "COM_QUERY", "SELECT young",
	                         12);
	done = begin(st, SID2, 1, 0, 3, "COM_QUERY", "SELECT done",
	                        11);
	store_stmt_done(st, done, &ok_result);
	store_session_end(st, SID2, &(struct store_session_end){.ended_us = 1});
	assert_int_equal(store_rq_route(&st->rq, &old->h, fake_now),
	                 REC_ROUTE_SQL);
	assert_int_equal(store_rq_route(&st->rq, &young->h, fake_now),
	                 REC_ROUTE_HOLD);
	assert_int_equal(store_rq_route(&st->rq, &young->h, fake_now - 1000),
	                 REC_ROUTE_HOLD); /* a clock that went back */
	assert_int_equal(store_rq_route(&st->rq, &done->h, fake_now),
	                 REC_ROUTE_COPY);
	assert_int_equal(st->rq.n_open, 2);
	assert_int_equal(store_rq_ready(&st->rq), 2);
	sql = take(st, &n);
	assert_int_equal(n, 3);
	assert_int_equal(st->rq.n_open, 1);
	assert_non_null(strstr(sql, "E'SELECT old', NULL, NULL, NULL, NULL, "
	                            "NULL, NULL, 'running'"));
	assert_null(strstr(sql, "young"));
	assert_non_null(strstr(copy_str(st), "\tSELECT done\t"));
	assert_null(strstr(copy_str(st), "young"));
	assert_non_null(strstr(sql, "INSERT INTO sessions (id, instance, "
	                            "ended_at"));
	/* The young one finishes while the batch is in flight: it was never
	 * taken, so the outcome merges into it. */
	store_stmt_done(st, young, &ok_result);
	assert_int_equal(st->rq.n_open, 0);
	assert_int_equal(store_rq_waiting(&st->rq), 1);
	store_rq_batch_ok(&st->rq);
	/* Only the batch's records left; the held one is still first. */
	assert_int_equal(st->rq.q.n, 1);
	assert_ptr_equal(st->rq.q.head, &young->h);
	assert_int_equal(st->rq.parked.n, 1); /* old: handle still held */
	sql = take(st, &n);
	assert_int_equal(n, 1);
	assert_string_equal(sql, STORE_COPY_STATEMENTS);
	assert_non_null(strstr(copy_str(st), "\tSELECT young\t\\N\t\\N\t\\N\t"
	                                     "\\N\t\\N\t\\N\tok\t"));
	store_rq_batch_ok(&st->rq);
	/* The old one's outcome: an update, through INSERT. */
	store_stmt_done(st, old, &ok_result);
	sql = take(st, &n);
	assert_int_equal(n, 1);
	assert_int_equal(st->batch_copy.len, 0);
	assert_non_null(strstr(sql, "INSERT INTO statements (session_id, seq, "
	                            "status"));
	store_rq_batch_ok(&st->rq);
	assert_int_equal(st->rq.q.n, 0);
	assert_int_equal(st->rq.parked.n, 0);
	assert_int_equal(st->rq.bytes, 0);
	assert_int_equal(st->rq.written, 5);
	store_close(st);
}

/* Nothing but young running statements: no batch, no kick, and they wait
 * (counted against the grace by their age) until they are old enough. */
static void test_take_holds_young(void **state)
{
	struct store *st = detached(100, 2);
	struct store_stmt *s[3];
	const char *why = NULL;
	size_t n;
	int i;

	for (i = 0; i < 3; i++)
		s[i] = begin(st, SID1, (uint64_t)i + 1, 0, 3,
		                        "COM_QUERY", "SELECT 1", 8);
	assert_int_equal(store_rq_waiting(&st->rq), 3);
	assert_int_equal(store_rq_ready(&st->rq), 0);
	(void)take(st, &n);
	assert_int_equal(n, 0);
	assert_int_equal(st->rq.n_taken, 0);
	assert_int_equal(st->rq.batches, 0);
	/* The grace counts them: a detached store never writes them. */
	fake_now += 5001;
	assert_false(store_accepting(st, &why));
	assert_string_equal(why, "audit store unreachable for 5 s");
	/* Old now: written as running, batch_size at a time. */
	(void)take(st, &n);
	assert_int_equal(n, 2);
	assert_int_equal(st->rq.n_open, 1);
	/* Lost with the connection: back among the waiting, in place. */
	store_rq_batch_retry(&st->rq);
	assert_int_equal(st->rq.n_open, 3);
	assert_true(st->rq.q.head->uncertain);
	assert_false(st->rq.q.tail->uncertain);
	for (i = 0; i < 3; i++)
		store_stmt_done(st, s[i], &ok_result);
	assert_int_equal(st->rq.n_open, 0);
	/* Complete now, but maybe stored: the first two as upserts. */
	assert_int_equal(store_rq_route(&st->rq, st->rq.q.head, fake_now),
	                 REC_ROUTE_SQL);
	assert_int_equal(store_rq_route(&st->rq, st->rq.q.tail, fake_now),
	                 REC_ROUTE_COPY);
	(void)take(st, &n);
	assert_int_equal(n, 2);
	assert_int_equal(st->batch_copy.len, 0);
	store_rq_batch_ok(&st->rq);
	(void)take(st, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(copy_str(st), "\tok\t"));
	store_rq_batch_ok(&st->rq);
	assert_true(store_accepting(st, &why));
	store_close(st);
}

/* Shutdown holds nothing back; a short grace shortens the hold. */
static void test_take_flush_all_and_grace(void **state)
{
	struct store *st = detached(100, 100);
	struct cfg_store c = small_cfg(100, 100);
	struct store_rq rq;
	size_t n;
	char *sql;

	(void)begin(st, SID1, 1, 0, 3, "COM_QUERY", "SELECT 1", 8);
	(void)take(st, &n);
	assert_int_equal(n, 0);
	st->rq.flush_all = true;
	sql = take(st, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(sql, "'running'"));
	store_rq_batch_ok(&st->rq);
	store_close(st);

	c.grace = 600;
	store_rq_init(&rq, &c);
	assert_int_equal(rq.running_ms, 300);
	store_rq_free(&rq);
	c.grace = 0;
	store_rq_init(&rq, &c);
	assert_int_equal(rq.running_ms, 0);
	store_rq_free(&rq);
}

/* A refused batch is resent one record at a time through INSERT, so that a
 * row already stored (a duplicate key for COPY) is an upsert, not a loss. */
static void test_rejected_copy_salvaged_as_insert(void **state)
{
	struct store *st = detached(100, 100);
	struct store_stmt *held, *s;
	size_t n;
	char *sql;
	int i;

	held = begin(st, SID2, 1, 0, 3, "COM_QUERY", "SELECT h", 8);
	for (i = 0; i < 3; i++) {
		s = begin(st, SID1, (uint64_t)i + 1, 0, 3, "COM_QUERY",
		                     "SELECT 1", 8);
		store_stmt_done(st, s, &ok_result);
	}
	sql = take(st, &n);
	assert_int_equal(n, 3);
	assert_string_equal(sql, STORE_COPY_STATEMENTS);
	store_rq_batch_rejected(&st->rq, "23505: duplicate key value");
	assert_int_equal(st->rq.salvage, 3);
	assert_int_equal(st->rq.n_open, 1);
	for (i = 0; i < 3; i++) {
		sql = take(st, &n);
		assert_int_equal(n, 1);
		assert_int_equal(st->batch_copy.len, 0);
		assert_non_null(strstr(sql, "ON CONFLICT (session_id, seq) DO "
		                            "UPDATE"));
		if (i == 1) {
			/* Refused alone: dropped, and the held one stays. */
			store_rq_batch_rejected(&st->rq, "22000: data");
			continue;
		}
		store_rq_batch_ok(&st->rq);
	}
	assert_int_equal(st->rq.salvage, 0);
	assert_int_equal(st->rq.dropped_invalid, 1);
	assert_int_equal(st->rq.q.n, 1);
	assert_ptr_equal(st->rq.q.head, &held->h);
	store_stmt_done(st, held, &ok_result);
	sql = take(st, &n);
	assert_int_equal(n, 1);
	assert_string_equal(sql, STORE_COPY_STATEMENTS);
	store_rq_batch_ok(&st->rq);
	store_close(st);
}

static void test_batch_groups_and_lossy_text(void **state)
{
	struct store *st = detached(100, 100);
	struct store_session_info si = {
	    .id = SID1,
	    .agent_id = 7,
	    .agent_name = "bot",
	    .idp = "corp",
	    .issuer = "https://i",
	    .subject = "sub",
	    .connection = "orders",
	    .client_addr = "127.0.0.1:5",
	    .tls_version = NULL,
	    .started_us = 0,
	};
	struct store_session_end e = {
	    .ended_us = 0,
	    .reason = "client quit",
	    .bytes_from_client = UINT64_MAX,
	    .bytes_to_client = 9,
	    .statements = 1,
	};
	struct store_auth_event a = {
	    .at_us = 0,
	    .success = false,
	    .reason = "unknown agent",
	    .client_addr = "::1",
	    .listener = "main",
	    .connection = "orders",
	    .agent_id = 0,
	    .session_id = NULL,
	};
	static const char lossy[] = {'S', 0, (char)0xc3};
	struct store_stmt *s;
	size_t n;
	char *sql, *p_start, *p_end, *p_stmt, *p_auth;

	/* Queued in an order different from the groups' order. */
	store_auth_event(st, &a);
	store_session_end(st, SID1, &e);
	s = begin(st, SID1, 1, 0, 3, NULL, lossy, sizeof(lossy));
	assert_true(store_session_start(st, &si));
	/* Running long enough to be written as running. */
	age_past_running(st);
	sql = take(st, &n);
	assert_int_equal(st->batch_copy.len, 0);
	assert_int_equal(n, 4);
	p_start = strstr(sql, "INSERT INTO sessions (id, instance, agent_id");
	p_end = strstr(sql, "INSERT INTO sessions (id, instance, ended_at");
	p_stmt = strstr(sql, "INSERT INTO statements");
	p_auth = strstr(sql, "INSERT INTO auth_events");
	assert_non_null(p_start);
	assert_non_null(p_end);
	assert_non_null(p_stmt);
	assert_non_null(p_auth);
	/* Starts before ends before statements before auth events. */
	assert_true(p_start < p_end && p_end < p_stmt && p_stmt < p_auth);
	assert_non_null(strstr(
	    sql, "('" SID1 "', E'gw''1', 7, E'bot', E'corp', E'https://i', "
	         "E'sub', E'orders', E'127.0.0.1:5', NULL, "
	         "'1970-01-01 00:00:00.000000+00', NULL, false)"));
	assert_non_null(strstr(sql, "E'client quit', 9223372036854775807, 9, "
	                            "1)"));
	assert_non_null(strstr(sql, "NULL, E'S\xef\xbf\xbd\xef\xbf\xbd', "
	                            "E'\\\\x5300c3', NULL, NULL, NULL, NULL, "
	                            "NULL, 'running', NULL"));
	assert_non_null(strstr(sql, ", E'gw''1', false, E'unknown agent', "
	                            "E'::1', E'main', E'orders', NULL, NULL, "
	                            "NULL, NULL, NULL)"));
	assert_non_null(strstr(sql, "ON CONFLICT (event_id) DO NOTHING"));
	store_rq_batch_ok(&st->rq);
	/* The statement's handle is still held: parked, not freed. */
	assert_int_equal(st->rq.q.n, 0);
	assert_int_equal(st->rq.parked.n, 1);
	store_stmt_done(st, s, &ok_result);
	assert_int_equal(st->rq.parked.n, 0);
	sql = take(st, &n);
	assert_int_equal(n, 1);
	assert_string_equal(
	    sql,
	    "INSERT INTO statements (session_id, seq, status, duration_us, "
	    "rows_affected, rows_returned, error_code, error_message) VALUES "
	    "('" SID1 "', 1, 'ok', 1500, NULL, 3, NULL, NULL)"
	    " ON CONFLICT (session_id, seq) DO UPDATE SET "
	    "status = EXCLUDED.status, duration_us = EXCLUDED.duration_us, "
	    "rows_affected = EXCLUDED.rows_affected, "
	    "rows_returned = EXCLUDED.rows_returned, "
	    "error_code = EXCLUDED.error_code, "
	    "error_message = EXCLUDED.error_message;\n");
	store_rq_batch_ok(&st->rq);
	assert_int_equal(st->rq.written, 5);
	assert_int_equal(st->rq.bytes, 0);
	store_close(st);
}

static void test_done_while_in_flight(void **state)
{
	struct store *st = detached(100, 100);
	struct store_stmt *s1, *s2;
	size_t n;
	char *sql;

	s1 = begin(st, SID1, 1, 0, 3, "COM_QUERY", "SELECT 1", 8);
	age_past_running(st);
	(void)take(st, &n);
	assert_int_equal(n, 1);
	/* Taken: the outcome becomes an update queued behind it. */
	store_stmt_done(st, s1, &ok_result);
	assert_int_equal(st->rq.q.n, 2);
	assert_int_equal(store_rq_waiting(&st->rq), 1);
	/* No second batch while one is in flight. */
	(void)take(st, &n);
	assert_int_equal(n, 0);
	/* The batch is lost with the connection: both go again, begin
	 * first. */
	store_rq_batch_retry(&st->rq);
	assert_int_equal(st->rq.batch_failures, 1);
	s2 = begin(st, SID1, 2, 0, 3, "COM_QUERY", "SELECT 2", 8);
	store_stmt_done(st, s2, &ok_result); /* merged: not taken */
	sql = take(st, &n);
	assert_int_equal(n, 3);
	assert_non_null(strstr(sql, "'running'"));
	assert_true(strstr(sql, "E'SELECT 1'") <
	            strstr(sql, "INSERT INTO statements (session_id, seq, status"));
	/* The complete one goes through COPY, the others after it. */
	assert_true(strncmp(sql, STORE_COPY_STATEMENTS,
	                    strlen(STORE_COPY_STATEMENTS)) == 0);
	assert_non_null(strstr(copy_str(st), "\tSELECT 2\t\\N\t\\N\t\\N\t"
	                                     "\\N\t\\N\t\\N\tok\t1500\t"));
	assert_null(strstr(copy_str(st), "SELECT 1"));
	store_rq_batch_ok(&st->rq);
	assert_int_equal(st->rq.q.n, 0);
	assert_int_equal(st->rq.parked.n, 0);
	assert_int_equal(st->rq.bytes, 0);
	store_close(st);
}

static void test_batch_size_and_kick(void **state)
{
	struct store *st = detached(100, 3);
	size_t n;
	int i;

	for (i = 0; i < 7; i++)
		store_session_end(st, SID1, &(struct store_session_end){.ended_us = i});
	(void)take(st, &n);
	assert_int_equal(n, 3);
	store_rq_batch_ok(&st->rq);
	(void)take(st, &n);
	assert_int_equal(n, 3);
	store_rq_batch_ok(&st->rq);
	(void)take(st, &n);
	assert_int_equal(n, 1);
	store_rq_batch_ok(&st->rq);
	(void)take(st, &n);
	assert_int_equal(n, 0);
	assert_int_equal(st->rq.batches, 3);
	store_close(st);
}

static void test_large_text_heap(void **state)
{
	struct store *st = detached(100, 100);
	size_t len = STORE_INLINE_TEXT_MAX + 10;
	char *text = malloc(len);
	struct store_stmt *s;
	size_t n;

	memset(text, 'x', len);
	s = begin(st, SID1, 1, 0, 3, "COM_QUERY", text, len);
	/* The caller's buffer is not referenced after the call. */
	memset(text, 'y', len);
	free(text);
	assert_non_null(s->text_heap);
	assert_true(st->rq.bytes >= len);
	age_past_running(st);
	(void)take(st, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr((char *)st->batch_sql.data, "xxxxxxxx"));
	assert_null(strstr((char *)st->batch_sql.data, "yy"));
	store_rq_batch_ok(&st->rq);
	/* Parked without its text. */
	assert_null(s->text_heap);
	assert_int_equal(st->rq.bytes, 0);
	store_stmt_done(st, s, &ok_result);
	store_close(st);
}

static void test_rejected_batch_salvage(void **state)
{
	struct store *st = detached(100, 100);
	struct store_stmt *s;
	size_t n;
	int i;

	for (i = 0; i < 3; i++)
		store_session_end(st, SID1, &(struct store_session_end){.ended_us = i});
	s = begin(st, SID2, 1, 0, 3, "COM_QUERY", "SELECT 1", 8);
	age_past_running(st);
	(void)take(st, &n);
	assert_int_equal(n, 4);
	store_rq_batch_rejected(&st->rq, "21000: cannot affect row a second time");
	assert_int_equal(st->rq.salvage, 4);
	/* One at a time now. */
	(void)take(st, &n);
	assert_int_equal(n, 1);
	store_rq_batch_ok(&st->rq);
	(void)take(st, &n);
	assert_int_equal(n, 1);
	store_rq_batch_retry(&st->rq); /* a connection loss does not count */
	(void)take(st, &n);
	assert_int_equal(n, 1);
	store_rq_batch_rejected(&st->rq, "23514: check violation");
	assert_int_equal(st->rq.dropped_invalid, 1);
	(void)take(st, &n);
	assert_int_equal(n, 1);
	store_rq_batch_ok(&st->rq);
	/* The statement is the last one; dropping it parks its handle. */
	(void)take(st, &n);
	assert_int_equal(n, 1);
	store_rq_batch_rejected(&st->rq, "22000: data");
	assert_int_equal(st->rq.dropped_invalid, 2);
	assert_int_equal(st->rq.salvage, 0);
	assert_int_equal(st->rq.parked.n, 1);
	store_stmt_done(st, s, &ok_result);
	assert_int_equal(st->rq.parked.n, 0);
	assert_int_equal(st->rq.q.n, 1);
	/* Back to full batches. */
	store_session_end(st, SID1, &(struct store_session_end){.ended_us = 9});
	(void)take(st, &n);
	assert_int_equal(n, 2);
	store_rq_batch_ok(&st->rq);
	store_close(st);
}

static void test_close_frees_outstanding(void **state)
{
	struct store *st = detached(100, 100);
	struct store_stmt *s;
	size_t n;

	/* A parked handle and queued records at close: nothing leaks. */
	s = begin(st, SID1, 1, 0, 3, "COM_QUERY", "SELECT 1", 8);
	age_past_running(st);
	(void)take(st, &n);
	store_rq_batch_ok(&st->rq);
	assert_int_equal(st->rq.parked.n, 1);
	(void)s;
	(void)begin(st, SID1, 2, 0, 3, "COM_QUERY", "SELECT 2", 8);
	store_close(st);
}

static int lookup_calls;
static enum store_agent_status lookup_status;

static void count_lookup_cb(void *arg, enum store_agent_status status,
                            const struct store_agent *agent)
{
	lookup_calls++;
	lookup_status = status;
}

static void test_lookup_without_connection(void **state)
{
	struct cfg_store c = small_cfg(100, 10);
	struct store *st = store_new_detached(&c, "gw");
	struct store_op *op1, *op2;

	lookup_calls = 0;
	op1 = store_lookup_agent(st, "corp", "sub", "orders", count_lookup_cb,
	                         NULL);
	op2 = store_lookup_agent(st, "corp", "s\xff", "orders", count_lookup_cb,
	                         NULL);
	/* Never called from inside the call. */
	assert_int_equal(lookup_calls, 0);
	assert_int_equal(st->lk_done.n, 2);
	store_op_cancel(op1);
	assert_int_equal(st->lk_done.n, 1);
	assert_int_equal(op2->status, STORE_AGENT_UNKNOWN);
	store_close(st);
}

/* ------------------------------------------------------ new columns */

static void test_session_groups_sql(void **state)
{
	struct store *st = detached(100, 100);
	static const char *const groups[] = {"etl", "o'x,{y}", "caf\xc3\xa9"};
	struct store_session_info si = {
	    .id = SID1,
	    .agent_id = 1,
	    .groups = groups,
	    .n_groups = 3,
	    .read_only = true,
	};
	size_t n;
	char *sql;

	assert_true(store_session_start(st, &si));
	/* No groups at all, and an empty list: NULL and {}. */
	memcpy(si.id, SID2, 37);
	si.groups = NULL;
	si.n_groups = 2; /* ignored without the array */
	si.read_only = false;
	assert_true(store_session_start(st, &si));
	si.groups = groups;
	si.n_groups = 0;
	assert_true(store_session_start(st, &si));
	sql = take(st, &n);
	assert_int_equal(n, 3);
	assert_non_null(strstr(sql, "started_at, groups, read_only) VALUES "));
	assert_non_null(strstr(sql, ", ARRAY[E'etl', E'o''x,{y}', "
	                            "E'caf\xc3\xa9']::text[], true)"));
	assert_non_null(strstr(sql, "+00', NULL, false)"));
	assert_non_null(strstr(sql, "+00', '{}'::text[], false)"));
	assert_non_null(strstr(sql, "groups = EXCLUDED.groups, "
	                            "read_only = EXCLUDED.read_only;"));
	store_rq_batch_ok(&st->rq);
	assert_int_equal(st->rq.bytes, 0);
	store_close(st);
}

/* Large parameters share the text's own allocation, released once the
 * record is written. */
static void test_large_params_heap(void **state)
{
	struct store *st = detached(100, 100);
	size_t len = STORE_INLINE_TEXT_MAX;
	char *params = malloc(len + 1);
	struct store_stmt *s;
	size_t n;

	memset(params, 'p', len);
	params[len] = '\0';
	s = store_stmt_begin(st, &(struct store_stmt_info){
	                             .session_id = SID1,
	                             .seq = 1,
	                             .command = 23,
	                             .command_name = "COM_STMT_EXECUTE",
	                             .text = "SELECT ?",
	                             .text_len = 8,
	                             .params = params,
	                         });
	free(params);
	assert_non_null(s);
	assert_non_null(s->text_heap);
	assert_int_equal(strlen(s->params), len);
	age_past_running(st);
	(void)take(st, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr((char *)st->batch_sql.data,
	                       "E'SELECT ?', NULL, NULL, NULL, NULL, NULL, "
	                       "E'pppp"));
	store_rq_batch_ok(&st->rq);
	assert_null(s->text_heap);
	assert_null(s->params);
	store_stmt_done(st, s, &ok_result);
	store_close(st);
}

/* ------------------------------------------------------ durable, offline */

struct pg_fixture;

struct durable_seen {
	int calls;
	bool ok;
	char why[128];
	/* Set by tests that check the row from inside the callback. */
	struct pg_fixture *f;
	char row[256];
};

static void durable_cb(void *arg, bool ok, const char *why)
{
	struct durable_seen *d = arg;

	d->calls++;
	d->ok = ok;
	snprintf(d->why, sizeof(d->why), "%s", why ? why : "");
}

static const struct store_stmt_info write_info = {
    .session_id = SID1,
    .seq = 1,
    .started_us = 1714564800000000LL,
    .command = 3,
    .command_name = "COM_QUERY",
    .text = "UPDATE t SET a = 1",
    .text_len = 18,
    .cls = "write",
    .decision = "allow",
    .policy = "group 'etl' on orders",
    .reason = NULL,
    .params = NULL,
};

static const struct store_stmt_result refused_result = {
    .status = STORE_STMT_REFUSED,
    .duration_us = -1,
    .rows_affected = -1,
    .rows_returned = -1,
    .error_code = 1290,
    .error_message = "audit store unreachable",
};

/* Without a connection: failed, from the dispatch (never inside the call),
 * and the record then goes through the ordinary queue, once, by COPY. */
static void test_durable_unreachable_detached(void **state)
{
	struct store *st = detached(100, 100);
	struct durable_seen seen = {0};
	struct store_stmt *s;
	size_t n;

	s = store_stmt_begin_durable(st, &write_info, durable_cb, &seen);
	assert_non_null(s);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(s->h.where, REC_DURABLE);
	assert_int_equal(st->rq.q.n, 0);
	store_dispatch(st);
	assert_int_equal(seen.calls, 1);
	assert_false(seen.ok);
	assert_string_equal(seen.why, STORE_WHY_UNREACHABLE);
	/* Back in the queue, running, the handle still live. */
	assert_int_equal(s->h.where, REC_QUEUED);
	assert_null(s->dur);
	assert_int_equal(st->rq.q.n, 1);
	assert_int_equal(st->rq.n_open, 1);
	store_stmt_done(st, s, &refused_result);
	store_dispatch(st);
	assert_int_equal(seen.calls, 1);
	(void)take(st, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(copy_str(st), "\tUPDATE t SET a = 1\t\\N\twrite\t"
	                                     "allow\tgroup 'etl' on orders\t\\N\t"
	                                     "\\N\trefused\t"));
	store_rq_batch_ok(&st->rq);
	assert_int_equal(st->durable_failed, 1);
	/* Invalid ids: NULL, no callback. */
	assert_null(store_stmt_begin_durable(
	    st, &(struct store_stmt_info){.session_id = "x"}, durable_cb, &seen));
	store_dispatch(st);
	assert_int_equal(seen.calls, 1);
	store_close(st);
}

/* store_stmt_done before the callback ran: the callback never runs. */
static void test_durable_done_cancels(void **state)
{
	struct store *st = detached(100, 100);
	struct durable_seen seen = {0};
	struct store_stmt *s;
	size_t n;

	s = store_stmt_begin_durable(st, &write_info, durable_cb, &seen);
	assert_non_null(s);
	assert_int_equal(st->dur_done.n, 1);
	store_stmt_done(st, s,
	                &(struct store_stmt_result){.status = STORE_STMT_ABORTED,
	                                            .duration_us = -1,
	                                            .rows_affected = -1,
	                                            .rows_returned = -1});
	assert_int_equal(st->dur_done.n, 0);
	store_dispatch(st);
	assert_int_equal(seen.calls, 0);
	(void)take(st, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(copy_str(st), "\taborted\t"));
	store_rq_batch_ok(&st->rq);
	store_close(st);
}

/* A full queue: failed with that reason; the record still goes (beyond
 * the bound, one per session) so that the refusal is recorded. */
static void test_durable_queue_full(void **state)
{
	struct store *st = detached(1, 100);
	struct durable_seen seen = {0};
	struct store_stmt *s;

	store_session_end(st, SID2, &(struct store_session_end){.ended_us = 1});
	assert_true(store_rq_full(&st->rq));
	s = store_stmt_begin_durable(st, &write_info, durable_cb, &seen);
	assert_non_null(s);
	store_dispatch(st);
	assert_int_equal(seen.calls, 1);
	assert_false(seen.ok);
	assert_string_equal(seen.why, STORE_WHY_QUEUE_FULL);
	assert_int_equal(st->rq.q.n, 2);
	store_stmt_done(st, s, &refused_result);
	store_close(st);
}

static void test_durable_sql(void **state)
{
	struct store_stmt *a = store_rq_stmt_new(&write_info);
	struct store_stmt_info info = write_info;
	struct store_stmt *b = NULL;
	struct core_buf sql = {0};

	info.seq = 2;
	info.text = NULL;
	info.cls = NULL;
	info.params = "[1]";
	b = store_rq_stmt_new(&info);
	store_rq_durable_row(&sql, a, 0);
	store_rq_durable_row(&sql, b, 1);
	store_rq_durable_end(&sql);
	assert_string_equal(
	    (char *)sql.data,
	    "INSERT INTO statements (session_id, seq, started_at, command, "
	    "command_name, sql_text, sql_bytes, class, decision, policy, "
	    "reason, params, status, duration_us, rows_affected, "
	    "rows_returned, error_code, error_message) VALUES "
	    "('" SID1 "', 1, '2024-05-01 12:00:00.000000+00', 3, E'COM_QUERY', "
	    "E'UPDATE t SET a = 1', NULL, E'write', E'allow', "
	    "E'group ''etl'' on orders', NULL, NULL, "
	    "'running', NULL, NULL, NULL, NULL, NULL),\n"
	    "('" SID1 "', 2, '2024-05-01 12:00:00.000000+00', 3, E'COM_QUERY', "
	    "NULL, NULL, NULL, E'allow', E'group ''etl'' on orders', NULL, "
	    "E'[1]', 'running', NULL, NULL, NULL, NULL, NULL) "
	    "ON CONFLICT (session_id, seq) DO NOTHING");
	core_buf_free(&sql);
	free(a);
	free(b);
}

/* ------------------------------------------------ queries and LISTEN */

struct notify_seen {
	int calls;
	int reloads;           /* calls with payload NULL */
	int payloads;
	char last[128];
};

static void notify_cb(void *arg, const char *payload)
{
	struct notify_seen *n = arg;

	n->calls++;
	if (payload == NULL) {
		n->reloads++;
		return;
	}
	n->payloads++;
	snprintf(n->last, sizeof(n->last), "%s", payload);
}

struct rows_seen {
	int calls;
	bool ok;
	char err[256];
	size_t nrows, ncols;
	char cells[16][64];
	bool null[16];
};

static void rows_cb(void *arg, bool ok, const char *err, size_t nrows,
                    size_t ncols, const char *const *cells)
{
	struct rows_seen *r = arg;
	size_t i;

	r->calls++;
	r->ok = ok;
	snprintf(r->err, sizeof(r->err), "%s", err ? err : "");
	r->nrows = nrows;
	r->ncols = ncols;
	for (i = 0; i < nrows * ncols && i < 16; i++) {
		r->null[i] = cells[i] == NULL;
		snprintf(r->cells[i], sizeof(r->cells[i]), "%s",
		         cells[i] ? cells[i] : "");
	}
}

static void test_query_without_connection(void **state)
{
	struct store *st = detached(100, 100);
	struct rows_seen r[2];
	const char *params[2] = {"a", NULL};
	struct store_op *op;

	memset(r, 0, sizeof(r));
	(void)store_query(st, "SELECT $1, $2", 2, params, rows_cb, &r[0]);
	op = store_query(st, "SELECT 1", 0, NULL, rows_cb, &r[1]);
	assert_int_equal(r[0].calls, 0);
	store_op_cancel(op);
	store_dispatch(st);
	assert_int_equal(r[0].calls, 1);
	assert_false(r[0].ok);
	assert_string_equal(r[0].err, "PostgreSQL unreachable");
	assert_int_equal(r[1].calls, 0);
	store_close(st);
}

static void test_channel_names(void **state)
{
	struct store *st = detached(100, 100);
	char long_name[STORE_CHANNEL_MAX + 2];

	assert_true(store_channel_valid("agentgate_policy"));
	assert_true(store_channel_valid("_x9"));
	assert_false(store_channel_valid(NULL));
	assert_false(store_channel_valid(""));
	assert_false(store_channel_valid("Policy"));
	assert_false(store_channel_valid("9x"));
	assert_false(store_channel_valid("a-b"));
	assert_false(store_channel_valid("a;NOTIFY b"));
	assert_false(store_channel_valid("a b"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(store_channel_valid(long_name));
	long_name[STORE_CHANNEL_MAX] = '\0';
	assert_true(store_channel_valid(long_name));
	assert_false(store_listen(st, "x;y", notify_cb, NULL));
	assert_false(store_listen(st, "Upper", notify_cb, NULL));
	store_close(st);
}

/* ------------------------------------------------------------ PostgreSQL */

static char *q1(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	char *v = NULL;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "query failed: %s: %s", sql, PQerrorMessage(pg));
		PQclear(res);
		fail();
	}
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = core_xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

static void q1_expect(PGconn *pg, const char *sql, const char *want)
{
	char *v = q1(pg, sql);

	if (want == NULL)
		assert_null(v);
	else {
		assert_non_null(v);
		assert_string_equal(v, want);
	}
	free(v);
}

static bool loop_until_written(struct pg_fixture *f, int ms)
{
	uint64_t end = core_mono_ms() + (uint64_t)ms;
	struct timeval tick = {0, 5000};

	while (f->st->rq.q.n > 0) {
		if (core_mono_ms() > end)
			return false;
		event_base_loopexit(f->base, &tick);
		event_base_dispatch(f->base);
	}
	return true;
}

static void run_loop_ms(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int pg_setup(void **state)
{
	return pg_fixture_setup(state, true);
}

static int pg_setup_empty(void **state)
{
	return pg_fixture_setup(state, false);
}

static int pg_teardown(void **state)
{
	return pg_fixture_teardown(state);
}

static struct store *pg_open(struct pg_fixture *f, long long batch,
                             uint64_t reconnect_ms)
{
	struct cfg_store c = {
	    .dsn = f->dsn,
	    .queue_size = 1000,
	    .batch_size = batch,
	    .flush_interval = 20,
	    .grace = 5000,
	    .reconnect_interval = reconnect_ms,
	};
	char err[512] = "";
	struct store *st = store_open(f->base, &c, "test-gw", err, sizeof(err));

	if (st == NULL)
		fprintf(stderr, "store_open: %s\n", err);
	assert_non_null(st);
	return st;
}

static void admin_ok(bool ok, const char *err)
{
	if (!ok)
		fprintf(stderr, "admin: %s\n", err);
	assert_true(ok);
}

static void test_pg_migrate_and_admin(void **state)
{
	struct pg_fixture *f = *state;
	char err[512];
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int v = -1;

	NEED_PG(f);
	assert_true(store_admin_schema_version(f->admin, &v, err, sizeof(err)));
	assert_int_equal(v, store_migrations_latest());
	/* Again: nothing to do. */
	out = open_memstream(&text, &len);
	assert_true(store_admin_migrate(f->admin, out, err, sizeof(err)));
	fclose(out);
	assert_non_null(strstr(text, "up to date"));
	free(text);

	admin_ok(store_admin_agent_add(f->admin, "bot-1", "corp", "s1", err,
	                               sizeof(err)),
	         err);
	assert_false(store_admin_agent_add(f->admin, "bot-1", "corp", "s2", err,
	                                   sizeof(err)));
	assert_string_equal(err, "agent 'bot-1' already exists");
	assert_false(store_admin_agent_add(f->admin, "bot-2", "corp", "s1", err,
	                                   sizeof(err)));
	assert_string_equal(err,
	                    "agent 'bot-1' already has idp 'corp' and subject 's1'");
	assert_false(store_admin_agent_add(f->admin, "a b", "corp", "s3", err,
	                                   sizeof(err)));
	assert_non_null(strstr(err, "invalid agent name 'a b'"));
	admin_ok(store_admin_grant(f->admin, "bot-1", "orders", err, sizeof(err)),
	         err);
	assert_false(
	    store_admin_grant(f->admin, "bot-1", "orders", err, sizeof(err)));
	assert_string_equal(err,
	                    "agent 'bot-1' is already granted connection 'orders'");
	assert_false(store_admin_grant(f->admin, "nobody", "orders", err,
	                               sizeof(err)));
	assert_string_equal(err, "no agent named 'nobody'");
	assert_false(store_admin_revoke_grant(f->admin, "bot-1", "crm", err,
	                                      sizeof(err)));
	assert_string_equal(err, "agent 'bot-1' has no grant for connection 'crm'");
	admin_ok(store_admin_agent_revoke(f->admin, "bot-1", "gone", err,
	                                  sizeof(err)),
	         err);
	assert_false(store_admin_agent_revoke(f->admin, "bot-1", NULL, err,
	                                      sizeof(err)));
	assert_string_equal(err, "agent 'bot-1' is already revoked");
	assert_false(store_admin_agent_revoke(f->admin, "ghost", NULL, err,
	                                      sizeof(err)));
	assert_string_equal(err, "no agent named 'ghost'");
	q1_expect(f->pg,
	          "SELECT status || '/' || revoke_reason || '/' || "
	          "(revoked_at IS NOT NULL) FROM agents WHERE name = 'bot-1'",
	          "revoked/gone/true");
	out = open_memstream(&text, &len);
	assert_true(store_admin_agent_show(f->admin, "bot-1", out, err,
	                                   sizeof(err)));
	fclose(out);
	assert_non_null(strstr(text, "status:   revoked since"));
	assert_non_null(strstr(text, ": gone"));
	assert_non_null(strstr(text, "grants:   orders"));
	free(text);
	admin_ok(store_admin_agent_restore(f->admin, "bot-1", err, sizeof(err)),
	         err);
	assert_false(
	    store_admin_agent_restore(f->admin, "bot-1", err, sizeof(err)));
	assert_string_equal(err, "agent 'bot-1' is not revoked");
	out = open_memstream(&text, &len);
	assert_true(store_admin_agent_list(f->admin, out, err, sizeof(err)));
	fclose(out);
	assert_non_null(strstr(text, "bot-1  corp  s1       active  orders"));
	free(text);
	admin_ok(store_admin_revoke_grant(f->admin, "bot-1", "orders", err,
	                                  sizeof(err)),
	         err);
}

static void test_pg_schema_missing(void **state)
{
	struct pg_fixture *f = *state;
	struct cfg_store c = small_cfg(100, 10);
	char err[512] = "";
	char want[128];

	NEED_PG(f);
	c.dsn = f->dsn;
	snprintf(want, sizeof(want),
	         "database schema is at version 0, this binary needs %d: run "
	         "agentgatectl migrate",
	         store_migrations_latest());
	assert_null(store_open(f->base, &c, "gw", err, sizeof(err)));
	assert_string_equal(err, want);
}

static void test_pg_unreachable(void **state)
{
	struct event_base *base = event_base_new();
	struct cfg_store c = small_cfg(100, 10);
	char err[512] = "";

	/* Port 1 on loopback: refused at once. */
	c.dsn = "host=127.0.0.1 port=1 connect_timeout=2";
	assert_null(store_open(base, &c, "gw", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot connect to PostgreSQL: "));
	event_base_free(base);
}

struct lookup_result {
	int calls;
	enum store_agent_status status;
	struct store_agent agent;
};

static void lookup_cb(void *arg, enum store_agent_status status,
                      const struct store_agent *agent)
{
	struct lookup_result *r = arg;

	r->calls++;
	r->status = status;
	if (agent)
		r->agent = *agent;
}

static void test_pg_lookup(void **state)
{
	struct pg_fixture *f = *state;
	struct lookup_result r[6];
	struct store_op *cancelled;
	char err[512];
	int i, all = 0;

	NEED_PG(f);
	memset(r, 0, sizeof(r));
	admin_ok(store_admin_agent_add(f->admin, "ok-bot", "corp", "s-ok", err,
	                               sizeof(err)),
	         err);
	admin_ok(store_admin_agent_add(f->admin, "rv-bot", "corp", "s-rv", err,
	                               sizeof(err)),
	         err);
	admin_ok(store_admin_grant(f->admin, "ok-bot", "orders", err, sizeof(err)),
	         err);
	admin_ok(store_admin_grant(f->admin, "rv-bot", "orders", err, sizeof(err)),
	         err);
	admin_ok(store_admin_agent_revoke(f->admin, "rv-bot", "it's over", err,
	                                  sizeof(err)),
	         err);
	f->st = pg_open(f, 100, 1000);
	(void)store_lookup_agent(f->st, "corp", "s-ok", "orders", lookup_cb, &r[0]);
	(void)store_lookup_agent(f->st, "corp", "s-ok", "crm", lookup_cb, &r[1]);
	(void)store_lookup_agent(f->st, "corp", "s-rv", "orders", lookup_cb, &r[2]);
	(void)store_lookup_agent(f->st, "other", "s-ok", "orders", lookup_cb,
	                         &r[3]);
	cancelled = store_lookup_agent(f->st, "corp", "s-ok", "orders", lookup_cb,
	                               &r[4]);
	(void)store_lookup_agent(f->st, "corp", "s-ok'; --", "orders", lookup_cb,
	                         &r[5]);
	store_op_cancel(cancelled);
	for (i = 0; i < 6; i++)
		assert_int_equal(r[i].calls, 0);
	for (i = 0; i < 200 && !all; i++) {
		run_loop_ms(f->base, 10);
		all = r[0].calls && r[1].calls && r[2].calls && r[3].calls &&
		      r[5].calls;
	}
	assert_true(all);
	assert_int_equal(r[0].status, STORE_AGENT_OK);
	assert_string_equal(r[0].agent.name, "ok-bot");
	assert_true(r[0].agent.id > 0);
	assert_int_equal(r[1].status, STORE_AGENT_NOT_GRANTED);
	assert_int_equal(r[2].status, STORE_AGENT_REVOKED);
	assert_string_equal(r[2].agent.revoke_reason, "it's over");
	assert_int_equal(r[3].status, STORE_AGENT_UNKNOWN);
	assert_int_equal(r[4].calls, 0);
	assert_int_equal(r[5].status, STORE_AGENT_UNKNOWN);
}

struct revoke_seen {
	int calls;
	int64_t id;
	char reason[128];
};

static void revoke_cb(void *arg, int64_t id, const char *reason)
{
	struct revoke_seen *r = arg;

	r->calls++;
	r->id = id;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

static int64_t agent_id(struct pg_fixture *f, const char *name)
{
	char sql[128];
	char *v;
	int64_t id;

	snprintf(sql, sizeof(sql), "SELECT id FROM agents WHERE name = '%s'",
	         name);
	v = q1(f->pg, sql);
	assert_non_null(v);
	id = strtoll(v, NULL, 10);
	free(v);
	return id;
}

static void test_pg_revoke_notify(void **state)
{
	struct pg_fixture *f = *state;
	struct revoke_seen seen = {0};
	char err[512];

	NEED_PG(f);
	admin_ok(store_admin_agent_add(f->admin, "n-bot", "corp", "s-n", err,
	                               sizeof(err)),
	         err);
	f->st = pg_open(f, 100, 1000);
	store_set_revoke_cb(f->st, revoke_cb, &seen);
	admin_ok(store_admin_agent_revoke(f->admin, "n-bot", "key leaked", err,
	                                  sizeof(err)),
	         err);
	assert_true(pg_loop_until(f->base, &seen.calls, 5000));
	assert_int_equal(seen.id, agent_id(f, "n-bot"));
	assert_string_equal(seen.reason, "key leaked");
}

static void test_pg_recorder_rows(void **state)
{
	struct pg_fixture *f = *state;
	struct store_session_info si = {
	    .id = SID1,
	    .agent_id = 7,
	    .agent_name = "bot",
	    .idp = "corp",
	    .issuer = "https://idp.example",
	    .subject = "sub'\\",
	    .connection = "orders",
	    .client_addr = "127.0.0.1:4000",
	    .tls_version = "TLSv1.3",
	    .started_us = 1714564800123456LL,
	};
	struct store_session_end e = {
	    .ended_us = 1714564801000000LL,
	    .reason = "client quit",
	    .bytes_from_client = 100,
	    .bytes_to_client = 2000,
	    .statements = 3,
	};
	struct store_auth_event a = {
	    .at_us = 1714564800000000LL,
	    .success = true,
	    .reason = "ok",
	    .client_addr = "127.0.0.1:4000",
	    .listener = "main",
	    .connection = "orders",
	    .idp = "corp",
	    .issuer = "https://idp.example",
	    .subject = "sub",
	    .agent_id = 7,
	    .session_id = SID1,
	};
	static const char exact[] = "SELECT 'a''b\\c', \"\xc3\xa9\"";
	static const char lossy[] = {'S', 'E', 'L', 0, (char)0xff, '\''};
	struct store_stmt_result err_result = {
	    .status = STORE_STMT_ERROR,
	    .duration_us = 7,
	    .rows_affected = -1,
	    .rows_returned = -1,
	    .error_code = 1064,
	    .error_message = "You have an error in your SQL syntax near ''",
	};
	struct store_stmt *s1, *s2, *s3, *s4;
	struct store_stats stats;

	NEED_PG(f);
	f->st = pg_open(f, 100, 1000);
	/* Statements still running are written as such at once here: the
	 * running row and its later update are what this test is about. */
	f->st->rq.running_ms = 0;
	assert_true(store_session_start(f->st, &si));
	store_auth_event(f->st, &a);
	s1 = begin(f->st, SID1, 1, si.started_us + 1, 3, "COM_QUERY",
	                      exact, strlen(exact));
	s2 = begin(f->st, SID1, 2, si.started_us + 2, 3, "COM_QUERY",
	                      lossy, sizeof(lossy));
	s3 = begin(f->st, SID1, 3, si.started_us + 3, 1, "COM_QUIT",
	                      NULL, 0);
	/* s1 finishes before its batch is taken: merged, and sent by COPY. */
	store_stmt_done(f->st, s1, &ok_result);
	assert_true(loop_until_written(f, 5000));
	/* s2, s3 are written as running; their outcomes become updates. */
	q1_expect(f->pg, "SELECT status FROM statements WHERE seq = 2",
	          "running");
	store_stmt_done(f->st, s2, &err_result);
	store_stmt_done(f->st, s3, &(struct store_stmt_result){
	                               .status = STORE_STMT_ABORTED,
	                               .duration_us = 0,
	                               .rows_affected = -1,
	                               .rows_returned = -1});
	/* One that is written, then finishes: its handle waits parked. */
	s4 = begin(f->st, SID1, 4, si.started_us + 4, 3, "COM_QUERY",
	                      "SELECT 4", 8);
	store_session_end(f->st, SID1, &e);
	assert_true(loop_until_written(f, 5000));
	store_stmt_done(f->st, s4, &ok_result);
	assert_true(loop_until_written(f, 5000));

	q1_expect(f->pg,
	          "SELECT instance || '|' || agent_id || '|' || agent_name || '|' "
	          "|| subject || '|' || tls_version || '|' || "
	          "to_char(started_at AT TIME ZONE 'UTC', "
	          "'YYYY-MM-DD HH24:MI:SS.US') || '|' || end_reason || '|' || "
	          "bytes_from_client || '|' || bytes_to_client || '|' || "
	          "statements FROM sessions",
	          "test-gw|7|bot|sub'\\|TLSv1.3|2024-05-01 12:00:00.123456|"
	          "client quit|100|2000|3");
	q1_expect(f->pg,
	          "SELECT sql_text || '|' || (sql_bytes IS NULL) || '|' || status "
	          "|| '|' || duration_us || '|' || coalesce(rows_affected::text, "
	          "'null') || '|' || rows_returned FROM statements WHERE seq = 1",
	          "SELECT 'a''b\\c', \"\xc3\xa9\"|true|ok|1500|null|3");
	q1_expect(f->pg,
	          "SELECT encode(sql_bytes, 'hex') || '|' || sql_text || '|' || "
	          "status || '|' || error_code || '|' || error_message "
	          "FROM statements WHERE seq = 2",
	          "53454c00ff27|SEL\xef\xbf\xbd\xef\xbf\xbd'|error|1064|"
	          "You have an error in your SQL syntax near ''");
	q1_expect(f->pg,
	          "SELECT (sql_text IS NULL) || '|' || command_name || '|' || "
	          "status FROM statements WHERE seq = 3",
	          "true|COM_QUIT|aborted");
	q1_expect(f->pg, "SELECT status FROM statements WHERE seq = 4", "ok");
	q1_expect(f->pg,
	          "SELECT count(*) || '|' || bool_and(success) || '|' || "
	          "min(session_id::text) || '|' || min(agent_id) FROM auth_events",
	          "1|true|" SID1 "|7");
	store_get_stats(f->st, &stats);
	assert_true(stats.connected);
	assert_int_equal(stats.queue_len, 0);
	assert_int_equal(stats.written, 10);
	assert_int_equal(stats.batch_failures, 0);
}

static void test_pg_rejected_records(void **state)
{
	struct pg_fixture *f = *state;
	struct store_auth_event a = {.at_us = 1, .reason = "fine"};
	struct store_auth_event evil = {.at_us = 1, .reason = "evil"};
	struct store_stats stats;
	int i;

	NEED_PG(f);
	/* A constraint the recorder cannot know: PostgreSQL refuses one
	 * record, the others must still be written. */
	pg_exec_or_fail(f->pg, "ALTER TABLE auth_events ADD CONSTRAINT no_evil "
	                    "CHECK (reason <> 'evil')");
	f->st = pg_open(f, 100, 1000);
	store_auth_event(f->st, &a);
	store_auth_event(f->st, &evil);
	store_auth_event(f->st, &a);
	/* The same session ended twice in one batch: one statement may not
	 * update a row twice (21000), so the batch is split. */
	for (i = 0; i < 2; i++)
		store_session_end(f->st, SID2,
		                  &(struct store_session_end){.ended_us = i,
		                                              .reason = "x"});
	assert_true(loop_until_written(f, 5000));
	q1_expect(f->pg, "SELECT count(*) FROM auth_events", "2");
	q1_expect(f->pg,
	          "SELECT count(*) FROM sessions WHERE ended_at = "
	          "'1970-01-01 00:00:00.000001+00'",
	          "1");
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.dropped_invalid, 1);
	assert_true(stats.batch_failures >= 2);
}

static void terminate(struct pg_fixture *f, PGconn *victim)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)",
	         PQbackendPID(victim));
	q1_expect(f->pg, sql, "t");
}

/* Complete statements go through COPY and read back exactly: text with
 * every character COPY escapes, quotes, invalid UTF-8 kept in sql_bytes,
 * NULLs, and times PostgreSQL cannot hold. */
static void test_pg_copy_rows(void **state)
{
	struct pg_fixture *f = *state;
	static const char tricky[] = "SELECT 'a\tb', \"c\\nd\" -- it's\n"
	                             "\\.\r\n\\N caf\xc3\xa9 \x01\x08\x0b\x0c\x7f";
	static const char lossy[] = {'S', 0, (char)0xff, '\t', '\\', '\'', '\n'};
	struct store_stmt_result err_result = {
	    .status = STORE_STMT_ERROR,
	    .duration_us = 9,
	    .rows_affected = -1,
	    .rows_returned = -1,
	    .error_code = 1064,
	    .error_message = "near '\\'\tx\n'",
	};
	struct store_stmt *s;
	struct store_stats stats;
	char *v;

	NEED_PG(f);
	f->st = pg_open(f, 100, 1000);
	s = begin(f->st, SID1, 1, 1714564800123456LL, 3, "COM_QUERY",
	                     tricky, strlen(tricky));
	store_stmt_done(f->st, s, &ok_result);
	s = begin(f->st, SID1, 2, -1, 3, "COM_QUERY", lossy,
	                     sizeof(lossy));
	store_stmt_done(f->st, s, &err_result);
	s = begin(f->st, SID1, 3, INT64_MAX, 1, NULL, NULL, 0);
	store_stmt_done(f->st, s,
	                &(struct store_stmt_result){.status = STORE_STMT_ABORTED,
	                                            .duration_us = 0,
	                                            .rows_affected = 0,
	                                            .rows_returned = -1});
	assert_true(loop_until_written(f, 5000));
	/* They went as COPY rows. */
	assert_non_null(strstr(copy_str(f->st), SID1 "\t3\t\\N\t1\t\\N\t"));

	v = q1(f->pg, "SELECT sql_text FROM statements WHERE seq = 1");
	assert_non_null(v);
	assert_string_equal(v, tricky);
	free(v);
	q1_expect(f->pg,
	          "SELECT (sql_bytes IS NULL) || '|' || (started_at = "
	          "'2024-05-01 12:00:00.123456+00') || '|' || command || '|' || "
	          "command_name || '|' || status || '|' || duration_us || '|' || "
	          "coalesce(rows_affected::text, 'null') || '|' || rows_returned "
	          "|| '|' || coalesce(error_code::text, 'null') || '|' || "
	          "coalesce(error_message, 'null') FROM statements WHERE seq = 1",
	          "true|true|3|COM_QUERY|ok|1500|null|3|null|null");
	q1_expect(f->pg,
	          "SELECT encode(sql_bytes, 'hex') FROM statements WHERE seq = 2",
	          "5300ff095c270a");
	v = q1(f->pg, "SELECT sql_text FROM statements WHERE seq = 2");
	assert_non_null(v);
	assert_string_equal(v, "S\xef\xbf\xbd\xef\xbf\xbd\t\\'\n");
	free(v);
	v = q1(f->pg, "SELECT error_message FROM statements WHERE seq = 2");
	assert_non_null(v);
	assert_string_equal(v, err_result.error_message);
	free(v);
	q1_expect(f->pg,
	          "SELECT (started_at = '1969-12-31 23:59:59.999999+00') || '|' "
	          "|| status || '|' || error_code FROM statements WHERE seq = 2",
	          "true|error|1064");
	q1_expect(f->pg,
	          "SELECT (started_at IS NULL) || '|' || (command_name IS NULL) "
	          "|| '|' || (sql_text IS NULL) || '|' || (sql_bytes IS NULL) || "
	          "'|' || status || '|' || rows_affected || '|' || "
	          "(rows_returned IS NULL) FROM statements WHERE seq = 3",
	          "true|true|true|true|aborted|0|true");
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.written, 3);
	assert_int_equal(stats.batch_failures, 0);
	assert_int_equal(stats.dropped_invalid, 0);
}

/* A statement waits, unwritten, while it runs, then is written once,
 * complete; records behind it do not wait for it. */
static void test_pg_running_held_until_done(void **state)
{
	struct pg_fixture *f = *state;
	struct store_stmt *s;
	int i;

	NEED_PG(f);
	f->st = pg_open(f, 100, 1000);
	s = begin(f->st, SID1, 1, 1, 3, "COM_QUERY", "SELECT 1", 8);
	store_session_end(f->st, SID2,
	                  &(struct store_session_end){.ended_us = 1,
	                                              .reason = "bye"});
	for (i = 0; i < 200 && f->st->rq.q.n > 1; i++)
		run_loop_ms(f->base, 5);
	assert_int_equal(f->st->rq.q.n, 1);
	run_loop_ms(f->base, 100);
	q1_expect(f->pg, "SELECT end_reason FROM sessions", "bye");
	q1_expect(f->pg, "SELECT count(*) FROM statements", "0");
	store_stmt_done(f->st, s, &ok_result);
	assert_true(loop_until_written(f, 5000));
	q1_expect(f->pg, "SELECT status FROM statements", "ok");
	assert_int_equal(f->st->rq.written, 2);
}

/* The row of a complete statement already exists (as after a COPY that
 * committed but whose answer was lost): the COPY fails on the duplicate,
 * the batch is split and resent as upserts, and nothing is lost. */
static void test_pg_copy_duplicate(void **state)
{
	struct pg_fixture *f = *state;
	struct store_stats stats;
	struct store_stmt *s;
	int i;

	NEED_PG(f);
	pg_exec_or_fail(f->pg, "INSERT INTO statements (session_id, seq, status) "
	                    "VALUES ('" SID1 "', 2, 'running')");
	f->st = pg_open(f, 100, 1000);
	for (i = 1; i <= 3; i++) {
		s = begin(f->st, SID1, (uint64_t)i, 1, 3, "COM_QUERY",
		                     "SELECT 1", 8);
		store_stmt_done(f->st, s, &ok_result);
	}
	store_session_end(f->st, SID1,
	                  &(struct store_session_end){.ended_us = 1,
	                                              .reason = "bye"});
	assert_true(loop_until_written(f, 5000));
	q1_expect(f->pg,
	          "SELECT string_agg(seq || status || sql_text, ',' ORDER BY seq) "
	          "FROM statements",
	          "1okSELECT 1,2okSELECT 1,3okSELECT 1");
	q1_expect(f->pg, "SELECT end_reason FROM sessions", "bye");
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.written, 4);
	assert_int_equal(stats.dropped_invalid, 0);
	assert_int_equal(stats.batch_failures, 1);
	assert_int_equal(stats.batches, 4);
}

/* A COPY larger than the socket buffers: libpq is fed in chunks while the
 * server reads, and every row arrives. */
static void test_pg_copy_large(void **state)
{
	struct pg_fixture *f = *state;
	/* More than STORE_BATCH_MAX_BYTES, fewer records than the queue
	 * holds. */
	enum { N = 900, LEN = 12000 };
	char *text = NULL;
	struct store_stats stats;
	char want[64];
	int i;

	NEED_PG(f);
	text = malloc(LEN);
	assert_non_null(text);
	f->st = pg_open(f, N, 1000);
	for (i = 0; i < N; i++) {
		struct store_stmt *s;

		memset(text, 'a' + i % 26, LEN);
		text[i % LEN] = '\t';
		s = begin(f->st, SID1, (uint64_t)i + 1, 1, 3,
		                     "COM_QUERY", text, LEN);
		assert_non_null(s);
		store_stmt_done(f->st, s, &ok_result);
	}
	free(text);
	assert_true(loop_until_written(f, 20000));
	snprintf(want, sizeof(want), "%d|%d|%d", N, N * LEN, N);
	q1_expect(f->pg,
	          "SELECT count(*) || '|' || sum(length(sql_text)) || '|' || "
	          "count(*) FILTER (WHERE strpos(sql_text, E'\\t') = "
	          "(seq - 1) % 12000 + 1) FROM statements",
	          want);
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.batch_failures, 0);
	/* More than one batch: each stops growing at STORE_BATCH_MAX_BYTES. */
	assert_true(stats.batches >= 2);
}

/* The connection dies while a COPY waits for a lock: the batch is sent
 * again after reconnecting (as upserts, since it might have been
 * stored), once. */
static void test_pg_copy_lost_in_flight(void **state)
{
	struct pg_fixture *f = *state;
	struct store_stats stats;
	struct store_stmt *s;
	int i;

	NEED_PG(f);
	f->st = pg_open(f, 100, 100);
	pg_exec_or_fail(f->pg, "BEGIN");
	pg_exec_or_fail(f->pg, "LOCK TABLE statements IN ACCESS EXCLUSIVE MODE");
	s = begin(f->st, SID1, 1, 1, 3, "COM_QUERY", "SELECT\t1", 8);
	store_stmt_done(f->st, s, &ok_result);
	for (i = 0; i < 100 && f->st->rq.n_taken == 0; i++)
		run_loop_ms(f->base, 5);
	assert_int_equal(f->st->rq.n_taken, 1);
	run_loop_ms(f->base, 50);
	terminate(f, f->st->rec.pg);
	pg_exec_or_fail(f->pg, "COMMIT");
	assert_true(loop_until_written(f, 5000));
	q1_expect(f->pg, "SELECT sql_text || status FROM statements",
	          "SELECT\t1ok");
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.batch_failures, 1);
	assert_int_equal(stats.written, 1);
	/* The resend was an INSERT: no COPY data in it. */
	assert_int_equal(f->st->batch_copy.len, 0);
}

/* store_close writes everything, statements still running included. */
static void test_pg_close_flushes_running(void **state)
{
	struct pg_fixture *f = *state;
	struct store_stmt *s;
	int i;

	NEED_PG(f);
	f->st = pg_open(f, 100, 1000);
	for (i = 1; i <= 5; i++) {
		s = begin(f->st, SID1, (uint64_t)i, 1, 3, "COM_QUERY",
		                     "SELECT 1", 8);
		if (i % 2 == 0)
			store_stmt_done(f->st, s, &ok_result);
	}
	store_close(f->st);
	f->st = NULL;
	q1_expect(f->pg,
	          "SELECT string_agg(seq || status, ',' ORDER BY seq) "
	          "FROM statements",
	          "1running,2ok,3running,4ok,5running");
}

static void test_pg_reconnect(void **state)
{
	struct pg_fixture *f = *state;
	struct revoke_seen seen = {0};
	struct lookup_result r = {0};
	struct store_stmt *s;
	struct store_stats stats;
	char err[512];
	int i;

	NEED_PG(f);
	admin_ok(store_admin_agent_add(f->admin, "r-bot", "corp", "s-r", err,
	                               sizeof(err)),
	         err);
	f->st = pg_open(f, 100, 300);
	store_set_revoke_cb(f->st, revoke_cb, &seen);
	terminate(f, f->st->rec.pg);
	terminate(f, f->st->lk.pg);
	/* Both connections notice, and go down. */
	for (i = 0; i < 200 && (store_pgc_is_up(&f->st->lk) ||
	                        store_pgc_is_up(&f->st->rec));
	     i++)
		run_loop_ms(f->base, 5);
	assert_false(store_pgc_is_up(&f->st->lk));
	/* While down: lookups answer STORE_DOWN, records wait. */
	(void)store_lookup_agent(f->st, "corp", "s-r", "orders", lookup_cb, &r);
	assert_true(pg_loop_until(f->base, &r.calls, 1000));
	assert_int_equal(r.status, STORE_AGENT_STORE_DOWN);
	s = begin(f->st, SID1, 1, 1, 3, "COM_QUERY", "SELECT 1", 8);
	assert_non_null(s);
	store_stmt_done(f->st, s, &ok_result);
	/* A revocation nobody hears: the resync after reconnect must report
	 * it. */
	admin_ok(store_admin_agent_revoke(f->admin, "r-bot", "while down", err,
	                                  sizeof(err)),
	         err);
	assert_true(pg_loop_until(f->base, &seen.calls, 5000));
	assert_int_equal(seen.id, agent_id(f, "r-bot"));
	assert_string_equal(seen.reason, "while down");
	assert_true(loop_until_written(f, 5000));
	q1_expect(f->pg, "SELECT status FROM statements WHERE seq = 1", "ok");
	store_get_stats(f->st, &stats);
	assert_true(stats.connected);
	/* Lookups work again. */
	memset(&r, 0, sizeof(r));
	(void)store_lookup_agent(f->st, "corp", "s-r", "orders", lookup_cb, &r);
	assert_true(pg_loop_until(f->base, &r.calls, 5000));
	assert_int_equal(r.status, STORE_AGENT_REVOKED);
}

static void test_pg_batch_lost_in_flight(void **state)
{
	struct pg_fixture *f = *state;
	struct store_stats stats;
	int i;

	NEED_PG(f);
	f->st = pg_open(f, 100, 100);
	/* A batch that cannot finish before its connection is killed: a
	 * table lock makes the INSERT wait. */
	pg_exec_or_fail(f->pg, "BEGIN");
	pg_exec_or_fail(f->pg, "LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");
	store_session_end(f->st, SID1,
	                  &(struct store_session_end){.ended_us = 5,
	                                              .reason = "bye"});
	for (i = 0; i < 100 && f->st->rq.n_taken == 0; i++)
		run_loop_ms(f->base, 5);
	assert_int_equal(f->st->rq.n_taken, 1);
	run_loop_ms(f->base, 50);
	terminate(f, f->st->rec.pg);
	pg_exec_or_fail(f->pg, "COMMIT");
	assert_true(loop_until_written(f, 5000));
	q1_expect(f->pg, "SELECT end_reason FROM sessions", "bye");
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.batch_failures, 1);
}

/* Stops the server for real when the environment says how:
 * AGENTGATE_TEST_PG_STOP and AGENTGATE_TEST_PG_START are shell commands. */
static void test_pg_server_down(void **state)
{
	struct pg_fixture *f = *state;
	const char *stop = getenv("AGENTGATE_TEST_PG_STOP");
	const char *start = getenv("AGENTGATE_TEST_PG_START");
	struct cfg_store c = {
	    .queue_size = 1000,
	    .batch_size = 100,
	    .flush_interval = 20,
	    .grace = 1000,
	    .reconnect_interval = 200,
	};
	struct lookup_result r = {0};
	struct store_session_info si = {.id = SID1, .agent_id = 1,
	                                .started_us = 1};
	struct store_stmt *s;
	struct store_stats stats;
	struct store_stmt_info dinfo = write_info;
	struct durable_seen d = {0};
	const char *why = NULL;
	char err[512] = "";
	int i;

	NEED_PG(f);
	if (stop == NULL || start == NULL)
		skip();
	c.dsn = f->dsn;
	f->st = store_open(f->base, &c, "gw", err, sizeof(err));
	assert_non_null(f->st);
	/* The fixture's own connections die with the server. */
	PQfinish(f->pg);
	f->pg = NULL;
	store_admin_close(f->admin);
	f->admin = NULL;
	assert_int_equal(system(stop), 0);
	for (i = 0; i < 400 && (store_pgc_is_up(&f->st->rec) ||
	                        store_pgc_is_up(&f->st->dur));
	     i++)
		run_loop_ms(f->base, 5);
	assert_false(store_pgc_is_up(&f->st->rec));
	assert_false(store_pgc_is_up(&f->st->dur));
	assert_true(store_session_start(f->st, &si));
	s = begin(f->st, SID1, 1, 2, 3, "COM_QUERY", "SELECT 1", 8);
	assert_non_null(s);
	store_stmt_done(f->st, s, &ok_result);
	(void)store_lookup_agent(f->st, "corp", "x", "orders", lookup_cb, &r);
	assert_true(pg_loop_until(f->base, &r.calls, 1000));
	assert_int_equal(r.status, STORE_AGENT_STORE_DOWN);
	/* A durable write fails at once; its refusal waits in the queue. */
	dinfo.seq = 2;
	s = store_stmt_begin_durable(f->st, &dinfo, durable_cb, &d);
	assert_non_null(s);
	assert_true(pg_loop_until(f->base, &d.calls, 1000));
	assert_false(d.ok);
	assert_string_equal(d.why, STORE_WHY_UNREACHABLE);
	store_stmt_done(f->st, s, &refused_result);
	assert_true(store_accepting(f->st, &why));
	/* Past the grace: new statements are refused, with the reason. */
	run_loop_ms(f->base, 1300);
	assert_false(store_accepting(f->st, &why));
	assert_string_equal(why, "audit store unreachable for 1 s");
	assert_int_equal(system(start), 0);
	f->pg = PQconnectdb(f->dsn);
	assert_int_equal(PQstatus(f->pg), CONNECTION_OK);
	f->admin = store_admin_connect(f->dsn, err, sizeof(err));
	assert_non_null(f->admin);
	assert_true(loop_until_written(f, 10000));
	assert_true(store_accepting(f->st, &why));
	q1_expect(f->pg,
	          "SELECT string_agg(s.agent_id || '|' || t.status, ',' "
	          "ORDER BY t.seq) FROM sessions s "
	          "JOIN statements t ON t.session_id = s.id",
	          "1|ok,1|refused");
	store_get_stats(f->st, &stats);
	assert_true(stats.connected);
	assert_int_equal(stats.written, 3);
	/* Durable writes work again once their connection is back. */
	memset(&d, 0, sizeof(d));
	dinfo.seq = 3;
	for (i = 0; i < 400 && !store_pgc_is_up(&f->st->dur); i++)
		run_loop_ms(f->base, 5);
	s = store_stmt_begin_durable(f->st, &dinfo, durable_cb, &d);
	assert_true(pg_loop_until(f->base, &d.calls, 5000));
	assert_true(d.ok);
	store_stmt_done(f->st, s, &ok_result);
	assert_true(loop_until_written(f, 5000));
}

static void test_pg_close_flushes(void **state)
{
	struct pg_fixture *f = *state;
	struct store_auth_event a = {.at_us = 1, .reason = "at close"};
	int i;

	NEED_PG(f);
	f->st = pg_open(f, 7, 1000);
	/* Never run the loop: store_close writes on its own. */
	for (i = 0; i < 20; i++)
		store_auth_event(f->st, &a);
	store_close(f->st);
	f->st = NULL;
	q1_expect(f->pg, "SELECT count(*) FROM auth_events", "20");
}

static void test_pg_concurrent_migrate(void **state)
{
	struct pg_fixture *f = *state;
	pid_t pid;
	int status = 0, v = 0;
	char err[512];
	bool ok;

	NEED_PG(f);
	/* Two runs on an empty schema at once: the lock serialises them and
	 * both succeed. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store_admin *a = store_admin_connect(f->dsn, err,
		                                            sizeof(err));
		FILE *out = fopen("/dev/null", "w");

		_exit(a && store_admin_migrate(a, out, err, sizeof(err)) ? 0 : 1);
	}
	{
		FILE *out = fopen("/dev/null", "w");

		ok = store_admin_migrate(f->admin, out, err, sizeof(err));
		fclose(out);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!ok)
		fprintf(stderr, "migrate: %s\n", err);
	assert_true(ok);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(store_admin_schema_version(f->admin, &v, err, sizeof(err)));
	assert_int_equal(v, store_migrations_latest());
	{
		char want[16];

		snprintf(want, sizeof(want), "%zu", store_migrations_count);
		q1_expect(f->pg, "SELECT count(*) FROM schema_migrations", want);
	}
}

/* ------------------------------------------------- durable, PostgreSQL */

static struct store *pg_open_cfg(struct pg_fixture *f, uint64_t grace,
                                 uint64_t reconnect_ms)
{
	struct cfg_store c = {
	    .dsn = f->dsn,
	    .queue_size = 1000,
	    .batch_size = 100,
	    .flush_interval = 20,
	    .grace = grace,
	    .reconnect_interval = reconnect_ms,
	};
	char err[512] = "";
	struct store *st = store_open(f->base, &c, "test-gw", err, sizeof(err));

	if (st == NULL)
		fprintf(stderr, "store_open: %s\n", err);
	assert_non_null(st);
	return st;
}

static bool durable_idle(const struct store *st)
{
	return st->dur_wait.n == 0 && st->dur_flight.n == 0 &&
	       st->dur_done.n == 0;
}

/* Runs the loop until nothing is queued or waiting for a durable write. */
static bool loop_until_settled(struct pg_fixture *f, int ms)
{
	uint64_t end = core_mono_ms() + (uint64_t)ms;

	while (f->st->rq.q.n > 0 || !durable_idle(f->st)) {
		if (core_mono_ms() > end)
			return false;
		run_loop_ms(f->base, 5);
	}
	return true;
}

/* Reads the row from inside the callback: it must be committed by then. */
static void durable_row_cb(void *arg, bool ok, const char *why)
{
	struct durable_seen *d = arg;
	char *v;

	durable_cb(arg, ok, why);
	v = q1(d->f->pg, "SELECT status || '|' || class || '|' || decision "
	                 "|| '|' || policy || '|' || sql_text || '|' || "
	                 "(reason IS NULL) FROM statements WHERE seq = 1");
	snprintf(d->row, sizeof(d->row), "%s", v ? v : "(no row)");
	free(v);
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct latency_probe {
	struct event_base *base;
	bool done, ok;
	uint64_t at_us;
};

static void latency_cb(void *arg, bool ok, const char *why)
{
	struct latency_probe *p = arg;

	p->at_us = mono_us();
	p->done = true;
	p->ok = ok;
	event_base_loopbreak(p->base);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The row is committed when the callback runs; the outcome then updates
 * that row; and the time from the call to the callback, measured. */
static void test_pg_durable_commit(void **state)
{
	struct pg_fixture *f = *state;
	struct durable_seen seen = {0};
	struct store_stats stats;
	struct store_stmt *s;
	enum { N = 300 };
	static uint64_t lat[N];
	int i;

	NEED_PG(f);
	seen.f = f;
	f->st = pg_open(f, 100, 1000);
	s = store_stmt_begin_durable(f->st, &write_info, durable_row_cb, &seen);
	assert_non_null(s);
	assert_int_equal(seen.calls, 0);
	assert_true(pg_loop_until(f->base, &seen.calls, 5000));
	assert_true(seen.ok);
	assert_string_equal(seen.row, "running|write|allow|group 'etl' on "
	                              "orders|UPDATE t SET a = 1|true");
	/* Written: parked until its outcome, nothing queued. */
	assert_int_equal(f->st->rq.q.n, 0);
	assert_int_equal(f->st->rq.parked.n, 1);
	store_stmt_done(f->st, s,
	                &(struct store_stmt_result){.status = STORE_STMT_OK,
	                                            .duration_us = 77,
	                                            .rows_affected = 1,
	                                            .rows_returned = -1});
	assert_true(loop_until_settled(f, 5000));
	q1_expect(f->pg,
	          "SELECT count(*) || '|' || min(status) || '|' || "
	          "min(rows_affected) || '|' || min(duration_us) || '|' || "
	          "min(class) || '|' || min(sql_text) FROM statements",
	          "1|ok|1|77|write|UPDATE t SET a = 1");
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.durable_ok, 1);
	assert_int_equal(stats.durable_failed, 0);

	/* Latency, one write at a time as a session would. */
	for (i = 0; i < N; i++) {
		struct latency_probe p = {.base = f->base};
		struct store_stmt_info info = write_info;
		struct timeval limit = {2, 0};
		uint64_t t0;

		info.seq = (uint64_t)i + 2;
		t0 = mono_us();
		s = store_stmt_begin_durable(f->st, &info, latency_cb, &p);
		event_base_loopexit(f->base, &limit);
		event_base_dispatch(f->base);
		assert_true(p.done && p.ok);
		lat[i] = p.at_us - t0;
		store_stmt_done(f->st, s, &ok_result);
	}
	qsort(lat, N, sizeof(lat[0]), cmp_u64);
	fprintf(stderr,
	        "durable write, call to callback, %d sequential: median %llu "
	        "us, p90 %llu us, p99 %llu us, max %llu us\n",
	        N, (unsigned long long)lat[N / 2],
	        (unsigned long long)lat[N * 9 / 10],
	        (unsigned long long)lat[N * 99 / 100],
	        (unsigned long long)lat[N - 1]);
	/* Loopback: a few ms at most, generously bounded for slow CI. */
	assert_true(lat[N / 2] < 20000);
	assert_true(loop_until_settled(f, 5000));
	q1_expect(f->pg,
	          "SELECT count(*) || '|' || count(*) FILTER (WHERE status = "
	          "'ok') FROM statements",
	          "301|301");
}

/* Records begun while a write is in flight share the next one; every
 * callback sees its row. */
static void test_pg_durable_group(void **state)
{
	struct pg_fixture *f = *state;
	enum { N = 60 };
	struct durable_seen seen[N];
	struct store_stmt *s[N];
	struct store_stats stats;
	int i, all = 0;

	NEED_PG(f);
	memset(seen, 0, sizeof(seen));
	f->st = pg_open(f, 100, 1000);
	for (i = 0; i < N; i++) {
		struct store_stmt_info info = write_info;

		info.seq = (uint64_t)i + 1;
		s[i] = store_stmt_begin_durable(f->st, &info, durable_cb, &seen[i]);
		assert_non_null(s[i]);
	}
	/* The first went at once; the others wait for it. */
	assert_int_equal(f->st->dur_flight.n, 1);
	assert_int_equal(f->st->dur_wait.n, N - 1);
	for (i = 0; i < 400 && all < N; i++) {
		int j;

		run_loop_ms(f->base, 5);
		for (all = 0, j = 0; j < N; j++)
			all += seen[j].calls;
	}
	assert_int_equal(all, N);
	for (i = 0; i < N; i++) {
		assert_true(seen[i].ok);
		store_stmt_done(f->st, s[i], &ok_result);
	}
	q1_expect(f->pg, "SELECT count(*) FROM statements", "60");
	assert_true(loop_until_settled(f, 5000));
	q1_expect(f->pg, "SELECT count(*) FROM statements WHERE status = 'ok'",
	          "60");
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.durable_ok, N);
}

/* The session goes away while its write is in flight: no callback, and the
 * outcome still lands on the one row. */
static void test_pg_durable_done_in_flight(void **state)
{
	struct pg_fixture *f = *state;
	struct durable_seen seen = {0};
	struct store_stmt *s;

	NEED_PG(f);
	f->st = pg_open(f, 100, 1000);
	s = store_stmt_begin_durable(f->st, &write_info, durable_cb, &seen);
	assert_int_equal(f->st->dur_flight.n, 1);
	store_stmt_done(f->st, s,
	                &(struct store_stmt_result){.status = STORE_STMT_ABORTED,
	                                            .duration_us = 5,
	                                            .rows_affected = -1,
	                                            .rows_returned = -1,
	                                            .error_code = 0,
	                                            .error_message = "gone"});
	assert_true(loop_until_settled(f, 5000));
	run_loop_ms(f->base, 50);
	assert_int_equal(seen.calls, 0);
	q1_expect(f->pg,
	          "SELECT count(*) || '|' || min(status) || '|' || "
	          "min(error_message) || '|' || min(class) FROM statements",
	          "1|aborted|gone|write");
}

/* PostgreSQL unreachable: the callback fails at once; the refusal is
 * recorded once it is back. */
static void test_pg_durable_unreachable(void **state)
{
	struct pg_fixture *f = *state;
	struct durable_seen seen = {0};
	struct store_stmt *s;
	uint64_t t0;
	int i;

	NEED_PG(f);
	f->st = pg_open_cfg(f, 5000, 60000);
	terminate(f, f->st->dur.pg);
	for (i = 0; i < 200 && store_pgc_is_up(&f->st->dur); i++)
		run_loop_ms(f->base, 5);
	assert_false(store_pgc_is_up(&f->st->dur));
	t0 = core_mono_ms();
	s = store_stmt_begin_durable(f->st, &write_info, durable_cb, &seen);
	assert_int_equal(seen.calls, 0);
	assert_true(pg_loop_until(f->base, &seen.calls, 1000));
	assert_true(core_mono_ms() - t0 < 500);
	assert_false(seen.ok);
	assert_string_equal(seen.why, STORE_WHY_UNREACHABLE);
	store_stmt_done(f->st, s, &refused_result);
	assert_true(loop_until_settled(f, 5000));
	q1_expect(f->pg,
	          "SELECT count(*) || '|' || min(status) || '|' || "
	          "min(error_message) || '|' || min(decision) FROM statements",
	          "1|refused|audit store unreachable|allow");
}

/* No commit within the grace: the callback fails; a write that commits
 * late changes nothing, and the refusal is what stays recorded. */
static void test_pg_durable_timeout(void **state)
{
	struct pg_fixture *f = *state;
	struct durable_seen seen = {0}, again = {0};
	struct store_stmt_info info = write_info;
	struct store_stmt *s;
	uint64_t t0, took;
	int i;

	NEED_PG(f);
	f->st = pg_open_cfg(f, 300, 50);
	pg_exec_or_fail(f->pg, "BEGIN");
	pg_exec_or_fail(f->pg, "LOCK TABLE statements IN ACCESS EXCLUSIVE MODE");
	t0 = core_mono_ms();
	s = store_stmt_begin_durable(f->st, &write_info, durable_cb, &seen);
	assert_true(pg_loop_until(f->base, &seen.calls, 3000));
	took = core_mono_ms() - t0;
	assert_false(seen.ok);
	assert_string_equal(seen.why, STORE_WHY_TIMEOUT);
	assert_true(took >= 250 && took < 2000);
	store_stmt_done(f->st, s, &refused_result);
	run_loop_ms(f->base, 50);
	pg_exec_or_fail(f->pg, "COMMIT");
	assert_true(loop_until_settled(f, 5000));
	/* Whatever order the late write and the upsert took the lock in. */
	for (i = 0; i < 50; i++) {
		char *v = q1(f->pg, "SELECT count(*) FROM pg_stat_activity "
		                    "WHERE query LIKE 'INSERT INTO statements%' "
		                    "AND state = 'active'");
		bool busy = v && strcmp(v, "0") != 0;

		free(v);
		if (!busy)
			break;
		run_loop_ms(f->base, 10);
	}
	q1_expect(f->pg,
	          "SELECT count(*) || '|' || min(status) || '|' || "
	          "min(sql_text) FROM statements",
	          "1|refused|UPDATE t SET a = 1");
	/* Durable writes resume after the reconnect. */
	for (i = 0; i < 400 && !store_pgc_is_up(&f->st->dur); i++)
		run_loop_ms(f->base, 5);
	info.seq = 2;
	s = store_stmt_begin_durable(f->st, &info, durable_cb, &again);
	assert_true(pg_loop_until(f->base, &again.calls, 3000));
	assert_true(again.ok);
	store_stmt_done(f->st, s, &ok_result);
	assert_true(loop_until_settled(f, 5000));
}

/* ------------------------------------------- new columns, PostgreSQL */

static void test_pg_policy_columns(void **state)
{
	struct pg_fixture *f = *state;
	static const char *const groups[] = {"etl", "o'x,{y}\"z", "caf\xc3\xa9"};
	struct store_session_info si = {
	    .id = SID1,
	    .agent_id = 7,
	    .agent_name = "bot",
	    .started_us = 1,
	    .groups = groups,
	    .n_groups = 3,
	    .read_only = true,
	};
	static const char params[] = "[1, \"a\\tb\\\\c\", null, \"\xc3\xa9'\"]";
	struct store_stmt_info info = {
	    .session_id = SID1,
	    .command = 23,
	    .command_name = "COM_STMT_EXECUTE",
	    .text = "UPDATE t SET a = ?",
	    .text_len = 18,
	    .cls = "write",
	    .decision = "deny",
	    .policy = "agent 'bot' on orders",
	    .reason = "writes are denied\tfor bot",
	    .params = params,
	};
	struct store_stmt *s;
	char *v;
	int seq;

	NEED_PG(f);
	f->st = pg_open(f, 100, 1000);
	assert_true(store_session_start(f->st, &si));
	memcpy(si.id, SID2, 37);
	si.groups = NULL;
	si.read_only = false;
	assert_true(store_session_start(f->st, &si));
	/* seq 1: complete at once, through COPY. */
	info.seq = 1;
	s = store_stmt_begin(f->st, &info);
	store_stmt_done(f->st, s, &refused_result);
	assert_true(loop_until_written(f, 5000));
	assert_non_null(strstr(copy_str(f->st), "\twrite\tdeny\t"));
	/* seq 2: written running, then updated; seq 3: an upsert. */
	f->st->rq.running_ms = 0;
	info.seq = 2;
	s = store_stmt_begin(f->st, &info);
	assert_true(loop_until_written(f, 5000));
	store_stmt_done(f->st, s, &ok_result);
	f->st->rq.use_copy = false;
	info.seq = 3;
	s = store_stmt_begin(f->st, &info);
	store_stmt_done(f->st, s, &ok_result);
	assert_true(loop_until_written(f, 5000));
	for (seq = 1; seq <= 3; seq++) {
		char sql[256];

		snprintf(sql, sizeof(sql),
		         "SELECT class || '|' || decision || '|' || policy || '|' "
		         "|| reason || '|' || params FROM statements "
		         "WHERE seq = %d",
		         seq);
		v = q1(f->pg, sql);
		assert_non_null(v);
		assert_string_equal(v, "write|deny|agent 'bot' on orders|writes "
		                       "are denied\tfor bot|[1, \"a\\tb\\\\c\", "
		                       "null, \"\xc3\xa9'\"]");
		free(v);
	}
	q1_expect(f->pg,
	          "SELECT string_agg(seq || status, ',' ORDER BY seq) "
	          "FROM statements",
	          "1refused,2ok,3ok");
	v = q1(f->pg, "SELECT array_to_json(groups)::text || '|' || read_only "
	              "FROM sessions WHERE id = '" SID1 "'");
	assert_non_null(v);
	assert_string_equal(v, "[\"etl\",\"o'x,{y}\\\"z\",\"caf\xc3\xa9\"]|true");
	free(v);
	q1_expect(f->pg,
	          "SELECT (groups IS NULL) || '|' || read_only FROM sessions "
	          "WHERE id = '" SID2 "'",
	          "true|false");
}

/* ------------------------------------------- queries, PostgreSQL */

static void test_pg_query(void **state)
{
	struct pg_fixture *f = *state;
	struct rows_seen r[5];
	const char *params[3] = {"a'b\\", "41", NULL};
	struct store_op *cancelled;
	int i, all = 0;

	NEED_PG(f);
	memset(r, 0, sizeof(r));
	f->st = pg_open(f, 100, 1000);
	(void)store_query(f->st,
	                  "SELECT $1::text, $2::int + 1, NULL::text, "
	                  "($3::text IS NULL)::text",
	                  3, params, rows_cb, &r[0]);
	(void)store_query(f->st,
	                  "SELECT g, CASE WHEN g % 2 = 0 THEN NULL ELSE "
	                  "'odd' END FROM generate_series(1, 3) g",
	                  0, NULL, rows_cb, &r[1]);
	(void)store_query(f->st, "SELECT 1 / 0", 0, NULL, rows_cb, &r[2]);
	cancelled = store_query(f->st, "SELECT 1", 0, NULL, rows_cb, &r[3]);
	/* Two statements are refused by the extended protocol. */
	(void)store_query(f->st, "DO $$ BEGIN END $$", 0, NULL, rows_cb, &r[4]);
	store_op_cancel(cancelled);
	for (i = 0; i < 5; i++)
		assert_int_equal(r[i].calls, 0);
	for (i = 0; i < 400 && !all; i++) {
		run_loop_ms(f->base, 5);
		all = r[0].calls && r[1].calls && r[2].calls && r[4].calls;
	}
	assert_true(all);
	assert_true(r[0].ok);
	assert_int_equal(r[0].nrows, 1);
	assert_int_equal(r[0].ncols, 4);
	assert_string_equal(r[0].cells[0], "a'b\\");
	assert_string_equal(r[0].cells[1], "42");
	assert_true(r[0].null[2]);
	assert_string_equal(r[0].cells[3], "true");
	assert_true(r[1].ok);
	assert_int_equal(r[1].nrows, 3);
	assert_int_equal(r[1].ncols, 2);
	assert_string_equal(r[1].cells[0], "1");
	assert_string_equal(r[1].cells[1], "odd");
	assert_string_equal(r[1].cells[2], "2");
	assert_true(r[1].null[3]);
	assert_string_equal(r[1].cells[4], "3");
	assert_false(r[2].ok);
	assert_string_equal(r[2].err, "division by zero");
	assert_int_equal(r[3].calls, 0);
	assert_true(r[4].ok);
	assert_int_equal(r[4].nrows, 0);
	assert_int_equal(r[4].ncols, 0);
	/* A failed query leaves the connection usable. */
	memset(&r[0], 0, sizeof(r[0]));
	(void)store_query(f->st, "SELECT current_schema()", 0, NULL, rows_cb,
	                  &r[0]);
	assert_true(pg_loop_until(f->base, &r[0].calls, 5000));
	assert_true(r[0].ok);
	assert_string_equal(r[0].cells[0], f->schema);
}

/* ------------------------------------------- LISTEN, PostgreSQL */

static void test_pg_listen(void **state)
{
	struct pg_fixture *f = *state;
	struct notify_seen a = {0}, b = {0};
	char chan[64], sql[128];
	int i;

	NEED_PG(f);
	/* Channels are database-wide: one of this process's own. */
	snprintf(chan, sizeof(chan), "agentgate_test_%d", (int)getpid());
	f->st = pg_open(f, 100, 50);
	assert_true(store_listen(f->st, chan, notify_cb, &a));
	assert_true(store_listen(f->st, chan, notify_cb, &b));
	assert_false(store_listen(f->st, "Not valid", notify_cb, &a));
	/* In effect: one reload call each, from the loop. */
	assert_int_equal(a.calls, 0);
	assert_true(pg_loop_until(f->base, &b.reloads, 5000));
	assert_int_equal(a.reloads, 1);
	snprintf(sql, sizeof(sql), "NOTIFY %s, 'hello'", chan);
	pg_exec_or_fail(f->pg, sql);
	assert_true(pg_loop_until(f->base, &b.payloads, 5000));
	assert_string_equal(a.last, "hello");
	assert_string_equal(b.last, "hello");
	snprintf(sql, sizeof(sql), "SELECT pg_notify('%s', '')", chan);
	pg_exec_or_fail(f->pg, sql);
	for (i = 0; i < 200 && a.payloads < 2; i++)
		run_loop_ms(f->base, 5);
	assert_int_equal(a.payloads, 2);
	assert_string_equal(a.last, "");
	/* Lost and back: LISTEN again, then a reload call. */
	terminate(f, f->st->lk.pg);
	for (i = 0; i < 400 && a.reloads < 2; i++)
		run_loop_ms(f->base, 5);
	assert_int_equal(a.reloads, 2);
	assert_int_equal(b.reloads, 2);
	snprintf(sql, sizeof(sql), "NOTIFY %s, 'again'", chan);
	pg_exec_or_fail(f->pg, sql);
	for (i = 0; i < 200 && a.payloads < 3; i++)
		run_loop_ms(f->base, 5);
	assert_string_equal(a.last, "again");
	assert_int_equal(a.calls, 5);
}

/* ------------------------------------------- policy admin, PostgreSQL */

static char *policy_show(struct pg_fixture *f, const char *scope,
                         const char *subject, const char *connection)
{
	char *text = NULL;
	size_t len = 0;
	char err[512];
	FILE *out = open_memstream(&text, &len);
	bool ok = store_admin_policy_show(f->admin, scope, subject, connection,
	                                  out, err, sizeof(err));

	fclose(out);
	if (!ok)
		fprintf(stderr, "policy show: %s\n", err);
	assert_true(ok);
	return text;
}

static void policy_fails_review(struct pg_fixture *f, const char *scope,
                                const char *subject, const char *connection,
                                const char *cls, const char *action,
                                const struct store_review_opts *review,
                                const char *want)
{
	char err[512] = "";

	assert_false(store_admin_policy_set(f->admin, scope, subject,
	                                    connection, cls, action, review, err,
	                                    sizeof(err)));
	assert_string_equal(err, want);
}

static void policy_fails(struct pg_fixture *f, const char *scope,
                         const char *subject, const char *connection,
                         const char *cls, const char *action,
                         const char *want)
{
	policy_fails_review(f, scope, subject, connection, cls, action, NULL,
	                    want);
}

static void test_pg_policy_admin(void **state)
{
	struct pg_fixture *f = *state;
	struct notify_seen seen = {0};
	char err[512];
	char *text;
	int i;

	NEED_PG(f);
	admin_ok(store_admin_agent_add(f->admin, "bot", "corp", "s1", err,
	                               sizeof(err)),
	         err);
	f->st = pg_open(f, 100, 1000);
	assert_true(store_listen(f->st, STORE_POLICY_CHANNEL, notify_cb, &seen));
	assert_true(pg_loop_until(f->base, &seen.reloads, 5000));

	text = policy_show(f, NULL, NULL, NULL);
	assert_string_equal(text, "no policy rules (the built-in defaults "
	                          "apply)\n");
	free(text);
	admin_ok(store_admin_policy_set(f->admin, "default", NULL, NULL, "write",
	                                "deny", NULL, err, sizeof(err)),
	         err);
	admin_ok(store_admin_policy_set(f->admin, "group", "etl", "orders",
	                                "write", "allow", NULL, err, sizeof(err)),
	         err);
	admin_ok(store_admin_policy_set(f->admin, "agent", "bot", "*", "ddl",
	                                "review", NULL, err, sizeof(err)),
	         err);
	admin_ok(store_admin_policy_set(f->admin, "agent", "bot", "*", "read",
	                                "allow", NULL, err, sizeof(err)),
	         err);
	admin_ok(store_admin_policy_set(f->admin, "default", "", "orders",
	                                "admin", "review", NULL, err, sizeof(err)),
	         err);
	/* Every change is announced once committed. */
	for (i = 0; i < 400 && seen.payloads < 5; i++)
		run_loop_ms(f->base, 5);
	assert_int_equal(seen.payloads, 5);
	assert_string_equal(seen.last, "");
	/* The same key again changes the action and the time, not the
	 * count. */
	pg_exec_or_fail(f->pg, "UPDATE policies SET updated_at = "
	                    "'2000-01-01 00:00:00+00' WHERE scope = 'group'");
	admin_ok(store_admin_policy_set(f->admin, "group", "etl", "orders",
	                                "write", "review", NULL, err, sizeof(err)),
	         err);
	q1_expect(f->pg,
	          "SELECT count(*) || '|' || min(action) || '|' || "
	          "(min(updated_at) > now() - interval '1 minute') "
	          "FROM policies WHERE scope = 'group'",
	          "1|review|true");
	q1_expect(f->pg, "SELECT count(*) FROM policies", "5");

	text = policy_show(f, NULL, NULL, NULL);
	{
		/* Sorted by scope, subject, connection ('*' first), class. */
		const char *want[] = {
		    "SCOPE    SUBJECT  CONNECTION  CLASS  ACTION  REVIEW  UPDATED",
		    "default  -        *           write  deny    -       ",
		    "default  -        orders      admin  review  hold    ",
		    "group    etl      orders      write  review  hold    ",
		    "agent    bot      *           read   allow   -       ",
		    "agent    bot      *           ddl    review  hold    ",
		};
		const char *p = text;

		for (i = 0; i < 6; i++) {
			assert_non_null(p);
			if (strncmp(p, want[i], strlen(want[i])) != 0) {
				fprintf(stderr, "line %d: got\n%s", i, text);
				fail();
			}
			p = strchr(p, '\n');
			p = p ? p + 1 : NULL;
		}
		assert_string_equal(p, "");
	}
	free(text);
	text = policy_show(f, "agent", "bot", NULL);
	assert_null(strstr(text, "default"));
	assert_non_null(strstr(text, "\nagent  bot      *           ddl    "
	                             "review  hold  "));
	free(text);
	text = policy_show(f, NULL, NULL, "crm");
	assert_string_equal(text, "no matching policy rules\n");
	free(text);

	/* Errors, each naming the problem; none changes or announces
	 * anything. (The loop has not run since the first five.) */
	i = seen.payloads;
	assert_int_equal(i, 5);
	policy_fails(f, "agent", "ghost", "*", "write", "allow",
	             "no agent named 'ghost'");
	policy_fails(f, "agent", "a b", "*", "write", "allow",
	             "no agent named 'a b'");
	policy_fails(f, "team", "x", "*", "write", "allow",
	             "invalid scope 'team': use default, group or agent");
	policy_fails(f, "default", "etl", "*", "write", "allow",
	             "scope 'default' applies to everyone and takes no "
	             "subject (got 'etl')");
	policy_fails(f, "group", "", "*", "write", "allow",
	             "scope 'group' needs a subject: the IdP group's name");
	policy_fails(f, "group", "a\nb", "*", "write", "allow",
	             "invalid group name: use at most 127 bytes of printable "
	             "UTF-8");
	policy_fails(f, "agent", NULL, "*", "write", "allow",
	             "scope 'agent' needs a subject: the agent's name");
	policy_fails(f, "default", NULL, "or ders", "write", "allow",
	             "invalid connection 'or ders': use '*' for every "
	             "connection, or a name of 1 to 64 letters, digits, '_', "
	             "'.' or '-'");
	policy_fails(f, "default", NULL, "*", "select", "allow",
	             "invalid class 'select': use read, txn, session, write, "
	             "ddl, admin or unknown");
	policy_fails(f, "default", NULL, "*", "write", "maybe",
	             "invalid action 'maybe': use allow, review or deny");
	policy_fails_review(f, "default", NULL, "*", "write", "deny",
	                    &(struct store_review_opts){.quorum = 2},
	                    "a review mode, quorum or required group needs the "
	                    "action review, not 'deny'");
	policy_fails_review(f, "default", NULL, "*", "write", "review",
	                    &(struct store_review_opts){.mode = "later"},
	                    "invalid review mode 'later': use hold or deferred");
	policy_fails_review(f, "default", NULL, "*", "write", "review",
	                    &(struct store_review_opts){.quorum = 17},
	                    "invalid quorum 17: use 1 to 16");
	policy_fails_review(f, "default", NULL, "*", "write", "review",
	                    &(struct store_review_opts){.groups = "dba,,ops"},
	                    "invalid group list 'dba,,ops': use names separated "
	                    "by commas");
	assert_false(store_admin_policy_show(f->admin, "x", NULL, NULL, stderr,
	                                     err, sizeof(err)));
	assert_string_equal(err, "invalid scope 'x': use default, group or agent");

	/* unset */
	admin_ok(store_admin_policy_unset(f->admin, "agent", "bot", NULL, "ddl",
	                                  err, sizeof(err)),
	         err);
	assert_false(store_admin_policy_unset(f->admin, "agent", "bot", "*",
	                                      "ddl", err, sizeof(err)));
	assert_string_equal(err, "no policy rule for agent 'bot' on every "
	                         "connection for class 'ddl'");
	assert_false(store_admin_policy_unset(f->admin, "default", NULL,
	                                      "orders", "write", err,
	                                      sizeof(err)));
	assert_string_equal(err, "no policy rule for everyone (default) on "
	                         "connection 'orders' for class 'write'");
	assert_false(store_admin_policy_unset(f->admin, "group", "etl", "*",
	                                      "bogus", err, sizeof(err)));
	assert_non_null(strstr(err, "invalid class 'bogus'"));
	q1_expect(f->pg, "SELECT count(*) FROM policies", "4");
	run_loop_ms(f->base, 100);
	/* The second set of the group rule and the one unset that worked,
	 * nothing for the failures. */
	assert_int_equal(seen.payloads, i + 2);
}

int main(void)
{
	const struct CMUnitTest unit[] = {
	    cmocka_unit_test(test_sql_str_escapes),
	    cmocka_unit_test(test_sql_text_lossless),
	    cmocka_unit_test(test_sql_bytea_exact),
	    cmocka_unit_test(test_copy_header_ints_null),
	    cmocka_unit_test(test_copy_ts),
	    cmocka_unit_test(test_copy_text_bytea),
	    cmocka_unit_test(test_sql_i64),
	    cmocka_unit_test(test_sql_ts),
	    cmocka_unit_test(test_uuid_valid),
	    cmocka_unit_test(test_revoke_payload),
	    cmocka_unit_test(test_pg_params),
	    cmocka_unit_test(test_migrations_compiled),
	    cmocka_unit_test(test_migrations_check_rejects),
	    cmocka_unit_test(test_queue_bound),
	    cmocka_unit_test(test_invalid_ids_refused),
	    cmocka_unit_test(test_grace),
	    cmocka_unit_test(test_batch_sql_merged),
	    cmocka_unit_test(test_batch_copy_merged),
	    cmocka_unit_test(test_take_copy_parts),
	    cmocka_unit_test(test_take_routes),
	    cmocka_unit_test(test_take_holds_young),
	    cmocka_unit_test(test_take_flush_all_and_grace),
	    cmocka_unit_test(test_rejected_copy_salvaged_as_insert),
	    cmocka_unit_test(test_batch_groups_and_lossy_text),
	    cmocka_unit_test(test_done_while_in_flight),
	    cmocka_unit_test(test_batch_size_and_kick),
	    cmocka_unit_test(test_large_text_heap),
	    cmocka_unit_test(test_rejected_batch_salvage),
	    cmocka_unit_test(test_close_frees_outstanding),
	    cmocka_unit_test(test_lookup_without_connection),
	    cmocka_unit_test(test_session_groups_sql),
	    cmocka_unit_test(test_large_params_heap),
	    cmocka_unit_test(test_durable_unreachable_detached),
	    cmocka_unit_test(test_durable_done_cancels),
	    cmocka_unit_test(test_durable_queue_full),
	    cmocka_unit_test(test_durable_sql),
	    cmocka_unit_test(test_query_without_connection),
	    cmocka_unit_test(test_channel_names),
	};
	const struct CMUnitTest pg[] = {
	    cmocka_unit_test_setup_teardown(test_pg_migrate_and_admin, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_schema_missing,
	                                    pg_setup_empty, pg_teardown),
	    cmocka_unit_test(test_pg_unreachable),
	    cmocka_unit_test_setup_teardown(test_pg_lookup, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_revoke_notify, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_recorder_rows, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_rejected_records, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_reconnect, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_batch_lost_in_flight,
	                                    pg_setup, pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_close_flushes, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_copy_rows, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_running_held_until_done,
	                                    pg_setup, pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_copy_duplicate, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_copy_large, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_copy_lost_in_flight,
	                                    pg_setup, pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_close_flushes_running,
	                                    pg_setup, pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_server_down, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_concurrent_migrate,
	                                    pg_setup_empty, pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_durable_commit, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_durable_group, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_durable_done_in_flight,
	                                    pg_setup, pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_durable_unreachable,
	                                    pg_setup, pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_durable_timeout, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_policy_columns, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_query, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_listen, pg_setup,
	                                    pg_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_policy_admin, pg_setup,
	                                    pg_teardown),
	};
	int failed;

	log_set_level(getenv("AGENTGATE_TEST_VERBOSE") ? LOG_DEBUG : LOG_ERROR);
	failed = cmocka_run_group_tests_name("store", unit, NULL, NULL);
	failed += cmocka_run_group_tests_name("store_pg", pg, NULL, NULL);
	return failed;
}
