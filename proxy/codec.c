/*
 * MySQL packet codec: framing, OK/ERR/EOF, the v10 greeting in both
 * directions, HandshakeResponse41 in both directions, auth switch and the
 * password scrambles. Pure functions over memory; every read goes through
 * the core cursor, so a truncated or lying packet yields an error, never an
 * out-of-bounds read.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "proxy/mysql.h"

const char *mysql_command_name(uint8_t cmd)
{
	static const char *const names[] = {
		"COM_SLEEP",          "COM_QUIT",
		"COM_INIT_DB",        "COM_QUERY",
		"COM_FIELD_LIST",     "COM_CREATE_DB",
		"COM_DROP_DB",        "COM_REFRESH",
		"COM_SHUTDOWN",       "COM_STATISTICS",
		"COM_PROCESS_INFO",   "COM_CONNECT",
		"COM_PROCESS_KILL",   "COM_DEBUG",
		"COM_PING",           "COM_TIME",
		"COM_DELAYED_INSERT", "COM_CHANGE_USER",
		"COM_BINLOG_DUMP",    "COM_TABLE_DUMP",
		"COM_CONNECT_OUT",    "COM_REGISTER_SLAVE",
		"COM_STMT_PREPARE",   "COM_STMT_EXECUTE",
		"COM_STMT_SEND_LONG_DATA", "COM_STMT_CLOSE",
		"COM_STMT_RESET",     "COM_SET_OPTION",
		"COM_STMT_FETCH",     "COM_DAEMON",
		"COM_BINLOG_DUMP_GTID", "COM_RESET_CONNECTION",
	};

	if (cmd < sizeof names / sizeof names[0])
		return names[cmd];
	return "COM_UNKNOWN";
}

void mysql_frame(struct core_buf *out, uint8_t *seq, const void *payload,
                 size_t len)
{
	const uint8_t *p = payload;

	for (;;) {
		size_t n = len > MYSQL_MAX_PAYLOAD ? MYSQL_MAX_PAYLOAD : len;
		wr_u24le(out, (uint32_t)n);
		wr_u8(out, (*seq)++);
		wr_bytes(out, p, n);
		p += n;
		len -= n;
		/* A payload of exactly 0xFFFFFF is followed by a (maybe empty)
		 * packet that ends it. */
		if (n < MYSQL_MAX_PAYLOAD)
			break;
	}
}

void mysql_build_err(struct core_buf *out, uint16_t code, const char *state,
                     const char *msg)
{
	size_t n = strlen(msg);

	wr_u8(out, 0xFF);
	wr_u16le(out, code);
	wr_u8(out, '#');
	wr_bytes(out, state, 5);
	/* Clients print messages from fixed buffers; keep ours readable. */
	wr_bytes(out, msg, n > 500 ? 500 : n);
}

void mysql_build_ok(struct core_buf *out, uint64_t affected,
                    uint64_t last_id, uint16_t status, uint16_t warnings)
{
	wr_u8(out, 0x00);
	wr_lenenc(out, affected);
	wr_lenenc(out, last_id);
	wr_u16le(out, status);
	wr_u16le(out, warnings);
}

bool mysql_parse_ok(const uint8_t *p, size_t len, struct mysql_ok *ok)
{
	struct cursor c;
	uint8_t h;

	cursor_init(&c, p, len);
	memset(ok, 0, sizeof *ok);
	if (!rd_u8(&c, &h) || (h != 0x00 && h != 0xFE))
		return false;
	if (!rd_lenenc(&c, &ok->affected_rows) ||
	    !rd_lenenc(&c, &ok->last_insert_id))
		return false;
	/* Status and warnings are absent only in pre-4.1 servers. */
	if (!rd_u16le(&c, &ok->status) || !rd_u16le(&c, &ok->warnings))
		return false;
	return true;
}

bool mysql_parse_err(const uint8_t *p, size_t len, struct mysql_err *err)
{
	struct cursor c;
	uint8_t h, marker;
	const uint8_t *s;
	size_t n;

	cursor_init(&c, p, len);
	memset(err, 0, sizeof *err);
	if (!rd_u8(&c, &h) || h != 0xFF || !rd_u16le(&c, &err->code))
		return false;
	if (cursor_left(&c) >= 6 && c.p[c.pos] == '#') {
		if (!rd_u8(&c, &marker) || !rd_bytes(&c, 5, &s))
			return false;
		memcpy(err->state, s, 5);
	} else {
		memcpy(err->state, "HY000", 5);
	}
	rd_rest(&c, &s, &n);
	if (n >= sizeof err->message)
		n = sizeof err->message - 1;
	memcpy(err->message, s, n);
	err->message[n] = '\0';
	return true;
}

bool mysql_is_eof(const uint8_t *p, size_t len)
{
	return len >= 1 && len < 9 && p[0] == 0xFE;
}

bool mysql_parse_eof(const uint8_t *p, size_t len, uint16_t *warnings,
                     uint16_t *status)
{
	struct cursor c;
	uint8_t h;

	if (!mysql_is_eof(p, len))
		return false;
	cursor_init(&c, p, len);
	*warnings = 0;
	*status = 0;
	if (!rd_u8(&c, &h))
		return false;
	if (cursor_left(&c) >= 4)
		return rd_u16le(&c, warnings) && rd_u16le(&c, status);
	return true;
}

void mysql_build_greeting(struct core_buf *out, const struct mysql_greeting *g)
{
	static const uint8_t zeros[10] = {0};

	wr_u8(out, 10);
	wr_nulstr(out, g->server_version);
	wr_u32le(out, g->connection_id);
	wr_bytes(out, g->scramble, 8);
	wr_u8(out, 0);
	wr_u16le(out, (uint16_t)g->capabilities);
	wr_u8(out, g->charset);
	wr_u16le(out, g->status);
	wr_u16le(out, (uint16_t)(g->capabilities >> 16));
	wr_u8(out, MYSQL_SCRAMBLE_LEN + 1);
	/* Reserved. With CLIENT_LONG_PASSWORD set, MariaDB clients read no
	 * extended capabilities from these bytes. */
	wr_bytes(out, zeros, 10);
	wr_bytes(out, g->scramble + 8, MYSQL_SCRAMBLE_LEN - 8);
	wr_u8(out, 0);
	wr_nulstr(out, g->auth_plugin);
}

static bool copy_str(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n >= dstlen)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

bool mysql_parse_greeting(const uint8_t *p, size_t len,
                          struct mysql_server_greeting *g, char *err,
                          size_t errlen)
{
	struct cursor c;
	const char *s;
	const uint8_t *b;
	size_t n;
	uint16_t caps_lo, caps_hi;
	uint8_t auth_len, filler;

	cursor_init(&c, p, len);
	memset(g, 0, sizeof *g);
	if (len > 0 && p[0] == 0xFF) {
		struct mysql_err e;
		if (mysql_parse_err(p, len, &e))
			snprintf(err, errlen, "server refused the connection: %u %s",
			         e.code, e.message);
		else
			snprintf(err, errlen, "server refused the connection");
		return false;
	}
	if (!rd_u8(&c, &g->protocol) || g->protocol != 10) {
		snprintf(err, errlen, "unsupported protocol version %u", g->protocol);
		return false;
	}
	if (!rd_nulstr(&c, &s, &n) || !copy_str(g->version, sizeof g->version, s, n) ||
	    !rd_u32le(&c, &g->connection_id) || !rd_bytes(&c, 8, &b))
		goto malformed;
	memcpy(g->scramble, b, 8);
	if (!rd_u8(&c, &filler) || !rd_u16le(&c, &caps_lo) ||
	    !rd_u8(&c, &g->charset) || !rd_u16le(&c, &g->status) ||
	    !rd_u16le(&c, &caps_hi) || !rd_u8(&c, &auth_len) || !rd_skip(&c, 10))
		goto malformed;
	g->capabilities = (uint32_t)caps_lo | ((uint32_t)caps_hi << 16);
	if (!(g->capabilities & CLIENT_PROTOCOL_41) ||
	    !(g->capabilities & CLIENT_SECURE_CONNECTION)) {
		snprintf(err, errlen, "server lacks protocol 4.1 authentication");
		return false;
	}
	/* Second part of the scramble: max(13, auth_len - 8) bytes, the last of
	 * which is a NUL terminator. */
	n = auth_len > 8 ? (size_t)auth_len - 8 : 13;
	if (n < 13)
		n = 13;
	if (!rd_bytes(&c, n, &b))
		goto malformed;
	memcpy(g->scramble + 8, b, 12);
	if (g->capabilities & CLIENT_PLUGIN_AUTH) {
		if (rd_nulstr(&c, &s, &n)) {
			if (!copy_str(g->auth_plugin, sizeof g->auth_plugin, s, n))
				goto malformed;
		} else {
			/* Some servers omit the final NUL. */
			rd_rest(&c, &b, &n);
			if (!copy_str(g->auth_plugin, sizeof g->auth_plugin,
			              (const char *)b, n))
				goto malformed;
		}
	}
	if (!g->auth_plugin[0])
		strcpy(g->auth_plugin, "mysql_native_password");
	return true;
malformed:
	snprintf(err, errlen, "malformed server greeting");
	return false;
}

enum mysql_parse_result
mysql_parse_handshake_response(const uint8_t *p, size_t len,
                               struct mysql_handshake_response *r, char *err,
                               size_t errlen)
{
	struct cursor c;
	const uint8_t *b;
	const char *s;
	size_t n;
	uint8_t alen;
	uint64_t l64;

	memset(r, 0, sizeof *r);
	cursor_init(&c, p, len);
	if (!rd_u32le(&c, &r->capabilities) || !rd_u32le(&c, &r->max_packet) ||
	    !rd_u8(&c, &r->charset) || !rd_skip(&c, 23)) {
		snprintf(err, errlen, "handshake response is truncated");
		return MYSQL_PARSE_ERROR;
	}
	if (!(r->capabilities & CLIENT_PROTOCOL_41)) {
		snprintf(err, errlen, "client does not speak protocol 4.1");
		return MYSQL_PARSE_ERROR;
	}
	if (len == MYSQL_SSL_REQUEST_LEN && (r->capabilities & CLIENT_SSL))
		return MYSQL_PARSE_SSL_REQUEST;
	if (!rd_nulstr(&c, &r->user, &r->user_len)) {
		snprintf(err, errlen, "handshake response has no user name");
		return MYSQL_PARSE_ERROR;
	}
	if (r->capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
		if (!rd_lenenc_str(&c, &r->auth, &r->auth_len))
			goto truncated;
	} else if (r->capabilities & CLIENT_SECURE_CONNECTION) {
		if (!rd_u8(&c, &alen) || !rd_bytes(&c, alen, &r->auth))
			goto truncated;
		r->auth_len = alen;
	} else {
		if (!rd_nulstr(&c, &s, &n))
			goto truncated;
		r->auth = (const uint8_t *)s;
		r->auth_len = n;
	}
	if ((r->capabilities & CLIENT_CONNECT_WITH_DB) && cursor_left(&c) > 0) {
		if (!rd_nulstr(&c, &r->database, &r->database_len))
			goto truncated;
	}
	if ((r->capabilities & CLIENT_PLUGIN_AUTH) && cursor_left(&c) > 0) {
		if (!rd_nulstr(&c, &r->auth_plugin, &r->auth_plugin_len))
			goto truncated;
	}
	if ((r->capabilities & CLIENT_CONNECT_ATTRS) && cursor_left(&c) > 0) {
		struct cursor a;
		if (!rd_lenenc(&c, &l64) || l64 > cursor_left(&c) ||
		    !rd_bytes(&c, (size_t)l64, &b))
			goto truncated;
		/* Check that the attributes are well-formed pairs, so they can
		 * be forwarded without a second look. */
		cursor_init(&a, b, (size_t)l64);
		while (cursor_left(&a) > 0) {
			const uint8_t *k, *v;
			size_t kn, vn;
			if (!rd_lenenc_str(&a, &k, &kn) || !rd_lenenc_str(&a, &v, &vn)) {
				snprintf(err, errlen, "malformed connection attributes");
				return MYSQL_PARSE_ERROR;
			}
		}
		r->attrs = b;
		r->attrs_len = (size_t)l64;
	}
	return MYSQL_PARSE_OK;
truncated:
	snprintf(err, errlen, "handshake response is truncated");
	return MYSQL_PARSE_ERROR;
}

void mysql_build_ssl_request(struct core_buf *out, uint32_t capabilities,
                             uint8_t charset)
{
	static const uint8_t zeros[23] = {0};

	wr_u32le(out, capabilities | CLIENT_SSL);
	wr_u32le(out, MYSQL_MAX_PAYLOAD);
	wr_u8(out, charset);
	wr_bytes(out, zeros, sizeof zeros);
}

void mysql_build_login(struct core_buf *out, const struct mysql_login *l)
{
	static const uint8_t zeros[23] = {0};

	wr_u32le(out, l->capabilities);
	wr_u32le(out, MYSQL_MAX_PAYLOAD);
	wr_u8(out, l->charset);
	wr_bytes(out, zeros, sizeof zeros);
	wr_nulstr(out, l->user);
	if (l->capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
		wr_lenenc_str(out, l->auth, l->auth_len);
	} else {
		/* Callers only send scrambles (at most 32 bytes) this way. */
		wr_u8(out, (uint8_t)l->auth_len);
		wr_bytes(out, l->auth, l->auth_len);
	}
	if (l->capabilities & CLIENT_CONNECT_WITH_DB)
		wr_nulstr(out, l->database ? l->database : "");
	if (l->capabilities & CLIENT_PLUGIN_AUTH)
		wr_nulstr(out, l->auth_plugin);
	if (l->capabilities & CLIENT_CONNECT_ATTRS)
		wr_lenenc_str(out, l->attrs, l->attrs_len);
}

void mysql_build_auth_switch(struct core_buf *out, const char *plugin,
                             const uint8_t *data, size_t len)
{
	wr_u8(out, 0xFE);
	wr_nulstr(out, plugin);
	wr_bytes(out, data, len);
	wr_u8(out, 0);
}

static void digest(const EVP_MD *md, const void *a, size_t alen,
                   const void *b, size_t blen, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;

	if (!ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    (blen && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
}

void mysql_native_scramble(const char *password, const uint8_t *scramble,
                           size_t scramble_len, uint8_t out[20])
{
	uint8_t h1[20], h2[20], h3[20];

	digest(EVP_sha1(), password, strlen(password), NULL, 0, h1);
	digest(EVP_sha1(), h1, 20, NULL, 0, h2);
	digest(EVP_sha1(), scramble, scramble_len, h2, 20, h3);
	for (int i = 0; i < 20; i++)
		out[i] = h1[i] ^ h3[i];
	explicit_bzero(h1, sizeof h1);
	explicit_bzero(h2, sizeof h2);
}

void mysql_sha2_scramble(const char *password, const uint8_t *scramble,
                         size_t scramble_len, uint8_t out[32])
{
	uint8_t h1[32], h2[32], h3[32];

	digest(EVP_sha256(), password, strlen(password), NULL, 0, h1);
	digest(EVP_sha256(), h1, 32, NULL, 0, h2);
	digest(EVP_sha256(), h2, 32, scramble, scramble_len, h3);
	for (int i = 0; i < 32; i++)
		out[i] = h1[i] ^ h3[i];
	explicit_bzero(h1, sizeof h1);
	explicit_bzero(h2, sizeof h2);
}

bool mysql_sha2_rsa_encrypt(const char *password, const uint8_t *scramble,
                            size_t scramble_len, const char *pem,
                            size_t pem_len, uint8_t **out, size_t *outlen)
{
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t plen = strlen(password) + 1, n = 0;
	uint8_t *plain = NULL, *cipher = NULL;
	bool ok = false;

	if (scramble_len == 0 || pem_len > 16384)
		return false;
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	if (!bio)
		goto done;
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!key)
		goto done;
	plain = core_xmalloc(plen);
	memcpy(plain, password, plen);
	for (size_t i = 0; i < plen; i++)
		plain[i] ^= scramble[i % scramble_len];
	ctx = EVP_PKEY_CTX_new(key, NULL);
	if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_encrypt(ctx, NULL, &n, plain, plen) <= 0)
		goto done;
	cipher = core_xmalloc(n);
	if (EVP_PKEY_encrypt(ctx, cipher, &n, plain, plen) <= 0)
		goto done;
	*out = cipher;
	*outlen = n;
	cipher = NULL;
	ok = true;
done:
	if (plain) {
		explicit_bzero(plain, plen);
		free(plain);
	}
	free(cipher);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	BIO_free(bio);
	ERR_clear_error();
	return ok;
}

void mysql_random_scramble(uint8_t out[MYSQL_SCRAMBLE_LEN])
{
	if (RAND_bytes(out, MYSQL_SCRAMBLE_LEN) != 1)
		abort();
	/* Servers send printable ASCII without NUL or '$'. */
	for (int i = 0; i < MYSQL_SCRAMBLE_LEN; i++) {
		out[i] = (uint8_t)(0x21 + out[i] % 0x5E);
		if (out[i] == '$')
			out[i] = '#';
	}
}
