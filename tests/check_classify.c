/*
 * check_classify: the classifier, the rules file and the provider table.
 *
 * The table tests/data/replies.txt holds real reply texts, each with its
 * source and the category, blame and (where it names one) reason a
 * postmaster reads in that source; every row is classified with the
 * shipped rules file.  The other tests build small rules files of their
 * own to pin the precedence and the error messages.
 *
 * "check_classify corpus DIR" is the corpus mode tests/classify_corpus.sh
 * runs: every failed attempt of the public corpus is classified and the
 * share of "other" printed (the target is 0).
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "parse.h"
#include "provider.h"
#include "reason.h"
#include "rules.h"

#define ROWS_MAX	1024

struct row {
	unsigned	 line;
	char		 provider[32];
	char		 status[16];
	char		*reply;
	char		 category[32];
	char		 blame[32];
	char		 reason[64];
	char		 source[160];
};

static struct row	 rows[ROWS_MAX];
static int		 nrows;
static struct rules	*shipped;
static char		 shipped_path[1024];

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void
copy(char *dst, size_t sz, const char *src, unsigned line)
{
	if (strlen(src) >= sz) {
		fprintf(stderr, "replies.txt:%u: field too long\n", line);
		exit(1);
	}
	strcpy(dst, src);
}

/* Read the table; a malformed row stops the test (exit 1, not a skip). */
static void
load_rows(const char *path)
{
	FILE		*f;
	char		 buf[4096], *fld[8], *p, *bar;
	unsigned	 line = 0;
	int		 n;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while (fgets(buf, sizeof buf, f) != NULL) {
		line++;
		p = trim(buf);
		if (*p == '\0' || *p == '#')
			continue;
		for (n = 0; n < 7; n++) {
			fld[n] = p;
			if (n == 6)
				break;
			if ((bar = strstr(p, " | ")) == NULL)
				break;
			*bar = '\0';
			p = bar + 3;
		}
		if (n != 6 || nrows == ROWS_MAX) {
			fprintf(stderr, "%s:%u: want 7 fields\n", path, line);
			exit(1);
		}
		rows[nrows].line = line;
		copy(rows[nrows].provider, 32, trim(fld[0]), line);
		copy(rows[nrows].status, 16, trim(fld[1]), line);
		rows[nrows].reply = strdup(trim(fld[2]));
		copy(rows[nrows].category, 32, trim(fld[3]), line);
		copy(rows[nrows].blame, 32, trim(fld[4]), line);
		copy(rows[nrows].reason, 64, trim(fld[5]), line);
		copy(rows[nrows].source, 160, trim(fld[6]), line);
		if (rows[nrows].source[0] == '\0' ||
		    rows[nrows].source[0] == '-') {
			fprintf(stderr, "%s:%u: no source\n", path, line);
			exit(1);
		}
		nrows++;
	}
	fclose(f);
}

/* The status a reply implies when the row does not say. */
static enum status
status_of(const char *s, int reply, const char *enh)
{
	int	 c;

	if (strcmp(s, "-") != 0)
		return event_status_from_name(s);
	c = reply > 0 ? reply / 100 : (enh[0] != '\0' ? enh[0] - '0' : 4);
	return c == 2 ? STATUS_SENT : c == 4 ? STATUS_DEFERRED :
	    STATUS_BOUNCED;
}

static int
classify_line(const struct rules *rs, const char *provider,
    const char *status, const char *line, struct classify_result *res)
{
	struct classify_input	 in;
	char			 enh[EVENT_ENHANCED_MAX + 1];
	char			 text[REASON_MAX + 1];
	const char		*relay;
	size_t			 relaylen;
	int			 reply, p, st;

	classify_split(line, strlen(line), &reply, enh, &relay, &relaylen,
	    text, sizeof text);
	if (strcmp(provider, "-") == 0)
		p = provider_guess(NULL, 0, relay, relaylen, line,
		    strlen(line));
	else if ((p = provider_from_name(provider)) < 0)
		return -1;
	if ((st = status_of(status, reply, enh)) < 0)
		return -1;
	memset(&in, 0, sizeof in);
	in.provider = p;
	in.status = st;
	in.direction = st == STATUS_REJECTED ? DIR_IN : DIR_OUT;
	in.kind = st == STATUS_EXPIRED ? KIND_FINAL : KIND_ATTEMPT;
	in.hop = HOP_REMOTE;
	in.reply = reply;
	in.enhanced = enh;
	in.text = text;
	classify(rs, &in, res);
	return 0;
}

static int	 table_failed;
static struct rules *parse(const char *, char **);

/* One row of replies.txt against the shipped rules. */
START_TEST(table_row)
{
	const struct row	*r = &rows[_i];
	struct classify_result	 res;
	int			 ok;

	ck_assert_msg(classify_line(shipped, r->provider, r->status,
	    r->reply, &res) == 0, "replies.txt:%u: bad provider or status",
	    r->line);
	ok = strcmp(classify_category_name(res.category), r->category) == 0 &&
	    strcmp(classify_blame_name(res.blame), r->blame) == 0 &&
	    (strcmp(r->reason, "-") == 0 || strcmp(res.reason, r->reason) == 0);
	if (!ok)
		table_failed++;
	ck_assert_msg(ok, "replies.txt:%u (%s): want %s/%s/%s, got %s/%s/%s "
	    "(rule %s:%u)", r->line, r->source, r->category, r->blame,
	    r->reason, classify_category_name(res.category),
	    classify_blame_name(res.blame), res.reason,
	    res.file != NULL ? res.file : "-", res.line);
}
END_TEST

/* The literals tested before a regular expression never hide a match:
 * the same rules without them decide every row alike. */
START_TEST(prefilter_sound)
{
	struct rules		*plain = rules_new();
	struct classify_result	 a, b;
	char			*cause = NULL;
	size_t			 i, with = 0;
	int			 j;

	ck_assert_int_eq(rules_load(plain, shipped_path, 0, &cause), 0);
	rules_finish(plain);
	for (i = 0; i < plain->n; i++) {
		with += plain->v[i].nliterals > 0;
		plain->v[i].nliterals = 0;
	}
	ck_assert_uint_gt(with, plain->n / 2);	/* most rules have one */
	for (j = 0; j < nrows; j++) {
		classify_line(shipped, rows[j].provider, rows[j].status,
		    rows[j].reply, &a);
		classify_line(plain, rows[j].provider, rows[j].status,
		    rows[j].reply, &b);
		ck_assert_msg(a.category == b.category && a.line == b.line &&
		    strcmp(a.reason, b.reason) == 0, "replies.txt:%u: rule %u "
		    "with literals, %u without", rows[j].line, a.line, b.line);
	}
	rules_free(plain);
}
END_TEST

/* A plain text decides as its regular expression does: the shipped rules
 * with their plain strings and without (regexec for all) decide every row
 * of the table alike; and most of the shipped texts are plain. */
START_TEST(plain_sound)
{
	struct rules		*re = rules_new();
	struct classify_result	 a, b;
	char			*cause = NULL;
	size_t			 i, with = 0;
	int			*keep, j;

	ck_assert_int_eq(rules_load(re, shipped_path, 0, &cause), 0);
	rules_finish(re);
	ck_assert_ptr_nonnull(keep = calloc(re->n, sizeof *keep));
	for (i = 0; i < re->n; i++) {
		with += re->v[i].nplain > 0;
		keep[i] = re->v[i].nplain;
		re->v[i].nplain = 0;
	}
	ck_assert_uint_gt(with, re->n / 3);
	for (j = 0; j < nrows; j++) {
		classify_line(shipped, rows[j].provider, rows[j].status,
		    rows[j].reply, &a);
		classify_line(re, rows[j].provider, rows[j].status,
		    rows[j].reply, &b);
		ck_assert_msg(a.category == b.category && a.line == b.line &&
		    strcmp(a.reason, b.reason) == 0, "replies.txt:%u: rule %u "
		    "plain, %u by regexec", rows[j].line, a.line, b.line);
	}
	for (i = 0; i < re->n; i++)
		re->v[i].nplain = keep[i];
	free(keep);
	rules_free(re);
}
END_TEST

/* The strings of plain patterns, by hand ("" for a pattern that is not
 * plain: it needs regexec). */
static const struct {
	const char	*re;
	const char	*want;		/* "|"-separated */
} plains[] = {
	{ "banned sender", "banned sender" },
	{ "Over Quota|out of storage", "over quota|out of storage" },
	{ "receiving mail (too quickly|at a rate)",
	  "receiving mail too quickly|receiving mail at a rate" },
	{ "(a|b) (c|d)x", "a cx|a dx|b cx|b dx" },
	{ "block list \\(S3140\\)", "block list (s3140)" },
	{ "\\[TSS04\\]", "[tss04]" },
	{ "STOREDRV\\.Deliver", "storedrv.deliver" },
	{ "a (b|(c|d)e)", "a b|a ce|a de" },
	{ "mailbox (is )?full", "mailbox is full|mailbox full" },
	{ "gr[ae]ylist", "graylist|greylist" },
	{ "8-?bit", "8-bit|8bit" },
	{ "No (such )?user!?", "no such user!|no such user|no user!|no user" },
	{ "(x)?yz", "" },			/* "yz": under 3 bytes */
	{ "mailbox (is )*full", "" },		/* other quantifiers */
	{ "mailbox (is )+full", "" },
	{ "[a-z]+ account", "" },		/* range */
	{ "[^ ]ab", "" },
	{ "user.*unknown", "" },
	{ "^try again", "" },
	{ "over quota|", "" },			/* matches every text */
	{ "\\bSPF\\b", "" },
	{ "(x|y)+z", "" },
	{ "(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)", "" }, /* 512 */
};

START_TEST(plain_strings)
{
	struct rules	*rs;
	char		 rule[256], got[512], *cause;
	int		 i;

	snprintf(rule, sizeof rule, "other unknown x \"%s\"\n", plains[_i].re);
	rs = parse(rule, &cause);
	ck_assert_msg(rs != NULL, "%s", cause);
	got[0] = '\0';
	for (i = 0; i < rs->v[0].nplain; i++) {
		if (i > 0)
			strcat(got, "|");
		strcat(got, rs->v[0].plain[i]);
	}
	ck_assert_str_eq(got, plains[_i].want);
	rules_free(rs);
}
END_TEST

/* A plain text longer than its literal prefilter (23 bytes) still needs
 * all of itself; two rules sharing a literal each find it (hand-made
 * texts). */
START_TEST(plain_long)
{
	static const char text[] =
	    "user_unknown recipient g1 provider=google \"account that you "
	    "tried to reach does not exist\"\n"
	    "user_unknown recipient g2 \"account that you tried to reach "
	    "does not exist\"\n"
	    "mailbox_full recipient q \"account that you tried to reach "
	    "is (full|over quota)\"\n";
	static const struct {
		const char	*provider, *text, *reason;
	} cases[] = {
		{ "google", "The account that you tried to reach does not "
		  "exist. Please try", "g1" },
		{ "other", "The ACCOUNT that you tried to reach does not "
		  "EXIST.", "g2" },
		{ "google", "The account that you tried to reach does not "
		  "exis", "unclassified" },
		{ "other", "The account that you tried to reach is over "
		  "quota", "q" },
		{ "other", "The account that you tried to reach is over",
		  "unclassified" },
	};
	struct rules		*rs;
	struct classify_input	 in;
	struct classify_result	 res;
	char			*cause;
	size_t			 i;

	rs = parse(text, &cause);
	ck_assert_msg(rs != NULL, "%s", cause);
	ck_assert_int_eq(rs->v[0].nplain, 1);
	ck_assert_int_eq(rs->v[2].nplain, 2);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&in, 0, sizeof in);
		in.provider = provider_from_name(cases[i].provider);
		in.direction = DIR_OUT;
		in.kind = KIND_ATTEMPT;
		in.status = STATUS_BOUNCED;
		in.hop = HOP_REMOTE;
		in.reply = 550;
		in.enhanced = "5.1.1";
		in.text = cases[i].text;
		classify(rs, &in, &res);
		ck_assert_msg(strcmp(res.reason, cases[i].reason) == 0,
		    "case %zu: want %s, got %s", i, cases[i].reason,
		    res.reason);
	}
	rules_free(rs);
}
END_TEST

/* Literals of some patterns, by hand. */
static const struct {
	const char	*re;
	const char	*want;		/* space-separated, "" for none */
} lits[] = {
	{ "blocked using ([a-z0-9.-]+)", "blocked using " },
	{ "\\[TSS04\\]", "[tss04]" },
	{ "Greylisted, see https?://postgrey", "greylisted, see http" },
	{ "gr[ae]y-?list", "list" },
	{ "quota|mailbox (is )?full", "quota mailbox " },
	{ "(over quota|out of storage space)", "over quota out of storage space" },
	{ "account that you tried to reach (is|has been) (inactive|disabled)",
	  "account that you tried " },		/* cut at 23 bytes */
	{ "^Try again later$", "try again later" },
	{ "\\bSPF\\b|sender policy framework",
	  "spf sender policy framework" },	/* \\b is no character */
	{ "ab*c", "" },
	{ "abcd+e", "abcd" },
	{ "x{0,3}yyy", "yyy" },
};

START_TEST(literals)
{
	struct rules	*rs;
	char		 rule[256], got[512], *cause;
	int		 i;

	snprintf(rule, sizeof rule, "other unknown x \"%s\"\n", lits[_i].re);
	rs = parse(rule, &cause);
	ck_assert_msg(rs != NULL, "%s", cause);
	got[0] = '\0';
	for (i = 0; i < rs->v[0].nliterals; i++) {
		if (i > 0)
			strcat(got, " ");
		strcat(got, rs->v[0].literals[i]);
	}
	ck_assert_str_eq(got, lits[_i].want);
	rules_free(rs);
}
END_TEST

/* The table is as large and as wide as the issue asks. */
START_TEST(table_coverage)
{
	static const char *const need[] = {
		"google", "microsoft", "yahoo", "apple", "united-internet",
		"mail.ru", "yandex", "mimecast", "barracuda"
	};
	static const char *const texts[] = {
		"proofpoint", "spamhaus", "postgrey", "Quota exceeded",
		"maildir over quota", "STOREDRV", "spamcop", "TSS04", "S3140",
		"5.7.606", "very low reputation"
	};
	static const char *const sources[] = {
		"G", "MS", "Y", "A", "GMX", "MR", "YX", "PP", "MC", "BA",
		"SH", "SC", "PG", "RS", "MG", "DV", "CO", "EXO", "PF", "EX"
	};
	size_t	 i;
	int	 j, found;

	ck_assert_int_ge(nrows, 150);
	for (i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		for (j = found = 0; j < nrows && !found; j++)
			found = strcmp(rows[j].source, sources[i]) == 0;
		ck_assert_msg(found, "no row from source %s", sources[i]);
	}
	for (i = 0; i < sizeof need / sizeof need[0]; i++) {
		for (j = found = 0; j < nrows && !found; j++)
			found = strcmp(rows[j].provider, need[i]) == 0;
		ck_assert_msg(found, "no row for provider %s", need[i]);
	}
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		for (j = found = 0; j < nrows && !found; j++)
			found = strcasestr(rows[j].reply, texts[i]) != NULL;
		ck_assert_msg(found, "no row with \"%s\"", texts[i]);
	}
}
END_TEST

static struct rules *
parse(const char *text, char **cause)
{
	struct rules	*rs = rules_new();

	ck_assert_ptr_nonnull(rs);
	*cause = NULL;
	if (rules_parse(rs, "t.rules", text, strlen(text), cause) == -1) {
		rules_free(rs);
		return NULL;
	}
	rules_finish(rs);
	return rs;
}

/* Errors name the file and line, and say why. */
static const struct {
	const char	*text;
	const char	*cause;
} bad_rules[] = {
	{ "# ok\n\nnosuch recipient x\n", "t.rules:3: unknown category \"nosuch\"" },
	{ "user_unknown nobody x\n", "t.rules:1: unknown blame \"nobody\"" },
	{ "user_unknown recipient\n", "t.rules:1: want CATEGORY BLAME REASON [KEY=VALUE ...] [\"TEXT\"]" },
	{ "user_unknown recipient X\n", "t.rules:1: a reason is $1 to $9 or up to 63 of a-z 0-9 . _ -" },
	{ "user_unknown recipient x \"unterminated\n", "t.rules:1: unterminated quote" },
	{ "user_unknown recipient x \"(\"\n", "t.rules:1: bad text pattern: " },
	{ "user_unknown recipient x colour=red\n", "t.rules:1: unknown key \"colour\"" },
	{ "user_unknown recipient x provider=hotmail\n", "t.rules:1: bad provider \"hotmail\"" },
	{ "user_unknown recipient x reply=650\n", "t.rules:1: bad reply \"650\"" },
	{ "user_unknown recipient x reply=5x0\n", "t.rules:1: bad reply \"5x0\"" },
	{ "user_unknown recipient x code=5.1\n", "t.rules:1: bad code \"5.1\"" },
	{ "user_unknown recipient x code=5.1.1x\n", "t.rules:1: bad code \"5.1.1x\"" },
	{ "user_unknown recipient x status=lost\n", "t.rules:1: bad status \"lost\"" },
	{ "user_unknown recipient x \"a\" reply=550\n", "t.rules:1: the quoted text must come last" },
	{ "user_unknown recipient $1 \"no group\"\n", "t.rules:1: reason $1 without that group in the text" },
	{ "user_unknown recipient $1 reply=550\n", "t.rules:1: reason $N without a text" },
	{ "user_unknown recipient x reply=550 \\\n  code=5.1.1 oops\n", "t.rules:1: \"oops\": want KEY=VALUE or a quoted text" },
	{ "user_unknown recipient x \"a\"b\n", "t.rules:1: text after the closing quote" },
};

START_TEST(rules_errors)
{
	struct rules	*rs;
	char		*cause;

	rs = parse(bad_rules[_i].text, &cause);
	ck_assert_ptr_null(rs);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strncmp(cause, bad_rules[_i].cause,
	    strlen(bad_rules[_i].cause)) == 0, "got \"%s\"", cause);
	free(cause);
}
END_TEST

/* A continued line, comments, CRLF and quotes inside the text. */
START_TEST(rules_syntax)
{
	struct rules		*rs;
	struct classify_result	 res;
	char			*cause;

	rs = parse("# comment\r\n"
	    "policy unknown quoted \\\n"
	    "   reply=550,554 \"say \\\"no\\\"\"   # trailing comment\r\n"
	    "\n", &cause);
	ck_assert_msg(rs != NULL, "%s", cause);
	ck_assert_uint_eq(rs->n, 1);
	ck_assert_uint_eq(rs->v[0].line, 2);
	ck_assert_int_eq(classify_line(rs, "-", "-", "554 I say \"no\"",
	    &res), 0);
	ck_assert_str_eq(res.reason, "quoted");
	ck_assert_str_eq(res.file, "t.rules");
	ck_assert_uint_eq(res.line, 2);
	ck_assert_int_eq(classify_line(rs, "-", "-", "553 I say \"no\"",
	    &res), 0);
	ck_assert_int_eq(res.category, CAT_OTHER);
	rules_free(rs);
}
END_TEST

/* Provider text, then generic text, then enhanced code, then reply, each
 * whatever the order in the file; the first of a level wins. */
START_TEST(precedence)
{
	struct rules		*rs;
	struct classify_result	 res;
	char			*cause;

	rs = parse("remote_error remote by_reply reply=550\n"
	    "policy unknown by_code code=5.7.1\n"
	    "spam_content content by_text \"spam\"\n"
	    "spam_content content by_text2 \"spam\"\n"
	    "reputation sender_reputation by_provider provider=google "
	    "\"spam\"\n", &cause);
	ck_assert_msg(rs != NULL, "%s", cause);
	classify_line(rs, "google", "-", "550 5.7.1 spam here", &res);
	ck_assert_str_eq(res.reason, "by_provider");
	ck_assert_uint_eq(res.line, 5);
	classify_line(rs, "yahoo", "-", "550 5.7.1 spam here", &res);
	ck_assert_str_eq(res.reason, "by_text");
	classify_line(rs, "yahoo", "-", "550 5.7.1 ham here", &res);
	ck_assert_str_eq(res.reason, "by_code");
	classify_line(rs, "yahoo", "-", "550 5.1.1 ham here", &res);
	ck_assert_str_eq(res.reason, "by_reply");
	classify_line(rs, "yahoo", "-", "551 5.1.1 ham here", &res);
	ck_assert_int_eq(res.category, CAT_OTHER);
	ck_assert_int_eq(res.blame, BLAME_UNKNOWN);
	ck_assert_ptr_null(res.file);
	/* a sent attempt is delivered whatever it says */
	classify_line(rs, "google", "sent", "250 2.0.0 spam", &res);
	ck_assert_int_eq(res.category, CAT_DELIVERED);
	ck_assert_int_eq(res.blame, BLAME_NONE);
	rules_free(rs);
}
END_TEST

/* The local file is tried before the shipped one, at every level. */
START_TEST(local_wins)
{
	struct rules		*rs = rules_new();
	struct classify_result	 res;
	const char		*local = "other unknown mine reply=550\n";
	const char		*ship = "user_unknown recipient theirs "
	    "provider=google \"does not exist\"\n";
	char			*cause = NULL;

	ck_assert_int_eq(rules_parse(rs, "local", local, strlen(local),
	    &cause), 0);
	ck_assert_int_eq(rules_parse(rs, "shipped", ship, strlen(ship),
	    &cause), 0);
	rules_finish(rs);
	classify_line(rs, "google", "-", "550 5.1.1 does not exist", &res);
	ck_assert_str_eq(res.reason, "mine");
	ck_assert_str_eq(res.file, "local");
	rules_free(rs);
}
END_TEST

/* Codes and conditions: wildcards, "none", status, hop, direction. */
START_TEST(conditions)
{
	struct rules		*rs;
	struct classify_result	 res;
	struct classify_input	 in;
	char			*cause;

	rs = parse("network network noreply reply=none code=none\n"
	    "user_unknown recipient star code=*.1.1\n"
	    "mailbox_full recipient part code=x.2.*\n"
	    "policy unknown smtpd direction=in reply=5xx\n"
	    "remote_error remote five reply=55x status=bounced hop=remote\n"
	    "reputation sender_reputation $1 \"blocked using ([a-z.]+)\"\n",
	    &cause);
	ck_assert_msg(rs != NULL, "%s", cause);
	memset(&in, 0, sizeof in);
	in.status = STATUS_DEFERRED;
	in.enhanced = "";
	in.text = "connect to x: Connection refused";
	classify(rs, &in, &res);
	ck_assert_str_eq(res.reason, "noreply");
	in.enhanced = "4.4.1";
	classify(rs, &in, &res);
	ck_assert_int_eq(res.category, CAT_OTHER);
	in.enhanced = "5.1.1";
	classify(rs, &in, &res);
	ck_assert_str_eq(res.reason, "star");
	in.enhanced = "4.2.22";
	classify(rs, &in, &res);
	ck_assert_str_eq(res.reason, "part");
	in.enhanced = "4.22.2";
	classify(rs, &in, &res);
	ck_assert_int_eq(res.category, CAT_OTHER);
	in.enhanced = "";
	in.reply = 554;
	in.direction = DIR_IN;
	in.status = STATUS_REJECTED;
	classify(rs, &in, &res);
	ck_assert_str_eq(res.reason, "smtpd");
	in.direction = DIR_OUT;
	classify(rs, &in, &res);
	ck_assert_int_eq(res.category, CAT_OTHER);
	in.status = STATUS_BOUNCED;
	classify(rs, &in, &res);
	ck_assert_str_eq(res.reason, "five");
	in.hop = HOP_MAILBOX;
	classify(rs, &in, &res);
	ck_assert_int_eq(res.category, CAT_OTHER);
	/* the group, lower case, as the reason; expired keeps it */
	in.text = "Service unavailable; client [IP] blocked using "
	    "Zen.Spamhaus.ORG.";
	in.status = STATUS_EXPIRED;
	in.kind = KIND_FINAL;
	classify(rs, &in, &res);
	ck_assert_int_eq(res.category, CAT_EXPIRED);
	ck_assert_int_eq(res.blame, BLAME_SENDER_REPUTATION);
	ck_assert_str_eq(res.reason, "zen.spamhaus.org");
	/* no rules at all */
	classify(NULL, &in, &res);
	ck_assert_int_eq(res.category, CAT_EXPIRED);
	ck_assert_str_eq(res.reason, "expired");
	rules_free(rs);
}
END_TEST

/* The shipped file loads, and a missing local file is no error. */
START_TEST(shipped_loads)
{
	struct rules	*rs = rules_new();
	char		*cause = NULL;

	ck_assert_int_eq(rules_load(rs, "/nonexistent/rules.local", 1,
	    &cause), 0);
	ck_assert_int_eq(rules_load(rs, "/nonexistent/rules", 0, &cause),
	    -1);
	ck_assert_str_eq(cause, "/nonexistent/rules: No such file or "
	    "directory");
	free(cause);
	ck_assert_int_eq(rules_load(rs, shipped_path, 0, &cause), 0);
	ck_assert_uint_ge(rs->n, 100);
	rules_free(rs);
}
END_TEST

/* The names are the contract's, and the stored values never move. */
START_TEST(names)
{
	static const char *const cats[] = {
		"delivered", "user_unknown", "mailbox_full",
		"mailbox_disabled", "domain_invalid", "greylisted",
		"rate_limited", "reputation", "spam_content", "authentication",
		"policy", "message", "network", "remote_error", "expired",
		"other"
	};
	static const char *const blames[] = {
		"none", "recipient", "sender_reputation", "sender_config",
		"content", "remote", "network", "unknown"
	};
	int	 i;

	ck_assert_int_eq(CAT_NCATEGORIES, 16);
	ck_assert_int_eq(BLAME_NBLAMES, 8);
	for (i = 0; i < CAT_NCATEGORIES; i++) {
		ck_assert_str_eq(classify_category_name(i), cats[i]);
		ck_assert_int_eq(classify_category_from_name(cats[i]), i);
	}
	for (i = 0; i < BLAME_NBLAMES; i++) {
		ck_assert_str_eq(classify_blame_name(i), blames[i]);
		ck_assert_int_eq(classify_blame_from_name(blames[i]), i);
	}
	ck_assert_int_eq(classify_category_from_name("Other"), -1);
	ck_assert_int_eq(PROVIDER_GOOGLE, 1);
	ck_assert_int_eq(PROVIDER_TENCENT, 18);
	for (i = 0; i < PROVIDER_NPROVIDERS; i++)
		ck_assert_int_eq(provider_from_name(provider_name(i)), i);
}
END_TEST

/* Providers from domain, next hop and text (the providers' own MX names
 * and sign-up domains). */
static const struct {
	const char	*domain, *relay, *text, *want;
} guesses[] = {
	{ "gmail.com", "", "", "google" },
	{ "GoogleMail.com", "", "", "google" },
	{ "example.org", "aspmx.l.google.com[192.0.2.1]:25", "", "google" },
	{ "example.org", "alt1.aspmx.l.google.com", "", "google" },
	{ "example.org", "", "550 5.1.1 ... - gsmtp", "google" },
	{ "hotmail.co.uk", "", "", "microsoft" },
	{ "live.fr", "", "", "microsoft" },
	{ "live.example.org", "", "", "other" },
	{ "outlook.com", "", "", "microsoft" },
	{ "msn.com", "", "", "microsoft" },
	{ "example.org", "example-org.mail.protection.outlook.com[192.0.2.1]:25",
	  "", "microsoft" },
	{ "example.org", "", "[DB5EUR03FT029.eop-EUR03.prod.protection.outlook.com]",
	  "microsoft" },
	{ "yahoo.co.jp", "", "", "yahoo" },
	{ "aol.com", "", "", "yahoo" },
	{ "ymail.com", "", "", "yahoo" },
	{ "example.org", "mta5.am0.yahoodns.net", "", "yahoo" },
	{ "icloud.com", "", "", "apple" },
	{ "me.com", "", "", "apple" },
	{ "gmx.de", "", "", "united-internet" },
	{ "gmx.net", "", "", "united-internet" },
	{ "web.de", "", "", "united-internet" },
	{ "example.org", "mx00.emig.gmx.net", "", "united-internet" },
	{ "inbox.ru", "", "", "mail.ru" },
	{ "yandex.ru", "", "", "yandex" },
	{ "example.org", "mx0a-00123401.pphosted.com", "", "proofpoint" },
	{ "example.org", "eu-smtp-inbound-1.mimecast.com", "", "mimecast" },
	{ "example.org", "d123.ess.barracudanetworks.com", "", "barracuda" },
	{ "example.org", "", "blocked using b.barracudacentral.org", "other" },
	{ "example.org", "mx1.example.org", "", "other" },
	{ "notgmail.com", "", "", "other" },
	/* case, a trailing dot, label boundaries (hand-checked) */
	{ "example.org", "MX1.Google.COM.", "", "google" },
	{ "example.org", "mx.evilgoogle.com[192.0.2.1]:25", "", "other" },
	{ "Mail.Gmail.COM", "", "", "google" },
	{ "OUTLOOK.com", "", "", "microsoft" },
	{ "hotmail.example.com", "", "", "other" },
	{ "hotmailx.com", "", "", "other" },
	{ "gmail.com.example.org", "", "", "other" },
	{ "example.org", "smtp.mail.com", "", "united-internet" },
	{ "example.org", "smtp.gmail.com", "", "other" },
	{ "", "", "", "other" },
};

START_TEST(provider_guesses)
{
	const char	*d = guesses[_i].domain, *r = guesses[_i].relay;
	const char	*t = guesses[_i].text;

	ck_assert_str_eq(provider_name(provider_guess(d, strlen(d), r,
	    strlen(r), t, strlen(t))), guesses[_i].want);
}
END_TEST

/* Pasted replies: continuation lines joined, "host ... said:" read. */
START_TEST(split)
{
	char		 enh[EVENT_ENHANCED_MAX + 1], text[REASON_MAX + 1];
	const char	*relay, *in;
	size_t		 rl;
	int		 reply;

	in = "host mx.example.com[192.0.2.1] said: 550-5.7.1 first line "
	    "550-5.7.1 second 550 5.7.1 last";
	classify_split(in, strlen(in), &reply, enh, &relay, &rl, text,
	    sizeof text);
	ck_assert_int_eq(reply, 550);
	ck_assert_str_eq(enh, "5.7.1");
	ck_assert_uint_eq(rl, strlen("mx.example.com[192.0.2.1]"));
	ck_assert(strncmp(relay, "mx.example.com", 14) == 0);
	ck_assert_str_eq(text, "first line second last");
	in = "Connection refused";
	classify_split(in, strlen(in), &reply, enh, &relay, &rl, text,
	    sizeof text);
	ck_assert_int_eq(reply, 0);
	ck_assert_str_eq(enh, "");
	ck_assert_ptr_null(relay);
	ck_assert_str_eq(text, "Connection refused");
	in = "4.7.1 Try again later";
	classify_split(in, strlen(in), &reply, enh, &relay, &rl, text,
	    sizeof text);
	ck_assert_int_eq(reply, 0);
	ck_assert_str_eq(enh, "4.7.1");
	ck_assert_str_eq(text, "Try again later");
}
END_TEST

/* The e2e table: what the sink answers per domain and what it must mean,
 * joined as Postfix logs a multi-line reply (spaces, "(in reply to ...)")
 * and as Exim does ("\n" between the lines). */
START_TEST(e2e_table)
{
	char		 path[1024], buf[4096], *fld[8], *p, *bar, joined[4096];
	char		 exim[4096];
	const char	*top = getenv("top_srcdir");
	FILE		*f;
	unsigned	 line = 0, nrow = 0;
	size_t		 jl, el, l;
	int		 n, v;

	snprintf(path, sizeof path, "%s/tests/data/replies-e2e.txt",
	    top != NULL ? top : ".");
	ck_assert_msg((f = fopen(path, "r")) != NULL, "%s", path);
	while (fgets(buf, sizeof buf, f) != NULL) {
		line++;
		p = trim(buf);
		if (*p == '\0' || *p == '#')
			continue;
		for (n = 0; n < 7; n++) {
			fld[n] = p;
			if (n == 6 || (bar = strstr(p, " | ")) == NULL)
				break;
			*bar = '\0';
			p = bar + 3;
		}
		ck_assert_msg(n == 6, "replies-e2e.txt:%u: want 7 fields", line);
		for (n = 0; n < 7; n++)
			fld[n] = trim(fld[n]);
		/* Postfix: lines joined with a space; Exim: with "\n" */
		jl = el = 0;
		for (p = fld[2]; ; p = bar + 2) {
			bar = strstr(p, "\\n");
			l = bar != NULL ? (size_t)(bar - p) : strlen(p);
			ck_assert_uint_lt(jl + l + 3, sizeof joined);
			if (jl > 0) {
				joined[jl++] = ' ';
				exim[el++] = '\\';
				exim[el++] = 'n';
			}
			memcpy(joined + jl, p, l);
			memcpy(exim + el, p, l);
			jl += l;
			el += l;
			if (bar == NULL)
				break;
		}
		joined[jl] = exim[el] = '\0';
		if (strcmp(fld[1], "none") != 0)
			strcat(joined, strcmp(fld[1], "data") == 0 ?
			    " (in reply to end of DATA command)" :
			    " (in reply to RCPT TO command)");
		for (v = 0; v < 2; v++) {
			struct classify_result	 res;
			const char		*text = v == 0 ? joined : exim;

			ck_assert_int_eq(classify_line(shipped, "-", fld[3],
			    text, &res), 0);
			ck_assert_msg(strcmp(classify_category_name(
			    res.category), fld[4]) == 0 &&
			    strcmp(classify_blame_name(res.blame), fld[5]) == 0 &&
			    (strcmp(fld[6], "-") == 0 ||
			    strcmp(res.reason, fld[6]) == 0),
			    "replies-e2e.txt:%u (%s, %s): want %s/%s/%s, got "
			    "%s/%s/%s (rule %s:%u)", line, fld[0],
			    v == 0 ? "Postfix" : "Exim", fld[4], fld[5], fld[6],
			    classify_category_name(res.category),
			    classify_blame_name(res.blame), res.reason,
			    res.file != NULL ? res.file : "-", res.line);
		}
		nrow++;
	}
	fclose(f);
	ck_assert_uint_ge(nrow, 30);
}
END_TEST

/* ---- corpus mode -------------------------------------------------------- */

struct other {
	char		 text[REASON_MAX + 1];
	char		 where[128];
	unsigned	 count;
};

static int
corpus_file(const char *dir, const char *sub, const char *name,
    uint64_t *failed, uint64_t *other, struct other *o, int *no, int max)
{
	char			 path[2048], line[65536];
	char			 text[REASON_MAX + 1];
	struct parse_ctx	 ctx;
	struct parse_cache	 cache;
	struct classify_input	 in;
	struct classify_result	 res;
	struct event		 ev;
	FILE			*f;
	unsigned		 ln = 0;
	size_t			 n;
	int			 i;

	snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	memset(&ctx, 0, sizeof ctx);
	memset(&cache, 0, sizeof cache);
	ctx.cache = &cache;
	ctx.ref_time = (int64_t)time(NULL);
	while (fgets(line, sizeof line, f) != NULL) {
		ln++;
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (parse_line(&ctx, MTA_UNKNOWN, line, n, &ev) != PARSE_EVENT)
			continue;
		if (ev.status == STATUS_SENT ||
		    ev.status == STATUS_DELIVERABLE || ev.kind == KIND_SKIP)
			continue;
		reason_normalise(ev.text, ev.textlen, text, sizeof text);
		memset(&in, 0, sizeof in);
		in.provider = provider_guess(ev.domain, strlen(ev.domain),
		    ev.relay, ev.relaylen, ev.text, ev.textlen);
		in.direction = ev.direction;
		in.kind = ev.kind;
		in.status = ev.status;
		in.hop = ev.hop;
		in.reply = ev.reply;
		in.enhanced = ev.enhanced;
		in.text = text;
		classify(shipped, &in, &res);
		(*failed)++;
		if (res.category != CAT_OTHER)
			continue;
		(*other)++;
		for (i = 0; i < *no; i++)
			if (strcmp(o[i].text, text) == 0)
				break;
		if (i == *no && *no < max) {
			strcpy(o[i].text, text);
			snprintf(o[i].where, sizeof o[i].where, "%s/%s:%u %d %s",
			    sub, name, ln, ev.reply, ev.enhanced);
			(*no)++;
		}
		if (i < *no)
			o[i].count++;
	}
	fclose(f);
	return 0;
}

static int
other_cmp(const void *a, const void *b)
{
	const struct other	*x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* Classify the corpus's failed attempts; print the share of "other". */
static int
corpus(const char *dir)
{
	static struct other	 o[4096];
	static const char *const subs[] = { "postfix", "exim" };
	struct dirent		*de;
	DIR			*d;
	char			 path[2048];
	uint64_t		 f, x, tf = 0, tx = 0, pf = 0, px = 0;
	int			 no = 0, i, files = 0;
	size_t			 s;

	for (s = 0; s < 2; s++) {
		snprintf(path, sizeof path, "%s/%s", dir, subs[s]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strstr(de->d_name, ".log") == NULL)
				continue;
			f = x = 0;
			if (corpus_file(dir, subs[s], de->d_name, &f, &x, o, &no,
			    4096) == -1)
				continue;
			files++;
			printf("corpus %s/%s: %llu failed, %llu other "
			    "(%.1f%%)\n", subs[s], de->d_name,
			    (unsigned long long)f, (unsigned long long)x,
			    f ? 100.0 * x / f : 0.0);
			tf += f;
			tx += x;
			/* Exim's test suite answers with made-up texts
			 * ("550 NO"): counted apart from real logs */
			if (strstr(de->d_name, "testsuite") == NULL) {
				pf += f;
				px += x;
			}
		}
		closedir(d);
	}
	if (files == 0) {
		printf("SKIP: no corpus files under %s\n", dir);
		return 77;
	}
	qsort(o, no, sizeof o[0], other_cmp);
	for (i = 0; i < no && i < 40; i++)
		printf("other %5u  %-40s %s\n", o[i].count, o[i].where,
		    o[i].text);
	printf("corpus other share: %.2f%% of %llu failed attempts "
	    "(%llu other); logs of real servers: %.2f%% of %llu (%llu); "
	    "target 0\n", tf ? 100.0 * tx / tf : 0.0, (unsigned long long)tf,
	    (unsigned long long)tx, pf ? 100.0 * px / pf : 0.0,
	    (unsigned long long)pf, (unsigned long long)px);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*top = getenv("top_srcdir");
	char		 path[1024], *cause = NULL;
	Suite		*s;
	SRunner		*sr;
	TCase		*tc;
	int		 failed;

	if (top == NULL)
		top = ".";
	snprintf(shipped_path, sizeof shipped_path, "%s/etc/smtptally.rules",
	    top);
	shipped = rules_new();
	if (rules_load(shipped, shipped_path, 0, &cause) == -1) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	rules_finish(shipped);
	if (argc == 3 && strcmp(argv[1], "corpus") == 0)
		return corpus(argv[2]);
	snprintf(path, sizeof path, "%s/tests/data/replies.txt", top);
	load_rows(path);

	s = suite_create("classify");
	tc = tcase_create("table");
	tcase_add_loop_test(tc, table_row, 0, nrows);
	tcase_add_test(tc, table_coverage);
	tcase_add_test(tc, prefilter_sound);
	tcase_add_test(tc, plain_sound);
	tcase_add_test(tc, e2e_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("rules");
	tcase_add_loop_test(tc, rules_errors, 0,
	    sizeof bad_rules / sizeof bad_rules[0]);
	tcase_add_test(tc, rules_syntax);
	tcase_add_test(tc, precedence);
	tcase_add_test(tc, local_wins);
	tcase_add_test(tc, conditions);
	tcase_add_test(tc, shipped_loads);
	tcase_add_test(tc, names);
	tcase_add_loop_test(tc, literals, 0, sizeof lits / sizeof lits[0]);
	tcase_add_loop_test(tc, plain_strings, 0,
	    sizeof plains / sizeof plains[0]);
	tcase_add_test(tc, plain_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("provider");
	tcase_add_loop_test(tc, provider_guesses, 0,
	    sizeof guesses / sizeof guesses[0]);
	tcase_add_test(tc, split);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	printf("replies.txt: %d texts, %d classified as the table says\n",
	    nrows, nrows - table_failed);
	rules_free(shipped);
	return failed == 0 ? 0 : 1;
}
