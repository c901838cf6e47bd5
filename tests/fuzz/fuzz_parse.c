/*
 * fuzz_parse: libFuzzer target for the parser and the reason normaliser.
 * Each input is one line, tried under every MTA hint, as a whole line and
 * as a bare message; the event's invariants are checked on the way.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc -I. ...  (tests/fuzz/run.sh)
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "reason.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Die loudly when an invariant of struct event is broken. */
static void
check(const char *line, size_t len, const struct event *ev)
{
	char	 out[REASON_MAX + 1];
	size_t	 n;

	if (ev->reply != 0 && (ev->reply < 200 || ev->reply > 599))
		abort();
	if (strlen(ev->domain) > EVENT_DOMAIN_MAX ||
	    strlen(ev->enhanced) > EVENT_ENHANCED_MAX ||
	    strlen(ev->host) > EVENT_HOST_MAX)
		abort();
	if (ev->domain[0] == '\0')
		abort();
	if (ev->text != NULL) {
		if (ev->text < line || ev->text + ev->textlen > line + len)
			abort();
		n = reason_normalise(ev->text, ev->textlen, out, sizeof(out));
		if (n > REASON_MAX || strlen(out) != n)
			abort();
	}
	if (event_class_of(ev) < 2 || event_class_of(ev) > 5)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mta	 hints[] = { MTA_UNKNOWN, MTA_POSTFIX,
	    MTA_EXIM };
	struct parse_ctx	 ctx = { .ref_time = 1795953600,
	    .utc_offset = 3600 };
	struct event		 ev;
	char			*line;
	size_t			 i;

	/* an exact-size copy, so ASan sees any read past the end */
	if ((line = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		if (parse_line(&ctx, hints[i], line, size, &ev) == PARSE_EVENT)
			check(line, size, &ev);
		if (parse_message(&ctx, hints[i], line, size, &ev) ==
		    PARSE_EVENT)
			check(line, size, &ev);
	}
	free(line);
	return 0;
}
