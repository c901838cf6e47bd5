/*
 * conf: smtptallyd.conf(5), the daemon's configuration file.
 *
 * One table of keys (name, type, default, bounds, help) is the single
 * source for the parser, the command-line overrides, `smtptallyd --help`
 * and the consistency test against the man page and the installed default
 * file.  The file is lines of `key = value`; `#` starts a comment line;
 * `follow` may repeat, every other key may appear once.
 *
 * The parser is pure: text in, a caller-owned struct conf out, errors as
 * "file:line: message" strings in a caller-owned struct conf_errors.  No
 * allocation, no globals, no logging.  conf_read() is the one function
 * that touches the file system (it reads the file, then parses).
 *
 * Not here: applying a configuration (the daemon's main does that), group
 * lookups, opening files or sockets.
 */
#ifndef SMTPTALLY_CONF_H
#define SMTPTALLY_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "event.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif

#define CONF_FOLLOW_MAX		64	/* follow lines */
#define CONF_MATCH_MAX		16	/* journal_match lines */
#define CONF_MATCH_LEN		256	/* bytes of one, with the NUL */
#define CONF_PATH_MAX		1024	/* bytes of a path, with the NUL */
#define CONF_SOCKET_MAX		108	/* sizeof(sun_path) on Linux */
#define CONF_GROUP_MAX		33	/* group name, with the NUL */
#define CONF_LISTEN_MAX		32	/* "255.255.255.255:65535" + slack */
#define CONF_LINE_MAX		4096	/* bytes of one line of the file */
#define CONF_FILE_MAX		(1024 * 1024)	/* bytes of the whole file */
#define CONF_ERRORS_MAX		20	/* error messages kept */
#define CONF_ERROR_LEN		(CONF_PATH_MAX + 256)
#define CONF_RELAYS_MAX		16	/* filter_relay lines */
#define CONF_RELAY_LEN		136	/* "[host]:port" with the NUL */

/* Keys, in table order; CONF_NKEYS counts them. */
enum conf_key {
	CONF_FOLLOW,
	CONF_STATE_DIRECTORY,
	CONF_DATABASE,
	CONF_SOCKET,
	CONF_SOCKET_MODE,
	CONF_SOCKET_GROUP,
	CONF_RETENTION_DAYS,
	CONF_KEEP_DAYS,
	CONF_COMMIT_INTERVAL,
	CONF_MAX_LINE,
	CONF_MAX_KEYS,
	CONF_METRICS_TOP,
	CONF_METRICS_LISTEN,
	CONF_TIMEZONE,
	CONF_YEAR,
	CONF_FROM_END,
	CONF_BACKFILL,
	CONF_QUIET,
	CONF_RULES,
	CONF_RULES_LOCAL,
	CONF_JOURNAL_MATCH,
	CONF_FILTER_RELAY,
	CONF_FILTER_LOOPBACK,
	CONF_METRICS_COMPAT,
	CONF_NKEYS
};

/* Value types; they decide the syntax accepted and the bounds' unit. */
enum conf_type {
	CONF_T_FOLLOW,		/* [postfix:|exim:]/absolute/path */
	CONF_T_PATH,		/* absolute path */
	CONF_T_SOCKPATH,	/* absolute path shorter than sun_path */
	CONF_T_MODE,		/* octal permission bits */
	CONF_T_GROUP,		/* group name or "" */
	CONF_T_INT,		/* decimal integer */
	CONF_T_MSEC,		/* integer with ms (default), s or m */
	CONF_T_SIZE,		/* integer with bytes (default), K or M */
	CONF_T_BOOL,		/* yes/no, true/false, on/off, 1/0 */
	CONF_T_LISTEN,		/* off | PORT | IPv4:PORT */
	CONF_T_TIMEZONE,	/* local | UTC | +HH:MM | -HH:MM */
	CONF_T_YEAR,		/* mtime | now */
	CONF_T_MATCH,		/* FIELD=VALUE, repeatable */
	CONF_T_RELAY,		/* HOST:PORT, [IPV6]:PORT, HOST, a socket */
	CONF_T_COMPAT		/* none | postfix_exporter, exim_exporter */
};

/* metrics_compat bits; the same values as query.h's METRICS_COMPAT_*. */
#define CONF_COMPAT_POSTFIX	0x1
#define CONF_COMPAT_EXIM	0x2

enum conf_tz_kind {
	CONF_TZ_LOCAL,		/* the machine's zone, from localtime_r */
	CONF_TZ_FIXED,		/* offset seconds east of UTC (UTC = 0) */
	CONF_TZ_NAMED		/* a tzdata zone: "Europe/Berlin" */
};

struct conf_tz {
	enum conf_tz_kind kind;
	long		 offset;
	char		 name[64];	/* CONF_TZ_NAMED */
};

enum conf_year {
	CONF_YEAR_MTIME,	/* year-less stamps: at most a week after the
				 * file's modification time */
	CONF_YEAR_NOW		/* ... after the time the line is read */
};

/* One row of the key table (read-only, see conf_table). */
struct conf_keydef {
	enum conf_key	 key;
	const char	*name;		/* in the file */
	const char	*option;	/* long option without "--", or NULL */
	enum conf_type	 type;
	const char	*def;		/* default, as written in the file */
	long long	 min, max;	/* bounds (numbers: in the base unit;
					 * strings: not used) */
	int		 reload;	/* takes effect on SIGHUP */
	size_t		 off, size;	/* the field in struct conf */
	const char	*arg;		/* placeholder for --help: "days" */
	const char	*help;		/* one line */
};

/* The filter_relay lines, as written. */
struct conf_relays {
	size_t		 n;
	char		 v[CONF_RELAYS_MAX][CONF_RELAY_LEN];
};

struct conf_follow {
	enum mta	 mta;		/* MTA_UNKNOWN = detect */
	char		 path[CONF_PATH_MAX];	/* or journal, journal:NS,
						 * journal-dir:/path */
	int		 line;		/* where it was given (0 = option) */
};

struct conf {
	struct conf_follow	 follow[CONF_FOLLOW_MAX];
	size_t			 nfollow;
	char			 state_directory[CONF_PATH_MAX];
	char			 database[CONF_PATH_MAX];	/* "" until
						 * conf_finish() fills it */
	char			 socket[CONF_SOCKET_MAX];
	unsigned int		 socket_mode;
	char			 socket_group[CONF_GROUP_MAX];	/* "" = own */
	int			 retention_days;
	int			 keep_days;		/* 0 = forever */
	int			 commit_interval;	/* milliseconds */
	size_t			 max_line;		/* bytes */
	size_t			 max_keys;
	int			 metrics_top;
	char			 metrics_listen[CONF_LISTEN_MAX]; /* "" =
						 * off, else "a.b.c.d:port" */
	struct conf_tz		 timezone;
	enum conf_year		 year;
	int			 from_end;
	int			 backfill;
	int			 quiet;			/* seconds */
	char			 rules[CONF_PATH_MAX];	/* classify's rules */
	char			 rules_local[CONF_PATH_MAX];
	unsigned int		 metrics_compat;	/* CONF_COMPAT_* */
	struct conf_matches {			/* journal_match, in order */
		size_t		 n;
		char		 m[CONF_MATCH_MAX][CONF_MATCH_LEN];
	}			 journal_match;
	struct conf_relays	 filter_relay;	/* content filters' relays */
	int			 filter_loopback; /* SMTP to loopback is one */
	/* Where each key was set: 0 = default, -1 = command line, else the
	 * line of the file.  For follow: of the last follow line. */
	int			 set[CONF_NKEYS];
};

struct conf_errors {
	size_t		 n;		/* messages kept */
	size_t		 dropped;	/* messages beyond CONF_ERRORS_MAX */
	char		 msg[CONF_ERRORS_MAX][CONF_ERROR_LEN];
};

/* What a reload changes (conf_diff). */
struct conf_diff {
	size_t		 nadded;	/* indices into the new follow[] */
	size_t		 added[CONF_FOLLOW_MAX];
	size_t		 nremoved;	/* indices into the old follow[] */
	size_t		 removed[CONF_FOLLOW_MAX];
	int		 restart[CONF_NKEYS];	/* changed, but needs a restart */
	int		 nrestart;
};

#define CONF_OPT_BASE		0x100	/* getopt value of the first key */
#define CONF_PATH_DEFAULT	SYSCONFDIR "/smtptally/smtptallyd.conf"

struct option;

const struct conf_keydef *conf_table(size_t *);
const struct conf_keydef *conf_keydef(const char *);
const struct conf_keydef *conf_option_keydef(const char *);
size_t		 conf_longopts(struct option *, size_t);

void		 conf_defaults(struct conf *);
int		 conf_parse(struct conf *, const char *, const char *, size_t,
		     struct conf_errors *);
int		 conf_option(struct conf *, const struct conf_keydef *,
		     const char *, const char *, struct conf_errors *);
void		 conf_merge(struct conf *, const struct conf *);
int		 conf_finish(struct conf *, const char *, struct conf_errors *);
/* The database's directory exists (with 0: only if one was given);
 * else -1 and why. */
int		 conf_check_dirs(const struct conf *, int, char *, size_t);
int		 conf_read(struct conf *, const char *, int,
		     struct conf_errors *);
int		 conf_load(struct conf *, const char *, int,
		     const struct conf *, struct conf_errors *);
void		 conf_diff(const struct conf *, const struct conf *,
		     struct conf_diff *);
long		 conf_utc_offset(const struct conf *, time_t);
int		 conf_is_journal(const char *);

void		 conf_errors_init(struct conf_errors *);
void		 conf_errors_print(FILE *, const struct conf_errors *);
void		 conf_usage(FILE *);
void		 conf_print(FILE *, const struct conf *);

#endif
