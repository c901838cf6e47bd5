/*
 * parse_time: the time stamps mail logs begin with, turned into UTC seconds.
 *
 * Pure: no locale, no time zone database, no I/O.  Stamps without an offset
 * (traditional syslog, Exim's own) are local time; the caller says how far
 * local time is from UTC.  Syslog stamps have no year: the year is chosen
 * so that the stamp is at most PARSE_YEAR_AHEAD after the caller's
 * reference time.
 */
#ifndef SMTPTALLY_PARSE_TIME_H
#define SMTPTALLY_PARSE_TIME_H

#include <stddef.h>
#include <stdint.h>

struct parse_ctx;

/*
 * How far ahead of the reference time (the file's mtime, or the time it is
 * read) a year-less stamp may be and still be this year's: a week.  Wider
 * than a day so that a writer whose clock is days fast, or a zone set wrong
 * by a day, keeps the year; narrow so that a file holding 51 weeks of lines
 * before its reference still dates its oldest ones last year.  The
 * previous line's time is not a reference: a line misdated once would
 * carry every later line of the file with it.
 */
#define PARSE_YEAR_AHEAD	(7 * 86400LL)

const char	*time_syslog(const struct parse_ctx *, const char *,
		     const char *, int64_t *);
const char	*time_rfc3339(const struct parse_ctx *, const char *,
		     const char *, int64_t *);
const char	*time_exim(const struct parse_ctx *, const char *,
		     const char *, int64_t *);
const char	*time_full(const struct parse_ctx *, const char *,
		     const char *, int64_t *);

#endif
