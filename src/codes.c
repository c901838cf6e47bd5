/*
 * codes: the dictionary behind `smtptally explain` and the words in the
 * report.
 *
 * Reply codes come from RFC 5321 section 4.2 and the extensions that added
 * codes (RFC 3207 STARTTLS, RFC 4954 AUTH, RFC 7504 null MX / no service).
 * Enhanced codes come from RFC 3463 and the IANA "Enumerated Status Codes"
 * registry (RFCs 3886, 4468, 4954, 5248, 6531, 6710, 7293, 7372, 7505,
 * 8617, 8689).  The text is our own summary, not a quotation.  The class
 * digit of an enhanced code (2, 4, 5) says success, temporary or permanent;
 * the table is keyed by subject.detail only, as the registry is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"

static const struct codes_entry replies[] = {
	{ "0", "no reply: the remote never answered (refused, timed out, "
	    "DNS failure or local delivery)",
	    "check DNS for the domain and whether its MX hosts accept "
	    "connections from you; a firewall or a dead host looks like this" },
	{ "211", "system status or help reply",
	    "informational only" },
	{ "214", "help message for a human",
	    "informational only" },
	{ "220", "the server is ready (greeting)",
	    "nothing: the session is starting" },
	{ "221", "the server is closing the connection",
	    "nothing: normal end of a session" },
	{ "250", "requested action completed: the message or recipient "
	    "was accepted",
	    "nothing: this is success" },
	{ "251", "recipient not local, the server will forward it",
	    "nothing; update the address if you own the list" },
	{ "252", "recipient cannot be verified, but delivery will be tried",
	    "nothing: verification is simply not offered" },
	{ "354", "go ahead and send the message text",
	    "nothing: an intermediate step of DATA" },
	{ "421", "service not available, the server is closing the "
	    "connection (often rate limiting or overload)",
	    "let the queue retry; if it persists, slow down delivery to "
	    "that domain (concurrency, rate) and check your reputation" },
	{ "432", "a password transition is needed (AUTH)",
	    "the account must change its password before sending" },
	{ "450", "mailbox unavailable for now (busy, greylisted or "
	    "temporarily blocked)",
	    "let the queue retry; greylisting clears in minutes, a block "
	    "needs the text read" },
	{ "451", "aborted: local error in processing at the remote "
	    "(often greylisting or a policy check that timed out)",
	    "let the queue retry; read the text if it lasts hours" },
	{ "452", "insufficient storage, or too many recipients in one "
	    "transaction",
	    "let the queue retry; lower the recipients per message if "
	    "the text says so" },
	{ "454", "temporary authentication or TLS failure",
	    "check TLS and credentials; the queue will retry" },
	{ "455", "the server cannot accommodate the MAIL/RCPT parameters "
	    "right now",
	    "let the queue retry" },
	{ "500", "syntax error: command not recognised (or line too long)",
	    "a client or middlebox is speaking broken SMTP; check software "
	    "and anything inspecting port 25" },
	{ "501", "syntax error in parameters or arguments",
	    "usually a malformed address; fix the sender or recipient "
	    "address" },
	{ "502", "command not implemented",
	    "the remote lacks a feature you used; check your client "
	    "settings" },
	{ "503", "bad sequence of commands",
	    "often a recipient refused earlier in the session, or AUTH "
	    "needed first; read the earlier replies" },
	{ "504", "command parameter not implemented",
	    "the remote does not support an option you asked for" },
	{ "521", "this host does not accept mail at all",
	    "remove the address; the domain says it takes no mail" },
	{ "530", "authentication required",
	    "configure SMTP AUTH for this relay" },
	{ "534", "authentication mechanism too weak",
	    "enable a stronger AUTH mechanism or TLS" },
	{ "535", "authentication credentials invalid",
	    "fix the user name or password for the relay" },
	{ "538", "encryption required for this authentication mechanism",
	    "use STARTTLS before AUTH" },
	{ "550", "mailbox unavailable: no such user, access denied or "
	    "refused by policy",
	    "read the text: a user unknown means remove the address; a "
	    "block or spam verdict means check blocklists, SPF, DKIM, DMARC" },
	{ "551", "user not local, try another path",
	    "update the address" },
	{ "552", "exceeded storage allocation (mailbox full or message "
	    "too big)",
	    "ask the recipient to make room, or send a smaller message" },
	{ "553", "mailbox name not allowed (bad address syntax or sender "
	    "refused)",
	    "fix the address; check the sender address is acceptable" },
	{ "554", "transaction failed, or no SMTP service here (often a "
	    "policy rejection of the whole message)",
	    "read the text: content filters and blocklists use this code" },
	{ "555", "MAIL FROM/RCPT TO parameters not recognised",
	    "the remote does not understand an ESMTP option you sent" },
	{ "556", "the recipient's domain does not accept mail",
	    "remove the address; the domain publishes a null MX" },
};

static const struct codes_entry enhanced[] = {
	{ "0.0", "other or undefined status",
	    "read the reply text: the code itself says nothing more" },
	{ "1.0", "other address problem",
	    "read the reply text and check the address" },
	{ "1.1", "bad destination mailbox: no such user",
	    "remove or correct the recipient address" },
	{ "1.2", "bad destination system: the domain does not exist or "
	    "takes no mail",
	    "check the domain for typos and for MX/A records" },
	{ "1.3", "bad destination address syntax",
	    "fix the address format" },
	{ "1.4", "destination mailbox address is ambiguous",
	    "use a more exact address" },
	{ "1.5", "destination address valid",
	    "nothing: success" },
	{ "1.6", "mailbox has moved, no forwarding address known",
	    "find the recipient's new address" },
	{ "1.7", "bad sender address syntax",
	    "fix the envelope sender" },
	{ "1.8", "bad sender system address (sender domain does not "
	    "resolve)",
	    "make sure the sender domain has DNS records" },
	{ "1.9", "message relayed to a system that does not support DSN",
	    "nothing: delivery notices may be missing" },
	{ "1.10", "recipient domain has a null MX: it takes no mail",
	    "remove the address" },
	{ "2.0", "other mailbox problem",
	    "read the reply text" },
	{ "2.1", "mailbox disabled, not accepting messages",
	    "the account is closed or suspended; stop sending to it" },
	{ "2.2", "mailbox full",
	    "temporary: the queue retries; permanent: tell the sender" },
	{ "2.3", "message longer than the mailbox accepts",
	    "send a smaller message or a link" },
	{ "2.4", "mailing list expansion problem",
	    "tell the list owner" },
	{ "3.0", "other mail system problem at the remote",
	    "let the queue retry; read the text if it lasts" },
	{ "3.1", "remote mail system full (disk)",
	    "let the queue retry" },
	{ "3.2", "system not accepting network messages (shutting down, "
	    "maintenance)",
	    "let the queue retry" },
	{ "3.3", "system cannot do a feature the message needs",
	    "check which extension the message relies on" },
	{ "3.4", "message too big for the system",
	    "send a smaller message; check message_size_limit on both "
	    "sides" },
	{ "3.5", "system incorrectly configured",
	    "a configuration error (yours if the reply is local); check "
	    "the logs of the host that said it" },
	{ "3.6", "requested priority was changed",
	    "nothing: informational" },
	{ "4.0", "other network or routing problem",
	    "let the queue retry; check DNS and routes" },
	{ "4.1", "no answer from host",
	    "the MX does not answer: check reachability and firewalls; "
	    "the queue retries" },
	{ "4.2", "bad connection (dropped or reset)",
	    "let the queue retry; look at TLS and MTU problems if it "
	    "repeats" },
	{ "4.3", "directory server (DNS) failure",
	    "check your resolver; the queue retries" },
	{ "4.4", "unable to route: no usable MX or address",
	    "check the domain's MX records" },
	{ "4.5", "mail system congestion",
	    "let the queue retry; lower concurrency to that domain" },
	{ "4.6", "routing loop detected",
	    "fix the MX/transport configuration causing the loop" },
	{ "4.7", "delivery time expired: the message stayed in the queue "
	    "too long",
	    "find why earlier attempts failed; raise the queue lifetime "
	    "only if the remote was down long" },
	{ "5.0", "other protocol problem",
	    "read the reply text" },
	{ "5.1", "invalid command",
	    "check the client software speaking SMTP" },
	{ "5.2", "syntax error",
	    "check the client software speaking SMTP" },
	{ "5.3", "too many recipients",
	    "lower recipients per message or per connection" },
	{ "5.4", "invalid command arguments",
	    "check the ESMTP options and addresses sent" },
	{ "5.5", "wrong protocol version",
	    "check the client software" },
	{ "5.6", "authentication exchange line too long",
	    "use a shorter AUTH exchange or another mechanism" },
	{ "6.0", "other media (content) problem",
	    "read the reply text" },
	{ "6.1", "media type not supported",
	    "change the attachment type" },
	{ "6.2", "conversion required but prohibited",
	    "send 7-bit content or allow conversion" },
	{ "6.3", "conversion required but not supported",
	    "send content the remote can take as is" },
	{ "6.4", "conversion done with loss",
	    "nothing: informational" },
	{ "6.5", "conversion failed",
	    "send simpler content" },
	{ "6.6", "message content not available (BURL)",
	    "check the referenced message store" },
	{ "6.7", "non-ASCII addresses not permitted here",
	    "use an ASCII address for this recipient" },
	{ "6.8", "UTF-8 string reply required but not allowed",
	    "the remote cannot carry this internationalised address" },
	{ "6.9", "UTF-8 header message cannot be passed on to a non-UTF-8 "
	    "system",
	    "send without internationalised headers" },
	{ "7.0", "other security or policy reason",
	    "read the reply text: often a reputation block" },
	{ "7.1", "delivery not authorised, message refused (policy, "
	    "blocklist, relay denied)",
	    "read the text; check blocklists, SPF, DKIM, DMARC and reverse "
	    "DNS; request delisting if listed" },
	{ "7.2", "mailing list expansion prohibited",
	    "the sender may not use that list" },
	{ "7.3", "security conversion required but not possible",
	    "check the security requirements of the remote" },
	{ "7.4", "security features not supported",
	    "check TLS settings on both sides" },
	{ "7.5", "cryptographic failure",
	    "check certificates and signatures" },
	{ "7.6", "cryptographic algorithm not supported",
	    "use a more common algorithm" },
	{ "7.7", "message integrity failure",
	    "something altered the message in transit" },
	{ "7.8", "authentication credentials invalid",
	    "fix the AUTH user name or password" },
	{ "7.9", "authentication mechanism too weak",
	    "use a stronger mechanism" },
	{ "7.10", "encryption needed",
	    "enable TLS" },
	{ "7.11", "encryption required for the requested AUTH mechanism",
	    "use STARTTLS before AUTH" },
	{ "7.12", "a password transition is needed",
	    "the account must change its password" },
	{ "7.13", "user account disabled",
	    "the sending account is disabled; ask its administrator" },
	{ "7.14", "trust relationship required",
	    "the remote requires a prior arrangement" },
	{ "7.15", "priority level too low",
	    "nothing to fix unless priority matters" },
	{ "7.16", "message too big for the requested priority",
	    "send smaller or at another priority" },
	{ "7.17", "mailbox owner has changed",
	    "the address now belongs to someone else: remove it" },
	{ "7.18", "domain owner has changed",
	    "the domain changed hands: remove the address" },
	{ "7.19", "RRVS test cannot be completed",
	    "retry without the require-recipient-valid-since option" },
	{ "7.20", "no passing DKIM signature found",
	    "sign outgoing mail with DKIM" },
	{ "7.21", "no acceptable DKIM signature found",
	    "check DKIM key length, algorithm and signed headers" },
	{ "7.22", "no valid author-matched DKIM signature",
	    "sign with a key in the From: domain" },
	{ "7.23", "SPF validation failed",
	    "add this server to the sender domain's SPF record" },
	{ "7.24", "SPF validation error",
	    "fix the sender domain's SPF record (syntax, lookups)" },
	{ "7.25", "reverse DNS validation failed",
	    "give the sending IP a PTR record that resolves back" },
	{ "7.26", "multiple authentication checks failed",
	    "check SPF, DKIM and DMARC together" },
	{ "7.27", "sender address has a null MX",
	    "use a sender domain that accepts replies" },
	{ "7.28", "mail flood detected",
	    "slow down: too much mail of one kind in little time" },
	{ "7.29", "ARC validation failure",
	    "check the forwarding path that added ARC headers" },
	{ "7.30", "REQUIRETLS support required",
	    "the message demands TLS end to end; the path lacks it" },
};

/* What the first digit of a code says on its own. */
const char *
codes_class_name(int class)
{
	switch (class) {
	case 2:
		return "success";
	case 4:
		return "temporary failure (the queue retries)";
	case 5:
		return "permanent failure (returned to the sender)";
	}
	return "unknown class";
}

/* Linear search: the tables are small and lookups are rare. */
static const struct codes_entry *
find(const struct codes_entry *t, size_t n, const char *key)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].key, key) == 0)
			return &t[i];
	return NULL;
}

/* Reply codes are looked up by their decimal text. */
const struct codes_entry *
codes_reply(int code)
{
	char	 key[16];

	if (code != 0 && (code < 200 || code > 599))
		return NULL;
	snprintf(key, sizeof key, "%d", code);
	return find(replies, sizeof replies / sizeof replies[0], key);
}

/* RFC 3463 syntax: class 2, 4 or 5, then two 1-3 digit parts. */
int
codes_enhanced_valid(const char *s)
{
	size_t	 n;
	int	 part;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	s += 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
			;
		if (n == 0 || n > 3)
			return 0;
		s += n;
		if (part == 0 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

/* The registry is keyed by subject.detail; the class is ours to add. */
const struct codes_entry *
codes_enhanced(const char *s)
{
	if (!codes_enhanced_valid(s))
		return NULL;
	return find(enhanced, sizeof enhanced / sizeof enhanced[0], s + 2);
}

/* The whole reply table, for the unique-key test. */
const struct codes_entry *
codes_reply_table(size_t *n)
{
	*n = sizeof replies / sizeof replies[0];
	return replies;
}

/* The whole enhanced table, for the unique-key test. */
const struct codes_entry *
codes_enhanced_table(size_t *n)
{
	*n = sizeof enhanced / sizeof enhanced[0];
	return enhanced;
}
