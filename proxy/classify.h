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
 * Compound bodies. A text whose first statement is CREATE [OR REPLACE]
 * [DEFINER = ...] [AGGREGATE] PROCEDURE, FUNCTION, TRIGGER or EVENT with a
 * compound body (BEGIN ... END, label: BEGIN ... END label, IF, CASE,
 * LOOP, WHILE, REPEAT, FOR) is ddl: the ";" inside the body do not end the
 * statement. The head is read exactly (name, parameters, RETURNS type,
 * characteristics, trigger timing, event schedule up to DO); anything it
 * does not know leaves the text to the ordinary rules, under which the
 * fragments of a compound body are unknown. Creating a routine is ddl
 * whatever its body does: the body runs later — a procedure or function
 * when called (CALL is write, a stored function call in a query is write
 * unless functions_are_reads), a trigger on its table's writes, an event on
 * its schedule, perhaps at once — with the definer's privileges, so a
 * policy that allows ddl allows all of that. Trap words in the text (INTO
 * OUTFILE, LOAD_FILE(), SONAME, ...) still count, in the body too, as they
 * do for a routine with a one-statement body; an event's schedule, which
 * the server evaluates at once, is read like any expression.
 * Where the server ends such a statement is not certain without a
 * grammar: it ends right after the END that closes the outermost block.
 * Unless single_statement is set, every ";" that may follow that END (END,
 * or END and the words that may close the outermost block) and is not
 * ruled out by counting blocks is taken as a possible end, and what
 * follows it is classified as the further statements the server would run
 * — stopping, as the server does, at a statement that cannot parse at top
 * level (END, ELSE, ELSEIF, WHEN, THEN, UNTIL, DECLARE, LEAVE, ITERATE,
 * RETURN, OPEN, CLOSE, FETCH: checked against MariaDB 10.11). The text
 * before the first possible end is certainly inside the CREATE. A body
 * whose inner blocks end in "END;" may thus be stricter than ddl, often
 * unknown (IF or WHILE at top level); with single_statement it is ddl.
 *
 * Deliberately absent: a full SQL grammar, DELIMITER (a client command) and
 * any knowledge of the schema (a view may call a stored function; the
 * classifier cannot see that); names of prepared statements are not
 * tracked, so EXECUTE is unknown. ALTER EVENT ... DO with a compound body
 * and CREATE PACKAGE stay unknown. Assumptions, each enforced where the
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
	/* The server runs at most one statement of this text and refuses it
	 * whole (a syntax error, nothing run) when more follows: set it when
	 * the client did not negotiate CLIENT_MULTI_STATEMENTS or turned it off
	 * with COM_SET_OPTION, and for COM_STMT_PREPARE (checked on MariaDB
	 * 10.11; the text of PREPARE ... FROM 'text' is read this way
	 * already). It only lets a CREATE with a compound body be ddl
	 * whatever follows its END; everything else is classified as if
	 * several statements could run. Default false, the strict choice:
	 * more than one statement may run. */
	bool single_statement;
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
