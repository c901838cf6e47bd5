/*
 * check_event: the shared vocabulary.  Every name parses back to its
 * value, the stored numeric values never move (they are in databases),
 * and the class rule follows DESIGN.md: the reply's first digit, else the
 * enhanced code's, else the status.
 */
#include <check.h>
#include <stdlib.h>

#include "event.h"

/* The values are written to the outcome table: renumbering one would
 * change the meaning of every database.  Fixed here by hand. */
START_TEST(values_fixed)
{
	ck_assert_int_eq(MTA_POSTFIX, 1);
	ck_assert_int_eq(MTA_EXIM, 2);
	ck_assert_int_eq(DIR_IN, 1);
	ck_assert_int_eq(KIND_VERIFY, 3);
	ck_assert_int_eq(STATUS_REJECTED, 4);
	ck_assert_int_eq(STATUS_UNDELIVERABLE, 6);
	ck_assert_int_eq(HOP_DISCARD, 3);
}
END_TEST

START_TEST(names_round_trip)
{
	int	i;

	for (i = MTA_POSTFIX; i <= MTA_EXIM; i++)
		ck_assert_int_eq(event_mta_from_name(event_mta_name(i)), i);
	for (i = DIR_OUT; i <= DIR_IN; i++)
		ck_assert_int_eq(event_direction_from_name(
		    event_direction_name(i)), i);
	for (i = KIND_ATTEMPT; i <= KIND_VERIFY; i++)
		ck_assert_int_eq(event_kind_from_name(event_kind_name(i)), i);
	for (i = STATUS_SENT; i <= STATUS_UNDELIVERABLE; i++)
		ck_assert_int_eq(event_status_from_name(event_status_name(i)),
		    i);
	for (i = HOP_REMOTE; i <= HOP_DISCARD; i++)
		ck_assert_int_eq(event_hop_from_name(event_hop_name(i)), i);
	ck_assert_int_eq(event_mta_from_name("auto"), -1);
	ck_assert_int_eq(event_status_from_name("Sent"), -1);
	ck_assert_int_eq(event_kind_from_name(NULL), -1);
	ck_assert_str_eq(event_status_name((enum status)99), "unknown");
}
END_TEST

/* The class rule, case by case (DESIGN.md "What one event is"). */
static const struct {
	int		 reply;
	const char	*enhanced;
	enum status	 status;
	int		 class;
} classes[] = {
	{ 250, "2.0.0", STATUS_SENT, 2 },
	{ 421, "", STATUS_DEFERRED, 4 },
	{ 550, "4.7.1", STATUS_BOUNCED, 5 },	/* the reply wins */
	{ 0, "4.4.1", STATUS_DEFERRED, 4 },	/* could not connect */
	{ 0, "5.1.1", STATUS_BOUNCED, 5 },
	{ 0, "", STATUS_SENT, 2 },		/* local delivery */
	{ 0, "", STATUS_DELIVERABLE, 2 },
	{ 0, "", STATUS_DEFERRED, 4 },
	{ 0, "", STATUS_EXPIRED, 5 },
	{ 0, "", STATUS_REJECTED, 5 },
	{ 0, "x.1.1", STATUS_DEFERRED, 4 },	/* not a code: the status */
};

START_TEST(class_rule)
{
	ck_assert_int_eq(event_class(classes[_i].reply, classes[_i].enhanced,
	    classes[_i].status), classes[_i].class);
}
END_TEST

START_TEST(outcome_split)
{
	ck_assert_int_eq(event_outcome(STATUS_SENT), OUTCOME_SENT);
	ck_assert_int_eq(event_outcome(STATUS_DEFERRED), OUTCOME_DEFERRED);
	ck_assert_int_eq(event_outcome(STATUS_BOUNCED), OUTCOME_BOUNCED);
	ck_assert_int_eq(event_outcome(STATUS_REJECTED), OUTCOME_BOUNCED);
	ck_assert_int_eq(event_outcome(STATUS_EXPIRED), OUTCOME_OTHER);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("event");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, values_fixed);
	tcase_add_test(tc, names_round_trip);
	tcase_add_loop_test(tc, class_rule, 0,
	    sizeof classes / sizeof classes[0]);
	tcase_add_test(tc, outcome_split);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
