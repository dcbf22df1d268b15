/*
 * Fuzzes the SQL statement classifier. The first byte picks options
 * (0x80 functions_are_reads, 0x40 single_statement) and mutations; the
 * rest is the SQL text. Besides crashes and sanitizer
 * reports it checks, and aborts when one breaks:
 *  (a) the work done (bytes and tokens looked at, counted by the
 *      classifier under CLASSIFY_WORK) stays linear in the input length;
 *  (b) changing the letter case of words outside quotes does not change
 *      the class;
 *  (c) inserting a comment or whitespace between two tokens never turns
 *      a non-read into a read;
 *  (d) appending ";" and a non-read statement never yields a read;
 *  (e) the class of "A; B" is at least the class of A and of B, when
 *      each of them classifies on its own and A does not open a compound
 *      routine body (which may take B in);
 *  (f) single_statement never makes a text stricter;
 *  (g) literal runs (bulk lexing of long lists) change nothing: class,
 *      flags, statement count and reason are those of token-by-token
 *      lexing;
 *  (h) a text whose first statement creates a routine with a compound
 *      body is at least ddl;
 *  plus: the reason is NUL-terminated and the result is deterministic.
 *
 * It does not compare against a real server: the unit tests hold the
 * cases that were checked against one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CLASSIFY_WORK 1
#include "proxy/classify.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Work per input byte that no linear pass structure exceeds: up to
 * 2 + 2 * MAX_GATES passes, each looking at a byte a bounded number of
 * times, and PREPARE texts classified twice more. */
#define WORK_PER_BYTE 1024u
#define WORK_SLACK 65536u

static const char *const non_reads[] = {
	"DROP TABLE t", "DELETE FROM t", "INSERT INTO t VALUES (1)",
	"GRANT ALL ON *.* TO u", "SET GLOBAL x = 1", "SELECT GET_LOCK('a', 1)",
	"SELECT 1 INTO OUTFILE '/x'", "SELECT * FROM t FOR UPDATE",
	"BEGIN", "SET @x = 1", "KILL 1", "EXECUTE s",
};

static void check_reason(const struct classification *c)
{
	if (memchr(c->reason, 0, sizeof(c->reason)) == NULL)
		abort();
	if ((unsigned)c->cls >= SQL_CLASS_COUNT)
		abort();
}

static struct classification classify(const uint8_t *p, size_t n,
                                      const struct classify_opts *o)
{
	struct classification c;

	classify_work = 0;
	classify_saw_compound = false;
	proxy_classify((const char *)p, n, o, &c);
	check_reason(&c);
	/* (a) */
	if (classify_work > (unsigned long long)WORK_PER_BYTE * n + WORK_SLACK)
		abort();
	return c;
}

/* Tokens of the text as the classifier's lexer sees it for MySQL running
 * every executable comment (for (b)), and the positions that end a token
 * under every scenario the classifier lexes the text for (for (c): only
 * there is inserting a comment a change of layout and nothing else). */
struct toks {
	size_t n;
	size_t cap;
	struct tok *t;
	unsigned char *boundary; /* per byte offset: ends a token everywhere */
};

static void lex_scenario(const uint8_t *p, size_t n, struct scenario sc,
                         struct toks *ts, bool keep, unsigned char *mark,
                         struct gates *seen)
{
	struct lexer lx;
	struct tok t;

	lex_init(&lx, p, n, sc, NULL);
	for (;;) {
		lex_next(&lx, &t);
		if (t.kind == T_END || t.kind == T_ERROR)
			break;
		mark[t.pos + t.len] = 1;
		if (!keep)
			continue;
		if (ts->n == ts->cap) {
			ts->cap = ts->cap ? ts->cap * 2 : 64;
			ts->t = realloc(ts->t, ts->cap * sizeof(*ts->t));
			if (ts->t == NULL)
				abort();
		}
		ts->t[ts->n++] = t;
	}
	if (seen != NULL)
		memcpy(seen, lx.seen, sizeof(lx.seen));
}

static void lex_all(const uint8_t *p, size_t n, struct toks *ts)
{
	struct scenario sc = {FL_MYSQL, (unsigned long)-1};
	struct gates seen[2], more[2];
	unsigned char *mark = calloc(n + 1, 1);
	unsigned f, i;
	size_t k;

	ts->n = 0;
	ts->boundary = calloc(n + 1, 1);
	if (mark == NULL || ts->boundary == NULL)
		abort();
	lex_scenario(p, n, sc, ts, true, ts->boundary, seen);
	sc.fl = FL_MARIADB;
	lex_scenario(p, n, sc, ts, false, mark, more);
	seen[FL_MARIADB] = more[FL_MARIADB];
	for (k = 0; k <= n; k++)
		ts->boundary[k] &= mark[k];
	for (f = 0; f < 2; f++) {
		for (i = 0; i < seen[f].n; i++) {
			sc.fl = (enum flavour)f;
			sc.version = seen[f].v[i] - 1;
			memset(mark, 0, n + 1);
			lex_scenario(p, n, sc, ts, false, mark, NULL);
			for (k = 0; k <= n; k++)
				ts->boundary[k] &= mark[k];
		}
	}
	free(mark);
}

/* (b) */
static void check_case(const uint8_t *p, size_t n, const struct toks *ts,
                       const struct classify_opts *o, enum sql_class cls,
                       unsigned seed)
{
	uint8_t *q = malloc(n ? n : 1);
	struct classification c;
	size_t i, k;

	if (q == NULL)
		abort();
	memcpy(q, p, n);
	for (i = 0; i < ts->n; i++) {
		if (ts->t[i].kind != T_WORD)
			continue;
		for (k = ts->t[i].pos; k < ts->t[i].pos + ts->t[i].len; k++) {
			uint8_t ch = q[k];

			seed = seed * 1103515245u + 12345u;
			if (((seed >> 16) & 1) == 0)
				continue;
			if (ch >= 'a' && ch <= 'z')
				q[k] = (uint8_t)(ch - 32);
			else if (ch >= 'A' && ch <= 'Z')
				q[k] = (uint8_t)(ch + 32);
		}
	}
	c = classify(q, n, o);
	if (c.cls != cls)
		abort();
	free(q);
}

/* (c): whitespace or a comment after token i. Not after "--", where a space
 * would start a comment and the text would mean something else. */
static void check_insert(const uint8_t *p, size_t n, const struct toks *ts,
                         const struct classify_opts *o, enum sql_class cls,
                         unsigned pick)
{
	static const char *const ins[] = {" ", " /**/ ", "\n", "\t/* x */\t"};
	const char *s = ins[pick % 4];
	size_t i, at, sl = strlen(s);
	uint8_t *q;
	struct classification c;

	if (ts->n < 2 || cls == SQL_READ)
		return;
	i = (pick / 4) % (ts->n - 1);
	if (ts->t[i].kind == T_OTHER && p[ts->t[i].pos] == '-' && i > 0 &&
	    ts->t[i - 1].kind == T_OTHER && p[ts->t[i - 1].pos] == '-' &&
	    !ts->t[i].gap)
		return;
	at = ts->t[i].pos + ts->t[i].len;
	if (!ts->boundary[at])
		return;
	q = malloc(n + sl);
	if (q == NULL)
		abort();
	memcpy(q, p, at);
	memcpy(q + at, s, sl);
	memcpy(q + at + sl, p + at, n - at);
	c = classify(q, n + sl, o);
	if (c.cls == SQL_READ)
		abort();
	free(q);
}

/* (d) */
static void check_append(const uint8_t *p, size_t n,
                         const struct classify_opts *o, unsigned pick)
{
	const char *s = non_reads[pick % (sizeof(non_reads) /
	                                  sizeof(non_reads[0]))];
	size_t sl = strlen(s);
	uint8_t *q = malloc(n + sl + 2);
	struct classification c;

	if (q == NULL)
		abort();
	memcpy(q, p, n);
	q[n] = '\n';
	q[n + 1] = ';';
	memcpy(q + n + 2, s, sl);
	c = classify(q, n + 2 + sl, o);
	if (c.cls == SQL_READ)
		abort();
	free(q);
}

/* (e) */
static void check_concat(const uint8_t *p, size_t n,
                         const struct classify_opts *o, size_t split)
{
	struct classification a, b, c;
	bool compound;
	uint8_t *q;

	if (n == 0)
		return;
	split %= n;
	a = classify(p, split, o);
	compound = classify_saw_compound;
	b = classify(p + split, n - split, o);
	if (compound)
		return;
	if (a.cls == SQL_UNKNOWN || b.cls == SQL_UNKNOWN)
		return;
	q = malloc(n + 2);
	if (q == NULL)
		abort();
	memcpy(q, p, split);
	q[split] = '\n';
	q[split + 1] = ';';
	memcpy(q + split + 2, p + split, n - split);
	c = classify(q, n + 2, o);
	if (c.cls < a.cls || c.cls < b.cls)
		abort();
	free(q);
}

/* (f), (g), (h) */
static void check_modes(const uint8_t *p, size_t n,
                        const struct classify_opts *o,
                        const struct classification *c, bool compound)
{
	struct classify_opts other = *o;
	struct classification d;

	if (compound && c->cls < SQL_DDL)
		abort();
	other.single_statement = !o->single_statement;
	d = classify(p, n, &other);
	if (o->single_statement ? c->cls > d.cls : d.cls > c->cls)
		abort();
	classify_no_runs = true;
	d = classify(p, n, o);
	classify_no_runs = false;
	if (d.cls != c->cls || d.flags != c->flags ||
	    d.statements != c->statements || strcmp(d.reason, c->reason) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct classify_opts o = {false, false};
	struct classification c, again;
	bool compound;
	struct toks ts = {0, 0, NULL, NULL};
	unsigned sel;
	const uint8_t *p;
	size_t n;

	if (size < 1)
		return 0;
	sel = data[0];
	p = data + 1;
	n = size - 1;
	o.functions_are_reads = (sel & 0x80) != 0;
	o.single_statement = (sel & 0x40) != 0;

	c = classify(p, n, &o);
	compound = classify_saw_compound;
	again = classify(p, n, &o);
	if (c.cls != again.cls || c.flags != again.flags ||
	    c.statements != again.statements ||
	    strcmp(c.reason, again.reason) != 0)
		abort();
	if (c.statements > n)
		abort();

	lex_all(p, n, &ts);
	check_case(p, n, &ts, &o, c.cls, sel * 2654435761u + (unsigned)n);
	check_insert(p, n, &ts, &o, c.cls, sel + (unsigned)n * 7u);
	check_append(p, n, &o, sel);
	check_concat(p, n, &o, (size_t)sel * 131u + n / 3);
	check_modes(p, n, &o, &c, compound);
	free(ts.t);
	free(ts.boundary);
	return 0;
}
