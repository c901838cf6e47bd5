/*
 * hook: named crash points for the exactly-once tests.
 *
 * Built only with ./configure --enable-test-hooks.  HOOK("name") counts its
 * hits; when the environment says SMTPTALLY_CRASH="name:N" the N-th hit
 * SIGKILLs the process on the spot, so a test can stop the daemon at a
 * precise point (before_commit, after_commit, mid_rotation, mid_flush).
 * Without the flag HOOK() is nothing.  Each name is used in one file only,
 * so the per-file counter is the per-name counter.
 *
 * HOOK_NOW(t) is the daemon's idea of "now": t, or with the flag and
 * SMTPTALLY_NOW=EPOCH in the environment that fixed second, so a test
 * gives year-less stamps the same year on every run.
 *
 * HOOK_SLEEP("name") sleeps when SMTPTALLY_SLEEP="name:MS" names it, so a
 * test can make one point slow (http.c names each query by its path: a
 * query of /v1/domains that takes 4 s is SMTPTALLY_SLEEP=/v1/domains:4000).
 *
 * HOOK_OFF("name") is true when SMTPTALLY_OFF=name switches that part off,
 * so a benchmark can measure the daemon with and without it on the same
 * log (bench/classify.sh: SMTPTALLY_OFF=classify).
 */
#ifndef SMTPTALLY_HOOK_H
#define SMTPTALLY_HOOK_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifdef SMTPTALLY_TEST_HOOKS
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Kill ourselves on the configured hit of the named point. */
static inline void
hook_hit(const char *name)
{
	static unsigned long	 hits;
	const char		*env, *colon;
	unsigned long		 n;
	size_t			 len;

	if ((env = getenv("SMTPTALLY_CRASH")) == NULL)
		return;
	if ((colon = strrchr(env, ':')) == NULL)
		return;
	len = (size_t)(colon - env);
	if (strlen(name) != len || strncmp(env, name, len) != 0)
		return;
	n = strtoul(colon + 1, NULL, 10);
	if (++hits == n)
		raise(SIGKILL);
}
#define HOOK(name)		hook_hit(name)

/* The fixed clock of SMTPTALLY_NOW, or t. */
static inline long long
hook_now(long long t)
{
	const char	*env;

	if ((env = getenv("SMTPTALLY_NOW")) == NULL || *env == '\0')
		return t;
	return strtoll(env, NULL, 10);
}
#define HOOK_NOW(t)		hook_now(t)

/* Sleep for the configured milliseconds at the named point. */
static inline void
hook_sleep(const char *name)
{
	struct timespec	 ts;
	const char	*env, *colon;
	unsigned long	 ms;
	size_t		 len;

	if ((env = getenv("SMTPTALLY_SLEEP")) == NULL)
		return;
	if ((colon = strrchr(env, ':')) == NULL)
		return;
	len = (size_t)(colon - env);
	if (strlen(name) != len || strncmp(env, name, len) != 0)
		return;
	ms = strtoul(colon + 1, NULL, 10);
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		continue;
}
#define HOOK_SLEEP(name)	hook_sleep(name)

/* Is the named part switched off by SMTPTALLY_OFF? */
static inline int
hook_off(const char *name)
{
	const char	*env;

	return (env = getenv("SMTPTALLY_OFF")) != NULL &&
	    strcmp(env, name) == 0;
}
#define HOOK_OFF(name)		hook_off(name)
#else
#define HOOK(name)		do { } while (0)
#define HOOK_NOW(t)		(t)
#define HOOK_SLEEP(name)	do { } while (0)
#define HOOK_OFF(name)		0
#endif

#endif
