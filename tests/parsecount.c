/*
 * parsecount: run the parser over log files and print what it made of
 * them.  Used by the corpus test, the quick start (before a daemon runs)
 * and the parse-only benchmark.  Not installed.
 *
 * usage: parsecount [-M] [-e] [-u] [-m postfix|exim] [-r reftime] file...
 *   -M  lines are message parts only (no stamp, host or tag)
 *   -e  print every event, tab-separated (the hop last)
 *   -u  print every unrecognised line
 */
#include "config.h"

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

#define LINE_MAX_LEN	(64 * 1024)
#define BUF_LEN		(1024 * 1024)

static uint64_t	 events[3][2][4][7];
static uint64_t	 hops[3][4];
static uint64_t	 results[4], lines, longlines;
static int	 eflag, uflag, Mflag;
static enum mta	 hint = MTA_UNKNOWN;
static struct parse_ctx ctx;
static struct parse_cache cache;

static void
one(const char *line, size_t len)
{
	struct event		 ev;
	enum parse_result	 r;

	lines++;
	if (Mflag)
		r = parse_message(&ctx, hint, line, len, &ev);
	else
		r = parse_line(&ctx, hint, line, len, &ev);
	results[r]++;
	if (r == PARSE_EVENT) {
		events[ev.mta][ev.direction][ev.kind][ev.status]++;
		hops[ev.mta][ev.hop]++;
		if (eflag)
			printf("E\t%lld\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n",
			    (long long)ev.time, event_mta_name(ev.mta),
			    event_direction_name(ev.direction),
			    event_kind_name(ev.kind),
			    event_status_name(ev.status), ev.reply,
			    ev.enhanced[0] ? ev.enhanced : "-", ev.domain,
			    ev.host[0] ? ev.host : "-", event_hop_name(ev.hop));
	} else if (r == PARSE_UNRECOGNISED && uflag)
		printf("U\t%.*s\n", (int)len, line);
}

static void
file(const char *path)
{
	static char	 buf[BUF_LEN + LINE_MAX_LEN];
	size_t		 have = 0;
	ssize_t		 n;
	char		*p, *nl, *end;
	int		 fd, skipping = 0;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n == -1)
			err(1, "%s", path);
		if (n == 0)
			break;
		end = buf + have + n;
		p = buf;
		while ((nl = memchr(p, '\n', end - p)) != NULL) {
			if (skipping)
				skipping = 0;
			else
				one(p, nl - p);
			p = nl + 1;
		}
		have = end - p;
		if (have >= LINE_MAX_LEN) {
			if (!skipping) {
				lines++;
				longlines++;
			}
			skipping = 1;
			have = 0;
		} else
			memmove(buf, p, have);
	}
	if (have > 0 && !skipping)
		one(buf, have);
	if (fd != STDIN_FILENO)
		close(fd);
}

int
main(int argc, char **argv)
{
	int	 c, m, d, k, s;

	ctx.ref_time = time(NULL);
	ctx.cache = &cache;
	while ((c = getopt(argc, argv, "Meum:r:")) != -1) {
		switch (c) {
		case 'M':
			Mflag = 1;
			break;
		case 'e':
			eflag = 1;
			break;
		case 'u':
			uflag = 1;
			break;
		case 'm':
			if (strcmp(optarg, "postfix") == 0)
				hint = MTA_POSTFIX;
			else if (strcmp(optarg, "exim") == 0)
				hint = MTA_EXIM;
			else
				errx(2, "-m: postfix or exim");
			break;
		case 'r':
			ctx.ref_time = strtoll(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: parsecount [-Meu] [-m mta] "
			    "[-r reftime] file...\n");
			return 2;
		}
	}
	if (optind == argc)
		file("-");
	for (; optind < argc; optind++)
		file(argv[optind]);

	printf("lines %llu\n", (unsigned long long)lines);
	for (m = 0; m < 3; m++)
		for (d = 0; d < 2; d++)
			for (k = 0; k < 4; k++)
				for (s = 0; s < 7; s++)
					if (events[m][d][k][s])
						printf("event %s %s %s %s %llu\n",
						    event_mta_name(m),
						    event_direction_name(d),
						    event_kind_name(k),
						    event_status_name(s),
						    (unsigned long long)
						    events[m][d][k][s]);
	for (m = 0; m < 3; m++)
		for (k = 0; k < 4; k++)
			if (hops[m][k])
				printf("hop %s %s %llu\n", event_mta_name(m),
				    event_hop_name(k),
				    (unsigned long long)hops[m][k]);
	for (c = 1; c < 4; c++)
		printf("%s %llu\n", parse_result_name(c),
		    (unsigned long long)results[c]);
	printf("long %llu\n", (unsigned long long)longlines);
	return 0;
}
