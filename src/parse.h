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

#define PARSE_DOMAIN_MAX	253	/* RFC 1035 presentation limit */
#define PARSE_HOST_MAX		255
#define PARSE_ENHANCED_MAX	11	/* "5.123.123" plus slack */

/* Placeholders used instead of a domain that is absent or not a domain. */
#define PARSE_DOMAIN_NONE	"(none)"
#define PARSE_DOMAIN_INVALID	"(invalid)"

enum parse_result {
	PARSE_EVENT,		/* ev filled in */
	PARSE_IGNORED,		/* a known MTA line that is not a delivery */
	PARSE_FOREIGN,		/* another program's line (dovecot, amavis...) */
	PARSE_UNRECOGNISED	/* looks like ours, or like nothing, and we
				 * could not read it: counted, never guessed */
};

enum mta {
	MTA_UNKNOWN = 0,	/* detect from the line */
	MTA_POSTFIX,
	MTA_EXIM
};

enum direction {
	DIR_OUT,		/* our MTA delivering */
	DIR_IN			/* our smtpd rejecting */
};

enum kind {
	KIND_ATTEMPT,		/* next hop or mailbox contacted or tried */
	KIND_SKIP,		/* no attempt: suspended, retry time not reached */
	KIND_FINAL,		/* expired / retry timeout exceeded */
	KIND_VERIFY		/* address verification probe, not a delivery */
};

enum status {
	STATUS_SENT,
	STATUS_DEFERRED,
	STATUS_BOUNCED,
	STATUS_EXPIRED,
	STATUS_REJECTED,
	STATUS_DELIVERABLE,	/* verify only */
	STATUS_UNDELIVERABLE	/* verify only */
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
};

struct parse_ctx {
	int64_t		 ref_time;	/* UTC seconds; year-less stamps are
					 * placed at or before ref_time + 1d */
	long		 utc_offset;	/* seconds east of UTC for stamps
					 * without an offset (syslog, Exim) */
	struct parse_cache *cache;	/* NULL, or the caller's cache */
};

struct event {
	int64_t		 time;		/* UTC seconds */
	enum mta	 mta;
	enum direction	 direction;
	enum kind	 kind;
	enum status	 status;
	int		 reply;		/* 3-digit code said, 0 if none */
	char		 enhanced[PARSE_ENHANCED_MAX + 1];	/* "" if none */
	char		 domain[PARSE_DOMAIN_MAX + 1];	/* lower case */
	char		 host[PARSE_HOST_MAX + 1];	/* logging host, "" if none */
	const char	*text;		/* reply text, slice of the line */
	size_t		 textlen;
};

enum parse_result	 parse_line(const struct parse_ctx *, enum mta,
			     const char *, size_t, struct event *);
enum parse_result	 parse_message(const struct parse_ctx *, enum mta,
			     const char *, size_t, struct event *);
int			 parse_class(const struct event *);	/* 2, 4, 5 or 0 */
const char		*parse_mta_name(enum mta);
const char		*parse_direction_name(enum direction);
const char		*parse_kind_name(enum kind);
const char		*parse_status_name(enum status);
const char		*parse_result_name(enum parse_result);

#endif
