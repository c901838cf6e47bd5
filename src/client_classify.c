/*
 * client_classify: "smtptally classify", the way to test a rule.  Reads
 * one reply (the arguments, or each line of standard input), classifies
 * it with the rules files the daemon uses and prints the category, the
 * blame, the reason, the provider and the rule that matched.  Pure client
 * work: no daemon, no database.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "client.h"
#include "event.h"
#include "provider.h"
#include "reason.h"
#include "rules.h"

int	 cmd_classify(int, char **);

#define CLASSIFY_RULES_MAX	8	/* --rules given */

static void
classify_usage(FILE *f)
{
	fprintf(f,
	    "usage: smtptally classify [--rules FILE]... [--provider P | "
	    "--domain D] [--relay HOST]\n"
	    "           [--status S] [--direction out|in] [--hop H] [--json] "
	    "['REPLY' | -]\n"
	    "  REPLY as logged: '550-5.7.1 text 550 5.7.1 more', "
	    "'host mx.example.com[192.0.2.1] said: 550 ...',\n"
	    "  or a text without codes ('connect to ...: Connection "
	    "refused'); none or '-': one a line from stdin.\n"
	    "  Default rules: %s, then %s.\n",
	    RULES_LOCAL_DEFAULT, RULES_PATH_DEFAULT);
}

struct copts {
	const char	*provider, *domain, *relay;
	int		 status, direction, hop, json;
};

/* A JSON string; the texts are normalised, so valid UTF-8. */
static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < ' ')
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	putchar('"');
}

static int
one(const struct rules *rs, const struct copts *o, const char *line)
{
	struct classify_input	 in;
	struct classify_result	 res;
	char			 enh[EVENT_ENHANCED_MAX + 1];
	char			 text[REASON_MAX + 1], rule[1100];
	const char		*relay = o->relay, *r;
	size_t			 rlen = 0, n = strlen(line);
	int			 reply, p, c;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	classify_split(line, n, &reply, enh, &r, &rlen, text, sizeof text);
	if (relay == NULL)
		relay = r;
	else
		rlen = strlen(relay);
	if (o->provider != NULL)
		p = provider_from_name(o->provider);
	else
		p = provider_guess(o->domain, o->domain ? strlen(o->domain) : 0,
		    relay, relay ? rlen : 0, line, n);
	memset(&in, 0, sizeof in);
	in.provider = p;
	if (o->status >= 0)
		in.status = o->status;
	else {
		c = event_class(reply, enh, STATUS_DEFERRED);
		in.status = c == 2 ? STATUS_SENT : c == 5 ? STATUS_BOUNCED :
		    STATUS_DEFERRED;
	}
	in.direction = o->direction;
	in.kind = in.status == STATUS_EXPIRED ? KIND_FINAL : KIND_ATTEMPT;
	in.hop = o->hop;
	in.reply = reply;
	in.enhanced = enh;
	in.text = text;
	classify(rs, &in, &res);
	if (res.file != NULL)
		snprintf(rule, sizeof rule, "%s:%u", res.file, res.line);
	else
		snprintf(rule, sizeof rule, "(built in)");
	if (o->json) {
		printf("{\"category\":\"%s\",\"blame\":\"%s\",\"reason\":",
		    classify_category_name(res.category),
		    classify_blame_name(res.blame));
		json_str(res.reason);
		printf(",\"provider\":\"%s\",\"reply\":%d,\"enhanced\":",
		    provider_name(p), reply);
		json_str(enh);
		printf(",\"status\":\"%s\",\"rule\":", event_status_name(
		    in.status));
		json_str(rule);
		printf(",\"text\":");
		json_str(text);
		printf("}\n");
	} else {
		printf("category  %s\nblame     %s\nreason    %s\n"
		    "provider  %s\ncode      %d %s\nstatus    %s\n"
		    "rule      %s\ntext      ",
		    classify_category_name(res.category),
		    classify_blame_name(res.blame), res.reason,
		    provider_name(p), reply, enh[0] ? enh : "-",
		    event_status_name(in.status), rule);
		out_text(stdout, text);	/* a remote's text: escaped */
		putchar('\n');
	}
	return 0;
}

/* Entry: argv[0] is "classify". */
int
cmd_classify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "provider", required_argument, NULL, 'p' },
		{ "domain", required_argument, NULL, 'd' },
		{ "relay", required_argument, NULL, 'R' },
		{ "status", required_argument, NULL, 'S' },
		{ "direction", required_argument, NULL, 'D' },
		{ "hop", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*files[CLASSIFY_RULES_MAX];
	struct copts	 o;
	struct rules	*rs;
	char		*cause = NULL, *line = NULL, *joined;
	size_t		 cap = 0, len, i;
	int		 ch, nfiles = 0, rc = 0;

	memset(&o, 0, sizeof o);
	o.status = -1;
	o.direction = DIR_OUT;
	o.hop = HOP_REMOTE;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (nfiles == CLASSIFY_RULES_MAX) {
				fprintf(stderr, "smtptally: at most %d --rules\n",
				    CLASSIFY_RULES_MAX);
				return 2;
			}
			files[nfiles++] = optarg;
			break;
		case 'p':
			if (provider_from_name(optarg) < 0) {
				fprintf(stderr, "smtptally: --provider %s: want "
				    "one of", optarg);
				for (i = 0; i < PROVIDER_NPROVIDERS; i++)
					fprintf(stderr, " %s", provider_name(i));
				fprintf(stderr, "\n");
				return 2;
			}
			o.provider = optarg;
			break;
		case 'd':
			o.domain = optarg;
			break;
		case 'R':
			o.relay = optarg;
			break;
		case 'S':
			if ((o.status = event_status_from_name(optarg)) < 0) {
				fprintf(stderr, "smtptally: --status %s: unknown "
				    "status\n", optarg);
				return 2;
			}
			break;
		case 'D':
			if ((o.direction = event_direction_from_name(optarg)) <
			    0) {
				fprintf(stderr, "smtptally: --direction %s: want "
				    "out or in\n", optarg);
				return 2;
			}
			break;
		case 'H':
			if ((o.hop = event_hop_from_name(optarg)) < 0) {
				fprintf(stderr, "smtptally: --hop %s: unknown "
				    "hop\n", optarg);
				return 2;
			}
			break;
		case 'j':
			o.json = 1;
			break;
		case 'h':
			classify_usage(stdout);
			return 0;
		default:
			classify_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;

	if ((rs = rules_new()) == NULL) {
		perror("smtptally");
		return 1;
	}
	if (nfiles == 0) {
		if (rules_load(rs, RULES_LOCAL_DEFAULT, 1, &cause) == -1 ||
		    rules_load(rs, RULES_PATH_DEFAULT, 0, &cause) == -1)
			goto bad;
	} else
		for (ch = 0; ch < nfiles; ch++)
			if (rules_load(rs, files[ch], 0, &cause) == -1)
				goto bad;
	rules_finish(rs);

	if (argc > 0 && !(argc == 1 && strcmp(argv[0], "-") == 0)) {
		/* the words of the reply, as the shell split them */
		for (len = 0, i = 0; i < (size_t)argc; i++)
			len += strlen(argv[i]) + 1;
		if ((joined = calloc(1, len + 1)) == NULL) {
			perror("smtptally");
			rules_free(rs);
			return 1;
		}
		for (i = 0; i < (size_t)argc; i++) {
			if (i > 0)
				strcat(joined, " ");
			strcat(joined, argv[i]);
		}
		rc = one(rs, &o, joined);
		free(joined);
	} else {
		for (i = 0; getline(&line, &cap, stdin) != -1; i++) {
			if (i > 0 && !o.json)
				putchar('\n');
			one(rs, &o, line);
		}
		free(line);
	}
	rules_free(rs);
	return rc;
bad:
	fprintf(stderr, "smtptally: %s\n", cause != NULL ? cause :
	    "out of memory");
	free(cause);
	rules_free(rs);
	return 1;
}
