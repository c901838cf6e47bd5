/*
 * api: the protocol the client and the daemon share, and nothing else.
 * The API version both check, the endpoint paths, the default socket, the
 * limits of a request, and the table of filters {name, type} that the
 * daemon's argument parser (query_args.c) and the client's options
 * (smtptally.c) both walk, so a filter is added in one place.
 *
 * Not here: how a filter is validated or turned into SQL (query_args.c,
 * query_sql.c), how the client prints an answer.
 */
#ifndef SMTPTALLY_API_H
#define SMTPTALLY_API_H

#include <stddef.h>

#define API_VERSION	1		/* the /v1 contract */
#define API_HEADER	"X-Smtptally-Api"	/* carries API_VERSION */

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif
/* Where the daemon listens and the client asks, unless told otherwise. */
#define API_SOCKET_DEFAULT	RUNSTATEDIR "/smtptally/smtptally.sock"

#define API_SUMMARY	"/v1/summary"
#define API_DOMAINS	"/v1/domains"
#define API_REASONS	"/v1/reasons"
#define API_LINES	"/v1/lines"
#define API_DELAYS	"/v1/delays"
#define API_STATUS	"/v1/status"
#define API_METRICS	"/metrics"

#define API_PARAMS_MAX	32	/* parameters per request */
#define API_VALUE_MAX	512	/* bytes per parameter value */
#define API_BY_MAX	4	/* grouping keys per summary */
#define API_TOP_MAX	100000	/* the client's --top bound */
#define API_CURSOR_MAX	2048	/* bytes of an after= cursor */

/* How a filter's value is spelled. */
enum api_type {
	API_T_NAME,	/* a domain or host name */
	API_T_REPLY,	/* 0 or 200-599 */
	API_T_ENHANCED,	/* 5.1.1 */
	API_T_CLASS,	/* 2xx 4xx 5xx */
	API_T_WORD	/* one of a fixed list of words (api_filter.words) */
};

/* The filters, in the order the table lists them. */
enum api_filter_id {
	API_F_DOMAIN, API_F_HOST, API_F_REPLY, API_F_ENHANCED, API_F_CLASS,
	API_F_STATUS, API_F_KIND, API_F_DIRECTION, API_F_MTA, API_F_HOP,
	API_F_CATEGORY, API_F_BLAME, API_F_PROVIDER,
	API_F_COUNT
};

struct api_filter {
	enum api_filter_id	 id;
	const char		*name;	/* the parameter and the --option */
	enum api_type		 type;
	const char		*arg;	/* the value's name in help */
	const char		*help;	/* one line */
};

extern const struct api_filter api_filters[API_F_COUNT];

/* The filter of that name, or NULL. */
const struct api_filter	*api_filter_find(const char *);

#endif
