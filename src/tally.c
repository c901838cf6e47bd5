/*
 * tally: bounded in-memory aggregation between commits.
 *
 * One open-addressing table (linear probing, power-of-two size, grown by
 * doubling at three quarters full) holds both kinds of key.  Domain,
 * host, reason and relay strings are interned in an arena and referred to
 * by offset, so an entry is small and fixed-size and the whole key can be
 * compared with memcmp.  Nothing is ever removed except by tally_clear.
 * Most lines of a file fall in the hour, source and result of the line
 * before, so the last line key's slot is remembered.
 *
 * Not here: SQL, files, parsing; the reason text is normalised with
 * reason_normalise() (reason.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "delay.h"
#include "parse.h"
#include "reason.h"
#include "tally.h"

enum tally_type {
	TT_EMPTY,
	TT_COUNT,
	TT_LINES,
	TT_DELAY
};

/* Every field before n is key; entries are memset to 0 before filling. */
struct tally_ent {
	int64_t		 t;		/* hour */
	int64_t		 source;
	uint32_t	 domain;	/* arena offsets */
	uint32_t	 host;
	uint32_t	 text;
	uint16_t	 reply;
	uint8_t		 type;
	uint8_t		 mta;
	uint8_t		 dir;
	uint8_t		 kind;
	uint8_t		 status;
	uint8_t		 result;
	uint8_t		 hop;
	char		 enh[EVENT_ENHANCED_MAX + 1];
	uint8_t		 cls;		/* delays: class, stage, bucket */
	uint8_t		 stage;
	uint8_t		 bucket;
	uint8_t		 pad[4];
	uint64_t	 n;
	uint32_t	 relay;		/* not key: first next hop seen */
	uint64_t	 ms;		/* not key: delays' sum */
};
#define TALLY_KEYLEN	offsetof(struct tally_ent, n)
_Static_assert(TALLY_KEYLEN % 8 == 0, "tally keys are hashed by words");

struct tally {
	size_t			 maxkeys;
	size_t			 nkeys;
	uint64_t		 nevents;
	struct tally_ent	*ents;
	size_t			 cap;		/* slots, power of two */

	char			*arena;		/* interned strings */
	size_t			 alen;
	size_t			 acap;
	uint32_t		*strs;		/* arena offsets, 0 = empty */
	size_t			 scap;
	size_t			 nstrs;
	uint32_t		 lasthost;	/* most lines share a host */
	struct tally_ent	*lastline;	/* the last line key's slot */
};

static const char *tally_line_names[] = {
	"event", "ignored", "foreign", "unrecognised", "long"
};

/* FNV-1a: fast, good enough for a table whose size we bound. */
static uint64_t
tally_hash(const void *p, size_t len)
{
	const unsigned char	*s = p;
	uint64_t		 h = 14695981039346656037ULL;

	while (len-- > 0) {
		h ^= *s++;
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

/* Hash of a whole key, a word at a time (TALLY_KEYLEN is a multiple of
 * 8 and keys are zero-filled, so padding never differs). */
static uint64_t
tally_hashkey(const struct tally_ent *k)
{
	const unsigned char	*p = (const unsigned char *)k;
	uint64_t		 h = 0x9e3779b97f4a7c15ULL, w;
	size_t			 i;

	for (i = 0; i < TALLY_KEYLEN; i += 8) {
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

/* Make an empty tally holding at most maxkeys distinct keys. */
struct tally *
tally_new(size_t maxkeys)
{
	struct tally	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->maxkeys = maxkeys == 0 ? TALLY_MAXKEYS_DEFAULT : maxkeys;
	t->cap = 1024;
	t->scap = 1024;
	t->acap = 16384;
	t->ents = calloc(t->cap, sizeof(*t->ents));
	t->strs = calloc(t->scap, sizeof(*t->strs));
	t->arena = malloc(t->acap);
	if (t->ents == NULL || t->strs == NULL || t->arena == NULL) {
		tally_free(t);
		return NULL;
	}
	t->arena[0] = '\0';	/* offset 0 means "no string" */
	t->alen = 1;
	return t;
}

/* Release everything; NULL is fine. */
void
tally_free(struct tally *t)
{
	if (t == NULL)
		return;
	free(t->ents);
	free(t->strs);
	free(t->arena);
	free(t);
}

/* Forget all keys after a commit (or a failed one); keep the memory. */
void
tally_clear(struct tally *t)
{
	memset(t->ents, 0, t->cap * sizeof(*t->ents));
	memset(t->strs, 0, t->scap * sizeof(*t->strs));
	t->nkeys = 0;
	t->nstrs = 0;
	t->nevents = 0;
	t->alen = 1;
	t->lasthost = 0;
	t->lastline = NULL;
}

/* Double the string index; the arena itself is not moved. */
static int
tally_grow_strs(struct tally *t)
{
	uint32_t	*n;
	size_t		 ncap = t->scap * 2, i, j;
	const char	*s;

	if ((n = calloc(ncap, sizeof(*n))) == NULL)
		return -1;
	for (i = 0; i < t->scap; i++) {
		if (t->strs[i] == 0)
			continue;
		s = t->arena + t->strs[i];
		j = tally_hash(s, strlen(s)) & (ncap - 1);
		while (n[j] != 0)
			j = (j + 1) & (ncap - 1);
		n[j] = t->strs[i];
	}
	free(t->strs);
	t->strs = n;
	t->scap = ncap;
	return 0;
}

/* Return the arena offset of s, adding it if new; 0 on failure. */
static uint32_t
tally_intern(struct tally *t, const char *s, size_t len)
{
	size_t		 i, need;
	uint32_t	 off;
	char		*a;

	if ((t->nstrs + 1) * 2 > t->scap && tally_grow_strs(t) == -1)
		return 0;
	i = tally_hash(s, len) & (t->scap - 1);
	while ((off = t->strs[i]) != 0) {
		if (strncmp(t->arena + off, s, len) == 0 &&
		    t->arena[off + len] == '\0')
			return off;
		i = (i + 1) & (t->scap - 1);
	}
	need = t->alen + len + 1;
	if (need > UINT32_MAX)
		return 0;
	if (need > t->acap) {
		size_t ncap = t->acap;
		while (ncap < need)
			ncap *= 2;
		if ((a = realloc(t->arena, ncap)) == NULL)
			return 0;
		t->arena = a;
		t->acap = ncap;
	}
	off = (uint32_t)t->alen;
	memcpy(t->arena + off, s, len);
	t->arena[off + len] = '\0';
	t->alen = need;
	t->strs[i] = off;
	t->nstrs++;
	return off;
}

/* Double the entry table. */
static int
tally_grow(struct tally *t)
{
	struct tally_ent	*n;
	size_t			 ncap = t->cap * 2, i, j;

	if ((n = calloc(ncap, sizeof(*n))) == NULL)
		return -1;
	for (i = 0; i < t->cap; i++) {
		if (t->ents[i].type == TT_EMPTY)
			continue;
		j = tally_hashkey(&t->ents[i]) & (ncap - 1);
		while (n[j].type != TT_EMPTY)
			j = (j + 1) & (ncap - 1);
		n[j] = t->ents[i];
	}
	free(t->ents);
	t->ents = n;
	t->cap = ncap;
	t->lastline = NULL;
	return 0;
}

/* Add n to key k, creating it; the caller checked there is room.  The
 * entry's slot, or NULL when out of memory. */
static struct tally_ent *
tally_bump(struct tally *t, struct tally_ent *k, uint64_t n)
{
	struct tally_ent	*e;
	size_t			 i;

	if ((t->nkeys + 1) * 4 > t->cap * 3 && tally_grow(t) == -1)
		return NULL;
	i = tally_hashkey(k) & (t->cap - 1);
	for (;;) {
		e = &t->ents[i];
		if (e->type == TT_EMPTY) {
			*e = *k;
			e->n = n;
			t->nkeys++;
			return e;
		}
		if (memcmp(e, k, TALLY_KEYLEN) == 0) {
			e->n += n;
			e->ms += k->ms;
			if (e->relay == 0)
				e->relay = k->relay;
			return e;
		}
		i = (i + 1) & (t->cap - 1);
	}
}

/* Copy an enhanced code into a zero-filled key field. */
static void
tally_setenh(struct tally_ent *k, const char *enh)
{
	size_t	len = strnlen(enh, EVENT_ENHANCED_MAX);

	memcpy(k->enh, enh, len);
}

/* Count one line outcome of a source in an hour. */
int
tally_add_line(struct tally *t, int64_t time, int64_t source,
    enum tally_line result)
{
	struct tally_ent	 k, *e = t->lastline;
	int64_t			 hour = time - time % 3600;

	if (e != NULL && e->t == hour && e->source == source &&
	    e->result == (uint8_t)result) {
		e->n++;
		return TALLY_OK;
	}
	if (t->nkeys + 1 > t->maxkeys)
		return TALLY_FULL;
	memset(&k, 0, sizeof(k));
	k.type = TT_LINES;
	k.t = hour;
	k.source = source;
	k.result = (uint8_t)result;
	if ((e = tally_bump(t, &k, 1)) == NULL)
		return TALLY_NOMEM;
	t->lastline = e;
	return TALLY_OK;
}

/* The delays an event adds to the histograms, in ms by stage (-1: none)
 * when ms is not NULL, and how many.  Only our deliveries (attempts to a
 * remote host or a mailbox) have them: a filter hop's delay is the
 * filter's, a discard's is no delivery's. */
static size_t
tally_delays(const struct event *ev, int64_t *ms)
{
	size_t	 n = 0;
	int	 i;
	int64_t	 v;

	if (ev->direction != DIR_OUT || ev->kind != KIND_ATTEMPT ||
	    (ev->hop != HOP_REMOTE && ev->hop != HOP_MAILBOX))
		return 0;
	for (i = 0; i < DELAY_STAGES; i++) {
		v = i == 0 ? ev->delay_ms : ev->stage_ms[i - 1];
		if (v < 0)
			v = -1;
		else
			n++;
		if (ms != NULL)
			ms[i] = v;
	}
	return n;
}

/* Count one event (and its line).  A failure's reply text is normalised
 * and becomes part of the key. */
int
tally_add(struct tally *t, const struct event *ev, int64_t source)
{
	struct tally_ent	 k;
	char			 reason[REASON_MAX + 1];
	uint32_t		 dom, host, text = 0, relay = 0;
	int64_t			 ms[DELAY_STAGES];
	int			 cls, i;
	size_t			 rlen, ndelays;

	cls = event_class_of(ev);
	/* Up to two new keys and one a delay: check before any change. */
	ndelays = tally_delays(ev, NULL);
	if (t->nkeys + 2 + ndelays > t->maxkeys)
		return TALLY_FULL;

	if ((dom = tally_intern(t, ev->domain, strlen(ev->domain))) == 0)
		return TALLY_NOMEM;
	if (t->lasthost != 0 && strcmp(t->arena + t->lasthost, ev->host) == 0)
		host = t->lasthost;
	else if ((host = tally_intern(t, ev->host, strlen(ev->host))) == 0)
		return TALLY_NOMEM;
	t->lasthost = host;
	if ((cls == 4 || cls == 5) && ev->text != NULL && ev->textlen > 0) {
		rlen = reason_normalise(ev->text, ev->textlen, reason,
		    sizeof(reason));
		if (rlen >= sizeof(reason))
			rlen = strlen(reason);
		if (rlen > 0 && (text = tally_intern(t, reason, rlen)) == 0)
			return TALLY_NOMEM;
	}
	if (ev->relay != NULL && ev->relaylen > 0 &&
	    (relay = tally_intern(t, ev->relay, ev->relaylen)) == 0)
		return TALLY_NOMEM;

	memset(&k, 0, sizeof(k));
	k.type = TT_COUNT;
	k.t = ev->time - ev->time % 3600;
	k.domain = dom;
	k.host = host;
	k.text = text;
	k.mta = (uint8_t)ev->mta;
	k.dir = (uint8_t)ev->direction;
	k.kind = (uint8_t)ev->kind;
	k.status = (uint8_t)ev->status;
	k.hop = (uint8_t)ev->hop;
	k.reply = (uint16_t)ev->reply;
	tally_setenh(&k, ev->enhanced);
	k.relay = relay;
	if (tally_bump(t, &k, 1) == NULL)
		return TALLY_NOMEM;
	if (ndelays > 0) {
		tally_delays(ev, ms);
		for (i = 0; i < DELAY_STAGES; i++) {
			if (ms[i] < 0)
				continue;
			memset(&k, 0, sizeof(k));
			k.type = TT_DELAY;
			k.t = ev->time - ev->time % 3600;
			/* the stages of all domains together: a domain's
			 * histogram is of its whole delay (the rows a
			 * domain would need five times over) */
			k.domain = i == DELAY_TOTAL ? dom : 0;
			k.cls = (uint8_t)cls;
			k.stage = (uint8_t)i;
			k.bucket = (uint8_t)delay_bucket(ms[i]);
			k.ms = (uint64_t)ms[i];
			if (tally_bump(t, &k, 1) == NULL)
				return TALLY_NOMEM;
		}
	}
	t->nevents++;
	return tally_add_line(t, ev->time, source, TALLY_LINE_EVENT);
}

/* Distinct keys held: what the bound applies to. */
size_t
tally_keys(const struct tally *t)
{
	return t->nkeys;
}

/* Events added since the last clear. */
uint64_t
tally_events(const struct tally *t)
{
	return t->nevents;
}

/* Find the next entry of a type at or after *it. */
static const struct tally_ent *
tally_next(const struct tally *t, size_t *it, enum tally_type type)
{
	while (*it < t->cap) {
		const struct tally_ent *e = &t->ents[(*it)++];
		if (e->type == type)
			return e;
	}
	return NULL;
}

/* Iterate event counts; *it starts at 0; returns 0 at the end. */
int
tally_next_count(const struct tally *t, size_t *it, struct tally_count *c)
{
	const struct tally_ent	*e;

	if ((e = tally_next(t, it, TT_COUNT)) == NULL)
		return 0;
	c->hour = e->t;
	c->domain = t->arena + e->domain;
	c->host = t->arena + e->host;
	c->mta = (enum mta)e->mta;
	c->direction = (enum direction)e->dir;
	c->kind = (enum kind)e->kind;
	c->status = (enum status)e->status;
	c->hop = (enum hop)e->hop;
	c->reply = e->reply;
	c->enhanced = e->enh;
	c->reason = t->arena + e->text;
	c->relay = t->arena + e->relay;
	c->n = e->n;
	return 1;
}

/* Iterate line counts; *it starts at 0; returns 0 at the end. */
int
tally_next_lines(const struct tally *t, size_t *it, struct tally_lines *l)
{
	const struct tally_ent	*e;

	if ((e = tally_next(t, it, TT_LINES)) == NULL)
		return 0;
	l->hour = e->t;
	l->source = e->source;
	l->result = (enum tally_line)e->result;
	l->n = e->n;
	return 1;
}

/* Iterate delay histogram deltas; *it starts at 0; returns 0 at the end. */
int
tally_next_delay(const struct tally *t, size_t *it, struct tally_delay *d)
{
	const struct tally_ent	*e;

	if ((e = tally_next(t, it, TT_DELAY)) == NULL)
		return 0;
	d->hour = e->t;
	d->domain = t->arena + e->domain;
	d->cls = e->cls;
	d->stage = e->stage;
	d->bucket = e->bucket;
	d->n = e->n;
	d->ms = e->ms;
	return 1;
}

/* The name stored in lines_hour.result. */
const char *
tally_line_name(enum tally_line r)
{
	if ((size_t)r >= sizeof(tally_line_names) / sizeof(*tally_line_names))
		return "unknown";
	return tally_line_names[r];
}
