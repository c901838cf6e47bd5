/*
 * client_out: the one output writer of the client.  An answer goes out
 * as the daemon's JSON (--json), its rows as CSV (--csv), or a table the
 * command fills (table_*), with numbers grouped for the eye, times in the
 * local zone (or UTC with --utc), text cut to the terminal's width (or not
 * at all with --wide), and colour for failure shares on a terminal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client.h"
#include "escape.h"
#include "timespec.h"

/* Integer member, 0 when absent. */
json_int_t
jint(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (json_int_t)json_real_value(v);
	return 0;
}

/* String member, "" when absent, so printing never sees NULL. */
const char *
jtext(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* s with its controls escaped (escape.h; a backslash stays itself: the
 * escapes are for the eye, --json is the exact text) in buf, cut before
 * an escape or a character that does not fit; a text from a log or a
 * remote server goes through here (or out_text) before a terminal sees
 * it. */
const char *
escaped(const char *s, char *buf, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[ESCAPE_MAX];
	size_t			 o = 0, n;

	if (len == 0)
		return buf;
	while (*p != '\0') {
		p += escape_char(p, (size_t)-1, 0, esc);
		if (o + (n = strlen(esc)) >= len)
			break;
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}

/* escaped(s) in memory of its own: an escape is at most four times the
 * bytes it stands for. */
static char *
escaped_dup(const char *s)
{
	size_t	 len = strlen(s) * 4 + 1;
	char	*buf;

	if ((buf = malloc(len)) == NULL)
		die(EXIT_DAEMON, "out of memory");
	escaped(s, buf, len);
	return buf;
}

/* Write s as escaped() would, however long. */
void
out_text(FILE *f, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[ESCAPE_MAX];

	while (*p != '\0') {
		p += escape_char(p, (size_t)-1, 0, esc);
		fputs(esc, f);
	}
}

/* 1234567 -> "1,234,567": counts are read by eye. */
const char *
grouped(json_int_t v, char *buf, size_t len)
{
	char	 tmp[32];
	size_t	 i, n, o = 0;
	int	 neg = v < 0;

	snprintf(tmp, sizeof tmp, "%lld", neg ? -(long long)v : (long long)v);
	n = strlen(tmp);
	if (neg && o + 1 < len)
		buf[o++] = '-';
	for (i = 0; i < n && o + 2 < len; i++) {
		buf[o++] = tmp[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

/* Change against the period before, or "new" when it had none. */
const char *
change_since(json_int_t now, json_int_t before, char *buf, size_t len)
{
	if (before == 0)
		snprintf(buf, len, "%s", now == 0 ? "-" : "new");
	else
		snprintf(buf, len, "%+.1f%%", ((double)now - before) * 100.0 /
		    before);
	return buf;
}

/* Shares are shown with one decimal. */
const char *
percent(double share, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f%%", share * 100.0);
	return buf;
}

/* Broken-down time of t, local unless --utc. */
static void
breakdown(const struct opts *o, int64_t t, struct tm *tm)
{
	time_t	 tt = (time_t)t;

	if (o->utc)
		gmtime_r(&tt, tm);
	else
		localtime_r(&tt, tm);
}

/* The zone's abbreviation at t: what the times shown are in. */
const char *
show_zone(const struct opts *o, int64_t t)
{
	static char	 buf[64];
	struct tm	 tm;

	if (o->utc)
		return "UTC";
	breakdown(o, t, &tm);
	if (strftime(buf, sizeof buf, "%Z", &tm) == 0)
		snprintf(buf, sizeof buf, "local time");
	return buf;
}

/* "2026-11-29T14:00:00Z" as "2026-11-29 15:00" in the zone shown; a day
 * bucket is a UTC day and keeps its date. */
const char *
show_time(const struct opts *o, const char *s, int day, char *buf,
    size_t len)
{
	struct tm	 tm;
	int64_t		 t;

	if (s == NULL || timespec_parse(s, 0, &t) == -1) {
		snprintf(buf, len, "%s", s != NULL ? s : "-");
		return buf;
	}
	if (day) {
		snprintf(buf, len, "%.10s", s);
		return buf;
	}
	breakdown(o, t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

/*
 * Print "label  text" wrapped at WIDTH columns, continuation lines under
 * the text, so explanations read well in an 80-column mail.
 */
void
wrapped(FILE *f, int indent, int labelw, const char *label, const char *text)
{
	int		 col, room, n;
	const char	*p = text, *sp;

	fprintf(f, "%*s%-*s  ", indent, "", labelw, label);
	col = indent + labelw + 2;
	room = WIDTH - 1 - col;
	while (*p != '\0') {
		n = (int)strlen(p);
		if (n > room) {
			/* Break at the last space that fits. */
			for (sp = p + room; sp > p && *sp != ' '; sp--)
				;
			n = sp > p ? (int)(sp - p) : room;
		}
		fprintf(f, "%.*s\n", n, p);
		p += n;
		while (*p == ' ')
			p++;
		if (*p != '\0')
			fprintf(f, "%*s", col, "");
	}
	if (*text == '\0')
		fputc('\n', f);
}

/* One CSV field: quoted when it holds a comma or a quote.  Controls are
 * escaped as in the tables (escaped()), so a CSV read in a terminal or a
 * spreadsheet is as safe as a table and a field never spans lines;
 * --json carries the exact text. */
static void
csv_field(FILE *f, const char *s, int last)
{
	char	*e = escaped_dup(s), *p;

	if (strpbrk(e, ",\"") != NULL) {
		fputc('"', f);
		for (p = e; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	} else
		fputs(e, f);
	free(e);
	fputc(last ? '\n' : ',', f);
}

/* The rows of an answer as CSV: the keys of the first row, in order;
 * the header line unless it went out with a page before. */
static void
print_csv(json_t *rows, int header)
{
	json_t		*row, *first, *v;
	const char	*k;
	size_t		 i, n, j;
	char		 buf[64];

	if ((first = json_array_get(rows, 0)) == NULL)
		return;
	n = json_object_size(first);
	i = 0;
	if (header)
		json_object_foreach(first, k, v)
			csv_field(stdout, k, ++i == n);
	json_array_foreach(rows, i, row) {
		j = 0;
		json_object_foreach(first, k, v) {
			v = json_object_get(row, k);
			if (json_is_string(v))
				csv_field(stdout, json_string_value(v),
				    ++j == n);
			else if (json_is_integer(v)) {
				snprintf(buf, sizeof buf, "%lld",
				    (long long)json_integer_value(v));
				csv_field(stdout, buf, ++j == n);
			} else if (json_is_real(v)) {
				snprintf(buf, sizeof buf, "%.6f",
				    json_real_value(v));
				csv_field(stdout, buf, ++j == n);
			} else if (json_is_true(v))
				csv_field(stdout, "true", ++j == n);
			else
				csv_field(stdout, "", ++j == n);
		}
	}
}

/* --json: the answer unchanged, indented; --csv: its rows. */
int
out_data(const struct opts *o, json_t *answer, json_t *rows)
{
	if (o->json) {
		json_dumpf(answer, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		return 1;
	}
	if (o->csv) {
		print_csv(rows, 1);
		return 1;
	}
	return 0;
}

/* One page of --all: CSV rows (the header with the first page), or one
 * JSON object a line. */
void
out_page(const struct opts *o, json_t *rows, int first)
{
	json_t	*row;
	size_t	 i;

	if (o->csv) {
		print_csv(rows, first);
		return;
	}
	json_array_foreach(rows, i, row) {
		json_dumpf(row, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	}
}

/* The daemon counts whole stored buckets: say when the range was read
 * wider than asked. */
void
out_rounded(const struct opts *o, json_t *answer, FILE *f)
{
	json_t	*r = json_object_get(answer, "rounded");
	char	 a[40], b[40];

	if (!json_is_object(r))
		return;
	fprintf(f, "note: counts are kept by the %s; read as %s to %s %s\n",
	    json_is_true(json_object_get(r, "days")) ? "hour, older ones by "
	    "the day" : "hour",
	    show_time(o, jtext(r, "since"), 0, a, sizeof a),
	    *jtext(r, "until") ? show_time(o, jtext(r, "until"), 0, b,
	    sizeof b) : "now", show_zone(o, 0));
}

/* Failure shares stand out on a terminal: 4xx yellow, 5xx red. */
const char *
color_on(const struct opts *o, int class, double share)
{
	if (!o->color || share <= 0)
		return "";
	return class == '5' ? "\033[31m" : class == '4' ? "\033[33m" : "";
}

/* The end of a colour, when one was started. */
const char *
color_off(const struct opts *o)
{
	return o->color ? "\033[0m" : "";
}

/* An empty table of ncol columns. */
void
table_init(struct table *t, size_t ncol)
{
	memset(t, 0, sizeof *t);
	t->ncol = ncol;
}

/* Column i holds the program's own cells (colour codes): not escaped. */
void
table_raw(struct table *t, size_t i)
{
	t->raw[i] = 1;
}

/* Name a column, its alignment and its widest cell (-1: the rest of the
 * line). */
void
table_col(struct table *t, size_t i, const char *head, int right, int maxw)
{
	t->head[i] = head;
	t->right[i] = right;
	t->maxw[i] = maxw;
}

/* Add one row of ncol strings, copied with their controls escaped
 * (escaped()) unless the column is table_raw's; widths count the escapes. */
void
table_row(struct table *t, const char **cells)
{
	size_t	 i;

	if (t->nrow == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cell = realloc(t->cell, t->cap * t->ncol * sizeof *t->cell);
		if (t->cell == NULL)
			die(EXIT_DAEMON, "out of memory");
	}
	for (i = 0; i < t->ncol; i++) {
		if (!t->raw[i])
			t->cell[t->nrow * t->ncol + i] = escaped_dup(cells[i] ?
			    cells[i] : "");
		else if ((t->cell[t->nrow * t->ncol + i] = strdup(cells[i] ?
		    cells[i] : "")) == NULL)
			die(EXIT_DAEMON, "out of memory");
	}
	t->nrow++;
}

/* Display width: UTF-8 lead bytes, not continuation bytes nor colour. */
static size_t
width(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\033' && s[1] == '[') {
			for (s += 2; *s != '\0' && *s != 'm'; s++)
				;
			if (*s == '\0')
				break;
			continue;
		}
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	}
	return n;
}

/* Cut c to at most w display columns, ending in "...". */
static void
cut(char *c, size_t w)
{
	size_t	 keep = 0, n = 0;

	if (width(c) <= w)
		return;
	if (w < 4)
		w = 4;
	while (c[keep] != '\0' && n < w - 3) {
		keep++;
		while (((unsigned char)c[keep] & 0xC0) == 0x80)
			keep++;
		n++;
	}
	strcpy(c + keep, "...");
}

/* Print, cutting over-wide cells with "..."; a column of maxw -1 takes
 * what the line of cols columns leaves (cols 0: never cut it). */
void
table_print(struct table *t, FILE *f, int indent, int cols)
{
	size_t	 w[COLS_MAX], r, i, cw, used = (size_t)indent;
	char	*c;

	for (i = 0; i < t->ncol; i++) {
		w[i] = width(t->head[i]);
		if (t->maxw[i] == -1)
			continue;
		for (r = 0; r < t->nrow; r++) {
			c = t->cell[r * t->ncol + i];
			if (t->maxw[i] > 0)
				cut(c, (size_t)t->maxw[i]);
			if ((cw = width(c)) > w[i])
				w[i] = cw;
		}
		used += w[i] + 2;
	}
	for (i = 0; i < t->ncol; i++) {
		if (t->maxw[i] != -1)
			continue;
		for (r = 0; r < t->nrow; r++) {
			c = t->cell[r * t->ncol + i];
			if (cols > 0)
				cut(c, (size_t)cols > used + 20 ?
				    (size_t)cols - used - 1 : 20);
			if ((cw = width(c)) > w[i])
				w[i] = cw;
		}
	}
	for (r = 0; r <= t->nrow; r++) {
		fprintf(f, "%*s", indent, "");
		for (i = 0; i < t->ncol; i++) {
			const char	*v = r == 0 ? t->head[i] :
			    t->cell[(r - 1) * t->ncol + i];

			cw = width(v);
			if (t->right[i])
				fprintf(f, "%*s%s", (int)(w[i] - cw), "", v);
			else if (i + 1 < t->ncol)
				fprintf(f, "%s%*s", v, (int)(w[i] - cw), "");
			else
				fputs(v, f);
			if (i + 1 < t->ncol)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	for (r = 0; r < t->nrow * t->ncol; r++)
		free(t->cell[r]);
	free(t->cell);
	t->cell = NULL;
	t->nrow = t->cap = 0;
}
