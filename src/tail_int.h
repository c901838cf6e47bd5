/*
 * tail_int: what the three parts of tail share, and nobody else.
 *
 * tail.c follows paths and wakes up (inotify, the reconcile timer) and
 * keeps the commit side (deltas, committed, rewind); tail_find.c finds
 * generations (rotated siblings, identity by (dev, ino) and head,
 * rotation, truncation, start-up and resume); tail_gen.c is one
 * generation: its state, changed only by gen_set, and reading it into
 * lines.
 */
#ifndef SMTPTALLY_TAIL_INT_H
#define SMTPTALLY_TAIL_INT_H

#include <sys/stat.h>

#include <stdint.h>
#include <time.h>

#include <zlib.h>

#include "parse.h"
#include "source.h"
#include "tail.h"

#define TAIL_READSZ	(256 * 1024)
#define TAIL_LASTMAX	64		/* bytes before the read position kept
					 * to see a rewrite in place */
#define TAIL_WHY_MAX	512		/* a path's error, with advice */
#define TAIL_DIRMASK	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_DELETE | IN_ATTRIB)

/* The states are the source table's (source.h), one to one. */
enum gen_state {
	GEN_ACTIVE = SOURCE_ACTIVE,	/* the inode under the path */
	GEN_ROTATED = SOURCE_ROTATED,	/* renamed or deleted: drain, close */
	GEN_CLOSED = SOURCE_CLOSED,	/* drained and quiet: free after
					 * commit */
	GEN_LOST = SOURCE_LOST		/* content gone (truncated): free
					 * after commit */
};

struct tail_path;

struct tail_gen {
	struct tail_gen		*next;
	struct tail_path	*tp;
	int64_t			 id;		/* source row */
	int			 inserted;	/* the row is committed */
	int64_t			 first_seen;
	int			 fd;
	gzFile			 gz;		/* instead of fd for .gz */
	int			 wd;
	char			*name;		/* opened under this name */
	int64_t			 dev;
	int64_t			 ino;
	unsigned char		 head[SOURCE_HEAD_MAX];
	size_t			 headlen;
	size_t			 headlen_c;	/* as committed */
	int64_t			 committed;
	int64_t			 pos;		/* next line start */
	int64_t			 rdoff;		/* bytes read */
	int64_t			 lines;		/* deltas since commit */
	int64_t			 unrec;
	int64_t			 longl;
	int64_t			 lost_c;	/* lost as committed */
	int64_t			 lost_end;	/* content end when lost */
	int64_t			 lost_from;	/* the last loss's window */
	int64_t			 lost_until;
	unsigned char		 mark[SOURCE_MARK_MAX];	/* see gen_mark */
	size_t			 marklen;
	enum gen_state		 state;
	enum gen_state		 state_c;
	int64_t			 size_seen;
	time_t			 grown;		/* last time it grew */
	int			 eof;
	int64_t			 start_off;	/* for progress */
	int64_t			 start_size;
	char			*buf;
	size_t			 boff;
	size_t			 bend;
	int			 skipping;
	int			 long_pending;
	int64_t			 long_end;
	size_t			 long_len;
	enum mta		 mta;
	int64_t			 ref_time;
	int64_t			 last_time;
	int			 readerr;
	/* The bytes just before rdoff as we read them: a read whose bytes
	 * before it differ now was a read of another content (the file was
	 * rewritten in place); rewritten says so to tail_read. */
	unsigned char		 last[TAIL_LASTMAX];
	size_t			 lastlen;
	int			 rewritten;
	/* Not open now: opened when there is room (tail_unpark), found
	 * again by name, (dev, ino) and head.  spent: put aside after it
	 * was read to its end, while others waited. */
	int			 parked;
	int			 spent;
	int			 isgz;
	struct parse_cache	 cache;		/* stamps of this file */
};

struct tail_path {
	struct tail		*t;
	char			*path;
	char			*dir;
	char			*base;
	enum mta		 fmt;
	struct tail_gen		*gens;
	struct tail_gen		*live;
	int			 dirwd;
	int			 openerr;	/* errno, -2 not a regular file,
						 * 0 open (or never tried) */
	int			 had_file;	/* a file was read under it (or
						 * rows were): missing is no error */
	time_t			 err_since;
	char			 why[TAIL_WHY_MAX];	/* openerr in words */
	int			 twin;		/* said: another path's file */
	time_t			 checked;	/* previous reconcile */
};

struct tail {
	struct event_base	*base;
	struct tail_sources	 src;
	struct tail_opts	 o;
	tail_line_cb		 cb;
	tail_wake_cb		 wake;
	void			*arg;
	int			 started;
	size_t			 maxopen;	/* generations open at once */
	size_t			 nopen;
	int64_t			 errors;	/* files we could not open */
	uint64_t		 pserial;	/* a path's error came or went */
	int			 emfile;	/* said: the fd limit */
	int			 hold;		/* commits fail: keep no rotated
					 * file open (tail_hold) */
	struct tail_path	**paths;	/* each allocated: generations
						 * point at theirs */
	size_t			 npaths;
	size_t			 bufsz;
	int			 ifd;
	struct event		*iev;
	struct event		*timer;
	struct source_delta	*deltas;
	struct source_row	*drows;
	struct tail_gen		**dgens;
	size_t			 ndeltas;
	size_t			 dcap;
};

/* A candidate file seen at start-up: live path or rotated sibling. */
struct tail_cand {
	char			*name;
	int			 fd;
	int			 isgz;
	int			 live;
	int			 claimed;
	int			 fresh;		/* changed while we were away:
						 * read it from 0 */
	int64_t			 dev;
	int64_t			 ino;
	int64_t			 size;
	int64_t			 mtime;
	unsigned char		 head[SOURCE_HEAD_MAX];
	size_t			 headlen;
};

/* tail_gen.c: one generation. */
struct tail_gen	*gen_new(struct tail *, struct tail_path *, int, int,
		    const char *, const struct stat *, int64_t, enum gen_state,
		    int64_t, const struct source_row *);
struct tail_gen	*gen_stub(struct tail *, struct tail_path *, const char *,
		    const struct source_row *);
void		 gen_free(struct tail *, struct tail_gen *);
void		 gen_set(struct tail_gen *, enum gen_state);
void		 gen_seek(struct tail_gen *, int64_t);
size_t		 gen_readhead(int, int, unsigned char *, size_t);
enum tail_status gen_read(struct tail *, struct tail_gen *, size_t);
void		 gen_check(struct tail *, struct tail_gen *, time_t);
int64_t		 gen_lost(const struct tail_gen *);
int		 gen_dirty(const struct tail_gen *);
int		 gen_open(const struct tail_gen *);
int		 gen_openfile(const char *, struct stat *);
const char	*gen_filetype(const struct stat *);
struct tail_gen	*gen_lazy(struct tail *, struct tail_path *,
		    const struct tail_cand *, int64_t, enum gen_state,
		    const struct source_row *);
int		 gen_unpark(struct tail *, struct tail_gen *);
void		 gen_park(struct tail *, struct tail_gen *);
int		 gen_at_end(struct tail_gen *);
void		 gen_mark(struct tail_gen *);
int		 gen_mark_same(const char *, int64_t, int64_t, int64_t,
		    const unsigned char *, size_t);

/* tail_find.c: finding generations. */
void		 find_first(struct tail *, struct tail_path *);
void		 find_resume(struct tail *, struct tail_path *,
		    struct source_row *, size_t);
void		 find_reconcile(struct tail *, struct tail_path *, time_t);
void		 find_truncated(struct tail *, struct tail_path *,
		    struct tail_gen *, int64_t);
int		 find_relocate(struct tail *, struct tail_gen *);
int		 find_in_error(const struct tail_path *);

#endif
