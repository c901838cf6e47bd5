/*
 * client_check: `smtptally check`, a monitoring plugin in the Nagios and
 * Icinga convention (Monitoring Plugins guidelines): one status line
 * "SMTPTALLY STATE - text | perfdata" and the exit status 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN.  Usable from Icinga, Nagios,
 * Zabbix, Sensu and cron.
 *
 * It judges the 4xx and 5xx answers over a window (--since, default 1h)
 * per provider, domain or category, each group with at least
 * --min-attempts attempts; and the daemon's health: lag, the share of
 * log lines not understood, no delivery for a period, a followed source
 * in error.  A threshold with "%" is a share, without one a count.
 * Thresholds come from the command line and from the [check] section of
 * a file (--config); the command line wins.
 *
 * Any failure to ask the daemon is UNKNOWN (die() in smtptally.c turns
 * into the plugin's UNKNOWN line once check_plugin_mode() is called).
 *
 * Not here: counting, SQL; the daemon answers everything asked.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "client.h"
#include "timespec.h"

enum state { ST_OK, ST_WARNING, ST_CRITICAL, ST_UNKNOWN };
static const char *const state_names[] = { "OK", "WARNING", "CRITICAL",
    "UNKNOWN" };

#define CHECK_LINE	1024	/* bytes of one line of the config file */
#define CHECK_FILE_MAX	65536
#define PROBLEMS_MAX	8

/* A threshold: unset, a share (0..1) or a count. */
struct thr {
	int	 set;
	int	 share;
	double	 v;
};

struct check {
	struct opts	 o;
	char		*since, *until, *by, *no_deliveries;	/* owned */
	char		*filter[3];	/* domain, provider, category; owned */
	long		 min_attempts, min_lines;
	struct thr	 w4, c4, w5, c5, wlag, clag, wunrec, cunrec;
	int		 state;
	char		 text[PROBLEMS_MAX][160];
	int		 ntext;
	char		 summary[256];	/* the line when nothing is wrong */
	char		 perf[2048];
};

enum {
	OPT_SINCE = 0x100, OPT_UNTIL, OPT_BY, OPT_MIN, OPT_W4, OPT_C4, OPT_W5,
	OPT_C5, OPT_WLAG, OPT_CLAG, OPT_WUN, OPT_CUN, OPT_MINLINES, OPT_NODEL,
	OPT_DOMAIN, OPT_PROVIDER, OPT_CATEGORY, OPT_CONFIG, OPT_HELP
};

static const struct option longopts[] = {
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "by", required_argument, NULL, OPT_BY },
	{ "min-attempts", required_argument, NULL, OPT_MIN },
	{ "warning-4xx", required_argument, NULL, OPT_W4 },
	{ "critical-4xx", required_argument, NULL, OPT_C4 },
	{ "warning-5xx", required_argument, NULL, OPT_W5 },
	{ "critical-5xx", required_argument, NULL, OPT_C5 },
	{ "warning-lag", required_argument, NULL, OPT_WLAG },
	{ "critical-lag", required_argument, NULL, OPT_CLAG },
	{ "warning-unrecognised", required_argument, NULL, OPT_WUN },
	{ "critical-unrecognised", required_argument, NULL, OPT_CUN },
	{ "min-lines", required_argument, NULL, OPT_MINLINES },
	{ "no-deliveries", required_argument, NULL, OPT_NODEL },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "provider", required_argument, NULL, OPT_PROVIDER },
	{ "category", required_argument, NULL, OPT_CATEGORY },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static void
check_usage(FILE *f)
{
	fputs("usage: smtptally check [--since 1h] [--by provider|domain|"
	    "category|all]\n"
	    "       [--min-attempts N] [--warning-4xx T] [--critical-4xx T]\n"
	    "       [--warning-5xx T] [--critical-5xx T] [--warning-lag B]\n"
	    "       [--critical-lag B] [--warning-unrecognised T]\n"
	    "       [--critical-unrecognised T] [--min-lines N]\n"
	    "       [--no-deliveries DURATION] [--domain D] [--provider P]\n"
	    "       [--category C] [--until TIME] [--config FILE]\n"
	    "A threshold T with % is a share (5%), without one a count.\n"
	    "Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n", f);
}

/* The UNKNOWN line for a usage error, then exit 3. */
static void
bad(const char *fmt, ...)
    __attribute__((__format__(printf, 1, 2), __noreturn__));
static void
bad(const char *fmt, ...)
{
	va_list	 ap;

	printf("SMTPTALLY UNKNOWN - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(ST_UNKNOWN);
}

/* "5%" (a share) or "30" (a count). */
static void
parse_thr(struct thr *t, const char *name, const char *v)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(v, &end);
	if (end == v || errno != 0 || d < 0 || (*end != '\0' &&
	    strcmp(end, "%") != 0))
		bad("--%s %s: not a count or a share like 5%%", name, v);
	t->set = 1;
	t->share = *end == '%';
	t->v = t->share ? d / 100 : d;
	if (t->share && t->v > 1)
		bad("--%s %s: a share is at most 100%%", name, v);
}

static long
parse_count(const char *name, const char *v)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || n < 0)
		bad("--%s %s: not a count", name, v);
	return n;
}

static void read_config(struct check *, const char *);

/* A copy of V in *SLOT, in place of what was there (the file's value, then
 * the command line's). */
static void
keep(char **slot, const char *v)
{
	char	*copy;

	if ((copy = strdup(v)) == NULL)
		bad("out of memory");
	free(*slot);
	*slot = copy;
}

/* One option, from the command line or the file (a line buffer: strings
 * are copied). */
static void
apply(struct check *c, int id, const char *name, const char *v)
{
	switch (id) {
	case OPT_SINCE:		keep(&c->since, v); break;
	case OPT_UNTIL:		keep(&c->until, v); break;
	case OPT_BY:
		if (strcmp(v, "provider") != 0 && strcmp(v, "domain") != 0 &&
		    strcmp(v, "category") != 0 && strcmp(v, "all") != 0)
			bad("--by %s: provider, domain, category or all", v);
		keep(&c->by, v);
		break;
	case OPT_MIN:		c->min_attempts = parse_count(name, v); break;
	case OPT_MINLINES:	c->min_lines = parse_count(name, v); break;
	case OPT_W4:		parse_thr(&c->w4, name, v); break;
	case OPT_C4:		parse_thr(&c->c4, name, v); break;
	case OPT_W5:		parse_thr(&c->w5, name, v); break;
	case OPT_C5:		parse_thr(&c->c5, name, v); break;
	case OPT_WLAG:		parse_thr(&c->wlag, name, v); break;
	case OPT_CLAG:		parse_thr(&c->clag, name, v); break;
	case OPT_WUN:		parse_thr(&c->wunrec, name, v); break;
	case OPT_CUN:		parse_thr(&c->cunrec, name, v); break;
	case OPT_NODEL:		keep(&c->no_deliveries, v); break;
	case OPT_DOMAIN:	keep(&c->filter[0], v); break;
	case OPT_PROVIDER:	keep(&c->filter[1], v); break;
	case OPT_CATEGORY:	keep(&c->filter[2], v); break;
	case OPT_CONFIG:	read_config(c, v); break;
	default:
		bad("--%s: not an option of check", name);
	}
}

/* The [check] section of a file: "name = value" lines, names as the long
 * options; lines before any section count too.  # starts a comment. */
static void
read_config(struct check *c, const char *path)
{
	FILE		*f;
	char		 line[CHECK_LINE], *k, *v, *e;
	const struct option *lo;
	int		 in = 1, lineno = 0;
	long		 bytes = 0;

	if ((f = fopen(path, "r")) == NULL)
		bad("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if ((bytes += (long)strlen(line)) > CHECK_FILE_MAX)
			bad("%s: larger than 64 KiB", path);
		for (k = line; isspace((unsigned char)*k); k++)
			;
		for (e = k + strlen(k); e > k && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (*k == '\0' || *k == '#')
			continue;
		if (*k == '[') {
			in = strcmp(k, "[check]") == 0;
			continue;
		}
		if (!in)
			continue;
		if ((v = strchr(k, '=')) == NULL) {
			fclose(f);
			printf("SMTPTALLY UNKNOWN - %s:%d: not name = value\n",
			    path, lineno);
			exit(ST_UNKNOWN);
		}
		for (e = v; e > k && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		for (v++; isspace((unsigned char)*v); v++)
			;
		for (e = k; *e != '\0'; e++)
			if (*e == '_')
				*e = '-';
		for (lo = longopts; lo->name != NULL; lo++)
			if (strcmp(lo->name, k) == 0)
				break;
		if (lo->name == NULL || lo->val == OPT_CONFIG ||
		    lo->val == OPT_HELP) {
			fclose(f);
			printf("SMTPTALLY UNKNOWN - %s:%d: unknown key '%s'\n",
			    path, lineno, k);
			exit(ST_UNKNOWN);
		}
		apply(c, lo->val, lo->name, v);
	}
	fclose(f);
}

static void
raise_to(struct check *c, int st)
{
	if (st > c->state)
		c->state = st;
}

static void
problem(struct check *c, int st, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));
static void
problem(struct check *c, int st, const char *fmt, ...)
{
	va_list	 ap;

	raise_to(c, st);
	if (c->ntext == PROBLEMS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(c->text[c->ntext++], sizeof c->text[0], fmt, ap);
	va_end(ap);
}

static void
perf(struct check *c, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));
static void
perf(struct check *c, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n = strlen(c->perf);

	if (n + 2 >= sizeof c->perf)
		return;
	if (n > 0)
		c->perf[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(c->perf + n, sizeof c->perf - n, fmt, ap);
	va_end(ap);
}

/* A threshold as perfdata writes it: the share in percent, or the count;
 * "" when unset or of the other kind. */
static const char *
thr_perf(const struct thr *t, int share, char *buf, size_t len)
{
	if (!t->set || t->share != share)
		return "";
	if (share)
		snprintf(buf, len, "%g", t->v * 100);
	else
		snprintf(buf, len, "%.0f", t->v);
	return buf;
}

/* Whether n of total breaks t (a share of total, or a count). */
static int
breaks(const struct thr *t, json_int_t n, json_int_t total)
{
	if (!t->set)
		return 0;
	if (t->share)
		return total > 0 && (double)n / (double)total >= t->v;
	return (double)n >= t->v;
}

static void
range(struct check *c, struct target *t)
{
	target_add(t, "since", c->since);
	if (c->until != NULL)
		target_add(t, "until", c->until);
}

struct group {
	char		 name[256];
	json_int_t	 n, n4, n5;
};

/* The 4xx and 5xx answers per group over the window. */
static void
judge_classes(struct check *c)
{
	struct target	 t;
	json_t		*j, *row;
	struct group	*g = NULL, all;
	size_t		 i, k, ng = 0;
	const char	*name, *cls, *filt[3] = { "domain", "provider",
			    "category" };
	int		 bycat = strcmp(c->by, "category") == 0, grouped;
	json_int_t	 n;
	char		 a[32], b[32], d[32], e[32];
	const char	*worst = NULL;
	double		 w4 = 0, w5 = 0;

	grouped = strcmp(c->by, "all") != 0;
	target_init(&t, API_SUMMARY);
	range(c, &t);
	target_add(&t, "direction", "out");
	target_add(&t, "kind", "attempt");
	target_add(&t, "by", grouped ? (bycat ? "category,class" :
	    strcmp(c->by, "domain") == 0 ? "domain,class" :
	    "provider,class") : "class");
	for (i = 0; i < 3; i++)
		if (c->filter[i] != NULL)
			target_add(&t, filt[i], c->filter[i]);
	j = client_ask(&c->o, &t);
	memset(&all, 0, sizeof all);
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		name = grouped ? jtext(row, c->by) : "all";
		cls = jtext(row, "class");
		n = jint(row, "count");
		if (name == NULL || cls == NULL)
			continue;
		for (k = 0; k < ng; k++)
			if (strcmp(g[k].name, name) == 0)
				break;
		if (k == ng) {
			if ((g = realloc(g, (ng + 1) * sizeof *g)) == NULL)
				bad("out of memory");
			memset(&g[ng], 0, sizeof g[ng]);
			snprintf(g[ng].name, sizeof g[ng].name, "%s", name);
			ng++;
		}
		g[k].n += n;
		all.n += n;
		if (strcmp(cls, "4xx") == 0) {
			g[k].n4 += n;
			all.n4 += n;
		} else if (strcmp(cls, "5xx") == 0) {
			g[k].n5 += n;
			all.n5 += n;
		}
	}
	json_decref(j);

	perf(c, "attempts=%lld", (long long)all.n);
	perf(c, "'4xx'=%.2f%%;%s;%s;0;100", all.n ? 100.0 * all.n4 / all.n :
	    0, thr_perf(&c->w4, 1, a, sizeof a), thr_perf(&c->c4, 1, b,
	    sizeof b));
	perf(c, "'5xx'=%.2f%%;%s;%s;0;100", all.n ? 100.0 * all.n5 / all.n :
	    0, thr_perf(&c->w5, 1, d, sizeof d), thr_perf(&c->c5, 1, e,
	    sizeof e));
	for (k = 0; k < ng; k++) {
		/* a category's failures against all attempts: within a
		 * category every attempt has the same class */
		json_int_t	 den = bycat ? all.n : g[k].n;
		int		 s4, s5;

		if (den < c->min_attempts)
			continue;
		s5 = breaks(&c->c5, g[k].n5, den) ? ST_CRITICAL :
		    breaks(&c->w5, g[k].n5, den) ? ST_WARNING : ST_OK;
		s4 = breaks(&c->c4, g[k].n4, den) ? ST_CRITICAL :
		    breaks(&c->w4, g[k].n4, den) ? ST_WARNING : ST_OK;
		if (s5 != ST_OK)
			problem(c, s5, "%s 5xx %.1f%% (%lld of %lld)",
			    g[k].name, 100.0 * g[k].n5 / den,
			    (long long)g[k].n5, (long long)den);
		if (s4 != ST_OK)
			problem(c, s4, "%s 4xx %.1f%% (%lld of %lld)",
			    g[k].name, 100.0 * g[k].n4 / den,
			    (long long)g[k].n4, (long long)den);
		if (den > 0 && (worst == NULL ||
		    (double)g[k].n5 / den > w5)) {
			worst = g[k].name;
			w5 = (double)g[k].n5 / den;
			w4 = (double)g[k].n4 / den;
		}
	}
	if (worst != NULL && grouped)
		perf(c, "'worst_5xx'=%.2f%%;%s;%s;0;100 'worst_4xx'=%.2f%%",
		    100 * w5, thr_perf(&c->w5, 1, a, sizeof a),
		    thr_perf(&c->c5, 1, b, sizeof b), 100 * w4);
	snprintf(c->summary, sizeof c->summary, "%lld attempts since %s, "
	    "4xx %.1f%%, 5xx %.1f%%%s%s", (long long)all.n, c->since,
		    all.n ? 100.0 * all.n4 / all.n : 0,
		    all.n ? 100.0 * all.n5 / all.n : 0,
		    worst != NULL ? "; worst " : "", worst != NULL ?
		    worst : "");
	free(g);
}

/* No 2xx at all over --no-deliveries. */
static void
judge_deliveries(struct check *c)
{
	struct target	 t;
	json_t		*j, *row;
	size_t		 i;
	json_int_t	 n2 = 0;

	if (c->no_deliveries == NULL)
		return;
	target_init(&t, API_SUMMARY);
	target_add(&t, "since", c->no_deliveries);
	if (c->until != NULL)
		target_add(&t, "until", c->until);
	target_add(&t, "direction", "out");
	target_add(&t, "kind", "attempt");
	target_add(&t, "by", "class");
	j = client_ask(&c->o, &t);
	json_array_foreach(json_object_get(j, "rows"), i, row)
		if (jtext(row, "class") != NULL &&
		    strcmp(jtext(row, "class"), "2xx") == 0)
			n2 += jint(row, "count");
	json_decref(j);
	perf(c, "delivered=%lld", (long long)n2);
	if (n2 == 0)
		problem(c, ST_CRITICAL, "no delivery since %s",
		    c->no_deliveries);
}

/* Lag and sources in error, from /v1/status; the share of lines not
 * understood over the window, from /v1/lines. */
static void
judge_health(struct check *c)
{
	struct target	 t;
	json_t		*j, *f, *row;
	size_t		 i;
	json_int_t	 lag, lines = 0, unrec = 0;
	const char	*err, *st;
	char		 a[32], b[32];

	target_init(&t, API_STATUS);
	j = client_ask(&c->o, &t);
	lag = jint(j, "lag_bytes");
	json_array_foreach(json_object_get(j, "files"), i, f) {
		err = jtext(f, "error");
		st = jtext(f, "state");
		if ((err != NULL && *err != '\0') ||
		    (st != NULL && strcmp(st, "lost") == 0))
			problem(c, ST_CRITICAL, "%s: %s", jtext(f, "path"),
			    err != NULL && *err != '\0' ? err : st);
	}
	json_decref(j);
	perf(c, "lag=%lldB;%s;%s;0", (long long)lag,
	    thr_perf(&c->wlag, 0, a, sizeof a), thr_perf(&c->clag, 0, b,
	    sizeof b));
	if (breaks(&c->clag, lag, 0))
		problem(c, ST_CRITICAL, "%lld bytes behind the logs",
		    (long long)lag);
	else if (breaks(&c->wlag, lag, 0))
		problem(c, ST_WARNING, "%lld bytes behind the logs",
		    (long long)lag);

	target_init(&t, API_LINES);
	range(c, &t);
	j = client_ask(&c->o, &t);
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		lines += jint(row, "count");
		if (jtext(row, "result") != NULL &&
		    strcmp(jtext(row, "result"), "unrecognised") == 0)
			unrec += jint(row, "count");
	}
	json_decref(j);
	perf(c, "'unrecognised'=%.2f%%;%s;%s;0;100", lines ?
	    100.0 * unrec / lines : 0, thr_perf(&c->wunrec, 1, a, sizeof a),
	    thr_perf(&c->cunrec, 1, b, sizeof b));
	if (lines < c->min_lines)
		return;
	if (breaks(&c->cunrec, unrec, lines))
		problem(c, ST_CRITICAL, "%.1f%% of the log lines not "
		    "understood", 100.0 * unrec / lines);
	else if (breaks(&c->wunrec, unrec, lines))
		problem(c, ST_WARNING, "%.1f%% of the log lines not "
		    "understood", 100.0 * unrec / lines);
}

/* See the top of the file. */
int
cmd_check(struct opts *o, int argc, char **argv)
{
	struct check	 c;
	int		 ch, i;
	int64_t		 t;

	memset(&c, 0, sizeof c);
	if (o != NULL)
		c.o = *o;
	c.o.cmd = "check";
	check_plugin_mode();
	keep(&c.since, "1h");
	keep(&c.by, "provider");
	c.min_attempts = 20;
	c.min_lines = 100;
	parse_thr(&c.w4, "warning-4xx", "20%");
	parse_thr(&c.c4, "critical-4xx", "40%");
	parse_thr(&c.w5, "warning-5xx", "5%");
	parse_thr(&c.c5, "critical-5xx", "10%");
	parse_thr(&c.wlag, "warning-lag", "10000000");
	parse_thr(&c.clag, "critical-lag", "100000000");
	parse_thr(&c.wunrec, "warning-unrecognised", "1%");
	parse_thr(&c.cunrec, "critical-unrecognised", "5%");
	/* The file first (wherever --config is), then the command line. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			read_config(&c, argv[i + 1]);
		else if (strncmp(argv[i], "--config=", 9) == 0)
			read_config(&c, argv[i] + 9);
	}
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch == OPT_HELP) {
			check_usage(stdout);
			exit(ST_OK);
		}
		if (ch == OPT_CONFIG)
			continue;
		if (ch == '?' || ch == ':')
			bad("%s: unknown option or missing value (smtptally "
			    "check --help)", argv[optind - 1]);
		for (i = 0; longopts[i].name != NULL; i++)
			if (longopts[i].val == ch)
				break;
		apply(&c, ch, longopts[i].name, optarg);
	}
	if (optind < argc)
		bad("unexpected argument '%s'", argv[optind]);
	if (timespec_parse(c.since, (int64_t)time(NULL), &t) == -1)
		bad("--since %s: not a time (1h, 24h, today, RFC 3339)",
		    c.since);
	if (c.no_deliveries != NULL && timespec_parse(c.no_deliveries,
	    (int64_t)time(NULL), &t) == -1)
		bad("--no-deliveries %s: not a time (1h, 24h)",
		    c.no_deliveries);

	judge_health(&c);
	judge_deliveries(&c);
	judge_classes(&c);

	printf("SMTPTALLY %s - ", state_names[c.state]);
	if (c.ntext == 0)
		fputs(c.summary, stdout);
	/* The texts name domains and paths: escaped for the console. */
	for (i = 0; i < c.ntext; i++) {
		fputs(i ? "; " : "", stdout);
		out_text(stdout, c.text[i]);
	}
	printf(" | %s\n", c.perf);
	free(c.since);
	free(c.until);
	free(c.by);
	free(c.no_deliveries);
	for (i = 0; i < 3; i++)
		free(c.filter[i]);
	return c.state;
}
