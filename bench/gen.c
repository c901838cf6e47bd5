/*
 * gen: writes a large, realistic Postfix or Exim log for the benchmarks, and
 * beside it the counts a correct parser must find in it.
 *
 * The log is made message by message, with the lines a real server writes
 * for each one (Postfix: smtpd connect/client=/disconnect, cleanup, qmgr,
 * one smtp line per recipient, qmgr removed; Exim: <=, =>, ->, ==, **,
 * Completed), retries of deferred recipients later in the file, bounce
 * notifications, expiry, receiving-side rejects and a few lines of other
 * programs.  Recipient domains follow a Zipf law over about 20,000 names.
 * Every line written is classified here, at the moment it is written, so the
 * expected counts come from the writer's own record, never from a parser.
 *
 * Deterministic: the same options and seed give the same bytes (file mode).
 * In live mode (--live) it appends at a given line rate with the wall clock
 * as time stamps, for the follow benchmark.
 *
 * This is a benchmark tool: it is not part of the daemon, the client or the
 * test suite, and does not link libsmtptally.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NDOMAIN		20000
#define ZIPF_S		1.0
#define MAXRCPT		20
#define MAXTRIES	5	/* deferred this often: expire */
#define MAXPENDING	200000	/* messages waiting for a retry */
#define LINE_MAX_GEN	4096
#define OUTBUF		(1 << 20)
#define HOSTNAME	"mx1"
#define OURDOMAIN	"example.net"
#define START_DEFAULT	1793491200	/* 2026-11-01T00:00:00Z */

/* Names as parse_*_name() prints them; the expected file uses these. */
enum mta { MTA_POSTFIX, MTA_EXIM, NMTA };
enum dir { DIR_OUT, DIR_IN, NDIR };
enum kind { K_ATTEMPT, K_SKIP, K_FINAL, K_VERIFY, NKIND };
enum status { S_SENT, S_DEFERRED, S_BOUNCED, S_EXPIRED, S_REJECTED,
	S_DELIVERABLE, S_UNDELIVERABLE, NSTATUS };
static const char *mta_name[] = { "postfix", "exim" };
static const char *dir_name[] = { "out", "in" };
static const char *kind_name[] = { "attempt", "skip", "final", "verify" };
static const char *status_name[] = { "sent", "deferred", "bounced",
	"expired", "rejected", "deliverable", "undeliverable" };

/* What a line is, in the writer's own view. */
enum lineclass { L_EVENT, L_IGNORED, L_FOREIGN };

enum provider { P_GENERIC, P_GOOGLE, P_MICROSOFT, P_YAHOO };

/* Why an attempt failed when no reply was said. */
enum noreply { NR_NONE, NR_REFUSED, NR_CONNTIMEOUT, NR_LOST, NR_CONVTIMEOUT };

/*
 * One outcome of a delivery attempt.  Weights are per 100,000 attempts.
 * Texts: "@@" stands for the recipient address.
 */
struct outcome {
	unsigned	 weight;
	enum status	 status;
	int		 reply;
	const char	*dsn;
	const char	*pf_said;	/* Postfix, after "said: " */
	const char	*ex_said;	/* Exim, after "SMTP error ...: " */
	const char	*stage;		/* "RCPT TO", "end of DATA", ... */
	enum noreply	 noreply;
};

static const struct outcome outcomes[] = {
	/* 2xx: the text depends on the provider, see sent_text() */
	{ 85000, S_SENT, 250, "2.0.0", NULL, NULL, NULL, NR_NONE },
	/* 4xx said by the remote: 10% */
	{ 1200, S_DEFERRED, 421, "4.7.0",
	  "421-4.7.0 [192.0.2.25      15] Our system has detected an unusual "
	  "rate of 421-4.7.0 unsolicited mail originating from your IP "
	  "address. To protect our 421-4.7.0 users from spam, mail sent from "
	  "your IP address has been temporarily 421 4.7.0 rate limited. "
	  "- gsmtp",
	  "421 4.7.0 Try again later, closing connection.",
	  "end of DATA", NR_NONE },
	{ 1300, S_DEFERRED, 421, "4.7.0",
	  "421 4.7.0 Too many concurrent SMTP connections; please try again "
	  "later.", "421 4.7.0 Too many concurrent SMTP connections",
	  "initial connection", NR_NONE },
	{ 2000, S_DEFERRED, 450, "4.7.1",
	  "450 4.7.1 <@@>: Recipient address rejected: Greylisted, see "
	  "http://postgrey.schweikert.ch/help/example.html",
	  "450 4.7.1 <@@>: Recipient address rejected: Greylisted",
	  "RCPT TO", NR_NONE },
	{ 2500, S_DEFERRED, 451, "4.7.1",
	  "451 4.7.1 Greylisting in action, please come back later",
	  "451 4.7.1 Greylisting in action, please come back later",
	  "RCPT TO", NR_NONE },
	{ 1500, S_DEFERRED, 451, "4.3.0",
	  "451 4.3.0 <@@>: Temporary lookup failure",
	  "451 4.3.0 <@@>: Temporary lookup failure", "RCPT TO", NR_NONE },
	{ 1500, S_DEFERRED, 452, "4.2.2",
	  "452 4.2.2 The email account that you tried to reach is over quota. "
	  "Please direct the recipient to https://support.example/quota",
	  "452 4.2.2 Mailbox full, try again later", "RCPT TO", NR_NONE },
	/* 5xx said by the remote: 3% */
	{ 1000, S_BOUNCED, 550, "5.1.1",
	  "550-5.1.1 The email account that you tried to reach does not "
	  "exist. Please try 550-5.1.1 double-checking the recipient's email "
	  "address for typos or 550-5.1.1 unnecessary spaces. 550 5.1.1  "
	  "https://support.google.com/mail/?p=NoSuchUser a1si123456ejb.12 "
	  "- gsmtp",
	  "550 5.1.1 <@@>: Recipient address rejected: User unknown",
	  "RCPT TO", NR_NONE },
	{ 800, S_BOUNCED, 550, "5.1.1",
	  "550 5.1.1 <@@>: Recipient address rejected: User unknown in "
	  "virtual mailbox table",
	  "550 5.1.1 <@@>: Recipient address rejected: User unknown in "
	  "virtual mailbox table", "RCPT TO", NR_NONE },
	{ 200, S_BOUNCED, 551, "5.1.6",
	  "551 5.1.6 <@@>: Recipient no longer on server",
	  "551 5.1.6 <@@>: Recipient no longer on server", "RCPT TO",
	  NR_NONE },
	{ 400, S_BOUNCED, 552, "5.2.2",
	  "552 5.2.2 <@@>: Mailbox full, quota exceeded",
	  "552 5.2.2 <@@>: Mailbox full, quota exceeded", "RCPT TO",
	  NR_NONE },
	{ 200, S_BOUNCED, 553, "5.1.3",
	  "553 5.1.3 <@@>: Recipient address rejected: invalid address",
	  "553 5.1.3 <@@>: Recipient address rejected: invalid address",
	  "RCPT TO", NR_NONE },
	{ 400, S_BOUNCED, 554, "5.7.1",
	  "554 5.7.1 Service unavailable; Client host [192.0.2.25] blocked "
	  "using zen.spamhaus.org; https://www.spamhaus.org/query/ip/"
	  "192.0.2.25",
	  "554 5.7.1 Message rejected as spam by content filter",
	  "end of DATA", NR_NONE },
	/* no reply said: 2% */
	{ 600, S_DEFERRED, 0, "4.4.1", NULL, NULL, NULL, NR_REFUSED },
	{ 800, S_DEFERRED, 0, "4.4.1", NULL, NULL, NULL, NR_CONNTIMEOUT },
	{ 300, S_DEFERRED, 0, "4.4.2", NULL, NULL, NULL, NR_LOST },
	{ 300, S_DEFERRED, 0, "4.4.2", NULL, NULL, NULL, NR_CONVTIMEOUT },
};
#define NOUTCOME	(sizeof(outcomes) / sizeof(outcomes[0]))

/* Share of recipient lines that are skips (per 100,000), not attempts. */
#define SKIP_WEIGHT	500
/* Share of connections that are rejected by our smtpd (per 100,000). */
#define REJECT_WEIGHT	6000

static const char *first_names[] = {
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
	"ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
	"sybil", "trent", "victor", "walter", "yolanda", "anna", "ben",
	"chloe", "daniel", "emma", "felix", "gina", "hugo", "ines", "jonas",
	"karin", "lukas", "marie", "noah", "oskar", "paula", "quinn",
	"rosa", "sven", "tina", "ulla", "vera", "wim", "xenia", "yusuf",
	"zoe", "info", "sales", "support", "billing", "noreply", "hr",
	"office", "admin", "team", "jobs", "news", "contact", "press",
	"orders", "service", "hello", "accounts", "legal"
};
static const char *last_names[] = {
	"smith", "jones", "miller", "davis", "garcia", "rodriguez", "wilson",
	"martinez", "anderson", "taylor", "thomas", "moore", "martin",
	"jackson", "thompson", "white", "lopez", "lee", "gonzalez", "harris",
	"clark", "lewis", "robinson", "walker", "perez", "hall", "young",
	"allen", "sanchez", "wright", "king", "scott", "mueller", "schmidt",
	"schneider", "fischer", "weber", "meyer", "wagner", "becker",
	"schulz", "hoffmann", "dubois", "durand", "leroy", "moreau", "rossi",
	"russo", "ferrari", "esposito", "bianchi", "romano", "colombo",
	"jansen", "devries", "bakker", "visser", "smit", "meijer", "nowak",
	"kowalski", "novak", "horvat", "silva"
};
static const char *syllables[] = {
	"ka", "lo", "mi", "ra", "ven", "tor", "bel", "dor", "fin", "gal",
	"han", "is", "jet", "kor", "lum", "mar", "nor", "ost", "pel", "qua",
	"ril", "sol", "tan", "ul", "vor", "wen", "xan", "yor", "zel", "ab",
	"ber", "cor", "dal", "ek", "fal", "gor", "hel", "in", "jor", "kel",
	"lin", "mon", "nex", "or", "pra", "quo", "ros", "sta", "tri", "un",
	"val", "wil", "xy", "yan", "zor", "net", "tek", "soft", "data",
	"web", "mail", "cloud", "hub", "box"
};
static const char *tlds[] = {
	"com", "com", "com", "com", "net", "org", "de", "de", "fr", "co.uk",
	"nl", "it", "es", "io", "ch", "at", "be", "se", "pl", "com.au",
	"ca", "eu", "info", "biz"
};
static const struct {
	const char	*name;
	enum provider	 p;
} big[] = {
	{ "gmail.com", P_GOOGLE }, { "outlook.com", P_MICROSOFT },
	{ "hotmail.com", P_MICROSOFT }, { "yahoo.com", P_YAHOO },
	{ "icloud.com", P_GENERIC }, { "gmx.de", P_GENERIC },
	{ "web.de", P_GENERIC }, { "live.com", P_MICROSOFT },
	{ "aol.com", P_YAHOO }, { "orange.fr", P_GENERIC },
	{ "t-online.de", P_GENERIC }, { "googlemail.com", P_GOOGLE },
	{ "free.fr", P_GENERIC }, { "comcast.net", P_GENERIC },
	{ "yahoo.co.uk", P_YAHOO }, { "msn.com", P_MICROSOFT },
	{ "protonmail.com", P_GENERIC }, { "libero.it", P_GENERIC },
	{ "mail.ru", P_GENERIC }, { "yandex.ru", P_GENERIC },
	{ "hotmail.co.uk", P_MICROSOFT }, { "wanadoo.fr", P_GENERIC },
	{ "gmx.net", P_GENERIC }, { "me.com", P_GENERIC },
	{ "btinternet.com", P_GENERIC }, { "sky.com", P_GENERIC },
	{ "ziggo.nl", P_GENERIC }, { "seznam.cz", P_GENERIC },
	{ "qq.com", P_GENERIC }, { "163.com", P_GENERIC }
};
#define NBIG	(sizeof(big) / sizeof(big[0]))

struct domain {
	char		 name[48];
	char		 mx[96];
	char		 ip[16];
	enum provider	 p;
};

/* A message waiting for its next delivery attempt. */
struct pending {
	double		 when;
	double		 arrival;
	uint64_t	 msgno;
	uint32_t	 sender;
	uint32_t	 size;
	uint8_t		 tries;
	uint8_t		 nrcpt;
	uint32_t	 dom[MAXRCPT];
	uint16_t	 user[MAXRCPT];
	char		 id[24];
};

struct gen {
	enum mta	 mta;
	uint64_t	 rng;
	int		 fd;
	char		*buf;
	size_t		 len;
	uint64_t	 bytes;
	uint64_t	 lines;
	uint64_t	 nclass[3];
	uint64_t	 counts[NMTA][NDIR][NKIND][NSTATUS][600];

	double		 now;		/* simulated time of the next line */
	double		 last;		/* last stamp written */
	time_t		 stampsec;
	char		 stamp[64];
	size_t		 stamplen;
	int		 live;

	uint64_t	 msgno;
	struct domain	*dom;
	double		*cdf;

	struct pending	*heap;
	size_t		 nheap;
	uint64_t	 dropped;
};

static void	usage(void) __attribute__((noreturn));

/* splitmix64: small, fast, and the same on every machine. */
static uint64_t
rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t
rnd_below(struct gen *g, uint32_t n)
{
	return (uint32_t)(((rnd(g) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [0, 1). */
static double
rnd_unit(struct gen *g)
{
	return (double)(rnd(g) >> 11) * (1.0 / 9007199254740992.0);
}

/* Exponential with the given mean: gaps between arrivals. */
static double
rnd_exp(struct gen *g, double mean)
{
	return -mean * log(1.0 - rnd_unit(g));
}

/* Write the buffer out; short writes and EINTR are retried. */
static void
flush(struct gen *g)
{
	size_t off = 0;
	ssize_t n;

	while (off < g->len) {
		n = write(g->fd, g->buf + off, g->len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "write");
		}
		off += (size_t)n;
	}
	g->len = 0;
}

/* The time stamp of the current line, cached per second. */
static void
stamp(struct gen *g)
{
	struct tm tm;
	time_t sec;

	if (g->live)
		sec = time(NULL);
	else {
		if (g->now < g->last)
			g->now = g->last;	/* logs are written in order */
		g->last = g->now;
		sec = (time_t)g->now;
	}
	if (sec == g->stampsec && g->stamplen > 0)
		return;
	g->stampsec = sec;
	if (g->live)
		localtime_r(&sec, &tm);
	else
		gmtime_r(&sec, &tm);
	if (g->mta == MTA_POSTFIX)
		g->stamplen = strftime(g->stamp, sizeof(g->stamp),
		    "%b %e %H:%M:%S " HOSTNAME " ", &tm);
	else
		g->stamplen = strftime(g->stamp, sizeof(g->stamp),
		    "%Y-%m-%d %H:%M:%S ", &tm);
}

/* Append one line: stamp, then the formatted rest. */
static void __attribute__((format(printf, 3, 4)))
emit(struct gen *g, enum lineclass c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (g->len + g->stamplen + LINE_MAX_GEN + 2 > OUTBUF)
		flush(g);
	stamp(g);
	memcpy(g->buf + g->len, g->stamp, g->stamplen);
	g->len += g->stamplen;
	va_start(ap, fmt);
	n = vsnprintf(g->buf + g->len, LINE_MAX_GEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= LINE_MAX_GEN)
		errx(1, "line too long");
	g->len += (size_t)n;
	g->buf[g->len++] = '\n';
	g->bytes += g->stamplen + (size_t)n + 1;
	g->lines++;
	g->nclass[c]++;
}

/* Record one event in the expected counts. */
static void
count(struct gen *g, enum dir d, enum kind k, enum status s, int reply)
{
	g->counts[g->mta][d][k][s][reply]++;
}

/* Copy a template, putting the address where "@@" stands. */
static void
subst(char *dst, size_t dstsz, const char *tmpl, const char *addr)
{
	size_t o = 0, al = strlen(addr);

	for (; *tmpl != '\0' && o + 1 < dstsz; tmpl++) {
		if (tmpl[0] == '@' && tmpl[1] == '@') {
			if (o + al + 1 >= dstsz)
				break;
			memcpy(dst + o, addr, al);
			o += al;
			tmpl++;
		} else
			dst[o++] = *tmpl;
	}
	dst[o] = '\0';
}

/* Postfix prints delays with two significant digits, small ones as 0. */
static const char *
fmt_delay(char *buf, size_t sz, double v)
{
	char *e;

	if (v < 0.005)
		snprintf(buf, sz, "0");
	else if (v < 1) {
		snprintf(buf, sz, "%.2f", v);
		for (e = buf + strlen(buf) - 1; *e == '0'; e--)
			*e = '\0';
	} else if (v < 10)
		snprintf(buf, sz, "%.2g", v);
	else
		snprintf(buf, sz, "%.0f", v);
	return buf;
}

/* Base-62 digits as in Exim message ids. */
static void
b62(char *out, uint64_t v, int n)
{
	static const char a[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";

	while (n-- > 0) {
		out[n] = a[v % 62];
		v /= 62;
	}
}

/* Queue or message id of message number n, unique in the file. */
static void
msg_id(struct gen *g, uint64_t n, char *id)
{
	uint64_t h;

	if (g->mta == MTA_POSTFIX) {
		/* odd multiplier: a bijection on 40 bits, looks random */
		h = (n * 0x9E3779B97FULL + 0x4F1A2B3C4DULL) &
		    0xFFFFFFFFFFULL;
		snprintf(id, 24, "%010" PRIX64, h);
	} else {
		b62(id, (uint64_t)g->now, 6);
		id[6] = '-';
		b62(id + 7, n, 6);
		id[13] = '-';
		b62(id + 14, rnd(g), 2);
		id[16] = '\0';
	}
}

/* Build the ~20,000 domain names, their MX hosts and addresses. */
static void
domains_init(struct gen *g)
{
	struct domain *d;
	uint32_t i, k, h, a;
	const size_t nsyl = sizeof(syllables) / sizeof(syllables[0]);
	const size_t ntld = sizeof(tlds) / sizeof(tlds[0]);
	double sum = 0;

	if ((g->dom = calloc(NDOMAIN, sizeof(*g->dom))) == NULL ||
	    (g->cdf = calloc(NDOMAIN, sizeof(*g->cdf))) == NULL)
		err(1, "calloc");
	for (i = 0; i < NDOMAIN; i++) {
		d = &g->dom[i];
		if (i < NBIG) {
			snprintf(d->name, sizeof(d->name), "%s", big[i].name);
			d->p = big[i].p;
		} else {
			/* distinct by construction: k is a bijection of i */
			k = (uint32_t)((i * 40503ULL) % (nsyl * nsyl * nsyl));
			snprintf(d->name, sizeof(d->name), "%s%s%s.%s",
			    syllables[k % nsyl], syllables[(k / nsyl) % nsyl],
			    syllables[k / nsyl / nsyl],
			    tlds[(i * 7919u) % ntld]);
			a = rnd_below(g, 100);
			d->p = a < 25 ? P_GOOGLE : a < 45 ? P_MICROSOFT :
			    P_GENERIC;
		}
		h = (uint32_t)(rnd(g) >> 32);
		snprintf(d->ip, sizeof(d->ip), "%u.%u.%u.%u",
		    20 + (h >> 24) % 200, (h >> 16) & 0xff, (h >> 8) & 0xff,
		    1 + (h & 0xff) % 254);
		switch (d->p) {
		case P_GOOGLE:
			snprintf(d->mx, sizeof(d->mx), "%s",
			    i < NBIG ? "gmail-smtp-in.l.google.com" :
			    "aspmx.l.google.com");
			break;
		case P_MICROSOFT: {
			char *c;

			snprintf(d->mx, sizeof(d->mx), "%s", d->name);
			for (c = d->mx; *c != '\0'; c++)
				if (*c == '.')
					*c = '-';
			strncat(d->mx, i < NBIG ?
			    ".olc.protection.outlook.com" :
			    ".mail.protection.outlook.com",
			    sizeof(d->mx) - strlen(d->mx) - 1);
			break;
		}
		case P_YAHOO:
			snprintf(d->mx, sizeof(d->mx), "mta%u.am0.yahoodns.net",
			    5 + rnd_below(g, 3));
			break;
		default:
			snprintf(d->mx, sizeof(d->mx), "%s.%s",
			    rnd_below(g, 2) ? "mx1" : "mail", d->name);
			break;
		}
		sum += 1.0 / pow((double)(i + 1), ZIPF_S);
		g->cdf[i] = sum;
	}
	for (i = 0; i < NDOMAIN; i++)
		g->cdf[i] /= sum;
}

/* A recipient domain, Zipf-distributed over the table. */
static uint32_t
pick_domain(struct gen *g)
{
	double u = rnd_unit(g);
	uint32_t lo = 0, hi = NDOMAIN - 1, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (g->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Local part of recipient user u (0..4095). */
static void
local_part(char *buf, size_t sz, unsigned u)
{
	const size_t nf = sizeof(first_names) / sizeof(first_names[0]);
	const size_t nl = sizeof(last_names) / sizeof(last_names[0]);

	switch (u % 3) {
	case 0:
		snprintf(buf, sz, "%s.%s", first_names[u % nf],
		    last_names[(u / nf) % nl]);
		break;
	case 1:
		snprintf(buf, sz, "%s", first_names[(u / 3) % nf]);
		break;
	default:
		snprintf(buf, sz, "%c%s%u", first_names[u % nf][0],
		    last_names[(u / 7) % nl], u % 100);
		break;
	}
}

/* Sender number s as a local user of our domain. */
static void
sender_addr(char *buf, size_t sz, uint32_t s)
{
	const size_t nf = sizeof(first_names) / sizeof(first_names[0]);
	const size_t nl = sizeof(last_names) / sizeof(last_names[0]);

	snprintf(buf, sz, "%s.%s@" OURDOMAIN, first_names[s % nf],
	    last_names[(s / nf) % nl]);
}

/* The 250 reply of a provider, as it writes it. */
static void
sent_text(struct gen *g, const struct domain *d, const char *id, char *buf,
    size_t sz)
{
	switch (d->p) {
	case P_GOOGLE:
		snprintf(buf, sz, "250 2.0.0 OK  %lld %c%c%u%c%csi%u%c%c.%u "
		    "- gsmtp", (long long)g->now, 'a' + rnd_below(g, 26),
		    'a' + rnd_below(g, 26), rnd_below(g, 100000),
		    'a' + rnd_below(g, 26), 'a' + rnd_below(g, 26),
		    rnd_below(g, 10000000), 'a' + rnd_below(g, 26),
		    'a' + rnd_below(g, 26), rnd_below(g, 1000));
		break;
	case P_MICROSOFT:
		snprintf(buf, sz, "250 2.6.0 <%s@" HOSTNAME "." OURDOMAIN "> "
		    "[InternalId=%llu, Hostname=AM%uPR0%uMB%u.eurprd0%u.prod."
		    "outlook.com] %u bytes in 0.%03u, %u.%03u KB/sec Queued mail "
		    "for delivery", id,
		    (unsigned long long)(rnd(g) % 100000000000000ULL),
		    rnd_below(g, 10), rnd_below(g, 10), 1000 + rnd_below(g, 9000),
		    1 + rnd_below(g, 8), 1000 + rnd_below(g, 60000),
		    rnd_below(g, 1000), rnd_below(g, 500), rnd_below(g, 1000));
		break;
	case P_YAHOO:
		snprintf(buf, sz, "250 ok dirdel");
		break;
	default:
		snprintf(buf, sz, "250 2.0.0 Ok: queued as %X%05X",
		    rnd_below(g, 0x100000), rnd_below(g, 0x100000));
		break;
	}
}

/* Pick an attempt outcome by weight. */
static const struct outcome *
pick_outcome(struct gen *g)
{
	uint32_t r = rnd_below(g, 100000);
	size_t i;

	for (i = 0; i < NOUTCOME - 1; i++) {
		if (r < outcomes[i].weight)
			return &outcomes[i];
		r -= outcomes[i].weight;
	}
	return &outcomes[NOUTCOME - 1];
}

/* Min-heap on time: messages waiting for a retry. */
static void
heap_push(struct gen *g, const struct pending *p)
{
	size_t i, up;
	struct pending t;

	if (g->nheap == MAXPENDING) {
		g->dropped++;
		return;
	}
	i = g->nheap++;
	g->heap[i] = *p;
	while (i > 0) {
		up = (i - 1) / 2;
		if (g->heap[up].when <= g->heap[i].when)
			break;
		t = g->heap[up];
		g->heap[up] = g->heap[i];
		g->heap[i] = t;
		i = up;
	}
}

/* Remove the earliest pending message into *p. */
static void
heap_pop(struct gen *g, struct pending *p)
{
	size_t i = 0, l, r, m;
	struct pending t;

	*p = g->heap[0];
	g->heap[0] = g->heap[--g->nheap];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < g->nheap && g->heap[l].when < g->heap[m].when)
			m = l;
		if (r < g->nheap && g->heap[r].when < g->heap[m].when)
			m = r;
		if (m == i)
			break;
		t = g->heap[m];
		g->heap[m] = g->heap[i];
		g->heap[i] = t;
		i = m;
	}
}

/* Random pid-like number for a process name. */
static unsigned
pid(struct gen *g)
{
	return 1000 + rnd_below(g, 60000);
}

/* The non-delivery notice to our sender, delivered to a local mailbox. */
static void
ndr(struct gen *g, const struct pending *m)
{
	char id[24], from[96];
	uint64_t n = ++g->msgno;

	msg_id(g, n, id);
	sender_addr(from, sizeof(from), m->sender);
	g->now += 0.01;
	if (g->mta == MTA_POSTFIX) {
		emit(g, L_IGNORED, "postfix/bounce[%u]: %s: sender non-delivery "
		    "notification: %s", pid(g), m->id, id);
		emit(g, L_IGNORED, "postfix/cleanup[%u]: %s: message-id=<%lld."
		    "%s@" HOSTNAME "." OURDOMAIN ">", pid(g), id,
		    (long long)g->now, id);
		emit(g, L_IGNORED, "postfix/qmgr[%u]: %s: from=<>, size=%u, "
		    "nrcpt=1 (queue active)", 2200, id,
		    3000 + rnd_below(g, 4000));
		g->now += 0.01;
		emit(g, L_EVENT, "postfix/local[%u]: %s: to=<%s>, relay=local, "
		    "delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent "
		    "(delivered to mailbox)", pid(g), id, from);
		count(g, DIR_OUT, K_ATTEMPT, S_SENT, 0);
		emit(g, L_IGNORED, "postfix/qmgr[%u]: %s: removed", 2200, id);
	} else {
		char user[64];
		const char *at = strchr(from, '@');

		snprintf(user, sizeof(user), "%.*s", (int)(at - from), from);
		emit(g, L_IGNORED, "%s <= <> R=%s U=Debian-exim P=local S=%u",
		    id, m->id, 3000 + rnd_below(g, 4000));
		emit(g, L_EVENT, "%s => %s <%s> R=local_user T=mail_spool",
		    id, user, from);
		count(g, DIR_OUT, K_ATTEMPT, S_SENT, 0);
		emit(g, L_IGNORED, "%s Completed", id);
	}
}

/* One Postfix delivery line for recipient i of m; returns 1 if deferred. */
static int
pf_deliver(struct gen *g, const struct pending *m, int i, unsigned spid,
    int *bounced)
{
	const struct domain *d = &g->dom[m->dom[i]];
	const struct outcome *o;
	char lp[64], addr[128], text[1024], said[900];
	char d1[16], d2[16], d3[16], d4[16], d5[16];
	double total, conn, xfer;
	const char *dsn = "4.4.1";

	local_part(lp, sizeof(lp), m->user[i]);
	snprintf(addr, sizeof(addr), "%s@%s", lp, d->name);
	g->now += 0.05 + rnd_exp(g, 0.3);
	total = g->now - m->arrival;	/* time in the queue so far */

	if (rnd_below(g, 100000) < SKIP_WEIGHT && m->tries < MAXTRIES) {
		/* destination marked dead by an earlier failure */
		if (rnd_below(g, 2))
			snprintf(text, sizeof(text), "delivery temporarily "
			    "suspended: connect to %s[%s]:25: Connection timed "
			    "out", d->mx, d->ip);
		else {
			snprintf(text, sizeof(text), "delivery temporarily "
			    "suspended: host %s[%s] said: 421 4.7.0 Try again "
			    "later (in reply to end of DATA command)", d->mx,
			    d->ip);
			dsn = "4.7.0";
		}
		emit(g, L_EVENT, "postfix/smtp[%u]: %s: to=<%s>, relay=none, "
		    "delay=%s, delays=%s/0/0/0, dsn=%s, status=deferred (%s)",
		    spid, m->id, addr, fmt_delay(d1, sizeof(d1), total),
		    fmt_delay(d2, sizeof(d2), total), dsn, text);
		count(g, DIR_OUT, K_SKIP, S_DEFERRED, 0);
		return 1;
	}

	o = pick_outcome(g);
	conn = 0.05 + rnd_exp(g, 0.3);
	xfer = 0.05 + rnd_exp(g, 0.2);
	fmt_delay(d1, sizeof(d1), total + conn + xfer);
	fmt_delay(d2, sizeof(d2), total);
	fmt_delay(d3, sizeof(d3), rnd_unit(g) * 0.05);
	fmt_delay(d4, sizeof(d4), conn);
	fmt_delay(d5, sizeof(d5), xfer);
	switch (o->noreply) {
	case NR_REFUSED:
	case NR_CONNTIMEOUT:
		if (o->noreply == NR_CONNTIMEOUT)
			fmt_delay(d4, sizeof(d4), 30.0);
		emit(g, L_EVENT, "postfix/smtp[%u]: %s: to=<%s>, relay=none, "
		    "delay=%s, delays=%s/%s/%s/0, dsn=%s, status=deferred "
		    "(connect to %s[%s]:25: %s)", spid, m->id, addr, d1, d2,
		    d3, d4, o->dsn, d->mx, d->ip, o->noreply == NR_REFUSED ?
		    "Connection refused" : "Connection timed out");
		break;
	case NR_LOST:
	case NR_CONVTIMEOUT:
		emit(g, L_EVENT, "postfix/smtp[%u]: %s: to=<%s>, relay=%s[%s]:25,"
		    " delay=%s, delays=%s/%s/%s/%s, dsn=%s, status=deferred "
		    "(%s with %s[%s] %s)", spid, m->id, addr, d->mx, d->ip, d1,
		    d2, d3, d4, d5, o->dsn, o->noreply == NR_LOST ?
		    "lost connection" : "conversation", d->mx, d->ip,
		    o->noreply == NR_LOST ? "while receiving the initial server "
		    "greeting" : "timed out while sending end of data -- "
		    "message may be sent more than once");
		break;
	default:
		if (o->status == S_SENT) {
			if (rnd_below(g, 10) < 7)
				emit(g, L_IGNORED, "postfix/smtp[%u]: Trusted TLS "
				    "connection established to %s[%s]:25: "
				    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
				    "(256/256 bits) key-exchange X25519 "
				    "server-signature RSA-PSS (2048 bits) "
				    "server-digest SHA256", spid, d->mx, d->ip);
			sent_text(g, d, m->id, text, sizeof(text));
			emit(g, L_EVENT, "postfix/smtp[%u]: %s: to=<%s>, "
			    "relay=%s[%s]:25, delay=%s, delays=%s/%s/%s/%s, "
			    "dsn=2.0.0, status=sent (%s)", spid, m->id, addr,
			    d->mx, d->ip, d1, d2, d3, d4, d5, text);
		} else {
			subst(said, sizeof(said), o->pf_said, addr);
			emit(g, L_EVENT, "postfix/smtp[%u]: %s: to=<%s>, "
			    "relay=%s[%s]:25, delay=%s, delays=%s/%s/%s/%s, "
			    "dsn=%s, status=%s (host %s[%s] said: %s (in reply "
			    "to %s command))", spid, m->id, addr, d->mx, d->ip,
			    d1, d2, d3, d4, d5, o->dsn, status_name[o->status],
			    d->mx, d->ip, said, o->stage);
		}
		break;
	}
	count(g, DIR_OUT, K_ATTEMPT, o->status, o->reply);
	if (o->status == S_BOUNCED)
		*bounced = 1;
	return o->status == S_DEFERRED;
}

/* One Exim delivery line (and host line) for recipient i of m. */
static int
ex_deliver(struct gen *g, const struct pending *m, int i, int *bounced,
    int *prevsent)
{
	const struct domain *d = &g->dom[m->dom[i]];
	const struct outcome *o;
	char lp[64], addr[128], text[1024], said[900];
	int same;

	local_part(lp, sizeof(lp), m->user[i]);
	snprintf(addr, sizeof(addr), "%s@%s", lp, d->name);
	same = *prevsent && i > 0 && m->dom[i - 1] == m->dom[i];
	*prevsent = 0;
	g->now += 0.05 + rnd_exp(g, 0.3);

	if (rnd_below(g, 100000) < SKIP_WEIGHT && m->tries < MAXTRIES) {
		emit(g, L_EVENT, "%s == %s R=dnslookup T=remote_smtp defer "
		    "(-53): retry time not reached for any host for '%s'",
		    m->id, addr, d->name);
		count(g, DIR_OUT, K_SKIP, S_DEFERRED, 0);
		return 1;
	}
	o = pick_outcome(g);
	switch (o->noreply) {
	case NR_REFUSED:
	case NR_CONNTIMEOUT:
	case NR_LOST:
	case NR_CONVTIMEOUT: {
		const char *why;
		int code;

		switch (o->noreply) {
		case NR_REFUSED:
			why = "Connection refused";
			code = 111;
			break;
		case NR_CONNTIMEOUT:
			why = "Connection timed out";
			code = 110;
			break;
		case NR_LOST:
			why = "Remote host closed connection in response to "
			    "initial connection";
			code = -18;
			break;
		default:
			why = "SMTP timeout after end of data (12345 bytes "
			    "written)";
			code = 110;
			break;
		}
		if (o->noreply == NR_REFUSED || o->noreply == NR_CONNTIMEOUT) {
			emit(g, L_IGNORED, "%s H=%s [%s] %s", m->id, d->mx,
			    d->ip, why);
			emit(g, L_EVENT, "%s == %s R=dnslookup T=remote_smtp "
			    "defer (%d): %s", m->id, addr, code, why);
		} else
			emit(g, L_EVENT, "%s == %s R=dnslookup T=remote_smtp "
			    "defer (%d): %s H=%s [%s]", m->id, addr, code, why,
			    d->mx, d->ip);
		break;
	}
	default:
		if (o->status == S_SENT) {
			sent_text(g, d, m->id, text, sizeof(text));
			emit(g, L_EVENT, "%s %s %s R=dnslookup T=remote_smtp "
			    "H=%s [%s] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 "
			    "CV=yes C=\"%s\"", m->id, same ? "->" : "=>", addr,
			    d->mx, d->ip, text);
			*prevsent = 1;
			break;
		}
		subst(said, sizeof(said), o->ex_said, addr);
		if (strcmp(o->stage, "RCPT TO") == 0) {
			snprintf(text, sizeof(text), "RCPT TO:<%s>", addr);
			emit(g, L_EVENT, "%s %s %s R=dnslookup T=remote_smtp%s "
			    "H=%s [%s]: SMTP error from remote mail server "
			    "after %s: %s", m->id, o->status == S_DEFERRED ?
			    "==" : "**", addr, o->status == S_DEFERRED ?
			    " defer (-44)" : "", d->mx, d->ip, text, said);
		} else {
			const char *stage = strcmp(o->stage, "end of DATA") ==
			    0 ? "end of data" : o->stage;

			/* message-level error: a host line, then the rcpt */
			emit(g, L_IGNORED, "%s H=%s [%s]: SMTP error from "
			    "remote mail server after %s: %s", m->id, d->mx,
			    d->ip, stage, said);
			emit(g, L_EVENT, "%s %s %s R=dnslookup T=remote_smtp%s "
			    "H=%s [%s]: SMTP error from remote mail server "
			    "after %s: %s", m->id, o->status == S_DEFERRED ?
			    "==" : "**", addr, o->status == S_DEFERRED ?
			    (strcmp(stage, "initial connection") == 0 ?
			    " defer (0)" : " defer (-46)") : "", d->mx, d->ip,
			    stage, said);
		}
		break;
	}
	count(g, DIR_OUT, K_ATTEMPT, o->status, o->reply);
	if (o->status == S_BOUNCED)
		*bounced = 1;
	return o->status == S_DEFERRED;
}

/*
 * One delivery round of message m: every recipient still waiting is
 * tried; the deferred ones wait for the next round, or expire.
 */
static void
deliver(struct gen *g, struct pending *m)
{
	struct pending next = *m;
	unsigned spid = pid(g);
	int i, bounced = 0, prevsent = 0;
	char from[96];

	next.nrcpt = 0;
	for (i = 0; i < m->nrcpt; i++) {
		int deferred = g->mta == MTA_POSTFIX ?
		    pf_deliver(g, m, i, spid, &bounced) :
		    ex_deliver(g, m, i, &bounced, &prevsent);

		if (deferred) {
			next.dom[next.nrcpt] = m->dom[i];
			next.user[next.nrcpt] = m->user[i];
			next.nrcpt++;
		}
	}
	if (bounced)
		ndr(g, m);
	if (next.nrcpt > 0 && m->tries + 1 < MAXTRIES) {
		/* Postfix-like back-off: 5 min, 10, 20, 40 ... */
		next.tries = (uint8_t)(m->tries + 1);
		next.when = g->now + 300.0 * (double)(1u << m->tries) *
		    (0.9 + 0.2 * rnd_unit(g));
		heap_push(g, &next);
		return;
	}
	if (next.nrcpt > 0) {
		/* deferred too often: give up, tell the sender */
		g->now += 0.01;
		if (g->mta == MTA_POSTFIX) {
			sender_addr(from, sizeof(from), m->sender);
			emit(g, L_EVENT, "postfix/qmgr[%u]: %s: from=<%s>, "
			    "status=expired, returned to sender", 2200, m->id,
			    from);
			count(g, DIR_OUT, K_FINAL, S_EXPIRED, 0);
		} else {
			for (i = 0; i < next.nrcpt; i++) {
				char lp[64];

				local_part(lp, sizeof(lp), next.user[i]);
				emit(g, L_EVENT, "%s ** %s@%s: retry timeout "
				    "exceeded", m->id, lp,
				    g->dom[next.dom[i]].name);
				count(g, DIR_OUT, K_FINAL, S_EXPIRED, 0);
			}
		}
		ndr(g, &next);
	}
	if (g->mta == MTA_POSTFIX)
		emit(g, L_IGNORED, "postfix/qmgr[%u]: %s: removed", 2200,
		    m->id);
	else
		emit(g, L_IGNORED, "%s Completed", m->id);
}

/* A retry round: qmgr picks the message up again. */
static void
retry(struct gen *g, struct pending *m)
{
	char from[96];

	g->now = m->when;
	if (g->mta == MTA_POSTFIX) {
		sender_addr(from, sizeof(from), m->sender);
		emit(g, L_IGNORED, "postfix/qmgr[%u]: %s: from=<%s>, size=%u, "
		    "nrcpt=%u (queue active)", 2200, m->id, from, m->size,
		    m->nrcpt);
	}
	deliver(g, m);
}

/* A connection our smtpd rejects: direction in (Postfix only). */
static void
reject(struct gen *g)
{
	char ip[16], lp[64], to[128], from[128];
	uint32_t d, u = rnd_below(g, 4096), r = rnd_below(g, 100);
	unsigned p = pid(g);

	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", 1 + rnd_below(g, 223),
	    rnd_below(g, 256), rnd_below(g, 256), 1 + rnd_below(g, 254));
	local_part(lp, sizeof(lp), rnd_below(g, 4096));
	snprintf(from, sizeof(from), "%s@%s", lp,
	    g->dom[pick_domain(g)].name);
	emit(g, L_IGNORED, "postfix/smtpd[%u]: connect from unknown[%s]", p,
	    ip);
	g->now += 0.3;
	if (r < 60) {
		d = pick_domain(g);
		local_part(lp, sizeof(lp), u);
		snprintf(to, sizeof(to), "%s@%s", lp, g->dom[d].name);
		emit(g, L_EVENT, "postfix/smtpd[%u]: NOQUEUE: reject: RCPT from "
		    "unknown[%s]: 554 5.7.1 <%s>: Relay access denied; "
		    "from=<%s> to=<%s> proto=ESMTP helo=<[%s]>", p, ip, to,
		    from, to, ip);
		count(g, DIR_IN, K_ATTEMPT, S_REJECTED, 554);
	} else if (r < 85) {
		local_part(lp, sizeof(lp), u);
		snprintf(to, sizeof(to), "%s%u@" OURDOMAIN, lp, u % 97);
		emit(g, L_EVENT, "postfix/smtpd[%u]: NOQUEUE: reject: RCPT from "
		    "unknown[%s]: 550 5.1.1 <%s>: Recipient address rejected: "
		    "User unknown in local recipient table; from=<%s> to=<%s> "
		    "proto=ESMTP helo=<%s>", p, ip, to, from, to,
		    g->dom[pick_domain(g)].name);
		count(g, DIR_IN, K_ATTEMPT, S_REJECTED, 550);
	} else {
		local_part(lp, sizeof(lp), u);
		snprintf(to, sizeof(to), "%s@" OURDOMAIN, lp);
		emit(g, L_EVENT, "postfix/smtpd[%u]: NOQUEUE: reject: RCPT from "
		    "unknown[%s]: 450 4.1.8 <%s>: Sender address rejected: "
		    "Domain not found; from=<%s> to=<%s> proto=ESMTP helo=<%s>",
		    p, ip, from, from, to, g->dom[pick_domain(g)].name);
		count(g, DIR_IN, K_ATTEMPT, S_REJECTED, 450);
	}
	g->now += 0.1;
	emit(g, L_IGNORED, "postfix/smtpd[%u]: disconnect from unknown[%s] "
	    "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4", p, ip);
}

/* A new message from one of our users: receive it, then deliver. */
static void
message(struct gen *g)
{
	struct pending m;
	char from[96], cip[16], chost[64];
	uint32_t r, i;
	unsigned p = pid(g);

	memset(&m, 0, sizeof(m));
	m.arrival = g->now;
	m.msgno = ++g->msgno;
	m.sender = rnd_below(g, 2000);
	m.size = 1500 + (uint32_t)rnd_exp(g, 40000);
	r = rnd_below(g, 100);
	m.nrcpt = r < 75 ? 1 : r < 95 ? (uint8_t)(2 + rnd_below(g, 4)) :
	    (uint8_t)(6 + rnd_below(g, MAXRCPT - 5));
	for (i = 0; i < m.nrcpt; i++) {
		/* a third of the extra recipients share the domain */
		if (i > 0 && rnd_below(g, 3) == 0)
			m.dom[i] = m.dom[i - 1];
		else
			m.dom[i] = pick_domain(g);
		m.user[i] = (uint16_t)rnd_below(g, 4096);
	}
	msg_id(g, m.msgno, m.id);
	sender_addr(from, sizeof(from), m.sender);
	snprintf(cip, sizeof(cip), "10.%u.%u.%u", m.sender % 4,
	    (m.sender / 4) % 256, 10 + m.sender % 200);
	snprintf(chost, sizeof(chost), "ws-%04u.corp." OURDOMAIN, m.sender);

	if (g->mta == MTA_POSTFIX) {
		emit(g, L_IGNORED, "postfix/smtpd[%u]: connect from %s[%s]", p,
		    chost, cip);
		emit(g, L_IGNORED, "postfix/smtpd[%u]: Anonymous TLS connection "
		    "established from %s[%s]: TLSv1.3 with cipher "
		    "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
		    "server-signature RSA-PSS (2048 bits) server-digest SHA256",
		    p, chost, cip);
		g->now += 0.05;
		emit(g, L_IGNORED, "postfix/smtpd[%u]: %s: client=%s[%s], "
		    "sasl_method=PLAIN, sasl_username=%.*s", p, m.id, chost, cip,
		    (int)(strchr(from, '@') - from), from);
		emit(g, L_IGNORED, "postfix/cleanup[%u]: %s: message-id=<%lld."
		    "%s@%s>", pid(g), m.id, (long long)g->now, m.id, chost);
		emit(g, L_FOREIGN, "opendkim[%u]: %s: DKIM-Signature field added "
		    "(s=mail, d=" OURDOMAIN ")", 880, m.id);
		g->now += 0.05;
		emit(g, L_IGNORED, "postfix/qmgr[%u]: %s: from=<%s>, size=%u, "
		    "nrcpt=%u (queue active)", 2200, m.id, from, m.size,
		    m.nrcpt);
		emit(g, L_IGNORED, "postfix/smtpd[%u]: disconnect from %s[%s] "
		    "ehlo=2 starttls=1 auth=1 mail=1 rcpt=%u data=1 quit=1 "
		    "commands=%u", p, chost, cip, m.nrcpt, 7 + m.nrcpt);
	} else {
		emit(g, L_IGNORED, "%s <= %s H=%s (%s) [%s] P=esmtpsa "
		    "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no "
		    "A=dovecot_plain:%.*s S=%u id=%lld.%s@%s", m.id, from, chost,
		    chost, cip, (int)(strchr(from, '@') - from), from, m.size,
		    (long long)g->now, m.id, chost);
	}
	deliver(g, &m);
}

/* Write the expected counts in the format bench/README.md describes. */
static void
write_expected(struct gen *g, const char *path, uint64_t seed)
{
	FILE *f;
	int m, d, k, s, r;
	uint64_t n, tot, events = 0;

	if ((f = fopen(path, "w")) == NULL)
		err(1, "%s", path);
	fprintf(f, "# smtptally bench expected counts, written by bench/gen\n");
	fprintf(f, "format %s\n", mta_name[g->mta]);
	fprintf(f, "seed %" PRIu64 "\n", seed);
	fprintf(f, "bytes %" PRIu64 "\n", g->bytes);
	fprintf(f, "lines %" PRIu64 "\n", g->lines);
	for (m = 0; m < NMTA; m++)
		for (d = 0; d < NDIR; d++)
			for (k = 0; k < NKIND; k++)
				for (s = 0; s < NSTATUS; s++)
					for (r = 0; r < 600; r++)
						events += g->counts[m][d][k][s][r];
	fprintf(f, "events %" PRIu64 "\n", events);
	fprintf(f, "ignored %" PRIu64 "\n", g->nclass[L_IGNORED]);
	fprintf(f, "foreign %" PRIu64 "\n", g->nclass[L_FOREIGN]);
	for (m = 0; m < NMTA; m++)
		for (d = 0; d < NDIR; d++)
			for (k = 0; k < NKIND; k++)
				for (s = 0; s < NSTATUS; s++) {
					tot = 0;
					for (r = 0; r < 600; r++)
						tot += g->counts[m][d][k][s][r];
					if (tot > 0)
						fprintf(f, "event %s %s %s %s %"
						    PRIu64 "\n", mta_name[m],
						    dir_name[d], kind_name[k],
						    status_name[s], tot);
				}
	for (m = 0; m < NMTA; m++)
		for (d = 0; d < NDIR; d++)
			for (k = 0; k < NKIND; k++)
				for (s = 0; s < NSTATUS; s++)
					for (r = 0; r < 600; r++) {
						n = g->counts[m][d][k][s][r];
						if (n > 0)
							fprintf(f, "reply %s %s %s %s "
							    "%d %" PRIu64 "\n",
							    mta_name[m], dir_name[d],
							    kind_name[k],
							    status_name[s], r, n);
					}
	if (fclose(f) == EOF)
		err(1, "%s", path);
}

/* Parse 123, 10K, 100M, 1G (powers of 1024). */
static uint64_t
parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		errx(1, "bad size: %s", s);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		errx(1, "bad size: %s", s);
	return v;
}

/* Say how to call us and exit 2. */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: gen -f postfix|exim -s BYTES -o FILE -e EXPECTED [--seed N]\n"
	    "           [--rate MSGS_PER_MIN] [--start EPOCH]\n"
	    "       gen -f postfix|exim --live LINES_PER_SEC --duration SECS\n"
	    "           -o FILE [-e EXPECTED] [--probe-every SECS "
	    "--probe-log FILE]\n");
	exit(2);
}

/* Monotonic seconds, for pacing the live mode. */
static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Live mode: append lines at a steady rate, wall-clock stamps, and now and
 * then a probe line whose write time is recorded, to measure how long the
 * daemon takes to make a line visible.
 */
static void
live(struct gen *g, double rate, double duration, double probe_every,
    const char *probe_log)
{
	FILE *pl = NULL;
	double t0 = mono(), t, next_probe = probe_every;
	struct timespec ts, nap = { 0, 2000000 };
	struct pending m;
	unsigned nprobe = 0;

	if (probe_log != NULL && (pl = fopen(probe_log, "w")) == NULL)
		err(1, "%s", probe_log);
	while ((t = mono() - t0) < duration) {
		g->now = (double)time(NULL);
		while (g->nheap > 0 && g->heap[0].when <= g->now) {
			heap_pop(g, &m);
			retry(g, &m);
		}
		while ((double)g->lines < rate * t) {
			if (g->mta == MTA_POSTFIX &&
			    rnd_below(g, 100000) < REJECT_WEIGHT)
				reject(g);
			else
				message(g);
		}
		if (pl != NULL && t >= next_probe) {
			/* alone in its write, so its time is exact */
			flush(g);
			nprobe++;
			if (g->mta == MTA_POSTFIX) {
				emit(g, L_EVENT, "postfix/smtp[%u]: PROBE%05u: "
				    "to=<probe@probe-%u.bench.invalid>, "
				    "relay=mx.bench.invalid[192.0.2.1]:25, "
				    "delay=0.1, delays=0/0/0.05/0.05, dsn=2.0.0, "
				    "status=sent (250 2.0.0 Ok: probe %u)", 4242,
				    nprobe, nprobe, nprobe);
			} else {
				emit(g, L_EVENT, "1probe-%06u-PR => probe@probe-"
				    "%u.bench.invalid R=dnslookup T=remote_smtp "
				    "H=mx.bench.invalid [192.0.2.1] C=\"250 2.0.0 "
				    "Ok: probe %u\"", nprobe, nprobe, nprobe);
			}
			count(g, DIR_OUT, K_ATTEMPT, S_SENT, 250);
			flush(g);
			clock_gettime(CLOCK_REALTIME, &ts);
			fprintf(pl, "%u %lld.%09ld\n", nprobe,
			    (long long)ts.tv_sec, ts.tv_nsec);
			fflush(pl);
			next_probe += probe_every;
		}
		flush(g);
		nanosleep(&nap, NULL);
	}
	flush(g);
	if (pl != NULL)
		fclose(pl);
}

/* Options, then either a file of a given size or a live append. */
int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "expected", required_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, 'S' },
		{ "rate", required_argument, NULL, 'r' },
		{ "start", required_argument, NULL, 't' },
		{ "live", required_argument, NULL, 'L' },
		{ "duration", required_argument, NULL, 'D' },
		{ "probe-every", required_argument, NULL, 'P' },
		{ "probe-log", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct gen *g;
	struct pending m;
	const char *out = NULL, *expected = NULL, *probe_log = NULL;
	uint64_t size = 0, seed = 1;
	double rate = 100, live_rate = 0, duration = 60, probe_every = 5;
	double start = START_DEFAULT;
	int ch, fmt = -1;

	while ((ch = getopt_long(argc, argv, "f:s:o:e:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "postfix") == 0)
				fmt = MTA_POSTFIX;
			else if (strcmp(optarg, "exim") == 0)
				fmt = MTA_EXIM;
			else
				usage();
			break;
		case 's': size = parse_size(optarg); break;
		case 'o': out = optarg; break;
		case 'e': expected = optarg; break;
		case 'S': seed = strtoull(optarg, NULL, 10); break;
		case 'r': rate = atof(optarg); break;
		case 't': start = atof(optarg); break;
		case 'L': live_rate = atof(optarg); break;
		case 'D': duration = atof(optarg); break;
		case 'P': probe_every = atof(optarg); break;
		case 'p': probe_log = optarg; break;
		default: usage();
		}
	}
	if (fmt == -1 || out == NULL || rate <= 0 ||
	    (live_rate <= 0 && (size == 0 || expected == NULL)))
		usage();

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->buf = malloc(OUTBUF)) == NULL ||
	    (g->heap = calloc(MAXPENDING, sizeof(*g->heap))) == NULL)
		err(1, "malloc");
	g->mta = (enum mta)fmt;
	g->rng = seed * 0x2545F4914F6CDD1DULL + 1;
	domains_init(g);
	g->now = g->last = start;

	if (live_rate > 0) {
		g->live = 1;
		if ((g->fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644)) ==
		    -1)
			err(1, "%s", out);
		live(g, live_rate, duration, probe_every, probe_log);
	} else {
		if ((g->fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) ==
		    -1)
			err(1, "%s", out);
		while (g->bytes < size) {
			/* Poisson arrivals; retries due before come first */
			double at = g->now + rnd_exp(g, 60.0 / rate);

			while (g->nheap > 0 && g->heap[0].when <= at &&
			    g->bytes < size) {
				heap_pop(g, &m);
				retry(g, &m);
			}
			if (g->bytes >= size)
				break;
			if (at > g->now)
				g->now = at;
			if (g->mta == MTA_POSTFIX &&
			    rnd_below(g, 100000) < REJECT_WEIGHT)
				reject(g);
			else
				message(g);
		}
		flush(g);
	}
	if (close(g->fd) == -1)
		err(1, "%s", out);
	if (expected != NULL)
		write_expected(g, expected, seed);
	if (g->dropped > 0)
		warnx("%" PRIu64 " retries dropped (queue full)", g->dropped);
	return 0;
}
