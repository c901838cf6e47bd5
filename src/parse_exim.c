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

/* An address that is a pipe, a file or an autoreply ("pfr"), which
 * Exim logs by its local part: "|cmd args", "/path", "save name". */
static int
is_pfr(const char *p, const char *end)
{
	return p < end && (*p == '|' || *p == '/' || *p == '>' ||
	    PU_LIT(p, end, "save ") != NULL);
}

/*
 * "<top>" at p (p at '<'): the byte after '>' when what follows is the end,
 * a space or a colon (the address part of the line ends there), else NULL.
 * *at is the '@' of the address or NULL.
 */
static const char *
top_address(const char *p, const char *end, const char **at)
{
	const char	*q;

	if ((q = pu_angle_addr(p + 1, end, at)) == NULL)
		return NULL;
	q++;
	if (q < end && *q != ' ' && *q != ':')
		return NULL;
	return q;
}

/*
 * The address part of a per-recipient line at p, as deliver.c's
 * string_log_address() writes it: "ADDR[ (PARENT[, ...])][ <TOP>]".  ADDR
 * is a whole address, a local part, or a pipe or file (whose command may
 * hold spaces: it ends at the " <TOP>" that follows it, Exim always adds
 * one).  The domain is ADDR's, else TOP's, else the nearest PARENT's;
 * never (none) while any of them has one.  Returns the byte after the
 * part or NULL.
 */
static const char *
address_part(const char *p, const char *end, struct event *ev)
{
	const char	*addr = p, *addrend, *q, *at = NULL, *tat = NULL;
	const char	*par = NULL, *parend = NULL, *topend = NULL, *pat;

	if (is_pfr(p, end)) {
		ev->hop = HOP_MAILBOX;
		/* the first " <TOP>" that ends the address part */
		for (q = p; (q = memchr(q, '<', end - q)) != NULL; q++)
			if (q > p && q[-1] == ' ' &&
			    (topend = top_address(q, end, &tat)) != NULL)
				break;
		if (q == NULL)
			return NULL;
		topend--;	/* at the '>' */
		addrend = q - 1;
		/* a " (PARENT)" just before it */
		if (addrend > addr && addrend[-1] == ')') {
			for (q = addrend - 1; q > addr && *q != '('; q--)
				;
			if (q > addr && q[-1] == ' ') {
				par = q + 1;
				parend = addrend - 1;
				addrend = q - 1;
			}
		}
		p = topend + 1;
	} else {
		addrend = token_end(p, end);
		p = addrend;
		if (addrend - addr == 11 && memcmp(addr, ":blackhole:", 11) == 0)
			ev->hop = HOP_DISCARD;
		else if (addrend > addr && addrend[-1] == ':')
			p = --addrend;	/* "** addr: text" */
		if (addrend == addr)
			return NULL;
		if (addrend - addr == 9 && memcmp(addr, "discarded", 9) == 0)
			ev->hop = HOP_DISCARD;	/* "seen finish" */
		if ((q = PU_LIT(p, end, " (")) != NULL) {
			/* +all_parents, or a parent of a redirected address */
			par = q;
			if ((parend = memchr(q, ')', end - q)) == NULL)
				return NULL;
			p = parend + 1;
		}
		if (p + 1 < end && p[0] == ' ' && p[1] == '<') {
			if ((topend = pu_angle_addr(p + 2, end, &tat)) == NULL)
				return NULL;
			p = topend + 1;
		}
		/* the '@' of ADDR; a quoted local part may hold one */
		q = addr;
		if (*q == '"')
			for (q++; q < addrend && *q != '"'; q++)
				if (*q == '\\' && q + 1 < addrend)
					q++;
		if (q < addrend)
			at = memrchr(q, '@', addrend - q);
	}
	if (at != NULL)
		pu_domain(at + 1, addrend, ev->domain);
	else if (tat != NULL)
		pu_domain(tat + 1, topend, ev->domain);
	else if (par != NULL) {
		/* the nearest parent: the first of "(a@x, b@y)" */
		for (q = par; q < parend && *q != ',' && *q != ' '; q++)
			;
		if ((pat = memrchr(par, '@', q - par)) != NULL)
			pu_domain(pat + 1, q, ev->domain);
	}
	return p;
}

/*
 * The texts with which Exim records a defer (an "==" line) without having
 * contacted a host or a mailbox: each is a skip, never an attempt.  Read
 * from Exim's source (github.com/Exim/exim, src/src, 4.98, and the history
 * of the older wordings).  A text is matched at the start of Exim's own
 * message, never inside a remote server's reply.
 *
 * text (prefix)                                 Exim's source
 * retry time not reached                        deliver.c deliver_message()
 *                                               (routing, ERRNO_RRETRY)
 * retry time not reached for any host[ for 'D'] transports/smtp.c
 *                                               smtp_transport_entry()
 * Retry time not yet reached                    deliver.c
 *                                               do_local_deliveries()
 * reusing SMTP connection skips previous        deliver.c deliver_message()
 *   routing defer
 * domain is held                                deliver.c deliver_message()
 * hold_domains lookup deferred                  deliver.c deliver_message()
 * cannot check percent_hack_domains             deliver.c deliver_message()
 *                                               (deliver_split_address())
 * domain is in queue_domains                    deliver.c deliver_message()
 * queue_domains lookup deferred                 deliver.c deliver_message()
 * remote deliveries suppressed                  deliver.c deliver_message()
 *                                               (a -ql queue run)
 * concurrency limit reached for transport       deliver.c
 *                                               tpt_parallel_check()
 * first-pass only routing due to -odqs,         transports/smtp.c
 *   queue_smtp_domains or control=queue         smtp_transport_entry(), 4.94+
 * domain matches queue_smtp_domains, or -odqs   the same before 4.94
 *   set                                         (commit 9438970c9)
 * SMTP delivery explicitly queued               transports/smtp.c
 *                                               smtp_transport_entry() (-odqs)
 * no host found for existing SMTP connection    transports/smtp.c
 *                                               smtp_transport_entry()
 * connection limit reached for all hosts        transports/smtp.c
 *                                               smtp_transport_entry()
 *
 * Giving up (EX_EXPIRE): on a "**" line a final expiry (the address
 * bounces), on "==" (fallback hosts remain) a skip.
 *
 * retry timeout exceeded                        retry.c retry_update()
 * all hosts[ for 'D'] have been failing for a   transports/smtp.c
 *   long time ...                               smtp_transport_entry(), 4.88+
 * retry time not reached for any host after a   the same before 4.88
 *   long failure period                         (commit c3f2eb9a7)
 *
 * Not skips: "all host address lookups ... failed ..." and "some host
 * address lookups failed and retry time not reached ..." (the DNS was
 * asked this time: an attempt, as Postfix counts "Host or domain name not
 * found").
 */
enum { EX_SKIP, EX_EXPIRE };

#define T(s, w)	{ s, sizeof(s) - 1, w }
static const struct {
	const char	*text;
	size_t		 len;
	int		 what;
} no_attempt[] = {
	/* the longer of two texts that share a start comes first */
	T("retry time not reached for any host after a long failure period",
	    EX_EXPIRE),
	T("retry time not reached", EX_SKIP),
	T("Retry time not yet reached", EX_SKIP),
	T("retry timeout exceeded", EX_EXPIRE),
	T("all hosts", EX_EXPIRE),	/* + "have been failing for a long" */
	T("reusing SMTP connection skips previous routing defer", EX_SKIP),
	T("domain is held", EX_SKIP),
	T("hold_domains lookup deferred", EX_SKIP),
	T("cannot check percent_hack_domains", EX_SKIP),
	T("domain is in queue_domains", EX_SKIP),
	T("queue_domains lookup deferred", EX_SKIP),
	T("remote deliveries suppressed", EX_SKIP),
	T("concurrency limit reached for transport", EX_SKIP),
	T("first-pass only routing due to -odqs", EX_SKIP),
	T("domain matches queue_smtp_domains, or -odqs set", EX_SKIP),
	T("SMTP delivery explicitly queued", EX_SKIP),
	T("no host found for existing SMTP connection", EX_SKIP),
	T("connection limit reached for all hosts", EX_SKIP),
};
#undef T

/* Is [p, end) one of the texts of the table above?  Sets kind and status
 * and returns 1 if so. */
static int
no_attempt_text(const char *p, const char *end, struct event *ev)
{
	size_t	 i, n = end - p;

	/* every text starts with one of these letters: a quick no */
	if (n == 0 || (*p != 'r' && *p != 'R' && *p != 'a' && *p != 'd' &&
	    *p != 'h' && *p != 'q' && *p != 'c' && *p != 'f' && *p != 'S' &&
	    *p != 'n'))
		return 0;
	for (i = 0; i < sizeof(no_attempt) / sizeof(no_attempt[0]); i++) {
		if (no_attempt[i].text[0] != *p || n < no_attempt[i].len ||
		    memcmp(p, no_attempt[i].text, no_attempt[i].len) != 0)
			continue;
		if (i == 4 && PU_FIND(p, end,
		    " have been failing for a long time") == NULL)
			continue;
		if (no_attempt[i].what == EX_EXPIRE &&
		    ev->status == STATUS_BOUNCED) {
			ev->kind = KIND_FINAL;	/* Exim gave up: it bounces */
			ev->status = STATUS_EXPIRED;
		} else
			ev->kind = KIND_SKIP;
		return 1;
	}
	return 0;
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
	if ((q = PU_LIT(p, end, "SMTP error from remote mail server after "))
	    == NULL) {
		/* Exim's own words: a skip, a give-up, or an attempt that
		 * got no reply (Connection refused, Unrouteable address) */
		(void)no_attempt_text(p, end, ev);
		return;
	}
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

/*
 * "H=NAME [ADDR]:PORT" with p after "H=" and q the end of NAME: the event's
 * relay, and its hop when the host is a content filter (a filter_relay, or
 * SMTP to a loopback address, as for Postfix).  Returns 1 when an address
 * in brackets follows: the smtp transport's remote host (a local
 * transport's host list has a name only).
 */
static int
host_field(const struct parse_ctx *ctx, const char *p, const char *q,
    const char *end, struct event *ev)
{
	const char	*addr = NULL, *aend = NULL, *port = NULL, *pend;
	int		 named = ctx != NULL && ctx->hops != NULL &&
			    ctx->hops->n > 0;

	ev->relay = p;
	ev->relaylen = q - p;
	if (q + 1 < end && q[0] == ' ' && q[1] == '[') {
		addr = q + 2;
		if ((aend = memchr(addr, ']', end - addr)) == NULL)
			return 0;
		if (aend + 1 < end && aend[1] == ':') {
			port = aend + 2;
			for (pend = port; pend < end && *pend >= '0' &&
			    *pend <= '9'; pend++)
				;
		} else
			pend = aend;
		if ((named &&
		    pu_named_filter(ctx, p, q, addr, aend, port, pend)) ||
		    (pu_local_addr(addr, aend) &&
		    (ctx == NULL || ctx->hops == NULL || ctx->hops->loopback)))
			ev->hop = HOP_FILTER;
		return 1;
	}
	if (named && pu_named_filter(ctx, p, q, NULL, NULL, NULL, NULL))
		ev->hop = HOP_FILTER;
	return 0;
}

/*
 * QT= (log_selector +queue_time: arrival to this delivery) and DT=
 * (+deliver_time: the delivery itself) in the token [p, end).  QT= is
 * what Postfix calls delay=, so it is also the whole delay; the stages
 * Exim does not split stay unknown.  A value that does not scan is left
 * unknown.
 */
static void
time_field(const char *p, const char *end, struct event *ev)
{
	int64_t	 ms;

	if (pu_exim_time_ms(p + 3, end, &ms) != end)
		return;
	if (p[0] == 'Q') {
		ev->delay_ms = ms;
		ev->stage_ms[1] = (int32_t)(ms > INT32_MAX ? INT32_MAX : ms);
	} else
		ev->stage_ms[3] = (int32_t)(ms > INT32_MAX ? INT32_MAX : ms);
}

/* See the top of the file. */
enum parse_result
parse_exim(const struct parse_ctx *ctx, const char *p, const char *end,
    struct event *ev)
{
	const char	*q;
	char		 enh[EVENT_ENHANCED_MAX + 1];
	int		 reply, host = 0, errtext = 0, confirm = 0;

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

	if ((p = address_part(p, end, ev)) == NULL)
		return PARSE_UNRECOGNISED;

	if (ev->status == STATUS_SENT) {
		/* fields: R= T= H= X= CV= DN="..." C="250 ..." QT= DT= */
		while (p < end) {
			if (*p == ' ') {
				p++;
				continue;
			}
			q = token_end(p, end);
			if (!confirm && p[0] == 'H' && q - p > 2 &&
			    p[1] == '=') {
				if (host_field(ctx, p + 2, q, end, ev))
					host = 1;
				else if (ev->hop == HOP_REMOTE)
					host = 2;	/* local, host list */
			} else if (q - p > 3 && (p[0] == 'Q' || p[0] == 'D') &&
			    p[1] == 'T' && p[2] == '=')
				time_field(p, q, ev);
			else if (!confirm && q - p >= 4 && p[0] == 'C' &&
			    p[1] == '=' && p[2] == '"') {
				confirm = 1;
				ev->text = p + 3;
				ev->textlen = q - (p + 3) -
				    (q[-1] == '"' && q - 1 > p + 2);
				if (pu_reply(ev->text, ev->text + ev->textlen,
				    &reply, enh) != NULL) {
					ev->reply = reply;
					strcpy(ev->enhanced, enh);
				}
			}
			p = q;
		}
		/* no host named: a local transport (appendfile, lmtp on a
		 * socket), and ":blackhole:" stays a discard */
		if (host != 1 && ev->hop == HOP_REMOTE && ev->kind != KIND_SKIP)
			ev->hop = HOP_MAILBOX;
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
		if (p[0] == 'H' && q - p > 3 && p[1] == '=' &&
		    ev->hop != HOP_MAILBOX)
			(void)host_field(ctx, p + 2, q[-1] == ':' ? q - 1 : q,
			    end, ev);
		if (q[-1] == ':') {
			/* "(111):": strerror's text follows ("(dd)" in
			 * the logs of Exim's own test suite) */
			errtext = p[0] == '(' && p[1] != '-';
			p = q < end ? q + 1 : q;
			break;
		}
		p = q;
	}
	/* "defer (111): Connection refused H=NAME [IP]: ...": deliver.c
	 * deferral_log() puts the host after strerror's text, which holds no
	 * ": " */
	if (errtext && ev->relay == NULL && ev->hop != HOP_MAILBOX &&
	    (q = PU_FIND(p, (q = memchr(p, ':', end - p)) != NULL ? q : end,
	    " H=")) != NULL) {
		const char	*ne;

		q += 3;
		for (ne = q; ne < end && *ne != ' ' && *ne != ':'; ne++)
			;
		(void)host_field(ctx, q, ne, end, ev);
	}
	failure_text(p, end, ev);
	return PARSE_EVENT;
}
