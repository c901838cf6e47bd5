/*
 * delay: the fixed buckets and stage names of the delivery-delay
 * histograms, shared by the tally, the store, /v1/delays and /metrics.
 *
 * A delay is kept in milliseconds (struct event).  Its bucket is the
 * first upper bound it does not exceed, as Prometheus counts `le`; the
 * last bucket has no bound (+Inf).  The bounds are the exporters'
 * (postfix_exporter: 1 ms to 2 days) with the steps a postmaster reads
 * between them (0.5 s, 5 s, 30 s, 5 min, 15 min, 30 min, 4 h), so both
 * the smtptally_* and the exporters' histograms are sums of stored
 * buckets.  The numbers are stored in the database (delay_hour.bucket):
 * a bound is never changed or removed; one added at the end would split
 * +Inf only for new data.
 *
 * The stages: the whole delay (Postfix delay=, Exim QT=) and Postfix's
 * delays=a/b/c/d (before the queue manager, in it, connection set-up,
 * transmission; Exim's QT= is also b and DT= d).
 *
 * Pure: no I/O, no allocation.
 */
#ifndef SMTPTALLY_DELAY_H
#define SMTPTALLY_DELAY_H

#include <stdint.h>

#define DELAY_BUCKETS	17	/* 16 bounds and +Inf */
#define DELAY_STAGES	5	/* total, a, b, c, d */

enum delay_stage {
	DELAY_TOTAL,
	DELAY_BEFORE_QMGR,	/* a */
	DELAY_QMGR,		/* b */
	DELAY_CONN,		/* c */
	DELAY_XMIT		/* d */
};

/* Upper bounds in milliseconds, DELAY_BUCKETS - 1 of them. */
extern const int64_t	 delay_bounds_ms[DELAY_BUCKETS - 1];

/* The bucket of a delay in milliseconds (>= 0). */
int		 delay_bucket(int64_t);
/* A stage's name in the database ("total", "a" .. "d") and in the API
 * and /metrics (the exporters' "before_queue_manager" ...); -1 / NULL
 * for a name or number that is not one. */
const char	*delay_stage_key(int);
const char	*delay_stage_name(int);
int		 delay_stage_from_key(const char *);

#endif
