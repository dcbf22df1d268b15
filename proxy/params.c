/*
 * Decoding the parameters of COM_STMT_EXECUTE for the record: the binary
 * protocol values become a JSON array ([1, "abc", null, "2024-01-02"]) so a
 * reviewer or auditor sees what actually ran, not just the `?` template.
 *
 * Types arrive only when the client (re)binds; they are kept per prepared
 * statement and reused. Parameters sent with COM_STMT_SEND_LONG_DATA carry
 * no value in the execute packet and are shown as "<long data>". Long
 * values are shortened with their full length noted. Every read goes
 * through the bounds-checked cursor; a malformed packet yields false and
 * nothing is recorded as its parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/internal.h"

/* Binary protocol column types. */
enum {
	T_DECIMAL = 0, T_TINY = 1, T_SHORT = 2, T_LONG = 3, T_FLOAT = 4,
	T_DOUBLE = 5, T_NULL = 6, T_TIMESTAMP = 7, T_LONGLONG = 8, T_INT24 = 9,
	T_DATE = 10, T_TIME = 11, T_DATETIME = 12, T_YEAR = 13,
};

/* A value longer than this is shortened in the record. */
#define PARAM_SHOW_MAX 1024
#define UNSIGNED_FLAG 0x80

static void json_string(struct core_buf *out, const uint8_t *s, size_t n)
{
	size_t show = n > PARAM_SHOW_MAX ? PARAM_SHOW_MAX : n;

	core_buf_json_string(out, s, show);
	if (show < n) {
		/* The note goes inside the string. */
		out->len--;
		core_buf_printf(out, "...(%zu bytes)\"", n);
	}
}

static bool temporal(struct cursor *c, uint8_t type, struct core_buf *out)
{
	uint8_t len, b8 = 0, month = 0, day = 0, hour = 0, min = 0, sec = 0;
	uint16_t year = 0;
	uint32_t days = 0, micro = 0;

	if (!rd_u8(c, &len))
		return false;
	if (type == T_TIME) {
		if (len != 0 && len != 8 && len != 12)
			return false;
		if (len >= 8 && (!rd_u8(c, &b8) || !rd_u32le(c, &days) ||
		                 !rd_u8(c, &hour) || !rd_u8(c, &min) ||
		                 !rd_u8(c, &sec)))
			return false;
		if (len == 12 && !rd_u32le(c, &micro))
			return false;
		core_buf_printf(out, "\"%s%u %02u:%02u:%02u.%06u\"", b8 ? "-" : "",
		                days, hour, min, sec, micro);
		return true;
	}
	if (len != 0 && len != 4 && len != 7 && len != 11)
		return false;
	if (len >= 4 && (!rd_u16le(c, &year) || !rd_u8(c, &month) ||
	                 !rd_u8(c, &day)))
		return false;
	if (len >= 7 && (!rd_u8(c, &hour) || !rd_u8(c, &min) || !rd_u8(c, &sec)))
		return false;
	if (len == 11 && !rd_u32le(c, &micro))
		return false;
	if (type == T_DATE)
		core_buf_printf(out, "\"%04u-%02u-%02u\"", year, month, day);
	else
		core_buf_printf(out, "\"%04u-%02u-%02u %02u:%02u:%02u.%06u\"", year,
		                month, day, hour, min, sec, micro);
	return true;
}

static bool value(struct cursor *c, uint8_t type, bool is_unsigned,
                  struct core_buf *out)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	const uint8_t *s;
	size_t n;

	switch (type) {
	case T_TINY:
		if (!rd_u8(c, &u8))
			return false;
		core_buf_printf(out, "%d", is_unsigned ? (int)u8 : (int)(int8_t)u8);
		return true;
	case T_SHORT:
	case T_YEAR:
		if (!rd_u16le(c, &u16))
			return false;
		core_buf_printf(out, "%d",
		                is_unsigned ? (int)u16 : (int)(int16_t)u16);
		return true;
	case T_LONG:
	case T_INT24:
		if (!rd_u32le(c, &u32))
			return false;
		if (is_unsigned)
			core_buf_printf(out, "%u", u32);
		else
			core_buf_printf(out, "%d", (int32_t)u32);
		return true;
	case T_LONGLONG:
		if (!rd_u64le(c, &u64))
			return false;
		if (is_unsigned)
			core_buf_printf(out, "%llu", (unsigned long long)u64);
		else
			core_buf_printf(out, "%lld", (long long)(int64_t)u64);
		return true;
	case T_FLOAT: {
		float f;
		if (!rd_u32le(c, &u32))
			return false;
		memcpy(&f, &u32, sizeof f);
		if (f != f || f - f != 0)
			core_buf_printf(out, "\"%g\"", (double)f); /* NaN, inf */
		else
			core_buf_printf(out, "%.9g", (double)f);
		return true;
	}
	case T_DOUBLE: {
		double d;
		if (!rd_u64le(c, &u64))
			return false;
		memcpy(&d, &u64, sizeof d);
		if (d != d || d - d != 0)
			core_buf_printf(out, "\"%g\"", d);
		else
			core_buf_printf(out, "%.17g", d);
		return true;
	}
	case T_NULL:
		core_buf_append_str(out, "null");
		return true;
	case T_DATE:
	case T_DATETIME:
	case T_TIMESTAMP:
	case T_TIME:
		return temporal(c, type, out);
	default:
		/* Decimals, strings, blobs, JSON, enums, bits, geometry. */
		if (!rd_lenenc_str(c, &s, &n))
			return false;
		json_string(out, s, n);
		return true;
	}
}

bool proxy_decode_params(const uint8_t *pkt, size_t len,
                         struct prepared *ps, struct core_buf *out)
{
	struct cursor c;
	const uint8_t *nulls = NULL, *types;
	uint8_t cmd, flags, bound;
	uint32_t id, iterations;
	size_t nbytes = ((size_t)ps->n_params + 7) / 8;

	core_buf_reset(out);
	cursor_init(&c, pkt, len);
	if (!rd_u8(&c, &cmd) || !rd_u32le(&c, &id) || !rd_u8(&c, &flags) ||
	    !rd_u32le(&c, &iterations))
		return false;
	if (ps->n_params == 0) {
		core_buf_append_str(out, "[]");
		return true;
	}
	if (!rd_bytes(&c, nbytes, &nulls) || !rd_u8(&c, &bound))
		return false;
	if (bound == 1) {
		if (!rd_bytes(&c, (size_t)ps->n_params * 2, &types))
			return false;
		if (!ps->types)
			ps->types = core_xmalloc((size_t)ps->n_params * 2);
		memcpy(ps->types, types, (size_t)ps->n_params * 2);
	} else if (!ps->types) {
		return false; /* values without ever having had types */
	}
	wr_u8(out, '[');
	for (unsigned i = 0; i < ps->n_params; i++) {
		if (i)
			wr_u8(out, ',');
		if (nulls[i / 8] & (1u << (i % 8))) {
			core_buf_append_str(out, "null");
			continue;
		}
		if (ps->long_data && (ps->long_data[i / 8] & (1u << (i % 8)))) {
			core_buf_append_str(out, "\"<long data>\"");
			continue;
		}
		if (!value(&c, ps->types[2 * i],
		           (ps->types[2 * i + 1] & UNSIGNED_FLAG) != 0, out))
			return false;
	}
	wr_u8(out, ']');
	return true;
}

void proxy_note_long_data(struct prepared *ps, uint16_t param)
{
	if (param >= ps->n_params)
		return;
	if (!ps->long_data)
		ps->long_data = core_xcalloc(((size_t)ps->n_params + 7) / 8, 1);
	ps->long_data[param / 8] |= (uint8_t)(1u << (param % 8));
}

void proxy_clear_long_data(struct prepared *ps)
{
	if (ps->long_data)
		memset(ps->long_data, 0, ((size_t)ps->n_params + 7) / 8);
}
