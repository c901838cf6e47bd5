/*
 * event: names of the enumerations, the class rule and the outcome split.
 *
 * Pure tables; no I/O, no allocation.
 */
#include <string.h>

#include "event.h"

static const char *const mta_names[] = { "auto", "postfix", "exim", NULL };
static const char *const direction_names[] = { "out", "in", NULL };
static const char *const kind_names[] = { "attempt", "skip", "final",
    "verify", NULL };
static const char *const status_names[] = { "sent", "deferred", "bounced",
    "expired", "rejected", "deliverable", "undeliverable", NULL };
static const char *const hop_names[] = { "remote", "mailbox", "filter",
    "discard", NULL };

#define NNAMES(a)	(sizeof(a) / sizeof(*(a)) - 1)

/* names[i], or "unknown" for a value out of range. */
static const char *
name_of(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "unknown";
}

/* The index of s in names, or -1. */
static int
index_of(const char *const *names, const char *s)
{
	int	i;

	if (s == NULL)
		return -1;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int
event_class(int reply, const char *enhanced, enum status status)
{
	if (reply != 0)
		return reply / 100;
	if (enhanced != NULL && enhanced[0] >= '2' && enhanced[0] <= '5')
		return enhanced[0] - '0';
	switch (status) {
	case STATUS_SENT:
	case STATUS_DELIVERABLE:
		return 2;
	case STATUS_DEFERRED:
		return 4;
	default:
		return 5;
	}
}

int
event_class_of(const struct event *ev)
{
	return event_class(ev->reply, ev->enhanced, ev->status);
}

enum event_outcome
event_outcome(enum status s)
{
	switch (s) {
	case STATUS_SENT:
		return OUTCOME_SENT;
	case STATUS_DEFERRED:
		return OUTCOME_DEFERRED;
	case STATUS_BOUNCED:
	case STATUS_REJECTED:
		return OUTCOME_BOUNCED;
	default:
		return OUTCOME_OTHER;
	}
}

const char *
event_mta_name(enum mta m)
{
	return name_of(mta_names, NNAMES(mta_names), (int)m);
}

const char *
event_direction_name(enum direction d)
{
	return name_of(direction_names, NNAMES(direction_names), (int)d);
}

const char *
event_kind_name(enum kind k)
{
	return name_of(kind_names, NNAMES(kind_names), (int)k);
}

const char *
event_status_name(enum status s)
{
	return name_of(status_names, NNAMES(status_names), (int)s);
}

const char *
event_hop_name(enum hop h)
{
	return name_of(hop_names, NNAMES(hop_names), (int)h);
}

int
event_mta_from_name(const char *s)
{
	int	i = index_of(mta_names, s);

	return i == MTA_UNKNOWN ? -1 : i;	/* "auto" is not an MTA */
}

int
event_direction_from_name(const char *s)
{
	return index_of(direction_names, s);
}

int
event_kind_from_name(const char *s)
{
	return index_of(kind_names, s);
}

int
event_status_from_name(const char *s)
{
	return index_of(status_names, s);
}

int
event_hop_from_name(const char *s)
{
	return index_of(hop_names, s);
}
