/*
 * journal: the systemd journal as a source of Postfix and Exim entries.
 *
 * One struct jsrc per followed journal, with one sd_journal handle.  Its
 * position is the cursor of the last entry stepped over (counted, or
 * another program's entry skipped): "cur" moves as entries are read,
 * "ccur" is what the database holds.  A commit sends cur with the counts;
 * journal_committed makes it ccur, journal_rewind goes back to ccur.
 * Cursors are asked of sd-journal once per pass, not per entry.
 *
 * Entries are picked by SYSLOG_IDENTIFIER before anything else is read
 * from them, so other programs' MESSAGEs never reach the parser.  The
 * data threshold bounds what sd-journal decompresses for a field; a
 * MESSAGE longer than maxline is counted as long and skipped.
 *
 * Built without libsystemd only journal_add's refusal is left.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#ifdef HAVE_JOURNAL
#include <systemd/sd-journal.h>
#endif

#include "journal.h"
#include "log.h"

#define JOURNAL_MAXLINE_DEFAULT	65536
#define JOURNAL_POLL_SEC	2	/* wake-up without an fd event */
#define JOURNAL_REOPEN		5000	/* entries between two reopens */

#ifdef HAVE_JOURNAL

struct jsrc {
	char			*spec;		/* journal[:NS], journal-dir:P */
	char			*host;		/* journal-dir: its _HOSTNAME */
	sd_journal		*sj;
	struct event		*ev;		/* its fd, EV_READ */
	struct source_row	 row;		/* the values a commit writes */
	struct source_row	 crow;		/* ... as last committed */
	char			*cur;		/* last entry stepped over */
	char			*ccur;		/* the committed cursor */
	int			 insert;	/* row not yet in the store */
	int			 moved;		/* stepped since cur was asked */
	int			 reseek;	/* position from cur first */
	int			 at_end;
	int			 gap_open;	/* first entry after a gap due */
	int			 failed;	/* an error was logged */
	int			 reopen;	/* closed for a new handle */
	int			 late;		/* a host found while running */
	int64_t			 lines, unrecognised, long_lines;
	int64_t			 last_usec;	/* of the last entry read */
	uint64_t		 read;		/* entries read this run */
	uint64_t		 since_open;	/* entries since the handle was
						 * opened (see jsrc_reopen) */
};

struct journal {
	struct event_base	*base;
	struct journal_sources	 src;
	struct journal_opts	 o;
	journal_entry_cb	 cb;
	journal_wake_cb		 wake;
	void			*arg;
	struct jsrc		**s;
	size_t			 n;
	struct source_delta	*d;
	size_t			 nd;		/* room in d */
	struct event		*poll;
	/* journal-dir: one source per host found in it, so that each
	 * machine's entries are read in their own order (a handle over
	 * several machines' files merges them by time and would step over
	 * a backlog that arrives late with old stamps). */
	struct jdir {
		char		*spec;
		sd_journal	*probe;		/* asked for new host names */
	}			*dirs;
	size_t			 ndirs;
	int			 started;
};

static void	jsrc_close(struct jsrc *);
static int	journal_discover(struct journal *, struct jdir *,
		    const char **);

int
journal_supported(void)
{
	return 1;
}

/* The hexadecimal value of a cursor's "key=" part; -1 if it has none. */
static int64_t
journal_cursor_hex(const char *cur, const char *key)
{
	const char	*p;
	size_t		 klen = strlen(key);
	char		*end;
	unsigned long long v;

	for (p = cur; p != NULL && *p != '\0'; p = strchr(p, ';')) {
		if (*p == ';')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			errno = 0;
			v = strtoull(p + klen + 1, &end, 16);
			if (errno != 0 || end == p + klen + 1 ||
			    v > INT64_MAX)
				return -1;
			return (int64_t)v;
		}
	}
	return -1;
}

/* A cursor's "s=" (sequence number id), copied into out. */
static void
journal_cursor_seqid(const char *cur, char *out, size_t outsz)
{
	size_t	n;

	out[0] = '\0';
	if (cur == NULL || strncmp(cur, "s=", 2) != 0)
		return;
	n = strcspn(cur + 2, ";");
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, cur + 2, n);
	out[n] = '\0';
}

struct journal *
journal_new(struct event_base *base, const struct journal_sources *src,
    const struct journal_opts *o, journal_entry_cb cb, journal_wake_cb wake,
    void *arg)
{
	struct journal	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->base = base;
	j->src = *src;
	j->o = *o;
	if (j->o.maxline == 0)
		j->o.maxline = JOURNAL_MAXLINE_DEFAULT;
	j->cb = cb;
	j->wake = wake;
	j->arg = arg;
	return j;
}

static void
jsrc_close(struct jsrc *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	s->ev = NULL;
	if (s->sj != NULL)
		sd_journal_close(s->sj);
	s->sj = NULL;
}

void
journal_free(struct journal *j)
{
	size_t	i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		jsrc_close(j->s[i]);
		free(j->s[i]->spec);
		free(j->s[i]->host);
		free(j->s[i]->cur);
		free(j->s[i]->ccur);
		free(j->s[i]);
	}
	for (i = 0; i < j->ndirs; i++) {
		if (j->dirs[i].probe != NULL)
			sd_journal_close(j->dirs[i].probe);
		free(j->dirs[i].spec);
	}
	free(j->dirs);
	if (j->poll != NULL)
		event_free(j->poll);
	free(j->s);
	free(j->d);
	free(j);
}

/* A new source for spec (and a host of a journal-dir), not yet open. */
static struct jsrc *
journal_src(struct journal *j, const char *spec, const char *host)
{
	struct jsrc	**ns, *s;

	if ((ns = reallocarray(j->s, j->n + 1, sizeof(*ns))) == NULL)
		return NULL;
	j->s = ns;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->spec = strdup(spec)) == NULL || (host != NULL &&
	    (s->host = strdup(host)) == NULL)) {
		free(s->spec);
		free(s);
		return NULL;
	}
	j->s[j->n++] = s;
	return s;
}

/* Remember a journal to follow; it is opened by journal_start.  A
 * journal-dir gets its sources there, one per host. */
int
journal_add(struct journal *j, const char *spec, const char **cause)
{
	struct jdir	*nd;

	*cause = "out of memory";
	if (strncmp(spec, "journal-dir:", 12) != 0)
		return journal_src(j, spec, NULL) == NULL ? -1 : 0;
	if ((nd = reallocarray(j->dirs, j->ndirs + 1, sizeof(*nd))) == NULL)
		return -1;
	j->dirs = nd;
	memset(&nd[j->ndirs], 0, sizeof(nd[j->ndirs]));
	if ((nd[j->ndirs].spec = strdup(spec)) == NULL)
		return -1;
	j->ndirs++;
	return 0;
}

size_t
journal_count(const struct journal *j)
{
	return j != NULL ? j->n : 0;
}

/* The fd said the journal changed: let sd-journal look, then wake. */
static void
journal_fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct journal	*j = arg;
	const char	*cause;
	size_t		 i;
	int		 r, any = 0;

	(void)fd;
	(void)what;
	for (i = 0; i < j->n; i++) {
		if (j->s[i]->sj == NULL)
			continue;
		if ((r = sd_journal_process(j->s[i]->sj)) < 0) {
			if (!j->s[i]->failed)
				log_warnx("journal %s: %s", j->s[i]->spec,
				    strerror(-r));
			j->s[i]->failed = 1;
		} else if (r != SD_JOURNAL_NOP)
			any = 1;
		j->s[i]->at_end = 0;
	}
	(void)any;
	for (i = 0; i < j->ndirs; i++)
		if (journal_discover(j, &j->dirs[i], &cause) == -1)
			log_warnx("%s", cause);
	j->wake(j->arg);
}

/* Open one journal the way its spec says. */
static int
jsrc_open(struct jsrc *s, const char **cause)
{
	static char	 why[256];
	int		 r;

	if (strcmp(s->spec, "journal") == 0)
		r = sd_journal_open(&s->sj, SD_JOURNAL_LOCAL_ONLY);
	else if (strncmp(s->spec, "journal:", 8) == 0)
		r = sd_journal_open_namespace(&s->sj, s->spec + 8,
		    SD_JOURNAL_LOCAL_ONLY);
	else if (strncmp(s->spec, "journal-dir:", 12) == 0)
		r = sd_journal_open_directory(&s->sj, s->spec + 12, 0);
	else {
		snprintf(why, sizeof why, "%s: not a journal", s->spec);
		*cause = why;
		return -1;
	}
	if (r < 0) {
		s->sj = NULL;
		snprintf(why, sizeof why, "journal %s: cannot open: %s",
		    s->spec, strerror(-r));
		*cause = why;
		return -1;
	}
	return 0;
}

/* The source's committed row, or a new one. */
static int
jsrc_load(struct journal *j, struct jsrc *s, const char **cause)
{
	struct source_row	*rows;
	size_t			 n, i, pick;

	if (j->src.rows(j->src.arg, s->spec, &rows, &n, cause) == -1)
		return -1;
	for (pick = n, i = 0; i < n; i++)
		if (rows[i].kind == SOURCE_JOURNAL && (s->host == NULL ||
		    (rows[i].name != NULL && strcmp(rows[i].name, s->host) == 0)))
			pick = i;
	memset(&s->row, 0, sizeof(s->row));
	if (pick < n) {
		s->row = rows[pick];
		s->row.path = s->spec;
		s->row.cursor = NULL;
		if (rows[pick].cursor != NULL &&
		    (s->ccur = strdup(rows[pick].cursor)) == NULL) {
			j->src.rows_free(j->src.arg, rows, n);
			*cause = "out of memory";
			return -1;
		}
	} else {
		s->row.id = j->src.next_id(j->src.arg);
		s->row.first_seen = (int64_t)time(NULL);
		s->insert = 1;
	}
	j->src.rows_free(j->src.arg, rows, n);
	s->row.kind = SOURCE_JOURNAL;
	s->row.path = s->spec;
	s->row.name = s->host != NULL ? s->host : s->spec;
	s->row.format = MTA_UNKNOWN;
	s->row.state = SOURCE_ACTIVE;
	s->crow = s->row;
	if (s->ccur != NULL && (s->cur = strdup(s->ccur)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	return 0;
}

/* Replace cur with the cursor of the current entry. */
static int
jsrc_take_cursor(struct jsrc *s)
{
	char	*c;
	int	 r;

	if ((r = sd_journal_get_cursor(s->sj, &c)) < 0) {
		log_warnx("journal %s: no cursor: %s", s->spec, strerror(-r));
		return -1;
	}
	free(s->cur);
	s->cur = c;
	s->moved = 0;
	return 0;
}

/* Put the handle where reading goes on: just on cur's entry (the next
 * entry read is the one after it), at the first entry after cur's time
 * when that entry is gone (a gap), or at the head.  First sight with
 * from_end: on the newest entry, which is not read. */
static int
jsrc_seek(struct journal *j, struct jsrc *s)
{
	int64_t	 t;
	int	 r;

	s->reseek = 0;
	s->at_end = 0;
	if (s->cur != NULL) {
		if (sd_journal_seek_cursor(s->sj, s->cur) >= 0 &&
		    sd_journal_next(s->sj) > 0 &&
		    sd_journal_test_cursor(s->sj, s->cur) > 0)
			return 0;
		/* The entry is gone: vacuumed, rotated away, or its file
		 * corrupted.  Go on after its time; what lay between is
		 * possibly lost, and recorded. */
		t = journal_cursor_hex(s->cur, "t");
		if (t < 0) {
			log_warnx("journal %s: committed cursor '%s' has no "
			    "time: reading from the start", s->spec, s->cur);
			return sd_journal_seek_head(s->sj) < 0 ? -1 : 0;
		}
		s->row.lost_from = t / 1000000;
		s->row.lost_until = (int64_t)time(NULL);
		s->gap_open = 1;
		log_warnx("journal %s: the entry of the committed cursor is "
		    "gone (vacuumed or rotated away); going on after %" PRId64
		    " (UTC seconds): entries in between are possibly lost",
		    s->spec, s->row.lost_from);
		if ((r = sd_journal_seek_realtime_usec(s->sj,
		    (uint64_t)t + 1)) < 0)
			return -1;
		return 0;
	}
	if (s->insert && j->o.from_end && !s->late) {
		if (sd_journal_seek_tail(s->sj) < 0)
			return -1;
		if (sd_journal_previous(s->sj) > 0)
			return jsrc_take_cursor(s);
		return sd_journal_seek_head(s->sj) < 0 ? -1 : 0;
	}
	return sd_journal_seek_head(s->sj) < 0 ? -1 : 0;
}

/* The first entry after a gap: close its window, and count the entries
 * the sequence numbers say were skipped (when both are of one journal). */
static void
jsrc_gap_close(struct jsrc *s, const char *old, int64_t usec)
{
	char	*c, a[64], b[64];
	int64_t	 n0, n1, lost = 0;

	s->gap_open = 0;
	s->row.lost_until = usec / 1000000;
	if (sd_journal_get_cursor(s->sj, &c) >= 0) {
		journal_cursor_seqid(old, a, sizeof a);
		journal_cursor_seqid(c, b, sizeof b);
		n0 = journal_cursor_hex(old, "i");
		n1 = journal_cursor_hex(c, "i");
		if (a[0] != '\0' && strcmp(a, b) == 0 && n0 >= 0 && n1 > n0)
			lost = n1 - n0 - 1;
		free(c);
	}
	s->row.lost += lost;
	log_warnx("journal %s%s%s: gap from %" PRId64 " to %" PRId64 " (UTC "
	    "seconds): %" PRId64 " entries of the journal possibly lost",
	    s->spec, s->host != NULL ? " host " : "", s->host != NULL ?
	    s->host : "", s->row.lost_from, s->row.lost_until, lost);
}

/* A handle as we use it: the field threshold, the matches, the fd in the
 * loop. */
static int
jsrc_setup(struct journal *j, struct jsrc *s, const char **cause)
{
	static char	 why[256];
	size_t		 k;
	int		 fd, r;

	/* what sd-journal decompresses of a field, bounded */
	(void)sd_journal_set_data_threshold(s->sj, j->o.maxline + 16);
	for (k = 0; k < j->o.nmatches; k++)
		if ((r = sd_journal_add_match(s->sj, j->o.matches[k],
		    0)) < 0) {
			snprintf(why, sizeof why, "journal %s: match "
			    "'%s': %s", s->spec, j->o.matches[k],
			    strerror(-r));
			*cause = why;
			return -1;
		}
	/* one host of a journal-dir: (the matches) AND _HOSTNAME=host */
	if (s->host != NULL) {
		snprintf(why, sizeof why, "_HOSTNAME=%s", s->host);
		if ((j->o.nmatches > 0 &&
		    sd_journal_add_conjunction(s->sj) < 0) ||
		    sd_journal_add_match(s->sj, why, 0) < 0) {
			*cause = "cannot add the host match";
			return -1;
		}
	}
	if (j->base != NULL && !j->o.oneshot) {
		if ((fd = sd_journal_get_fd(s->sj)) < 0) {
			snprintf(why, sizeof why, "journal %s: no "
			    "wake-up fd: %s", s->spec, strerror(-fd));
			*cause = why;
			return -1;
		}
		if ((s->ev = event_new(j->base, fd, EV_READ |
		    EV_PERSIST, journal_fd_cb, j)) == NULL ||
		    event_add(s->ev, NULL) == -1) {
			*cause = "cannot watch the journal";
			return -1;
		}
	}
	s->since_open = 0;
	return 0;
}

/* Open, resume and watch one source. */
static int
jsrc_start(struct journal *j, struct jsrc *s, const char **cause)
{
	static char	 why[256];

	if (jsrc_open(s, cause) == -1 || jsrc_load(j, s, cause) == -1 ||
	    jsrc_setup(j, s, cause) == -1)
		return -1;
	if (jsrc_seek(j, s) == -1) {
		snprintf(why, sizeof why, "journal %s: cannot seek", s->spec);
		*cause = why;
		return -1;
	}
	log_debug("journal %s%s%s: %s, cursor %s", s->spec, s->host != NULL ?
	    " host " : "", s->host != NULL ? s->host : "", s->insert ? "new" :
	    "resumed", s->cur != NULL ? s->cur : "(none)");
	return 0;
}

/* Is there a source for spec and host? */
static int
journal_has(const struct journal *j, const char *spec, const char *host)
{
	size_t	i;

	for (i = 0; i < j->n; i++)
		if (j->s[i]->host != NULL && strcmp(j->s[i]->host, host) == 0 &&
		    strcmp(j->s[i]->spec, spec) == 0)
			return 1;
	return 0;
}

/* Hosts of a journal-dir that have no source yet get one: those the
 * store knows (even if their files are gone: their gap is reported) and
 * those in the files now.  Started at once when the journal runs. */
static int
journal_discover(struct journal *j, struct jdir *dir, const char **cause)
{
	static char		 why[256];
	struct source_row	*rows;
	struct jsrc		*s;
	const void		*d;
	char			 host[256];
	size_t			 n, i, l;
	int			 r;

	if (dir->probe == NULL) {
		if ((r = sd_journal_open_directory(&dir->probe, dir->spec + 12,
		    0)) < 0) {
			dir->probe = NULL;
			snprintf(why, sizeof why, "journal %s: cannot open: %s",
			    dir->spec, strerror(-r));
			*cause = why;
			return -1;
		}
		/* its fd sets up the watches that make it see new files */
		if (j->base != NULL && !j->o.oneshot)
			(void)sd_journal_get_fd(dir->probe);
		if (j->src.rows(j->src.arg, dir->spec, &rows, &n, cause) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (rows[i].kind == SOURCE_JOURNAL && rows[i].name !=
			    NULL && !journal_has(j, dir->spec, rows[i].name) &&
			    journal_src(j, dir->spec, rows[i].name) == NULL) {
				j->src.rows_free(j->src.arg, rows, n);
				*cause = "out of memory";
				return -1;
			}
		j->src.rows_free(j->src.arg, rows, n);
	} else
		(void)sd_journal_process(dir->probe);
	if (sd_journal_query_unique(dir->probe, "_HOSTNAME") < 0)
		return 0;
	SD_JOURNAL_FOREACH_UNIQUE(dir->probe, d, l) {
		if (l <= 10 || l - 10 >= sizeof host)
			continue;
		memcpy(host, (const char *)d + 10, l - 10);
		host[l - 10] = '\0';
		if (journal_has(j, dir->spec, host))
			continue;
		if ((s = journal_src(j, dir->spec, host)) == NULL) {
			*cause = "out of memory";
			return -1;
		}
		if (j->started) {
			/* a machine that appears while we follow: all of it */
			s->late = 1;
			log_info("journal %s: new host %s", dir->spec, host);
			if (jsrc_start(j, s, cause) == -1)
				return -1;
		}
	}
	return 0;
}

int
journal_start(struct journal *j, const char **cause)
{
	struct timeval	 tv = { JOURNAL_POLL_SEC, 0 };
	size_t		 i;

	for (i = 0; i < j->ndirs; i++)
		if (journal_discover(j, &j->dirs[i], cause) == -1)
			return -1;
	for (i = 0; i < j->n; i++)
		if (jsrc_start(j, j->s[i], cause) == -1)
			return -1;
	j->started = 1;
	/* a timer too: sd-journal asks to be processed now and then even
	 * when the fd stays quiet (files on other file systems), and a
	 * journal-dir is asked for new hosts */
	if (j->base != NULL && !j->o.oneshot && (j->n > 0 || j->ndirs > 0)) {
		if ((j->poll = event_new(j->base, -1, EV_PERSIST,
		    journal_fd_cb, j)) == NULL || event_add(j->poll, &tv) == -1) {
			*cause = "cannot create the journal timer";
			return -1;
		}
	}
	return 0;
}

/* sd-journal maps the journal files and keeps what it touched mapped:
 * reading a long journal through one handle grows the resident set by the
 * size of the files read.  A new handle every JOURNAL_REOPEN entries,
 * positioned on cur, keeps it bounded.  The old handle is closed first, so
 * the two never hold their pages at once; when the new one cannot be had,
 * the source stays closed and is opened again at the next pass (the
 * position is cur, in memory: nothing is lost or read twice). */
static void
jsrc_reopen(struct journal *j, struct jsrc *s)
{
	const char	*cause;

	jsrc_close(s);
	s->since_open = 0;
	s->reseek = 1;
	s->reopen = 1;
	if (jsrc_open(s, &cause) == -1 || jsrc_setup(j, s, &cause) == -1) {
		if (!s->failed)
			log_warnx("%s; trying again", cause);
		s->failed = 1;
		jsrc_close(s);
		return;
	}
	s->reopen = 0;
}

/* Which MTA an identifier names: postfix/..., postfix-NAME/..., exim,
 * exim4; with configured matches also any other "name/service" (a Postfix
 * syslog_name).  MTA_UNKNOWN: not ours, not read. */
static enum mta
journal_mta(const char *id, size_t n, int matched)
{
	if (n >= 4 && memcmp(id, "exim", 4) == 0)
		return MTA_EXIM;
	if (memchr(id, '/', n) == NULL)
		return MTA_UNKNOWN;
	if (n > 8 && memcmp(id, "postfix", 7) == 0 &&
	    (id[7] == '/' || id[7] == '-'))
		return MTA_POSTFIX;
	return matched ? MTA_POSTFIX : MTA_UNKNOWN;
}

/* A field's value: the data after "NAME=". */
static int
journal_field(sd_journal *sj, const char *name, const char **v, size_t *len)
{
	const void	*d;
	size_t		 l, nl = strlen(name);
	int		 r;

	if ((r = sd_journal_get_data(sj, name, &d, &l)) < 0)
		return r;
	if (l < nl + 1)
		return -EBADMSG;
	*v = (const char *)d + nl + 1;
	*len = l - nl - 1;
	return 0;
}

/* Up to budget entries of one source; the status of the pass. */
static enum journal_status
jsrc_read(struct journal *j, struct jsrc *s, size_t *budget)
{
	struct journal_entry	 e;
	const char		*id, *msg, *host;
	size_t			 idlen, mlen, hlen;
	uint64_t		 usec;
	int			 r, rc;

	if (s->sj == NULL && s->reopen)
		jsrc_reopen(j, s);
	if (s->sj == NULL)
		return JOURNAL_IDLE;
	if (s->reseek && jsrc_seek(j, s) == -1) {
		s->reseek = 1;
		return JOURNAL_IDLE;
	}
	/* at most JOURNAL_REOPEN entries a handle, whatever the budget */
	while (*budget > 0 && (s->since_open < JOURNAL_REOPEN ||
	    s->cur == NULL)) {
		if ((r = sd_journal_next(s->sj)) < 0) {
			if (!s->failed)
				log_warnx("journal %s: %s", s->spec,
				    strerror(-r));
			s->failed = 1;
			break;
		}
		if (r == 0) {
			s->at_end = 1;
			break;
		}
		(*budget)--;
		s->since_open++;
		if ((r = sd_journal_get_realtime_usec(s->sj, &usec)) < 0)
			usec = 0;
		if (s->gap_open)
			jsrc_gap_close(s, s->cur, (int64_t)usec);
		if (journal_field(s->sj, "SYSLOG_IDENTIFIER", &id, &idlen) < 0 ||
		    (e.mta = journal_mta(id, idlen, j->o.nmatches > 0)) ==
		    MTA_UNKNOWN) {
			s->moved = 1;
			continue;
		}
		e.source_id = s->row.id;
		e.spec = s->spec;
		e.usec = (int64_t)usec;
		e.is_long = e.is_binary = 0;
		e.msg = NULL;
		e.len = 0;
		if (journal_field(s->sj, "_HOSTNAME", &host, &hlen) < 0) {
			host = "";
			hlen = 0;
		}
		e.host = host;
		e.hostlen = hlen;
		if ((r = journal_field(s->sj, "MESSAGE", &msg, &mlen)) < 0) {
			mlen = 0;
			msg = "";
		}
		if (mlen > j->o.maxline) {
			e.is_long = 1;
			e.len = mlen;
		} else if (memchr(msg, '\0', mlen) != NULL) {
			e.is_binary = 1;
			e.len = mlen;
		} else {
			e.msg = msg;
			e.len = mlen;
		}
		rc = j->cb(&e, j->arg);
		if (rc == JOURNAL_ENTRY_FULL) {
			/* not consumed: back onto the entry before it */
			if (sd_journal_previous(s->sj) <= 0 ||
			    jsrc_take_cursor(s) == -1)
				s->reseek = 1;
			s->moved = 0;
			(*budget)++;
			return JOURNAL_FULL;
		}
		s->moved = 1;
		s->lines++;
		s->read++;
		s->last_usec = (int64_t)usec;
		s->row.last_time = (int64_t)(usec / 1000000);
		if (rc == JOURNAL_ENTRY_UNRECOGNISED)
			s->unrecognised++;
		else if (e.is_long)
			s->long_lines++;
	}
	if (s->moved)
		(void)jsrc_take_cursor(s);
	if (s->since_open >= JOURNAL_REOPEN && s->cur != NULL) {
		jsrc_reopen(j, s);
		return JOURNAL_MORE;
	}
	return *budget == 0 ? JOURNAL_MORE : JOURNAL_IDLE;
}

enum journal_status
journal_read(struct journal *j, size_t budget)
{
	enum journal_status	 st, all = JOURNAL_IDLE;
	size_t			 i, share;

	if (j == NULL || j->n == 0)
		return JOURNAL_IDLE;
	share = budget / j->n > 0 ? budget / j->n : 1;
	for (i = 0; i < j->n; i++) {
		budget = share;
		st = jsrc_read(j, j->s[i], &budget);
		if (st == JOURNAL_FULL)
			return JOURNAL_FULL;
		if (st == JOURNAL_MORE)
			all = JOURNAL_MORE;
	}
	return all;
}

/* Has any source moved or counted since the last commit? */
static int
jsrc_pending(const struct jsrc *s)
{
	if (s->insert || s->lines > 0 || s->row.lost != s->crow.lost ||
	    s->row.lost_from != s->crow.lost_from)
		return 1;
	if ((s->cur == NULL) != (s->ccur == NULL))
		return 1;
	return s->cur != NULL && strcmp(s->cur, s->ccur) != 0;
}

int
journal_pending(const struct journal *j)
{
	size_t	i;

	if (j == NULL)
		return 0;
	for (i = 0; i < j->n; i++)
		if (jsrc_pending(j->s[i]))
			return 1;
	return 0;
}

/* The sources' parts of the next commit; valid until the next call. */
size_t
journal_deltas(struct journal *j, const struct source_delta **out)
{
	struct source_delta	*d;
	struct jsrc		*s;
	size_t			 i, n = 0;

	*out = NULL;
	if (j == NULL || j->n == 0)
		return 0;
	if (j->nd < j->n) {
		free(j->d);
		if ((j->d = calloc(j->n, sizeof(*j->d))) == NULL)
			fatalx("journal: out of memory");
		j->nd = j->n;
	}
	for (i = 0; i < j->n; i++) {
		s = j->s[i];
		if (!jsrc_pending(s))
			continue;
		s->row.cursor = s->cur;
		d = &j->d[n++];
		d->row = &s->row;
		d->insert = s->insert;
		d->old_offset = 0;
		d->old_cursor = s->ccur;
		d->lines = s->lines;
		d->unrecognised = s->unrecognised;
		d->long_lines = s->long_lines;
	}
	*out = j->d;
	return n;
}

/* The commit went in: what was sent is now the committed position. */
void
journal_committed(struct journal *j)
{
	struct jsrc	*s;
	size_t		 i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		s = j->s[i];
		if (!jsrc_pending(s))
			continue;
		free(s->ccur);
		s->ccur = s->cur != NULL ? strdup(s->cur) : NULL;
		if (s->cur != NULL && s->ccur == NULL)
			fatalx("journal: out of memory");
		s->row.lines += s->lines;
		s->row.unrecognised += s->unrecognised;
		s->row.long_lines += s->long_lines;
		s->lines = s->unrecognised = s->long_lines = 0;
		s->insert = 0;
		s->row.cursor = NULL;
		s->crow = s->row;
	}
}

/* The commit failed: back to the committed cursors, counts thrown away. */
void
journal_rewind(struct journal *j)
{
	struct jsrc	*s;
	size_t		 i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		s = j->s[i];
		free(s->cur);
		s->cur = s->ccur != NULL ? strdup(s->ccur) : NULL;
		if (s->ccur != NULL && s->cur == NULL)
			fatalx("journal: out of memory");
		s->lines = s->unrecognised = s->long_lines = 0;
		s->row = s->crow;
		s->gap_open = 0;
		s->moved = 0;
		s->reseek = 1;
	}
}

/* Entries read this run, and the realtime (UTC seconds) of the oldest
 * and newest entries the journals hold, for --oneshot's progress. */
void
journal_progress(const struct journal *j, uint64_t *done, int64_t *at,
    int64_t *newest)
{
	uint64_t	from, to;
	size_t		i;

	*done = 0;
	*at = *newest = 0;
	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		*done += j->s[i]->read;
		if (j->s[i]->last_usec / 1000000 > *at)
			*at = j->s[i]->last_usec / 1000000;
		if (j->s[i]->sj != NULL && sd_journal_get_cutoff_realtime_usec(
		    j->s[i]->sj, &from, &to) > 0 && (int64_t)(to / 1000000) >
		    *newest)
			*newest = (int64_t)(to / 1000000);
	}
}

/* Seconds a followed journal is behind its newest entry (the most of its
 * hosts for a journal-dir); 0 when read to the end, -1 if not followed. */
int64_t
journal_lag(const struct journal *j, const char *spec)
{
	const struct jsrc	*s;
	uint64_t		 from, to;
	int64_t			 lag = -1, l;
	size_t			 i;

	if (j == NULL)
		return -1;
	for (i = 0; i < j->n; i++) {
		s = j->s[i];
		if (strcmp(s->spec, spec) != 0)
			continue;
		l = 0;
		if (!s->at_end && s->sj != NULL &&
		    sd_journal_get_cutoff_realtime_usec(s->sj, &from, &to) > 0 &&
		    (int64_t)to > s->last_usec)
			l = ((int64_t)to - s->last_usec) / 1000000;
		if (l > lag)
			lag = l;
	}
	return lag;
}

#else	/* !HAVE_JOURNAL */

struct journal {
	int	unused;
};

int
journal_supported(void)
{
	return 0;
}

struct journal *
journal_new(struct event_base *base, const struct journal_sources *src,
    const struct journal_opts *o, journal_entry_cb cb, journal_wake_cb wake,
    void *arg)
{
	(void)base;
	(void)src;
	(void)o;
	(void)cb;
	(void)wake;
	(void)arg;
	return calloc(1, sizeof(struct journal));
}

void
journal_free(struct journal *j)
{
	free(j);
}

int
journal_add(struct journal *j, const char *spec, const char **cause)
{
	static char	why[256];

	(void)j;
	snprintf(why, sizeof why, "%s: this smtptallyd was built without the "
	    "systemd journal (install libsystemd-dev and build again)", spec);
	*cause = why;
	return -1;
}

int
journal_start(struct journal *j, const char **cause)
{
	(void)j;
	(void)cause;
	return 0;
}

size_t
journal_count(const struct journal *j)
{
	(void)j;
	return 0;
}

enum journal_status
journal_read(struct journal *j, size_t budget)
{
	(void)j;
	(void)budget;
	return JOURNAL_IDLE;
}

int
journal_pending(const struct journal *j)
{
	(void)j;
	return 0;
}

size_t
journal_deltas(struct journal *j, const struct source_delta **out)
{
	(void)j;
	*out = NULL;
	return 0;
}

void
journal_committed(struct journal *j)
{
	(void)j;
}

void
journal_rewind(struct journal *j)
{
	(void)j;
}

void
journal_progress(const struct journal *j, uint64_t *done, int64_t *at,
    int64_t *newest)
{
	(void)j;
	*done = 0;
	*at = *newest = 0;
}

int64_t
journal_lag(const struct journal *j, const char *spec)
{
	(void)j;
	(void)spec;
	return -1;
}

#endif
