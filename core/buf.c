/*
 * Growable byte buffers and the little-endian writers of the MySQL codec.
 * Allocation failure aborts: every size appended here has been bounded by
 * the caller first, so running out of memory is not a peer's doing.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

void core_buf_reserve(struct core_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len)
		abort();
	need = b->len + extra;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		abort();
	b->data = p;
	b->cap = cap;
}

void core_buf_append(struct core_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	core_buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void core_buf_append_str(struct core_buf *b, const char *s)
{
	core_buf_append(b, s, strlen(s));
}

void core_buf_printf(struct core_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		abort();
	}
	core_buf_reserve(b, (size_t)n + 1);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
}

void core_buf_reset(struct core_buf *b)
{
	b->len = 0;
}

void core_buf_free(struct core_buf *b)
{
	if (b->data) {
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->cap = 0;
}

void wr_u8(struct core_buf *b, uint8_t v)
{
	core_buf_append(b, &v, 1);
}

void wr_u16le(struct core_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	core_buf_append(b, x, 2);
}

void wr_u24le(struct core_buf *b, uint32_t v)
{
	uint8_t x[3] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16)};
	core_buf_append(b, x, 3);
}

void wr_u32le(struct core_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	                (uint8_t)(v >> 24)};
	core_buf_append(b, x, 4);
}

void wr_u64le(struct core_buf *b, uint64_t v)
{
	wr_u32le(b, (uint32_t)v);
	wr_u32le(b, (uint32_t)(v >> 32));
}

void wr_lenenc(struct core_buf *b, uint64_t v)
{
	if (v < 0xFB) {
		wr_u8(b, (uint8_t)v);
	} else if (v <= 0xFFFF) {
		wr_u8(b, 0xFC);
		wr_u16le(b, (uint16_t)v);
	} else if (v <= 0xFFFFFF) {
		wr_u8(b, 0xFD);
		wr_u24le(b, (uint32_t)v);
	} else {
		wr_u8(b, 0xFE);
		wr_u64le(b, v);
	}
}

void wr_lenenc_str(struct core_buf *b, const void *s, size_t len)
{
	wr_lenenc(b, len);
	core_buf_append(b, s, len);
}

void wr_bytes(struct core_buf *b, const void *s, size_t len)
{
	core_buf_append(b, s, len);
}

void wr_nulstr(struct core_buf *b, const char *s)
{
	core_buf_append(b, s, strlen(s) + 1);
}
