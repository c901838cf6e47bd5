/*
 * codes: what SMTP reply codes (RFC 5321 and its extensions) and enhanced
 * status codes (RFC 3463 and the IANA registry) mean, and what a
 * postmaster usually does about them.
 *
 * A constant table, written for smtptally in its own words; lookups only.
 * This module does not parse log lines or decide a class for an event.
 */
#ifndef SMTPTALLY_CODES_H
#define SMTPTALLY_CODES_H

#include <stddef.h>

struct codes_entry {
	const char	*key;		/* "550", or "1.1" for X.1.1 */
	const char	*meaning;	/* one short line */
	const char	*action;	/* what a postmaster usually does */
};

/* 2, 4 or 5 into "success" / "temporary failure" / "permanent failure". */
const char			*codes_class_name(int);
/* A reply code 200..599, or 0 for "no reply was said". */
const struct codes_entry	*codes_reply(int);
/* An enhanced code "C.S.D" (class ignored: the subject.detail is looked up). */
const struct codes_entry	*codes_enhanced(const char *);
/* The tables themselves, for listing and for the unique-key test. */
const struct codes_entry	*codes_reply_table(size_t *);
const struct codes_entry	*codes_enhanced_table(size_t *);
/* Check an enhanced code's syntax: class 2/4/5, 1-3 digit parts. */
int				 codes_enhanced_valid(const char *);

#endif
