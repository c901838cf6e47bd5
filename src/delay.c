/*
 * delay: bucket bounds and stage names of the delay histograms.
 */
#include <stddef.h>
#include <string.h>

#include "delay.h"

const int64_t delay_bounds_ms[DELAY_BUCKETS - 1] = {
	1, 10, 100, 500, 1000, 5000, 10000, 30000, 60000, 300000, 900000,
	1800000, 3600000, 14400000, 86400000, 172800000
};

static const char *const stage_keys[DELAY_STAGES] = {
	"total", "a", "b", "c", "d"
};

/* The exporters' words for Postfix's four stages (postfix_exporter's
 * "stage" label); the whole delay is ours. */
static const char *const stage_names[DELAY_STAGES] = {
	"total", "before_queue_manager", "queue_manager", "connection_setup",
	"transmission"
};

/* The first bound the delay does not exceed; past the last, +Inf. */
int
delay_bucket(int64_t ms)
{
	int	i;

	for (i = 0; i < DELAY_BUCKETS - 1; i++)
		if (ms <= delay_bounds_ms[i])
			return i;
	return DELAY_BUCKETS - 1;
}

/* A stage's column value in delay_hour. */
const char *
delay_stage_key(int s)
{
	return s >= 0 && s < DELAY_STAGES ? stage_keys[s] : NULL;
}

/* A stage as the API and /metrics name it. */
const char *
delay_stage_name(int s)
{
	return s >= 0 && s < DELAY_STAGES ? stage_names[s] : NULL;
}

/* The stage of a delay_hour.stage value, -1 if none. */
int
delay_stage_from_key(const char *k)
{
	int	i;

	for (i = 0; i < DELAY_STAGES; i++)
		if (strcmp(k, stage_keys[i]) == 0)
			return i;
	return -1;
}
