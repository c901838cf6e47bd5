/*
 * writer: a log writer for the ingest integration tests.
 *
 * Appends Postfix (syslog) or Exim (main log) lines to one file, each
 * physical line carrying a sequence number (in the queue id and the
 * recipient's local part), and records in a record file what it wrote, one
 * line per physical line written:
 *
 *	SEQ DOMAIN REPLY ENH STATUS KIND DIR MTA HOST HOUR EPOCH STAMP
 *	    DELAY A/B/C/D	a delivery line the daemon must count once
 *	SEQ - KIND		a line it must not count (noise, long, nul)
 *
 * For a delivery: the reply code (0: none was said), the enhanced code
 * ("-": none), the status, kind and direction the line means (the MTA's
 * own words: status=deferred, "**" is a bounce), the MTA, the syslog host
 * ("-": the format has none), the UTC hour and the UTC second the line
 * happened at (the clock, or -T), and the time stamp as written, its
 * spaces turned into "_".  The stamp is local time (TZ); the hour is not,
 * so a daemon that converts stamps wrongly gets the hour wrong.  DELAY
 * and A/B/C/D are the delays the line gives, in milliseconds, "-" for
 * one it does not: Postfix's delay= and delays=a/b/c/d; Exim's QT= (the
 * whole delay, also B) and DT= (D), on deliveries (=>) only.  They are
 * picked per line from a table that has each bucket bound of
 * src/delay.h and the millisecond after it.
 *
 * The record is the oracle of the tests: expected counts are computed from
 * it, never from the daemon.  A line is recorded only after its last byte
 * was written.  Domains are "TAG-BLOCK-K.example" where BLOCK is the
 * sequence number divided by the block size, so a count that is off points
 * at the block of lines where a line was lost or doubled.
 *
 * It behaves like the writers the daemon meets: one write(2) per line with
 * O_APPEND (as Exim and syslog daemons), reopen of the path after a
 * rotation, optionally only after a lag (lines or time) during which it
 * keeps writing to the renamed file, or never (keep); it can rotate the
 * file itself (rename, create), write half a line and wait for a go-ahead
 * file, write a very long line, NUL bytes, and keep a given rate.
 *
 * Options:
 *	-F postfix|exim	line format (postfix)
 *	-c N, -s SEQ	write N lines, the first with sequence number SEQ
 *	-t TAG		tag in domain names and line mix (w)
 *	-d N, -b B	N domains per block of B sequence numbers (5, 200)
 *	-O 250,451,...	reply codes to use (0 = connection refused)
 *	-N N		1 line in N is a non-delivery line (5; 0 none)
 *	-z N, -Z	1 line in N carries NUL bytes; -Z adds NUL runs
 *			before delivery lines (counted, own domain)
 *	-L SEQ:BYTES	line SEQ is a non-delivery line of BYTES bytes
 *	-p SEQ:FILE	write half of line SEQ, create FILE.wait, wait
 *			for FILE (120 s at most), write the rest
 *	-l RATE		lines per second (unlimited)
 *	-m reopen|keep	follow the path after a rotation, or never
 *	-k N, -K MS	after a rotation keep writing to the renamed file
 *			for N more lines and MS milliseconds
 *	-C		create a missing path at once (Exim); otherwise
 *			wait up to 2 s for the rotator to create it
 *	-R N[:KEEP]	rotate the file ourselves every N lines
 *	-r FILE, -P FILE	record file (appended), progress file
 *	-T EPOCH, -H HOST	fixed time stamp, syslog host name
 *
 * It is not a load generator for benchmarks and knows nothing of the
 * daemon.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES	4096
#define MAX_PAUSES	8
#define MAX_LONGS	8
#define LONG_CHUNK	65536
#define PAUSE_TIMEOUT	120	/* seconds to wait for a go-ahead file */
#define CREATE_WAIT	2	/* seconds to wait for a rotator's create */

enum format {
	FMT_POSTFIX,
	FMT_EXIM
};

enum rotmode {
	ROT_REOPEN,		/* reopen when the path changed (after lag) */
	ROT_KEEP		/* never reopen: keep the first descriptor */
};

/* One possible outcome of a delivery line. */
struct outcome {
	int		 reply;		/* 0: no reply (connection refused) */
	const char	*enhanced;
	const char	*status;	/* sent | deferred | bounced */
	const char	*text;
	int		 weight;
};

/* Outcomes, weighted; the reply 0 form exists only for Postfix. */
static const struct outcome outcomes[] = {
	{ 250, "2.0.0", "sent", "Ok", 4 },
	{ 451, "4.7.1", "deferred", "Try again later", 2 },
	{ 421, "4.3.0", "deferred", "Service not available", 1 },
	{ 550, "5.1.1", "bounced", "User unknown", 1 },
	{ 554, "5.7.1", "bounced", "Message rejected", 1 },
	{ 0, "4.4.1", "deferred", "Connection refused", 1 }
};
#define NOUTCOMES	(sizeof(outcomes) / sizeof(outcomes[0]))

struct pause {
	unsigned long long	 seq;
	const char		*file;
};

struct longline {
	unsigned long long	 seq;
	size_t			 bytes;
};

struct writer {
	const char		*path;
	const char		*record;
	const char		*progress;
	const char		*tag;
	const char		*host;
	enum format		 format;
	enum rotmode		 rotmode;
	unsigned long long	 first;
	unsigned long long	 count;
	unsigned long		 ndomains;
	unsigned long		 block;
	unsigned long		 noise;		/* 1 in N lines is noise */
	unsigned long		 nul;		/* 1 in N lines has NULs */
	int			 nullead;	/* NUL runs before deliveries */
	double			 rate;		/* lines per second, 0 = max */
	unsigned long		 lag_lines;
	unsigned long		 lag_ms;
	int			 create;	/* create a missing path at once */
	unsigned long long	 rotate_every;
	int			 rotate_keep;
	int64_t			 fixed_time;
	int			 allowed[NOUTCOMES];
	struct pause		 pauses[MAX_PAUSES];
	int			 npauses;
	struct longline		 longs[MAX_LONGS];
	int			 nlongs;

	int			 fd;
	dev_t			 fd_dev;	/* identity of fd's file */
	ino_t			 fd_ino;
	FILE			*rec;
	int			 progfd;
	uint64_t		 salt;
	int			 table[64];	/* weighted outcome indices */
	int			 ntable;

	/* rotation state */
	int			 changed;	/* path no longer our fd */
	unsigned long		 lag_left;
	struct timespec		 changed_at;
	struct timespec		 checked_at;

	/* time stamp cache */
	time_t			 stamp_sec;
	char			 stamp[32];

	/* statistics */
	unsigned long long	 n_delivery, n_noise, n_nul, n_long;
	unsigned long long	 n_reopen, n_rotate;
};

static volatile sig_atomic_t	 stop;

static void	 usage(void) __attribute__((noreturn));
static void	 fatal(const char *, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));

/* Say how to call us and give up. */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: writer [-CZ] [-b block] [-c count] [-d ndomains]"
	    " [-F postfix|exim]\n"
	    "\t[-H host] [-K lag_ms] [-k lag_lines] [-L seq:bytes]"
	    " [-l rate] [-m reopen|keep]\n"
	    "\t[-N noise] [-O codes] [-P progress] [-p seq:file]"
	    " [-R every[:keep]]\n"
	    "\t[-r record] [-s first] [-T epoch] [-t tag] [-z nul] path\n");
	exit(2);
}

/* Print a message with the program name and exit non-zero. */
static void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "writer: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Ask the writer to stop after the line it is writing. */
static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A fixed 64-bit mix, so line kinds depend only on (tag, seq). */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Parse a non-negative integer option or die. */
static unsigned long long
number(const char *s, const char *what)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		fatal("bad %s: %s", what, s);
	return v;
}

/* Parse "SEQ:REST", returning SEQ and pointing rest after the colon. */
static unsigned long long
seq_colon(char *arg, char **rest, const char *what)
{
	char	*colon;

	if ((colon = strchr(arg, ':')) == NULL || colon[1] == '\0')
		fatal("bad %s: %s (want seq:value)", what, arg);
	*colon = '\0';
	*rest = colon + 1;
	return number(arg, what);
}

/* Sleep for a number of milliseconds, restarting after signals. */
static void
sleep_ms(unsigned long ms)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Milliseconds elapsed since a monotonic time. */
static unsigned long
elapsed_ms(const struct timespec *since)
{
	struct timespec	 now;
	long long	 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - since->tv_sec) * 1000 +
	    (now.tv_nsec - since->tv_nsec) / 1000000;
	return ms < 0 ? 0 : (unsigned long)ms;
}

/* Write all bytes, looping over short writes; die on error. */
static void
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("write: %s", strerror(errno));
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Open (or create) the path for appending and remember its identity. */
static void
open_path(struct writer *w)
{
	struct stat	 st;

	if ((w->fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1)
		fatal("open %s: %s", w->path, strerror(errno));
	if (fstat(w->fd, &st) == -1)
		fatal("fstat: %s", strerror(errno));
	w->fd_dev = st.st_dev;
	w->fd_ino = st.st_ino;
}

/* Whether the path still names the file our descriptor writes to. */
static int
path_is_ours(struct writer *w)
{
	struct stat	 ps;

	if (stat(w->path, &ps) == -1)
		return 0;
	return ps.st_dev == w->fd_dev && ps.st_ino == w->fd_ino;
}

/* Reopen the path; wait a little for a rotator that creates it. */
static void
reopen(struct writer *w)
{
	struct stat	 st;
	struct timespec	 t0;

	if (!w->create) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (stat(w->path, &st) == -1 &&
		    elapsed_ms(&t0) < CREATE_WAIT * 1000)
			sleep_ms(5);
	}
	close(w->fd);
	open_path(w);
	w->changed = 0;
	w->n_reopen++;
}

/* Before each line: notice a rotation and reopen once the lag is over. */
static void
check_rotation(struct writer *w)
{
	struct timespec	 now;

	if (w->rotmode == ROT_KEEP)
		return;
	if (!w->changed) {
		/* stat(2) at most once a millisecond: it costs more than
		 * the write itself. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec == w->checked_at.tv_sec &&
		    now.tv_nsec - w->checked_at.tv_nsec < 1000000L)
			return;
		w->checked_at = now;
		if (path_is_ours(w))
			return;
		w->changed = 1;
		w->lag_left = w->lag_lines;
		clock_gettime(CLOCK_MONOTONIC, &w->changed_at);
	}
	if (w->lag_left > 0)
		return;
	if (w->lag_ms > 0 && elapsed_ms(&w->changed_at) < w->lag_ms)
		return;
	reopen(w);
}

/* Rotate the file ourselves: shift PATH.N up, PATH to PATH.1, create. */
static void
self_rotate(struct writer *w)
{
	char	 from[PATH_MAX], to[PATH_MAX];
	int	 i, fd;

	for (i = w->rotate_keep - 1; i >= 1; i--) {
		snprintf(from, sizeof(from), "%s.%d", w->path, i);
		snprintf(to, sizeof(to), "%s.%d", w->path, i + 1);
		if (rename(from, to) == -1 && errno != ENOENT)
			fatal("rename %s: %s", from, strerror(errno));
	}
	snprintf(to, sizeof(to), "%s.1", w->path);
	if (rename(w->path, to) == -1)
		fatal("rename %s: %s", w->path, strerror(errno));
	if ((fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640)) == -1)
		fatal("create %s: %s", w->path, strerror(errno));
	close(fd);
	w->n_rotate++;
	w->checked_at.tv_sec = 0;
}

/* The time stamp of the line, in the format of the writer's MTA. */
static const char *
stamp(struct writer *w)
{
	time_t		 now;
	struct tm	 tm;

	now = w->fixed_time >= 0 ? (time_t)w->fixed_time : time(NULL);
	if (now == w->stamp_sec && w->stamp[0] != '\0')
		return w->stamp;
	w->stamp_sec = now;
	localtime_r(&now, &tm);
	if (w->format == FMT_POSTFIX)
		strftime(w->stamp, sizeof(w->stamp), "%b %e %H:%M:%S", &tm);
	else
		strftime(w->stamp, sizeof(w->stamp), "%Y-%m-%d %H:%M:%S", &tm);
	return w->stamp;
}

/* An Exim message id carrying the sequence number (base 62). */
static void
exim_id(unsigned long long seq, char *out, size_t outsz)
{
	static const char	 digits[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char			 mid[7];
	int			 i;

	for (i = 5; i >= 0; i--) {
		mid[i] = digits[seq % 62];
		seq /= 62;
	}
	mid[6] = '\0';
	snprintf(out, outsz, "1rAbCd-%s-Xy", mid);
}

/* The syslog prefix of a Postfix line for a daemon name and pid. */
static int
postfix_prefix(struct writer *w, char *buf, size_t sz, const char *prog,
    int pid)
{
	return snprintf(buf, sz, "%s %s postfix/%s[%d]: ", stamp(w), w->host,
	    prog, pid);
}

/* Delays in ms: each bucket bound of src/delay.h, the millisecond past
 * it, and a few values between. */
static const int64_t delay_table[] = {
	0, 1, 2, 10, 11, 37, 100, 101, 250, 500, 501, 999, 1000, 1001,
	4200, 5000, 5001, 10000, 10001, 29999, 30000, 30001, 60000, 60001,
	299000, 300000, 300001, 900000, 900001, 1800000, 1800001, 3600000,
	3600001, 14400000, 14400001, 86400000, 86400001, 172800000,
	172800001, 200000000
};
#define NDELAYS	(sizeof(delay_table) / sizeof(delay_table[0]))

/* The delays of line seq: ms[0] the whole, ms[1..4] a, b, c, d; -1 for
 * one the line does not give. */
static void
line_delays(struct writer *w, unsigned long long seq, const struct outcome *o,
    int64_t *ms)
{
	uint64_t	 h = mix(seq ^ w->salt ^ 0x5eed);
	int		 i;

	for (i = 1; i <= 4; i++) {
		ms[i] = delay_table[h % NDELAYS];
		h /= NDELAYS;
	}
	if (w->format == FMT_POSTFIX) {
		/* some lines' delays fall mostly in one stage */
		if (h % 3 == 0)
			ms[1] = ms[3] = 0;
		ms[0] = ms[1] + ms[2] + ms[3] + ms[4];
		return;
	}
	ms[1] = ms[3] = -1;
	if (o->reply / 100 != 2) {
		ms[0] = ms[2] = ms[4] = -1;
		return;
	}
	/* Exim: QT= is whole seconds, DT= may have +millisec */
	ms[2] -= ms[2] % 1000;
	ms[0] = ms[2];
}

/* Seconds as Postfix prints them: no trailing zeros. */
static const char *
pf_secs(int64_t ms, char *buf, size_t sz)
{
	if (ms % 1000 == 0)
		snprintf(buf, sz, "%lld", (long long)(ms / 1000));
	else if (ms % 100 == 0)
		snprintf(buf, sz, "%lld.%lld", (long long)(ms / 1000),
		    (long long)(ms % 1000 / 100));
	else if (ms % 10 == 0)
		snprintf(buf, sz, "%lld.%02lld", (long long)(ms / 1000),
		    (long long)(ms % 1000 / 10));
	else
		snprintf(buf, sz, "%lld.%03lld", (long long)(ms / 1000),
		    (long long)(ms % 1000));
	return buf;
}

/* Exim's readconf_printtime() form, [Nw][Nd][Nh][Nm][N[.fff]s]. */
static const char *
exim_secs(int64_t ms, char *buf, size_t sz)
{
	static const struct { char u; int64_t s; } units[] = {
		{ 'w', 604800 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }
	};
	int64_t		 s = ms / 1000;
	size_t		 i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < 4; i++)
		if (s >= units[i].s) {
			off += (size_t)snprintf(buf + off, sz - off, "%lld%c",
			    (long long)(s / units[i].s), units[i].u);
			s %= units[i].s;
		}
	if (ms % 1000 != 0)
		snprintf(buf + off, sz - off, "%lld.%03llds", (long long)s,
		    (long long)(ms % 1000));
	else if (s > 0 || off == 0)
		snprintf(buf + off, sz - off, "%llds", (long long)s);
	return buf;
}

/* Format one delivery line; returns its length (newline included). */
static size_t
delivery_line(struct writer *w, unsigned long long seq, const char *domain,
    const struct outcome *o, const char *lead, size_t leadlen, int inner_nul,
    const int64_t *ms, char *buf, size_t sz)
{
	char	 qid[32], eid[32], dl[256], t[5][40];
	size_t	 off;
	int	 n, i;

	memcpy(buf, lead, leadlen);
	off = leadlen;
	snprintf(qid, sizeof(qid), "%010llX", seq);
	for (i = 0; i < 5; i++)
		if (w->format == FMT_POSTFIX)
			pf_secs(ms[i], t[i], sizeof(t[i]));
		else if (ms[i] >= 0)
			exim_secs(ms[i], t[i], sizeof(t[i]));
	if (w->format == FMT_POSTFIX)
		snprintf(dl, sizeof(dl), "delay=%s, delays=%s/%s/%s/%s", t[0],
		    t[1], t[2], t[3], t[4]);
	else if (ms[0] >= 0)
		snprintf(dl, sizeof(dl), " QT=%s DT=%s", t[0], t[4]);
	else
		dl[0] = '\0';
	if (w->format == FMT_POSTFIX) {
		n = postfix_prefix(w, buf + off, sz - off, "smtp",
		    (int)(seq % 30000) + 100);
		off += (size_t)n;
		if (o->reply == 0)
			n = snprintf(buf + off, sz - off,
			    "%s: to=<u%llu@%s>, relay=none, %s, "
			    "dsn=%s, status=%s (connect "
			    "to mx.%s[192.0.2.7]:25: Connection refused)",
			    qid, seq, domain, dl, o->enhanced, o->status,
			    domain);
		else if (o->reply / 100 == 2)
			n = snprintf(buf + off, sz - off,
			    "%s: to=<u%llu@%s>, relay=mx.%s[192.0.2.7]:25, "
			    "%s, dsn=%s, "
			    "status=%s (%d %s Ok: queued as Q%llu%s)",
			    qid, seq, domain, domain, dl, o->enhanced, o->status,
			    o->reply, o->enhanced, seq,
			    inner_nul ? "@@@@" : "");
		else if (o->reply / 100 == 4)
			n = snprintf(buf + off, sz - off,
			    "%s: to=<u%llu@%s>, relay=mx.%s[192.0.2.7]:25, "
			    "%s, dsn=%s, "
			    "status=%s (host mx.%s[192.0.2.7] said: %d %s %s"
			    "%s (in reply to RCPT TO command))",
			    qid, seq, domain, domain, dl, o->enhanced, o->status,
			    domain, o->reply, o->enhanced, o->text,
			    inner_nul ? "@@@@" : "");
		else
			n = snprintf(buf + off, sz - off,
			    "%s: to=<u%llu@%s>, relay=mx.%s[192.0.2.7]:25, "
			    "%s, dsn=%s, "
			    "status=%s (host mx.%s[192.0.2.7] said: %d %s "
			    "<u%llu@%s>: %s%s (in reply to RCPT TO command))",
			    qid, seq, domain, domain, dl, o->enhanced, o->status,
			    domain, o->reply, o->enhanced, seq, domain,
			    o->text, inner_nul ? "@@@@" : "");
	} else {
		exim_id(seq, eid, sizeof(eid));
		if (o->reply / 100 == 2)
			n = snprintf(buf + off, sz - off,
			    "%s %s => u%llu@%s R=dnslookup T=remote_smtp "
			    "H=mx.%s [192.0.2.7] C=\"%d %s Ok: queued as "
			    "Q%llu%s\"%s",
			    stamp(w), eid, seq, domain, domain, o->reply,
			    o->enhanced, seq, inner_nul ? "@@@@" : "", dl);
		else if (o->reply / 100 == 4)
			n = snprintf(buf + off, sz - off,
			    "%s %s == u%llu@%s R=dnslookup T=remote_smtp "
			    "defer (-44) H=mx.%s [192.0.2.7]: SMTP error from "
			    "remote mail server after RCPT TO:<u%llu@%s>: "
			    "%d %s %s%s",
			    stamp(w), eid, seq, domain, domain, seq, domain,
			    o->reply, o->enhanced, o->text,
			    inner_nul ? "@@@@" : "");
		else
			n = snprintf(buf + off, sz - off,
			    "%s %s ** u%llu@%s R=dnslookup T=remote_smtp "
			    "H=mx.%s [192.0.2.7]: SMTP error from remote mail "
			    "server after RCPT TO:<u%llu@%s>: %d %s %s%s",
			    stamp(w), eid, seq, domain, domain, seq, domain,
			    o->reply, o->enhanced, o->text,
			    inner_nul ? "@@@@" : "");
	}
	if (n < 0 || (size_t)n >= sz - off - 1)
		fatal("line too long");
	off += (size_t)n;
	buf[off++] = '\n';
	if (inner_nul) {
		/* The "@@@@" marker becomes four NUL bytes. */
		char	*at = memmem(buf + leadlen, off - leadlen, "@@@@", 4);

		if (at != NULL)
			memset(at, '\0', 4);
	}
	return off;
}

/* Format one line the daemon must not count; returns its length. */
static size_t
noise_line(struct writer *w, unsigned long long seq, unsigned variant,
    int inner_nul, char *buf, size_t sz)
{
	char	 qid[32], eid[32];
	int	 n, m;

	snprintf(qid, sizeof(qid), "%010llX", seq);
	if (w->format == FMT_POSTFIX) {
		switch (variant % 3) {
		case 0:
			m = postfix_prefix(w, buf, sz, "smtpd", 1);
			n = snprintf(buf + m, sz - (size_t)m,
			    "connect from x%llu[192.0.2.1]", seq);
			break;
		case 1:
			m = postfix_prefix(w, buf, sz, "qmgr", 2);
			n = snprintf(buf + m, sz - (size_t)m, "%s: removed",
			    qid);
			break;
		default:
			m = postfix_prefix(w, buf, sz, "cleanup", 3);
			n = snprintf(buf + m, sz - (size_t)m,
			    "%s: message-id=<%llu@x.example>", qid, seq);
			break;
		}
	} else {
		exim_id(seq, eid, sizeof(eid));
		m = 0;
		switch (variant % 3) {
		case 0:
			n = snprintf(buf, sz, "%s %s <= s%llu@src.example "
			    "H=x [192.0.2.1] P=esmtp S=1234 id=%llu@x",
			    stamp(w), eid, seq, seq);
			break;
		case 1:
			n = snprintf(buf, sz, "%s %s Completed", stamp(w),
			    eid);
			break;
		default:
			n = snprintf(buf, sz, "%s SMTP connection from "
			    "[192.0.2.1]:%llu (TCP/IP connection count = 1)",
			    stamp(w), seq % 60000);
			break;
		}
	}
	if (n < 0 || (size_t)(m + n) >= sz - 6)
		fatal("line too long");
	n += m;
	if (inner_nul) {
		/* Four NUL bytes in the middle of the text. */
		size_t	 mid = (size_t)m + (size_t)(n - m) / 2;

		memmove(buf + mid + 4, buf + mid, (size_t)n - mid);
		memset(buf + mid, '\0', 4);
		n += 4;
	}
	buf[n++] = '\n';
	return (size_t)n;
}

/* Tell the test we stopped mid-line, then wait for its go-ahead file. */
static void
pause_here(struct writer *w, const char *file)
{
	char		 ready[PATH_MAX];
	struct stat	 st;
	struct timespec	 t0;
	int		 fd;

	fflush(w->rec);
	snprintf(ready, sizeof(ready), "%s.wait", file);
	if ((fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		fatal("create %s: %s", ready, strerror(errno));
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (stat(file, &st) == -1) {
		if (elapsed_ms(&t0) > PAUSE_TIMEOUT * 1000) {
			fprintf(stderr, "writer: no %s after %d s, going on\n",
			    file, PAUSE_TIMEOUT);
			break;
		}
		sleep_ms(10);
	}
}

/* The go-ahead file for a sequence number, or NULL if no pause there. */
static const char *
pause_for(struct writer *w, unsigned long long seq)
{
	int	 i;

	for (i = 0; i < w->npauses; i++)
		if (w->pauses[i].seq == seq)
			return w->pauses[i].file;
	return NULL;
}

/* Write one line, pausing in its middle if asked to. */
static void
emit(struct writer *w, unsigned long long seq, const char *buf, size_t len)
{
	const char	*file;
	size_t		 half;

	if ((file = pause_for(w, seq)) == NULL) {
		write_all(w->fd, buf, len);
		return;
	}
	half = len / 2;
	write_all(w->fd, buf, half);
	pause_here(w, file);
	write_all(w->fd, buf + half, len - half);
}

/* Write a line of about `bytes` bytes that is not a delivery. */
static void
emit_long(struct writer *w, unsigned long long seq, size_t bytes)
{
	static char	 chunk[LONG_CHUNK];
	char		 head[LINE_MAX_BYTES], qid[32], eid[32];
	const char	*file;
	size_t		 done, n, total;
	int		 hl;

	snprintf(qid, sizeof(qid), "%010llX", seq);
	if (w->format == FMT_POSTFIX) {
		hl = postfix_prefix(w, head, sizeof(head), "cleanup", 3);
		hl += snprintf(head + hl, sizeof(head) - (size_t)hl,
		    "%s: warning: header Subject: ", qid);
	} else {
		exim_id(seq, eid, sizeof(eid));
		hl = snprintf(head, sizeof(head), "%s %s <= s%llu@src.example "
		    "H=x [192.0.2.1] P=esmtp S=1234 T=\"", stamp(w), eid, seq);
	}
	memset(chunk, 'x', sizeof(chunk));
	total = bytes > (size_t)hl + 1 ? bytes - (size_t)hl - 1 : 0;
	file = pause_for(w, seq);
	write_all(w->fd, head, (size_t)hl);
	for (done = 0; done < total; done += n) {
		n = total - done < sizeof(chunk) ? total - done : sizeof(chunk);
		write_all(w->fd, chunk, n);
		if (file != NULL && done < total / 2 && done + n >= total / 2) {
			pause_here(w, file);
			file = NULL;
		}
	}
	write_all(w->fd, "\n", 1);
}

/* The size of the long line at a sequence number, 0 if none. */
static size_t
long_for(struct writer *w, unsigned long long seq)
{
	int	 i;

	for (i = 0; i < w->nlongs; i++)
		if (w->longs[i].seq == seq)
			return w->longs[i].bytes;
	return 0;
}

/* Keep the configured rate: sleep until line i is due. */
static void
pace(struct writer *w, const struct timespec *t0, unsigned long long i)
{
	double		 due_ms;
	unsigned long	 now_ms;

	if (w->rate <= 0)
		return;
	due_ms = (double)i * 1000.0 / w->rate;
	now_ms = elapsed_ms(t0);
	if (due_ms > (double)now_ms + 1.0)
		sleep_ms((unsigned long)(due_ms - (double)now_ms));
}

/* Store how many lines are done where a test can poll it. */
static void
progress(struct writer *w, unsigned long long done)
{
	char	 buf[32];
	int	 n;

	if (w->progfd == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%llu\n", done);
	if (pwrite(w->progfd, buf, (size_t)n, 0) != n)
		fatal("progress: %s", strerror(errno));
}

/* Record a delivery line just written: what it means and when it was. */
static void
record_delivery(struct writer *w, unsigned long long seq, const char *domain,
    const struct outcome *o, const int64_t *ms)
{
	char		 d[5][24], text[sizeof(w->stamp)];
	long long	 t = (long long)w->stamp_sec;
	size_t		 i;

	/* delivery_line() wrote w->stamp, the stamp of second stamp_sec */
	for (i = 0; w->stamp[i] != '\0'; i++)
		text[i] = w->stamp[i] == ' ' ? '_' : w->stamp[i];
	text[i] = '\0';
	for (i = 0; i < 5; i++)
		if (ms[i] < 0)
			snprintf(d[i], sizeof(d[i]), "-");
		else
			snprintf(d[i], sizeof(d[i]), "%lld", (long long)ms[i]);
	fprintf(w->rec, "%llu %s %d %s %s attempt out %s %s %lld %lld %s "
	    "%s %s/%s/%s/%s\n",
	    seq, domain, o->reply, o->enhanced[0] != '\0' ? o->enhanced : "-",
	    o->status, w->format == FMT_POSTFIX ? "postfix" : "exim",
	    w->format == FMT_POSTFIX ? w->host : "-", t - t % 3600, t, text,
	    d[0], d[1], d[2], d[3], d[4]);
}

/* Write one physical line for a sequence number and record it. */
static void
one_line(struct writer *w, unsigned long long seq)
{
	char			 buf[LINE_MAX_BYTES], domain[128];
	char			 lead[64];
	uint64_t		 h;
	size_t			 len, longbytes, leadlen;
	const struct outcome	*o;
	int64_t			 ms[5];
	int			 nulvar;

	h = mix(seq ^ w->salt);
	if ((longbytes = long_for(w, seq)) > 0) {
		emit_long(w, seq, longbytes);
		fprintf(w->rec, "%llu - long\n", seq);
		w->n_long++;
		return;
	}
	/*
	 * NUL variants: 0 a line of NULs only, 1 NULs inside a line that is
	 * not counted, 2 NULs inside a delivery's reply text, 3 (with -Z) a
	 * run of NULs before a delivery line.  2 and 3 are counted.
	 */
	nulvar = -1;
	if (w->nul > 0 && h % w->nul == 1)
		nulvar = (int)((h >> 8) % (w->nullead ? 4 : 3));
	if (nulvar == 0) {
		len = 16 + (size_t)((h >> 16) % 48);
		memset(buf, '\0', len);
		buf[len++] = '\n';
		emit(w, seq, buf, len);
		fprintf(w->rec, "%llu - nul\n", seq);
		w->n_nul++;
		return;
	}
	if (nulvar == 1) {
		len = noise_line(w, seq, (unsigned)(h >> 8), 1, buf,
		    sizeof(buf));
		emit(w, seq, buf, len);
		fprintf(w->rec, "%llu - nul\n", seq);
		w->n_nul++;
		return;
	}
	if (nulvar == -1 && w->noise > 0 && h % w->noise == 0) {
		len = noise_line(w, seq, (unsigned)(h >> 8), 0, buf,
		    sizeof(buf));
		emit(w, seq, buf, len);
		fprintf(w->rec, "%llu - noise\n", seq);
		w->n_noise++;
		return;
	}
	o = &outcomes[w->table[(h >> 20) % (uint64_t)w->ntable]];
	/* NUL-carrying deliveries get domains of their own, so a count
	 * that is off says which kind of NUL line was mishandled. */
	if (nulvar == 2)
		snprintf(domain, sizeof(domain), "%s-nulinside.example",
		    w->tag);
	else if (nulvar == 3)
		snprintf(domain, sizeof(domain), "%s-nullead.example", w->tag);
	else
		snprintf(domain, sizeof(domain), "%s-%04llu-%llu.example",
		    w->tag, seq / w->block,
		    (unsigned long long)((h >> 12) % w->ndomains));
	leadlen = 0;
	if (nulvar == 3) {
		leadlen = 1 + (size_t)((h >> 16) % 32);
		memset(lead, '\0', leadlen);
	}
	if (nulvar >= 2)
		w->n_nul++;
	line_delays(w, seq, o, ms);
	len = delivery_line(w, seq, domain, o, lead, leadlen, nulvar == 2,
	    ms, buf, sizeof(buf));
	emit(w, seq, buf, len);
	record_delivery(w, seq, domain, o, ms);
	w->n_delivery++;
}

/* Build the weighted outcome table from the allowed replies. */
static void
build_table(struct writer *w)
{
	size_t	 i;
	int	 k;

	w->ntable = 0;
	for (i = 0; i < NOUTCOMES; i++) {
		if (!w->allowed[i])
			continue;
		if (w->format == FMT_EXIM && outcomes[i].reply == 0)
			continue;
		for (k = 0; k < outcomes[i].weight; k++)
			w->table[w->ntable++] = (int)i;
	}
	if (w->ntable == 0)
		fatal("no outcome left for this format");
}

/* Parse -O: a comma list of reply codes to use (0 = no reply). */
static void
parse_outcomes(struct writer *w, char *list)
{
	char		*tok;
	size_t		 i;
	int		 code, found;

	memset(w->allowed, 0, sizeof(w->allowed));
	for (tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
		code = (int)number(tok, "reply code");
		found = 0;
		for (i = 0; i < NOUTCOMES; i++)
			if (outcomes[i].reply == code) {
				w->allowed[i] = 1;
				found = 1;
			}
		if (!found)
			fatal("unknown reply code %d", code);
	}
}

/* A string's hash, so different tags give different line mixes. */
static uint64_t
tag_salt(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

int
main(int argc, char *argv[])
{
	struct writer		 w;
	struct sigaction	 sa;
	struct timespec		 t0;
	unsigned long long	 i;
	char			*rest;
	size_t			 k;
	int			 ch;

	memset(&w, 0, sizeof(w));
	w.tag = "w";
	w.host = "mx1";
	w.format = FMT_POSTFIX;
	w.rotmode = ROT_REOPEN;
	w.first = 1;
	w.count = 1000;
	w.ndomains = 5;
	w.block = 200;
	w.noise = 5;
	w.fixed_time = -1;
	w.rotate_keep = 10;
	w.progfd = -1;
	for (k = 0; k < NOUTCOMES; k++)
		w.allowed[k] = 1;

	while ((ch = getopt(argc, argv,
	    "b:Cc:d:F:H:K:k:L:l:m:N:O:P:p:R:r:s:T:t:Zz:")) != -1) {
		switch (ch) {
		case 'b':
			w.block = (unsigned long)number(optarg, "block");
			if (w.block == 0)
				fatal("block must be positive");
			break;
		case 'C':
			w.create = 1;
			break;
		case 'c':
			w.count = number(optarg, "count");
			break;
		case 'd':
			w.ndomains = (unsigned long)number(optarg, "domains");
			if (w.ndomains == 0)
				fatal("domains must be positive");
			break;
		case 'F':
			if (strcmp(optarg, "postfix") == 0)
				w.format = FMT_POSTFIX;
			else if (strcmp(optarg, "exim") == 0)
				w.format = FMT_EXIM;
			else
				usage();
			break;
		case 'H':
			w.host = optarg;
			break;
		case 'K':
			w.lag_ms = (unsigned long)number(optarg, "lag ms");
			break;
		case 'k':
			w.lag_lines = (unsigned long)number(optarg,
			    "lag lines");
			break;
		case 'L':
			if (w.nlongs == MAX_LONGS)
				fatal("too many -L");
			w.longs[w.nlongs].seq = seq_colon(optarg, &rest, "-L");
			w.longs[w.nlongs].bytes = (size_t)number(rest,
			    "bytes");
			w.nlongs++;
			break;
		case 'l':
			w.rate = (double)number(optarg, "rate");
			break;
		case 'm':
			if (strcmp(optarg, "reopen") == 0)
				w.rotmode = ROT_REOPEN;
			else if (strcmp(optarg, "keep") == 0)
				w.rotmode = ROT_KEEP;
			else
				usage();
			break;
		case 'N':
			w.noise = (unsigned long)number(optarg, "noise");
			break;
		case 'O':
			parse_outcomes(&w, optarg);
			break;
		case 'P':
			w.progress = optarg;
			break;
		case 'p':
			if (w.npauses == MAX_PAUSES)
				fatal("too many -p");
			w.pauses[w.npauses].seq = seq_colon(optarg, &rest,
			    "-p");
			w.pauses[w.npauses].file = rest;
			w.npauses++;
			break;
		case 'R':
			if (strchr(optarg, ':') != NULL) {
				w.rotate_every = seq_colon(optarg, &rest, "-R");
				w.rotate_keep = (int)number(rest, "keep");
				if (w.rotate_keep < 1 || w.rotate_keep > 1000)
					fatal("bad keep: %d", w.rotate_keep);
			} else
				w.rotate_every = number(optarg, "-R");
			break;
		case 'r':
			w.record = optarg;
			break;
		case 's':
			w.first = number(optarg, "first");
			break;
		case 'T':
			w.fixed_time = (int64_t)number(optarg, "time");
			break;
		case 't':
			w.tag = optarg;
			break;
		case 'Z':
			w.nullead = 1;
			break;
		case 'z':
			w.nul = (unsigned long)number(optarg, "nul");
			if (w.nul == 1)
				fatal("-z must be 0 or at least 2");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	w.path = argv[0];
	w.salt = tag_salt(w.tag);
	build_table(&w);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (w.record == NULL)
		w.rec = fopen("/dev/null", "w");
	else
		w.rec = fopen(w.record, "a");
	if (w.rec == NULL)
		fatal("open record %s: %s", w.record ? w.record : "/dev/null",
		    strerror(errno));
	if (w.progress != NULL && (w.progfd = open(w.progress,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		fatal("open %s: %s", w.progress, strerror(errno));
	open_path(&w);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < w.count && !stop; i++) {
		pace(&w, &t0, i);
		if (w.rotate_every > 0 && i > 0 && i % w.rotate_every == 0)
			self_rotate(&w);
		check_rotation(&w);
		one_line(&w, w.first + i);
		if (w.changed && w.lag_left > 0)
			w.lag_left--;
		if ((i + 1) % 1000 == 0) {
			fflush(w.rec);
			progress(&w, i + 1);
		}
	}
	progress(&w, i);
	if (fflush(w.rec) == EOF || ferror(w.rec))
		fatal("record: write error");
	fclose(w.rec);
	close(w.fd);
	fprintf(stderr, "writer %s: %llu lines (%llu deliveries, %llu noise, "
	    "%llu nul, %llu long), %llu reopens, %llu rotations\n",
	    w.tag, i, w.n_delivery, w.n_noise, w.n_nul, w.n_long,
	    w.n_reopen, w.n_rotate);
	return stop ? 3 : 0;
}
