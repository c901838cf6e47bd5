/*
 * reason: a remote reply text made fit to count: the variable parts
 * (addresses, IP addresses, ids, numbers, repeated reply codes) masked, so
 * that "550 5.1.1 <bob@example.com>: User unknown" and the same reply for
 * alice fall into one reason.  Pure: no allocation, no I/O.
 */
#ifndef SMTPTALLY_REASON_H
#define SMTPTALLY_REASON_H

#include <stddef.h>

#define REASON_MAX	400	/* bytes of normalised text, without NUL */

size_t	 reason_normalise(const char *, size_t, char *, size_t);

#endif
