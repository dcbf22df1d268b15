/*
 * Encodings: hex, base64 (standard and URL-safe), UTF-8 sanitising for text
 * that must be stored as text, and random UUIDs. Decoders refuse any
 * character outside their alphabet instead of skipping it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/core.h"

char *core_hex(const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = data;
	char *out = core_xmalloc(len * 2 + 1);

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[len * 2] = '\0';
	return out;
}

static int b64_value(char ch, bool url)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == (url ? '-' : '+'))
		return 62;
	if (ch == (url ? '_' : '/'))
		return 63;
	return -1;
}

bool core_base64_decode(const char *in, size_t inlen, bool url, uint8_t **out,
                        size_t *outlen)
{
	uint8_t *res;
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;

	while (inlen > 0 && in[inlen - 1] == '=')
		inlen--;
	if (inlen % 4 == 1)
		return false;
	res = core_xmalloc(inlen / 4 * 3 + 3);
	for (size_t i = 0; i < inlen; i++) {
		int v = b64_value(in[i], url);
		if (v < 0) {
			free(res);
			return false;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			res[n++] = (uint8_t)(acc >> bits);
		}
	}
	*out = res;
	*outlen = n;
	return true;
}

char *core_base64_encode(const void *data, size_t len, bool url)
{
	const char *alpha =
	    url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *p = data;
	char *out = core_xmalloc((len + 2) / 3 * 4 + 1);
	size_t o = 0, i = 0;

	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = alpha[(v >> 6) & 63];
		else if (!url)
			out[o++] = '=';
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_seq(const uint8_t *p, size_t left)
{
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xE0) == 0xC0) {
		n = 2;
		cp = p[0] & 0x1F;
	} else if ((p[0] & 0xF0) == 0xE0) {
		n = 3;
		cp = p[0] & 0x0F;
	} else if ((p[0] & 0xF8) == 0xF0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

char *core_utf8_sanitize(const void *data, size_t len, bool *lossless)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	const uint8_t *p = data;
	struct core_buf b = {0};
	bool clean = true;
	size_t i = 0;

	core_buf_reserve(&b, len + 1);
	while (i < len) {
		size_t n = p[i] == 0 ? 0 : utf8_seq(p + i, len - i);
		if (n == 0) {
			core_buf_append(&b, replacement, 3);
			clean = false;
			i++;
		} else {
			core_buf_append(&b, p + i, n);
			i += n;
		}
	}
	wr_u8(&b, 0);
	if (lossless)
		*lossless = clean;
	return (char *)b.data;
}

void core_uuid(char out[37])
{
	uint8_t r[16];
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	if (RAND_bytes(r, sizeof r) != 1)
		abort();
	r[6] = (uint8_t)((r[6] & 0x0F) | 0x40);
	r[8] = (uint8_t)((r[8] & 0x3F) | 0x80);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = digits[r[i] >> 4];
		out[o++] = digits[r[i] & 15];
	}
	out[o] = '\0';
}

void core_buf_json_string(struct core_buf *b, const void *data, size_t len)
{
	bool lossless;
	char *clean = core_utf8_sanitize(data, len, &lossless);

	wr_u8(b, '"');
	for (const unsigned char *p = (const unsigned char *)clean; *p; p++) {
		switch (*p) {
		case '"':
			core_buf_append_str(b, "\\\"");
			break;
		case '\\':
			core_buf_append_str(b, "\\\\");
			break;
		case '\n':
			core_buf_append_str(b, "\\n");
			break;
		case '\r':
			core_buf_append_str(b, "\\r");
			break;
		case '\t':
			core_buf_append_str(b, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				core_buf_printf(b, "\\u%04x", *p);
			else
				wr_u8(b, *p);
		}
	}
	free(clean);
	wr_u8(b, '"');
}
