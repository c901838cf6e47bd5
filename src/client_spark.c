/*
 * client_spark: two lines of printable ASCII that show a period at a
 * glance, attempts and the failure share per column.  ASCII only: they
 * must survive plain-text cron mail, where 8-bit or UTF-8 block
 * characters can be mangled by a charset conversion, a quoted-printable
 * encoder or a terminal without the glyphs.  Ten levels; a blank means
 * nothing at all, so any non-zero value shows at least a dot.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "client.h"
#include "timespec.h"

static const char spark_ramp[] = " .:-=+*#%@";

/* Attempts relative to the busiest column, on the ASCII ramp. */
static char
spark_char(double v, double max)
{
	int	 i;

	if (v <= 0 || max <= 0)
		return spark_ramp[0];
	i = 1 + (int)(v / max * 8.999);
	if (i > 9)
		i = 9;
	return spark_ramp[i];
}

/*
 * Failure shares on fixed steps rather than a straight line: a few per
 * cent of deferrals already matter to a postmaster, and a linear ramp
 * would draw them all as dots.  Steps in per cent for levels 2 to 9.
 */
static const double share_steps[] = { 1, 2, 5, 10, 20, 35, 50, 75 };

/* A failure share on the fixed steps above. */
static char
share_char(double part, double whole)
{
	double	 pc;
	int	 i;

	if (part <= 0 || whole <= 0)
		return spark_ramp[0];
	pc = part * 100.0 / whole;
	for (i = 7; i >= 0; i--)
		if (pc >= share_steps[i])
			return spark_ramp[i + 2];
	return spark_ramp[1];
}

/* Columns for [since, until): hours or days, merged to fit SPARK_MAX. */
void
spark_init(struct spark *s, int64_t since, int64_t until)
{
	static const int hours[] = { 1, 2, 3, 4, 6, 8, 12, 24 };
	size_t		 i;

	memset(s, 0, sizeof *s);
	s->end = until;
	/* The finest step whose columns, from since rounded down to a
	 * step, reach until within SPARK_MAX: hours that divide a day,
	 * then days.  So the last column holds the period's end. */
	for (i = 0; i < sizeof hours / sizeof hours[0]; i++) {
		s->step = hours[i] * 3600;
		if (until - (since - since % s->step) <= s->step * SPARK_MAX)
			break;
	}
	while (until - (since - since % s->step) > s->step * SPARK_MAX)
		s->step += 86400;
	s->start = since - since % s->step;
	s->n = (int)((until - s->start + s->step - 1) / s->step);
	if (s->n > SPARK_MAX)
		s->n = SPARK_MAX;
	if (s->n < 1)
		s->n = 1;
}

/* One bucket's count of one class ('2', '4' or '5'). */
void
spark_add(struct spark *s, int64_t at, int class, double count)
{
	int	 col;

	if (at < s->start)
		return;
	col = (int)((at - s->start) / s->step);
	if (col >= s->n)
		return;
	s->attempts[col] += count;
	if (class == '4')
		s->fail4[col] += count;
	else if (class == '5')
		s->fail5[col] += count;
}

/* Ask by=hour,class for the period and fill the columns. */
void
spark_fill(const struct opts *o, int64_t since, int64_t until,
    struct spark *s)
{
	struct target	 t;
	struct opts	 ro = *o;
	json_t		*j, *row;
	size_t		 i;
	int64_t		 at;

	spark_init(s, since, until);
	ro.since = since;
	ro.until = until;
	ro.has_since = ro.has_until = 1;
	target_init(&t, API_SUMMARY);
	target_common(&t, &ro, NULL);
	target_add(&t, "by", "hour,class");
	j = client_ask(o, &t);
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		if (timespec_parse(jtext(row, "hour"), 0, &at) == -1)
			continue;
		spark_add(s, at, jtext(row, "class")[0],
		    (double)jint(row, "count"));
	}
	json_decref(j);
}

/* Two lines: attempts (relative to the busiest bucket), failure share. */
void
spark_print(const struct opts *o, const struct spark *s, FILE *f)
{
	char		 a[SPARK_MAX + 1], fl[SPARK_MAX + 1], from[40], to[40];
	char		 rf[40], rt[40];
	double		 max = 0;
	int		 i;

	for (i = 0; i < s->n; i++)
		if (s->attempts[i] > max)
			max = s->attempts[i];
	for (i = 0; i < s->n; i++) {
		a[i] = spark_char(s->attempts[i], max);
		fl[i] = share_char(s->fail4[i] + s->fail5[i],
		    s->attempts[i]);
	}
	a[s->n] = fl[s->n] = '\0';
	timespec_format(s->start, rf, sizeof rf);
	/* The columns may run past the period's end: say where it ends. */
	timespec_format(s->start + (int64_t)s->n * s->step < s->end ?
	    s->start + (int64_t)s->n * s->step : s->end, rt, sizeof rt);
	fprintf(f, "  one column = %lld %s, from %s to %s %s\n",
	    (long long)(s->step % 86400 == 0 ? s->step / 86400 :
	    s->step / 3600), s->step % 86400 == 0 ? "day(s)" : "hour(s)",
	    show_time(o, rf, 0, from, sizeof from),
	    show_time(o, rt, 0, to, sizeof to), show_zone(o, s->start));
	fprintf(f, "  attempts  |%s|\n", a);
	fprintf(f, "  4xx+5xx   |%s|\n", fl);
	fprintf(f, "  attempts: \"%s\" from few to the busiest column\n",
	    spark_ramp + 1);
	fprintf(f, "  4xx+5xx share:  . >0%%  : 1%%  - 2%%  = 5%%  + 10%%  "
	    "* 20%%  # 35%%  %% 50%%  @ 75%%\n");
}
