/*
 * parse: one Postfix or Exim log line in, at most one event out.
 *
 * Pure: no I/O, no allocation, no globals, no logging.  The caller owns the
 * context (reference time for year-less timestamps, UTC offset) and the
 * event.  Text slices in the event point into the caller's line and are
 * valid only while that line is.
 *
 * This module does not aggregate, normalise reply texts or know about files.
 */
#ifndef SMTPTALLY_PARSE_H
#define SMTPTALLY_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct parse_tz;

enum parse_result {
	PARSE_EVENT,		/* ev filled in */
	PARSE_IGNORED,		/* a known MTA line that is not a delivery */
	PARSE_FOREIGN,		/* another program's line (dovecot, amavis...) */
	PARSE_UNRECOGNISED	/* looks like ours, or like nothing, and we
				 * could not read it: counted, never guessed */
};

/*
 * The last time stamp read and what it meant, so that the many lines that
 * share a second are not converted again.  Owned by the caller, one per
 * file; zero it before first use.
 */
struct parse_cache {
	char		 key[20];	/* stamp bytes up to the seconds */
	size_t		 keylen;
	int		 kind;		/* which stamp format; 0 = empty */
	int64_t		 t;		/* key as seconds, before any offset */
	int64_t		 ref_time;	/* ... for this reference */
	long		 utc_offset;
	const void	*tz;
};

/*
 * Which next hops are content filters on this host (amavis, rspamd):
 * smtptallyd.conf's filter_relay and filter_loopback.  A relay is named
 * as "HOST:PORT", "[IPV6]:PORT", "HOST" (any port), a unix socket path
 * or a Postfix transport's relay name; HOST matches the relay's name or
 * its address.  Filled by parse_hops_add(); all zero means no names and
 * the loopback default off, NULL in the context means the defaults.
 */
#define PARSE_RELAYS_MAX	16
#define PARSE_RELAY_LEN		128

struct parse_hops {
	int		 loopback;	/* SMTP to 127/8, ::1, a socket */
	size_t		 n;
	struct {
		char	 host[PARSE_RELAY_LEN];
		char	 port[8];	/* "" = any */
	}		 relay[PARSE_RELAYS_MAX];
};

struct parse_ctx {
	int64_t		 ref_time;	/* UTC seconds; year-less stamps are
					 * placed at or before ref_time +
					 * PARSE_YEAR_AHEAD (a week) */
	long		 utc_offset;	/* seconds east of UTC for stamps
					 * without an offset (syslog, Exim) */
	struct parse_cache *cache;	/* NULL, or the caller's cache */
	const struct parse_hops *hops;	/* NULL: SMTP to loopback is a
					 * filter, no relay named */
	const struct parse_tz *tz;	/* NULL: utc_offset all year; else
					 * the zone's offset at the time */
	int64_t		 last_time;	/* UTC of the file's previous line
					 * (0: none): the repeated hour */
};

enum parse_result	 parse_line(const struct parse_ctx *, enum mta,
			     const char *, size_t, struct event *);
enum parse_result	 parse_message(const struct parse_ctx *, enum mta,
			     const char *, size_t, struct event *);
enum parse_result	 parse_message_tag(const struct parse_ctx *, enum mta,
			     const char *, size_t, const char *, size_t,
			     struct event *);
const char		*parse_result_name(enum parse_result);
int			 parse_hops_add(struct parse_hops *, const char *);

#endif
