/*
 * classify: walk the rules in their order (rules_finish) and take the
 * first whose conditions all hold.  The cheap conditions (provider,
 * status, codes, the literal a text pattern needs) are tested before the
 * regular expression, so that most rules cost a few comparisons.  The
 * literals, and the strings of the plain texts (rules.h) that need no
 * regular expression at all, are found in one pass over the text through
 * rules_finish's index, the first time a rule with a text is reached.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "classify.h"
#include "parse_util.h"
#include "reason.h"
#include "rules.h"

static const char *const category_names[CAT_NCATEGORIES] = {
	"delivered", "user_unknown", "mailbox_full", "mailbox_disabled",
	"domain_invalid", "greylisted", "rate_limited", "reputation",
	"spam_content", "authentication", "policy", "message", "network",
	"remote_error", "expired", "other"
};

static const char *const blame_names[BLAME_NBLAMES] = {
	"none", "recipient", "sender_reputation", "sender_config", "content",
	"remote", "network", "unknown"
};

const char *
classify_category_name(enum category c)
{
	return (unsigned)c < CAT_NCATEGORIES ? category_names[c] : "other";
}

const char *
classify_blame_name(enum blame b)
{
	return (unsigned)b < BLAME_NBLAMES ? blame_names[b] : "unknown";
}

int
classify_category_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < CAT_NCATEGORIES; i++)
		if (strcmp(s, category_names[i]) == 0)
			return i;
	return -1;
}

int
classify_blame_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < BLAME_NBLAMES; i++)
		if (strcmp(s, blame_names[i]) == 0)
			return i;
	return -1;
}

/* A reply pattern ("550", "55x", "5xx"; "0" for none) against "550". */
static int
reply_match(const char *pat, const char *s)
{
	int	 i;

	if (strcmp(pat, "0") == 0 || strcmp(s, "0") == 0)
		return strcmp(pat, s) == 0;
	for (i = 0; i < 3; i++)
		if (pat[i] != 'x' ? pat[i] != s[i] :
		    (s[i] < '0' || s[i] > '9'))
			return 0;
	return s[3] == '\0';
}

/* An enhanced code pattern ("5.7.1", "5.7.*", "*.1.1"; "" for none)
 * against "5.7.1", part by part. */
static int
enhanced_match(const char *pat, const char *s)
{
	size_t	 pl, sl;

	if (pat[0] == '\0' || s[0] == '\0')
		return pat[0] == s[0];
	for (;;) {
		pl = strcspn(pat, ".");
		sl = strcspn(s, ".");
		if (!((pl == 1 && (*pat == '*' || *pat == 'x') && sl > 0) ||
		    (pl == sl && memcmp(pat, s, pl) == 0)))
			return 0;
		pat += pl;
		s += sl;
		if (*pat == '\0' || *s == '\0')
			return *pat == *s;
		pat++;
		s++;
	}
}

static int
codes_match(const struct rules_code *c, const char *s,
    int (*match)(const char *, const char *))
{
	int	 i;

	if (c->n == 0)
		return 1;
	for (i = 0; i < c->n; i++)
		if (match(c->v[i], s))
			return 1;
	return 0;
}

static int
bit(unsigned set, int v)
{
	return set == 0 || (v >= 0 && v < 32 && (set & (1u << v)) != 0);
}

/* A group of the text, as a reason: lower case, cut, no trailing dot. */
static void
put_group(char *out, const char *text, const regmatch_t *m)
{
	size_t	 n = 0;
	regoff_t i;

	for (i = m->rm_so; i < m->rm_eo && n < CLASSIFY_REASON_MAX; i++) {
		char	 c = text[i];

		out[n++] = c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
	}
	while (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
}

#define HIT_WORDS	(RULES_LITS_MAX / 64)

#define PHIT_WORDS	(RULES_MAX / 64)

/* The index's strings that occur in the lower-case text: literals as
 * bits of hit, plain strings as their rules' bits of phit. */
static void
find_literals(const struct rules *rs, const char *lower, size_t len,
    uint64_t *hit, uint64_t *phit)
{
	size_t	 i, n;
	int	 id, b;

	memset(hit, 0, (rs->nlits + 63) / 64 * sizeof *hit);
	memset(phit, 0, PHIT_WORDS * sizeof *phit);
	for (i = 0; i + 3 <= len; i++)	/* every string has 3 bytes */
		for (id = rs->lhead[RULES_LBUCKET(lower[i], lower[i + 1],
		    lower[i + 2])]; id != -1; id = rs->lnext[id]) {
			const char	*l = rs->lits[id];

			if (l[0] != lower[i] || l[1] != lower[i + 1] ||
			    l[2] != lower[i + 2])
				continue;
			n = strlen(l + 3);
			if (i + 3 + n > len || memcmp(lower + i + 3, l + 3,
			    n) != 0)
				continue;
			if ((b = rs->lrule[id]) == -1)
				hit[id / 64] |= (uint64_t)1 << (id % 64);
			else
				phit[b / 64] |= (uint64_t)1 << (b % 64);
		}
}

/* Does one of the rule's literals occur (hit: the index's answer)? */
static int
has_literal(const struct rules *rs, const struct rule *r, const char *lower,
    const uint64_t *hit)
{
	int	 j;

	for (j = 0; j < r->nliterals; j++)
		if (rs->indexed ? (hit[r->lit[j] / 64] >>
		    (r->lit[j] % 64) & 1) != 0 :
		    strstr(lower, r->literals[j]) != NULL)
			return 1;
	return 0;
}

static const struct rule *
first_match(const struct rules *rs, const struct classify_input *in,
    const char *text, const char *lower, const char *reply,
    const char *enh, regmatch_t *m)
{
	const struct rule	*r;
	size_t			 i;
	uint64_t		 hit[HIT_WORDS], phit[PHIT_WORDS];
	int			 found = 0;

	if (rs == NULL)
		return NULL;
	for (i = 0; i < rs->n; i++) {
		r = &rs->v[i];
		if (!bit(r->providers, in->provider) ||
		    !bit(r->statuses, in->status) ||
		    !bit(r->kinds, in->kind) || !bit(r->hops, in->hop) ||
		    !bit(r->directions, in->direction) ||
		    !codes_match(&r->reply, reply, reply_match) ||
		    !codes_match(&r->code, enh, enhanced_match))
			continue;
		if (!r->has_text)
			return r;
		if (rs->indexed && !found &&
		    (r->nliterals > 0 || r->nplain > 0)) {
			find_literals(rs, lower, strlen(lower), hit, phit);
			found = 1;
		}
		if (r->nplain > 0) {	/* one of its strings, or no match */
			int	 j;

			if (rs->indexed) {
				if ((phit[r->pbit / 64] >> (r->pbit % 64) &
				    1) != 0)
					return r;
				continue;
			}
			for (j = 0; j < r->nplain; j++)
				if (strstr(lower, r->plain[j]) != NULL)
					return r;
			continue;
		}
		if (r->nliterals > 0 && !has_literal(rs, r, lower, hit))
			continue;
		if (regexec(r->re, text, r->group + 1, m, 0) == 0)
			return r;
	}
	return NULL;
}

/* See classify.h. */
void
classify(const struct rules *rs, const struct classify_input *in,
    struct classify_result *out)
{
	const struct rule	*r;
	regmatch_t		 m[10];
	char			 lower[REASON_MAX + 1], reply[4];
	const char		*text = in->text != NULL ? in->text : "";
	const char		*enh = in->enhanced != NULL ? in->enhanced : "";
	size_t			 i;

	memset(out, 0, sizeof *out);
	if (in->status == STATUS_SENT || in->status == STATUS_DELIVERABLE) {
		out->category = CAT_DELIVERED;
		out->blame = BLAME_NONE;
		strcpy(out->reason, "delivered");
		return;
	}
	for (i = 0; text[i] != '\0' && i < REASON_MAX; i++)
		lower[i] = text[i] >= 'A' && text[i] <= 'Z' ?
		    text[i] + 'a' - 'A' : text[i];
	lower[i] = '\0';
	if (in->reply > 0 && in->reply < 1000) {
		reply[0] = '0' + in->reply / 100;
		reply[1] = '0' + in->reply / 10 % 10;
		reply[2] = '0' + in->reply % 10;
		reply[3] = '\0';
	} else
		strcpy(reply, "0");
	r = first_match(rs, in, text, lower, reply, enh, m);
	if (r != NULL) {
		out->category = r->category;
		out->blame = r->blame;
		if (r->group != 0 && m[r->group].rm_so >= 0)
			put_group(out->reason, text, &m[r->group]);
		else
			strcpy(out->reason, r->reason);
		out->file = rs->files[r->file];
		out->line = r->line;
	} else {
		out->category = CAT_OTHER;
		out->blame = BLAME_UNKNOWN;
		strcpy(out->reason, "unclassified");
	}
	/* Given up: expired, for the reason it kept failing with. */
	if (in->status == STATUS_EXPIRED || in->kind == KIND_FINAL) {
		if (out->category == CAT_OTHER)
			strcpy(out->reason, "expired");
		out->category = CAT_EXPIRED;
	}
}

/* See classify.h. */
void
classify_split(const char *in, size_t len, int *reply, char *enh,
    const char **relay, size_t *relaylen, char *text, size_t textsz)
{
	const char	*p = in, *end = in + len, *q, *s;

	*reply = 0;
	enh[0] = '\0';
	*relay = NULL;
	*relaylen = 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((q = PU_LIT(p, end, "host ")) != NULL &&
	    (s = PU_FIND(q, end, " said: ")) != NULL) {
		*relay = q;
		*relaylen = s - q;
		p = s + 7;
	}
	if ((q = pu_reply(p, end, reply, enh)) == NULL &&
	    (q = pu_enhanced(p, end, enh)) == NULL)
		q = p;
	/* the text keeps the codes: reason_normalise drops them where
	 * they are codes, as it does for the daemon */
	reason_normalise(p, end - p, text, textsz);
}
