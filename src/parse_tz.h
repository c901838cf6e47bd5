/*
 * parse_tz: a time zone's rules, for log stamps that carry local time
 * without an offset (traditional syslog, Exim's own stamps).
 *
 * A zone is a table of transitions (the UTC second each offset starts)
 * read from a compiled TZif file (RFC 8536, tzdata's /usr/share/zoneinfo;
 * the footer's POSIX TZ rules unrolled to 2100, for "slim" files),
 * so a summer line read in winter gets the summer offset, and the repeated
 * hour of an autumn change is told apart by the order of the lines.
 *
 * parse_tz_load() reads a file and parse_tz_localtime() asks the C
 * library (the zone of TZ or /etc/localtime); the rest is pure arithmetic
 * on a caller-owned struct.  Not here: which zone to use
 * (smtptallyd.conf's timezone), the calendar (civil.c).
 */
#ifndef SMTPTALLY_PARSE_TZ_H
#define SMTPTALLY_PARSE_TZ_H

#include <stddef.h>
#include <stdint.h>

#define PARSE_TZ_TRANS_MAX	2048	/* transitions kept (tzdata: < 300) */
#define PARSE_TZ_TYPES_MAX	32	/* distinct offsets (tzdata: < 20) */
#define PARSE_TZ_ABBR_MAX	8	/* "CEST", "+0530", with the NUL */

struct parse_tz {
	size_t		 n;			/* transitions */
	int64_t		 at[PARSE_TZ_TRANS_MAX];	/* UTC, ascending */
	uint8_t		 type[PARSE_TZ_TRANS_MAX];	/* in force from at[i] */
	size_t		 ntypes;
	int32_t		 off[PARSE_TZ_TYPES_MAX];	/* seconds east of UTC;
						 * type 0 before at[0] */
	char		 abbr[PARSE_TZ_TYPES_MAX][PARSE_TZ_ABBR_MAX];
	char		 name[64];		/* for messages */
};

/* Seconds a line may step back in time and still be read as later: the
 * repeated autumn hour is taken as its second pass when a stamp's first
 * reading is more than this before the file's previous line. */
#define PARSE_TZ_SLACK		60

int	 parse_tz_load(struct parse_tz *, const char *, char *, size_t);
int	 parse_tz_parse(struct parse_tz *, const unsigned char *, size_t);
int	 parse_tz_localtime(struct parse_tz *, int64_t, int64_t);
void	 parse_tz_fixed(struct parse_tz *, long);
long	 parse_tz_offset(const struct parse_tz *, int64_t);
int64_t	 parse_tz_utc(const struct parse_tz *, int64_t, int64_t);
int	 parse_tz_abbr(const struct parse_tz *, const char *, size_t, long *);

#endif
