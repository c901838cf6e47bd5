/*
 * parse_exim: the part of an Exim main-log line after the time stamp (and
 * optional [pid]).
 *
 * Per-recipient lines "MSGID FLAG address [<original>] fields..." with
 * FLAG one of => -> *> ** ==.  The reply is C="250 ..." on deliveries, and
 * "SMTP error from remote mail server after CMD: [host H [IP]: ]550 ..."
 * in the text of failures.  Host-level lines ("MSGID H=host [ip]: SMTP
 * error ..."), written beside the per-recipient ones, are not counted a
 * second time.  Address and quoted field values are stepped over whole.
 */
#include "config.h"

#include <string.h>

#include "parse.h"
#include "parse_util.h"

/* n base-62 characters (Exim's id alphabet) at p? */
static int
b62_run(const char *p, int n)
{
	while (n-- > 0)
		if (!pu_alnum[(unsigned char)*p++])
			return 0;
	return 1;
}

/* "XXXXXX-XXXXXX-XX" (16) or, from 4.97 on, "XXXXXX-XXXXXXXXXXX-XXXX"
 * (23), then a space. */
static const char *
message_id(const char *p, const char *end)
{
	if (end - p > 16 && p[6] == '-' && p[13] == '-' && p[16] == ' ' &&
	    b62_run(p, 6) && b62_run(p + 7, 6) && b62_run(p + 14, 2))
		return p + 17;
	if (end - p > 23 && p[6] == '-' && p[18] == '-' && p[23] == ' ' &&
	    b62_run(p, 6) && b62_run(p + 7, 11) && b62_run(p + 19, 4))
		return p + 24;
	return NULL;
}

/* End of one space-separated token; quoted parts ("...", with backslash
 * escapes) are whole.  memchr does the walking: Exim lines are long. */
static const char *
token_end(const char *p, const char *end)
{
	const char	*sp, *q, *b;

	for (;;) {
		if ((sp = memchr(p, ' ', end - p)) == NULL)
			sp = end;
		if ((q = memchr(p, '"', sp - p)) == NULL)
			return sp;
		/* skip to the closing quote: one not escaped by an odd
		 * number of backslashes */
		for (p = q + 1;; p = q + 1) {
			if ((q = memchr(p, '"', end - p)) == NULL)
				return end;
			for (b = q; b > p && b[-1] == '\\'; b--)
				;
			if ((q - b) % 2 == 0)
				break;
		}
		p = q + 1;
	}
}

/*
 * The domain of address [p, q), or of "<original>" after it when the
 * address is a pipe, a file or a bare local part.
 */
static void
address_domain(const char *p, const char *q, const char *orig,
    const char *origend, struct event *ev)
{
	const char	*at = NULL, *s;

	if (*p != '|' && *p != '/') {
		s = p;
		if (*s == '"') {	/* a quoted local part may hold '@' */
			for (s++; s < q && *s != '"'; s++)
				if (*s == '\\' && s + 1 < q)
					s++;
		}
		if (s < q)
			at = memrchr(s, '@', q - s);
	}
	if (at == NULL && orig != NULL) {
		if (pu_angle_addr(orig, origend + 1, &at) == NULL)
			at = NULL;
		q = origend;
	}
	if (at != NULL)
		pu_domain(at + 1, q, ev->domain);
}

/*
 * The text of a failure: a remote reply after "SMTP error from remote mail
 * server after CMD: ", or Exim's own words.
 */
static void
failure_text(const char *p, const char *end, struct event *ev)
{
	const char	*q, *at;
	char		 enh[EVENT_ENHANCED_MAX + 1];
	int		 reply;

	ev->text = p;
	ev->textlen = end - p;
	if (PU_LIT(p, end, "retry time not reached") != NULL) {
		ev->kind = KIND_SKIP;
		return;
	}
	if (PU_LIT(p, end, "retry timeout exceeded") != NULL ||
	    (PU_LIT(p, end, "all hosts") != NULL &&
	    PU_FIND(p, end, "have been failing for a long time") != NULL)) {
		if (ev->status == STATUS_BOUNCED) {
			ev->kind = KIND_FINAL;
			ev->status = STATUS_EXPIRED;
		} else
			ev->kind = KIND_SKIP;
		return;
	}
	if ((q = PU_LIT(p, end, "SMTP error from remote mail server after "))
	    == NULL)
		return;		/* Connection refused, Unrouteable address... */
	if ((p = PU_LIT(q, end, "pipelined ")) != NULL)
		q = p;
	if ((p = PU_LIT(q, end, "RCPT TO:<")) != NULL ||
	    (p = PU_LIT(q, end, "MAIL FROM:<")) != NULL) {
		if ((q = pu_angle_addr(p, end, &at)) == NULL)
			return;
		q++;
	}
	if ((q = PU_FIND(q, end, ": ")) == NULL)
		return;
	q += 2;
	/* the older form names the host here: "host NAME [IP]: " */
	if ((p = PU_LIT(q, end, "host ")) != NULL &&
	    (p = PU_FIND(p, end, "]: ")) != NULL)
		q = p + 3;
	if (pu_reply(q, end, &reply, enh) != NULL) {
		ev->reply = reply;
		strcpy(ev->enhanced, enh);
		ev->text = q;
		ev->textlen = end - q;
	}
}

/* See the top of the file. */
enum parse_result
parse_exim(const char *p, const char *end, struct event *ev)
{
	const char	*q, *addr, *addrend, *orig = NULL, *origend = NULL;
	char		 enh[EVENT_ENHANCED_MAX + 1];
	int		 reply;

	ev->mta = MTA_EXIM;
	if ((q = message_id(p, end)) == NULL)
		return PARSE_IGNORED;	/* queue runs, connections, rejects */
	p = q;
	if (end - p < 3 || p[2] != ' ')
		return PARSE_IGNORED;	/* Completed, H=... SMTP error, ... */
	if (p[0] == '=' && p[1] == '>')
		ev->status = STATUS_SENT;
	else if (p[0] == '-' && p[1] == '>')
		ev->status = STATUS_SENT;
	else if (p[0] == '*' && p[1] == '>') {
		ev->status = STATUS_SENT;
		ev->kind = KIND_SKIP;	/* delivery suppressed (-N) */
	} else if (p[0] == '*' && p[1] == '*')
		ev->status = STATUS_BOUNCED;
	else if (p[0] == '=' && p[1] == '=')
		ev->status = STATUS_DEFERRED;
	else
		return PARSE_IGNORED;	/* <= arrivals, >> cutthrough, ... */
	p += 3;

	addr = p;
	addrend = token_end(p, end);
	p = addrend;
	if (addrend > addr && addrend[-1] == ':')
		p = --addrend;	/* "** addr: text" */
	if (addrend == addr)
		return PARSE_UNRECOGNISED;
	if ((q = PU_LIT(p, end, " <")) != NULL) {
		orig = q;
		if ((origend = pu_angle_addr(q, end, &q)) == NULL)
			return PARSE_UNRECOGNISED;
		p = origend + 1;
	}
	address_domain(addr, addrend, orig, origend, ev);

	if (ev->status == STATUS_SENT) {
		/* fields: R= T= H= X= CV= DN="..." C="250 ..." ... */
		while (p < end) {
			if (*p == ' ') {
				p++;
				continue;
			}
			q = token_end(p, end);
			if (q - p >= 4 && p[0] == 'C' && p[1] == '=' &&
			    p[2] == '"') {
				ev->text = p + 3;
				ev->textlen = q - (p + 3) -
				    (q[-1] == '"' && q - 1 > p + 2);
				if (pu_reply(ev->text, ev->text + ev->textlen,
				    &reply, enh) != NULL) {
					ev->reply = reply;
					strcpy(ev->enhanced, enh);
				}
				break;
			}
			p = q;
		}
		return PARSE_EVENT;
	}

	/* Failures: the text follows the first ": " outside quotes. */
	while (p < end) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (p[0] == ':' && (p + 1 == end || p[1] == ' ')) {
			p += p + 1 == end ? 1 : 2;
			break;
		}
		q = token_end(p, end);
		if (q[-1] == ':') {
			p = q < end ? q + 1 : q;
			break;
		}
		p = q;
	}
	failure_text(p, end, ev);
	return PARSE_EVENT;
}
