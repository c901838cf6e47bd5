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
#include "parse_tz.h"
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
	if ((int)ev->hop < HOP_REMOTE || (int)ev->hop > HOP_DISCARD)
		abort();
	if (ev->relay != NULL && (ev->relay < line ||
	    ev->relay + ev->relaylen > line + len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mta	 hints[] = { MTA_UNKNOWN, MTA_POSTFIX,
	    MTA_EXIM };
	static struct parse_tz	 tz;
	static struct parse_hops hops;
	static int		 init;
	struct parse_ctx	 ctx = { .ref_time = 1795953600,
	    .utc_offset = 3600 };
	struct event		 ev;
	char			*line, why[256];
	size_t			 i;
	int			 pass;

	if (!init) {
		/* the second pass: a zone with changes, named filter relays */
		if (parse_tz_load(&tz, "Europe/Berlin", why, sizeof(why)) == -1)
			parse_tz_fixed(&tz, 3600);
		hops.loopback = 1;
		(void)parse_hops_add(&hops, "127.0.0.1:10024");
		(void)parse_hops_add(&hops, "[::1]:10024");
		(void)parse_hops_add(&hops, "scanner.example.net");
		init = 1;
	}

	/* an exact-size copy, so ASan sees any read past the end */
	if ((line = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
			if (parse_line(&ctx, hints[i], line, size, &ev) ==
			    PARSE_EVENT)
				check(line, size, &ev);
			if (parse_message(&ctx, hints[i], line, size, &ev) ==
			    PARSE_EVENT)
				check(line, size, &ev);
		}
		ctx.tz = &tz;
		ctx.hops = &hops;
		ctx.last_time = 1792890000;	/* in Berlin's repeated hour */
	}
	free(line);
	return 0;
}
