/*
 * stall: how long a written line takes to be committed, for bench/stall.sh.
 *
 *	stall LOG DB RATE SECONDS
 *
 * Appends RATE Postfix delivery lines a second to LOG for SECONDS, one
 * write(2) each, and polls DB (its own read-only connection) every 5 ms
 * for the lines the daemon has committed (the source table's line
 * counts).  For every line it prints, once the line is committed, the
 * wall-clock millisecond it was written and how many milliseconds later
 * a poll first saw it committed:
 *
 *	WRITTEN_MS LATENCY_MS
 *
 * The runner cuts these into the windows it cares about (with slow
 * queries running, without).  The latency includes the commit interval:
 * compare windows, not the figure with zero.  Not a test: it asserts
 * nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

/* Milliseconds on the wall clock (the runner's `date +%s%3N`). */
static long long
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Lines committed so far, or -1 (not there yet, busy). */
static long long
committed(sqlite3 *db)
{
	sqlite3_stmt	*st;
	long long	 n = -1;

	if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(lines), 0) FROM "
	    "source", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
main(int argc, char **argv)
{
	sqlite3		*db = NULL;
	long long	*written, start, now, last_poll = 0, seen = 0, c;
	long		 rate, secs, total, i = 0, j;
	char		 line[512], stamp[32];
	time_t		 t;
	struct tm	 tm;
	int		 fd, n;

	if (argc != 5) {
		fprintf(stderr, "usage: stall log db rate seconds\n");
		return 2;
	}
	rate = atol(argv[3]);
	secs = atol(argv[4]);
	if (rate <= 0 || secs <= 0)
		return 2;
	total = rate * secs;
	if ((written = calloc((size_t)total, sizeof *written)) == NULL)
		return 1;
	if ((fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644)) == -1) {
		fprintf(stderr, "stall: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	start = wall_ms();
	while (seen < total) {
		now = wall_ms();
		/* The lines due by now. */
		while (i < total && i * 1000 / rate <= now - start) {
			t = time(NULL);
			localtime_r(&t, &tm);
			strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
			n = snprintf(line, sizeof line, "%s mx1 postfix/smtp"
			    "[4242]: %08lX: to=<u%ld@stall.example>, relay="
			    "mx.stall.example[192.0.2.1]:25, delay=1, delays="
			    "0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: "
			    "queued as %ld)\n", stamp, i, i, i);
			if (write(fd, line, (size_t)n) != n) {
				fprintf(stderr, "stall: write: %s\n",
				    strerror(errno));
				return 1;
			}
			written[i++] = wall_ms();
		}
		if (now - last_poll >= 5) {
			last_poll = now;
			if (db == NULL && sqlite3_open_v2(argv[2], &db,
			    SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
				sqlite3_close(db);
				db = NULL;
			}
			if (db != NULL && (c = committed(db)) > seen) {
				if (c > i)
					c = i;
				for (j = (long)seen; j < c; j++)
					printf("%lld %lld\n", written[j],
					    now - written[j]);
				seen = c;
			}
		}
		/* Give up when nothing more is committed for 60 s. */
		if (i == total && now - written[total - 1] > 60000)
			break;
		usleep(1000);
	}
	fprintf(stderr, "stall: %ld lines written, %lld seen committed\n",
	    total, seen);
	sqlite3_close(db);
	free(written);
	close(fd);
	return seen == total ? 0 : 1;
}
