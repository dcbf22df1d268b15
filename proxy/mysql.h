/*
 * The MySQL client/server protocol as far as agentgate speaks it: constants,
 * packet framing and the pure encoders and decoders of the handshake, auth
 * and generic response packets. Everything here works on bytes in memory;
 * no sockets, no event loop, so each function can be tested on its own.
 *
 * Deliberately absent: compression, LOCAL INFILE, CLIENT_DEPRECATE_EOF and
 * session tracking — the gateway never negotiates them.
 */
#ifndef AGENTGATE_PROXY_MYSQL_H
#define AGENTGATE_PROXY_MYSQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Packet header: 3-byte little-endian length, 1-byte sequence id. */
#define MYSQL_HEADER_LEN 4
/* A payload of exactly this length continues in the next packet. */
#define MYSQL_MAX_PAYLOAD 0xFFFFFFu
#define MYSQL_SCRAMBLE_LEN 20

/* Capability flags. */
#define CLIENT_LONG_PASSWORD (1u << 0)
#define CLIENT_FOUND_ROWS (1u << 1)
#define CLIENT_LONG_FLAG (1u << 2)
#define CLIENT_CONNECT_WITH_DB (1u << 3)
#define CLIENT_NO_SCHEMA (1u << 4)
#define CLIENT_COMPRESS (1u << 5)
#define CLIENT_ODBC (1u << 6)
#define CLIENT_LOCAL_FILES (1u << 7)
#define CLIENT_IGNORE_SPACE (1u << 8)
#define CLIENT_PROTOCOL_41 (1u << 9)
#define CLIENT_INTERACTIVE (1u << 10)
#define CLIENT_SSL (1u << 11)
#define CLIENT_IGNORE_SIGPIPE (1u << 12)
#define CLIENT_TRANSACTIONS (1u << 13)
#define CLIENT_RESERVED (1u << 14)
#define CLIENT_SECURE_CONNECTION (1u << 15)
#define CLIENT_MULTI_STATEMENTS (1u << 16)
#define CLIENT_MULTI_RESULTS (1u << 17)
#define CLIENT_PS_MULTI_RESULTS (1u << 18)
#define CLIENT_PLUGIN_AUTH (1u << 19)
#define CLIENT_CONNECT_ATTRS (1u << 20)
#define CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA (1u << 21)
#define CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS (1u << 22)
#define CLIENT_SESSION_TRACK (1u << 23)
#define CLIENT_DEPRECATE_EOF (1u << 24)

/* What the gateway offers to clients (CLIENT_SSL is added when the
 * listener has TLS). Every flag here is one the relay understands. */
#define GATEWAY_CAPABILITIES                                                \
	(CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG |          \
	 CLIENT_CONNECT_WITH_DB | CLIENT_ODBC | CLIENT_IGNORE_SPACE |           \
	 CLIENT_PROTOCOL_41 | CLIENT_INTERACTIVE | CLIENT_IGNORE_SIGPIPE |      \
	 CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION |                       \
	 CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS |                       \
	 CLIENT_PS_MULTI_RESULTS | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS |  \
	 CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)

/* COM_SET_OPTION options. */
#define MYSQL_OPTION_MULTI_STATEMENTS_ON 0
#define MYSQL_OPTION_MULTI_STATEMENTS_OFF 1

/* Server status flags. */
#define SERVER_STATUS_IN_TRANS 0x0001
#define SERVER_STATUS_AUTOCOMMIT 0x0002
#define SERVER_MORE_RESULTS_EXISTS 0x0008
#define SERVER_STATUS_CURSOR_EXISTS 0x0040
#define SERVER_STATUS_LAST_ROW_SENT 0x0080

/* Commands. */
enum mysql_command {
	COM_SLEEP = 0x00,
	COM_QUIT = 0x01,
	COM_INIT_DB = 0x02,
	COM_QUERY = 0x03,
	COM_FIELD_LIST = 0x04,
	COM_CREATE_DB = 0x05,
	COM_DROP_DB = 0x06,
	COM_REFRESH = 0x07,
	COM_SHUTDOWN = 0x08,
	COM_STATISTICS = 0x09,
	COM_PROCESS_INFO = 0x0a,
	COM_CONNECT = 0x0b,
	COM_PROCESS_KILL = 0x0c,
	COM_DEBUG = 0x0d,
	COM_PING = 0x0e,
	COM_TIME = 0x0f,
	COM_DELAYED_INSERT = 0x10,
	COM_CHANGE_USER = 0x11,
	COM_BINLOG_DUMP = 0x12,
	COM_TABLE_DUMP = 0x13,
	COM_CONNECT_OUT = 0x14,
	COM_REGISTER_SLAVE = 0x15,
	COM_STMT_PREPARE = 0x16,
	COM_STMT_EXECUTE = 0x17,
	COM_STMT_SEND_LONG_DATA = 0x18,
	COM_STMT_CLOSE = 0x19,
	COM_STMT_RESET = 0x1a,
	COM_SET_OPTION = 0x1b,
	COM_STMT_FETCH = 0x1c,
	COM_DAEMON = 0x1d,
	COM_BINLOG_DUMP_GTID = 0x1e,
	COM_RESET_CONNECTION = 0x1f,
};

/* Name of a command byte ("COM_QUERY"), "COM_UNKNOWN" when not known. */
const char *mysql_command_name(uint8_t cmd);

/* Error codes the gateway itself sends. */
#define ER_ACCESS_DENIED 1045          /* 28000 */
#define ER_UNKNOWN_COM_ERROR 1047      /* 08S01 */
#define ER_HANDSHAKE_ERROR 1043        /* 08S01 */
#define ER_NET_PACKET_TOO_LARGE 1153   /* 08S01 */
#define ER_NET_PACKETS_OUT_OF_ORDER 1156 /* 08S01 */
#define ER_TABLEACCESS_DENIED 1142     /* 42000: policy refusals */
#define ER_UNKNOWN_CHARACTER_SET 1115  /* 42000 */
#define ER_SPECIFIC_ACCESS_DENIED 1227 /* 42000 */
#define ER_OPTION_PREVENTS_STATEMENT 1290 /* HY000 */
#define ER_CON_COUNT_ERROR 1040        /* 08004 */
#define ER_TOO_MANY_USER_CONNECTIONS 1203 /* 42000 */
#define ER_CONNECTION_KILLED 1927      /* 70100 */
#define ER_SECURE_TRANSPORT_REQUIRED 3159 /* HY000 */
/* Clients refuse server errors in their own 2000-2999 range, so backend
 * trouble is told with server codes. */
#define ER_BACKEND_UNAVAILABLE 1429    /* HY000, "unable to connect to
                                          foreign data source" */
#define ER_NET_READ_ERROR 1158         /* 08S01: backend lost mid-statement */
#define ER_MALFORMED_PACKET 1835       /* HY000 */

/* ------------------------------------------------------------- framing */

enum mysql_frame {
	MYSQL_FRAME_OK,        /* one complete packet header read */
	MYSQL_FRAME_NEED_MORE, /* not enough bytes yet */
};

/* Appends `payload` as one or more packets (16 MiB continuation) starting
 * with sequence id *seq; *seq is advanced past the last packet written. */
void mysql_frame(struct core_buf *out, uint8_t *seq, const void *payload,
                 size_t len);

/* ----------------------------------------------------- generic packets */

/* Payloads (no header). */
void mysql_build_err(struct core_buf *out, uint16_t code, const char *state,
                     const char *msg);
void mysql_build_ok(struct core_buf *out, uint64_t affected,
                    uint64_t last_id, uint16_t status, uint16_t warnings);

struct mysql_ok {
	uint64_t affected_rows;
	uint64_t last_insert_id;
	uint16_t status;
	uint16_t warnings;
};
bool mysql_parse_ok(const uint8_t *p, size_t len,
                    struct mysql_ok *ok) CORE_WUR;

struct mysql_err {
	uint16_t code;
	char state[6];
	char message[512];
};
bool mysql_parse_err(const uint8_t *p, size_t len,
                     struct mysql_err *err) CORE_WUR;

/* An EOF packet: 0xFE and fewer than 9 bytes. */
bool mysql_is_eof(const uint8_t *p, size_t len);
bool mysql_parse_eof(const uint8_t *p, size_t len, uint16_t *warnings,
                     uint16_t *status) CORE_WUR;

/* ------------------------------------------------------------ handshake */

/* Initial handshake (protocol 10) sent by the gateway to a client. */
struct mysql_greeting {
	const char *server_version;
	uint32_t connection_id;
	uint8_t scramble[MYSQL_SCRAMBLE_LEN];
	uint32_t capabilities;
	uint8_t charset;
	uint16_t status;
	const char *auth_plugin;
};
void mysql_build_greeting(struct core_buf *out,
                          const struct mysql_greeting *g);

/* The same packet as a server sends it, parsed by the backend connector.
 * Pointers point into the parsed bytes. */
struct mysql_server_greeting {
	uint8_t protocol;
	char version[64];
	uint32_t connection_id;
	uint8_t scramble[MYSQL_SCRAMBLE_LEN];
	uint32_t capabilities;
	uint8_t charset;
	uint16_t status;
	char auth_plugin[64];
};
bool mysql_parse_greeting(const uint8_t *p, size_t len,
                          struct mysql_server_greeting *g, char *err,
                          size_t errlen) CORE_WUR;

/* SSLRequest is the first 32 bytes of a HandshakeResponse41. */
#define MYSQL_SSL_REQUEST_LEN 32

/* HandshakeResponse41 as a client sends it. Pointers point into the
 * parsed bytes; lengths are exact. */
struct mysql_handshake_response {
	uint32_t capabilities;
	uint32_t max_packet;
	uint8_t charset;
	const char *user;
	size_t user_len;
	const uint8_t *auth;
	size_t auth_len;
	const char *database; /* NULL when not sent */
	size_t database_len;
	const char *auth_plugin; /* NULL when not sent */
	size_t auth_plugin_len;
	const uint8_t *attrs; /* connect attributes, k/v lenenc pairs */
	size_t attrs_len;
};

enum mysql_parse_result {
	MYSQL_PARSE_OK,
	MYSQL_PARSE_SSL_REQUEST, /* a 32-byte SSLRequest */
	MYSQL_PARSE_ERROR,
};

enum mysql_parse_result
mysql_parse_handshake_response(const uint8_t *p, size_t len,
                               struct mysql_handshake_response *r, char *err,
                               size_t errlen) CORE_WUR;

/* Builds the backend-facing HandshakeResponse41. */
struct mysql_login {
	uint32_t capabilities;
	uint8_t charset;
	const char *user;
	const uint8_t *auth;
	size_t auth_len;
	const char *database;  /* NULL: none */
	const char *auth_plugin;
	const uint8_t *attrs;  /* already encoded k/v pairs, may be NULL */
	size_t attrs_len;
};
void mysql_build_login(struct core_buf *out, const struct mysql_login *l);
/* The 32-byte SSLRequest announcing the same capabilities. */
void mysql_build_ssl_request(struct core_buf *out, uint32_t capabilities,
                             uint8_t charset);

/* AuthSwitchRequest naming a plugin, with the scramble as its data. */
void mysql_build_auth_switch(struct core_buf *out, const char *plugin,
                             const uint8_t *data, size_t len);

/* ----------------------------------------------------------- scrambles */

/* mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))). */
void mysql_native_scramble(const char *password, const uint8_t *scramble,
                           size_t scramble_len, uint8_t out[20]);
/* caching_sha2_password fast path:
 * SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble). */
void mysql_sha2_scramble(const char *password, const uint8_t *scramble,
                         size_t scramble_len, uint8_t out[32]);
/* caching_sha2_password / sha256_password full authentication without
 * TLS: RSA-OAEP of (password + NUL) XOR scramble with the server's PEM
 * public key. Caller frees *out. */
bool mysql_sha2_rsa_encrypt(const char *password, const uint8_t *scramble,
                            size_t scramble_len, const char *pem,
                            size_t pem_len, uint8_t **out,
                            size_t *outlen) CORE_WUR;

/* Random scramble of printable, non-NUL bytes, as servers send it. */
void mysql_random_scramble(uint8_t out[MYSQL_SCRAMBLE_LEN]);

#endif
