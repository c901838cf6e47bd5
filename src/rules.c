/*
 * rules: parse the rules files into a table classify walks in order.
 * One rule a line; '#' starts a comment outside quotes; a line may be
 * continued with a backslash at its end.  Everything is checked when the
 * file is read (names, codes, the regular expression), so that a rule can
 * only fail to match, never fail.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider.h"
#include "rules.h"

#define RULES_FILE_MAX	(4 * 1024 * 1024)	/* bytes of one file */

static void
plain_free(char **v, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct rules *
rules_new(void)
{
	return calloc(1, sizeof(struct rules));
}

void
rules_free(struct rules *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		if (r->v[i].has_text) {
			regfree(r->v[i].re);
			free(r->v[i].re);
			plain_free(r->v[i].plain, r->v[i].nplain);
		}
	for (i = 0; i < r->nlits; i++)
		free(r->lits[i]);
	free(r->lits);
	free(r->lnext);
	free(r->lrule);
	for (i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	free(r->v);
	free(r);
}

static int
fail(char **cause, const char *file, unsigned line, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[512];

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (cause != NULL) {
		size_t	 n = strlen(file) + strlen(why) + 32;

		if ((*cause = malloc(n)) != NULL) {
			if (line > 0)
				snprintf(*cause, n, "%s:%u: %s", file, line, why);
			else		/* the file as a whole */
				snprintf(*cause, n, "%s: %s", file, why);
		}
	}
	return -1;
}

/* One name of an event enum, through its _from_name. */
static int
set_bits(unsigned *bits, const char *v, int (*from)(const char *))
{
	char	 buf[64], *p, *save = NULL;
	int	 b;

	if (strlen(v) >= sizeof buf)
		return -1;
	strcpy(buf, v);
	for (p = strtok_r(buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if ((b = from(p)) < 0 || b >= 32)
			return -1;
		*bits |= 1u << b;
	}
	return *bits != 0 ? 0 : -1;
}

/* "550", "5xx", "55x" or "none" (reply 0). */
static int
ok_reply(const char *s)
{
	if (strcmp(s, "none") == 0)
		return 1;
	if (strlen(s) != 3 || s[0] < '2' || s[0] > '5')
		return 0;
	return ((s[1] >= '0' && s[1] <= '9') || s[1] == 'x') &&
	    ((s[2] >= '0' && s[2] <= '9') || s[2] == 'x') &&
	    !(s[1] == 'x' && s[2] != 'x');
}

/* "5.7.1", "5.7.*", "*.1.1", "x.7.26" or "none". */
static int
ok_code(const char *s)
{
	int	 parts = 1, run = 0, star = 0;

	if (strcmp(s, "none") == 0)
		return 1;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (run == 0 && !star)
				return 0;
			parts++;
			run = star = 0;
		} else if ((*s == '*' || *s == 'x') && run == 0 && !star)
			star = 1;
		else if (*s >= '0' && *s <= '9' && !star && run < 3)
			run++;
		else
			return 0;
	}
	return parts == 3 && (run > 0 || star);
}

static int
set_codes(struct rules_code *c, const char *v, int (*ok)(const char *))
{
	char	 buf[128], *p, *save = NULL;

	if (strlen(v) >= sizeof buf)
		return -1;
	strcpy(buf, v);
	for (p = strtok_r(buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (!ok(p) || c->n == RULES_VALUES ||
		    strlen(p) >= sizeof c->v[0])
			return -1;
		strcpy(c->v[c->n++], strcmp(p, "none") == 0 ?
		    (ok == ok_reply ? "0" : "") : p);
	}
	return c->n > 0 ? 0 : -1;
}

/*
 * The prefilter of a text pattern: a set of lower-case strings one of
 * which occurs in every text the expression matches.  An alternative
 * needs its longest literal run, or all the alternatives of a group it
 * must contain; a pattern needs one of its alternatives' sets.  When an
 * alternative has nothing of three bytes or more, there is no prefilter.
 */
struct lits {
	char	 s[RULES_LITERALS][RULES_LITERAL_MAX + 1];
	int	 n;
	size_t	 score;		/* the shortest string */
};

static const char *group_end(const char *, const char *);

/* Past one atom's quantifier: is the atom optional? */
static int
optional_at(const char *q, const char *end)
{
	return q < end && (*q == '*' || *q == '?' || (*q == '{' &&
	    q + 1 < end && q[1] == '0'));
}

/* The set for the alternatives in [p, end), split at top-level '|'. */
static int
alts_lits(const char *p, const char *end, struct lits *out);

/* The best set for one alternative (no top-level '|') in [p, end). */
static int
alt_lits(const char *p, const char *end, struct lits *out)
{
	char		 run[RULES_LITERAL_MAX + 1];
	size_t		 n = 0;
	struct lits	 g;
	const char	*q;
	char		 c;

	out->n = 0;
	out->score = 0;
	for (;;) {
		int	 lit = 0, quant;

		if (p >= end)
			c = '\0';
		else
			c = *p;
		q = p + 1;
		if (c == '\\' && p + 1 < end) {
			c = p[1];
			q = p + 2;
			lit = strchr(".[]()*+?{}|^$\\/-\"", c) != NULL;
		} else if (c == '[') {
			for (q = p + 1; q < end && (*q != ']' || q == p + 1 ||
			    (q == p + 2 && p[1] == '^')); q++)
				;
			q = q < end ? q + 1 : end;
		} else if (c == '(') {
			const char	*ge = group_end(p, end);

			q = ge < end ? ge + 1 : end;
			if (!optional_at(q, end) && alts_lits(p + 1, ge, &g) &&
			    g.score > out->score)
				*out = g;
		} else if (c != '\0' && strchr(".*+?{}|^$)", c) == NULL)
			lit = 1;
		quant = optional_at(q, end);
		if (lit && !quant && n < RULES_LITERAL_MAX) {
			run[n++] = c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
			p = q;
			continue;
		}
		if (n > out->score) {
			memcpy(out->s[0], run, n);
			out->s[0][n] = '\0';
			out->n = 1;
			out->score = n;
		}
		n = 0;
		if (p >= end)
			break;
		p = q;
		if (c == '{')			/* skip a bound */
			while (p < end && p[-1] != '}')
				p++;
	}
	return out->score >= 3;
}

/* The ')' that closes the '(' at p, or end. */
static const char *
group_end(const char *p, const char *end)
{
	int	 depth = 0;

	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '[') {
			const char	*s = p;

			for (p++; p < end && (*p != ']' || p == s + 1 ||
			    (p == s + 2 && s[1] == '^')); p++)
				;
		} else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p;
	}
	return end;
}

static int
alts_lits(const char *p, const char *end, struct lits *out)
{
	const char	*a = p, *q;
	struct lits	 one;
	int		 depth = 0, i;

	out->n = 0;
	out->score = (size_t)-1;
	for (q = p;; q++) {
		if (q < end && *q == '\\' && q + 1 < end) {
			q++;
			continue;
		}
		if (q < end && *q == '[') {
			const char	*s = q;

			for (q++; q < end && (*q != ']' || q == s + 1 ||
			    (q == s + 2 && s[1] == '^')); q++)
				;
			continue;
		}
		if (q < end && *q == '(')
			depth++;
		else if (q < end && *q == ')')
			depth--;
		if (q < end && !(*q == '|' && depth == 0))
			continue;
		if (!alt_lits(a, q, &one) || out->n + one.n > RULES_LITERALS)
			return 0;
		for (i = 0; i < one.n; i++)
			strcpy(out->s[out->n++], one.s[i]);
		if (one.score < out->score)
			out->score = one.score;
		if (q >= end)
			break;
		a = q + 1;
	}
	return out->n > 0;
}

static void
literals_of(struct rule *r, const char *re)
{
	struct lits	 l;
	int		 i;

	r->nliterals = 0;
	if (!alts_lits(re, re + strlen(re), &l))
		return;
	for (i = 0; i < l.n; i++)
		strcpy(r->literals[i], l.s[i]);
	r->nliterals = l.n;
}

/*
 * A plain text pattern: literal bytes (ASCII; a backslash before one of
 * ERE's special bytes makes it literal), classes of letters, digits and
 * spaces ("[ae]"), groups of plain alternatives, '|', and '?' after a
 * byte, class or group - no '.', range, anchor, other quantifier or
 * back-reference.  What it matches is a finite set of strings, and as
 * case is ignored, a text matches when one of them in lower case occurs
 * in the text in lower case.  The sets are lists of at most RULES_PLAIN
 * strings, each of three bytes or more (the index's least).
 */
struct strs {
	char	*v[RULES_PLAIN];
	int	 n;
};

static void
strs_free(struct strs *a)
{
	int	 i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

/* a := a x b (every string of a followed by every one of b). */
static int
strs_product(struct strs *a, const struct strs *b)
{
	struct strs	 o;
	size_t		 la, lb;
	int		 i, j;

	if (a->n * b->n > RULES_PLAIN)
		return -1;
	o.n = 0;
	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++) {
			la = strlen(a->v[i]);
			lb = strlen(b->v[j]);
			if ((o.v[o.n] = malloc(la + lb + 1)) == NULL) {
				strs_free(&o);
				return -1;
			}
			memcpy(o.v[o.n], a->v[i], la);
			memcpy(o.v[o.n] + la, b->v[j], lb + 1);
			o.n++;
		}
	strs_free(a);
	*a = o;
	return 0;
}

static int plain_alts(const char *, const char *, struct strs *, int);

/* One alternative (no top-level '|') in [p, end). */
static int
plain_seq(const char *p, const char *end, struct strs *out, int depth)
{
	struct strs	 g;
	char		 run[RULES_LINE_MAX + 1];
	const char	*q;

	out->n = 0;
	if ((out->v[0] = strdup("")) == NULL)
		return -1;
	out->n = 1;
	while (p < end) {
		g.n = 0;
		if (*p == '(') {
			q = group_end(p, end);
			if (q >= end || depth > 4 ||
			    plain_alts(p + 1, q, &g, depth + 1) == -1)
				goto bad;
			p = q + 1;
		} else if (*p == '[') {
			for (q = p + 1; q < end && *q != ']'; q++)
				if (!((*q >= 'a' && *q <= 'z') ||
				    (*q >= 'A' && *q <= 'Z') ||
				    (*q >= '0' && *q <= '9') || *q == ' ') ||
				    g.n == RULES_PLAIN ||
				    (g.v[g.n] = strndup(q, 1)) == NULL)
					goto bad_g;
				else
					g.n++;
			if (q >= end || g.n == 0)
				goto bad_g;
			p = q + 1;
		} else {
			/* a run of bytes: the last one before a
			 * quantifier is an atom of its own */
			size_t	 n = 0;
			char	 ch;

			while (p < end && *p != '(' && *p != '[') {
				if (*p == '\\' && p + 1 < end &&
				    strchr(".[]()*+?{}|^$\\", p[1]) != NULL)
					ch = p[1], q = p + 2;
				else if ((unsigned char)*p >= 0x80 ||
				    *p < ' ' ||
				    strchr(".[]()*+?{}|^$\\", *p) != NULL)
					goto bad;
				else
					ch = *p, q = p + 1;
				if (n > 0 && q < end &&
				    strchr("*+?{", *q) != NULL)
					break;
				run[n++] = ch;
				p = q;
				if (n == 1 && p < end &&
				    strchr("*+?{", *p) != NULL)
					break;
			}
			if ((g.v[0] = strndup(run, n)) == NULL)
				goto bad;
			g.n = 1;
		}
		if (p < end && *p == '?') {	/* the atom or nothing */
			if (g.n == RULES_PLAIN ||
			    (g.v[g.n] = strdup("")) == NULL)
				goto bad_g;
			g.n++;
			p++;
		}
		if (p < end && strchr("*+?{", *p) != NULL)
			goto bad_g;
		if (strs_product(out, &g) == -1)
			goto bad_g;
		strs_free(&g);
	}
	return 0;
bad_g:
	strs_free(&g);
bad:
	strs_free(out);
	return -1;
}

/* The alternatives in [p, end), split at top-level '|'. */
static int
plain_alts(const char *p, const char *end, struct strs *out, int depth)
{
	struct strs	 one;
	const char	*a = p, *q;
	int		 level = 0, i;

	out->n = 0;
	for (q = p;; q++) {
		if (q < end && *q == '\\' && q + 1 < end) {
			q++;
			continue;
		}
		if (q < end && *q == '(')
			level++;
		else if (q < end && *q == ')')
			level--;
		if (q < end && !(*q == '|' && level == 0))
			continue;
		if (plain_seq(a, q, &one, depth) == -1)
			goto bad;
		if (out->n + one.n > RULES_PLAIN) {
			strs_free(&one);
			goto bad;
		}
		for (i = 0; i < one.n; i++)
			out->v[out->n++] = one.v[i];
		if (q >= end)
			break;
		a = q + 1;
	}
	return 0;
bad:
	strs_free(out);
	return -1;
}

/* The plain strings of a rule's text, if it is plain (no error if not). */
static void
plain_of(struct rule *r, const char *re)
{
	struct strs	 a;

	int		 i;

	r->plain = NULL;
	r->nplain = 0;
	if (r->group != 0 || plain_alts(re, re + strlen(re), &a, 0) == -1)
		return;
	for (i = 0; i < a.n; i++)
		if (strlen(a.v[i]) < 3) {	/* "" matches every text */
			strs_free(&a);
			return;
		}
	if (a.n <= 0 || a.n > RULES_PLAIN ||
	    (r->plain = calloc(a.n, sizeof *r->plain)) == NULL) {
		strs_free(&a);
		return;
	}
	for (i = 0; i < a.n; i++) {
		char	*p;

		for (p = a.v[i]; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
	}
	memcpy(r->plain, a.v, a.n * sizeof *r->plain);
	r->nplain = a.n;
}

/* Split one line into words; a quoted word keeps its spaces and "\"". */
static int
words(char *line, char **w, int max, int *quoted, const char **why)
{
	char	*p = line, *o;
	int	 n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n == max) {
			*why = "too many words";
			return -1;
		}
		if (*p == '"') {
			w[n] = o = ++p;
			while (*p != '"') {
				if (*p == '\0') {
					*why = "unterminated quote";
					return -1;
				}
				if (*p == '\\' && p[1] == '"')
					p++;
				*o++ = *p++;
			}
			*o = '\0';
			p++;
			if (*p != '\0' && *p != ' ' && *p != '\t') {
				*why = "text after the closing quote";
				return -1;
			}
			quoted[n++] = 1;
			continue;
		}
		w[n] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		quoted[n++] = 0;
		if (*p != '\0')
			*p++ = '\0';
	}
}

/* Free what a rule that is not kept holds. */
static void
rule_drop(struct rule *r)
{
	if (r->has_text) {
		regfree(r->re);
		free(r->re);
		plain_free(r->plain, r->nplain);
		r->plain = NULL;
		r->nplain = 0;
		r->has_text = 0;
	}
}

static int
ok_reason(const char *s)
{
	size_t	 n = strlen(s);

	if (s[0] == '$' && s[1] >= '1' && s[1] <= '9' && s[2] == '\0')
		return 1;
	if (n == 0 || n > CLASSIFY_REASON_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* Parse one rule line into r; NULL or the reason it is wrong. */
static const char *
rule_line(struct rule *r, char *line, char *err, size_t errsz)
{
	char		*w[24], *eq;
	int		 quoted[24], n, i, c, rc;
	const char	*why = NULL;

	if ((n = words(line, w, 24, quoted, &why)) <= 0)
		return why;
	if (n < 3 || quoted[0] || quoted[1] || quoted[2])
		return "want CATEGORY BLAME REASON [KEY=VALUE ...] [\"TEXT\"]";
	if ((c = classify_category_from_name(w[0])) < 0) {
		snprintf(err, errsz, "unknown category \"%s\"", w[0]);
		return err;
	}
	r->category = c;
	if ((c = classify_blame_from_name(w[1])) < 0) {
		snprintf(err, errsz, "unknown blame \"%s\"", w[1]);
		return err;
	}
	r->blame = c;
	if (!ok_reason(w[2]))
		return "a reason is $1 to $9 or up to 63 of a-z 0-9 . _ -";
	strcpy(r->reason, w[2]);
	if (w[2][0] == '$')
		r->group = w[2][1] - '0';
	for (i = 3; i < n; i++) {
		if (quoted[i]) {
			if (i != n - 1)
				return "the quoted text must come last";
			if (w[i][0] == '\0')
				return "empty text pattern";
			if ((r->re = malloc(sizeof *r->re)) == NULL)
				return "out of memory";
			rc = regcomp(r->re, w[i], REG_EXTENDED | REG_ICASE |
			    (r->group != 0 ? 0 : REG_NOSUB));
			if (rc != 0) {
				char	 m[128];

				regerror(rc, r->re, m, sizeof m);
				free(r->re);
				snprintf(err, errsz, "bad text pattern: %s", m);
				return err;
			}
			r->has_text = 1;
			if (r->re->re_nsub < (size_t)r->group) {
				rule_drop(r);
				snprintf(err, errsz, "reason $%d without that "
				    "group in the text", r->group);
				return err;
			}
			literals_of(r, w[i]);
			plain_of(r, w[i]);
			continue;
		}
		if ((eq = strchr(w[i], '=')) == NULL || eq[1] == '\0') {
			snprintf(err, errsz, "\"%s\": want KEY=VALUE or a "
			    "quoted text", w[i]);
			return err;
		}
		*eq++ = '\0';
		if (strcmp(w[i], "provider") == 0)
			rc = set_bits(&r->providers, eq, provider_from_name);
		else if (strcmp(w[i], "status") == 0)
			rc = set_bits(&r->statuses, eq, event_status_from_name);
		else if (strcmp(w[i], "kind") == 0)
			rc = set_bits(&r->kinds, eq, event_kind_from_name);
		else if (strcmp(w[i], "hop") == 0)
			rc = set_bits(&r->hops, eq, event_hop_from_name);
		else if (strcmp(w[i], "direction") == 0)
			rc = set_bits(&r->directions, eq,
			    event_direction_from_name);
		else if (strcmp(w[i], "reply") == 0)
			rc = set_codes(&r->reply, eq, ok_reply);
		else if (strcmp(w[i], "code") == 0)
			rc = set_codes(&r->code, eq, ok_code);
		else {
			snprintf(err, errsz, "unknown key \"%s\"", w[i]);
			goto bad;
		}
		if (rc == -1) {
			snprintf(err, errsz, "bad %s \"%s\"", w[i], eq);
			goto bad;
		}
	}
	if (r->group != 0 && !r->has_text)
		return "reason $N without a text";
	/* (a quoted text is last, so no error can follow its regcomp) */
	if (r->has_text)
		r->level = r->providers != 0 ? 1 : 2;
	else
		r->level = r->code.n > 0 ? 3 : 4;
	return NULL;
bad:
	rule_drop(r);
	return err;
}

/* See rules.h: add the rules of buf (named file) to r. */
int
rules_parse(struct rules *r, const char *file, const char *buf, size_t len,
    char **cause)
{
	const char	*p = buf, *end = buf + len, *nl;
	char		 line[RULES_LINE_MAX + 1], err[256], **nf;
	const char	*why;
	size_t		 n, ln;
	unsigned	 lineno = 0, first = 0;
	struct rule	*v, rule;

	if ((nf = reallocarray(r->files, r->nfiles + 1, sizeof *nf)) == NULL)
		return fail(cause, file, 0, "%s", strerror(errno));
	r->files = nf;
	if ((r->files[r->nfiles] = strdup(file)) == NULL)
		return fail(cause, file, 0, "%s", strerror(errno));
	r->nfiles++;
	r->sorted = 0;
	r->indexed = 0;
	/* FNV-1a over the texts, with the length between files. */
	if (r->digest == 0)
		r->digest = 14695981039346656037ULL;
	r->digest = (r->digest ^ (uint64_t)len) * 1099511628211ULL;
	for (n = 0; n < len; n++)
		r->digest = (r->digest ^ (unsigned char)buf[n]) *
		    1099511628211ULL;
	ln = 0;
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		n = nl - p;
		if (memchr(p, '\0', n) != NULL)
			return fail(cause, file, lineno, "NUL byte");
		if (ln == 0)
			first = lineno;
		if (ln + n > RULES_LINE_MAX)
			return fail(cause, file, first, "line longer than %d "
			    "bytes", RULES_LINE_MAX);
		memcpy(line + ln, p, n);
		ln += n;
		if (ln > 0 && line[ln - 1] == '\r')
			ln--;
		p = nl < end ? nl + 1 : end;
		if (ln > 0 && line[ln - 1] == '\\') {	/* continued */
			line[ln - 1] = ' ';
			if (p < end)
				continue;
		}
		line[ln] = '\0';
		ln = 0;
		memset(&rule, 0, sizeof rule);
		why = rule_line(&rule, line, err, sizeof err);
		if (why != NULL)
			return fail(cause, file, first, "%s", why);
		if (rule.level == 0)		/* blank or comment */
			continue;
		if (r->n == RULES_MAX) {
			rule_drop(&rule);
			return fail(cause, file, first, "more than %d rules",
			    RULES_MAX);
		}
		if (r->n == r->cap) {
			n = r->cap == 0 ? 256 : r->cap * 2;
			if ((v = reallocarray(r->v, n, sizeof *v)) == NULL) {
				rule_drop(&rule);
				return fail(cause, file, first, "%s",
				    strerror(errno));
			}
			r->v = v;
			r->cap = n;
		}
		rule.file = r->nfiles - 1;
		rule.line = first;
		r->v[r->n++] = rule;
	}
	return 0;
}

/* Read a file and parse it; a missing file is no error when missing_ok. */
int
rules_load(struct rules *r, const char *path, int missing_ok, char **cause)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 got;
	size_t		 have = 0;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && missing_ok) {
			r->missing++;
			return 0;
		}
		return fail(cause, path, 0, "%s", strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > RULES_FILE_MAX) {
		close(fd);
		return fail(cause, path, 0, "not a regular file of at most "
		    "%d bytes", RULES_FILE_MAX);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return fail(cause, path, 0, "%s", strerror(errno));
	}
	while (have < (size_t)st.st_size &&
	    (got = read(fd, buf + have, st.st_size - have)) != 0) {
		if (got == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return fail(cause, path, 0, "%s", strerror(errno));
		}
		have += got;
	}
	close(fd);
	rc = rules_parse(r, path, buf, have, cause);
	free(buf);
	return rc;
}

static int
rule_cmp(const void *a, const void *b)
{
	const struct rule	*x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if ((x->providers != 0) != (y->providers != 0))
		return x->providers != 0 ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The id of a string in the index, adding it if new: a literal (rule
 * -1) or a string of the plain rule whose pbit is rule; -1 if out of
 * memory or room. */
static int
lit_id(struct rules *r, const char *s, int rule, size_t *cap)
{
	unsigned	 b = RULES_LBUCKET(s[0], s[1], s[2]);
	int		 i, *nn;
	char		**nl;

	for (i = r->lhead[b]; i != -1; i = r->lnext[i])
		if (r->lrule[i] == rule && strcmp(r->lits[i], s) == 0)
			return i;
	if (r->nlits == RULES_LITS_MAX)
		return -1;
	if (r->nlits == *cap) {
		size_t	 n = *cap == 0 ? 256 : *cap * 2;

		if ((nl = reallocarray(r->lits, n, sizeof *nl)) == NULL)
			return -1;
		r->lits = nl;
		if ((nn = reallocarray(r->lnext, n, sizeof *nn)) == NULL)
			return -1;
		r->lnext = nn;
		if ((nn = reallocarray(r->lrule, n, sizeof *nn)) == NULL)
			return -1;
		r->lrule = nn;
		*cap = n;
	}
	if ((r->lits[r->nlits] = strdup(s)) == NULL)
		return -1;
	r->lnext[r->nlits] = r->lhead[b];
	r->lrule[r->nlits] = rule;
	r->lhead[b] = (int)r->nlits;
	return (int)r->nlits++;
}

/* Put the rules in the order classify tries them (classify.h), and
 * index their literals.  Without the index (out of memory) classify
 * searches each rule's literals itself. */
void
rules_finish(struct rules *r)
{
	size_t	 i, cap = 0;
	int	 j, pbits = 0;

	if (r->n > 1)
		qsort(r->v, r->n, sizeof *r->v, rule_cmp);
	r->sorted = 1;
	for (i = 0; i < r->nlits; i++)
		free(r->lits[i]);
	free(r->lits);
	free(r->lnext);
	free(r->lrule);
	r->lits = NULL;
	r->lnext = NULL;
	r->lrule = NULL;
	r->nlits = 0;
	r->indexed = 0;
	for (i = 0; i < RULES_LBUCKETS; i++)
		r->lhead[i] = -1;
	for (i = 0; i < r->n; i++) {
		struct rule	*u = &r->v[i];

		for (j = 0; j < u->nliterals; j++)
			if ((u->lit[j] = lit_id(r, u->literals[j], -1,
			    &cap)) == -1)
				return;
		if (u->nplain == 0)
			continue;
		u->pbit = pbits++;
		for (j = 0; j < u->nplain; j++)
			if (lit_id(r, u->plain[j], u->pbit, &cap) == -1)
				return;
	}
	r->indexed = 1;
}
