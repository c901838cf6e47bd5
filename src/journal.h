/*
 * journal: following the systemd journal through libsystemd's sd-journal.
 *
 * A journal source is the local journal ("journal"), a journald namespace
 * ("journal:NS") or the journal files in a directory ("journal-dir:/p",
 * what systemd-journal-remote writes).  Each is one source row (see
 * source.h) whose position is the cursor of the last entry stepped over.
 * Postfix and Exim entries (by SYSLOG_IDENTIFIER, or the configured
 * matches) go to a callback with their MESSAGE, realtime stamp and
 * _HOSTNAME; other programs' entries are stepped over unread.  Like tail,
 * journal reports how far it has read (journal_deltas) so that the caller
 * commits the cursors with the counts, then confirms (journal_committed)
 * or throws everything back (journal_rewind: seek to the committed
 * cursors).
 *
 * On start a committed cursor is sought and tested; when its entry is gone
 * (vacuumed while we were away) reading goes on after the cursor's time
 * and the gap (entries possibly lost, time window) is recorded in the row
 * and logged.  The journal's fd wakes the libevent loop.
 *
 * Without libsystemd (configure --without-journal) journal_add refuses
 * every source with a cause saying so.
 *
 * Not here: parsing, counting, SQL, deciding when to commit.
 */
#ifndef SMTPTALLY_JOURNAL_H
#define SMTPTALLY_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* Return values of the entry callback. */
#define JOURNAL_ENTRY_OK		0
#define JOURNAL_ENTRY_UNRECOGNISED	1	/* counted in unrecognised */
#define JOURNAL_ENTRY_FULL		2	/* not consumed: commit, retry */

enum journal_status {
	JOURNAL_IDLE,		/* every source read to its end */
	JOURNAL_MORE,		/* budget used up, more to read */
	JOURNAL_FULL		/* the callback said full: commit first */
};

struct event_base;
struct journal;

/* What journal asks of whoever keeps the committed rows (as tail). */
struct journal_sources {
	int		(*rows)(void *, const char *, struct source_row **,
			    size_t *, const char **);
	void		(*rows_free)(void *, struct source_row *, size_t);
	int64_t		(*next_id)(void *);
	void		 *arg;
};

struct journal_opts {
	size_t			 maxline;	/* longer MESSAGEs are skipped */
	int			 from_end;	/* first sight: start at the end */
	int			 oneshot;	/* no wake-ups */
	const char *const	*matches;	/* FIELD=VALUE, or none */
	size_t			 nmatches;
};

/* One entry handed to the callback; pointers valid during the call only.
 * msg is NULL for a MESSAGE over maxline (is_long) or with a NUL byte
 * (is_binary). */
struct journal_entry {
	int64_t		 source_id;
	const char	*spec;
	enum mta	 mta;
	int64_t		 usec;		/* realtime, UTC */
	const char	*host;		/* _HOSTNAME, "" if none */
	size_t		 hostlen;
	int		 is_long;
	int		 is_binary;
	const char	*msg;
	size_t		 len;
};

typedef int	(*journal_entry_cb)(const struct journal_entry *, void *);
typedef void	(*journal_wake_cb)(void *);

int		 journal_supported(void);
struct journal	*journal_new(struct event_base *, const struct journal_sources *,
		     const struct journal_opts *, journal_entry_cb,
		     journal_wake_cb, void *);
void		 journal_free(struct journal *);
int		 journal_add(struct journal *, const char *, const char **);
int		 journal_start(struct journal *, const char **);
size_t		 journal_count(const struct journal *);
enum journal_status journal_read(struct journal *, size_t);
int		 journal_pending(const struct journal *);
size_t		 journal_deltas(struct journal *, const struct source_delta **);
void		 journal_committed(struct journal *);
void		 journal_rewind(struct journal *);
void		 journal_progress(const struct journal *, uint64_t *,
		     int64_t *, int64_t *);
int64_t		 journal_lag(const struct journal *, const char *);

#endif
