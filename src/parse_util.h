/*
 * parse_util: the small scanners the Postfix and Exim parsers share.
 *
 * Every function reads [p, end) and returns a pointer just past what it
 * recognised, or NULL when the bytes are not what it expects.  Nothing here
 * allocates or writes outside the caller's fixed-size buffers.
 */
#ifndef SMTPTALLY_PARSE_UTIL_H
#define SMTPTALLY_PARSE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct event;

extern const unsigned char pu_alnum[256];	/* [0-9A-Za-z] */

/* Match literal s (of length n) at p: the byte after it, or NULL. */
static inline const char *
pu_lit(const char *p, const char *end, const char *s, size_t n)
{
	if ((size_t)(end - p) < n || memcmp(p, s, n) != 0)
		return NULL;
	return p + n;
}
#define PU_LIT(p, end, s)	pu_lit((p), (end), (s), sizeof(s) - 1)

/* [p, end) equals the NUL-terminated s? */
static inline int
pu_slice_is(const char *p, const char *end, const char *s)
{
	size_t	 n = strlen(s);

	return (size_t)(end - p) == n && memcmp(p, s, n) == 0;
}
const char	*pu_find(const char *, const char *, const char *, size_t);
#define PU_FIND(p, end, s)	pu_find((p), (end), (s), sizeof(s) - 1)
const char	*pu_enhanced(const char *, const char *, char *);
const char	*pu_reply(const char *, const char *, int *, char *);
const char	*pu_angle_addr(const char *, const char *, const char **);
void		 pu_domain(const char *, const char *, char *);
size_t		 pu_utf8_len(const unsigned char *, const unsigned char *);
void		 pu_event_init(struct event *);
const char	*pu_seconds_ms(const char *, const char *, int64_t *);
const char	*pu_exim_time_ms(const char *, const char *, int64_t *);
int		 pu_local_addr(const char *, const char *);
struct parse_ctx;
int		 pu_named_filter(const struct parse_ctx *, const char *,
		     const char *, const char *, const char *, const char *,
		     const char *);

/* The two message parsers parse.c dispatches to. */
enum parse_result parse_postfix(const struct parse_ctx *, const char *, size_t,
		     const char *, const char *, struct event *);
enum parse_result parse_exim(const struct parse_ctx *, const char *,
		     const char *, struct event *);

#endif
