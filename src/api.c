/*
 * api: the filter table both sides of the socket walk (api.h).  The
 * words a filter takes are checked by the daemon against the vocabulary
 * (event.c, classify.c, provider.c); the client only names them in help
 * and the completion.
 */
#include "config.h"

#include <string.h>

#include "api.h"

const struct api_filter api_filters[API_F_COUNT] = {
	{ API_F_DOMAIN, "domain", API_T_NAME, "D",
	  "recipient domain (any case, a trailing dot ignored)" },
	{ API_F_HOST, "host", API_T_NAME, "H",
	  "the logging host" },
	{ API_F_REPLY, "reply", API_T_REPLY, "N",
	  "SMTP reply code (0 for none, 200-599)" },
	{ API_F_ENHANCED, "enhanced", API_T_ENHANCED, "C",
	  "enhanced status code (5.1.1)" },
	{ API_F_CLASS, "class", API_T_CLASS, "2xx|4xx|5xx",
	  "reply class" },
	{ API_F_STATUS, "status", API_T_WORD,
	  "sent|deferred|bounced|expired|rejected|...",
	  "the MTA's verdict" },
	{ API_F_KIND, "kind", API_T_WORD, "attempt|skip|final|verify",
	  "what the line records (default attempt)" },
	{ API_F_DIRECTION, "direction", API_T_WORD, "out|in|all",
	  "out: our deliveries; in: our smtpd's answers; all: both" },
	{ API_F_MTA, "mta", API_T_WORD, "postfix|exim",
	  "which MTA logged it" },
	{ API_F_HOP, "hop", API_T_WORD, "remote|mailbox|filter|discard",
	  "where the message went" },
	{ API_F_CATEGORY, "category", API_T_WORD, "CATEGORY",
	  "why it failed (user_unknown, greylisted, ...)" },
	{ API_F_BLAME, "blame", API_T_WORD, "PARTY",
	  "who must act (recipient, sender_reputation, ...)" },
	{ API_F_PROVIDER, "provider", API_T_WORD, "P",
	  "the recipient's mail provider (google, microsoft, ...)" },
};

/* Look a filter up by its parameter name. */
const struct api_filter *
api_filter_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < API_F_COUNT; i++)
		if (strcmp(api_filters[i].name, name) == 0)
			return &api_filters[i];
	return NULL;
}
