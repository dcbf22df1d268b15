/*
 * The SQL statement classifier (see classify.h for the contract).
 *
 * How it works. A lexer that follows the server's own lexical rules turns
 * the text into tokens; a small streaming analyser looks at each
 * statement's leading words (the "head", which decides the base class)
 * and at every token for traps that make a statement stricter than its
 * head says (INTO OUTFILE, LOAD_FILE(), FOR UPDATE, calls to functions
 * that are not built in, NEXTVAL, := ...). The class of a text is the
 * strictest of its statements.
 *
 * Three things the server decides and we cannot see are handled by
 * covering every possibility rather than guessing:
 *  - version-gated comments (/ *!50700 ... * /, / *M!100500 ... * /) run or
 *    not depending on the server's flavour and version: the text is lexed
 *    once per distinct outcome (a handful of passes at most) and the
 *    strictest result wins;
 *  - NO_BACKSLASH_ESCAPES: every string literal must end at the same byte
 *    with and without backslash escapes, else the text is unknown;
 *  - the client character set: bytes that are whitespace in some
 *    single-byte character set (0xA0, 0xFF) outside quotes, and "--"
 *    followed by a non-ASCII byte, make the text unknown. Multi-byte sets
 *    that can swallow a backslash or backtick must be refused by the
 *    session (sql_charset_id_lexable()).
 *
 * Built-in functions are trusted only when they are built in on both
 * MySQL 8 and MariaDB 10.11 (otherwise the name may reach a stored
 * function of the same name); the table was checked against a MariaDB
 * server, including the names that only count as built-ins when "(" follows
 * directly or with a given number of arguments.
 *
 * Compound bodies of CREATE PROCEDURE / FUNCTION / TRIGGER / EVENT as the
 * first statement are followed far enough to know where the statement may
 * end (see "compound bodies" below); any other compound statement (BEGIN
 * NOT ATOMIC, IF, ... at top level, ALTER EVENT ... DO BEGIN) is split on
 * ";" like everything else, which leaves its fragments unknown.
 *
 * Speed on long texts. The classifier runs on the gateway's event loop, so
 * a statement of 64 MiB must not hold it for long: literal and comment
 * bodies are crossed with memchr, and deep inside a statement long lists
 * of literals and rows of literals are lexed in bulk ("literal runs").
 *
 * Deliberately absent: a SQL grammar, schema knowledge and DELIMITER.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy/classify.h"

/* Paren levels whose state (CTE header, argument count) is tracked; deeper
 * levels are still counted, and whatever needs their state is treated as
 * the worst case. */
#define MAX_DEPTH 64
/* Leading tokens of a statement kept for head analysis. Long enough for
 * EXPLAIN FORMAT=JSON ..., CREATE OR REPLACE DEFINER=... VIEW, SET
 * STATEMENT with a few variables; longer heads are unknown where it
 * matters. */
#define HEAD_MAX 40
/* Distinct server versions named by version-gated comments, per flavour.
 * Each adds a pass over the text; more than this is unknown. */
#define MAX_GATES 8
_Static_assert(MAX_GATES == 8, "a reason spells the limit out");
/* Tokens of one SET target (GLOBAL x.y, @@session.x, ...). */
#define SET_TGT_MAX 6
/* Longest word looked up in the keyword table. */
#define WORD_MAX 40
/* MySQL executable comments /\*!NNNNN with NNNNN below this run on every
 * supported server (MySQL >= 5.7, MariaDB >= 10.0); MariaDB skips those at
 * or above it unless written /\*M!. */
#define MYSQL_GATE_MIN 50700UL
/* MariaDB /\*M!NNNNNN below this run on every MariaDB >= 10.0. */
#define MARIADB_GATE_MIN 100000UL
#define NPOS ((size_t)-1)

/* The fuzz target defines CLASSIFY_WORK to count the bytes and tokens every
 * pass looks at, and checks that the count stays linear in the input. With
 * it, tests may also turn literal runs off (to check that they change
 * nothing) and learn whether a pass met a compound routine body. */
#ifdef CLASSIFY_WORK
static unsigned long long classify_work;
static bool classify_no_runs;
static bool classify_saw_compound;
#define WORK(n) (classify_work += (unsigned long long)(n))
#define RUNS_OFF classify_no_runs
#define SAW_COMPOUND() (classify_saw_compound = true)
#else
#define WORK(n) ((void)(n))
#define RUNS_OFF false
#define SAW_COMPOUND() ((void)0)
#endif

/* Class names and their order live in approvals/ (sql_class_name()). */

/* ------------------------------------------------------------- words */

/* What "name(" means when the name is this word. */
enum call_kind {
	C_CALL,  /* not known to be built in: a stored or loadable function */
	C_KW,    /* a keyword: "(" after it does not call anything */
	C_PURE,  /* a built-in function without side effects */
	C_GAP,   /* built in only when "(" follows directly */
	C_ARITY, /* built in only with lo..hi arguments */
	C_SLEEP, /* built in, stalls: read with CLASSIFY_SLEEP */
	C_SESS,  /* built in, changes session state when given arguments */
	C_WRITE, /* built in, has side effects beyond the session */
	C_ADMIN, /* reaches the server's files or operating system */
};

#define W_SHOW 0x1    /* may follow SHOW */
#define W_ENDFROM 0x2 /* ends a FROM clause at its level */

struct word {
	const char *name; /* upper case */
	unsigned short kw;
	unsigned char call;
	unsigned char flags;
	unsigned char lo, hi; /* C_ARITY */
	const char *why;      /* C_SLEEP, C_SESS, C_WRITE, C_ADMIN */
};

/* Keyword ids: the words statement analysis refers to. */
enum kw {
	K_NONE = 0,
	K_AFTER,
	K_AGGREGATE,
	K_ALL,
	K_ALTER,
	K_ANALYZE,
	K_AND,
	K_AS,
	K_BACKUP,
	K_BEFORE,
	K_BEGIN,
	K_BINLOG,
	K_CACHE,
	K_CALL,
	K_CASE,
	K_CHAIN,
	K_CHANGE,
	K_CHARACTER,
	K_CHARSET,
	K_CHECK,
	K_CHECKSUM,
	K_CLONE,
	K_CLOSE,
	K_COLLATE,
	K_COMMENT,
	K_COMMIT,
	K_CONCURRENT,
	K_CONNECTION,
	K_CONSISTENT,
	K_CONTAINS,
	K_CREATE,
	K_CURRENT_ROLE,
	K_CURRENT_USER,
	K_DATA,
	K_DATABASE,
	K_DEALLOCATE,
	K_DECLARE,
	K_DEFAULT,
	K_DEFINER,
	K_DELETE,
	K_DESC,
	K_DESCRIBE,
	K_DETERMINISTIC,
	K_DIRECTORY,
	K_DO,
	K_DROP,
	K_DUMPFILE,
	K_DUPLICATE,
	K_EACH,
	K_ELSE,
	K_ELSEIF,
	K_END,
	K_EVENT,
	K_EXCEPT,
	K_EXECUTE,
	K_EXISTS,
	K_EXPLAIN,
	K_EXTENDED,
	K_FETCH,
	K_FLUSH,
	K_FOLLOWS,
	K_FOR,
	K_FORMAT,
	K_FROM,
	K_FUNCTION,
	K_GLOBAL,
	K_GRANT,
	K_GROUP,
	K_GROUP_REPLICATION,
	K_HANDLER,
	K_HAVING,
	K_HELP,
	K_IF,
	K_IMMEDIATE,
	K_IMPORT,
	K_IN,
	K_INDEX,
	K_INFILE,
	K_INSERT,
	K_INSTALL,
	K_INSTANCE,
	K_INTERSECT,
	K_INTO,
	K_INVOKER,
	K_ITERATE,
	K_JOIN,
	K_JSON_TABLE,
	K_KEY,
	K_KILL,
	K_LANGUAGE,
	K_LEAVE,
	K_LIMIT,
	K_LOAD,
	K_LOCAL,
	K_LOCK,
	K_LOGFILE,
	K_LOOP,
	K_LOW_PRIORITY,
	K_MEMBER,
	K_MODIFIES,
	K_NAMES,
	K_NEXT,
	K_NEXTVAL,
	K_NO,
	K_NOT,
	K_NO_WRITE_TO_BINLOG,
	K_OF,
	K_OFFSET,
	K_ON,
	K_ONLY,
	K_OPEN,
	K_OPTIMIZE,
	K_OR,
	K_ORDER,
	K_OUTFILE,
	K_PACKAGE,
	K_PARTITIONS,
	K_PASSWORD,
	K_PERSIST,
	K_PERSIST_ONLY,
	K_PRECEDES,
	K_PREPARE,
	K_PROCEDURE,
	K_PURGE,
	K_READ,
	K_READS,
	K_RECURSIVE,
	K_RELEASE,
	K_RENAME,
	K_REPAIR,
	K_REPEAT,
	K_REPLACE,
	K_REPLICA,
	K_RESET,
	K_RESOURCE,
	K_RESTART,
	K_RETURN,
	K_RETURNING,
	K_RETURNS,
	K_REVOKE,
	K_ROLE,
	K_ROLLBACK,
	K_ROW,
	K_SAVEPOINT,
	K_SCHEDULE,
	K_SCHEMA,
	K_SECURITY,
	K_SELECT,
	K_SEQUENCE,
	K_SERVER,
	K_SESSION,
	K_SET,
	K_SETVAL,
	K_SHARE,
	K_SHOW,
	K_SHUTDOWN,
	K_SLAVE,
	K_SLAVES,
	K_SNAPSHOT,
	K_SONAME,
	K_SQL,
	K_SQLEXCEPTION,
	K_SQLWARNING,
	K_START,
	K_STATEMENT,
	K_STOP,
	K_STRAIGHT_JOIN,
	K_TABLE,
	K_TABLES,
	K_TABLESPACE,
	K_THEN,
	K_TO,
	K_TRANSACTION,
	K_TRIGGER,
	K_TRUNCATE,
	K_UNINSTALL,
	K_UNION,
	K_UNLOCK,
	K_UNTIL,
	K_UPDATE,
	K_USE,
	K_USER,
	K_VALUE,
	K_VALUES,
	K_VIEW,
	K_WHEN,
	K_WHERE,
	K_WHILE,
	K_WINDOW,
	K_WITH,
	K_WORK,
	K_WRITE,
	K_XA,
	K_XML,
};

/* Upper-case spelling of each keyword id, for reasons. */
static const char *const kw_names[] = {
	[K_NONE] = "?",
	[K_AFTER] = "AFTER",
	[K_AGGREGATE] = "AGGREGATE",
	[K_ALL] = "ALL",
	[K_ALTER] = "ALTER",
	[K_ANALYZE] = "ANALYZE",
	[K_AND] = "AND",
	[K_AS] = "AS",
	[K_BACKUP] = "BACKUP",
	[K_BEFORE] = "BEFORE",
	[K_BEGIN] = "BEGIN",
	[K_BINLOG] = "BINLOG",
	[K_CACHE] = "CACHE",
	[K_CALL] = "CALL",
	[K_CASE] = "CASE",
	[K_CHAIN] = "CHAIN",
	[K_CHANGE] = "CHANGE",
	[K_CHARACTER] = "CHARACTER",
	[K_CHARSET] = "CHARSET",
	[K_CHECK] = "CHECK",
	[K_CHECKSUM] = "CHECKSUM",
	[K_CLONE] = "CLONE",
	[K_CLOSE] = "CLOSE",
	[K_COLLATE] = "COLLATE",
	[K_COMMENT] = "COMMENT",
	[K_COMMIT] = "COMMIT",
	[K_CONCURRENT] = "CONCURRENT",
	[K_CONNECTION] = "CONNECTION",
	[K_CONSISTENT] = "CONSISTENT",
	[K_CONTAINS] = "CONTAINS",
	[K_CREATE] = "CREATE",
	[K_CURRENT_ROLE] = "CURRENT_ROLE",
	[K_CURRENT_USER] = "CURRENT_USER",
	[K_DATA] = "DATA",
	[K_DATABASE] = "DATABASE",
	[K_DEALLOCATE] = "DEALLOCATE",
	[K_DECLARE] = "DECLARE",
	[K_DEFAULT] = "DEFAULT",
	[K_DEFINER] = "DEFINER",
	[K_DELETE] = "DELETE",
	[K_DESC] = "DESC",
	[K_DESCRIBE] = "DESCRIBE",
	[K_DETERMINISTIC] = "DETERMINISTIC",
	[K_DIRECTORY] = "DIRECTORY",
	[K_DO] = "DO",
	[K_DROP] = "DROP",
	[K_DUMPFILE] = "DUMPFILE",
	[K_DUPLICATE] = "DUPLICATE",
	[K_EACH] = "EACH",
	[K_ELSE] = "ELSE",
	[K_ELSEIF] = "ELSEIF",
	[K_END] = "END",
	[K_EVENT] = "EVENT",
	[K_EXCEPT] = "EXCEPT",
	[K_EXECUTE] = "EXECUTE",
	[K_EXISTS] = "EXISTS",
	[K_EXPLAIN] = "EXPLAIN",
	[K_EXTENDED] = "EXTENDED",
	[K_FETCH] = "FETCH",
	[K_FLUSH] = "FLUSH",
	[K_FOLLOWS] = "FOLLOWS",
	[K_FOR] = "FOR",
	[K_FORMAT] = "FORMAT",
	[K_FROM] = "FROM",
	[K_FUNCTION] = "FUNCTION",
	[K_GLOBAL] = "GLOBAL",
	[K_GRANT] = "GRANT",
	[K_GROUP] = "GROUP",
	[K_GROUP_REPLICATION] = "GROUP_REPLICATION",
	[K_HANDLER] = "HANDLER",
	[K_HAVING] = "HAVING",
	[K_HELP] = "HELP",
	[K_IF] = "IF",
	[K_IMMEDIATE] = "IMMEDIATE",
	[K_IMPORT] = "IMPORT",
	[K_IN] = "IN",
	[K_INDEX] = "INDEX",
	[K_INFILE] = "INFILE",
	[K_INSERT] = "INSERT",
	[K_INSTALL] = "INSTALL",
	[K_INSTANCE] = "INSTANCE",
	[K_INTERSECT] = "INTERSECT",
	[K_INTO] = "INTO",
	[K_INVOKER] = "INVOKER",
	[K_ITERATE] = "ITERATE",
	[K_JOIN] = "JOIN",
	[K_JSON_TABLE] = "JSON_TABLE",
	[K_KEY] = "KEY",
	[K_KILL] = "KILL",
	[K_LANGUAGE] = "LANGUAGE",
	[K_LEAVE] = "LEAVE",
	[K_LIMIT] = "LIMIT",
	[K_LOAD] = "LOAD",
	[K_LOCAL] = "LOCAL",
	[K_LOCK] = "LOCK",
	[K_LOGFILE] = "LOGFILE",
	[K_LOOP] = "LOOP",
	[K_LOW_PRIORITY] = "LOW_PRIORITY",
	[K_MEMBER] = "MEMBER",
	[K_MODIFIES] = "MODIFIES",
	[K_NAMES] = "NAMES",
	[K_NEXT] = "NEXT",
	[K_NEXTVAL] = "NEXTVAL",
	[K_NO] = "NO",
	[K_NOT] = "NOT",
	[K_NO_WRITE_TO_BINLOG] = "NO_WRITE_TO_BINLOG",
	[K_OF] = "OF",
	[K_OFFSET] = "OFFSET",
	[K_ON] = "ON",
	[K_ONLY] = "ONLY",
	[K_OPEN] = "OPEN",
	[K_OPTIMIZE] = "OPTIMIZE",
	[K_OR] = "OR",
	[K_ORDER] = "ORDER",
	[K_OUTFILE] = "OUTFILE",
	[K_PACKAGE] = "PACKAGE",
	[K_PARTITIONS] = "PARTITIONS",
	[K_PASSWORD] = "PASSWORD",
	[K_PERSIST] = "PERSIST",
	[K_PERSIST_ONLY] = "PERSIST_ONLY",
	[K_PRECEDES] = "PRECEDES",
	[K_PREPARE] = "PREPARE",
	[K_PROCEDURE] = "PROCEDURE",
	[K_PURGE] = "PURGE",
	[K_READ] = "READ",
	[K_READS] = "READS",
	[K_RECURSIVE] = "RECURSIVE",
	[K_RELEASE] = "RELEASE",
	[K_RENAME] = "RENAME",
	[K_REPAIR] = "REPAIR",
	[K_REPEAT] = "REPEAT",
	[K_REPLACE] = "REPLACE",
	[K_REPLICA] = "REPLICA",
	[K_RESET] = "RESET",
	[K_RESOURCE] = "RESOURCE",
	[K_RESTART] = "RESTART",
	[K_RETURN] = "RETURN",
	[K_RETURNING] = "RETURNING",
	[K_RETURNS] = "RETURNS",
	[K_REVOKE] = "REVOKE",
	[K_ROLE] = "ROLE",
	[K_ROLLBACK] = "ROLLBACK",
	[K_ROW] = "ROW",
	[K_SAVEPOINT] = "SAVEPOINT",
	[K_SCHEDULE] = "SCHEDULE",
	[K_SCHEMA] = "SCHEMA",
	[K_SECURITY] = "SECURITY",
	[K_SELECT] = "SELECT",
	[K_SEQUENCE] = "SEQUENCE",
	[K_SERVER] = "SERVER",
	[K_SESSION] = "SESSION",
	[K_SET] = "SET",
	[K_SETVAL] = "SETVAL",
	[K_SHARE] = "SHARE",
	[K_SHOW] = "SHOW",
	[K_SHUTDOWN] = "SHUTDOWN",
	[K_SLAVE] = "SLAVE",
	[K_SLAVES] = "SLAVES",
	[K_SNAPSHOT] = "SNAPSHOT",
	[K_SONAME] = "SONAME",
	[K_SQL] = "SQL",
	[K_SQLEXCEPTION] = "SQLEXCEPTION",
	[K_SQLWARNING] = "SQLWARNING",
	[K_START] = "START",
	[K_STATEMENT] = "STATEMENT",
	[K_STOP] = "STOP",
	[K_STRAIGHT_JOIN] = "STRAIGHT_JOIN",
	[K_TABLE] = "TABLE",
	[K_TABLES] = "TABLES",
	[K_TABLESPACE] = "TABLESPACE",
	[K_THEN] = "THEN",
	[K_TO] = "TO",
	[K_TRANSACTION] = "TRANSACTION",
	[K_TRIGGER] = "TRIGGER",
	[K_TRUNCATE] = "TRUNCATE",
	[K_UNINSTALL] = "UNINSTALL",
	[K_UNION] = "UNION",
	[K_UNLOCK] = "UNLOCK",
	[K_UNTIL] = "UNTIL",
	[K_UPDATE] = "UPDATE",
	[K_USE] = "USE",
	[K_USER] = "USER",
	[K_VALUE] = "VALUE",
	[K_VALUES] = "VALUES",
	[K_VIEW] = "VIEW",
	[K_WHEN] = "WHEN",
	[K_WHERE] = "WHERE",
	[K_WHILE] = "WHILE",
	[K_WINDOW] = "WINDOW",
	[K_WITH] = "WITH",
	[K_WORK] = "WORK",
	[K_WRITE] = "WRITE",
	[K_XA] = "XA",
	[K_XML] = "XML",
};

/* The words, sorted by name for binary search. */
static const struct word words[] = {
	{"ABS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ACOS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ADDDATE", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"ADDTIME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"AES_DECRYPT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"AES_ENCRYPT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"AFTER", K_AFTER, C_CALL, 0, 0, 0, NULL},
	{"AGGREGATE", K_AGGREGATE, C_CALL, 0, 0, 0, NULL},
	{"ALL", K_ALL, C_KW, W_SHOW, 0, 0, NULL},
	{"ALTER", K_ALTER, C_CALL, 0, 0, 0, NULL},
	{"ANALYZE", K_ANALYZE, C_CALL, W_SHOW, 0, 0, NULL},
	{"AND", K_AND, C_KW, 0, 0, 0, NULL},
	{"ANY", K_NONE, C_KW, 0, 0, 0, NULL},
	{"AS", K_AS, C_KW, 0, 0, 0, NULL},
	{"ASC", K_NONE, C_KW, 0, 0, 0, NULL},
	{"ASCII", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ASIN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ATAN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ATAN2", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"AUTHORS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"AVG", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"BACKUP", K_BACKUP, C_CALL, 0, 0, 0, NULL},
	{"BEFORE", K_BEFORE, C_CALL, 0, 0, 0, NULL},
	{"BEGIN", K_BEGIN, C_CALL, 0, 0, 0, NULL},
	{"BENCHMARK", K_NONE, C_SLEEP, 0, 0, 0,
	 "BENCHMARK() can keep the server busy"},
	{"BETWEEN", K_NONE, C_KW, 0, 0, 0, NULL},
	{"BIGINT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"BIN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"BINARY", K_NONE, C_KW, W_SHOW, 0, 0, NULL},
	{"BINLOG", K_BINLOG, C_CALL, W_SHOW, 0, 0, NULL},
	{"BIT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"BIT_AND", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"BIT_COUNT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"BIT_LENGTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"BIT_OR", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"BIT_XOR", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"BLOB", K_NONE, C_KW, 0, 0, 0, NULL},
	{"BOOL", K_NONE, C_KW, 0, 0, 0, NULL},
	{"BOOLEAN", K_NONE, C_KW, 0, 0, 0, NULL},
	{"BY", K_NONE, C_KW, 0, 0, 0, NULL},
	{"CACHE", K_CACHE, C_CALL, 0, 0, 0, NULL},
	{"CALL", K_CALL, C_CALL, 0, 0, 0, NULL},
	{"CASE", K_CASE, C_KW, 0, 0, 0, NULL},
	{"CAST", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"CEIL", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CEILING", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CHAIN", K_CHAIN, C_CALL, 0, 0, 0, NULL},
	{"CHANGE", K_CHANGE, C_CALL, 0, 0, 0, NULL},
	{"CHAR", K_NONE, C_PURE, W_SHOW, 0, 0, NULL},
	{"CHARACTER", K_CHARACTER, C_KW, W_SHOW, 0, 0, NULL},
	{"CHARACTER_LENGTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CHARSET", K_CHARSET, C_PURE, W_SHOW, 0, 0, NULL},
	{"CHAR_LENGTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CHECK", K_CHECK, C_CALL, 0, 0, 0, NULL},
	{"CHECKSUM", K_CHECKSUM, C_CALL, 0, 0, 0, NULL},
	{"CLIENT_STATISTICS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"CLONE", K_CLONE, C_CALL, 0, 0, 0, NULL},
	{"CLOSE", K_CLOSE, C_CALL, 0, 0, 0, NULL},
	{"COALESCE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"COERCIBILITY", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"COLLATE", K_COLLATE, C_KW, 0, 0, 0, NULL},
	{"COLLATION", K_NONE, C_PURE, W_SHOW, 0, 0, NULL},
	{"COLUMNS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"COMMENT", K_COMMENT, C_CALL, 0, 0, 0, NULL},
	{"COMMIT", K_COMMIT, C_CALL, 0, 0, 0, NULL},
	{"COMPRESS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CONCAT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CONCAT_WS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CONCURRENT", K_CONCURRENT, C_CALL, 0, 0, 0, NULL},
	{"CONNECTION", K_CONNECTION, C_CALL, 0, 0, 0, NULL},
	{"CONNECTION_ID", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CONSISTENT", K_CONSISTENT, C_CALL, 0, 0, 0, NULL},
	{"CONTAINS", K_CONTAINS, C_CALL, 0, 0, 0, NULL},
	{"CONTRIBUTORS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"CONV", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CONVERT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CONVERT_TZ", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"COS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"COT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"COUNT", K_NONE, C_GAP, W_SHOW, 0, 0, NULL},
	{"CRC32", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CREATE", K_CREATE, C_CALL, W_SHOW, 0, 0, NULL},
	{"CROSS", K_NONE, C_KW, 0, 0, 0, NULL},
	{"CUME_DIST", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"CURDATE", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"CURRENT_DATE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CURRENT_ROLE", K_CURRENT_ROLE, C_PURE, 0, 0, 0, NULL},
	{"CURRENT_TIME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CURRENT_TIMESTAMP", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"CURRENT_USER", K_CURRENT_USER, C_PURE, 0, 0, 0, NULL},
	{"CURTIME", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"DATA", K_DATA, C_CALL, 0, 0, 0, NULL},
	{"DATABASE", K_DATABASE, C_PURE, 0, 0, 0, NULL},
	{"DATABASES", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"DATE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"DATEDIFF", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"DATETIME", K_NONE, C_KW, 0, 0, 0, NULL},
	{"DATE_ADD", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"DATE_FORMAT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"DATE_SUB", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"DAY", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"DAYNAME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"DAYOFMONTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"DAYOFWEEK", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"DAYOFYEAR", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"DEALLOCATE", K_DEALLOCATE, C_CALL, 0, 0, 0, NULL},
	{"DEC", K_NONE, C_KW, 0, 0, 0, NULL},
	{"DECIMAL", K_NONE, C_KW, 0, 0, 0, NULL},
	{"DECLARE", K_DECLARE, C_CALL, 0, 0, 0, NULL},
	{"DEFAULT", K_DEFAULT, C_PURE, 0, 0, 0, NULL},
	{"DEFINER", K_DEFINER, C_CALL, 0, 0, 0, NULL},
	{"DEGREES", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"DELETE", K_DELETE, C_KW, 0, 0, 0, NULL},
	{"DENSE_RANK", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"DESC", K_DESC, C_KW, 0, 0, 0, NULL},
	{"DESCRIBE", K_DESCRIBE, C_KW, 0, 0, 0, NULL},
	{"DETERMINISTIC", K_DETERMINISTIC, C_CALL, 0, 0, 0, NULL},
	{"DIRECTORY", K_DIRECTORY, C_CALL, 0, 0, 0, NULL},
	{"DISTINCT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"DISTINCTROW", K_NONE, C_KW, 0, 0, 0, NULL},
	{"DIV", K_NONE, C_KW, 0, 0, 0, NULL},
	{"DO", K_DO, C_CALL, 0, 0, 0, NULL},
	{"DOUBLE", K_NONE, C_KW, 0, 0, 0, NULL},
	{"DROP", K_DROP, C_CALL, 0, 0, 0, NULL},
	{"DUAL", K_NONE, C_KW, 0, 0, 0, NULL},
	{"DUMPFILE", K_DUMPFILE, C_CALL, 0, 0, 0, NULL},
	{"DUPLICATE", K_DUPLICATE, C_CALL, 0, 0, 0, NULL},
	{"EACH", K_EACH, C_CALL, 0, 0, 0, NULL},
	{"ELSE", K_ELSE, C_KW, 0, 0, 0, NULL},
	{"ELSEIF", K_ELSEIF, C_KW, 0, 0, 0, NULL},
	{"ELT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"END", K_END, C_KW, 0, 0, 0, NULL},
	{"ENGINE", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"ENGINES", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"ENUM", K_NONE, C_KW, 0, 0, 0, NULL},
	{"ERRORS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"EVENT", K_EVENT, C_CALL, 0, 0, 0, NULL},
	{"EVENTS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"EXCEPT", K_EXCEPT, C_CALL, W_ENDFROM, 0, 0, NULL},
	{"EXCLUDE", K_NONE, C_KW, 0, 0, 0, NULL},
	{"EXECUTE", K_EXECUTE, C_CALL, 0, 0, 0, NULL},
	{"EXISTS", K_EXISTS, C_KW, 0, 0, 0, NULL},
	{"EXP", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"EXPLAIN", K_EXPLAIN, C_KW, W_SHOW, 0, 0, NULL},
	{"EXPORT_SET", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"EXTENDED", K_EXTENDED, C_CALL, W_SHOW, 0, 0, NULL},
	{"EXTRACT", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"EXTRACTVALUE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"FALSE", K_NONE, C_KW, 0, 0, 0, NULL},
	{"FETCH", K_FETCH, C_KW, W_ENDFROM, 0, 0, NULL},
	{"FIELD", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"FIELDS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"FIND_IN_SET", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"FIRST_VALUE", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"FIXED", K_NONE, C_KW, 0, 0, 0, NULL},
	{"FLOAT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"FLOOR", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"FLUSH", K_FLUSH, C_CALL, 0, 0, 0, NULL},
	{"FOLLOWING", K_NONE, C_KW, 0, 0, 0, NULL},
	{"FOLLOWS", K_FOLLOWS, C_CALL, 0, 0, 0, NULL},
	{"FOR", K_FOR, C_KW, W_ENDFROM, 0, 0, NULL},
	{"FORCE", K_NONE, C_KW, 0, 0, 0, NULL},
	{"FORMAT", K_FORMAT, C_PURE, 0, 0, 0, NULL},
	{"FOUND_ROWS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"FROM", K_FROM, C_KW, 0, 0, 0, NULL},
	{"FROM_BASE64", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"FROM_DAYS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"FROM_UNIXTIME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"FULL", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"FUNCTION", K_FUNCTION, C_CALL, W_SHOW, 0, 0, NULL},
	{"GEOMETRYCOLLECTION", K_NONE, C_ARITY, 0, 1, 255, NULL},
	{"GET_FORMAT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"GET_LOCK", K_NONE, C_WRITE, 0, 0, 0,
	 "GET_LOCK() takes a server-wide named lock"},
	{"GLOBAL", K_GLOBAL, C_KW, W_SHOW, 0, 0, NULL},
	{"GRANT", K_GRANT, C_CALL, 0, 0, 0, NULL},
	{"GRANTS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"GREATEST", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"GROUP", K_GROUP, C_KW, W_ENDFROM, 0, 0, NULL},
	{"GROUP_CONCAT", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"GROUP_REPLICATION", K_GROUP_REPLICATION, C_CALL, 0, 0, 0, NULL},
	{"HANDLER", K_HANDLER, C_CALL, 0, 0, 0, NULL},
	{"HAVING", K_HAVING, C_KW, W_ENDFROM, 0, 0, NULL},
	{"HELP", K_HELP, C_KW, 0, 0, 0, NULL},
	{"HEX", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"HOUR", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"IF", K_IF, C_PURE, 0, 0, 0, NULL},
	{"IFNULL", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"IGNORE", K_NONE, C_KW, 0, 0, 0, NULL},
	{"IMMEDIATE", K_IMMEDIATE, C_CALL, 0, 0, 0, NULL},
	{"IMPORT", K_IMPORT, C_CALL, 0, 0, 0, NULL},
	{"IN", K_IN, C_KW, 0, 0, 0, NULL},
	{"INDEX", K_INDEX, C_KW, W_SHOW, 0, 0, NULL},
	{"INDEXES", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"INDEX_STATISTICS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"INET6_ATON", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"INET6_NTOA", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"INET_ATON", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"INET_NTOA", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"INFILE", K_INFILE, C_CALL, 0, 0, 0, NULL},
	{"INNER", K_NONE, C_KW, 0, 0, 0, NULL},
	{"INNODB", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"INSERT", K_INSERT, C_PURE, 0, 0, 0, NULL},
	{"INSTALL", K_INSTALL, C_CALL, 0, 0, 0, NULL},
	{"INSTANCE", K_INSTANCE, C_CALL, 0, 0, 0, NULL},
	{"INSTR", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"INT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"INTEGER", K_NONE, C_KW, 0, 0, 0, NULL},
	{"INTERSECT", K_INTERSECT, C_CALL, W_ENDFROM, 0, 0, NULL},
	{"INTERVAL", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"INTO", K_INTO, C_KW, W_ENDFROM, 0, 0, NULL},
	{"INVOKER", K_INVOKER, C_CALL, 0, 0, 0, NULL},
	{"IS", K_NONE, C_KW, 0, 0, 0, NULL},
	{"ISNULL", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"IS_FREE_LOCK", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"IS_IPV4", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"IS_IPV4_COMPAT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"IS_IPV4_MAPPED", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"IS_IPV6", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"IS_USED_LOCK", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ITERATE", K_ITERATE, C_CALL, 0, 0, 0, NULL},
	{"JOIN", K_JOIN, C_KW, 0, 0, 0, NULL},
	{"JSON", K_NONE, C_KW, 0, 0, 0, NULL},
	{"JSON_ARRAY", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_ARRAYAGG", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"JSON_ARRAY_APPEND", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_ARRAY_INSERT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_CONTAINS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_CONTAINS_PATH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_DEPTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_EXTRACT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_INSERT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_KEYS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_LENGTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_MERGE_PATCH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_MERGE_PRESERVE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_OBJECT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_OBJECTAGG", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"JSON_PRETTY", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_QUOTE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_REMOVE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_REPLACE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_SEARCH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_SET", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_TABLE", K_JSON_TABLE, C_CALL, 0, 0, 0, NULL},
	{"JSON_TYPE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_UNQUOTE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"JSON_VALID", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"KEY", K_KEY, C_KW, 0, 0, 0, NULL},
	{"KEYS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"KILL", K_KILL, C_CALL, 0, 0, 0, NULL},
	{"LAG", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"LANGUAGE", K_LANGUAGE, C_CALL, 0, 0, 0, NULL},
	{"LAST_DAY", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LAST_INSERT_ID", K_NONE, C_SESS, 0, 0, 0,
	 "LAST_INSERT_ID(expr) sets the session's insert id"},
	{"LAST_VALUE", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"LCASE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LEAD", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"LEAST", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LEAVE", K_LEAVE, C_CALL, 0, 0, 0, NULL},
	{"LEFT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LENGTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LIKE", K_NONE, C_KW, 0, 0, 0, NULL},
	{"LIMIT", K_LIMIT, C_KW, W_ENDFROM, 0, 0, NULL},
	{"LINESTRING", K_NONE, C_ARITY, 0, 1, 255, NULL},
	{"LN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LOAD", K_LOAD, C_CALL, 0, 0, 0, NULL},
	{"LOAD_FILE", K_NONE, C_ADMIN, 0, 0, 0,
	 "LOAD_FILE() reads a file on the database server"},
	{"LOCAL", K_LOCAL, C_KW, W_SHOW, 0, 0, NULL},
	{"LOCALES", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"LOCALTIME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LOCALTIMESTAMP", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LOCATE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LOCK", K_LOCK, C_KW, W_ENDFROM, 0, 0, NULL},
	{"LOG", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LOG10", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LOG2", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LOGFILE", K_LOGFILE, C_CALL, 0, 0, 0, NULL},
	{"LONGBLOB", K_NONE, C_KW, 0, 0, 0, NULL},
	{"LONGTEXT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"LOOP", K_LOOP, C_CALL, 0, 0, 0, NULL},
	{"LOWER", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LOW_PRIORITY", K_LOW_PRIORITY, C_CALL, 0, 0, 0, NULL},
	{"LPAD", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"LTRIM", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MAKEDATE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MAKETIME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MAKE_SET", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MASTER", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"MASTER_GTID_WAIT", K_NONE, C_WRITE, 0, 0, 0,
	 "MASTER_GTID_WAIT() waits for replication and is not a plain read"},
	{"MASTER_POS_WAIT", K_NONE, C_WRITE, 0, 0, 0,
	 "MASTER_POS_WAIT() waits for replication and is not a plain read"},
	{"MATCH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MAX", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"MBRCONTAINS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MBRDISJOINT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MBREQUALS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MBRINTERSECTS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MBROVERLAPS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MBRTOUCHES", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MBRWITHIN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MD5", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MEDIUMBLOB", K_NONE, C_KW, 0, 0, 0, NULL},
	{"MEDIUMINT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"MEDIUMTEXT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"MEMBER", K_MEMBER, C_CALL, 0, 0, 0, NULL},
	{"MICROSECOND", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MID", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"MIN", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"MINUTE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MOD", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MODIFIES", K_MODIFIES, C_CALL, 0, 0, 0, NULL},
	{"MONTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MONTHNAME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"MULTILINESTRING", K_NONE, C_ARITY, 0, 1, 255, NULL},
	{"MULTIPOINT", K_NONE, C_ARITY, 0, 1, 255, NULL},
	{"MULTIPOLYGON", K_NONE, C_ARITY, 0, 1, 255, NULL},
	{"MUTEX", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"NAMES", K_NAMES, C_KW, 0, 0, 0, NULL},
	{"NAME_CONST", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"NATIONAL", K_NONE, C_KW, 0, 0, 0, NULL},
	{"NATURAL", K_NONE, C_KW, 0, 0, 0, NULL},
	{"NCHAR", K_NONE, C_KW, 0, 0, 0, NULL},
	{"NEXT", K_NEXT, C_CALL, 0, 0, 0, NULL},
	{"NEXTVAL", K_NEXTVAL, C_WRITE, 0, 0, 0,
	 "NEXTVAL() advances a sequence"},
	{"NO", K_NO, C_CALL, 0, 0, 0, NULL},
	{"NOT", K_NOT, C_KW, 0, 0, 0, NULL},
	{"NOW", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"NO_WRITE_TO_BINLOG", K_NO_WRITE_TO_BINLOG, C_CALL, 0, 0, 0, NULL},
	{"NTH_VALUE", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"NTILE", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"NULL", K_NONE, C_KW, 0, 0, 0, NULL},
	{"NULLIF", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"NUMERIC", K_NONE, C_KW, 0, 0, 0, NULL},
	{"OCT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"OCTET_LENGTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"OF", K_OF, C_CALL, 0, 0, 0, NULL},
	{"OFFSET", K_OFFSET, C_KW, W_ENDFROM, 0, 0, NULL},
	{"ON", K_ON, C_KW, 0, 0, 0, NULL},
	{"ONLY", K_ONLY, C_CALL, 0, 0, 0, NULL},
	{"OPEN", K_OPEN, C_CALL, W_SHOW, 0, 0, NULL},
	{"OPTIMIZE", K_OPTIMIZE, C_CALL, 0, 0, 0, NULL},
	{"OR", K_OR, C_KW, 0, 0, 0, NULL},
	{"ORD", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ORDER", K_ORDER, C_KW, W_ENDFROM, 0, 0, NULL},
	{"OTHERS", K_NONE, C_KW, 0, 0, 0, NULL},
	{"OUTER", K_NONE, C_KW, 0, 0, 0, NULL},
	{"OUTFILE", K_OUTFILE, C_KW, 0, 0, 0, NULL},
	{"OVER", K_NONE, C_KW, 0, 0, 0, NULL},
	{"PACKAGE", K_PACKAGE, C_CALL, W_SHOW, 0, 0, NULL},
	{"PARTITION", K_NONE, C_KW, 0, 0, 0, NULL},
	{"PARTITIONS", K_PARTITIONS, C_CALL, 0, 0, 0, NULL},
	{"PASSWORD", K_PASSWORD, C_CALL, 0, 0, 0, NULL},
	{"PERCENT_RANK", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"PERIOD_ADD", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"PERIOD_DIFF", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"PERSIST", K_PERSIST, C_CALL, 0, 0, 0, NULL},
	{"PERSIST_ONLY", K_PERSIST_ONLY, C_CALL, 0, 0, 0, NULL},
	{"PI", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"PLUGINS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"POINT", K_NONE, C_ARITY, 0, 2, 2, NULL},
	{"POLYGON", K_NONE, C_ARITY, 0, 1, 255, NULL},
	{"POSITION", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"POW", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"POWER", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"PRECEDES", K_PRECEDES, C_CALL, 0, 0, 0, NULL},
	{"PRECEDING", K_NONE, C_KW, 0, 0, 0, NULL},
	{"PRECISION", K_NONE, C_KW, 0, 0, 0, NULL},
	{"PREPARE", K_PREPARE, C_CALL, 0, 0, 0, NULL},
	{"PRIVILEGES", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"PROCEDURE", K_PROCEDURE, C_CALL, W_SHOW | W_ENDFROM, 0, 0, NULL},
	{"PROCESSLIST", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"PROFILE", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"PROFILES", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"PURGE", K_PURGE, C_CALL, 0, 0, 0, NULL},
	{"QUARTER", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"QUERY_RESPONSE_TIME", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"QUOTE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"RADIANS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"RAND", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"RANDOM_BYTES", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"RANGE", K_NONE, C_KW, 0, 0, 0, NULL},
	{"RANK", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"READ", K_READ, C_CALL, 0, 0, 0, NULL},
	{"READS", K_READS, C_CALL, 0, 0, 0, NULL},
	{"REAL", K_NONE, C_KW, 0, 0, 0, NULL},
	{"RECURSIVE", K_RECURSIVE, C_KW, 0, 0, 0, NULL},
	{"REGEXP", K_NONE, C_KW, 0, 0, 0, NULL},
	{"REGEXP_INSTR", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"REGEXP_REPLACE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"REGEXP_SUBSTR", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"RELAYLOG", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"RELEASE", K_RELEASE, C_CALL, 0, 0, 0, NULL},
	{"RELEASE_ALL_LOCKS", K_NONE, C_WRITE, 0, 0, 0,
	 "RELEASE_ALL_LOCKS() releases server-wide named locks"},
	{"RELEASE_LOCK", K_NONE, C_WRITE, 0, 0, 0,
	 "RELEASE_LOCK() releases a server-wide named lock"},
	{"RENAME", K_RENAME, C_CALL, 0, 0, 0, NULL},
	{"REPAIR", K_REPAIR, C_CALL, 0, 0, 0, NULL},
	{"REPEAT", K_REPEAT, C_PURE, 0, 0, 0, NULL},
	{"REPLACE", K_REPLACE, C_PURE, 0, 0, 0, NULL},
	{"REPLICA", K_REPLICA, C_CALL, W_SHOW, 0, 0, NULL},
	{"REPLICAS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"RESET", K_RESET, C_CALL, 0, 0, 0, NULL},
	{"RESOURCE", K_RESOURCE, C_CALL, 0, 0, 0, NULL},
	{"RESTART", K_RESTART, C_CALL, 0, 0, 0, NULL},
	{"RETURN", K_RETURN, C_CALL, 0, 0, 0, NULL},
	{"RETURNING", K_RETURNING, C_CALL, W_ENDFROM, 0, 0, NULL},
	{"RETURNS", K_RETURNS, C_CALL, 0, 0, 0, NULL},
	{"REVERSE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"REVOKE", K_REVOKE, C_CALL, 0, 0, 0, NULL},
	{"RIGHT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"RLIKE", K_NONE, C_KW, 0, 0, 0, NULL},
	{"ROLE", K_ROLE, C_CALL, 0, 0, 0, NULL},
	{"ROLLBACK", K_ROLLBACK, C_CALL, 0, 0, 0, NULL},
	{"ROUND", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ROW", K_ROW, C_KW, 0, 0, 0, NULL},
	{"ROWS", K_NONE, C_KW, 0, 0, 0, NULL},
	{"ROW_COUNT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ROW_NUMBER", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"RPAD", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"RTRIM", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SAVEPOINT", K_SAVEPOINT, C_CALL, 0, 0, 0, NULL},
	{"SCHEDULE", K_SCHEDULE, C_CALL, 0, 0, 0, NULL},
	{"SCHEMA", K_SCHEMA, C_PURE, 0, 0, 0, NULL},
	{"SCHEMAS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"SECOND", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SECURITY", K_SECURITY, C_CALL, 0, 0, 0, NULL},
	{"SEC_TO_TIME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SELECT", K_SELECT, C_KW, 0, 0, 0, NULL},
	{"SEPARATOR", K_NONE, C_KW, 0, 0, 0, NULL},
	{"SEQUENCE", K_SEQUENCE, C_CALL, 0, 0, 0, NULL},
	{"SERVER", K_SERVER, C_CALL, 0, 0, 0, NULL},
	{"SESSION", K_SESSION, C_KW, W_SHOW, 0, 0, NULL},
	{"SESSION_USER", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"SET", K_SET, C_KW, 0, 0, 0, NULL},
	{"SETVAL", K_SETVAL, C_WRITE, 0, 0, 0, "SETVAL() changes a sequence"},
	{"SHA", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SHA1", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SHA2", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SHARE", K_SHARE, C_CALL, 0, 0, 0, NULL},
	{"SHOW", K_SHOW, C_KW, 0, 0, 0, NULL},
	{"SHUTDOWN", K_SHUTDOWN, C_CALL, 0, 0, 0, NULL},
	{"SIGN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SIGNED", K_NONE, C_KW, 0, 0, 0, NULL},
	{"SIN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SLAVE", K_SLAVE, C_CALL, W_SHOW, 0, 0, NULL},
	{"SLAVES", K_SLAVES, C_CALL, 0, 0, 0, NULL},
	{"SLEEP", K_NONE, C_SLEEP, 0, 0, 0, "SLEEP() stalls the connection"},
	{"SMALLINT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"SNAPSHOT", K_SNAPSHOT, C_CALL, 0, 0, 0, NULL},
	{"SOME", K_NONE, C_KW, 0, 0, 0, NULL},
	{"SONAME", K_SONAME, C_CALL, 0, 0, 0, NULL},
	{"SOUNDEX", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SOUNDS", K_NONE, C_KW, 0, 0, 0, NULL},
	{"SOURCE_POS_WAIT", K_NONE, C_WRITE, 0, 0, 0,
	 "SOURCE_POS_WAIT() waits for replication and is not a plain read"},
	{"SPACE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SQL", K_SQL, C_CALL, 0, 0, 0, NULL},
	{"SQLEXCEPTION", K_SQLEXCEPTION, C_CALL, 0, 0, 0, NULL},
	{"SQLWARNING", K_SQLWARNING, C_CALL, 0, 0, 0, NULL},
	{"SQRT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"START", K_START, C_CALL, 0, 0, 0, NULL},
	{"STATEMENT", K_STATEMENT, C_CALL, 0, 0, 0, NULL},
	{"STATUS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"STD", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"STDDEV", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"STDDEV_POP", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"STDDEV_SAMP", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"STOP", K_STOP, C_CALL, 0, 0, 0, NULL},
	{"STORAGE", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"STRAIGHT_JOIN", K_STRAIGHT_JOIN, C_KW, 0, 0, 0, NULL},
	{"STRCMP", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"STR_TO_DATE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_AREA", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ASBINARY", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ASGEOJSON", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ASTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ASWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ASWKT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_BUFFER", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_CENTROID", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_CONTAINS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_CONVEXHULL", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_CROSSES", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_DIFFERENCE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_DIMENSION", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_DISJOINT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_DISTANCE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_DISTANCE_SPHERE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ENDPOINT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ENVELOPE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_EQUALS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_EXTERIORRING", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMCOLLFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMCOLLFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMETRYCOLLECTIONFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMETRYCOLLECTIONFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMETRYFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMETRYFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMETRYN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMETRYTYPE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMFROMGEOJSON", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_GEOMFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_INTERIORRINGN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_INTERSECTION", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_INTERSECTS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ISCLOSED", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ISEMPTY", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_ISSIMPLE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_LENGTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_LINEFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_LINEFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_LINESTRINGFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_LINESTRINGFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MLINEFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MLINEFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MPOINTFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MPOINTFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MPOLYFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MPOLYFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MULTILINESTRINGFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MULTILINESTRINGFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MULTIPOINTFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MULTIPOINTFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MULTIPOLYGONFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_MULTIPOLYGONFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_NUMGEOMETRIES", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_NUMINTERIORRINGS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_NUMPOINTS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_OVERLAPS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_POINTFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_POINTFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_POINTN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_POLYFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_POLYFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_POLYGONFROMTEXT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_POLYGONFROMWKB", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_SRID", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_STARTPOINT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_SYMDIFFERENCE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_TOUCHES", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_UNION", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_WITHIN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_X", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ST_Y", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SUBDATE", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"SUBSTR", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"SUBSTRING", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"SUBSTRING_INDEX", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SUBTIME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"SUM", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"SYSDATE", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"SYSTEM_USER", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"SYS_BINEVAL", K_NONE, C_ADMIN, 0, 0, 0,
	 "SYS_BINEVAL() runs code on the database server"},
	{"SYS_EVAL", K_NONE, C_ADMIN, 0, 0, 0,
	 "SYS_EVAL() runs a command on the database server"},
	{"SYS_EXEC", K_NONE, C_ADMIN, 0, 0, 0,
	 "SYS_EXEC() runs a command on the database server"},
	{"SYS_GET", K_NONE, C_ADMIN, 0, 0, 0,
	 "SYS_GET() reads the database server's environment"},
	{"SYS_SET", K_NONE, C_ADMIN, 0, 0, 0,
	 "SYS_SET() changes the database server's environment"},
	{"TABLE", K_TABLE, C_KW, W_SHOW, 0, 0, NULL},
	{"TABLES", K_TABLES, C_CALL, W_SHOW, 0, 0, NULL},
	{"TABLESPACE", K_TABLESPACE, C_CALL, 0, 0, 0, NULL},
	{"TABLE_STATISTICS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"TAN", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TEXT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"THEN", K_THEN, C_KW, 0, 0, 0, NULL},
	{"TIME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TIMEDIFF", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TIMESTAMP", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TIMESTAMPADD", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TIMESTAMPDIFF", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TIME_FORMAT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TIME_TO_SEC", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TINYBLOB", K_NONE, C_KW, 0, 0, 0, NULL},
	{"TINYINT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"TINYTEXT", K_NONE, C_KW, 0, 0, 0, NULL},
	{"TO", K_TO, C_CALL, 0, 0, 0, NULL},
	{"TO_BASE64", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TO_DAYS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TO_SECONDS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"TRANSACTION", K_TRANSACTION, C_CALL, 0, 0, 0, NULL},
	{"TRIGGER", K_TRIGGER, C_CALL, 0, 0, 0, NULL},
	{"TRIGGERS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"TRIM", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"TRUE", K_NONE, C_KW, 0, 0, 0, NULL},
	{"TRUNCATE", K_TRUNCATE, C_PURE, 0, 0, 0, NULL},
	{"UCASE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UNBOUNDED", K_NONE, C_KW, 0, 0, 0, NULL},
	{"UNCOMPRESS", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UNCOMPRESSED_LENGTH", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UNHEX", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UNINSTALL", K_UNINSTALL, C_CALL, 0, 0, 0, NULL},
	{"UNION", K_UNION, C_KW, W_ENDFROM, 0, 0, NULL},
	{"UNIX_TIMESTAMP", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UNLOCK", K_UNLOCK, C_CALL, 0, 0, 0, NULL},
	{"UNSIGNED", K_NONE, C_KW, 0, 0, 0, NULL},
	{"UNTIL", K_UNTIL, C_CALL, 0, 0, 0, NULL},
	{"UPDATE", K_UPDATE, C_KW, 0, 0, 0, NULL},
	{"UPDATEXML", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UPPER", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"USE", K_USE, C_KW, 0, 0, 0, NULL},
	{"USER", K_USER, C_PURE, 0, 0, 0, NULL},
	{"USER_STATISTICS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"USING", K_NONE, C_KW, 0, 0, 0, NULL},
	{"UTC_DATE", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UTC_TIME", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UTC_TIMESTAMP", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UUID", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"UUID_SHORT", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"VALUE", K_VALUE, C_KW, 0, 0, 0, NULL},
	{"VALUES", K_VALUES, C_PURE, 0, 0, 0, NULL},
	{"VARBINARY", K_NONE, C_KW, 0, 0, 0, NULL},
	{"VARCHAR", K_NONE, C_KW, 0, 0, 0, NULL},
	{"VARIABLES", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"VARIANCE", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"VAR_POP", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"VAR_SAMP", K_NONE, C_GAP, 0, 0, 0, NULL},
	{"VERSION", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"VIEW", K_VIEW, C_CALL, 0, 0, 0, NULL},
	{"WAIT_FOR_EXECUTED_GTID_SET", K_NONE, C_WRITE, 0, 0, 0,
	 "WAIT_FOR_EXECUTED_GTID_SET() waits for replication and is not a "
	 "plain read"},
	{"WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS", K_NONE, C_WRITE, 0, 0, 0,
	 "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS() waits for replication and is "
	 "not a plain read"},
	{"WARNINGS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"WEEK", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"WEEKDAY", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"WEEKOFYEAR", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"WEIGHT_STRING", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"WHEN", K_WHEN, C_KW, 0, 0, 0, NULL},
	{"WHERE", K_WHERE, C_KW, W_ENDFROM, 0, 0, NULL},
	{"WHILE", K_WHILE, C_CALL, 0, 0, 0, NULL},
	{"WINDOW", K_WINDOW, C_KW, W_ENDFROM, 0, 0, NULL},
	{"WITH", K_WITH, C_KW, 0, 0, 0, NULL},
	{"WORK", K_WORK, C_CALL, 0, 0, 0, NULL},
	{"WRITE", K_WRITE, C_CALL, 0, 0, 0, NULL},
	{"WSREP_MEMBERSHIP", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"WSREP_STATUS", K_NONE, C_CALL, W_SHOW, 0, 0, NULL},
	{"WSREP_SYNC_WAIT_UPTO_GTID", K_NONE, C_WRITE, 0, 0, 0,
	 "WSREP_SYNC_WAIT_UPTO_GTID() waits for the cluster and is not a "
	 "plain read"},
	{"XA", K_XA, C_CALL, 0, 0, 0, NULL},
	{"XML", K_XML, C_CALL, 0, 0, 0, NULL},
	{"XOR", K_NONE, C_KW, 0, 0, 0, NULL},
	{"YEAR", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"YEARWEEK", K_NONE, C_PURE, 0, 0, 0, NULL},
	{"ZEROFILL", K_NONE, C_KW, 0, 0, 0, NULL},
};

/* word_start[c] .. word_start[c + 1]: the words starting with byte c. */
static const unsigned short word_start[257] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 21, 40,
	91, 127, 148, 170, 180, 185, 220, 247, 250, 284, 316, 332, 347, 373,
	376, 418, 555, 582, 605, 615, 632, 635, 637, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638, 638,
	638, 638, 638, 638, 638, 638, 638,
};

static unsigned char upper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 32) : c;
}

/* Compares s[0..n) case-insensitively with an upper-case name. */
static int word_cmp(const unsigned char *s, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char a = upper(s[i]);
		unsigned char b = (unsigned char)name[i];

		if (b == 0)
			return 1;
		if (a != b)
			return a < b ? -1 : 1;
	}
	return name[n] == 0 ? 0 : -1;
}

/* Binary search among the words that start with the same byte. */
static inline const struct word *word_find(const unsigned char *s, size_t n)
{
	char up[WORD_MAX + 1];
	size_t lo, hi, i;

	if (n == 0 || n > WORD_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		up[i] = (char)upper(s[i]);
	up[n] = 0;
	lo = word_start[(unsigned char)up[0]];
	hi = word_start[(unsigned char)up[0] + 1];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = words[mid].name;
		int c = 0;

		/* inline compare: names are short and the call costs more */
		for (i = 1; i <= n; i++) {
			if (up[i] != name[i]) {
				unsigned char x = (unsigned char)up[i];

				c = x < (unsigned char)name[i] ? -1 : 1;
				break;
			}
		}
		if (c == 0)
			return &words[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool name_is(const unsigned char *s, size_t n, const char *name)
{
	return word_cmp(s, n, name) == 0;
}

static bool name_in(const unsigned char *s, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (name_is(s, n, *list))
			return true;
	return false;
}

static bool name_has_prefix(const unsigned char *s, size_t n,
                            const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i] != 0; i++)
		if (i >= n || upper(s[i]) != (unsigned char)prefix[i])
			return false;
	return true;
}

/* Loadable functions (UDFs and component functions) known to change server
 * state or reach the operating system. */
static const char *const admin_fn_prefixes[] = {
	"LIB_MYSQLUDF_", "GROUP_REPLICATION_",
	"ASYNCHRONOUS_CONNECTION_FAILOVER_",
	"AUDIT_LOG_", "KEYRING_", "VERSION_TOKENS_", "SERVICE_GET_",
	"SERVICE_RELEASE_", "MYSQL_FIREWALL_", "SET_FIREWALL_", NULL,
};

/* Character sets in which the lexer sees the same tokens as the server
 * (bytes below 0x80 always stand for themselves). */
static const char *const lexable_charsets[] = {
	"ARMSCII8", "ASCII", "BINARY", "CP1250", "CP1251", "CP1256", "CP1257",
	"CP850", "CP852", "CP866", "DEC8", "EUCJPMS", "EUCKR", "GB2312",
	"GEOSTD8", "GREEK", "HEBREW", "HP8", "KEYBCS2", "KOI8R", "KOI8U",
	"LATIN1", "LATIN2", "LATIN5", "LATIN7", "MACCE", "MACROMAN", "SWE7",
	"TIS620", "UJIS", "UTF8", "UTF8MB3", "UTF8MB4", NULL,
};

/* sql_mode flags that leave the lexing the classifier models unchanged
 * (ANSI_QUOTES and NO_BACKSLASH_ESCAPES are modelled: both readings of
 * every literal must agree). ORACLE, MSSQL and the other combination modes
 * switch parsers or quoting and are absent on purpose. */
static const char *const safe_sql_modes[] = {
	"ALLOW_INVALID_DATES", "ANSI", "ANSI_QUOTES", "EMPTY_STRING_IS_NULL",
	"ERROR_FOR_DIVISION_BY_ZERO", "HIGH_NOT_PRECEDENCE",
	"IGNORE_BAD_TABLE_OPTIONS", "IGNORE_SPACE", "MYSQL323", "MYSQL40",
	"NO_AUTO_CREATE_USER", "NO_AUTO_VALUE_ON_ZERO", "NO_BACKSLASH_ESCAPES",
	"NO_DIR_IN_CREATE", "NO_ENGINE_SUBSTITUTION", "NO_FIELD_OPTIONS",
	"NO_KEY_OPTIONS", "NO_TABLE_OPTIONS", "NO_UNSIGNED_SUBTRACTION",
	"NO_ZERO_DATE", "NO_ZERO_IN_DATE", "ONLY_FULL_GROUP_BY",
	"PAD_CHAR_TO_FULL_LENGTH", "PIPES_AS_CONCAT", "REAL_AS_FLOAT",
	"SIMULTANEOUS_ASSIGNMENT", "STRICT_ALL_TABLES", "STRICT_TRANS_TABLES",
	"TIME_ROUND_FRACTIONAL", "TIME_TRUNCATE_FRACTIONAL", "TRADITIONAL",
	NULL,
};

/* Session variables whose change reaches replication, logging, debugging
 * or the history of versioned tables: admin even without GLOBAL. */
static const char *const admin_session_vars[] = {
	"BINLOG_ANNOTATE_ROW_EVENTS", "BINLOG_FORMAT", "BINLOG_ROW_IMAGE",
	"BINLOG_ROW_METADATA", "BINLOG_ROW_VALUE_OPTIONS", "DEBUG",
	"DEBUG_DBUG",
	"DEBUG_SYNC", "GTID_DOMAIN_ID", "GTID_NEXT", "GTID_SEQ_NO",
	"PSEUDO_REPLICA_MODE", "PSEUDO_SLAVE_MODE", "PSEUDO_THREAD_ID",
	"SERVER_ID", "SKIP_REPLICATION", "SQL_LOG_BIN", "SQL_LOG_OFF",
	"SQL_REPLICA_SKIP_COUNTER", "SQL_SLAVE_SKIP_COUNTER",
	"SYSTEM_VERSIONING_INSERT_HISTORY", "WSREP_ON", "WSREP_OSU_METHOD",
	NULL,
};

/* Session variables that are transaction control. */
static const char *const txn_session_vars[] = {
	"AUTOCOMMIT", "TRANSACTION_ISOLATION", "TRANSACTION_READ_ONLY",
	"TX_ISOLATION", "TX_READ_ONLY", NULL,
};

/* ------------------------------------------------------------- lexer */

enum tok_kind {
	T_END,      /* end of text */
	T_ERROR,    /* the lexer cannot follow the text: reason in lexer */
	T_WORD,     /* identifier, keyword or number */
	T_QIDENT,   /* `quoted identifier` */
	T_STRING,   /* '...', N'...' */
	T_DQSTRING, /* "..." (a string, or an identifier under ANSI_QUOTES) */
	T_HEX,      /* X'..', B'..' */
	T_LPAREN,
	T_RPAREN,
	T_COMMA,
	T_DOT,
	T_SEMI,
	T_AT,
	T_EQ,
	T_ASSIGN, /* := */
	T_OTHER,  /* any other punctuation */
	T_RUN,    /* ", literal, literal, ..." in bulk: see lex_run() */
};

struct tok {
	unsigned char kind;
	bool gap;           /* whitespace or a comment right before it */
	unsigned char slot; /* T_RUN: its struct run in the lexer */
	unsigned short kw;
	const struct word *w; /* T_WORD found in the keyword table, or NULL */
	size_t pos, len;
};

enum flavour { FL_MYSQL, FL_MARIADB };

/* Which server the text is lexed for: a flavour and a version threshold.
 * Version-gated comments naming a version at or below it run. */
struct scenario {
	enum flavour fl;
	unsigned long version;
};

struct gates {
	unsigned n;
	bool overflow;
	unsigned long v[MAX_GATES];
};

/* Tokens are lexed into a ring (see run_pass()): the one being looked at,
 * two after it and (through st->p1, st->p2) two before it stay valid. */
#define RING 8

/* What a T_RUN token stands for. */
struct run {
	size_t ntok;        /* tokens */
	size_t commas;      /* commas at the run's own paren level */
	struct tok last[2]; /* its last two tokens, in order */
};

/* Runs lexed and not yet analysed: at most the three tokens of lookahead
 * (see run_pass()). */
#define RUN_SLOTS 4

struct lexer {
	const unsigned char *s;
	size_t len, pos;
	struct scenario sc;
	bool in_exec;      /* inside a running executable comment */
	bool flavoured;    /* met a comment whose fate depends on the flavour */
	bool unknown_gate; /* met a gate not in `known` */
	const struct gates *known; /* gates every pass may meet, or NULL */
	/* Whether the analyser can take ", literal" runs in bulk is asked
	 * (runs_allowed()) only at a ',': the pass being lexed for (NULL for
	 * never) and where in its ring of tokens the two are that it has
	 * still to analyse first. */
	const struct pass *fit;
	const struct tok *fit_ring;
	unsigned fit_at;
	struct gates seen[2];      /* per flavour */
	const char *err;
	unsigned nrun;                /* runs lexed so far */
	struct run runs[RUN_SLOTS];   /* left out of lex_init()'s memset */
};

#define CC_SPACE 0x1 /* the server's whitespace in every character set */
#define CC_WORD 0x2  /* may be part of an identifier, keyword or number */
#define CC_HEX 0x4   /* a digit of X'...' */
#define CC_BIT 0x8   /* a digit of B'...' */
#define CC_ASCII 0x10 /* an ASCII word byte (number bodies in runs) */

/* Byte classes: ASCII letters, digits, '_', '$' and every byte >= 0x80
 * are word bytes; 0x09-0x0d and ' ' are whitespace. */
static const unsigned char cclass[256] = {
	['\t'] = CC_SPACE, ['\n'] = CC_SPACE, ['\v'] = CC_SPACE,
	['\f'] = CC_SPACE, ['\r'] = CC_SPACE, [' '] = CC_SPACE,
	['$'] = CC_WORD | CC_ASCII, ['_'] = CC_WORD | CC_ASCII,
	['0' ... '1'] = CC_WORD | CC_ASCII | CC_HEX | CC_BIT,
	['2' ... '9'] = CC_WORD | CC_ASCII | CC_HEX,
	['A' ... 'F'] = CC_WORD | CC_ASCII | CC_HEX,
	['G' ... 'Z'] = CC_WORD | CC_ASCII,
	['a' ... 'f'] = CC_WORD | CC_ASCII | CC_HEX,
	['g' ... 'z'] = CC_WORD | CC_ASCII,
	[0x80 ... 0xff] = CC_WORD,
};

static bool is_space(unsigned char c)
{
	return (cclass[c] & CC_SPACE) != 0;
}

static bool is_word_byte(unsigned char c)
{
	return (cclass[c] & CC_WORD) != 0;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void lex_init(struct lexer *lx, const unsigned char *s, size_t len,
                     struct scenario sc, const struct gates *known)
{
	memset(lx, 0, offsetof(struct lexer, runs));
	lx->s = s;
	lx->len = len;
	lx->sc = sc;
	lx->known = known;
}

static void set_err(struct lexer *lx, struct tok *t, const char *why)
{
	lx->err = why;
	lx->pos = lx->len;
	t->kind = T_ERROR;
	t->w = NULL;
	t->kw = 0;
	t->len = 0;
}

static void note_gate(struct lexer *lx, enum flavour fl, unsigned long v)
{
	struct gates *g = &lx->seen[fl];
	unsigned i;

	for (i = 0; i < g->n; i++)
		if (g->v[i] == v)
			goto known;
	if (g->n == MAX_GATES)
		g->overflow = true;
	else
		g->v[g->n++] = v;
known:
	if (lx->known != NULL) {
		const struct gates *k = &lx->known[fl];

		for (i = 0; i < k->n; i++)
			if (k->v[i] == v)
				return;
		lx->unknown_gate = true;
	}
}

/* The first j in [from, to) where s[j] == a and s[j + 1] == b, or NPOS. */
static size_t find_pair(const unsigned char *s, size_t n, size_t from,
                        size_t to, unsigned char a, unsigned char b)
{
	while (from < to) {
		const unsigned char *hit = memchr(s + from, a, to - from);
		size_t j;

		if (hit == NULL) {
			WORK(to - from);
			return NPOS;
		}
		j = (size_t)(hit - s);
		WORK(j - from + 1);
		if (j + 1 < n && s[j + 1] == b)
			return j;
		from = j + 1;
	}
	return NPOS;
}

/* Skips a block comment body starting at i (just after the opening), the
 * way the server does: the first "* /" ends it; with nest > 0 one level of
 * inner "/ *...* /" is skipped first (skipped version-gated comments), an
 * inner opening that starts before the first closing winning.
 * Returns the position after the closing, or NPOS. */
static size_t skip_block(const unsigned char *s, size_t n, size_t i, int nest)
{
	for (;;) {
		size_t close = find_pair(s, n, i, n, '*', '/'), open;

		if (close == NPOS)
			return NPOS;
		if (nest == 0)
			return close + 2;
		open = find_pair(s, n, i, close, '/', '*');
		if (open == NPOS)
			return close + 2;
		i = skip_block(s, n, open + 2, nest - 1);
		if (i == NPOS)
			return NPOS;
	}
}

/* A comment from "#" or "-- " to the end of the line. The server also
 * stops at a NUL byte and then fails on it; we refuse the NUL. */
static bool skip_line(struct lexer *lx, size_t from)
{
	const unsigned char *nl = memchr(lx->s + from, '\n', lx->len - from);
	size_t end = nl ? (size_t)(nl - lx->s) : lx->len;

	WORK(2 * (end - from));
	if (memchr(lx->s + from, 0, end - from) != NULL)
		return false;
	lx->pos = end;
	return true;
}

static bool hint_unclear(const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] == '\'' || b[i] == '"' || b[i] == '`' || b[i] == '\\')
			return true;
	return false;
}

/* At "/ *". Returns false (with t set to T_ERROR) when the text cannot be
 * followed. */
static bool lex_comment(struct lexer *lx, struct tok *t)
{
	const unsigned char *s = lx->s;
	size_t n = lx->len, p = lx->pos, q, d = 0, end;
	bool exec = false, maria = false, include = true;
	unsigned long version = 0;

	if (p + 2 < n && s[p + 2] == '!') {
		exec = true;
		q = p + 3;
	} else if (p + 3 < n && s[p + 2] == 'M' && s[p + 3] == '!') {
		lx->flavoured = true;
		exec = lx->sc.fl == FL_MARIADB;
		maria = true;
		q = p + 4;
	} else {
		q = p + 2;
	}

	if (exec && lx->in_exec) {
		set_err(lx, t,
		        "executable comment inside an executable comment");
		return false;
	}
	if (exec) {
		while (q + d < n && is_digit(s[q + d]))
			d++;
		if (!maria && d >= 6) {
			set_err(lx, t,
			        "executable comment with a version number "
			        "longer than five digits");
			return false;
		}
		if (maria && d >= 7) {
			set_err(lx, t,
			        "executable comment with a version number "
			        "longer than six digits");
			return false;
		}
		if (d >= 5) {
			size_t i;

			for (i = 0; i < d; i++)
				version = version * 10 +
				          (unsigned long)(s[q + i] - '0');
			q += d;
			if (!maria) {
				if (version >= MYSQL_GATE_MIN) {
					lx->flavoured = true;
					if (lx->sc.fl == FL_MYSQL) {
						note_gate(lx, FL_MYSQL,
						          version);
						include = version <=
						          lx->sc.version;
					} else {
						/* MariaDB skips MySQL-only
						 * versions */
						include = false;
					}
				}
			} else if (version >= MARIADB_GATE_MIN) {
				note_gate(lx, FL_MARIADB, version);
				include = version <= lx->sc.version;
			}
		}
		if (include) {
			lx->in_exec = true;
			lx->pos = q;
			return true;
		}
		end = skip_block(s, n, q, 1);
	} else {
		end = skip_block(s, n, q, 0);
		/* Optimizer hints ("/ *+") have their own scanner, which knows
		 * quotes (and may read a backslash as an escape): where those
		 * could move the end of the comment, give up. */
		if (end != NPOS && p + 2 < n && s[p + 2] == '+' &&
		    hint_unclear(s + p + 3, end - 2 - (p + 3))) {
			set_err(lx, t, "optimizer hint comment with quotes or "
			               "backslashes");
			return false;
		}
	}
	if (end == NPOS) {
		set_err(lx, t, "unterminated comment");
		return false;
	}
	lx->pos = end;
	return true;
}

/* Literal bodies up to this long are scanned byte by byte first. */
#define SHORT_LITERAL 32

/* How a '...' or "..." literal ends: where both readings agree, nowhere,
 * or at different bytes with and without backslash escapes. */
enum str_end { STR_OK, STR_OPEN, STR_AMBIGUOUS };

/* Finds the end (one past the closing quote) of the '...' or "..." literal
 * whose opening quote is at p. Both readings, with and without backslash
 * escapes (NO_BACKSLASH_ESCAPES), must end at the same byte. Every step is
 * a memchr over the bytes ahead, so a literal of megabytes costs a few
 * passes at memory speed: without escapes the literal ends at the first
 * quote that is not doubled; with them, at the first such quote that no
 * backslash escapes. */
static enum str_end string_end(const unsigned char *s, size_t n, size_t p,
                               size_t *end)
{
	unsigned char q = s[p];
	size_t i, plain = NPOS, esc = NPOS, qpos = NPOS;
	bool backslash = false;

	/* Short literals without backslashes, the usual case, end in this
	 * loop: cheaper than setting up memchr. */
	for (i = p + 1; i < n && i - p <= SHORT_LITERAL; i++) {
		unsigned char c = s[i];

		if (c == '\\')
			break;
		if (c != q)
			continue;
		if (i + 1 < n && s[i + 1] == q) {
			i++;
			continue;
		}
		WORK(i - p);
		*end = i + 1;
		return STR_OK;
	}
	WORK(i - p);
	i = p + 1;
	while (i < n) {
		const unsigned char *hit = memchr(s + i, q, n - i);
		size_t j = hit ? (size_t)(hit - s) : n;

		WORK(2 * (j - i) + 2);
		if (!backslash && memchr(s + i, '\\', j - i) != NULL)
			backslash = true;
		if (hit == NULL)
			break;
		if (j + 1 < n && s[j + 1] == q) {
			i = j + 2;
			continue;
		}
		plain = j + 1;
		break;
	}
	if (!backslash) {
		/* no backslash before the end: both readings are the same
		 * (or both run off the end) */
		esc = plain;
	} else {
		i = p + 1;
		while (i < n) {
			const unsigned char *b;

			if (qpos == NPOS || qpos < i) {
				const unsigned char *hit =
				        memchr(s + i, q, n - i);

				WORK(hit ? (size_t)(hit - s) - i + 1 : n - i);
				if (hit == NULL)
					break;
				qpos = (size_t)(hit - s);
			}
			/* a backslash before the next quote escapes the byte
			 * after it (which may be that quote) */
			b = memchr(s + i, '\\', qpos - i);
			WORK(b ? (size_t)(b - s) - i + 1 : qpos - i);
			if (b != NULL) {
				i = (size_t)(b - s) + 2;
				continue;
			}
			if (qpos + 1 < n && s[qpos + 1] == q) {
				i = qpos + 2;
				continue;
			}
			esc = qpos + 1;
			break;
		}
	}
	if (plain == NPOS && esc == NPOS)
		return STR_OPEN;
	if (plain != esc)
		return STR_AMBIGUOUS;
	*end = plain;
	return STR_OK;
}

/* A '...' or "..." literal at p. */
static bool lex_string(struct lexer *lx, struct tok *t, size_t p)
{
	unsigned char q = lx->s[p];
	size_t end = 0;

	switch (string_end(lx->s, lx->len, p, &end)) {
	case STR_OPEN:
		set_err(lx, t,
		        q == '"' ? "unterminated double-quoted literal"
		                 : "unterminated string literal");
		return false;
	case STR_AMBIGUOUS:
		set_err(lx, t,
		        "string literal whose end depends on backslash "
		        "escaping (NO_BACKSLASH_ESCAPES)");
		return false;
	default:
		break;
	}
	t->kind = q == '"' ? T_DQSTRING : T_STRING;
	t->len = end - t->pos;
	lx->pos = end;
	return true;
}

struct pass;
static bool runs_allowed(const struct lexer *lx);

/* ------------------------------------------------------ literal runs
 *
 * Long IN lists and multi-row VALUES are mostly ", literal" and
 * ", (literal, literal)" over and over. When the analyser says it can take
 * them in bulk (runs_allowed(): deep inside a statement, where such
 * tokens only count), the lexer returns the longest such run as one T_RUN
 * token: the number of tokens it stands for, its commas and its last two
 * tokens are all the analyser needs. A run holds exactly the tokens lex_next()
 * would return for the same bytes, restricted to commas, parentheses of
 * rows, numbers (digits, "-", "."), '...' and "..." strings, NULL, TRUE and
 * FALSE separated by plain whitespace; anything else (a comment, a call,
 * an identifier, a nested parenthesis) ends it, and the item where it
 * stopped is lexed again the ordinary way. */

static size_t skip_space(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && (cclass[s[i]] & CC_SPACE))
		i++;
	return i;
}

/* Past the digits at i. Eight bytes at a time where the byte order allows:
 * a byte is a digit when, its top bit clear, adding 0x46 leaves bit 7
 * clear (below ':') and adding 0x50 sets it (at least '0'); no sum
 * carries into the next byte. */
static size_t skip_digits(const unsigned char *s, size_t n, size_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (n - i >= 8) {
		uint64_t x, y, bad;

		memcpy(&x, s + i, 8);
		y = x & 0x7f7f7f7f7f7f7f7fULL;
		bad = (x | (y + 0x4646464646464646ULL) |
		       ~(y + 0x5050505050505050ULL)) &
		      0x8080808080808080ULL;
		if (bad != 0)
			return i + (size_t)(__builtin_ctzll(bad) >> 3);
		i += 8;
	}
#endif
	while (i < n && is_digit(s[i]))
		i++;
	return i;
}

/* A word at i spelling `name` (upper case) and ending there. */
static bool word_at(const unsigned char *s, size_t n, size_t i,
                    const char *name, size_t len)
{
	size_t k;

	if (len > n - i)
		return false;
	for (k = 0; k < len; k++)
		if (upper(s[i + k]) != (unsigned char)name[k])
			return false;
	return i + len == n || !(cclass[s[i + len]] & CC_WORD);
}

/* A literal of a run at i: returns where it ends (NPOS if there is none)
 * and adds its tokens to *k. */
static size_t run_literal(const unsigned char *s, size_t n, size_t i,
                          size_t *k)
{
	unsigned char c;
	size_t e, i0 = i;

	if (i >= n)
		return NPOS;
	c = s[i];
	if (c == '\'' || c == '"') {
		if (string_end(s, n, i, &e) != STR_OK)
			return NPOS;
		*k += 1;
		return e;
	}
	if (c == '-') {
		/* a minus sign: never "--", which may start a comment */
		if (i + 1 >= n || !is_digit(s[i + 1]))
			return NPOS;
		*k += 1;
		c = s[++i];
	}
	if (is_digit(c)) {
		/* digits and ASCII word bytes: one word, as lex_next() reads
		 * it; a fraction ".5" is a dot and another word */
		i = skip_digits(s, n, i);
		while (i < n && (cclass[s[i]] & CC_ASCII))
			i++;
		*k += 1;
		if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
			i = skip_digits(s, n, i + 1);
			while (i < n && (cclass[s[i]] & CC_ASCII))
				i++;
			*k += 2;
		}
		WORK(i - i0 + 1);
		if (i < n && (cclass[s[i]] & CC_WORD))
			return NPOS; /* a word byte >= 0x80: not ours */
		return i;
	}
	if (word_at(s, n, i, "NULL", 4) || word_at(s, n, i, "TRUE", 4)) {
		*k += 1;
		return i + 4;
	}
	if (word_at(s, n, i, "FALSE", 5)) {
		*k += 1;
		return i + 5;
	}
	return NPOS;
}

/* An item of a run at i: a literal or a row "(literal, ...)" of literals.
 * Returns where it ends, or NPOS; adds its tokens to *k. */
static size_t run_item(const unsigned char *s, size_t n, size_t i, size_t *k)
{
	if (i >= n || s[i] != '(')
		return run_literal(s, n, i, k);
	*k += 2; /* the parentheses */
	i = skip_space(s, n, i + 1);
	if (i < n && s[i] == ')')
		return i + 1;
	for (;;) {
		i = run_literal(s, n, i, k);
		if (i == NPOS)
			return NPOS;
		i = skip_space(s, n, i);
		if (i >= n)
			return NPOS;
		if (s[i] == ')')
			return i + 1;
		if (s[i] != ',')
			return NPOS;
		*k += 1;
		i = skip_space(s, n, i + 1);
	}
}

/* The tokens lex_next() would return for [i, end), which hold only what a
 * run may hold: keeps the last two in out[0] and out[1]. `gap` is the gap
 * before the first. */
static void run_tail(const unsigned char *s, size_t i, size_t end, bool gap,
                     struct tok out[2])
{
	while (i < end) {
		struct tok t;
		size_t e = i + 1;
		unsigned char c = s[i];

		if (cclass[c] & CC_SPACE) {
			i = skip_space(s, end, i);
			gap = true;
			continue;
		}
		memset(&t, 0, sizeof(t));
		t.gap = gap;
		t.pos = i;
		switch (c) {
		case ',':
			t.kind = T_COMMA;
			break;
		case '(':
			t.kind = T_LPAREN;
			break;
		case ')':
			t.kind = T_RPAREN;
			break;
		case '.':
			t.kind = T_DOT;
			break;
		case '-':
			t.kind = T_OTHER;
			break;
		case '\'':
		case '"':
			t.kind = c == '"' ? T_DQSTRING : T_STRING;
			(void)string_end(s, end, i, &e);
			break;
		default:
			t.kind = T_WORD;
			while (e < end && (cclass[s[e]] & CC_WORD))
				e++;
			t.w = word_find(s + i, e - i);
			t.kw = t.w ? t.w->kw : 0;
			break;
		}
		t.len = e - i;
		out[0] = out[1];
		out[1] = t;
		gap = false;
		i = e;
	}
}

/* At a ',' where runs_allowed(): the longest run of ", item" starting there in
 * t (T_RUN), or false when not even one item follows. An item counts only
 * when a ',' or ')' follows it (after whitespace): then nothing can read it
 * as the name of a function or the start of something longer. */
static bool lex_run(struct lexer *lx, struct tok *t, size_t p)
{
	const unsigned char *s = lx->s;
	size_t n = lx->len, i = p, end = NPOS, last = p, ntok = 0, commas = 0;
	struct run *r;

	while (i < n && s[i] == ',') {
		size_t k = 0, e, f;

		e = run_item(s, n, skip_space(s, n, i + 1), &k);
		if (e == NPOS)
			break;
		f = skip_space(s, n, e);
		if (f >= n || (s[f] != ',' && s[f] != ')'))
			break;
		last = i;
		end = e;
		ntok += 1 + k;
		commas++;
		i = f;
	}
	WORK(i - p + 16);
	if (end == NPOS)
		return false;
	r = &lx->runs[lx->nrun % RUN_SLOTS];
	r->ntok = ntok;
	r->commas = commas;
	memset(r->last, 0, sizeof(r->last));
	run_tail(s, last, end,
	         last == p ? t->gap : (cclass[s[last - 1]] & CC_SPACE) != 0,
	         r->last);
	t->kind = T_RUN;
	t->slot = (unsigned char)(lx->nrun % RUN_SLOTS);
	lx->nrun++;
	t->pos = p;
	t->len = end - p;
	lx->pos = end;
	return true;
}

/* Fills t with the next token. */
static void lex_next(struct lexer *lx, struct tok *t)
{
	const unsigned char *s = lx->s;
	size_t n = lx->len, p;
	unsigned char c;

	t->gap = false;
	t->w = NULL;
	t->kw = 0;
	for (;;) {
		p = lx->pos;
		if (p >= n) {
			if (lx->in_exec) {
				set_err(lx, t,
				        "unterminated executable comment");
				return;
			}
			t->kind = T_END;
			t->pos = n;
			t->len = 0;
			return;
		}
		c = s[p];
		WORK(1);
		if (is_space(c)) {
			lx->pos++;
			t->gap = true;
			continue;
		}
		if (c == '#') {
			if (!skip_line(lx, p + 1)) {
				set_err(lx, t, "NUL byte in a comment");
				return;
			}
			t->gap = true;
			continue;
		}
		if (c == '-' && p + 1 < n && s[p + 1] == '-') {
			unsigned char d = p + 2 < n ? s[p + 2] : 0;

			if (d >= 0x80) {
				set_err(lx, t,
				        "\"--\" followed by a non-ASCII byte "
				        "starts a comment in some character "
				        "sets");
				return;
			}
			if (p + 2 >= n || is_space(d) || d < 0x20 ||
			    d == 0x7f) {
				if (p + 2 < n && !skip_line(lx, p + 2)) {
					set_err(lx, t, "NUL byte in a comment");
					return;
				}
				if (p + 2 >= n)
					lx->pos = n;
				t->gap = true;
				continue;
			}
		}
		if (c == '/' && p + 1 < n && s[p + 1] == '*') {
			if (lx->in_exec) {
				/* a plain comment inside running code: the
				 * first "* /" ends it (nested executable ones
				 * are refused in lex_comment) */
				if (p + 2 < n &&
				    (s[p + 2] == '!' ||
				     (s[p + 2] == 'M' && p + 3 < n &&
				      s[p + 3] == '!'))) {
					if (!lex_comment(lx, t))
						return;
				} else {
					size_t end = skip_block(s, n, p + 2, 0);

					if (end == NPOS) {
						set_err(lx, t,
						        "unterminated comment");
						return;
					}
					lx->pos = end;
				}
			} else if (!lex_comment(lx, t)) {
				return;
			}
			t->gap = true;
			continue;
		}
		if (c == '*' && lx->in_exec && p + 1 < n && s[p + 1] == '/') {
			lx->in_exec = false;
			lx->pos = p + 2;
			t->gap = true;
			continue;
		}
		break;
	}

	t->pos = p;
	t->len = 1;
	lx->pos = p + 1;
	switch (c) {
	case '\'':
	case '"':
		(void)lex_string(lx, t, p);
		return;
	case '`': {
		size_t i = p + 1;

		for (;;) {
			const unsigned char *hit = memchr(s + i, '`', n - i);

			WORK(hit ? (size_t)(hit - s) - i + 1 : n - i);
			if (hit == NULL) {
				set_err(lx, t,
				        "unterminated quoted identifier");
				return;
			}
			i = (size_t)(hit - s);
			if (i + 1 < n && s[i + 1] == '`') {
				i += 2;
				continue;
			}
			break;
		}
		if (memchr(s + p + 1, 0, i - p - 1) != NULL) {
			set_err(lx, t, "NUL byte in a quoted identifier");
			return;
		}
		t->kind = T_QIDENT;
		t->len = i + 1 - p;
		lx->pos = i + 1;
		return;
	}
	case '(':
		t->kind = T_LPAREN;
		return;
	case ')':
		t->kind = T_RPAREN;
		return;
	case ',':
		if (lx->fit != NULL && runs_allowed(lx) && lex_run(lx, t, p))
			return;
		t->kind = T_COMMA;
		return;
	case '.':
		t->kind = T_DOT;
		return;
	case ';':
		t->kind = T_SEMI;
		return;
	case '@':
		t->kind = T_AT;
		return;
	case '=':
		t->kind = T_EQ;
		return;
	case ':':
		if (p + 1 < n && s[p + 1] == '=') {
			t->kind = T_ASSIGN;
			t->len = 2;
			lx->pos = p + 2;
			return;
		}
		t->kind = T_OTHER;
		return;
	default:
		break;
	}
	if (c < 0x20 || c == 0x7f) {
		set_err(lx, t,
		        c == 0 ? "NUL byte outside a string literal"
		               : "control character outside a string "
		                 "literal");
		return;
	}
	if (!is_word_byte(c)) {
		t->kind = T_OTHER;
		return;
	}
	if (p + 1 < n && s[p + 1] == '\'') {
		unsigned char u = upper(c);

		if (u == 'N') {
			/* N'...': a string with escapes like any other */
			if (lex_string(lx, t, p + 1)) {
				t->pos = p;
				t->len = lx->pos - p;
			}
			return;
		}
		if (u == 'X' || u == 'B') {
			/* X'hex' and B'bits' end at the first quote; anything
			 * but digits before it is a syntax error */
			size_t i = p + 2;
			unsigned char need = u == 'X' ? CC_HEX : CC_BIT;

			while (i < n && (cclass[s[i]] & need))
				i++;
			WORK(i - p);
			if (i >= n) {
				set_err(lx, t,
				        "unterminated hexadecimal or bit "
				        "literal");
				return;
			}
			if (s[i] != '\'') {
				set_err(lx, t,
				        "malformed hexadecimal or bit literal");
				return;
			}
			t->kind = T_HEX;
			t->len = i + 1 - p;
			lx->pos = i + 1;
			return;
		}
	}
	{
		size_t i = p;

		while (i < n && is_word_byte(s[i])) {
			WORK(1);
			if (s[i] == 0xa0 || s[i] == 0xff) {
				set_err(lx, t,
				        "byte 0xA0 or 0xFF outside quotes (it "
				        "is whitespace in some character "
				        "sets)");
				return;
			}
			i++;
		}
		t->kind = T_WORD;
		t->len = i - p;
		lx->pos = i;
		t->w = word_find(s + p, t->len);
		WORK(t->len <= WORD_MAX ? 10 * t->len : 0);
		t->kw = t->w ? t->w->kw : 0;
	}
}

/* ---------------------------------------------------------- analysis */

/* A class and why. The reason is usually static text; formatted ones
 * live in buf (copy verdicts with verdict_set()). */
struct verdict {
	enum sql_class cls;
	const char *why; /* NULL until something set the class */
	char buf[CLASSIFY_REASON_MAX];
};

static void verdict_init(struct verdict *v)
{
	v->cls = SQL_READ;
	v->why = NULL;
}

/* Would cls make v stricter? The first verdict always counts. */
static bool stricter(const struct verdict *v, enum sql_class cls)
{
	return v->why == NULL ? cls >= v->cls : cls > v->cls;
}

static void verdict_set(struct verdict *dst, const struct verdict *src)
{
	dst->cls = src->cls;
	if (src->why == src->buf) {
		memcpy(dst->buf, src->buf, strlen(src->buf) + 1);
		dst->why = dst->buf;
	} else {
		dst->why = src->why;
	}
}

/* Makes v stricter when cls is stricter; why must be static text. */
static void raise_s(struct verdict *v, enum sql_class cls, const char *why)
{
	if (!stricter(v, cls))
		return;
	v->cls = cls;
	v->why = why;
}

/* snprintf that truncates on purpose (reasons are short by design). */
static void put(char *dst, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void put(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
}

/* Makes v stricter when cls is stricter than what it holds. */
static void raise(struct verdict *v, enum sql_class cls, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void raise(struct verdict *v, enum sql_class cls, const char *fmt, ...)
{
	va_list ap;

	if (!stricter(v, cls))
		return;
	v->cls = cls;
	va_start(ap, fmt);
	vsnprintf(v->buf, sizeof(v->buf), fmt, ap);
	va_end(ap);
	v->why = v->buf;
}

static void raise_v(struct verdict *v, const struct verdict *w)
{
	if (w->why != NULL && stricter(v, w->cls))
		verdict_set(v, w);
}

/* State of the CTE header (WITH name (cols) AS (...), ...) at one level:
 * "name(" there opens a column list, not a function call. */
enum cte_state {
	CTE_NONE,
	CTE_NAME,        /* after WITH [RECURSIVE] or "," */
	CTE_AFTER_NAME,  /* after the name */
	CTE_COLS,        /* inside the column list */
	CTE_EXPECT_AS,   /* after the column list */
	CTE_EXPECT_BODY, /* after AS */
	CTE_BODY,        /* inside the body */
	CTE_AFTER_BODY,  /* after the body */
};

/* One paren level. */
struct frame {
	unsigned char cte;
	bool query; /* a SELECT at this level: FROM starts a FROM clause */
	bool from;  /* inside that FROM clause */
	bool arity; /* opened by a call built in only for lo..hi arguments */
	bool empty; /* "()" */
	unsigned char lo, hi;
	unsigned commas;
	const struct word *fn;
};

enum set_phase { SP_TARGET, SP_VALUE, SP_NAMES, SP_DONE };
enum set_var { V_PLAIN, V_SQL_MODE, V_CHARSET };
enum set_scope { SC_NONE, SC_SESSION, SC_GLOBAL };

/* Streaming analysis of SET's assignment list. */
struct set_an {
	bool on;
	bool statement;  /* SET STATEMENT ... FOR */
	bool charset_kw; /* saw CHARACTER, SET must follow */
	bool any;        /* an assignment was finished */
	unsigned char phase, sticky, var, names_step;
	unsigned ntgt, nval;
	bool value_ok;
	unsigned inner; /* SET STATEMENT: index of the token after FOR */
	struct tok tgt[SET_TGT_MAX];
	enum sql_class pend_cls;
	char pend_reason[96];
	struct verdict v;
};

struct stmt {
	unsigned n; /* tokens so far */
	unsigned depth;
	unsigned flags;
	unsigned dml_count, dml_first;
	unsigned short dml_kw;
	bool pend_arity; /* the next "(" opens a call checked for arity */
	unsigned char pend_lo, pend_hi;
	const struct word *pend_fn;
	const struct tok *p1, *p2; /* the two previous tokens */
	struct tok tail[2];        /* the last two tokens of a T_RUN */
	struct verdict trap;
	struct set_an set;
	struct tok head[HEAD_MAX];
	struct frame fr[MAX_DEPTH];
};

/* Where the reading of a CREATE routine head is (see rt_head()). */
enum rt_step {
	H_CREATE,
	H_OR,
	H_REPLACE,
	H_DEFINER,
	H_DEF_EQ,
	H_DEF_USER,
	H_DEF_CU1,
	H_DEF_CU2,
	H_DEF_AT,
	H_DEF_HOST,
	H_KIND,
	H_AGG,
	H_IFNE,
	H_IF_NOT,
	H_IF_EXISTS,
	H_NAME,
	H_NAME_DOT,
	H_NAME2,
	H_AFTER_NAME,
	H_PARAMS,
	H_RETURNS,
	H_WALK,
	H_WALK_STR,
	H_WALK_SET,
	H_WALK_NAME,
	H_GROUP,
	H_TRG_EVENT,
	H_TRG_ON,
	H_TRG_TBL,
	H_TRG_TBL_DOT,
	H_TRG_TBL2,
	H_TRG_FOR,
	H_TRG_EACH,
	H_TRG_ROW,
	H_TRG_ORDER,
	H_TRG_OTHER,
	H_EVT_SCHED,
	H_EVT,
	H_BODY,
	H_LABEL_COLON,
	H_LABEL_OPENER,
};

enum rt_state {
	RT_HEAD, /* reading the head of the first statement */
	RT_OFF,  /* an ordinary text */
	RT_BODY, /* the first statement is a routine with a compound body */
};

/* A token seen in a compound body, kept while the next ";" may come. */
struct rt_seen {
	unsigned char kind;
	unsigned short kw;
	unsigned long opens, ends; /* the counts before it */
};

/* A CREATE routine with a compound body, as the text goes by. */
struct routine {
	unsigned char state; /* enum rt_state */
	unsigned char step;  /* enum rt_step */
	unsigned short kind; /* K_PROCEDURE, K_FUNCTION, K_TRIGGER, K_EVENT */
	unsigned short opener; /* the outermost block: K_BEGIN, K_IF, ... */
	bool labelled;
	bool in_create;  /* before the first place where the CREATE may end */
	bool at_end;     /* it may end at the ";" being handled */
	bool live;       /* after it: the statement being read may run */
	bool stmt_start; /* a statement of the body starts at the next token */
	unsigned depth;  /* parentheses in the head */
	/* Since the body's first token: blocks that certainly open (CASE,
	 * BEGIN where a statement starts) and END words. */
	unsigned long opens, ends;
	struct rt_seen last[3]; /* the last three tokens, [0] the latest */
};

/* One lexing of the whole text under one scenario. */
struct pass {
	const unsigned char *s;
	size_t len;
	const struct classify_opts *opts;
	const struct lexer *lx;
	unsigned nest; /* > 0 inside PREPARE ... FROM 'text' */
	unsigned statements, worst;
	unsigned flags;
	bool any;
	struct verdict v;
	struct routine rt;
	struct stmt st;
};

static void classify_text(const unsigned char *s, size_t n,
                          const struct classify_opts *opts, unsigned nest,
                          struct classification *out);

static const struct tok end_tok = {T_END, false, 0, 0, NULL, 0, 0};

static const struct tok *hd(const struct stmt *st, unsigned i)
{
	if (i >= st->n || i >= HEAD_MAX)
		return &end_tok;
	return &st->head[i];
}

static unsigned hk(const struct stmt *st, unsigned i)
{
	return hd(st, i)->kw;
}

static bool is_name(const struct tok *t)
{
	return t->kind == T_WORD || t->kind == T_QIDENT;
}

static bool is_colon(const struct pass *ps, const struct tok *t)
{
	return t->kind == T_OTHER && t->len == 1 && ps->s[t->pos] == ':';
}

/* The bytes of a token without its quotes (T_STRING, T_DQSTRING,
 * T_QIDENT) or as is. */
static void tok_body(const struct pass *ps, const struct tok *t,
                     const unsigned char **b, size_t *n)
{
	size_t off = 0;

	if (t->kind == T_STRING || t->kind == T_DQSTRING ||
	    t->kind == T_QIDENT) {
		off = ps->s[t->pos] == '\'' || ps->s[t->pos] == '"' ||
		                      ps->s[t->pos] == '`'
		              ? 1
		              : 2; /* N'...' */
		*b = ps->s + t->pos + off;
		*n = t->len >= off + 1 ? t->len - off - 1 : 0;
		return;
	}
	*b = ps->s + t->pos;
	*n = t->len;
}

/* A printable rendering of a token for reasons: at most 40 bytes,
 * anything outside printable ASCII shown as '?'. */
static const char *tok_show(const struct pass *ps, const struct tok *t,
                            char *buf, size_t cap)
{
	const unsigned char *b;
	size_t n, i, o = 0;

	tok_body(ps, t, &b, &n);
	for (i = 0; i < n && o + 4 < cap && i < 40; i++) {
		unsigned char c = b[i];

		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < n && o + 4 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = 0;
	return buf;
}

/* The keyword spelled in upper case (for reasons). */
static const char *kw_name(unsigned kw)
{
	if (kw >= sizeof(kw_names) / sizeof(kw_names[0]) ||
	    kw_names[kw] == NULL)
		return "?";
	return kw_names[kw];
}

/* -------------------------------------------------------- traps */

static void trap(struct stmt *st, enum sql_class cls, const char *why)
{
	raise_s(&st->trap, cls, why);
}

/* "name(" where name is not a built-in function. */
static void trap_call(struct pass *ps, struct stmt *st, const struct tok *t,
                      bool qualified)
{
	const unsigned char *b;
	size_t n;
	char buf[64];
	unsigned i;

	tok_body(ps, t, &b, &n);
	for (i = 0; admin_fn_prefixes[i] != NULL; i++) {
		if (name_has_prefix(b, n, admin_fn_prefixes[i])) {
			raise(&st->trap, SQL_ADMIN,
			      "%s() is a loadable function that changes server "
			      "state",
			      tok_show(ps, t, buf, sizeof(buf)));
			return;
		}
	}
	if (ps->opts->functions_are_reads)
		return;
	if (qualified) {
		char qual[48];

		raise(&st->trap, SQL_WRITE,
		      "calls stored function %s.%s(), which may change data",
		      tok_show(ps, st->p2, qual, sizeof(qual)),
		      tok_show(ps, t, buf, sizeof(buf)));
	} else
		raise(&st->trap, SQL_WRITE,
		      "calls %s(), which is not a built-in function: a stored "
		      "or loadable function may change data",
		      tok_show(ps, t, buf, sizeof(buf)));
}

/* Looks at cur, knowing the two tokens before (st->p1, st->p2) and the two
 * after (n1, n2), for anything that makes a statement stricter than its
 * leading words. */
static void scan_token(struct pass *ps, struct stmt *st, const struct tok *cur,
                       const struct tok *n1, const struct tok *n2)
{
	const struct tok *p1 = st->p1;
	struct frame *f = st->depth < MAX_DEPTH ? &st->fr[st->depth] : NULL;
	bool cte_name = false;

	/* CTE header: WITH [RECURSIVE] name [(cols)] AS (body) [, ...] */
	if (f != NULL) {
		switch (f->cte) {
		case CTE_NAME:
			if (cur->kw == K_RECURSIVE)
				break;
			if (is_name(cur)) {
				cte_name = true;
				f->cte = CTE_AFTER_NAME;
			} else {
				f->cte = CTE_NONE;
			}
			break;
		case CTE_AFTER_NAME:
			if (cur->kind == T_LPAREN)
				f->cte = CTE_COLS;
			else if (cur->kw == K_AS)
				f->cte = CTE_EXPECT_BODY;
			else
				f->cte = CTE_NONE;
			break;
		case CTE_EXPECT_AS:
			f->cte = cur->kw == K_AS ? CTE_EXPECT_BODY : CTE_NONE;
			break;
		case CTE_EXPECT_BODY:
			f->cte = cur->kind == T_LPAREN ? CTE_BODY : CTE_NONE;
			break;
		case CTE_AFTER_BODY:
			f->cte = cur->kind == T_COMMA ? CTE_NAME : CTE_NONE;
			break;
		default:
			break;
		}
		if (cur->kw == K_WITH)
			f->cte = CTE_NAME;
	}

	/* FROM clauses of queries, where JSON_TABLE( is a table */
	if (f != NULL && cur->kind == T_WORD) {
		if (cur->kw == K_SELECT) {
			f->query = true;
			f->from = false;
		} else if (cur->kw == K_FROM) {
			f->from = f->query;
		} else if (cur->w != NULL && (cur->w->flags & W_ENDFROM)) {
			f->from = false;
		}
	}

	if (cur->kind == T_ASSIGN) {
		trap(st, SQL_SESSION, "assigns a user variable with :=");
		return;
	}
	if (cur->kind != T_WORD && cur->kind != T_QIDENT &&
	    cur->kind != T_DQSTRING)
		return;

	if (cur->kind == T_WORD) {
		switch (cur->kw) {
		case K_INTO:
			if (n1->kw != K_OUTFILE && n1->kw != K_DUMPFILE)
				trap(st, SQL_SESSION,
				     "SELECT ... INTO assigns "
				     "variables");
			break;
		case K_OUTFILE:
			trap(st, SQL_ADMIN,
			     "INTO OUTFILE writes a file on the "
			     "database server");
			break;
		case K_DUMPFILE:
			trap(st, SQL_ADMIN,
			     "INTO DUMPFILE writes a file on the "
			     "database server");
			break;
		case K_FOR:
			if (n1->kw == K_UPDATE)
				trap(st, SQL_WRITE,
				     "SELECT ... FOR UPDATE locks rows");
			else if (n1->kw == K_SHARE)
				trap(st, SQL_WRITE,
				     "SELECT ... FOR SHARE locks rows");
			break;
		case K_LOCK:
			trap(st, SQL_WRITE, "LOCK IN SHARE MODE locks rows");
			break;
		case K_UPDATE:
		case K_DELETE:
		case K_INSERT:
		case K_REPLACE:
			if ((cur->kw == K_INSERT || cur->kw == K_REPLACE) &&
			    n1->kind == T_LPAREN)
				break; /* the string functions */
			if (cur->kw == K_UPDATE && p1->kw == K_FOR)
				break; /* counted as a locking read */
			if (st->dml_count++ == 0) {
				st->dml_first = st->n - 1;
				st->dml_kw = cur->kw;
			}
			break;
		case K_NEXT:
			if (n1->kw == K_VALUE)
				trap(st, SQL_WRITE,
				     "NEXT VALUE FOR advances a "
				     "sequence");
			break;
		case K_NEXTVAL:
		case K_SETVAL:
			if (p1->kind == T_DOT)
				trap(st, SQL_WRITE,
				     "sequence.NEXTVAL advances a "
				     "sequence");
			break;
		case K_SONAME:
			trap(st, SQL_ADMIN,
			     "SONAME loads a shared library into "
			     "the server");
			break;
		case K_DIRECTORY:
			if (p1->kw != K_DATA && p1->kw != K_INDEX)
				break;
			trap(st, SQL_ADMIN,
			     "DATA or INDEX DIRECTORY places files "
			     "on the database server");
			break;
		default:
			break;
		}
	}

	/* name( ... */
	if (n1->kind != T_LPAREN)
		return;
	if (p1->kind == T_DOT) {
		trap_call(ps, st, cur, true);
		return;
	}
	/* After an operand ("(...)", a literal) "name(" is a derived column
	 * list or a syntax error; after AS a type or a column list; in a CTE
	 * header a column list. None of them calls anything. */
	if (p1->kind == T_RPAREN || p1->kind == T_STRING ||
	    p1->kind == T_DQSTRING || p1->kw == K_AS || cte_name ||
	    (cur->kw == K_OF && p1->kw == K_MEMBER))
		return;
	/* a table reference in a query's FROM clause: the table function */
	if (cur->kw == K_JSON_TABLE && f != NULL && f->from &&
	    (p1->kw == K_FROM || p1->kw == K_JOIN ||
	     p1->kw == K_STRAIGHT_JOIN || p1->kind == T_COMMA))
		return;
	if (cur->kind != T_WORD || cur->w == NULL) {
		trap_call(ps, st, cur, false);
		return;
	}
	switch (cur->w->call) {
	case C_KW:
	case C_PURE:
		return;
	case C_GAP:
		if (n1->gap)
			trap_call(ps, st, cur, false);
		return;
	case C_ARITY:
		st->pend_arity = true;
		st->pend_lo = cur->w->lo;
		st->pend_hi = cur->w->hi;
		st->pend_fn = cur->w;
		return;
	case C_SLEEP:
		st->flags |= CLASSIFY_SLEEP;
		return;
	case C_SESS:
		if (n2->kind != T_RPAREN)
			trap(st, SQL_SESSION, cur->w->why);
		return;
	case C_WRITE:
		trap(st, SQL_WRITE, cur->w->why);
		return;
	case C_ADMIN:
		trap(st, SQL_ADMIN, cur->w->why);
		return;
	default:
		trap_call(ps, st, cur, false);
		return;
	}
}

/* Paren levels and argument counts. */
static void track_parens(struct pass *ps, struct stmt *st,
                         const struct tok *cur, const struct tok *n1)
{
	struct frame *f;

	switch (cur->kind) {
	case T_LPAREN:
		st->depth++;
		if (st->depth < MAX_DEPTH) {
			f = &st->fr[st->depth];
			memset(f, 0, sizeof(*f));
			f->empty = n1->kind == T_RPAREN;
			if (st->pend_arity) {
				f->arity = true;
				f->lo = st->pend_lo;
				f->hi = st->pend_hi;
				f->fn = st->pend_fn;
			}
		} else if (st->pend_arity) {
			/* too deep to count its arguments */
			trap(st, SQL_WRITE, "call nested too deeply to check");
		}
		st->pend_arity = false;
		break;
	case T_COMMA:
		if (st->depth < MAX_DEPTH)
			st->fr[st->depth].commas++;
		break;
	case T_RPAREN:
		if (st->depth == 0)
			break; /* unbalanced: the server refuses it */
		if (st->depth < MAX_DEPTH) {
			f = &st->fr[st->depth];
			if (f->arity) {
				unsigned args = f->empty ? 0 : f->commas + 1;

				if (args < f->lo || args > f->hi)
					raise(&st->trap,
					      ps->opts->functions_are_reads
					              ? SQL_READ
					              : SQL_WRITE,
					      "calls %s() with %u arguments, "
					      "which "
					      "MariaDB resolves to a stored "
					      "function",
					      f->fn->name, args);
			}
		}
		st->depth--;
		if (st->depth < MAX_DEPTH) {
			f = &st->fr[st->depth];
			if (f->cte == CTE_COLS)
				f->cte = CTE_EXPECT_AS;
			else if (f->cte == CTE_BODY)
				f->cte = CTE_AFTER_BODY;
		}
		break;
	default:
		break;
	}
}

/* -------------------------------------------------------------- SET */

static void set_bad(struct set_an *a, const char *why)
{
	raise(&a->v, SQL_UNKNOWN, "%s", why);
	a->phase = SP_DONE;
}

/* A literal that must name one thing: no escapes, no quotes inside. */
static bool plain_literal(const struct pass *ps, const struct tok *t,
                          const unsigned char **b, size_t *n)
{
	size_t i;

	tok_body(ps, t, b, n);
	for (i = 0; i < *n; i++)
		if ((*b)[i] == '\\' || (*b)[i] == '\'' || (*b)[i] == '"' ||
		    (*b)[i] == '`')
			return false;
	return true;
}

/* 'MODE,MODE,...' made only of modes that keep the lexing we model. */
static bool mode_list_ok(const unsigned char *b, size_t n)
{
	size_t i = 0;

	while (i <= n) {
		size_t j = i, s, e;

		while (j < n && b[j] != ',')
			j++;
		s = i;
		e = j;
		while (s < e && b[s] == ' ')
			s++;
		while (e > s && b[e - 1] == ' ')
			e--;
		if (e > s && !name_in(b + s, e - s, safe_sql_modes))
			return false;
		i = j + 1;
	}
	return true;
}

/* One token of the value assigned to sql_mode or character_set_client. */
static void set_value_token(const struct pass *ps, struct set_an *a,
                            const struct tok *t, const struct tok *n1)
{
	const unsigned char *b;
	size_t n;

	if (a->var == V_CHARSET) {
		if (a->nval > 0 ||
		    !(is_name(t) || t->kind == T_STRING ||
		      t->kind == T_DQSTRING) ||
		    !plain_literal(ps, t, &b, &n) ||
		    !name_in(b, n, lexable_charsets))
			a->value_ok = false;
		return;
	}
	switch (t->kind) {
	case T_STRING:
	case T_DQSTRING:
	case T_QIDENT:
		if (!plain_literal(ps, t, &b, &n) || !mode_list_ok(b, n))
			a->value_ok = false;
		return;
	case T_AT:
	case T_DOT:
	case T_LPAREN:
	case T_RPAREN:
	case T_COMMA:
		return;
	case T_WORD:
		tok_body(ps, t, &b, &n);
		if (t->kw == K_DEFAULT || t->kw == K_SESSION ||
		    t->kw == K_GLOBAL || t->kw == K_LOCAL ||
		    name_is(b, n, "SQL_MODE") || name_is(b, n, "0") ||
		    name_in(b, n, safe_sql_modes))
			return;
		if (n1->kind == T_LPAREN &&
		    (name_is(b, n, "CONCAT") || name_is(b, n, "CONCAT_WS") ||
		     name_is(b, n, "REPLACE")))
			return;
		a->value_ok = false;
		return;
	default:
		a->value_ok = false;
		return;
	}
}

/* The target of one assignment is complete (the "=" was seen). */
static void set_target(const struct pass *ps, struct set_an *a)
{
	const struct tok *t = a->tgt;
	unsigned i = 0, rest;
	unsigned char scope = a->sticky;
	const unsigned char *b;
	size_t n;
	char buf[64];

	a->var = V_PLAIN;
	a->value_ok = true;
	if (a->ntgt >= 1 && t[0].kind == T_AT &&
	    !(a->ntgt >= 2 && t[1].kind == T_AT)) {
		a->pend_cls = SQL_SESSION;
		put(a->pend_reason, sizeof(a->pend_reason),
		    "SET @variable assigns a user variable");
		return;
	}
	if (a->ntgt >= 2 && t[0].kind == T_AT) {
		/* @@[scope.]name */
		i = 2;
		if (i + 1 < a->ntgt && t[i + 1].kind == T_DOT &&
		    (t[i].kw == K_GLOBAL || t[i].kw == K_PERSIST ||
		     t[i].kw == K_PERSIST_ONLY || t[i].kw == K_SESSION ||
		     t[i].kw == K_LOCAL)) {
			scope = (t[i].kw == K_SESSION || t[i].kw == K_LOCAL)
			                ? SC_SESSION
			                : SC_GLOBAL;
			i += 2;
		}
	} else if (a->ntgt >= 2 &&
	           (t[0].kw == K_GLOBAL || t[0].kw == K_PERSIST ||
	            t[0].kw == K_PERSIST_ONLY || t[0].kw == K_SESSION ||
	            t[0].kw == K_LOCAL)) {
		scope = (t[0].kw == K_SESSION || t[0].kw == K_LOCAL)
		                ? SC_SESSION
		                : SC_GLOBAL;
		a->sticky = scope;
		i = 1;
	}
	rest = a->ntgt - i;
	if (!((rest == 1 && is_name(&t[i])) ||
	      (rest == 3 && is_name(&t[i]) && t[i + 1].kind == T_DOT &&
	       is_name(&t[i + 2])))) {
		a->pend_cls = SQL_UNKNOWN;
		put(a->pend_reason, sizeof(a->pend_reason),
		    "SET of something the classifier cannot read");
		return;
	}
	t = &t[a->ntgt - 1]; /* the variable (last component) */
	tok_body(ps, t, &b, &n);
	tok_show(ps, t, buf, sizeof(buf));
	if (name_is(b, n, "PASSWORD")) {
		a->pend_cls = SQL_ADMIN;
		put(a->pend_reason, sizeof(a->pend_reason),
		    "SET PASSWORD changes an account");
	} else if (scope == SC_GLOBAL) {
		a->pend_cls = SQL_ADMIN;
		put(a->pend_reason, sizeof(a->pend_reason),
		    "SET GLOBAL %s changes a server-wide setting", buf);
	} else if (name_in(b, n, admin_session_vars)) {
		a->pend_cls = SQL_ADMIN;
		put(a->pend_reason, sizeof(a->pend_reason),
		    "SET %s changes replication, logging or debugging", buf);
	} else if (name_in(b, n, txn_session_vars)) {
		a->pend_cls = SQL_TXN;
		put(a->pend_reason, sizeof(a->pend_reason),
		    "SET %s is transaction control", buf);
	} else if (name_is(b, n, "SQL_MODE")) {
		a->var = V_SQL_MODE;
	} else if (name_is(b, n, "CHARACTER_SET_CLIENT")) {
		a->var = V_CHARSET;
	} else {
		a->pend_cls = SQL_SESSION;
		put(a->pend_reason, sizeof(a->pend_reason),
		    "SET %s changes a session variable", buf);
	}
}

static void set_finish(struct set_an *a)
{
	a->any = true;
	switch (a->var) {
	case V_SQL_MODE:
		if (a->value_ok && a->nval > 0)
			raise_s(&a->v, SQL_SESSION,
			        "SET sql_mode changes the "
			        "session's SQL mode");
		else
			raise(&a->v, SQL_UNKNOWN,
			      "SET sql_mode to a value the classifier cannot "
			      "check (a mode such as ORACLE changes how later "
			      "statements are parsed)");
		break;
	case V_CHARSET:
		if (a->value_ok && a->nval == 1)
			raise_s(&a->v, SQL_SESSION,
			        "SET character_set_client "
			        "changes the client character "
			        "set");
		else
			raise(&a->v, SQL_UNKNOWN,
			      "SET character_set_client to a character set the "
			      "classifier cannot lex");
		break;
	default:
		raise(&a->v, a->pend_cls, "%s", a->pend_reason);
		break;
	}
}

static void names_finish(struct set_an *a)
{
	a->any = true;
	if (a->value_ok)
		raise(&a->v, SQL_SESSION,
		      "SET NAMES changes the client character set");
	else
		raise(&a->v, SQL_UNKNOWN,
		      "SET NAMES to a character set the classifier cannot lex");
}

/* Feeds one token of a SET statement (idx: its index, depth: the paren
 * level it is at). */
static void set_feed(const struct pass *ps, struct set_an *a,
                     const struct tok *cur, const struct tok *n1, unsigned idx,
                     unsigned depth)
{
	const unsigned char *b;
	size_t n;

	if (!a->on || a->phase == SP_DONE)
		return;
	switch (a->phase) {
	case SP_TARGET:
		if (a->ntgt == 0 && !a->charset_kw) {
			if (idx == 1 && cur->kw == K_STATEMENT) {
				a->statement = true;
				return;
			}
			if (cur->kw == K_NAMES || cur->kw == K_CHARSET) {
				a->phase = SP_NAMES;
				a->names_step = 0;
				return;
			}
			if (cur->kw == K_CHARACTER) {
				a->charset_kw = true;
				return;
			}
		}
		if (a->charset_kw) {
			a->charset_kw = false;
			if (cur->kw != K_SET) {
				set_bad(a, "SET CHARACTER without SET");
				return;
			}
			a->phase = SP_NAMES;
			a->names_step = 0;
			return;
		}
		if (depth == 0 &&
		    (cur->kind == T_EQ || cur->kind == T_ASSIGN)) {
			set_target(ps, a);
			a->phase = SP_VALUE;
			a->nval = 0;
			return;
		}
		if (depth == 0 && cur->kind == T_COMMA) {
			set_bad(a, "SET of a variable without a value");
			return;
		}
		if (a->ntgt == SET_TGT_MAX) {
			set_bad(a,
			        "SET of something the classifier cannot read");
			return;
		}
		a->tgt[a->ntgt++] = *cur;
		return;
	case SP_VALUE:
		if (depth == 0 && cur->kind == T_COMMA) {
			set_finish(a);
			a->phase = SP_TARGET;
			a->ntgt = 0;
			return;
		}
		if (depth == 0 && a->statement && cur->kw == K_FOR) {
			set_finish(a);
			a->inner = idx + 1;
			a->phase = SP_DONE;
			return;
		}
		if (a->var != V_PLAIN)
			set_value_token(ps, a, cur, n1);
		a->nval++;
		return;
	case SP_NAMES:
		switch (a->names_step) {
		case 0:
			a->value_ok = cur->kw != K_DEFAULT &&
			              (is_name(cur) || cur->kind == T_STRING ||
			               cur->kind == T_DQSTRING) &&
			              plain_literal(ps, cur, &b, &n) &&
			              name_in(b, n, lexable_charsets);
			a->names_step = 1;
			return;
		case 2:
			a->names_step = 3;
			return;
		default:
			if (depth == 0 && cur->kind == T_COMMA) {
				names_finish(a);
				a->phase = SP_TARGET;
				a->ntgt = 0;
				return;
			}
			if (depth == 0 && a->statement && cur->kw == K_FOR) {
				names_finish(a);
				a->inner = idx + 1;
				a->phase = SP_DONE;
				return;
			}
			if (a->names_step == 1 && cur->kw == K_COLLATE) {
				a->names_step = 2;
				return;
			}
			set_bad(a, "SET NAMES followed by something the "
			           "classifier cannot read");
			return;
		}
	default:
		return;
	}
}

/* The statement ended. */
static void set_end(struct set_an *a)
{
	switch (a->phase) {
	case SP_VALUE:
		set_finish(a);
		break;
	case SP_TARGET:
		if (a->ntgt > 0 || a->charset_kw || !a->any)
			set_bad(a, "SET without a value");
		break;
	case SP_NAMES:
		if (a->names_step == 0 || a->names_step == 2)
			set_bad(a, "SET NAMES without a character set");
		else
			names_finish(a);
		break;
	default:
		break;
	}
	if (a->statement && a->inner == 0)
		raise_s(&a->v, SQL_UNKNOWN, "SET STATEMENT without FOR");
}

/* ------------------------------------------------------------ heads */

struct stmt_kind {
	unsigned short kw;
	unsigned char cls;
	const char *why;
};

/* Statements whose first word decides. */
static const struct stmt_kind simple_kinds[] = {
	{K_INSERT, SQL_WRITE, "INSERT adds rows"},
	{K_UPDATE, SQL_WRITE, "UPDATE modifies rows"},
	{K_DELETE, SQL_WRITE, "DELETE removes rows"},
	{K_REPLACE, SQL_WRITE, "REPLACE deletes and inserts rows"},
	{K_CALL, SQL_WRITE, "CALL runs a stored procedure, which may change "
	                    "data"},
	{K_DO, SQL_WRITE, "DO evaluates expressions for their side effects"},
	{K_HANDLER, SQL_WRITE, "HANDLER opens a low-level cursor on a table"},
	{K_TRUNCATE, SQL_DDL, "TRUNCATE removes every row of a table"},
	{K_IMPORT, SQL_DDL, "IMPORT TABLE adds tables from files"},
	{K_GRANT, SQL_ADMIN, "GRANT changes privileges"},
	{K_REVOKE, SQL_ADMIN, "REVOKE changes privileges"},
	{K_KILL, SQL_ADMIN, "KILL ends another session or query"},
	{K_SHUTDOWN, SQL_ADMIN, "SHUTDOWN stops the server"},
	{K_RESTART, SQL_ADMIN, "RESTART restarts the server"},
	{K_FLUSH, SQL_ADMIN, "FLUSH resets server caches, logs or locks"},
	{K_RESET, SQL_ADMIN, "RESET clears server or replication state"},
	{K_PURGE, SQL_ADMIN, "PURGE deletes binary logs"},
	{K_CHANGE, SQL_ADMIN, "CHANGE MASTER/REPLICATION changes replication"},
	{K_STOP, SQL_ADMIN, "STOP changes replication"},
	{K_INSTALL, SQL_ADMIN, "INSTALL loads code into the server"},
	{K_UNINSTALL, SQL_ADMIN, "UNINSTALL removes code from the server"},
	{K_XA, SQL_ADMIN, "XA transactions can outlive the session"},
	{K_BINLOG, SQL_ADMIN, "BINLOG replays binary log events"},
	{K_CACHE, SQL_ADMIN, "CACHE INDEX changes key caches"},
	{K_OPTIMIZE, SQL_ADMIN, "OPTIMIZE TABLE rebuilds tables"},
	{K_REPAIR, SQL_ADMIN, "REPAIR TABLE rewrites table files"},
	{K_CHECK, SQL_ADMIN, "CHECK TABLE is table maintenance"},
	{K_CLONE, SQL_ADMIN, "CLONE copies a server"},
	{K_BACKUP, SQL_ADMIN, "BACKUP locks the server for a backup"},
	{K_HELP, SQL_READ, "HELP reads the help tables"},
	{K_CHECKSUM, SQL_READ, "CHECKSUM TABLE reads rows"},
	{K_USE, SQL_SESSION, "USE changes the default database"},
};

static bool is_query_start(unsigned kw, unsigned kind)
{
	return kw == K_SELECT || kw == K_WITH || kw == K_TABLE ||
	       kw == K_VALUES || kind == T_LPAREN;
}

static bool is_dml(unsigned kw)
{
	return kw == K_UPDATE || kw == K_DELETE || kw == K_INSERT ||
	       kw == K_REPLACE;
}

static void head_class(struct pass *ps, struct stmt *st, unsigned from,
                       struct verdict *v, unsigned *exempt);

/* SELECT, WITH, TABLE, VALUES or "(" ... */
static void query_head(struct stmt *st, unsigned from, struct verdict *v)
{
	unsigned i = from;

	while (hd(st, i)->kind == T_LPAREN)
		i++;
	switch (hk(st, i)) {
	case K_SELECT:
		raise_s(v, SQL_READ, "SELECT reads rows");
		return;
	case K_WITH:
		raise_s(v, SQL_READ, "WITH ... SELECT reads rows");
		return;
	case K_TABLE:
		raise_s(v, SQL_READ, "TABLE reads rows");
		return;
	case K_VALUES:
		raise_s(v, SQL_READ, "VALUES builds rows");
		return;
	default:
		raise_s(v, SQL_UNKNOWN,
		        "a parenthesis that does not start a "
		        "query");
		return;
	}
}

/* EXPLAIN / DESCRIBE / DESC. */
static void explain_head(struct stmt *st, unsigned from, struct verdict *v,
                         unsigned *exempt)
{
	unsigned i = from + 1, kw;
	bool analyze = false, mods = false;

	for (;;) {
		kw = hk(st, i);
		if (kw == K_EXTENDED || kw == K_PARTITIONS) {
			i++;
		} else if (kw == K_ANALYZE) {
			analyze = true;
			i++;
		} else if (kw == K_FORMAT && hd(st, i + 1)->kind == T_EQ) {
			i += 3;
		} else if (kw == K_INTO) {
			/* EXPLAIN FORMAT=JSON INTO @var: the trap scan
			 * counts the assignment */
			i++;
			if (hd(st, i)->kind == T_AT)
				i++;
			if (is_name(hd(st, i)))
				i++;
		} else if (kw == K_FOR && hk(st, i + 1) == K_CONNECTION) {
			raise_s(v, SQL_READ,
			        "EXPLAIN FOR CONNECTION shows another "
			        "session's plan");
			return;
		} else if (kw == K_FOR && (hk(st, i + 1) == K_SCHEMA ||
		                           hk(st, i + 1) == K_DATABASE)) {
			i += 3;
		} else {
			break;
		}
		mods = true;
	}
	if (i >= HEAD_MAX) {
		raise_s(v, SQL_UNKNOWN,
		        "EXPLAIN with more options than the "
		        "classifier reads");
		return;
	}
	kw = hk(st, i);
	if (is_query_start(kw, hd(st, i)->kind)) {
		query_head(st, i, v);
		if (v->cls == SQL_READ)
			v->why = analyze ? "EXPLAIN ANALYZE runs the query"
			                 : "EXPLAIN shows a query plan";
		return;
	}
	if (kw == K_UPDATE || kw == K_DELETE) {
		if (analyze) {
			raise(v, SQL_WRITE, "EXPLAIN ANALYZE runs the %s",
			      kw_name(kw));
		} else {
			raise(v, SQL_READ,
			      "EXPLAIN %s shows a plan without "
			      "running it",
			      kw_name(kw));
			*exempt = i;
		}
		return;
	}
	if (kw == K_INSERT || kw == K_REPLACE) {
		raise(v, SQL_WRITE,
		      analyze ? "EXPLAIN ANALYZE runs the %s"
		              : "EXPLAIN %s is classified like "
		                "the statement itself",
		      kw_name(kw));
		return;
	}
	if (!mods && is_name(hd(st, i))) {
		/* DESCRIBE table [column | 'pattern'] */
		unsigned r = st->n - i, j = i + 1;

		if (r >= 3 && hd(st, j)->kind == T_DOT &&
		    is_name(hd(st, j + 1)))
			j += 2;
		if (st->n == j + 1 &&
		    (is_name(hd(st, j)) || hd(st, j)->kind == T_STRING ||
		     hd(st, j)->kind == T_DQSTRING))
			j++;
		if (st->n == j) {
			raise_s(v, SQL_READ, "DESCRIBE reads table metadata");
			return;
		}
	}
	raise_s(v, SQL_UNKNOWN,
	        "EXPLAIN of something the classifier cannot "
	        "read");
}

/* MariaDB's ANALYZE <statement> runs the statement; ANALYZE TABLE
 * updates statistics. */
static void analyze_head(struct stmt *st, unsigned from, struct verdict *v)
{
	unsigned i = from + 1, kw;

	if (hk(st, i) == K_NO_WRITE_TO_BINLOG || hk(st, i) == K_LOCAL)
		i++;
	if (hk(st, i) == K_TABLE || hk(st, i) == K_TABLES) {
		raise_s(v, SQL_ADMIN, "ANALYZE TABLE updates index statistics");
		return;
	}
	if (hk(st, i) == K_FORMAT && hd(st, i + 1)->kind == T_EQ)
		i += 3;
	kw = hk(st, i);
	if (is_query_start(kw, hd(st, i)->kind)) {
		query_head(st, i, v);
		if (v->cls == SQL_READ)
			v->why = "ANALYZE runs the query and shows its plan";
		return;
	}
	if (is_dml(kw)) {
		raise(v, SQL_WRITE, "ANALYZE runs the %s, which changes data",
		      kw_name(kw));
		return;
	}
	raise_s(v, SQL_UNKNOWN,
	        "ANALYZE of something the classifier cannot "
	        "read");
}

/* CREATE / ALTER / DROP / RENAME: the first object word decides. */
static void ddl_head(const struct pass *ps, struct stmt *st, unsigned from,
                     struct verdict *v)
{
	unsigned verb = hk(st, from), i;
	char buf[48];

	for (i = from + 1; i < st->n && i < HEAD_MAX; i++) {
		switch (hk(st, i)) {
		case K_USER:
		case K_ROLE:
			raise(v, SQL_ADMIN,
			      "%s %s manages accounts and "
			      "privileges",
			      kw_name(verb), kw_name(hk(st, i)));
			return;
		case K_SERVER:
			raise(v, SQL_ADMIN,
			      "%s SERVER defines a connection to "
			      "another server",
			      kw_name(verb));
			return;
		case K_INSTANCE:
			raise_s(v, SQL_ADMIN,
			        "ALTER INSTANCE changes server state");
			return;
		case K_RESOURCE:
			raise(v, SQL_ADMIN,
			      "%s RESOURCE GROUP changes server "
			      "threads",
			      kw_name(verb));
			return;
		case K_PREPARE:
			if (verb == K_DROP) {
				raise_s(v, SQL_SESSION,
				        "DROP PREPARE drops a prepared "
				        "statement");
				return;
			}
			break;
		case K_TABLE:
		case K_TABLES:
		case K_VIEW:
		case K_INDEX:
		case K_DATABASE:
		case K_SCHEMA:
		case K_PROCEDURE:
		case K_FUNCTION:
		case K_TRIGGER:
		case K_EVENT:
		case K_SEQUENCE:
		case K_TABLESPACE:
		case K_PACKAGE:
		case K_LOGFILE:
			raise(v, SQL_DDL, "%s %s changes the schema",
			      kw_name(verb),
			      tok_show(ps, hd(st, i), buf, sizeof(buf)));
			return;
		default:
			break;
		}
	}
	raise(v, SQL_DDL, "%s changes the schema", kw_name(verb));
}

/* Undoes the quoting of a string literal's body: doubled quotes always,
 * backslash escapes when `escapes`. out has room for n bytes. */
static size_t unquote(const unsigned char *b, size_t n, unsigned char q,
                      bool escapes, unsigned char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = b[i];

		if (escapes && c == '\\' && i + 1 < n) {
			unsigned char e = b[i + 1];

			switch (e) {
			case 'n':
				out[o++] = '\n';
				break;
			case 't':
				out[o++] = '\t';
				break;
			case 'r':
				out[o++] = '\r';
				break;
			case 'b':
				out[o++] = '\b';
				break;
			case '0':
				out[o++] = 0;
				break;
			case 'Z':
				out[o++] = 0x1a;
				break;
			case '%':
			case '_':
				out[o++] = '\\';
				out[o++] = e;
				break;
			default:
				out[o++] = e;
				break;
			}
			i += 2;
			continue;
		}
		if (c == q && i + 1 < n && b[i + 1] == q) {
			out[o++] = q;
			i += 2;
			continue;
		}
		out[o++] = c;
		i++;
	}
	return o;
}

/* PREPARE name FROM 'text': the class of the text. */
static void prepare_head(struct pass *ps, struct stmt *st, unsigned from,
                         struct verdict *v)
{
	const struct tok *t = hd(st, from + 3);
	struct classification inner, other;
	/* the server prepares one statement: a second is a syntax error */
	struct classify_opts one = *ps->opts;
	const unsigned char *b;
	unsigned char *buf;
	size_t n, o;

	one.single_statement = true;
	if (ps->nest > 0) {
		raise_s(v, SQL_UNKNOWN, "PREPARE inside a prepared statement");
		return;
	}
	if (!is_name(hd(st, from + 1)) || hk(st, from + 2) != K_FROM) {
		raise_s(v, SQL_UNKNOWN,
		        "PREPARE of something the classifier "
		        "cannot read");
		return;
	}
	if (t->kind == T_AT) {
		raise_s(v, SQL_UNKNOWN,
		        "PREPARE ... FROM a variable: the "
		        "statement text is not known");
		return;
	}
	if (st->n != from + 4 ||
	    (t->kind != T_STRING && t->kind != T_DQSTRING)) {
		raise_s(v, SQL_UNKNOWN,
		        "PREPARE of something the classifier "
		        "cannot read");
		return;
	}
	tok_body(ps, t, &b, &n);
	buf = malloc(n ? n : 1);
	if (buf == NULL) {
		raise_s(v, SQL_UNKNOWN, "out of memory");
		return;
	}
	o = unquote(b, n, ps->s[t->pos + t->len - 1], false, buf);
	classify_text(buf, o, &one, ps->nest + 1, &inner);
	if (memchr(b, '\\', n) != NULL) {
		/* the server reads the literal under the session's sql_mode,
		 * which we do not know: take the stricter reading */
		o = unquote(b, n, ps->s[t->pos + t->len - 1], true, buf);
		classify_text(buf, o, &one, ps->nest + 1, &other);
		if (other.cls > inner.cls)
			inner = other;
		inner.flags |= other.flags;
	}
	free(buf);
	st->flags |= inner.flags & CLASSIFY_SLEEP;
	raise(v, inner.cls, "PREPARE of: %s", inner.reason);
}

static void set_head(struct pass *ps, struct stmt *st, unsigned from,
                     struct verdict *v, unsigned *exempt)
{
	unsigned k1 = hk(st, from + 1), k2 = hk(st, from + 2);
	struct set_an *a = &st->set;

	if (from != 0) {
		/* SET STATEMENT ... FOR SET ...: not worth following */
		raise_s(v, SQL_UNKNOWN, "SET STATEMENT ... FOR SET");
		return;
	}
	switch (k1) {
	case K_PASSWORD:
		raise_s(v, SQL_ADMIN, "SET PASSWORD changes an account");
		return;
	case K_TRANSACTION:
		raise_s(v, SQL_TXN,
		        "SET TRANSACTION sets the next transaction's "
		        "characteristics");
		return;
	case K_GLOBAL:
	case K_PERSIST:
	case K_PERSIST_ONLY:
		if (k2 == K_TRANSACTION) {
			raise_s(v, SQL_ADMIN,
			        "SET GLOBAL TRANSACTION changes the "
			        "server default");
			return;
		}
		break;
	case K_SESSION:
	case K_LOCAL:
		if (k2 == K_TRANSACTION) {
			raise_s(v, SQL_TXN,
			        "SET SESSION TRANSACTION sets the "
			        "session's transaction "
			        "characteristics");
			return;
		}
		break;
	case K_ROLE:
		raise_s(v, SQL_SESSION, "SET ROLE activates granted roles");
		return;
	case K_DEFAULT:
		if (k2 == K_ROLE) {
			raise_s(v, SQL_ADMIN,
			        "SET DEFAULT ROLE changes an account");
			return;
		}
		break;
	case K_RESOURCE:
		raise_s(v, SQL_ADMIN,
		        "SET RESOURCE GROUP changes server threads");
		return;
	default:
		break;
	}
	set_end(a);
	raise_v(v, &a->v);
	if (a->statement && a->inner != 0) {
		struct verdict inner;

		if (a->inner + 4 > HEAD_MAX) {
			raise_s(v, SQL_UNKNOWN,
			        "SET STATEMENT with more variables "
			        "than the classifier reads");
			return;
		}
		verdict_init(&inner);
		head_class(ps, st, a->inner, &inner, exempt);
		raise_v(v, &inner);
	}
}

static void head_class(struct pass *ps, struct stmt *st, unsigned from,
                       struct verdict *v, unsigned *exempt)
{
	const struct tok *t = hd(st, from);
	unsigned kw = t->kw, k1 = hk(st, from + 1), r = st->n - from, i;
	char buf[48];

	if (is_colon(ps, hd(st, from + 1))) {
		/* "name:" labels a compound statement (whatever the name) */
		raise_s(v, SQL_UNKNOWN,
		        "a labelled compound statement the classifier does "
		        "not follow");
		return;
	}
	if (is_query_start(kw, t->kind)) {
		query_head(st, from, v);
		return;
	}
	for (i = 0; i < sizeof(simple_kinds) / sizeof(simple_kinds[0]); i++) {
		if (simple_kinds[i].kw == kw) {
			if (ps->nest > 0 && kw == K_DEALLOCATE)
				break;
			raise_s(v, (enum sql_class)simple_kinds[i].cls,
			        simple_kinds[i].why);
			return;
		}
	}
	switch (kw) {
	case K_SHOW:
		if (hd(st, from + 1)->w != NULL &&
		    (hd(st, from + 1)->w->flags & W_SHOW))
			raise_s(v, SQL_READ, "SHOW reads server metadata");
		else
			raise(v, SQL_UNKNOWN,
			      "SHOW %s is not a SHOW statement "
			      "the classifier knows",
			      tok_show(ps, hd(st, from + 1), buf, sizeof(buf)));
		return;
	case K_DESCRIBE:
	case K_DESC:
	case K_EXPLAIN:
		explain_head(st, from, v, exempt);
		return;
	case K_ANALYZE:
		analyze_head(st, from, v);
		return;
	case K_BEGIN:
		if (r == 1 || (r == 2 && k1 == K_WORK))
			raise_s(v, SQL_TXN, "BEGIN starts a transaction");
		else
			raise_s(v, SQL_UNKNOWN,
			        "BEGIN ... is a compound statement "
			        "the classifier does not follow");
		return;
	case K_START:
		if (k1 == K_TRANSACTION) {
			for (i = from + 2; i < st->n; i++) {
				unsigned k = hk(st, i);

				if (i >= HEAD_MAX ||
				    !(k == K_WITH || k == K_CONSISTENT ||
				      k == K_SNAPSHOT || k == K_READ ||
				      k == K_ONLY || k == K_WRITE ||
				      hd(st, i)->kind == T_COMMA)) {
					raise_s(v, SQL_UNKNOWN,
					        "START TRANSACTION with "
					        "options the classifier "
					        "does not know");
					return;
				}
			}
			raise_s(v, SQL_TXN,
			        "START TRANSACTION starts a transaction");
			return;
		}
		if (k1 == K_SLAVE || k1 == K_REPLICA || k1 == K_ALL ||
		    k1 == K_GROUP_REPLICATION) {
			raise(v, SQL_ADMIN, "START %s changes replication",
			      kw_name(k1));
			return;
		}
		raise_s(v, SQL_UNKNOWN,
		        "START of something the classifier does "
		        "not know");
		return;
	case K_COMMIT:
	case K_ROLLBACK:
		for (i = from + 1; i < st->n; i++) {
			if (i >= HEAD_MAX || !is_name(hd(st, i))) {
				raise(v, SQL_UNKNOWN,
				      "%s with options the "
				      "classifier does not know",
				      kw_name(kw));
				return;
			}
		}
		raise(v, SQL_TXN,
		      kw == K_COMMIT ? "COMMIT ends the transaction"
		                     : "ROLLBACK undoes the "
		                       "transaction");
		return;
	case K_SAVEPOINT:
		if (r == 2 && is_name(hd(st, from + 1)))
			raise_s(v, SQL_TXN,
			        "SAVEPOINT marks a point in the "
			        "transaction");
		else
			raise_s(v, SQL_UNKNOWN,
			        "SAVEPOINT of something the "
			        "classifier cannot read");
		return;
	case K_RELEASE:
		if (r == 3 && k1 == K_SAVEPOINT && is_name(hd(st, from + 2)))
			raise_s(v, SQL_TXN,
			        "RELEASE SAVEPOINT forgets a savepoint");
		else
			raise_s(v, SQL_UNKNOWN,
			        "RELEASE of something the "
			        "classifier cannot read");
		return;
	case K_SET:
		set_head(ps, st, from, v, exempt);
		return;
	case K_LOAD:
		if (k1 == K_DATA || k1 == K_XML) {
			for (i = from + 2; i < from + 6; i++) {
				if (hk(st, i) == K_LOCAL) {
					raise(v, SQL_WRITE,
					      "LOAD %s LOCAL inserts rows "
					      "from a client file",
					      kw_name(k1));
					return;
				}
				if (hk(st, i) == K_INFILE)
					break;
			}
			raise(v, SQL_ADMIN,
			      "LOAD %s INFILE reads a file on the "
			      "database server",
			      kw_name(k1));
			return;
		}
		if (k1 == K_INDEX) {
			raise_s(v, SQL_ADMIN,
			        "LOAD INDEX INTO CACHE changes key "
			        "caches");
			return;
		}
		raise_s(v, SQL_UNKNOWN,
		        "LOAD of something the classifier does "
		        "not know");
		return;
	case K_LOCK:
	case K_UNLOCK:
		if (k1 == K_TABLES || k1 == K_TABLE)
			raise(v, SQL_WRITE,
			      kw == K_LOCK ? "LOCK TABLES blocks other sessions"
			                   : "UNLOCK TABLES releases table "
			                     "locks");
		else if (k1 == K_INSTANCE)
			raise(v, SQL_ADMIN,
			      "%s INSTANCE changes the server's "
			      "backup lock",
			      kw_name(kw));
		else
			raise(v, SQL_UNKNOWN,
			      "%s of something the classifier "
			      "does not know",
			      kw_name(kw));
		return;
	case K_CREATE:
	case K_ALTER:
	case K_DROP:
	case K_RENAME:
		ddl_head(ps, st, from, v);
		return;
	case K_PREPARE:
		prepare_head(ps, st, from, v);
		return;
	case K_EXECUTE:
		if (k1 == K_IMMEDIATE)
			raise_s(v, SQL_UNKNOWN,
			        "EXECUTE IMMEDIATE runs text the "
			        "classifier cannot see");
		else
			raise_s(v, SQL_UNKNOWN,
			        "EXECUTE runs a prepared statement "
			        "whose text the classifier has not "
			        "seen");
		return;
	case K_DEALLOCATE:
		raise(v, ps->nest > 0 ? SQL_UNKNOWN : SQL_SESSION,
		      "DEALLOCATE PREPARE drops a prepared statement");
		return;
	default:
		break;
	}
	if (t->kind == T_WORD)
		raise(v, SQL_UNKNOWN,
		      "%s is not a statement the classifier "
		      "knows",
		      tok_show(ps, t, buf, sizeof(buf)));
	else
		raise_s(v, SQL_UNKNOWN,
		        "a statement that does not start with a "
		        "keyword");
}

/* --------------------------------------------------- compound bodies
 *
 * The first statement of a text may be CREATE ... PROCEDURE, FUNCTION,
 * TRIGGER or EVENT whose body is a compound statement; then the ";" inside
 * the body do not end it. rt_head() reads the head, token by token, and
 * decides whether the body is compound: it must be sure, for if the server
 * took the body to be a single statement, the text after its first ";"
 * would run as further statements. So every token before the body is
 * matched against the head's grammar, and a token the walk skips is never
 * one that could start a body:
 *  - PROCEDURE: the parameters (balanced parentheses), then
 *    characteristics (COMMENT 'text', LANGUAGE SQL, [NOT] DETERMINISTIC,
 *    CONTAINS SQL, NO SQL, READS SQL DATA, MODIFIES SQL DATA, SQL SECURITY
 *    ...): no statement starts with one of their words;
 *  - FUNCTION: the same after RETURNS and a type made of known type words,
 *    literal lengths and CHARSET/COLLATE names; a function's body must
 *    contain RETURN, so a body the walk skipped into (not starting with
 *    RETURN) would not parse;
 *  - TRIGGER: its fixed words, up to FOR EACH ROW [FOLLOWS|PRECEDES name];
 *  - EVENT: up to the first DO outside parentheses; DO is not reserved,
 *    but an identifier "do" in the schedule cannot be followed by a word
 *    that opens a block or by "label:".
 * The body is compound when its first token is BEGIN, IF, CASE, LOOP,
 * WHILE, REPEAT or FOR, or "label:" before BEGIN, LOOP, WHILE, REPEAT or
 * FOR. Anything else, and anything unexpected in the head, leaves the text
 * to the ordinary rules.
 *
 * The outermost block decides how the statement can end: "END" (or
 * "END label" when labelled) for BEGIN, "END IF", "END CASE", "END LOOP
 * [label]", ... for the others, followed by ";" or the end of the text.
 * For a BEGIN block a ";" after END is ruled out when the blocks that
 * certainly opened since the body started — CASE (a reserved word: an
 * expression or a statement, closed by END either way; not the CASE of
 * END CASE) and BEGIN where a statement starts (after ";", after
 * SQLEXCEPTION or SQLWARNING in a handler, right after such a BEGIN; not
 * before ":") — outnumber the END words before it: each of them needs an
 * END of its own first. An identifier "end" only adds to the ENDs
 * counted, which can keep a place in but never rule one out.
 *
 * Every place that is not ruled out may be where the CREATE ends; the
 * text before the first one is certainly inside it. What follows each is
 * classified as the statements the server would run next (stmt_finish()),
 * until one that cannot parse at top level (cannot_start()): the server
 * stops there, so nothing after it counts until the next possible end. */

static bool is_ident(const struct tok *t)
{
	return t->kind == T_WORD || t->kind == T_QIDENT ||
	       t->kind == T_DQSTRING;
}

static bool is_ident_or_text(const struct tok *t)
{
	return is_ident(t) || t->kind == T_STRING;
}

/* Words of a FUNCTION's RETURNS type (ENUM and SET take their values in
 * parentheses; CHARSET, CHARACTER SET and COLLATE a name). */
static const char *const type_words[] = {
	"ASCII", "BIGINT", "BINARY", "BIT", "BLOB", "BOOL", "BOOLEAN", "BYTE",
	"CHAR", "CHARACTER", "DATE", "DATETIME", "DEC", "DECIMAL", "DOUBLE",
	"FIXED", "FLOAT", "FLOAT4", "FLOAT8", "GEOMETRY", "GEOMETRYCOLLECTION",
	"INET4", "INET6", "INT", "INT1", "INT2", "INT3", "INT4", "INT8",
	"INTEGER", "JSON", "LINESTRING", "LONG", "LONGBLOB", "LONGTEXT",
	"MEDIUMBLOB", "MEDIUMINT", "MEDIUMTEXT", "MIDDLEINT", "MULTILINESTRING",
	"MULTIPOINT", "MULTIPOLYGON", "NATIONAL", "NCHAR", "NUMERIC",
	"NVARCHAR", "POINT", "POLYGON", "PRECISION", "REAL", "SIGNED",
	"SMALLINT", "TEXT", "TIME", "TIMESTAMP", "TINYBLOB", "TINYINT",
	"TINYTEXT", "UNICODE", "UNSIGNED", "UUID", "VARBINARY", "VARCHAR",
	"VARCHARACTER", "VARYING", "YEAR", "ZEROFILL", NULL,
};

/* Words of routine characteristics; COMMENT takes a string. */
static bool characteristic(unsigned kw)
{
	switch (kw) {
	case K_LANGUAGE:
	case K_NOT:
	case K_DETERMINISTIC:
	case K_CONTAINS:
	case K_NO:
	case K_READS:
	case K_MODIFIES:
	case K_SQL:
	case K_DATA:
	case K_SECURITY:
	case K_DEFINER:
	case K_INVOKER:
		return true;
	default:
		return false;
	}
}

/* Words that close a block after END (and cannot be labels: reserved). */
static bool block_word(unsigned kw)
{
	return kw == K_IF || kw == K_CASE || kw == K_LOOP || kw == K_WHILE ||
	       kw == K_REPEAT || kw == K_FOR;
}

/* Does a compound statement start at t (n1, n2 after it)? */
static bool opener_at(const struct pass *ps, const struct tok *t,
                      const struct tok *n1, const struct tok *n2,
                      unsigned *opener, bool *labelled)
{
	if ((t->kind == T_WORD || t->kind == T_QIDENT) && is_colon(ps, n1)) {
		if (n2->kind != T_WORD ||
		    !(n2->kw == K_BEGIN || n2->kw == K_LOOP ||
		      n2->kw == K_WHILE || n2->kw == K_REPEAT ||
		      n2->kw == K_FOR))
			return false;
		*opener = n2->kw;
		*labelled = true;
		return true;
	}
	if (t->kind == T_WORD && (t->kw == K_BEGIN || block_word(t->kw))) {
		*opener = t->kw;
		*labelled = false;
		return true;
	}
	return false;
}

static void rt_body_start(struct routine *rt)
{
	unsigned i;

	SAW_COMPOUND();
	rt->state = RT_BODY;
	rt->in_create = true;
	rt->at_end = false;
	rt->live = false;
	rt->stmt_start = rt->opener == K_BEGIN;
	rt->opens = 0;
	rt->ends = 0;
	for (i = 0; i < 3; i++) {
		rt->last[i].kind = T_END;
		rt->last[i].kw = 0;
		rt->last[i].opens = 0;
		rt->last[i].ends = 0;
	}
}

/* Tries the body at t: compound, or the text is an ordinary one. */
static void rt_try_body(const struct pass *ps, struct routine *rt,
                        const struct tok *t, const struct tok *n1,
                        const struct tok *n2)
{
	unsigned opener;
	bool labelled;

	if (!opener_at(ps, t, n1, n2, &opener, &labelled)) {
		rt->state = RT_OFF;
		return;
	}
	rt->opener = (unsigned short)opener;
	rt->labelled = labelled;
	if (labelled)
		rt->step = H_LABEL_COLON;
	else
		rt_body_start(rt);
}

/* One token of the first statement while its head is read. */
static void rt_head(const struct pass *ps, struct routine *rt,
                    const struct tok *t, const struct tok *n1,
                    const struct tok *n2)
{
	unsigned kw = t->kind == T_WORD ? t->kw : 0;
	const unsigned char *b;
	size_t n;

again:
	switch (rt->step) {
	case H_CREATE:
		if (kw != K_CREATE)
			break;
		rt->step = H_OR;
		return;
	case H_OR:
		if (kw == K_OR) {
			rt->step = H_REPLACE;
			return;
		}
		rt->step = H_DEFINER;
		goto again;
	case H_REPLACE:
		if (kw != K_REPLACE)
			break;
		rt->step = H_DEFINER;
		return;
	case H_DEFINER:
		if (kw == K_DEFINER) {
			rt->step = H_DEF_EQ;
			return;
		}
		rt->step = H_KIND;
		goto again;
	case H_DEF_EQ:
		if (t->kind != T_EQ)
			break;
		rt->step = H_DEF_USER;
		return;
	case H_DEF_USER:
		if (kw == K_CURRENT_USER) {
			rt->step = n1->kind == T_LPAREN ? H_DEF_CU1 : H_KIND;
			return;
		}
		if (kw == K_CURRENT_ROLE) {
			rt->step = H_KIND;
			return;
		}
		if (!is_ident_or_text(t))
			break;
		rt->step = H_DEF_AT;
		return;
	case H_DEF_CU1:
		rt->step = H_DEF_CU2; /* the "(" */
		return;
	case H_DEF_CU2:
		if (t->kind != T_RPAREN)
			break;
		rt->step = H_KIND;
		return;
	case H_DEF_AT:
		if (t->kind == T_AT) {
			rt->step = H_DEF_HOST;
			return;
		}
		rt->step = H_KIND;
		goto again;
	case H_DEF_HOST:
		if (!is_ident_or_text(t))
			break;
		rt->step = H_KIND;
		return;
	case H_KIND:
		if (kw == K_AGGREGATE) {
			rt->step = H_AGG;
			return;
		}
		if (kw != K_PROCEDURE && kw != K_FUNCTION && kw != K_TRIGGER &&
		    kw != K_EVENT)
			break;
		rt->kind = (unsigned short)kw;
		rt->step = H_IFNE;
		return;
	case H_AGG:
		if (kw != K_FUNCTION)
			break;
		rt->kind = K_FUNCTION;
		rt->step = H_IFNE;
		return;
	case H_IFNE:
		if (kw == K_IF) {
			rt->step = H_IF_NOT;
			return;
		}
		rt->step = H_NAME;
		goto again;
	case H_IF_NOT:
		if (kw != K_NOT)
			break;
		rt->step = H_IF_EXISTS;
		return;
	case H_IF_EXISTS:
		if (kw != K_EXISTS)
			break;
		rt->step = H_NAME;
		return;
	case H_NAME:
		if (!is_ident(t))
			break;
		rt->step = H_NAME_DOT;
		return;
	case H_NAME_DOT:
		if (t->kind == T_DOT) {
			rt->step = H_NAME2;
			return;
		}
		rt->step = H_AFTER_NAME;
		goto again;
	case H_NAME2:
		if (!is_ident(t))
			break;
		rt->step = H_AFTER_NAME;
		return;
	case H_AFTER_NAME:
		switch (rt->kind) {
		case K_PROCEDURE:
		case K_FUNCTION:
			if (t->kind != T_LPAREN)
				goto off;
			rt->depth = 1;
			rt->step = H_PARAMS;
			return;
		case K_TRIGGER:
			if (kw != K_BEFORE && kw != K_AFTER)
				goto off;
			rt->step = H_TRG_EVENT;
			return;
		default: /* K_EVENT */
			if (kw != K_ON)
				goto off;
			rt->step = H_EVT_SCHED;
			return;
		}
	case H_PARAMS:
		if (t->kind == T_LPAREN) {
			rt->depth++;
		} else if (t->kind == T_RPAREN && --rt->depth == 0) {
			rt->step = rt->kind == K_FUNCTION ? H_RETURNS : H_WALK;
		}
		return;
	case H_RETURNS:
		if (kw != K_RETURNS)
			break;
		rt->step = H_WALK;
		return;
	case H_WALK:
		/* characteristics (and a FUNCTION's type) up to the body */
		if (t->kind == T_WORD || t->kind == T_QIDENT) {
			unsigned opener;
			bool labelled;

			if (opener_at(ps, t, n1, n2, &opener, &labelled)) {
				rt_try_body(ps, rt, t, n1, n2);
				return;
			}
		}
		if (kw == K_COMMENT) {
			rt->step = H_WALK_STR;
			return;
		}
		if (characteristic(kw))
			return;
		if (rt->kind != K_FUNCTION)
			break;
		if (t->kind == T_LPAREN) {
			rt->step = H_GROUP;
			return;
		}
		if (kw == K_CHARSET || kw == K_COLLATE) {
			rt->step = H_WALK_NAME;
			return;
		}
		if (kw == K_CHARACTER && n1->kind == T_WORD &&
		    n1->kw == K_SET) {
			rt->step = H_WALK_SET;
			return;
		}
		if (t->kind != T_WORD)
			break;
		tok_body(ps, t, &b, &n);
		if ((kw == K_SET || name_is(b, n, "ENUM")) &&
		    n1->kind == T_LPAREN)
			return;
		if (name_in(b, n, type_words))
			return;
		break;
	case H_WALK_STR:
		if (t->kind != T_STRING && t->kind != T_DQSTRING)
			break;
		rt->step = H_WALK;
		return;
	case H_WALK_SET:
		rt->step = H_WALK_NAME; /* the SET of CHARACTER SET */
		return;
	case H_WALK_NAME:
		if (!is_ident_or_text(t))
			break;
		rt->step = H_WALK;
		return;
	case H_GROUP:
		/* (length), (precision, scale), ('value', ...) */
		if (t->kind == T_RPAREN) {
			rt->step = H_WALK;
			return;
		}
		if (t->kind == T_COMMA || t->kind == T_STRING ||
		    t->kind == T_DQSTRING || t->kind == T_HEX ||
		    (t->kind == T_WORD && is_digit(ps->s[t->pos])))
			return;
		break;
	case H_TRG_EVENT:
		if (kw != K_INSERT && kw != K_UPDATE && kw != K_DELETE)
			break;
		rt->step = H_TRG_ON;
		return;
	case H_TRG_ON:
		if (kw != K_ON)
			break;
		rt->step = H_TRG_TBL;
		return;
	case H_TRG_TBL:
		if (!is_ident(t))
			break;
		rt->step = H_TRG_TBL_DOT;
		return;
	case H_TRG_TBL_DOT:
		if (t->kind == T_DOT) {
			rt->step = H_TRG_TBL2;
			return;
		}
		rt->step = H_TRG_FOR;
		goto again;
	case H_TRG_TBL2:
		if (!is_ident(t))
			break;
		rt->step = H_TRG_FOR;
		return;
	case H_TRG_FOR:
		if (kw != K_FOR)
			break;
		rt->step = H_TRG_EACH;
		return;
	case H_TRG_EACH:
		if (kw != K_EACH)
			break;
		rt->step = H_TRG_ROW;
		return;
	case H_TRG_ROW:
		if (kw != K_ROW)
			break;
		rt->step = H_TRG_ORDER;
		return;
	case H_TRG_ORDER:
		if (kw == K_FOLLOWS || kw == K_PRECEDES) {
			rt->step = H_TRG_OTHER;
			return;
		}
		rt->step = H_BODY;
		goto again;
	case H_TRG_OTHER:
		if (!is_ident_or_text(t))
			break;
		rt->step = H_BODY;
		return;
	case H_EVT_SCHED:
		if (kw != K_SCHEDULE)
			break;
		rt->depth = 0;
		rt->step = H_EVT;
		return;
	case H_EVT:
		/* the schedule: expressions, up to DO */
		if (t->kind == T_LPAREN) {
			rt->depth++;
		} else if (t->kind == T_RPAREN) {
			if (rt->depth == 0)
				break;
			rt->depth--;
		} else if (kw == K_DO && rt->depth == 0) {
			rt->step = H_BODY;
		}
		return;
	case H_BODY:
		rt_try_body(ps, rt, t, n1, n2);
		return;
	case H_LABEL_COLON:
		rt->step = H_LABEL_OPENER; /* the ":" that opener_at() saw */
		return;
	case H_LABEL_OPENER:
		rt_body_start(rt); /* the word that opener_at() saw */
		return;
	default:
		break;
	}
off:
	rt->state = RT_OFF;
}

static bool seen_end(const struct rt_seen *x)
{
	return x->kind == T_WORD && x->kw == K_END;
}

/* One token (";" included) of the text after the body started. */
static void rt_body_token(const struct pass *ps, struct routine *rt,
                          const struct tok *t, const struct tok *n1)
{
	bool word = t->kind == T_WORD;
	bool opens = word && t->kw == K_BEGIN && rt->stmt_start &&
	             !is_colon(ps, n1);
	bool after_end = seen_end(&rt->last[0]); /* END CASE opens nothing */

	rt->last[2] = rt->last[1];
	rt->last[1] = rt->last[0];
	rt->last[0].kind = t->kind;
	rt->last[0].kw = word ? t->kw : 0;
	rt->last[0].opens = rt->opens;
	rt->last[0].ends = rt->ends;
	if (word && t->kw == K_END)
		rt->ends++;
	else if (opens || (word && t->kw == K_CASE && !after_end))
		rt->opens++;
	rt->stmt_start = t->kind == T_SEMI || opens ||
	                 (word && (t->kw == K_SQLEXCEPTION ||
	                           t->kw == K_SQLWARNING));
}


/* A label after END: an identifier, not a reserved block word. */
static bool seen_label(const struct rt_seen *x)
{
	return (x->kind == T_WORD && !block_word(x->kw)) ||
	       x->kind == T_QIDENT || x->kind == T_DQSTRING;
}

/* At a ";" in the body (before rt_body_token() saw it): may the CREATE
 * end right before it? */
static bool rt_may_end(const struct routine *rt)
{
	const struct rt_seen *l = rt->last, *e;

	if (rt->opener == K_BEGIN) {
		if (seen_end(&l[0]))
			e = &l[0];
		else if (rt->labelled && seen_end(&l[1]) && seen_label(&l[0]))
			e = &l[1];
		else
			return false;
		/* every block opened since needs an END before this one */
		return e->opens <= e->ends;
	}
	if (seen_end(&l[1]) && l[0].kind == T_WORD && l[0].kw == rt->opener)
		return true;
	return rt->opener != K_IF && rt->opener != K_CASE && seen_end(&l[2]) &&
	       l[1].kind == T_WORD && l[1].kw == rt->opener &&
	       seen_label(&l[0]);
}

/* Statements that cannot parse at top level: when the server meets one it
 * stops, and runs nothing after it. Checked against MariaDB 10.11: a
 * syntax error for each (a label "word:" is a different matter). */
static bool cannot_start(const struct pass *ps, const struct stmt *st)
{
	const struct tok *t = hd(st, 0);

	if (t->kind != T_WORD || is_colon(ps, hd(st, 1)))
		return false;
	switch (t->kw) {
	case K_END:
	case K_ELSE:
	case K_ELSEIF:
	case K_WHEN:
	case K_THEN:
	case K_UNTIL:
	case K_DECLARE:
	case K_LEAVE:
	case K_ITERATE:
	case K_RETURN:
	case K_OPEN:
	case K_CLOSE:
	case K_FETCH:
		return true;
	default:
		return false;
	}
}

/* ------------------------------------------------------------ passes */

static void stmt_begin(struct stmt *st)
{
	st->n = 0;
	st->depth = 0;
	st->flags = 0;
	st->dml_count = 0;
	st->dml_first = 0;
	st->dml_kw = 0;
	st->pend_arity = false;
	st->p1 = &end_tok;
	st->p2 = &end_tok;
	st->set.on = false;
	verdict_init(&st->trap);
	memset(&st->fr[0], 0, sizeof(st->fr[0]));
}

/* Can the statement take a T_RUN's tokens in bulk at paren level `depth`?
 * Only deep in the statement (its head is full), where they do nothing but
 * count: no SET assignment list being read, no call waiting for its
 * argument count, no CTE header at this level. */
static bool runs_state_ok(const struct stmt *st, unsigned depth)
{
	return st->n >= HEAD_MAX &&
	       (!st->set.on || st->set.phase == SP_DONE) && !st->pend_arity &&
	       depth + 1 < MAX_DEPTH && st->fr[depth].cte == CTE_NONE;
}

/* Will runs_state_ok() hold for a run lexed now, once n1 and n2 (the
 * lookahead still to be analysed before it) are? They may close
 * parentheses (which CTE state cannot notice at a level without a CTE
 * header) but not open one, end the statement or start a WITH. */
static bool runs_fit(const struct stmt *st, const struct tok *n1,
                     const struct tok *n2)
{
	const struct tok *t[2] = {n1, n2};
	unsigned depth = st->depth, i;

	if (st->n < HEAD_MAX)
		return false; /* the usual case: decided at once */
	for (i = 0; i < 2; i++) {
		switch (t[i]->kind) {
		case T_END:
		case T_ERROR:
		case T_LPAREN:
		case T_SEMI:
			return false;
		case T_RPAREN:
			if (depth > 0)
				depth--;
			break;
		default:
			if (t[i]->kw == K_WITH)
				return false;
			break;
		}
	}
	return runs_state_ok(st, depth);
}

/* At a ',': may the lexer return a run? Not while the head of a CREATE
 * is read, and only where runs_fit() says so. */
static bool runs_allowed(const struct lexer *lx)
{
	const struct pass *ps = lx->fit;

	return ps->rt.state != RT_HEAD &&
	       runs_fit(&ps->st, &lx->fit_ring[lx->fit_at % RING],
	                &lx->fit_ring[(lx->fit_at + 1) % RING]);
}

/* A run: what its tokens would have done one by one (see lex_run()). */
static void stmt_run(struct pass *ps, struct stmt *st, const struct tok *cur)
{
	const struct run *r = &ps->lx->runs[cur->slot];

	WORK(8);
	if (!runs_state_ok(st, st->depth)) {
		/* lexed only when it held, and nothing since could change it */
#ifdef CLASSIFY_WORK
		abort();
#endif
		trap(st, SQL_UNKNOWN,
		     "internal error: literal run out of place");
	}
	st->n += (unsigned)r->ntok;
	if (st->depth < MAX_DEPTH)
		st->fr[st->depth].commas += (unsigned)r->commas;
	st->tail[0] = r->last[0];
	st->tail[1] = r->last[1];
	st->p2 = &st->tail[0];
	st->p1 = &st->tail[1];
}

static inline void stmt_token(struct pass *ps, struct stmt *st,
                              const struct tok *cur, const struct tok *n1,
                              const struct tok *n2)
{
	unsigned idx = st->n;

	if (cur->kind == T_RUN) {
		stmt_run(ps, st, cur);
		return;
	}
	WORK(8);
	if (idx < HEAD_MAX)
		st->head[idx] = *cur;
	st->n++;
	if (idx == 0 && cur->kw == K_SET) {
		memset(&st->set, 0, sizeof(st->set));
		st->set.on = true;
		verdict_init(&st->set.v);
	} else if (idx > 0) {
		set_feed(ps, &st->set, cur, n1, idx, st->depth);
	}
	scan_token(ps, st, cur, n1, n2);
	track_parens(ps, st, cur, n1);
	st->p2 = st->p1;
	st->p1 = cur;
}

static void stmt_finish(struct pass *ps, struct stmt *st)
{
	struct routine *rt = &ps->rt;
	struct verdict v;
	unsigned exempt = (unsigned)-1;

	WORK(8);
	if (st->n == 0)
		return; /* ";;" */
	if (rt->state == RT_HEAD)
		rt->state = RT_OFF; /* not a CREATE with a compound body */
	ps->statements++;
	verdict_init(&v);
	if (rt->state == RT_BODY && !rt->in_create) {
		/* After a place where the CREATE may have ended: inside its
		 * body, or a statement that runs if nothing before it failed
		 * to parse since that place. */
		if (cannot_start(ps, st))
			rt->live = false;
		if (!rt->live) {
			/* it does not run now; its traps count as the body's */
			ps->flags |= st->flags;
			if (st->trap.why != NULL && st->trap.cls > ps->v.cls) {
				verdict_set(&ps->v, &st->trap);
				ps->worst = ps->statements;
			}
			return;
		}
	}
	head_class(ps, st, 0, &v, &exempt);
	raise_v(&v, &st->trap);
	if (st->dml_count > 0 &&
	    !(st->dml_count == 1 && st->dml_first == exempt))
		raise(&v, SQL_WRITE, "%s modifies data", kw_name(st->dml_kw));
	ps->flags |= st->flags;
	if (!ps->any || v.cls > ps->v.cls) {
		verdict_set(&ps->v, &v);
		ps->worst = ps->statements;
		ps->any = true;
	}
}

/* A token (not a ";" that semi_ends() saw) of a text that may be a CREATE
 * with a compound body. */
static void rt_token(struct pass *ps, const struct tok *cur,
                     const struct tok *n1, const struct tok *n2)
{
	if (ps->rt.state == RT_HEAD)
		rt_head(ps, &ps->rt, cur, n1, n2);
	else if (cur->kind != T_SEMI && !ps->opts->single_statement)
		rt_body_token(ps, &ps->rt, cur, n1);
}

/* A ";" after a compound body started: does it end a statement (the
 * CREATE at a place where it may end, or a statement after that place), or
 * is it one of the CREATE's tokens? Notes in rt->at_end that the CREATE
 * may end here, for after_semi(). */
static bool semi_ends(struct pass *ps, const struct tok *semi,
                      const struct tok *n1)
{
	struct routine *rt = &ps->rt;

	if (ps->opts->single_statement)
		return false; /* the rest is the CREATE's, or refused whole */
	rt->at_end = rt_may_end(rt);
	rt_body_token(ps, rt, semi, n1);
	return !rt->in_create || rt->at_end;
}

/* After the statement a ";" ended: if the CREATE may have ended there,
 * what follows runs as further statements. */
static void after_semi(struct pass *ps)
{
	struct routine *rt = &ps->rt;

	if (rt->state == RT_BODY && rt->at_end) {
		rt->in_create = false;
		rt->live = true;
		rt->at_end = false;
	}
}

/* Lexes and analyses the whole text once under one scenario. */

static void run_pass(struct pass *ps, struct lexer *lx, struct scenario sc,
                     const struct gates *known)
{
	struct stmt *st = &ps->st;
	struct tok ring[RING];
	const struct tok *cur;
	unsigned at, i;
	bool rt_on = true; /* ps->rt.state != RT_OFF, kept at hand */

	ps->statements = 0;
	ps->worst = 0;
	ps->flags = 0;
	ps->any = false;
	verdict_init(&ps->v);
	ps->rt.state = RT_HEAD; /* the rest is set as the head is read */
	ps->rt.step = H_CREATE;
	lex_init(lx, ps->s, ps->len, sc, known);
	ps->lx = lx;
	lx->fit = RUNS_OFF ? NULL : ps;
	lx->fit_ring = ring;
	lex_next(lx, &ring[0]);
	for (i = 1; i < 3; i++) {
		if (ring[i - 1].kind == T_END || ring[i - 1].kind == T_ERROR)
			ring[i] = ring[i - 1];
		else
			lex_next(lx, &ring[i]);
	}
	stmt_begin(st);
	for (at = 0;; at++) {
		const struct tok *last = &ring[(at + 2) % RING];

		cur = &ring[at % RING];
		if (cur->kind == T_ERROR) {
			ps->v.cls = SQL_UNKNOWN;
			ps->v.why = lx->err ? lx->err : "unreadable text";
			ps->any = true;
			ps->worst = 0;
			return;
		}
		if (cur->kind == T_END ||
		    (cur->kind == T_SEMI &&
		     (ps->rt.state != RT_BODY ||
		      semi_ends(ps, cur, &ring[(at + 1) % RING])))) {
			stmt_finish(ps, st);
			if (cur->kind == T_END)
				break;
			after_semi(ps);
			stmt_begin(st);
			rt_on = ps->rt.state != RT_OFF;
		} else {
			/* a token, or a ";" inside a compound body */
			stmt_token(ps, st, cur, &ring[(at + 1) % RING], last);
			if (rt_on) {
				rt_token(ps, cur, &ring[(at + 1) % RING], last);
				rt_on = ps->rt.state != RT_OFF;
			}
		}
		if (last->kind == T_END || last->kind == T_ERROR) {
			ring[(at + 3) % RING] = *last;
		} else {
			/* analysed after ring[at + 1] and ring[at + 2] */
			lx->fit_at = at + 1;
			lex_next(lx, &ring[(at + 3) % RING]);
		}
	}
	if (ps->statements == 0) {
		ps->v.cls = SQL_UNKNOWN;
		ps->v.why = "empty statement (only comments or whitespace)";
		ps->any = true;
	}
}

/* The outcome of one pass, kept while others run. */
struct outcome {
	struct verdict v;
	unsigned flags, statements, worst;
};

static void keep(struct outcome *o, const struct pass *ps, bool first)
{
	if (first || ps->v.cls > o->v.cls) {
		verdict_set(&o->v, &ps->v);
		o->statements = ps->statements;
		o->worst = ps->worst;
	}
	o->flags |= ps->flags;
}

/* o ends as unknown, whatever the passes said. */
static void give_up(struct outcome *o, const char *why)
{
	o->v.cls = SQL_UNKNOWN;
	o->v.why = why;
	o->worst = 0;
}

static void gates_union(struct gates *dst, const struct gates *src)
{
	unsigned i, j;

	dst->overflow |= src->overflow;
	for (i = 0; i < src->n; i++) {
		for (j = 0; j < dst->n; j++)
			if (dst->v[j] == src->v[i])
				break;
		if (j < dst->n)
			continue;
		if (dst->n == MAX_GATES)
			dst->overflow = true;
		else
			dst->v[dst->n++] = src->v[i];
	}
}

static void classify_text(const unsigned char *s, size_t n,
                          const struct classify_opts *opts, unsigned nest,
                          struct classification *out)
{
	struct pass ps;
	struct lexer lx;
	struct outcome o;
	struct gates known[2];
	struct scenario sc;
	unsigned f, i;

	o.flags = 0;
	memset(known, 0, sizeof(known));
	ps.s = s;
	ps.len = n;
	ps.opts = opts;
	ps.nest = nest;

	/* Pass 0: MySQL running every gated comment. Without flavoured
	 * comments every server lexes the text alike and one pass is
	 * enough. */
	sc.fl = FL_MYSQL;
	sc.version = (unsigned long)-1;
	run_pass(&ps, &lx, sc, NULL);
	keep(&o, &ps, true);
	if (lx.flavoured && o.v.cls != SQL_UNKNOWN) {
		gates_union(&known[FL_MYSQL], &lx.seen[FL_MYSQL]);
		sc.fl = FL_MARIADB;
		run_pass(&ps, &lx, sc, NULL);
		keep(&o, &ps, false);
		gates_union(&known[FL_MARIADB], &lx.seen[FL_MARIADB]);
		if (known[0].overflow || known[1].overflow)
			give_up(&o, "more than eight server versions named in "
			            "version-gated comments");
		/* Every other outcome: a server older than each gate. */
		for (f = 0; f < 2 && o.v.cls != SQL_UNKNOWN; f++) {
			for (i = 0; i < known[f].n && o.v.cls != SQL_UNKNOWN;
			     i++) {
				sc.fl = (enum flavour)f;
				sc.version = known[f].v[i] - 1;
				run_pass(&ps, &lx, sc, known);
				keep(&o, &ps, false);
				if (lx.unknown_gate)
					give_up(&o,
					        "version-gated comments nested "
					        "in a way the classifier does "
					        "not follow");
			}
		}
	}

	out->cls = o.v.cls;
	out->flags = o.flags;
	out->statements = o.statements;
	if (o.statements > 1)
		out->flags |= CLASSIFY_MULTI;
	if (o.statements > 1 && o.worst > 0) {
		put(out->reason, sizeof(out->reason), "statement %u of %u: %s",
		    o.worst, o.statements, o.v.why);
	} else {
		size_t len = strlen(o.v.why);

		if (len >= sizeof(out->reason))
			len = sizeof(out->reason) - 1;
		memcpy(out->reason, o.v.why, len);
		out->reason[len] = 0;
	}
}

void proxy_classify(const char *sql, size_t len,
                    const struct classify_opts *opts,
                    struct classification *out)
{
	static const struct classify_opts defaults = {false};

	if (opts == NULL)
		opts = &defaults;
	if (sql == NULL)
		len = 0;
	classify_text((const unsigned char *)sql, len, opts, 0, out);
}

/* Collation ids (as sent in a handshake) of character sets listed in
 * lexable_charsets: MariaDB 10.11 and MySQL 8 agree on ids below 256;
 * 255 is MySQL's utf8mb4_0900_ai_ci. */
static const unsigned char lexable_ids[] = {
	2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18, 19, 20, 21, 22,
	23, 24, 25, 26, 27, 29, 30, 31, 32, 33, 34, 36, 37, 38, 39, 40, 41,
	42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 57, 58, 59, 63, 64,
	65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 77, 78, 79, 80, 81, 82,
	83, 85, 86, 89, 91, 92, 93, 94, 97, 98, 99, 192, 193, 194, 195, 196,
	197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210,
	211, 212, 213, 214, 215, 223, 224, 225, 226, 227, 228, 229, 230, 231,
	232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245,
	246, 247, 255,
};

bool sql_charset_id_lexable(unsigned id)
{
	size_t i;

	for (i = 0; i < sizeof(lexable_ids); i++)
		if (lexable_ids[i] == id)
			return true;
	return false;
}
