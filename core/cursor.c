/*
 * The bounds-checked read cursor for untrusted bytes. Every reader checks
 * what is left before it reads and leaves the cursor untouched on failure.
 * Lengths are compared against what is left (`n > left`), never by adding
 * to a position, so no declared length can wrap.
 */
#include <string.h>

#include "core/core.h"

bool rd_u8(struct cursor *c, uint8_t *v)
{
	if (cursor_left(c) < 1)
		return false;
	*v = c->p[c->pos++];
	return true;
}

bool rd_u16le(struct cursor *c, uint16_t *v)
{
	if (cursor_left(c) < 2)
		return false;
	*v = (uint16_t)(c->p[c->pos] | (c->p[c->pos + 1] << 8));
	c->pos += 2;
	return true;
}

bool rd_u24le(struct cursor *c, uint32_t *v)
{
	if (cursor_left(c) < 3)
		return false;
	*v = (uint32_t)c->p[c->pos] | ((uint32_t)c->p[c->pos + 1] << 8) |
	     ((uint32_t)c->p[c->pos + 2] << 16);
	c->pos += 3;
	return true;
}

bool rd_u32le(struct cursor *c, uint32_t *v)
{
	if (cursor_left(c) < 4)
		return false;
	*v = (uint32_t)c->p[c->pos] | ((uint32_t)c->p[c->pos + 1] << 8) |
	     ((uint32_t)c->p[c->pos + 2] << 16) |
	     ((uint32_t)c->p[c->pos + 3] << 24);
	c->pos += 4;
	return true;
}

bool rd_u64le(struct cursor *c, uint64_t *v)
{
	uint64_t r = 0;

	if (cursor_left(c) < 8)
		return false;
	for (int i = 7; i >= 0; i--)
		r = (r << 8) | c->p[c->pos + (size_t)i];
	c->pos += 8;
	*v = r;
	return true;
}

bool rd_lenenc(struct cursor *c, uint64_t *v)
{
	struct cursor save = *c;
	uint8_t first;
	uint16_t v16;
	uint32_t v32;

	if (!rd_u8(c, &first))
		return false;
	if (first < 0xFB) {
		*v = first;
		return true;
	}
	switch (first) {
	case 0xFC:
		if (!rd_u16le(c, &v16))
			break;
		*v = v16;
		return true;
	case 0xFD:
		if (!rd_u24le(c, &v32))
			break;
		*v = v32;
		return true;
	case 0xFE:
		if (!rd_u64le(c, v))
			break;
		return true;
	default: /* 0xFB is NULL, 0xFF is an error marker: not integers */
		break;
	}
	*c = save;
	return false;
}

bool rd_bytes(struct cursor *c, size_t n, const uint8_t **s)
{
	if (n > cursor_left(c))
		return false;
	*s = c->p + c->pos;
	c->pos += n;
	return true;
}

bool rd_skip(struct cursor *c, size_t n)
{
	if (n > cursor_left(c))
		return false;
	c->pos += n;
	return true;
}

bool rd_nulstr(struct cursor *c, const char **s, size_t *n)
{
	const uint8_t *start, *nul;

	if (cursor_left(c) == 0)
		return false;
	start = c->p + c->pos;
	nul = memchr(start, 0, cursor_left(c));
	if (!nul)
		return false;
	*s = (const char *)start;
	*n = (size_t)(nul - start);
	c->pos += *n + 1;
	return true;
}

bool rd_lenenc_str(struct cursor *c, const uint8_t **s, size_t *n)
{
	struct cursor save = *c;
	uint64_t len;

	if (!rd_lenenc(c, &len))
		return false;
	if (len > cursor_left(c)) {
		*c = save;
		return false;
	}
	*n = (size_t)len;
	*s = c->p + c->pos;
	c->pos += (size_t)len;
	return true;
}

void rd_rest(struct cursor *c, const uint8_t **s, size_t *n)
{
	*s = c->p + c->pos;
	*n = cursor_left(c);
	c->pos = c->len;
}
