/*
 * parse: find the time stamp, the logging host and the program of one log
 * line and hand the message to the Postfix or Exim parser.
 *
 * Line shapes: traditional syslog or Postfix's own logger ("Nov 29
 * 01:46:02[.123456] host tag[pid]: msg"), RFC 3339 syslog ("2026-11-29T01:
 * 46:02.123+01:00 host tag[pid]: msg") and Exim's main log ("2026-11-29
 * 01:46:02[.123][ +0100] [pid] msg"), which may itself be wrapped in syslog.
 */
#include "config.h"

#include <string.h>

#include "parse.h"
#include "parse_time.h"
#include "parse_util.h"

/* Copy the syslog host field, keeping it printable ASCII for JSON. */
static void
copy_host(char *out, const char *p, size_t n)
{
	size_t	 i;

	if (n > EVENT_HOST_MAX)
		n = EVENT_HOST_MAX;
	for (i = 0; i < n; i++)
		out[i] = (p[i] > ' ' && p[i] < 0x7f) ? p[i] : '?';
	out[n] = '\0';
}

/*
 * Exim through syslog: log.c write_syslog() cuts a line longer than 870
 * bytes into "[1/3] ...", "[2/3] ..." (a '\\' for a cut at a newline).
 * The first part holds the stamp, flag and address: the part prefix is
 * stepped over.  Returns the byte after it, p when there is none, or NULL
 * for the later parts (continuations).
 */
static const char *
exim_syslog_part(const char *p, const char *end)
{
	const char	*q;

	if (end - p < 6 || p[0] != '[' || p[1] < '1' || p[1] > '9')
		return p;
	for (q = p + 1; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (q >= end || (*q != '/' && *q != '\\'))
		return p;	/* "[pid] " */
	if (q - p != 2 || p[1] != '1')
		return NULL;
	for (q++; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (q + 1 >= end || *q != ']' || q[1] != ' ')
		return p;
	return q + 2;
}

/* The Exim body after its own stamp: skip an optional "[pid] ". */
static enum parse_result
exim_body(const struct parse_ctx *ctx, const char *p, const char *end,
    struct event *ev)
{
	const char	*q;

	ev->mta = MTA_EXIM;
	if (p < end && *p == '[') {
		for (q = p + 1; q < end && *q >= '0' && *q <= '9'; q++)
			;
		if (q < end && *q == ']' && q > p + 1) {
			p = q + 1;
			if (p < end && *p == ' ')
				p++;
		}
	}
	return parse_exim(ctx, p, end, ev);
}

/*
 * Split "tag[pid]: " at p.  Returns the message start, or NULL when there
 * is no tag; *tag and *taglen name the program.
 */
static const char *
syslog_tag(const char *p, const char *end, const char **tag, size_t *taglen)
{
	/* bytes that end a tag: ':', '[' and ' ' */
	static const unsigned char stop[256] = { [':'] = 1, ['['] = 1,
	    [' '] = 1 };
	const char	*s = p;

	while (p < end && !stop[(unsigned char)*p])
		p++;
	if (p == s || p >= end)
		return NULL;
	*tag = s;
	*taglen = p - s;
	if (*p == '[') {
		while (p < end && *p != ']')
			p++;
		if (++p >= end)
			return NULL;
	}
	if (*p != ':')
		return NULL;
	p++;
	while (p < end && *p == ' ')	/* Postfix 2.0 padded the queue id */
		p++;
	return p;
}

/* Which MTA wrote a syslog tag: "exim..." is Exim, "postfix.../service"
 * Postfix (any tag with a service part when the file is said to be
 * Postfix's). */
static enum mta
tag_mta(enum mta hint, const char *tag, size_t n)
{
	const char	*slash;

	if (n >= 4 && memcmp(tag, "exim", 4) == 0)
		return MTA_EXIM;
	for (slash = tag + n - 1; slash >= tag && *slash != '/'; slash--)
		;	/* tags are short: a loop beats a call to memrchr */
	if (slash < tag)
		return MTA_UNKNOWN;
	if ((n >= 7 && memcmp(tag, "postfix", 7) == 0) || hint == MTA_POSTFIX)
		return MTA_POSTFIX;
	return MTA_UNKNOWN;
}

/* One log line; see parse.h. */
enum parse_result
parse_line(const struct parse_ctx *ctx, enum mta hint, const char *line,
    size_t len, struct event *ev)
{
	const char		*p = line, *end = line + len, *q, *host, *tag;
	size_t			 taglen, hostlen;
	int64_t			 t;
	int			 exact = 0;
	enum parse_result	 r;

	pu_event_init(ev);
	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (p == end || *p == ' ' || *p == '\t')
		return PARSE_IGNORED;	/* blank, or an Exim continuation */

	/* A digit starts Exim's and RFC 3339 stamps, a month name syslog's. */
	if (*p >= '0' && *p <= '9') {
		if ((q = time_exim(ctx, p, end, &t)) != NULL) {
			ev->time = t;
			return exim_body(ctx, q, end, ev);
		}
		q = time_rfc3339(ctx, p, end, &t);
		exact = 1;	/* the stamp has its offset */
	} else if (end - p > 8 && p[8] == '-' && p[3] == ' ')
		q = time_full(ctx, p, end, &t);	/* "Tue 2026-12-01 ..." */
	else if (*p == '-' && PU_LIT(p, end, "-- ") != NULL)
		return PARSE_IGNORED;	/* journalctl's "-- Boot ... --" */
	else
		q = time_syslog(ctx, p, end, &t);
	if (q == NULL)
		return PARSE_UNRECOGNISED;
	ev->time = t;

	host = q;
	if ((q = memchr(host, ' ', end - host)) == NULL)
		q = end;
	hostlen = q - host;
	if (q < end)
		q++;
	if ((p = syslog_tag(q, end, &tag, &taglen)) == NULL)
		return PARSE_FOREIGN;
	switch (tag_mta(hint, tag, taglen)) {
	case MTA_POSTFIX:
		r = parse_postfix(ctx, tag, taglen, p, end, ev);
		break;
	case MTA_EXIM:
		/* Exim through syslog, with or without its own stamp. */
		if ((p = exim_syslog_part(p, end)) == NULL)
			return PARSE_IGNORED;
		if ((q = time_exim(ctx, p, end, &t)) != NULL) {
			if (!exact)	/* Exim's has a year, syslog's not */
				ev->time = t;
			p = q;
		}
		r = exim_body(ctx, p, end, ev);
		break;
	default:
		return PARSE_FOREIGN;
	}
	if (r == PARSE_EVENT)	/* only events need it: copy it late */
		copy_host(ev->host, host, hostlen);
	return r;
}

/* Only the message part of a line (no stamp, host or tag), as some test
 * vectors and `postlog -t` users have it; the time is the reference time. */
enum parse_result
parse_message(const struct parse_ctx *ctx, enum mta mta, const char *msg,
    size_t len, struct event *ev)
{
	return parse_message_tag(ctx, mta, NULL, 0, msg, len, ev);
}

/* The message part with the program that wrote it (a journal entry's
 * SYSLOG_IDENTIFIER, "postfix/lmtp"): the hop needs the Postfix service. */
enum parse_result
parse_message_tag(const struct parse_ctx *ctx, enum mta mta, const char *tag,
    size_t taglen, const char *msg, size_t len, struct event *ev)
{
	const char	*end = msg + len;

	pu_event_init(ev);
	ev->time = ctx->ref_time;
	while (end > msg && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	switch (mta) {
	case MTA_POSTFIX:
		return parse_postfix(ctx, taglen > 0 ? tag : NULL, taglen, msg,
		    end, ev);
	case MTA_EXIM:
		return exim_body(ctx, msg, end, ev);
	default:
		return PARSE_UNRECOGNISED;
	}
}

const char *
parse_result_name(enum parse_result r)
{
	static const char *names[] = { "event", "ignored", "foreign",
	    "unrecognised" };

	return names[r];
}

/*
 * Add one filter relay as smtptallyd.conf writes it: "HOST:PORT",
 * "[IPV6]:PORT", "HOST", a socket path.  -1 when it is empty, too long,
 * has a space, or the table is full.
 */
int
parse_hops_add(struct parse_hops *h, const char *v)
{
	const char	*host = v, *hend, *port = "", *c;
	size_t		 n = strlen(v);

	if (n == 0 || h->n == PARSE_RELAYS_MAX || strpbrk(v, " \t") != NULL)
		return -1;
	hend = v + n;
	if (*v == '[') {
		if ((c = strchr(v, ']')) == NULL)
			return -1;
		host = v + 1;
		hend = c;
		if (c[1] == ':')
			port = c + 2;
		else if (c[1] != '\0')
			return -1;
	} else if ((c = strrchr(v, ':')) != NULL && c[1] != '\0' &&
	    strspn(c + 1, "0123456789") == strlen(c + 1) &&
	    memchr(v, ':', c - v) == NULL) {
		hend = c;
		port = c + 1;
	}
	if (hend == host || (size_t)(hend - host) >= PARSE_RELAY_LEN ||
	    strlen(port) >= sizeof(h->relay[0].port) ||
	    strspn(port, "0123456789") != strlen(port))
		return -1;
	memcpy(h->relay[h->n].host, host, hend - host);
	h->relay[h->n].host[hend - host] = '\0';
	strcpy(h->relay[h->n].port, port);
	h->n++;
	return 0;
}
