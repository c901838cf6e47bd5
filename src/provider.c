/*
 * provider: tables of domains, next-hop suffixes and reply markers.  A
 * domain pattern "name.*" is the name under any public suffix
 * (hotmail.co.uk); others match the domain itself or its subdomains.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "provider.h"

static const char *const names[PROVIDER_NPROVIDERS] = {
	"other", "google", "microsoft", "yahoo", "apple", "united-internet",
	"mail.ru", "yandex", "proofpoint", "mimecast", "barracuda", "cisco",
	"zoho", "fastmail", "proton", "comcast", "orange", "free", "tencent"
};

struct pattern {
	const char	*s;
	enum provider	 p;
};

/* Recipient domains (sources: each provider's own sign-up domains). */
static const struct pattern domains[] = {
	{ "gmail.com", PROVIDER_GOOGLE },
	{ "googlemail.com", PROVIDER_GOOGLE },
	{ "outlook.*", PROVIDER_MICROSOFT },
	{ "hotmail.*", PROVIDER_MICROSOFT },
	{ "live.*", PROVIDER_MICROSOFT },
	{ "msn.com", PROVIDER_MICROSOFT },
	{ "windowslive.com", PROVIDER_MICROSOFT },
	{ "passport.com", PROVIDER_MICROSOFT },
	{ "yahoo.*", PROVIDER_YAHOO },
	{ "ymail.com", PROVIDER_YAHOO },
	{ "rocketmail.com", PROVIDER_YAHOO },
	{ "aol.*", PROVIDER_YAHOO },
	{ "aim.com", PROVIDER_YAHOO },
	{ "icloud.com", PROVIDER_APPLE },
	{ "me.com", PROVIDER_APPLE },
	{ "mac.com", PROVIDER_APPLE },
	{ "gmx.*", PROVIDER_UNITED_INTERNET },
	{ "web.de", PROVIDER_UNITED_INTERNET },
	{ "mail.com", PROVIDER_UNITED_INTERNET },
	{ "mail.ru", PROVIDER_MAILRU },
	{ "inbox.ru", PROVIDER_MAILRU },
	{ "list.ru", PROVIDER_MAILRU },
	{ "bk.ru", PROVIDER_MAILRU },
	{ "internet.ru", PROVIDER_MAILRU },
	{ "yandex.*", PROVIDER_YANDEX },
	{ "ya.ru", PROVIDER_YANDEX },
	{ "zoho.*", PROVIDER_ZOHO },
	{ "zohomail.*", PROVIDER_ZOHO },
	{ "fastmail.com", PROVIDER_FASTMAIL },
	{ "fastmail.fm", PROVIDER_FASTMAIL },
	{ "protonmail.com", PROVIDER_PROTON },
	{ "protonmail.ch", PROVIDER_PROTON },
	{ "proton.me", PROVIDER_PROTON },
	{ "pm.me", PROVIDER_PROTON },
	{ "comcast.net", PROVIDER_COMCAST },
	{ "orange.fr", PROVIDER_ORANGE },
	{ "wanadoo.fr", PROVIDER_ORANGE },
	{ "free.fr", PROVIDER_FREE },
	{ "qq.com", PROVIDER_TENCENT },
	{ "foxmail.com", PROVIDER_TENCENT },
};

/* Next-hop (MX, relay) name suffixes: the providers' published MX names
 * (aspmx.l.google.com, *.mail.protection.outlook.com, mta5.am0.yahoodns.net,
 * mx01.mail.icloud.com, mx00.emig.gmx.net, mx-ha01.web.de, mxs.mail.ru,
 * mx.yandex.net, *.pphosted.com, *.mimecast.com, *.ess.barracudanetworks.com,
 * *.iphmx.com, mx.zoho.com, in1-smtp.messagingengine.com, mail.protonmail.ch,
 * mx1.comcast.net, smtp-in.orange.fr, mx1.free.fr, mx1.qq.com). */
static const struct pattern relays[] = {
	{ "google.com", PROVIDER_GOOGLE },
	{ "googlemail.com", PROVIDER_GOOGLE },
	{ "outlook.com", PROVIDER_MICROSOFT },
	{ "hotmail.com", PROVIDER_MICROSOFT },
	{ "yahoodns.net", PROVIDER_YAHOO },
	{ "yahoo.com", PROVIDER_YAHOO },
	{ "aol.com", PROVIDER_YAHOO },
	{ "icloud.com", PROVIDER_APPLE },
	{ "me.com", PROVIDER_APPLE },
	{ "gmx.net", PROVIDER_UNITED_INTERNET },
	{ "web.de", PROVIDER_UNITED_INTERNET },
	{ "mail.com", PROVIDER_UNITED_INTERNET },
	{ "kundenserver.de", PROVIDER_UNITED_INTERNET },
	{ "ionos.com", PROVIDER_UNITED_INTERNET },
	{ "mail.ru", PROVIDER_MAILRU },
	{ "yandex.net", PROVIDER_YANDEX },
	{ "yandex.ru", PROVIDER_YANDEX },
	{ "pphosted.com", PROVIDER_PROOFPOINT },
	{ "ppe-hosted.com", PROVIDER_PROOFPOINT },
	{ "mimecast.com", PROVIDER_MIMECAST },
	{ "mimecast.co.za", PROVIDER_MIMECAST },
	{ "barracudanetworks.com", PROVIDER_BARRACUDA },
	{ "iphmx.com", PROVIDER_CISCO },
	{ "zoho.com", PROVIDER_ZOHO },
	{ "zoho.eu", PROVIDER_ZOHO },
	{ "messagingengine.com", PROVIDER_FASTMAIL },
	{ "protonmail.ch", PROVIDER_PROTON },
	{ "comcast.net", PROVIDER_COMCAST },
	{ "orange.fr", PROVIDER_ORANGE },
	{ "free.fr", PROVIDER_FREE },
	{ "qq.com", PROVIDER_TENCENT },
};

/* Markers in reply texts, lower case (Google's "- gsmtp" suffix, see
 * support.google.com/a/answer/3726730; the others name the provider's
 * servers or help pages). */
static const struct pattern markers[] = {
	{ "gsmtp", PROVIDER_GOOGLE },
	{ "support.google.com", PROVIDER_GOOGLE },
	{ "protection.outlook.com", PROVIDER_MICROSOFT },
	{ "prod.outlook.com", PROVIDER_MICROSOFT },
	{ "postmaster.live.com", PROVIDER_MICROSOFT },
	{ "mail.live.com", PROVIDER_MICROSOFT },
	{ "sender.office.com", PROVIDER_MICROSOFT },
	{ "yahooinc.com", PROVIDER_YAHOO },
	{ "postmaster.yahoo.com", PROVIDER_YAHOO },
	{ "yahoodns.net", PROVIDER_YAHOO },
	{ "support.apple.com", PROVIDER_APPLE },
	{ "icloud.com", PROVIDER_APPLE },
	{ "nemesis esmtp", PROVIDER_UNITED_INTERNET },
	{ "postmaster.gmx", PROVIDER_UNITED_INTERNET },
	{ "postmaster.web.de", PROVIDER_UNITED_INTERNET },
	{ "postmaster.mail.ru", PROVIDER_MAILRU },
	{ "help.mail.ru", PROVIDER_MAILRU },
	{ "yandex", PROVIDER_YANDEX },
	{ "pphosted", PROVIDER_PROOFPOINT },
	{ "proofpoint", PROVIDER_PROOFPOINT },
	{ "mimecast", PROVIDER_MIMECAST },
	{ "barracudanetworks.com", PROVIDER_BARRACUDA },
	{ "iphmx.com", PROVIDER_CISCO },
	{ "zoho", PROVIDER_ZOHO },
	{ "messagingengine.com", PROVIDER_FASTMAIL },
	{ "qq.com", PROVIDER_TENCENT },
};

const char *
provider_name(enum provider p)
{
	return (unsigned)p < PROVIDER_NPROVIDERS ? names[p] : "other";
}

int
provider_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < PROVIDER_NPROVIDERS; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* n bytes of name end with suffix s, at a label boundary. */
static int
ends_with(const char *name, size_t n, const char *s)
{
	size_t	 l = strlen(s);

	if (n < l || strncasecmp(name + n - l, s, l) != 0)
		return 0;
	return n == l || name[n - l - 1] == '.';
}

/* A public suffix's shape: one or two labels of two or three letters
 * (com, de, co.uk, com.br). */
static int
suffix_like(const char *p, size_t n)
{
	size_t	 i, run = 0, labels = 1;

	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (run < 2 || run > 3 || ++labels > 2)
				return 0;
			run = 0;
		} else if (++run > 3)
			return 0;
	}
	return run >= 2;
}

static int
domain_match(const char *d, size_t n, const char *pat)
{
	size_t	 l = strlen(pat);

	if (l > 2 && pat[l - 1] == '*')		/* "name.*" */
		return n > l - 1 && strncasecmp(d, pat, l - 1) == 0 &&
		    suffix_like(d + l - 1, n - (l - 1));
	return ends_with(d, n, pat);
}

/* Case-insensitive: does [p, p+n) contain the lower-case s? */
static int
contains(const char *p, size_t n, const char *s)
{
	size_t	 l = strlen(s), i, j;

	for (i = 0; i + l <= n; i++) {
		for (j = 0; j < l; j++) {
			char	 c = p[i + j];

			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (c != s[j])
				break;
		}
		if (j == l)
			return 1;
	}
	return 0;
}

enum provider
provider_guess(const char *domain, size_t dlen, const char *relay,
    size_t rlen, const char *text, size_t tlen)
{
	const char	*b;
	size_t		 i;

	if (relay != NULL && rlen > 0) {
		if ((b = memchr(relay, '[', rlen)) != NULL)
			rlen = b - relay;
		while (rlen > 0 && relay[rlen - 1] == '.')
			rlen--;
		for (i = 0; i < sizeof(relays) / sizeof(relays[0]); i++)
			if (ends_with(relay, rlen, relays[i].s))
				return relays[i].p;
	}
	if (domain != NULL && dlen > 0)
		for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
			if (domain_match(domain, dlen, domains[i].s))
				return domains[i].p;
	if (text != NULL && tlen > 0)
		for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
			if (contains(text, tlen, markers[i].s))
				return markers[i].p;
	return PROVIDER_OTHER;
}
