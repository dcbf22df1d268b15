/*
 * Response tracker: follows a server's answer to one command packet by
 * packet, looking only at the first bytes of each, so the relay knows where
 * the answer ends (and what it said, for the record) without ever holding
 * more than one small packet. Rows are never inspected beyond their first
 * byte. The gateway never negotiates CLIENT_DEPRECATE_EOF, so column
 * definitions and rows always end with a classic EOF packet (0xFE, fewer
 * than 9 bytes) — a row can never look like that.
 */
#include <string.h>

#include "proxy/internal.h"

/* OK and ERR packets are small; one larger than this is not one. */
#define RESP_MAX_SMALL_PACKET 65536

void resp_begin(struct resp *r, enum resp_kind kind, bool execute)
{
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->execute = execute;
	r->state = kind == RESP_FIELDS ? RS_COLUMNS
	           : kind == RESP_ROWS ? RS_ROWS
	                               : RS_FIRST;
	/* A field list has no count: it runs until EOF. */
	r->cols_left = UINT64_MAX;
}

static enum resp_step on_err(struct resp *r, const uint8_t *p, size_t len)
{
	if (!mysql_parse_err(p, len, &r->err))
		return RESP_STEP_BAD;
	r->is_error = true;
	r->state = RS_DONE;
	return RESP_STEP_DONE;
}

/* End of a result: another follows when the server says so. */
static enum resp_step next_result(struct resp *r, uint16_t status)
{
	if (status & SERVER_MORE_RESULTS_EXISTS) {
		r->state = RS_FIRST;
		return RESP_STEP_MORE;
	}
	r->state = RS_DONE;
	return RESP_STEP_DONE;
}

enum resp_step resp_packet(struct resp *r, const uint8_t *p, size_t have,
                           size_t len)
{
	struct mysql_ok ok;
	uint16_t warnings, status;
	uint8_t first;
	bool small;

	if (r->continuation) {
		if (len < MYSQL_MAX_PAYLOAD) {
			r->continuation = false;
			/* A raw answer is one packet: its last part ends it. */
			if (r->kind == RESP_RAW) {
				r->state = RS_DONE;
				return RESP_STEP_DONE;
			}
		}
		return RESP_STEP_MORE;
	}
	if (r->state == RS_DONE)
		return RESP_STEP_BAD;
	if (len == 0)
		return r->kind == RESP_RAW ? (r->state = RS_DONE, RESP_STEP_DONE)
		                           : RESP_STEP_BAD;
	if (have == 0)
		return RESP_STEP_NEED_WHOLE;
	first = p[0];
	small = len <= RESP_MAX_SMALL_PACKET;

	if (r->kind == RESP_RAW) {
		if (len == MYSQL_MAX_PAYLOAD)
			r->continuation = true;
		else
			r->state = RS_DONE;
		return r->continuation ? RESP_STEP_MORE : RESP_STEP_DONE;
	}
	/* ERR may end any answer at any point. */
	if (first == 0xFF) {
		if (!small)
			return RESP_STEP_BAD;
		if (have < len)
			return RESP_STEP_NEED_WHOLE;
		return on_err(r, p, len);
	}

	switch (r->state) {
	case RS_FIRST:
		if (first == 0x00 || (r->kind == RESP_OK && first == 0xFE)) {
			if (!small)
				return RESP_STEP_BAD;
			if (have < len)
				return RESP_STEP_NEED_WHOLE;
			if (r->kind == RESP_PREPARE) {
				struct cursor c;
				uint8_t h, filler;
				uint16_t ncols, nparams;
				cursor_init(&c, p, len);
				if (!rd_u8(&c, &h) || !rd_u32le(&c, &r->stmt_id) ||
				    !rd_u16le(&c, &ncols) || !rd_u16le(&c, &nparams) ||
				    !rd_u8(&c, &filler))
					return RESP_STEP_BAD;
				r->prep_columns = ncols;
				r->prep_params = nparams;
				if (nparams > 0) {
					r->cols_left = nparams;
					r->state = RS_PARAMS;
					return RESP_STEP_MORE;
				}
				if (ncols > 0) {
					r->cols_left = ncols;
					r->prep_columns = 0;
					r->state = RS_COLUMNS;
					return RESP_STEP_MORE;
				}
				r->state = RS_DONE;
				return RESP_STEP_DONE;
			}
			if (first == 0xFE) {
				/* COM_SET_OPTION answers with EOF. */
				if (!mysql_parse_eof(p, len, &warnings, &status))
					return RESP_STEP_BAD;
				r->state = RS_DONE;
				return RESP_STEP_DONE;
			}
			if (!mysql_parse_ok(p, len, &ok))
				return RESP_STEP_BAD;
			r->affected_rows += ok.affected_rows;
			if (r->kind == RESP_OK) {
				r->state = RS_DONE;
				return RESP_STEP_DONE;
			}
			return next_result(r, ok.status);
		}
		if (r->kind == RESP_OK || r->kind == RESP_PREPARE)
			return RESP_STEP_BAD;
		if (first == 0xFB) {
			/* LOCAL INFILE request: never negotiated, never honoured;
			 * its first byte is enough to refuse it. */
			r->local_infile = true;
			return RESP_STEP_BAD;
		}
		/* Column count. */
		{
			struct cursor c;
			uint64_t n;
			if (!small)
				return RESP_STEP_BAD;
			if (have < len)
				return RESP_STEP_NEED_WHOLE;
			cursor_init(&c, p, len);
			if (!rd_lenenc(&c, &n) || n == 0 || n > 4096)
				return RESP_STEP_BAD;
			r->cols_left = n;
			r->state = RS_COLUMNS;
			return RESP_STEP_MORE;
		}
	case RS_PARAMS:
	case RS_COLUMNS:
		if (first == 0xFE && len < 9) {
			/* Only a field list ends its definitions with EOF here. */
			if (r->kind != RESP_FIELDS)
				return RESP_STEP_BAD;
			if (have < len)
				return RESP_STEP_NEED_WHOLE;
			r->state = RS_DONE;
			return RESP_STEP_DONE;
		}
		if (len == MYSQL_MAX_PAYLOAD)
			r->continuation = true;
		if (r->kind == RESP_FIELDS)
			return RESP_STEP_MORE;
		if (--r->cols_left == 0)
			r->state = r->state == RS_PARAMS ? RS_PARAMS_EOF : RS_COLUMNS_EOF;
		return RESP_STEP_MORE;
	case RS_PARAMS_EOF:
		if (!mysql_is_eof(p, len))
			return RESP_STEP_BAD;
		if (have < len)
			return RESP_STEP_NEED_WHOLE;
		if (r->prep_columns > 0) {
			r->cols_left = r->prep_columns;
			r->prep_columns = 0;
			r->state = RS_COLUMNS;
			return RESP_STEP_MORE;
		}
		r->state = RS_DONE;
		return RESP_STEP_DONE;
	case RS_COLUMNS_EOF:
		if (!mysql_is_eof(p, len))
			return RESP_STEP_BAD;
		if (have < len)
			return RESP_STEP_NEED_WHOLE;
		if (r->kind == RESP_PREPARE) {
			r->state = RS_DONE;
			return RESP_STEP_DONE;
		}
		if (!mysql_parse_eof(p, len, &warnings, &status))
			return RESP_STEP_BAD;
		/* A prepared statement executed with a cursor: rows come with
		 * COM_STMT_FETCH. */
		if (r->execute && (status & SERVER_STATUS_CURSOR_EXISTS)) {
			r->state = RS_DONE;
			return RESP_STEP_DONE;
		}
		r->state = RS_ROWS;
		return RESP_STEP_MORE;
	case RS_ROWS:
		if (first == 0xFE && len < 9) {
			if (have < len)
				return RESP_STEP_NEED_WHOLE;
			if (!mysql_parse_eof(p, len, &warnings, &status))
				return RESP_STEP_BAD;
			if (r->kind == RESP_ROWS) {
				r->state = RS_DONE;
				return RESP_STEP_DONE;
			}
			return next_result(r, status);
		}
		r->rows++;
		if (len == MYSQL_MAX_PAYLOAD)
			r->continuation = true;
		return RESP_STEP_MORE;
	case RS_DONE:
		break;
	}
	return RESP_STEP_BAD;
}
