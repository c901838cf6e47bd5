/*
 * provider: tables of domains, next-hop suffixes and reply markers.  A
 * domain pattern "name.*" is the name under any public suffix
 * (hotmail.co.uk); others match the domain itself or its subdomains.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "provider.h"

#define PROVIDER_TEXT_MAX	1024	/* bytes of a text searched */

static const char *const names[PROVIDER_NPROVIDERS] = {
	"other", "google", "microsoft", "yahoo", "apple", "united-internet",
	"mail.ru", "yandex", "proofpoint", "mimecast", "barracuda", "cisco",
	"zoho", "fastmail", "proton", "comcast", "orange", "free", "tencent"
};

struct pattern {
	const char	*s;
	size_t		 len;
	enum provider	 p;
};
#define P(s, p)	{ s, sizeof(s) - 1, p }

/* Recipient domains (sources: each provider's own sign-up domains). */
static const struct pattern domains[] = {
	P("gmail.com", PROVIDER_GOOGLE),
	P("googlemail.com", PROVIDER_GOOGLE),
	P("outlook.*", PROVIDER_MICROSOFT),
	P("hotmail.*", PROVIDER_MICROSOFT),
	P("live.*", PROVIDER_MICROSOFT),
	P("msn.com", PROVIDER_MICROSOFT),
	P("windowslive.com", PROVIDER_MICROSOFT),
	P("passport.com", PROVIDER_MICROSOFT),
	P("yahoo.*", PROVIDER_YAHOO),
	P("ymail.com", PROVIDER_YAHOO),
	P("rocketmail.com", PROVIDER_YAHOO),
	P("aol.*", PROVIDER_YAHOO),
	P("aim.com", PROVIDER_YAHOO),
	P("icloud.com", PROVIDER_APPLE),
	P("me.com", PROVIDER_APPLE),
	P("mac.com", PROVIDER_APPLE),
	P("gmx.*", PROVIDER_UNITED_INTERNET),
	P("web.de", PROVIDER_UNITED_INTERNET),
	P("mail.com", PROVIDER_UNITED_INTERNET),
	P("mail.ru", PROVIDER_MAILRU),
	P("inbox.ru", PROVIDER_MAILRU),
	P("list.ru", PROVIDER_MAILRU),
	P("bk.ru", PROVIDER_MAILRU),
	P("internet.ru", PROVIDER_MAILRU),
	P("yandex.*", PROVIDER_YANDEX),
	P("ya.ru", PROVIDER_YANDEX),
	P("zoho.*", PROVIDER_ZOHO),
	P("zohomail.*", PROVIDER_ZOHO),
	P("fastmail.com", PROVIDER_FASTMAIL),
	P("fastmail.fm", PROVIDER_FASTMAIL),
	P("protonmail.com", PROVIDER_PROTON),
	P("protonmail.ch", PROVIDER_PROTON),
	P("proton.me", PROVIDER_PROTON),
	P("pm.me", PROVIDER_PROTON),
	P("comcast.net", PROVIDER_COMCAST),
	P("orange.fr", PROVIDER_ORANGE),
	P("wanadoo.fr", PROVIDER_ORANGE),
	P("free.fr", PROVIDER_FREE),
	P("qq.com", PROVIDER_TENCENT),
	P("foxmail.com", PROVIDER_TENCENT),
};

/* Next-hop (MX, relay) name suffixes: the providers' published MX names
 * (aspmx.l.google.com, *.mail.protection.outlook.com, mta5.am0.yahoodns.net,
 * mx01.mail.icloud.com, mx00.emig.gmx.net, mx-ha01.web.de, mxs.mail.ru,
 * mx.yandex.net, *.pphosted.com, *.mimecast.com, *.ess.barracudanetworks.com,
 * *.iphmx.com, mx.zoho.com, in1-smtp.messagingengine.com, mail.protonmail.ch,
 * mx1.comcast.net, smtp-in.orange.fr, mx1.free.fr, mx1.qq.com). */
static const struct pattern relays[] = {
	P("google.com", PROVIDER_GOOGLE),
	P("googlemail.com", PROVIDER_GOOGLE),
	P("outlook.com", PROVIDER_MICROSOFT),
	P("hotmail.com", PROVIDER_MICROSOFT),
	P("yahoodns.net", PROVIDER_YAHOO),
	P("yahoo.com", PROVIDER_YAHOO),
	P("aol.com", PROVIDER_YAHOO),
	P("icloud.com", PROVIDER_APPLE),
	P("me.com", PROVIDER_APPLE),
	P("gmx.net", PROVIDER_UNITED_INTERNET),
	P("web.de", PROVIDER_UNITED_INTERNET),
	P("mail.com", PROVIDER_UNITED_INTERNET),
	P("kundenserver.de", PROVIDER_UNITED_INTERNET),
	P("ionos.com", PROVIDER_UNITED_INTERNET),
	P("mail.ru", PROVIDER_MAILRU),
	P("yandex.net", PROVIDER_YANDEX),
	P("yandex.ru", PROVIDER_YANDEX),
	P("pphosted.com", PROVIDER_PROOFPOINT),
	P("ppe-hosted.com", PROVIDER_PROOFPOINT),
	P("mimecast.com", PROVIDER_MIMECAST),
	P("mimecast.co.za", PROVIDER_MIMECAST),
	P("barracudanetworks.com", PROVIDER_BARRACUDA),
	P("iphmx.com", PROVIDER_CISCO),
	P("zoho.com", PROVIDER_ZOHO),
	P("zoho.eu", PROVIDER_ZOHO),
	P("messagingengine.com", PROVIDER_FASTMAIL),
	P("protonmail.ch", PROVIDER_PROTON),
	P("comcast.net", PROVIDER_COMCAST),
	P("orange.fr", PROVIDER_ORANGE),
	P("free.fr", PROVIDER_FREE),
	P("qq.com", PROVIDER_TENCENT),
};

/* Markers in reply texts, lower case (Google's "- gsmtp" suffix, see
 * support.google.com/a/answer/3726730; the others name the provider's
 * servers or help pages). */
static const struct pattern markers[] = {
	P("gsmtp", PROVIDER_GOOGLE),
	P("support.google.com", PROVIDER_GOOGLE),
	P("protection.outlook.com", PROVIDER_MICROSOFT),
	P("prod.outlook.com", PROVIDER_MICROSOFT),
	P("postmaster.live.com", PROVIDER_MICROSOFT),
	P("mail.live.com", PROVIDER_MICROSOFT),
	P("sender.office.com", PROVIDER_MICROSOFT),
	P("yahooinc.com", PROVIDER_YAHOO),
	P("postmaster.yahoo.com", PROVIDER_YAHOO),
	P("yahoodns.net", PROVIDER_YAHOO),
	P("support.apple.com", PROVIDER_APPLE),
	P("icloud.com", PROVIDER_APPLE),
	P("nemesis esmtp", PROVIDER_UNITED_INTERNET),
	P("postmaster.gmx", PROVIDER_UNITED_INTERNET),
	P("postmaster.web.de", PROVIDER_UNITED_INTERNET),
	P("postmaster.mail.ru", PROVIDER_MAILRU),
	P("help.mail.ru", PROVIDER_MAILRU),
	P("yandex", PROVIDER_YANDEX),
	P("pphosted", PROVIDER_PROOFPOINT),
	P("proofpoint", PROVIDER_PROOFPOINT),
	P("mimecast", PROVIDER_MIMECAST),
	P("barracudanetworks.com", PROVIDER_BARRACUDA),
	P("iphmx.com", PROVIDER_CISCO),
	P("zoho", PROVIDER_ZOHO),
	P("messagingengine.com", PROVIDER_FASTMAIL),
	P("qq.com", PROVIDER_TENCENT),
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

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
}

/* n bytes of name end with the pattern, at a label boundary. */
static int
ends_with(const char *name, size_t n, const struct pattern *pat)
{
	size_t	 l = pat->len;

	/* the label boundary and the pattern's first byte reject most
	 * patterns before the comparison */
	if (n < l || (n > l && name[n - l - 1] != '.') ||
	    lower(name[n - l]) != pat->s[0] ||
	    lower(name[n - 1]) != pat->s[l - 1])
		return 0;
	return strncasecmp(name + n - l, pat->s, l) == 0;
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
domain_match(const char *d, size_t n, const struct pattern *pat)
{
	size_t	 l = pat->len;

	if (pat->s[l - 1] == '*')		/* "name.*" */
		return n > l - 1 && d[l - 2] == '.' &&
		    lower(d[0]) == pat->s[0] &&
		    strncasecmp(d, pat->s, l - 1) == 0 &&
		    suffix_like(d + l - 1, n - (l - 1));
	return ends_with(d, n, pat);
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
			if (ends_with(relay, rlen, &relays[i]))
				return relays[i].p;
	}
	if (domain != NULL && dlen > 0)
		for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
			if (domain_match(domain, dlen, &domains[i]))
				return domains[i].p;
	if (text != NULL && tlen > 0) {
		/* the markers are at the end of the first line or in its
		 * URLs: the first bytes of the text, in lower case */
		char	 lower[PROVIDER_TEXT_MAX + 1];
		size_t	 n = tlen < PROVIDER_TEXT_MAX ? tlen : PROVIDER_TEXT_MAX;

		for (i = 0; i < n; i++)
			lower[i] = text[i] >= 'A' && text[i] <= 'Z' ?
			    text[i] + 'a' - 'A' : (text[i] == '\0' ? ' ' :
			    text[i]);
		lower[n] = '\0';
		for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
			if (strstr(lower, markers[i].s) != NULL)
				return markers[i].p;
	}
	return PROVIDER_OTHER;
}
