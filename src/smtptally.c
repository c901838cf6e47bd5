/*
 * smtptally: the client a postmaster types.  It asks smtptallyd over its
 * Unix socket and prints tables, CSV, raw JSON, or the plain-text report
 * for cron mail; `explain` and `classify` answer without the daemon.
 *
 * This file is main, the table of commands (name, handler, arguments,
 * options, help) and the table of options; options go anywhere on the
 * line, and an option a command does not take is an error.  The commands
 * live in client_cmd.c, client_report.c and client_classify.c.
 *
 * Exit status: 0 done, 1 the daemon could not be asked or answered badly
 * (or, for status, a followed log cannot be read), 2 usage error.
 *
 * Not here: SQL, the counting rules (the daemon owns them).
 */
#include "config.h"

#include <sys/ioctl.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "client.h"
#include "timespec.h"

static const char *progname = "smtptally";
static int plugin_mode;		/* check: failures are UNKNOWN (3) */

/* See client.h. */
void
check_plugin_mode(void)
{
	plugin_mode = 1;
}

/* Print a message and leave with the given status. */
void
die(int code, const char *fmt, ...)
{
	va_list	 ap;

	if (plugin_mode) {
		fputs("SMTPTALLY UNKNOWN - ", stdout);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
		exit(3);
	}
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

struct command {
	const char	*name;
	const char	*args;		/* for usage: "NAME", "" */
	int		 min, max;	/* positional arguments */
	unsigned	 opts;		/* O_* it takes */
	int		 need_daemon;
	int		 (*fn)(struct opts *, int, char **);
	const char	*help;
};

#define O_VIEW	(O_RANGE | O_FORMAT | O_FILTERS | O_COLOR | O_UTC)

static const struct command commands[] = {
	{ "summary", "", 0, 0, O_VIEW | O_BY | O_TOP | O_WIDE | O_ALL, 1,
	  cmd_summary, "counts by class, or grouped by --by KEY,..." },
	{ "top", "", 0, 0, O_VIEW | O_TOP | O_ALL, 1, cmd_top,
	  "busiest recipient domains, deferral and bounce shares "
	  "(outgoing unless --direction)" },
	{ "domain", "NAME", 1, 1, O_VIEW | O_TOP | O_WIDE, 1, cmd_domain,
	  "one recipient domain: its codes, in words, and its reasons" },
	{ "reasons", "", 0, 0, O_VIEW | O_TOP | O_WIDE | O_ALL, 1, cmd_reasons,
	  "the reply texts remote servers gave, with counts" },
	{ "delays", "", 0, 0, O_VIEW | O_BY | O_TOP, 1, cmd_delays,
	  "delivery delays by stage, or the whole delay --by domain or "
	  "provider" },
	{ "status", "", 0, 0, O_FORMAT | O_WIDE | O_UTC, 1, cmd_status,
	  "the daemon: followed files, offsets, lag, problems" },
	{ "unrecognised", "", 0, 0, O_FORMAT | O_UTC, 1, cmd_unrecognised,
	  "the last log lines the daemon did not recognise (20 per file "
	  "or journal), with where they are" },
	{ "report", "", 0, 0, O_RANGE | O_FILTERS | O_UTC | O_HTML, 1, cmd_report,
	  "plain-text report of a period (default the last 24 hours) for "
	  "cron mail" },
	{ "explain", "CODE [ENHANCED]", 1, 2, 0, 0, cmd_explain,
	  "what a reply code or an enhanced status code means" },
	{ "check", "", 0, 0, 0, 1, NULL,
	  "monitoring plugin: OK, WARNING, CRITICAL or UNKNOWN with "
	  "perfdata (see help check)" },
	{ "classify", "'REPLY'", 0, 1, 0, 0, NULL,
	  "category, blame and the rule that matched (see help classify)" },
	{ "help", "[COMMAND]", 0, 1, 0, 0, NULL,
	  "this list, or one command's options" },
};
#define NCOMMANDS	(sizeof commands / sizeof commands[0])

/* The options; the filters follow, from api_filters. */
enum { OPT_SINCE = 256, OPT_UNTIL, OPT_BY, OPT_TOP, OPT_JSON, OPT_CSV,
    OPT_WIDE, OPT_COLOR, OPT_UTC, OPT_ALL, OPT_HTML, OPT_SOCKET, OPT_HELP,
    OPT_FILTER };

static const struct option_help {
	int		 val;
	const char	*name;
	int		 has_arg;
	unsigned	 bit;
	const char	*arg, *help;
} options[] = {
	{ OPT_SINCE, "since", 1, O_RANGE, "T",
	  "from T: 1h 24h 7d 2w, today, yesterday, 2026-11-29, "
	  "2026-11-29T08:00 (local time) or RFC 3339" },
	{ OPT_UNTIL, "until", 1, O_RANGE, "T", "up to T (default now)" },
	{ OPT_BY, "by", 1, O_BY, "KEYS", "group by class reply enhanced "
	  "domain status kind direction mta hop host hour day category "
	  "blame provider reason (up to 4, comma-separated)" },
	{ OPT_TOP, "top", 1, O_TOP, "N", "at most N rows (1-100000)" },
	{ OPT_JSON, "json", 0, O_FORMAT, NULL, "the daemon's JSON (-j)" },
	{ OPT_CSV, "csv", 0, O_FORMAT, NULL, "the rows as CSV (-c)" },
	{ OPT_WIDE, "wide", 0, O_WIDE, NULL,
	  "never cut texts to the terminal's width" },
	{ OPT_COLOR, "color", 2, O_COLOR, "[=WHEN]",
	  "auto (a terminal, no NO_COLOR), always or never" },
	{ OPT_UTC, "utc", 0, O_UTC, NULL,
	  "times in UTC, not the local zone (TZ)" },
	{ OPT_ALL, "all", 0, O_ALL, NULL,
	  "every row, fetched a page at a time, as CSV or JSON lines" },
	{ OPT_HTML, "html", 0, O_HTML, NULL,
	  "one HTML page with inline SVG charts, for mail" },
};
#define NOPTIONS	(sizeof options / sizeof options[0])

/* The command of that name, or NULL. */
static const struct command *
command_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* "--since T" as help spells it. */
static void
print_option(FILE *f, const char *name, const char *arg, const char *help)
{
	char	 left[64];

	snprintf(left, sizeof left, "--%s%s%s", name, arg != NULL &&
	    arg[0] != '[' ? " " : "", arg != NULL ? arg : "");
	if (strlen(left) > 22) {
		fprintf(f, "  %s\n", left);
		wrapped(f, 2, 22, "", help);
	} else
		wrapped(f, 2, 22, left, help);
}

/* The options one command takes (all of them for bits ~0); skip names
 * a filter left out. */
static void
print_options(FILE *f, unsigned bits, const char *skip)
{
	size_t	 i;

	for (i = 0; i < NOPTIONS; i++)
		if (bits & options[i].bit)
			print_option(f, options[i].name, options[i].arg,
			    options[i].help);
	if (bits & O_FILTERS)
		for (i = 0; i < API_F_COUNT; i++)
			if (skip == NULL || strcmp(skip, api_filters[i].name))
				print_option(f, api_filters[i].name,
				    api_filters[i].arg, api_filters[i].help);
}

/* smtptally --help: every command and every option. */
static void
usage(FILE *f)
{
	size_t	 i;
	char	 left[64];

	fprintf(f, "usage: smtptally [-s socket] command [arguments] "
	    "[options]\n"
	    "       smtptally help [command] | --help | --version\n"
	    "commands:\n");
	for (i = 0; i < NCOMMANDS; i++) {
		snprintf(left, sizeof left, "%s %s", commands[i].name,
		    commands[i].args);
		wrapped(f, 2, 22, left, commands[i].help);
	}
	fprintf(f, "options (each command takes some; smtptally help "
	    "COMMAND lists them):\n");
	print_option(f, "socket", "PATH", "the daemon's socket (-s; "
	    "SMTPTALLY_SOCKET; default " API_SOCKET_DEFAULT ")");
	print_options(f, ~0U, NULL);
}

/* smtptally help CMD, CMD --help. */
static void
command_usage(FILE *f, const struct command *c)
{
	if (strcmp(c->name, "classify") == 0) {
		char	 a0[] = "classify", a1[] = "--help";
		char	*argv[] = { a0, a1, NULL };

		fflush(f);
		exit(cmd_classify(2, argv));
	}
	if (strcmp(c->name, "check") == 0) {
		char	 a0[] = "check", a1[] = "--help";
		char	*argv[] = { a0, a1, NULL };

		fflush(f);
		exit(cmd_check(NULL, 2, argv));
	}
	fprintf(f, "usage: smtptally %s%s%s%s\n", c->name,
	    *c->args ? " " : "", c->args, c->opts ? " [options]" : "");
	wrapped(f, 2, 0, "", c->help);
	if (c->opts) {
		fprintf(f, "options:\n");
		print_options(f, c->opts, strcmp(c->name, "domain") == 0 ?
		    "domain" : NULL);
	}
	if (c->need_daemon)
		print_option(f, "socket", "PATH", "the daemon's socket (-s)");
}

/* A usage error: what was wrong, and where to read more. */
static void __attribute__((__noreturn__))
usage_error(const struct command *c, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", progname);
	if (c != NULL)
		fprintf(stderr, "%s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (smtptally help%s%s)\n", c != NULL ? " " : "",
	    c != NULL ? c->name : "");
	exit(EXIT_USAGE);
}

/* Local midnight of the day holding t, plus days. */
static int64_t
local_midnight(int64_t t, int days, int utc)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (utc)
		return t - t % 86400 + (int64_t)days * 86400;
	localtime_r(&tt, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* A date or date and time without a zone, in the local zone (or UTC). */
static int
local_time(const char *v, int utc, int64_t *t)
{
	struct tm	 tm;
	char		 buf[TIMESPEC_MAX + 8];
	const char	*end;

	memset(&tm, 0, sizeof tm);
	if ((end = strptime(v, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*end == 'T' || *end == ' ') {
		if ((end = strptime(end + 1, "%H:%M", &tm)) == NULL)
			return -1;
		if (*end == ':' && (end = strptime(end + 1, "%S",
		    &tm)) == NULL)
			return -1;
	}
	if (*end != '\0')
		return -1;
	if (utc) {
		snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		return timespec_parse(buf, 0, t);
	}
	tm.tm_isdst = -1;
	*t = (int64_t)mktime(&tm);
	return 0;
}

/* --since/--until into UTC seconds here, so both periods agree; days
 * and times a person types are local unless --utc. */
static void
set_time(const char *opt, const char *v, int64_t now, int utc, int64_t *t,
    int *has)
{
	if (strcmp(v, "today") == 0)
		*t = local_midnight(now, 0, utc);
	else if (strcmp(v, "yesterday") == 0)
		*t = local_midnight(now, -1, utc);
	else if (local_time(v, utc, t) == -1 &&
	    timespec_parse(v, now, t) == -1)
		die(EXIT_USAGE, "%s %s: not a time (1h, 24h, 7d, today, "
		    "yesterday, 2026-11-29, 2026-11-29T08:00, "
		    "2026-11-29T00:00:00Z)", opt, v);
	*has = 1;
}

/* Columns of the terminal on stdout, else COLUMNS, else WIDTH. */
static int
term_cols(void)
{
	struct winsize	 ws;
	const char	*s;
	int		 n;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ,
	    &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if ((s = getenv("COLUMNS")) != NULL && (n = atoi(s)) > 20)
		return n;
	return WIDTH;
}

/* Parse the command's options, anywhere on the line: GNU getopt
 * permutes, so the positional arguments end up at argv[optind...]. */
static void
parse_options(const struct command *c, struct opts *o, int argc,
    char **argv)
{
	struct option	 lo[NOPTIONS + API_F_COUNT + 4];
	const char	*since = NULL, *until = NULL, *color = "auto";
	char		*end;
	int		 ch, n = 0, idx;
	size_t		 i;
	int64_t		 now = time(NULL);
	long		 v;

	for (i = 0; i < NOPTIONS; i++)
		lo[n++] = (struct option){ options[i].name,
		    options[i].has_arg == 2 ? optional_argument :
		    options[i].has_arg ? required_argument : no_argument,
		    NULL, options[i].val };
	for (i = 0; i < API_F_COUNT; i++)
		lo[n++] = (struct option){ api_filters[i].name,
		    required_argument, NULL, OPT_FILTER + (int)i };
	lo[n++] = (struct option){ "socket", required_argument, NULL,
	    OPT_SOCKET };
	lo[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };

	/* optind 0: a full restart of GNU getopt, which permutes. */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:jch", lo, &idx)) != -1) {
		unsigned	 bit = 0;
		const char	*name = NULL;

		for (i = 0; i < NOPTIONS; i++)
			if (options[i].val == ch) {
				bit = options[i].bit;
				name = options[i].name;
			}
		if (ch == 'j' || ch == 'c') {
			bit = O_FORMAT;
			name = ch == 'j' ? "json" : "csv";
			ch = ch == 'j' ? OPT_JSON : OPT_CSV;
		}
		if (ch >= OPT_FILTER) {
			bit = O_FILTERS;
			name = api_filters[ch - OPT_FILTER].name;
		}
		if (bit != 0 && !(c->opts & bit))
			usage_error(c, "--%s does not apply here", name);
		/* delays are kept by domain, provider and class only */
		if (ch >= OPT_FILTER && strcmp(c->name, "delays") == 0 &&
		    ch != OPT_FILTER + API_F_DOMAIN &&
		    ch != OPT_FILTER + API_F_PROVIDER &&
		    ch != OPT_FILTER + API_F_CLASS &&
		    ch != OPT_FILTER + API_F_DIRECTION)
			usage_error(c, "--%s does not apply here: delays are "
			    "kept by domain, provider and class", name);
		/* domain NAME: the name is the domain filter. */
		if (ch == OPT_FILTER + API_F_DOMAIN &&
		    strcmp(c->name, "domain") == 0)
			usage_error(c, "--domain does not apply here: the "
			    "domain is the argument");
		switch (ch) {
		case OPT_SINCE:
			since = optarg;
			break;
		case OPT_UNTIL:
			until = optarg;
			break;
		case OPT_BY:
			o->by = optarg;
			break;
		case OPT_TOP:
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > API_TOP_MAX)
				usage_error(c, "--top %s: want a number from "
				    "1 to %d", optarg, API_TOP_MAX);
			o->top = (int)v;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_CSV:
			o->csv = 1;
			break;
		case OPT_WIDE:
			o->wide = 1;
			break;
		case OPT_COLOR:
			color = optarg != NULL ? optarg : "always";
			break;
		case OPT_UTC:
			o->utc = 1;
			break;
		case OPT_ALL:
			o->all = 1;
			break;
		case OPT_HTML:
			o->html = 1;
			break;
		case 's':
		case OPT_SOCKET:
			o->sock = optarg;
			break;
		case 'h':
		case OPT_HELP:
			command_usage(stdout, c);
			exit(EXIT_OK);
		case '?':
		case ':':
			if (optopt != 0 && optopt < 256)
				usage_error(c, ch == ':' ? "-%c needs a value" :
				    "unknown option -%c", optopt);
			if (ch == ':' || (optopt != 0 && optopt >= 256))
				usage_error(c, "%s needs a value",
				    argv[optind - 1]);
			usage_error(c, "unknown option '%s'",
			    argv[optind - 1]);
		default:
			if (ch >= OPT_FILTER && ch < OPT_FILTER + API_F_COUNT)
				o->filter[ch - OPT_FILTER] = optarg;
			break;
		}
	}
	if (o->json && o->csv)
		usage_error(c, "--json and --csv: choose one");
	if (strcmp(color, "always") == 0)
		o->color = 1;
	else if (strcmp(color, "never") == 0)
		o->color = 0;
	else if (strcmp(color, "auto") == 0)
		o->color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") ==
		    NULL && !o->json && !o->csv;
	else
		usage_error(c, "--color=%s: want auto, always or never", color);
	if (since != NULL)
		set_time("--since", since, now, o->utc, &o->since,
		    &o->has_since);
	if (until != NULL)
		set_time("--until", until, now, o->utc, &o->until,
		    &o->has_until);
	/* "--since yesterday" alone means all of yesterday. */
	if (since != NULL && strcmp(since, "yesterday") == 0 && !o->has_until) {
		o->until = local_midnight(now, 0, o->utc);
		o->has_until = 1;
	}
	if (o->has_since && o->has_until && o->since >= o->until)
		usage_error(c, "--since must be before --until");
}

int
main(int argc, char **argv)
{
	static const struct option globalopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command	*c;
	struct opts		 o;
	char			**pos;
	int			 ch, npos = 0;

	memset(&o, 0, sizeof o);
	if ((o.sock = getenv("SMTPTALLY_SOCKET")) == NULL)
		o.sock = API_SOCKET_DEFAULT;
	/* Global options before the command. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+s:hV", globalopts, NULL)) !=
	    -1) {
		if (ch == 's')
			o.sock = optarg;
		else if (ch == 'V') {
			printf("smtptally %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		} else if (ch == 'h') {
			usage(stdout);
			return EXIT_OK;
		} else if (optopt == 's')
			usage_error(NULL, "-s needs the daemon's socket path");
		else
			usage_error(NULL, "unknown option '%s' before the "
			    "command", argv[optind - 1]);
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		fprintf(stderr, "%s: which command?\n", progname);
		return EXIT_USAGE;
	}
	if ((c = command_find(argv[0])) == NULL)
		usage_error(NULL, "unknown command '%s'", argv[0]);
	o.cmd = c->name;
	if (strcmp(c->name, "classify") == 0)		/* its own options */
		return cmd_classify(argc, argv);
	if (strcmp(c->name, "check") == 0)		/* its own options */
		return cmd_check(&o, argc, argv);
	if (strcmp(c->name, "help") == 0) {
		const struct command	*h;

		if (argc == 1) {
			usage(stdout);
			return EXIT_OK;
		}
		if (argc > 2)
			usage_error(c, "one command at a time");
		if ((h = command_find(argv[1])) == NULL)
			usage_error(c, "unknown command '%s'", argv[1]);
		if (strcmp(h->name, "help") == 0)
			usage(stdout);
		else
			command_usage(stdout, h);
		return EXIT_OK;
	}
	/* Positional arguments: what getopt leaves after permuting. */
	parse_options(c, &o, argc, argv);
	pos = argv + optind;
	npos = argc - optind;
	if (npos < c->min)
		usage_error(c, "missing %s (usage: smtptally %s %s)", c->args,
		    c->name, c->args);
	if (npos > c->max)
		usage_error(c, "unexpected argument '%s'", pos[c->max]);
	o.cols = term_cols();
	return c->fn(&o, npos, pos);
}
