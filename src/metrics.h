/*
 * metrics: the Prometheus text exposition of GET /metrics, read with the
 * query module's connection (query_int.h).
 */
#ifndef SMTPTALLY_METRICS_H
#define SMTPTALLY_METRICS_H

struct query;
struct query_result;

void	 metrics_run(struct query *, struct query_result *);

#endif
