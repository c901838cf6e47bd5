/*
 * provider: the mailbox provider behind a recipient domain, guessed from
 * the domain, the next hop's name (the MX or relay the MTA talked to) and
 * the markers providers put in their replies ("gsmtp", "...protection.
 * outlook.com").  Pure: a fixed table, no I/O, no allocation.
 *
 * The values are stored in the database (the domain table), so they never
 * change: new providers go at the end.  Not here: what a provider's texts
 * mean (classify and the rules file).
 */
#ifndef SMTPTALLY_PROVIDER_H
#define SMTPTALLY_PROVIDER_H

#include <stddef.h>

enum provider {
	PROVIDER_OTHER = 0,
	PROVIDER_GOOGLE,
	PROVIDER_MICROSOFT,
	PROVIDER_YAHOO,
	PROVIDER_APPLE,
	PROVIDER_UNITED_INTERNET,	/* GMX, WEB.DE, mail.com, IONOS */
	PROVIDER_MAILRU,
	PROVIDER_YANDEX,
	PROVIDER_PROOFPOINT,
	PROVIDER_MIMECAST,
	PROVIDER_BARRACUDA,
	PROVIDER_CISCO,			/* Secure Email (IronPort) */
	PROVIDER_ZOHO,
	PROVIDER_FASTMAIL,
	PROVIDER_PROTON,
	PROVIDER_COMCAST,
	PROVIDER_ORANGE,
	PROVIDER_FREE,
	PROVIDER_TENCENT,
	PROVIDER_NPROVIDERS
};

const char	*provider_name(enum provider);
int		 provider_from_name(const char *);	/* -1: not ours */

/*
 * The provider for a domain (lower case or not), the next hop's name as
 * logged ("mx.example.com[192.0.2.1]:25" or "", its address part ignored)
 * and a reply text; any of them may be empty.  The next hop wins over the
 * domain (a Google-hosted domain is Google's), the domain over the text.
 */
enum provider	 provider_guess(const char *, size_t, const char *, size_t,
		     const char *, size_t);

#endif
