/*
 * parse_time: the time stamps mail logs begin with, turned into UTC seconds.
 *
 * Pure: no locale, no time zone database, no I/O.  Stamps without an offset
 * (traditional syslog, Exim's own) are local time; the caller says how far
 * local time is from UTC.  Syslog stamps have no year: the year is chosen
 * so that the stamp is at most one day after the caller's reference time.
 */
#ifndef SMTPTALLY_PARSE_TIME_H
#define SMTPTALLY_PARSE_TIME_H

#include <stddef.h>
#include <stdint.h>

struct parse_ctx;

const char	*time_syslog(const struct parse_ctx *, const char *,
		     const char *, int64_t *);
const char	*time_rfc3339(const struct parse_ctx *, const char *,
		     const char *, int64_t *);
const char	*time_exim(const struct parse_ctx *, const char *,
		     const char *, int64_t *);
const char	*time_full(const struct parse_ctx *, const char *,
		     const char *, int64_t *);

#endif
