/*
 * The SQL statement classifier: decides, from the bytes of a COM_QUERY or
 * COM_STMT_PREPARE, which class of statement the backend would run — read,
 * txn, session, write, ddl, admin or unknown. It is agentgate's security
 * boundary: a statement called read runs with no human in the loop, so
 * anything the classifier cannot prove to be a read is classified as
 * something stricter, and anything it cannot follow at all is unknown.
 *
 * It lexes the way MySQL 8 and MariaDB 10.11 do (comments, executable and
 * version-gated comments under every server version they could meet,
 * quoting with and without backslash escapes) and then looks at each
 * statement's leading words and at the traps inside it (INTO OUTFILE,
 * LOAD_FILE(), locking reads, stored function calls, sequences, ...).
 *
 * Deliberately absent: a full SQL grammar, DELIMITER (a client command) and
 * any knowledge of the schema (a view may call a stored function; the
 * classifier cannot see that); names of prepared statements are not
 * tracked, so EXECUTE is unknown. Assumptions, each enforced where the
 * classifier can see it: the server is MySQL >= 5.7 or MariaDB >= 10.0 not
 * running sql_mode=ORACLE (SET sql_mode to anything the classifier cannot
 * check is unknown), and the client character set is one in which bytes
 * below 0x80 always stand for themselves (see sql_charset_id_lexable();
 * SET NAMES to any other set is unknown). A NUL byte outside a string
 * literal makes the text unknown: the server stops parsing there.
 */
#ifndef AGENTGATE_PROXY_CLASSIFY_H
#define AGENTGATE_PROXY_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "approvals/approvals.h"

/* enum sql_class, its order of strictness and sql_class_name() come from
 * approvals/, which decides what each class may do. */

/* Flags of a classification. */
#define CLASSIFY_SLEEP 0x1u /* calls SLEEP() or BENCHMARK(): may stall */
#define CLASSIFY_MULTI 0x2u /* more than one statement */

struct classify_opts {
	/* Treat calls to functions that are not built in (stored or loadable
	 * functions) as reads. Known dangerous loadable functions (SYS_EXEC,
	 * ...) stay admin. Default false. */
	bool functions_are_reads;
};

#define CLASSIFY_REASON_MAX 192

struct classification {
	enum sql_class cls;
	unsigned flags;      /* CLASSIFY_* */
	unsigned statements; /* non-empty statements in the text */
	/* Short and operator-facing, NUL-terminated; for a multi-statement
	 * text it names the statement that set the class. */
	char reason[CLASSIFY_REASON_MAX];
};

/* Classifies `len` bytes of SQL (not NUL-terminated, any bytes). opts may
 * be NULL for the defaults. Linear in len; allocates only to look inside
 * PREPARE ... FROM 'text'. Never fails: what it cannot follow is
 * SQL_UNKNOWN with a reason. */
void proxy_classify(const char *sql, size_t len,
                    const struct classify_opts *opts,
                    struct classification *out);

/* True when the collation id a client sends in its handshake (or
 * COM_CHANGE_USER) names a character set the classifier lexes correctly:
 * one where bytes below 0x80 are never part of a multi-byte character.
 * big5, cp932, gbk, sjis and gb18030 are not (a multi-byte character may
 * end in a backslash or backtick); neither are the ucs2/utf16/utf32 ids,
 * which a server replaces with its own default. The session must refuse
 * or replace such ids. */
bool sql_charset_id_lexable(unsigned id);

#endif
