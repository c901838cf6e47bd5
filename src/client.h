/*
 * client: what the files of the smtptally client share.  smtptally.c
 * holds main and the table of commands; client_http.c is the only file
 * that knows HTTP and the socket; client_out.c the one output writer
 * (table, JSON, CSV) and the number and time formats; client_spark.c the
 * ASCII sparklines; client_cmd.c the query commands; client_report.c the
 * report; client_html.c its HTML page; client_problems.c the views by
 * category (the report's problems, a domain's categories, reasons by
 * category); client_classify.c `classify`.
 *
 * The client shares only the protocol with the daemon (api.h): no SQL, no
 * counting rules, no daemon header.
 */
#ifndef SMTPTALLY_CLIENT_H
#define SMTPTALLY_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "api.h"

enum { EXIT_OK = 0, EXIT_DAEMON = 1, EXIT_USAGE = 2 };

/* Which options a command takes (struct command.opts). */
#define O_RANGE		0x001	/* --since --until */
#define O_BY		0x002
#define O_TOP		0x004
#define O_FORMAT	0x008	/* --json --csv */
#define O_FILTERS	0x010	/* every filter of api_filters */
#define O_WIDE		0x020
#define O_COLOR		0x040
#define O_UTC		0x080
#define O_ALL		0x100	/* --all: every row, paged */
#define O_HTML		0x200	/* report --html */

#define WIDTH		80	/* the report's and a pipe's line */

struct opts {
	const char	*sock;
	const char	*cmd;		/* for messages */
	int		 json, csv, wide, all, utc, html;
	int		 color;		/* 1: escape codes on */
	const char	*by;
	int		 top;
	int64_t		 since, until;
	int		 has_since, has_until;
	const char	*filter[API_F_COUNT];
	int		 cols;		/* the terminal's width, or WIDTH */
};

void		 die(int, const char *, ...)
		     __attribute__((__format__(printf, 2, 3), __noreturn__));

/* client_http.c: a request target, then one request per connection. */
#define TARGET_MAX	4096
struct target {
	char	 buf[TARGET_MAX];
	int	 nparam;
	int	 overflow;
};
void		 target_init(struct target *, const char *);
void		 target_add(struct target *, const char *, const char *);
void		 target_add_int(struct target *, const char *, int64_t);
void		 target_add_cursor(struct target *, const char *);
/* The range and filters of o; skip (or NULL) is a filter left out. */
void		 target_common(struct target *, const struct opts *,
		     const char *);
/* Ask; any failure ends the program with a message.  Never NULL. */
json_t		*client_ask(const struct opts *, struct target *);

/* client_out.c */
json_int_t	 jint(json_t *, const char *);
const char	*jtext(json_t *, const char *);
const char	*grouped(json_int_t, char *, size_t);
const char	*percent(double, char *, size_t);
const char	*change_since(json_int_t, json_int_t, char *, size_t);
/* An RFC 3339 time as people read it: local (or UTC with --utc). */
const char	*show_time(const struct opts *, const char *, int, char *,
		     size_t);
const char	*show_zone(const struct opts *, int64_t);
/* A text from a log or a remote server, its controls, bidi controls and
 * bytes that are not UTF-8 escaped (\x1b, \u202e) for a terminal. */
const char	*escaped(const char *, char *, size_t);
void		 out_text(FILE *, const char *);
void		 wrapped(FILE *, int, int, const char *, const char *);
/* Print the answer as JSON, or its rows as CSV, when asked: 1 if done. */
int		 out_data(const struct opts *, json_t *, json_t *);
void		 out_page(const struct opts *, json_t *, int);
/* A note that the range was rounded to stored buckets, if it was. */
void		 out_rounded(const struct opts *, json_t *, FILE *);
/* Colour for a share of a class ('4', '5') when on, else "". */
const char	*color_on(const struct opts *, int, double);
const char	*color_off(const struct opts *);

#define COLS_MAX	8
struct table {
	size_t		 ncol;
	const char	*head[COLS_MAX];
	int		 right[COLS_MAX];
	int		 maxw[COLS_MAX];	/* 0 = no limit, -1 = the rest */
	int		 raw[COLS_MAX];		/* 1: the program's own cells */
	char		**cell;
	size_t		 nrow, cap;
};
void		 table_init(struct table *, size_t);
void		 table_col(struct table *, size_t, const char *, int, int);
/* Cells of this column go out as they are (colour codes); every other
 * cell is escaped like escaped(). */
void		 table_raw(struct table *, size_t);
void		 table_row(struct table *, const char **);
void		 table_print(struct table *, FILE *, int, int);

/* client_spark.c */
#define SPARK_MAX	60
struct spark {
	int64_t		 start, step, end;
	int		 n;
	double		 attempts[SPARK_MAX], fail4[SPARK_MAX],
			 fail5[SPARK_MAX];
};
void		 spark_init(struct spark *, int64_t, int64_t);
void		 spark_add(struct spark *, int64_t, int, double);
void		 spark_fill(const struct opts *, int64_t, int64_t,
		     struct spark *);
void		 spark_print(const struct opts *, const struct spark *,
		     FILE *);

/* The commands: options parsed, positional arguments left. */
int		 cmd_summary(struct opts *, int, char **);
int		 cmd_top(struct opts *, int, char **);
int		 cmd_domain(struct opts *, int, char **);
int		 cmd_reasons(struct opts *, int, char **);
int		 cmd_status(struct opts *, int, char **);
int		 cmd_unrecognised(struct opts *, int, char **);
int		 cmd_explain(struct opts *, int, char **);
int		 cmd_report(struct opts *, int, char **);	/* client_report.c */
int		 cmd_delays(struct opts *, int, char **);	/* client_delays.c */
void		 delays_section(const struct opts *, FILE *);
/* client_html.c: the report as one HTML page on stdout. */
int		 html_report(const struct opts *, int64_t, int64_t, int);
int		 cmd_classify(int, char **);		/* client_classify.c */
int		 cmd_check(struct opts *, int, char **);	/* client_check.c */
/* From now on die() is the plugin's UNKNOWN line and exit status 3. */
void		 check_plugin_mode(void);

/* Lines of the domains and reasons tables, shared by the report. */
void		 domains_table(const struct opts *, json_t *, json_int_t,
		     FILE *, int);
void		 reasons_table(const struct opts *, json_t *, FILE *, int,
		     int);
void		 explain_line(FILE *, int, json_int_t, const char *);

/* client_problems.c.  The failure categories of [since, until) against
 * the period before: {"categories": [{category, count, previous,
 * blame, providers, domains}], "reputation": [{reason, count, previous,
 * providers}]}, largest first; blame, providers and domains are
 * [name, count] pairs, largest first.  The caller frees it. */
json_t		*problems_get(const struct opts *, int64_t, int64_t);
/* A summary of [since, until) grouped by `by`, with the filters of o but
 * skip (or NULL), and category c when not NULL; top rows when > 0. */
json_t		*ask_summary(const struct opts *, int64_t, int64_t,
		     const char *, const char *, const char *, int);
/* Class counts of one period: [0] 2xx, [1] 4xx, [2] 5xx (the report's
 * totals, text and HTML). */
void		 report_class_counts(const struct opts *, int64_t, int64_t,
		     json_int_t[3]);
/* "a 2, b 1": [name, count] pairs in buf. */
const char	*problems_pairs(json_t *, char *, size_t);
/* Who is to blame: the one party's name, or each with its count. */
const char	*problems_blame(json_t *, char *, size_t);
/* One domain's (o's filters) attempts by category and blame. */
json_t		*domain_categories(const struct opts *);
void		 domain_categories_print(json_t *, FILE *);
/* `reasons`' text: by category, then reason, then text; or with
 * --category other the unclassified texts whole. */
void		 reasons_by_category(const struct opts *, json_t *, FILE *);

#endif
