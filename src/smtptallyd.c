/*
 * smtptallyd: the daemon's main: command line, wiring and the commit loop.
 *
 * tail hands lines to d_line, which parses them and adds events to the
 * tally.  d_commit writes the tally and the offsets the lines came from in
 * one transaction; a failed commit throws both away, seeks every file back
 * to its committed offset, stops reading and retries with back-off.
 * Commits happen at most every --commit-interval while lines arrive, when
 * the tally is full, and on SIGTERM/SIGINT before exit.
 *
 * Not here: parsing, SQL, file identity, serving (http.c is started at the
 * marked place and serves on threads of its own, so nothing a client does
 * runs in this loop).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "classify.h"
#include "conf.h"
#include "hook.h"
#include "http.h"
#include "journal.h"
#include "live.h"
#include "log.h"
#include "notify.h"
#include "parse.h"
#include "parse_tz.h"
#include "parse_time.h"
#include "provider.h"
#include "rules.h"
#include "store.h"
#include "tail.h"
#include "tally.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif

#define D_BUDGET		(4U * 1024 * 1024)	/* bytes per read pass */
#define D_BACKOFF_MAX		30
#define D_JBUDGET		20000	/* journal entries per read pass */
#define D_IDLE_MS		5000	/* no commit this long: idle (d_tick) */

struct daemon {
	struct event_base	*base;
	struct store		*store;
	struct tally		*tally;
	struct tail		*tail;
	struct journal		*journal;	/* the follow = journal... */
	struct live		*live;		/* for /v1/status: paths in
						 * error, unrecognised lines */
	uint64_t		 pserial;	/* tail's, as published */
	struct source_delta	*deltas;	/* both readers' parts */
	size_t			 ndeltas;
	struct event		*read_ev;
	struct event		*commit_ev;
	struct event		*retry_ev;
	struct event		*retain_ev;
	struct event		*sigterm_ev;
	struct event		*sigint_ev;
	struct event		*sighup_ev;
	struct event		*watchdog_ev;
	struct conf		*conf;		/* running configuration */
	struct rules		*rules;		/* classify's; new on HUP */
	const struct conf	*cmdline;	/* options, re-applied on HUP */
	const char		*conffile;
	int			 confreq;	/* -f given: file must exist */
	struct tail_opts	 o;		/* as at start */
	int			 oneshot;
	int64_t			 commit_failures;	/* for /metrics; atomic:
							 * read by query threads */
	int			 failing;
	int			 paused;
	int			 backoff;
	int			 interval_ms;
	struct store_policy	 policy;	/* what maintenance keeps */
	int64_t			 now;
	long			 utc_offset;
	struct parse_hops	 hops;		/* filter_relay, filter_loopback */
	struct parse_tz		*tz;		/* timezone's rules, or NULL */
	struct timespec		 last_commit;
	int			 unckpt;	/* written since the last
						 * checkpoint (d_tick) */
};

/* The daemon's own options; every config key adds its own (conf.c). */
static const struct option d_ownopts[] = {
	{ "foreground",		no_argument,		NULL, 'd' },
	{ "config",		required_argument,	NULL, 'f' },
	{ "check",		no_argument,		NULL, 'n' },
	{ "oneshot",		no_argument,		NULL, 'O' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
};
#define D_NOWNOPTS	(sizeof(d_ownopts) / sizeof(d_ownopts[0]))


/* The synopsis, on stdout for --help, else on stderr. */
static void __attribute__((__noreturn__))
d_usage(int code)
{
	FILE	*fp = code == 0 ? stdout : stderr;

	fprintf(fp,
	    "usage: smtptallyd [-dnVv] [-f file] [--oneshot] "
	    "[--follow [postfix:|exim:]path]... [option ...]\n"
	    "  -d, --foreground        stay in the foreground, log to stderr\n"
	    "  -f, --config file       configuration [%s]\n"
	    "  -n, --check             check the configuration and exit\n"
	    "      --oneshot           read every file to its end, commit, "
	    "exit\n"
	    "  -v, --verbose           log more (twice: debug)\n"
	    "  -h, --help              these options, and exit\n"
	    "  -V, --version           the version, and exit\n",
	    CONF_PATH_DEFAULT);
	if (code == 0)
		conf_usage(fp);
	exit(code);
}

/* Seconds since a point on the monotonic clock, in milliseconds. */
static long long
d_ms_since(const struct timespec *then)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - then->tv_sec) * 1000 +
	    (now.tv_nsec - then->tv_nsec) / 1000000;
}

/* Refresh "now" and the local UTC offset used for syslog stamps. */
static void
d_clock(struct daemon *d)
{
	time_t		now = (time_t)HOOK_NOW(time(NULL));

	d->now = (int64_t)now;
	d->utc_offset = conf_utc_offset(d->conf, now);
}

/* The parser's filter relays from the configuration (conf.c checked the
 * values: one that does not fit is logged and left out). */
static void
d_hops(struct daemon *d)
{
	size_t	 i;

	memset(&d->hops, 0, sizeof(d->hops));
	d->hops.loopback = d->conf->filter_loopback;
	for (i = 0; i < d->conf->filter_relay.n; i++)
		if (parse_hops_add(&d->hops, d->conf->filter_relay.v[i]) == -1)
			log_warnx("filter_relay %s: not understood, left out",
			    d->conf->filter_relay.v[i]);
}

/*
 * The rules of the zone that stamps without an offset are in: a tzdata
 * zone by name, or the zone localtime(3) uses (TZ, /etc/localtime) over
 * six years back and two ahead; a fixed offset needs none.  On error the
 * running zone is kept (none at start: -1 with the cause in why).
 */
static int
d_zone(struct daemon *d, char *why, size_t whylen)
{
	const struct conf_tz	*c = &d->conf->timezone;
	struct parse_tz		*z;
	int64_t			 now = (int64_t)time(NULL);
	int			 rc;

	if (c->kind == CONF_TZ_FIXED) {
		free(d->tz);
		d->tz = NULL;
		return 0;
	}
	if ((z = malloc(sizeof(*z))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (c->kind == CONF_TZ_NAMED)
		rc = parse_tz_load(z, c->name, why, whylen);
	else if ((rc = parse_tz_localtime(z, now - 6 * 366 * 86400LL,
	    now + 2 * 366 * 86400LL)) == -1)
		snprintf(why, whylen, "the local zone has more changes than "
		    "smtptallyd keeps");
	if (rc == -1) {
		free(z);
		return -1;
	}
	free(d->tz);
	d->tz = z;
	return 0;
}

/* Keep a line not recognised for /v1/status; with -v, log the first
 * ones of each source (a sample, not a flood). */
static void
d_unrecognised(struct daemon *d, const char *source, const char *name,
    int64_t offset, int64_t when, const char *buf, size_t len)
{
	char	text[LIVE_TEXT];
	int64_t	seen;

	seen = live_add_line(d->live, source, name, offset, when, buf, len);
	if (seen == 0 || seen > LIVE_LINES || log_getverbose() < 1)
		return;
	(void)live_escape(buf, len, text, sizeof text);
	if (offset >= 0 && strcmp(source, name) == 0)
		log_debug("tail %s: not recognised at %lld: %s", source,
		    (long long)offset, text);
	else if (offset >= 0)
		log_debug("tail %s: not recognised in %s at %lld: %s", source,
		    name, (long long)offset, text);
	else
		log_debug("%s: not recognised (host %s): %s", source, name,
		    text);
}

/* One line from tail: parse, count; "full" makes tail offer it again. */
static int
d_line(struct tail_line *l, void *arg)
{
	struct daemon		*d = arg;
	struct parse_ctx	 ctx = { .cache = NULL };	/* all zero */
	struct event		 ev;
	enum parse_result	 pr;
	enum tally_line		 res;
	int64_t			 when;
	int			 r;

	when = l->last_time != 0 ? l->last_time : d->now;
	if (l->is_long) {
		r = tally_add_line(d->tally, when, l->file_id, TALLY_LINE_LONG);
		return r == TALLY_OK ? TAIL_LINE_OK : TAIL_LINE_FULL;
	}
	ctx.ref_time = d->conf->year == CONF_YEAR_MTIME && l->ref_time != 0 ?
	    l->ref_time : d->now;
	ctx.utc_offset = d->utc_offset;
	ctx.cache = l->cache;
	ctx.hops = &d->hops;
	ctx.tz = d->tz;
	ctx.last_time = l->last_time;
	pr = parse_line(&ctx, l->mta, l->buf, l->len, &ev);
	switch (pr) {
	case PARSE_EVENT:
		if (tally_add(d->tally, &ev, l->file_id) != TALLY_OK)
			return TAIL_LINE_FULL;
		l->last_time = ev.time;
		return TAIL_LINE_OK;
	case PARSE_IGNORED:
		res = TALLY_LINE_IGNORED;
		break;
	case PARSE_FOREIGN:
		res = TALLY_LINE_FOREIGN;
		break;
	default:
		res = TALLY_LINE_UNRECOGNISED;
		break;
	}
	/* Before the file's first event a line with a stamp of its own
	 * is counted at that stamp, not when it was read (D24). */
	if (l->last_time == 0 && ev.time > 0)
		when = ev.time;
	if (tally_add_line(d->tally, when, l->file_id, res) != TALLY_OK)
		return TAIL_LINE_FULL;
	if (pr != PARSE_UNRECOGNISED)
		return TAIL_LINE_OK;
	d_unrecognised(d, l->path, l->name, l->offset, 0, l->buf, l->len);
	return TAIL_LINE_UNRECOGNISED;
}

/* One journal entry: its MESSAGE is the message part of a line, its
 * realtime stamp the time and _HOSTNAME the host. */
static int
d_entry(const struct journal_entry *e, void *arg)
{
	struct daemon		*d = arg;
	struct parse_ctx	 ctx = { .cache = NULL };	/* all zero */
	struct event		 ev;
	enum parse_result	 pr;
	enum tally_line		 res;
	const char		*p, *q;
	char			 host[EVENT_HOST_MAX + 1];
	int64_t			 when = e->usec / 1000000;
	int64_t			 t;
	size_t			 i, n;

	if (e->is_long || e->is_binary) {
		res = e->is_long ? TALLY_LINE_LONG : TALLY_LINE_UNRECOGNISED;
		if (tally_add_line(d->tally, when, e->source_id, res) !=
		    TALLY_OK)
			return JOURNAL_ENTRY_FULL;
		return e->is_long ? JOURNAL_ENTRY_OK :
		    JOURNAL_ENTRY_UNRECOGNISED;
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.ref_time = when;
	ctx.hops = &d->hops;
	p = e->msg;
	/* Exim through syslog may keep its own stamp: the entry's wins */
	if (e->mta == MTA_EXIM && (q = time_exim(&ctx, p, p + e->len, &t)) !=
	    NULL)
		p = q;
	pr = parse_message(&ctx, e->mta, p, e->len - (size_t)(p - e->msg),
	    &ev);
	if (pr == PARSE_EVENT) {
		ev.time = when;
		n = e->hostlen < EVENT_HOST_MAX ? e->hostlen : EVENT_HOST_MAX;
		for (i = 0; i < n; i++)
			ev.host[i] = e->host[i] > ' ' && e->host[i] < 0x7f ?
			    e->host[i] : '?';
		ev.host[n] = '\0';
		if (tally_add(d->tally, &ev, e->source_id) != TALLY_OK)
			return JOURNAL_ENTRY_FULL;
		return JOURNAL_ENTRY_OK;
	}
	res = pr == PARSE_IGNORED ? TALLY_LINE_IGNORED : pr == PARSE_FOREIGN ?
	    TALLY_LINE_FOREIGN : TALLY_LINE_UNRECOGNISED;
	if (tally_add_line(d->tally, when, e->source_id, res) != TALLY_OK)
		return JOURNAL_ENTRY_FULL;
	if (pr != PARSE_UNRECOGNISED)
		return JOURNAL_ENTRY_OK;
	/* The entry's host and time say where it is; no offset. */
	n = e->hostlen < EVENT_HOST_MAX ? e->hostlen : EVENT_HOST_MAX;
	memcpy(host, e->host, n);
	host[n] = '\0';
	d_unrecognised(d, e->spec, host, -1, when, e->msg, e->len);
	return JOURNAL_ENTRY_UNRECOGNISED;
}

/* Hand the followed paths in error to the query threads when that
 * changed (tail_problem_serial). */
static void
d_publish(struct daemon *d)
{
	struct tail_problem	tp[CONF_FOLLOW_MAX];
	struct live_problem	lp[CONF_FOLLOW_MAX];
	size_t			i, n;

	if (d->tail == NULL || tail_problem_serial(d->tail) == d->pserial)
		return;
	if ((n = tail_problems(d->tail, tp, CONF_FOLLOW_MAX)) >
	    CONF_FOLLOW_MAX)
		n = CONF_FOLLOW_MAX;
	for (i = 0; i < n; i++) {
		lp[i].path = tp[i].path;
		lp[i].why = tp[i].why;
		lp[i].since = tp[i].since;
	}
	if (live_set_problems(d->live, lp, n) == 0)
		d->pserial = tail_problem_serial(d->tail);
}

/* Each followed journal's lag, asked of sd-journal here in the loop (its
 * handles are the loop's) and published for the query threads. */
static void
d_publish_lags(struct daemon *d)
{
	const char	*specs[CONF_FOLLOW_MAX];
	int64_t		 lags[CONF_FOLLOW_MAX];
	size_t		 i, n = 0;

	for (i = 0; i < d->conf->nfollow && n < CONF_FOLLOW_MAX; i++) {
		if (!conf_is_journal(d->conf->follow[i].path))
			continue;
		specs[n] = d->conf->follow[i].path;
		lags[n++] = journal_lag(d->journal, d->conf->follow[i].path);
	}
	(void)live_set_lags(d->live, specs, lags, n);
}

/* Lines or entries read and not yet committed? */
static int
d_pending(const struct daemon *d)
{
	return tail_pending(d->tail) || journal_pending(d->journal);
}

/* The service manager's status line: what we follow, files we could
 * not open (an error: their lines are not counted) and, while commits
 * fail, what is held open and what was let go. */
static void
d_status(struct daemon *d)
{
	int64_t	errs = tail_errors(d->tail);
	size_t	open, parked, np = tail_problems(d->tail, NULL, 0);
	char	more[128] = "";

	if (np > 0)
		snprintf(more, sizeof more, "; %zu cannot be read (see "
		    "smtptally status)", np);
	else if (errs > 0)
		snprintf(more, sizeof more, "; %lld could not be opened (see "
		    "the log)", (long long)errs);
	if (d->failing) {
		tail_held(d->tail, &open, &parked);
		(void)notify_status("commits failing%s: reading stopped, %zu "
		    "file(s) held open, %zu let go until commits work%s",
		    store_is_full(d->store) ? " (disk full)" : "", open, parked,
		    more);
	} else
		(void)notify_status("following %zu file(s)%s",
		    d->conf->nfollow, more);
}

/* What tail needs to remember files, from the store. */
static int
d_src_rows(void *arg, const char *path, struct source_row **rows, size_t *n,
    const char **cause)
{
	struct daemon	*d = arg;

	return store_sources(d->store, path, rows, n, cause);
}

static void
d_src_free(void *arg, struct source_row *rows, size_t n)
{
	(void)arg;
	store_sources_free(rows, n);
}

static int64_t
d_src_id(void *arg)
{
	struct daemon	*d = arg;

	return store_next_id(d->store);
}

/* Commit the tally and the offsets; on failure throw both away, rewind
 * the files and pause reading until the back-off timer fires. */
static int
d_commit(struct daemon *d)
{
	const struct source_delta	*td, *jd;
	const char			*cause;
	struct timeval			 tv;
	size_t				 n, tn, jn;
	int				 rc;

	tn = tail_deltas(d->tail, &td);
	jn = journal_deltas(d->journal, &jd);
	n = tn + jn;
	if (n == 0 && tally_keys(d->tally) == 0)
		return 0;
	if (n > d->ndeltas) {
		free(d->deltas);
		if ((d->deltas = calloc(n, sizeof(*d->deltas))) == NULL)
			fatalx("out of memory");
		d->ndeltas = n;
	}
	if (tn > 0)
		memcpy(d->deltas, td, tn * sizeof(*td));
	if (jn > 0)
		memcpy(d->deltas + tn, jd, jn * sizeof(*jd));
	d_clock(d);
	/* the files' offsets and the journals' cursors go in the one
	 * transaction with the counts */
	if ((rc = store_commit_sources(d->store, d->tally, d->deltas, n,
	    d->now, &cause)) != 0) {
		if (rc == STORE_STALE)
			fatalx("store: %s", cause);
		/* An fsync or write that failed may have lost pages the
		 * connection believes written: never retry on it.  A restart
		 * reads the database afresh and goes on from the offsets
		 * committed with the counts (the service manager restarts
		 * us; --oneshot reports it in its exit status). */
		if (store_is_io_error(d->store))
			fatalx("store: commit failed: %s; the file system "
			    "failed to write the database, exiting so that a "
			    "restart goes on from the last commit (check the "
			    "disk and the kernel log)", cause);
		__atomic_fetch_add(&d->commit_failures, 1, __ATOMIC_RELAXED);
		tally_clear(d->tally);
		tail_rewind(d->tail);
		/* Hold no rotated file open: the operator may be deleting
		 * them to make room. */
		tail_hold(d->tail, 1);
		journal_rewind(d->journal);
		d->backoff = d->backoff == 0 ? 1 : d->backoff * 2;
		if (d->backoff > D_BACKOFF_MAX)
			d->backoff = D_BACKOFF_MAX;
		if (!d->failing)
			log_warnx("store: commit failed%s: %s; reading stopped, "
			    "retrying", store_is_full(d->store) ?
			    " (disk full)" : "", cause);
		else
			log_debug("store: commit failed again: %s", cause);
		d->failing = 1;
		d_status(d);
		if (!d->oneshot) {
			d->paused = 1;
			tv.tv_sec = d->backoff;
			tv.tv_usec = 0;
			evtimer_add(d->retry_ev, &tv);
		}
		return -1;
	}
	tail_committed(d->tail);
	journal_committed(d->journal);
	tally_clear(d->tally);
	clock_gettime(CLOCK_MONOTONIC, &d->last_commit);
	d->unckpt = 1;
	if (d->failing) {
		log_info("store: commits work again");
		tail_hold(d->tail, 0);
		d->failing = 0;
		d_status(d);
	}
	d->backoff = 0;
	return 0;
}

/* The generations a new tail found get their rows before a line is read,
 * so that a crash before the first counted line still knows them (the
 * rotated files it chose not to read, the offset it started at). */
static void
d_commit_found(struct daemon *d)
{
	if (d_pending(d))
		(void)d_commit(d);
}

/* A read pass: lines into the tally, commit when full or due. */
static void
d_read(evutil_socket_t fd, short what, void *arg)
{
	struct daemon		*d = arg;
	enum tail_status	 r;
	enum journal_status	 jr;

	(void)fd;
	(void)what;
	if (d->paused)
		return;
	d_clock(d);
	r = tail_read(d->tail, D_BUDGET);
	jr = r == TAIL_FULL ? JOURNAL_IDLE : journal_read(d->journal,
	    D_JBUDGET);
	if (r == TAIL_FULL || jr == JOURNAL_FULL) {
		if (d_commit(d) == 0)
			event_active(d->read_ev, EV_TIMEOUT, 0);
		return;
	}
	if (d_ms_since(&d->last_commit) >= d->interval_ms &&
	    d_pending(d) && d_commit(d) == -1)
		return;
	if (r == TAIL_MORE || jr == JOURNAL_MORE)
		event_active(d->read_ev, EV_TIMEOUT, 0);
}

/* tail says something may have changed: schedule a read pass. */
static void
d_wake(void *arg)
{
	struct daemon	*d = arg;

	if (d->pserial != tail_problem_serial(d->tail)) {
		d_publish(d);
		d_status(d);
	}
	if (!d->paused)
		event_active(d->read_ev, EV_TIMEOUT, 0);
}

/* Lines read but not yet committed get committed within the interval.
 * Idle for D_IDLE_MS after a commit, the WAL is copied into the database
 * file (store_checkpoint): done then, it is not left for the close at
 * SIGTERM, whose copy and two fsyncs took seconds on a slow disk.  Not
 * after every commit: a trickle of lines would pay two more fsyncs each. */
static void
d_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;
	const char	*cause;
	int		 r;

	(void)fd;
	(void)what;
	d_publish_lags(d);
	if (d->paused || d_ms_since(&d->last_commit) < d->interval_ms)
		return;
	if (d_pending(d)) {
		(void)d_commit(d);
		return;
	}
	if (!d->unckpt || d_ms_since(&d->last_commit) < D_IDLE_MS)
		return;
	if ((r = store_checkpoint(d->store, &cause)) == -1)
		log_warnx("store: %s; the close at exit copies it", cause);
	if (r != 0)
		d->unckpt = 0;
}

/* Back-off over: read again (from the committed offsets). */
static void
d_retry(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	(void)fd;
	(void)what;
	d->paused = 0;
	event_active(d->read_ev, EV_TIMEOUT, 0);
}

/* Maintenance steps (fold, retention) for at most ms milliseconds; 1 if
 * work is left, 0 if none, -1 on error (logged). */
static int
d_maintain(struct daemon *d, long long ms)
{
	struct timespec	 start;
	const char	*cause;
	int		 r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if ((r = store_maintain(d->store, &d->policy, &cause)) == -1) {
			log_warnx("store: maintenance: %s", cause);
			return -1;
		}
		d->unckpt = 1;
	} while (r == 1 && (ms < 0 || d_ms_since(&start) < ms));
	return r;
}

/* The maintenance timer: a slice of steps, again soon while work is left,
 * else in an hour. */
static void
d_retain(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;
	struct timeval	 tv = { 3600, 0 };

	(void)fd;
	(void)what;
	if (!d->paused && d_maintain(d, 50) == 1) {
		tv.tv_sec = 0;
		tv.tv_usec = 100000;
	}
	evtimer_add(d->retain_ev, &tv);
}

/* The loop.  A read pass that leaves more to read makes itself active
 * again; libevent runs an event made active while it runs the active
 * ones in the same pass, so a catch-up would keep it from ever polling,
 * and a SIGTERM would wait for the backlog's end.  Polling again after
 * every callback lets signals, inotify and the timers in between. */
static struct event_base *
d_base(void)
{
	struct event_config	*cfg;
	struct event_base	*base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	if (event_config_set_max_dispatch_interval(cfg, NULL, 1, 0) == -1) {
		event_config_free(cfg);
		return NULL;
	}
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/* SIGTERM/SIGINT: commit what was read, then leave the loop. */
static void
d_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	(void)what;
	(void)notify_stopping();
	log_info("signal %d: committing and exiting", (int)sig);
	if (d_pending(d))
		(void)d_commit(d);
	event_base_loopbreak(d->base);
}

/* "12.3 MB of 100.0 MB, 250.1 MB/s, ETA 0:01" on a terminal. */
static void
d_progress(struct daemon *d, const struct timespec *start, int final)
{
	uint64_t	done, total, entries;
	int64_t		at, newest;
	double		secs, rate;
	long		eta;

	if (journal_count(d->journal) > 0) {
		/* entries and the time they cover, not bytes */
		journal_progress(d->journal, &entries, &at, &newest);
		secs = (double)d_ms_since(start) / 1000.0;
		fprintf(stderr, "\rsmtptallyd: %llu journal entries, %.0f/s, "
		    "%.1f h behind the newest  %s", (unsigned long long)entries,
		    secs > 0 ? (double)entries / secs : 0, newest > at && at > 0 ?
		    (double)(newest - at) / 3600.0 : 0.0, final ? "\n" : "");
		if (d->tail == NULL || tail_generations(d->tail) == 0) {
			fflush(stderr);
			return;
		}
	}
	tail_progress(d->tail, &done, &total);
	secs = (double)d_ms_since(start) / 1000.0;
	rate = secs > 0 ? (double)done / secs : 0;
	eta = rate > 0 && total > done ? (long)((double)(total - done) / rate)
	    : 0;
	fprintf(stderr, "\rsmtptallyd: %.1f MB of %.1f MB, %.1f MB/s, "
	    "ETA %ld:%02ld  %s", (double)done / 1e6, (double)total / 1e6,
	    rate / 1e6, eta / 60, eta % 60, final ? "\n" : "");
	fflush(stderr);
}

/* --oneshot: read every file to its current end, commit, exit. */
static int
d_oneshot(struct daemon *d)
{
	struct timespec		 start, shown;
	enum tail_status	 r;
	enum journal_status	 jr = JOURNAL_IDLE;
	int			 tty = isatty(STDERR_FILENO);
	size_t			 np;

	clock_gettime(CLOCK_MONOTONIC, &start);
	shown = start;
	for (;;) {
		d_clock(d);
		r = tail_read(d->tail, D_BUDGET);
		if (r != TAIL_FULL)
			jr = journal_read(d->journal, D_JBUDGET);
		if (r == TAIL_FULL || jr == JOURNAL_FULL || ((r == TAIL_MORE ||
		    jr == JOURNAL_MORE) &&
		    d_ms_since(&d->last_commit) >= d->interval_ms)) {
			if (d_commit(d) == -1)
				return 1;
		}
		if (tty && d_ms_since(&shown) >= 500) {
			d_progress(d, &start, 0);
			clock_gettime(CLOCK_MONOTONIC, &shown);
		}
		if (r == TAIL_IDLE && jr == JOURNAL_IDLE)
			break;
	}
	if (d_commit(d) == -1)
		return 1;
	if (tty)
		d_progress(d, &start, 1);
	if (d_maintain(d, -1) == -1)
		return 1;
	/* Each path in error was named with what to do when it was seen. */
	if ((np = tail_problems(d->tail, NULL, 0)) > 0) {
		log_warnx("%zu followed path(s) cannot be read (see above): "
		    "nothing of them is counted", np);
		return 1;
	}
	if (tail_errors(d->tail) > 0) {
		log_warnx("%lld file(s) could not be opened: their lines are "
		    "not counted", (long long)tail_errors(d->tail));
		return 1;
	}
	return 0;
}

/* A tail following the configured files, resumed from the store's
 * committed offsets; NULL and a cause on failure. */
static struct tail *
d_tail(struct daemon *d, const struct conf *c, const char **cause)
{
	struct tail_sources	 src = { d_src_rows, d_src_free, d_src_id, d };
	struct tail		*t;
	size_t			 i;

	if ((t = tail_new(d->oneshot ? NULL : d->base, &src, &d->o,
	    d_line, d_wake, d)) == NULL) {
		*cause = "out of memory";
		return NULL;
	}
	for (i = 0; i < c->nfollow; i++)
		if (!conf_is_journal(c->follow[i].path) &&
		    tail_add(t, c->follow[i].path, c->follow[i].mta,
		    cause) == -1) {
			tail_free(t);
			return NULL;
		}
	if (tail_start(t, cause) == -1) {
		tail_free(t);
		return NULL;
	}
	return t;
}

/* Refuse what a configuration cannot mean: a follow list that names one
 * file twice (a symlink, a hard link, another spelling: it would be
 * counted twice), keep_days below retention_days.  0, or -1 with the
 * reason in buf. */
static int
d_twins(const struct conf *c, char *buf, size_t len)
{
	const char	*paths[CONF_FOLLOW_MAX];
	size_t		 i, a, b;

	for (i = 0; i < c->nfollow; i++)
		paths[i] = c->follow[i].path;
	/* Days are deleted after keep_days, hours after retention_days:
	 * fewer days than hours would leave hourly counts of deleted days. */
	if (c->keep_days != 0 && c->keep_days < c->retention_days) {
		snprintf(buf, len, "keep_days (%d) is less than retention_days "
		    "(%d): hourly counts would outlive their days; make "
		    "keep_days 0 (keep all) or at least retention_days",
		    c->keep_days, c->retention_days);
		return -1;
	}
	if (tail_twins(paths, c->nfollow, &a, &b) == -1)
		return 0;
	snprintf(buf, len, "follow %s and %s: the same file, it would be "
	    "counted twice", paths[a], paths[b]);
	return -1;
}

/* The journals of a configuration, resumed from the committed cursors;
 * NULL and a cause on failure. */
static struct journal *
d_journal(struct daemon *d, const struct conf *c, const char **cause)
{
	struct journal_sources	 src = { d_src_rows, d_src_free, d_src_id, d };
	struct journal_opts	 o;
	const char		*m[CONF_MATCH_MAX];
	struct journal		*j;
	size_t			 i;

	memset(&o, 0, sizeof o);
	o.maxline = c->max_line;
	o.from_end = c->from_end;
	o.oneshot = d->oneshot;
	for (i = 0; i < c->journal_match.n; i++)
		m[i] = c->journal_match.m[i];
	o.matches = m;
	o.nmatches = c->journal_match.n;
	if ((j = journal_new(d->oneshot ? NULL : d->base, &src, &o, d_entry,
	    d_wake, d)) == NULL) {
		*cause = "out of memory";
		return NULL;
	}
	for (i = 0; i < c->nfollow; i++)
		if (conf_is_journal(c->follow[i].path) &&
		    journal_add(j, c->follow[i].path, cause) == -1) {
			journal_free(j);
			return NULL;
		}
	if (journal_start(j, cause) == -1) {
		journal_free(j);
		return NULL;
	}
	return j;
}

/* Re-arm the commit timer after commit_interval changed. */
static void
d_commit_timer(struct daemon *d)
{
	struct timeval	tv;

	tv.tv_sec = d->interval_ms / 1000;
	tv.tv_usec = (d->interval_ms % 1000) * 1000;
	event_del(d->commit_ev);
	event_add(d->commit_ev, &tv);
}

/* The store's provider hook: provider.c's guess, "" when it knows none
 * (so that a later next hop can still tell). */
static const char *
d_provider(void *arg, const char *domain, const char *relay)
{
	enum provider	p;

	(void)arg;
	p = provider_guess(domain, strlen(domain), relay, strlen(relay), "",
	    0);
	return p == PROVIDER_OTHER ? "" : provider_name(p);
}

/* The store's classifier hook: the running rules' verdict. */
static void
d_verdict(void *arg, const struct store_outcome *o, const char *text,
    const char *provider, struct store_verdict *v)
{
	struct daemon		*d = arg;
	struct classify_input	 in;
	struct classify_result	 r;
	int			 p = provider_from_name(provider);

	memset(&in, 0, sizeof in);
	in.provider = p == -1 ? PROVIDER_OTHER : p;
	in.direction = o->direction;
	in.kind = o->kind;
	in.status = o->status;
	in.hop = o->hop;
	in.reply = o->reply;
	in.enhanced = o->enhanced;
	in.text = text != NULL && *text != '\0' ? text : NULL;
	classify(d->rules, &in, &r);
	snprintf(v->category, sizeof v->category, "%s",
	    classify_category_name(r.category));
	snprintf(v->blame, sizeof v->blame, "%s",
	    classify_blame_name(r.blame));
	snprintf(v->detail, sizeof v->detail, "%s", r.reason);
	if (r.file != NULL)
		snprintf(v->rule, sizeof v->rule, "%s:%u", r.file, r.line);
	else
		v->rule[0] = '\0';
}

/* The rules files of a configuration, the local one first.  A missing
 * file is no error: the local one is optional, and without the shipped
 * one only the local rules apply (d_rules_warn says so).  A file in error
 * is: NULL and *cause (the caller frees) "file:line: why". */
static struct rules *
d_rules(const struct conf *c, char **cause)
{
	struct rules	*r;

	*cause = NULL;
	if ((r = rules_new()) == NULL)
		return NULL;
	if (rules_load(r, c->rules_local, 1, cause) == -1)
		goto bad;
	r->missing = 0;			/* the local file may be absent */
	if (rules_load(r, c->rules, 1, cause) == -1)
		goto bad;
	rules_finish(r);
	return r;
bad:
	rules_free(r);
	return NULL;
}

static void
d_rules_warn(const struct rules *r, const struct conf *c)
{
	if (r->missing > 0)
		log_warnx("rules %s: not found; replies are classified with "
		    "the local rules only", c->rules);
}

/* With no follow line anywhere, the default: the mail log this machine
 * has, else the journal (Debian 12 without rsyslog logs only there).
 * Decided afresh at every load, so a follow line added later wins. */
static int
d_conf_load(struct conf *c, const char *file, int required,
    const struct conf *cmdline, struct conf_errors *e)
{
	static const char *const logs[] = { "postfix:/var/log/mail.log",
	    "postfix:/var/log/maillog", "exim:/var/log/exim4/mainlog" };
	const struct conf_keydef	*k = conf_option_keydef("follow");
	struct conf			*cl, *f;
	struct conf_errors		 ignored;
	struct stat			 sb;
	size_t				 i;
	int				 rc;

	if (cmdline->nfollow > 0 || k == NULL)
		return conf_load(c, file, required, cmdline, e);
	if ((f = malloc(sizeof(*f))) == NULL ||
	    (cl = malloc(sizeof(*cl))) == NULL) {
		free(f);
		return conf_load(c, file, required, cmdline, e);
	}
	conf_defaults(f);
	conf_errors_init(&ignored);
	(void)conf_read(f, file, 0, &ignored);
	memcpy(cl, cmdline, sizeof(*cl));
	if (f->nfollow == 0) {
		for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++)
			if (stat(strchr(logs[i], ':') + 1, &sb) == 0)
				(void)conf_option(cl, k, logs[i], NULL, &ignored);
		if (cl->nfollow == 0 && journal_supported())
			(void)conf_option(cl, k, "journal", NULL, &ignored);
	}
	rc = conf_load(c, file, required, cl, e);
	free(cl);
	free(f);
	return rc;
}

/* SIGHUP: read the configuration again.  An invalid one is refused and
 * the running one kept.  Followed files added or removed: commit what was
 * read, then follow the new list from the committed offsets (the same path
 * as a restart, so nothing is lost or counted twice). */
static void
d_hup(evutil_socket_t fd, short what, void *arg)
{
	struct daemon		*d = arg;
	struct conf		*n;
	struct conf_errors	 errs;
	struct conf_diff	 diff;
	const struct conf_follow *f;
	struct journal		*nj;
	int			 jchanged = 0;
	struct rules		*nr;
	const char		*cause;
	char			*rcause;
	char			 twins[2 * PATH_MAX + 64];
	size_t			 i;

	(void)fd;
	(void)what;
	(void)notify_reloading();
	conf_errors_init(&errs);
	if ((n = malloc(sizeof(*n))) == NULL) {
		log_warn("reload");
		goto done;
	}
	if (d_conf_load(n, d->conffile, d->confreq, d->cmdline, &errs) == -1) {
		for (i = 0; i < errs.n; i++)
			log_warnx("reload: %s", errs.msg[i]);
		log_warnx("reload refused: keeping the running configuration");
		free(n);
		goto done;
	}
	if ((nr = d_rules(n, &rcause)) == NULL) {
		log_warnx("reload refused: %s; keeping the running "
		    "configuration and rules", rcause != NULL ? rcause :
		    "out of memory");
		free(rcause);
		free(n);
		goto done;
	}
	if (d_twins(n, twins, sizeof twins) == -1) {
		log_warnx("reload refused: %s; keeping the running "
		    "configuration", twins);
		rules_free(nr);
		free(n);
		goto done;
	}
	conf_diff(d->conf, n, &diff);
	if (diff.nadded > 0 || diff.nremoved > 0) {
		if (d->paused || (d_pending(d) && d_commit(d) == -1)) {
			log_warnx("reload refused: cannot commit now; keeping "
			    "the running configuration");
			rules_free(nr);
			free(n);
			goto done;
		}
		/* The running tail changes in place: the files it keeps
		 * following keep every generation they hold, also those
		 * open only by descriptor (a rotated file deleted while
		 * its writer still appends). */
		for (i = 0; i < diff.nremoved; i++) {
			f = &d->conf->follow[diff.removed[i]];
			if (conf_is_journal(f->path)) {
				jchanged = 1;
				log_info("reload: released %s", f->path);
				continue;
			}
			if (tail_unfollow(d->tail, f->path) == 0)
				log_info("reload: released %s", f->path);
		}
		for (i = 0; i < diff.nadded; i++) {
			f = &n->follow[diff.added[i]];
			if (conf_is_journal(f->path)) {
				jchanged = 1;
				log_info("reload: following %s", f->path);
				continue;
			}
			if (tail_follow(d->tail, f->path, f->mta, &cause) == -1)
				log_warnx("reload: cannot follow %s: %s",
				    f->path, cause);
			else
				log_info("reload: following %s", f->path);
		}
		/* Journals are opened again from the cursors just
		 * committed (the same path as a restart). */
		if (jchanged) {
			if ((nj = d_journal(d, n, &cause)) == NULL)
				log_warnx("reload: journals: %s; keeping the "
				    "running ones", cause);
			else {
				journal_free(d->journal);
				d->journal = nj;
			}
		}
		d_commit_found(d);
	}
	for (i = 0; i < CONF_NKEYS; i++)
		if (diff.restart[i])
			log_warnx("reload: %s changed: takes effect at the "
			    "next start", conf_table(NULL)[i].name);
	d->interval_ms = n->commit_interval;
	d->policy.hour_days = n->retention_days;
	d->policy.keep_days = n->keep_days;
	free(d->conf);
	d->conf = n;
	rules_free(d->rules);
	d->rules = nr;
	d_rules_warn(d->rules, d->conf);
	if (!HOOK_OFF("classify"))
		store_set_verdicts(d->store, d_verdict, d,
		    (int64_t)d->rules->digest);
	d_commit_timer(d);
	d_clock(d);
	d_hops(d);
	if (d_zone(d, twins, sizeof twins) == -1)
		log_warnx("reload: timezone %s: %s; the zone read before is "
		    "kept", d->conf->timezone.name, twins);
	log_info("reloaded: %zu file(s)", n->nfollow);
	event_active(d->read_ev, EV_TIMEOUT, 0);
done:
	(void)notify_ready();
	d_publish(d);
	d_publish_lags(d);
	d_status(d);
}

/* Half the watchdog interval has passed: the loop is alive. */
static void
d_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	(void)notify_watchdog();
}

/* /metrics and /v1/status want the failed commits only we know; they
 * ask from a query thread. */
static int64_t
d_commit_failures(void *arg)
{
	struct daemon	*d = arg;

	return __atomic_load_n(&d->commit_failures, __ATOMIC_RELAXED);
}

/* Parse the command line, open the store, follow, loop until a signal. */
int
main(int argc, char *argv[])
{
	struct http_config	 hc;
	struct http		*http = NULL;
	char			*hcause;
	struct daemon		 d;
	struct option		 lo[D_NOWNOPTS + CONF_NKEYS + 1];
	struct conf		*cl;
	struct conf_errors	 errs;
	struct timeval		 tv;
	const char		*cause;
	char			 cwd[PATH_MAX];
	char			*rcause = NULL;
	char			 twins[2 * PATH_MAX + 64];
	char			 zwhy[1200];
	size_t			 n;
	uint64_t		 wd;
	int			 ch, foreground = 0, verbose = 0, check = 0, rc;

	memset(&d, 0, sizeof(d));
	memset(lo, 0, sizeof(lo));
	memcpy(lo, d_ownopts, sizeof(d_ownopts));
	n = conf_longopts(lo + D_NOWNOPTS, CONF_NKEYS);
	if ((cl = malloc(sizeof(*cl))) == NULL ||
	    (d.conf = malloc(sizeof(*d.conf))) == NULL) {
		fprintf(stderr, "smtptallyd: out of memory\n");
		return 1;
	}
	conf_defaults(cl);
	conf_errors_init(&errs);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	d.conffile = CONF_PATH_DEFAULT;
	while ((ch = getopt_long(argc, argv, "df:hnVv", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			d.conffile = optarg;
			d.confreq = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'O':
			d.oneshot = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			d_usage(0);
		case 'V':
			printf("smtptallyd %s\n", PACKAGE_VERSION);
			exit(0);	/* as d_usage(): nothing to tear down */
		default:
			if (ch >= CONF_OPT_BASE && ch < CONF_OPT_BASE +
			    CONF_NKEYS) {
				(void)conf_option(cl, &conf_table(NULL)[ch -
				    CONF_OPT_BASE], optarg, cwd[0] != '\0' ?
				    cwd : NULL, &errs);
				break;
			}
			d_usage(2);
		}
	}
	(void)n;
	if (optind != argc)
		d_usage(2);
	if (errs.n > 0) {
		conf_errors_print(stderr, &errs);
		rc = 2;
	} else if (d_conf_load(d.conf, d.conffile, d.confreq, cl, &errs) ==
	    -1) {
		conf_errors_print(stderr, &errs);
		rc = 1;
	} else if ((d.rules = d_rules(d.conf, &rcause)) == NULL) {
		fprintf(stderr, "smtptallyd: %s\n", rcause != NULL ? rcause :
		    "out of memory");
		free(rcause);
		rc = 1;
	} else if (d_twins(d.conf, twins, sizeof twins) == -1) {
		fprintf(stderr, "smtptallyd: %s\n", twins);
		rc = 1;
	} else if (conf_check_dirs(d.conf, !check, twins, sizeof twins) == -1) {
		fprintf(stderr, "smtptallyd: %s\n", twins);
		rc = 1;
	} else if (d_zone(&d, zwhy, sizeof zwhy) == -1) {
		fprintf(stderr, "smtptallyd: timezone %s: %s\n",
		    d.conf->timezone.kind == CONF_TZ_NAMED ?
		    d.conf->timezone.name : "local", zwhy);
		rc = 1;
	} else if (check) {
		if (verbose)
			conf_print(stdout, d.conf);
		rc = 0;
	} else
		rc = -1;
	if (rc != -1) {		/* -n, or a bad configuration: done */
		free(d.tz);
		rules_free(d.rules);
		free(d.conf);
		free(cl);
		return rc;
	}
	d.cmdline = cl;
	d.o.maxline = d.conf->max_line;
	d.o.quiet = d.conf->quiet;
	d.o.from_end = d.conf->from_end;
	d.o.backfill = d.conf->backfill;
	d.o.oneshot = d.oneshot;
	d.interval_ms = d.conf->commit_interval;
	d.policy.hour_days = d.conf->retention_days;
	d.policy.keep_days = d.conf->keep_days;
	if (d.oneshot)
		foreground = 1;
	log_init("smtptallyd", foreground, verbose);
	d_rules_warn(d.rules, d.conf);
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);

	if ((d.store = store_open(d.conf->database, &cause)) == NULL)
		fatalx("%s", cause);	/* the cause names the file */
	/* Without the classifier (a benchmark's test hook) no provider is
	 * guessed and no verdict made: what is left is the rest's cost. */
	if (!HOOK_OFF("classify")) {
		store_set_provider(d.store, d_provider, &d);
		store_set_verdicts(d.store, d_verdict, &d,
		    (int64_t)d.rules->digest);
	}
	if ((d.tally = tally_new(d.conf->max_keys)) == NULL)
		fatalx("out of memory");
	if ((d.base = d_base()) == NULL)
		fatalx("event_base_new failed");
	d_clock(&d);
	d_hops(&d);
	clock_gettime(CLOCK_MONOTONIC, &d.last_commit);
	if ((d.live = live_new()) == NULL)
		fatalx("out of memory");
	if ((d.tail = d_tail(&d, d.conf, &cause)) == NULL)
		fatalx("tail: %s", cause);
	d_publish(&d);
	if ((d.journal = d_journal(&d, d.conf, &cause)) == NULL)
		fatalx("%s", cause);
	d_publish_lags(&d);

	if (d.oneshot) {
		d_commit_found(&d);
		rc = d_oneshot(&d);
		goto done;
	}

	d.read_ev = event_new(d.base, -1, 0, d_read, &d);
	d.retry_ev = evtimer_new(d.base, d_retry, &d);
	d.commit_ev = event_new(d.base, -1, EV_PERSIST, d_tick, &d);
	d.retain_ev = evtimer_new(d.base, d_retain, &d);
	d.sigterm_ev = evsignal_new(d.base, SIGTERM, d_signal, &d);
	d.sigint_ev = evsignal_new(d.base, SIGINT, d_signal, &d);
	d.sighup_ev = evsignal_new(d.base, SIGHUP, d_hup, &d);
	d.watchdog_ev = event_new(d.base, -1, EV_PERSIST, d_watchdog, &d);
	if (d.read_ev == NULL || d.retry_ev == NULL || d.commit_ev == NULL ||
	    d.retain_ev == NULL || d.sigterm_ev == NULL || d.sigint_ev == NULL ||
	    d.sighup_ev == NULL || d.watchdog_ev == NULL)
		fatalx("cannot create events");
	tv.tv_sec = d.interval_ms / 1000;
	tv.tv_usec = (d.interval_ms % 1000) * 1000;
	event_add(d.commit_ev, &tv);
	tv.tv_sec = 3600;
	tv.tv_usec = 0;
	event_add(d.retain_ev, &tv);
	event_add(d.sigterm_ev, NULL);
	event_add(d.sigint_ev, NULL);
	event_add(d.sighup_ev, NULL);
	if ((wd = notify_watchdog_usec()) > 0) {
		tv.tv_sec = (time_t)(wd / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(wd / 2 % 1000000);
		event_add(d.watchdog_ev, &tv);
	}

	memset(&hc, 0, sizeof hc);
	hc.socket_path = d.conf->socket;
	hc.socket_mode = (int)d.conf->socket_mode;
	hc.socket_group = d.conf->socket_group;
	hc.metrics_listen = d.conf->metrics_listen;
	hc.metrics_top = d.conf->metrics_top;
	hc.metrics_compat = d.conf->metrics_compat;
	hc.commit_failures = d_commit_failures;
	hc.live = d.live;
	hc.arg = &d;
	if ((http = http_new(&hc, d.conf->database, &hcause)) == NULL)
		fatalx("%s", hcause);
	d_retain(-1, 0, &d);
	log_info("started: %zu file(s), database %s", d.conf->nfollow,
	    d.conf->database);
	/* The store is open and the socket listens: systemd may start
	 * what depends on us. */
	(void)notify_ready();
	d_status(&d);
	d_commit_found(&d);
	event_active(d.read_ev, EV_TIMEOUT, 0);
	event_base_dispatch(d.base);
	rc = 0;
	log_info("stopped");
done:
	http_free(http);
	tail_free(d.tail);
	live_free(d.live);
	journal_free(d.journal);
	free(d.deltas);
	if (d.read_ev != NULL)
		event_free(d.read_ev);
	if (d.retry_ev != NULL)
		event_free(d.retry_ev);
	if (d.commit_ev != NULL)
		event_free(d.commit_ev);
	if (d.retain_ev != NULL)
		event_free(d.retain_ev);
	if (d.sigterm_ev != NULL)
		event_free(d.sigterm_ev);
	if (d.sigint_ev != NULL)
		event_free(d.sigint_ev);
	if (d.sighup_ev != NULL)
		event_free(d.sighup_ev);
	if (d.watchdog_ev != NULL)
		event_free(d.watchdog_ev);
	event_base_free(d.base);
	tally_free(d.tally);
	store_close(d.store);
	rules_free(d.rules);
	free(d.tz);
	free(d.conf);
	free(cl);
	return rc;
}
