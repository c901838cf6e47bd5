/*
 * escape: one character of text from a log or a remote server as it may
 * be shown, itself or an escape when it could move a terminal's cursor,
 * start a terminal sequence or reorder the line: a C0 control or DEL as
 * \x1b, a byte that is not part of a well-formed UTF-8 character (RFC
 * 3629: no overlong forms, no surrogates, nothing past U+10FFFF) as
 * \xff, a C1 control (U+0080-009F; U+009B is a CSI) or a bidi control
 * (U+061C, U+200E/F, U+202A-202E, U+2066-2069) as \u202e.
 *
 * The client's text output and the daemon's kept unrecognised lines
 * (live) both escape through here; the daemon also escapes backslashes,
 * so that its text reads back unambiguously.
 *
 * Not here: cutting to a width, JSON or HTML quoting.
 */
#ifndef SMTPTALLY_ESCAPE_H
#define SMTPTALLY_ESCAPE_H

#include <stddef.h>

#define ESCAPE_MAX	8	/* an escape or a character, with its NUL */

/* The character at p (at most n bytes, n >= 1; a NUL byte ends a
 * sequence, so a NUL-terminated string may pass any n) in out (at least
 * ESCAPE_MAX bytes, NUL-terminated), a backslash as \\ when backslash
 * is set.  Returns the bytes of p it took: at least 1. */
size_t	escape_char(const unsigned char *p, size_t n, int backslash,
	    char *out);

#endif
