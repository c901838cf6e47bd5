/*
 * source: what the daemon reads, as the database remembers it, and what a
 * commit records about it.
 *
 * A source is one generation of a followed file (one inode's stream of
 * bytes, found again by (dev, ino) and its first bytes) or one journal
 * (a cursor).  Its row holds the committed position; a commit moves the
 * position together with the count deltas of the lines read up to it, in
 * one transaction, with a compare-and-set on the old position.  A row is
 * born in the commit that first records progress from it (insert), so the
 * readers never write to the database.
 *
 * Types only, shared by tail, journal, the daemon's main and store; the
 * readers never include store.h.
 */
#ifndef SMTPTALLY_SOURCE_H
#define SMTPTALLY_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define SOURCE_HEAD_MAX		1024	/* bytes of a file's head kept */
#define SOURCE_MARK_MAX		32	/* bytes of the mark (see below) */

/* Stored as integers in source.kind and source.state: never renumber. */
enum source_kind {
	SOURCE_FILE,
	SOURCE_JOURNAL
};

enum source_state {
	SOURCE_ACTIVE,		/* the inode under the path; a journal */
	SOURCE_ROTATED,		/* renamed or deleted: drain, then close */
	SOURCE_CLOSED,		/* drained: nothing more will be read */
	SOURCE_LOST		/* content gone (truncated): not read again */
};

/* One row of the source table.  Strings are owned by the row when it
 * comes from store_sources (free with store_sources_free), borrowed when
 * it travels in a source_delta. */
struct source_row {
	int64_t			 id;		/* > 0 */
	enum source_kind	 kind;
	char			*path;		/* what is followed: a path, or
						 * journal[:NS], journal-dir:P */
	char			*name;		/* where this generation was
						 * last seen (mail.log.1) */
	enum mta		 format;	/* MTA_UNKNOWN = detect */
	int64_t			 dev;
	int64_t			 ino;
	unsigned char		 head[SOURCE_HEAD_MAX];
	size_t			 headlen;
	/* A keyed digest of the bytes just before offset, so that a file
	 * rewritten while we were away is told from the one we read. */
	unsigned char		 mark[SOURCE_MARK_MAX];
	size_t			 marklen;
	int64_t			 offset;	/* files: a line start */
	char			*cursor;	/* journal: last entry counted,
						 * NULL for files */
	int64_t			 lines;
	int64_t			 unrecognised;
	int64_t			 long_lines;
	int64_t			 lost;		/* bytes (files) lost so far */
	int64_t			 lost_from;	/* the last loss's time window, */
	int64_t			 lost_until;	/* UTC seconds; 0 = none */
	enum source_state	 state;
	int64_t			 first_seen;
	int64_t			 last_commit;
	int64_t			 last_time;	/* of the last event counted */
};

/* One source's part of a commit.  row holds the new values (its lines,
 * unrecognised and long_lines are ignored: the deltas below are added);
 * insert says the row is new.  Otherwise the stored row must still be at
 * old_offset and old_cursor, or the whole commit is refused as stale. */
struct source_delta {
	const struct source_row	*row;
	int			 insert;
	int64_t			 old_offset;
	const char		*old_cursor;	/* NULL for files */
	int64_t			 lines;
	int64_t			 unrecognised;
	int64_t			 long_lines;
};

/* The names status and the logs show. */
static inline const char *
source_state_name(enum source_state s)
{
	static const char *const names[] = { "active", "rotated", "closed",
	    "lost" };

	return (unsigned)s < 4 ? names[s] : "unknown";
}

static inline const char *
source_kind_name(enum source_kind k)
{
	return k == SOURCE_JOURNAL ? "journal" : "file";
}

#endif
