/* SPDX-License-Identifier: MIT */
#include "e820.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A parsed map line; the line number stays with it for messages. */
struct e820_entry {
	struct ptb_mem_range r;
	unsigned line;
};

enum line_kind { LINE_IGNORED, LINE_RANGE, LINE_BAD };

static char message[200];

static const char *say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return message;
}

/* The first occurrence of needle in [s, end), or NULL. */
static const char *find(const char *s, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	for (; (size_t)(end - s) >= n; s++)
		if (!memcmp(s, needle, n))
			return s;
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0x" and 1 to 16 hex digits at *p; advances *p past them. */
static bool hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	if (end - s < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	uint64_t x = 0;
	int digits = 0;
	for (s += 2; s < end && hexval(*s) >= 0; s++, digits++)
		x = x << 4 | (uint64_t)hexval(*s);
	*p = s;
	*v = x;
	return digits >= 1 && digits <= 16;
}

/* Whether [s, end) is exactly word, or word followed by a blank. */
static bool word_is(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - s) >= n && !memcmp(s, word, n) && ((size_t)(end - s) == n || s[n] == ' ');
}

/* The type named by [s, end) (trimmed), 0 for none, -1 when unknown. */
static int type_named(const char *s, const char *end)
{
	static const struct { const char *name; int type; bool exact; } types[] = {
		{ "usable", PTB_MEM_RAM, true }, { "reserved", PTB_MEM_RESERVED, true },
		{ "ACPI data", PTB_MEM_ACPI, true }, { "ACPI NVS", PTB_MEM_NVS, true },
		{ "unusable", PTB_MEM_UNUSABLE, true }, { "soft reserved", PTB_MEM_RESERVED, true },
		{ "persistent", PTB_MEM_PERSISTENT, false }, /* "persistent (type 12)" */
		{ "type", PTB_MEM_RESERVED, false },         /* "type 20": unnamed, not RAM */
	};
	if (s == end)
		return 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t n = strlen(types[i].name);
		if (types[i].exact ? (size_t)(end - s) == n && !memcmp(s, types[i].name, n) :
				     word_is(s, end, types[i].name))
			return types[i].type;
	}
	return -1;
}

/* Linux's edits of the map after it printed it, and its note on the PCI gap. */
static bool is_edit(const char *s, const char *end)
{
	return find(s, end, "==>") || find(s, end, "e820: remove") || find(s, end, "available for PCI");
}

/*
 * The maps Linux prints (e820__print_table's "who" before "[mem"): the
 * firmware's first (BIOS-e820, or BIOS-e801 / BIOS-88 from old BIOSes, or
 * Xen for a PV guest or dom0), then its own later copies.
 */
static const char *const labels[] = { "BIOS-e820", "BIOS-e801", "BIOS-88", "Xen",
				      "user", "modified", "reserve setup_data" };
#define N_LABELS       (int)(sizeof(labels) / sizeof(labels[0]))
#define FIRMWARE_LABELS 4
#define BARE           N_LABELS /* "[mem ...] TYPE" with nothing but a timestamp before it */

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Whether [s, m) is empty but for blanks, a "<N>" syslog level and a "[ seconds]" timestamp. */
static bool bare_prefix(const char *s, const char *m)
{
	while (s < m && blank(*s))
		s++;
	if (s < m && *s == '<')
		for (s++; s < m && *s != '>'; s++)
			if (*s < '0' || *s > '9')
				return false;
	s += s < m && *s == '>';
	while (s < m && blank(*s))
		s++;
	if (s < m && *s == '[') {
		for (s++; s < m && *s != ']'; s++)
			if (!blank(*s) && *s != '.' && (*s < '0' || *s > '9'))
				return false;
		if (s == m)
			return false;
		s++;
	}
	while (s < m && blank(*s))
		s++;
	return s == m;
}

/* The label of a map line whose "[mem 0x" is at m: an index into labels,
 * BARE, or -1 (some other message holding a range). */
static int label_of(const char *s, const char *m)
{
	if (bare_prefix(s, m))
		return BARE;
	const char *q = m;
	while (q > s && blank(q[-1]))
		q--;
	if (q == s || q[-1] != ':')
		return -1;
	q--;
	for (int i = 0; i < N_LABELS; i++) {
		size_t n = strlen(labels[i]);
		const char *w = (size_t)(q - s) >= n ? q - n : NULL;
		if (w && !memcmp(w, labels[i], n) && (w == s || blank(w[-1]) || w[-1] == ']' || w[-1] == ':'))
			return i;
	}
	return -1;
}

enum line_class { CLASS_NOISE, CLASS_BLANK, CLASS_MAP };

/* What a line is: a line of a printed map (with its label), blank or a
 * '#' comment (which does not end a map), or anything else. */
static enum line_class classify(const char *s, const char *end, int *label)
{
	const char *t = s;
	while (t < end && blank(*t))
		t++;
	if (t == end || *t == '#')
		return CLASS_BLANK;
	const char *m = find(s, end, "[mem 0x");
	if (!m || is_edit(s, end))
		return CLASS_NOISE;
	const char *close = memchr(m, ']', (size_t)(end - m));
	if (close && memchr(m + 5, ' ', (size_t)(close - m - 5)))
		return CLASS_NOISE; /* "[mem 0x...-0x... window]" and the like */
	*label = label_of(s, m);
	return *label >= 0 ? CLASS_MAP : CLASS_NOISE;
}

static enum line_kind parse_line(const char *s, const char *end, unsigned line, struct ptb_mem_range *r,
				 const char **why)
{
	const char *m = find(s, end, "[mem 0x");
	const char *p = m + 5, *close = memchr(p, ']', (size_t)(end - p));
	uint64_t lo, hi;
	if (!close || !hex(&p, close, &lo) || p == close || *p++ != '-' || !hex(&p, close, &hi) || p != close) {
		*why = say("line %u: malformed range (want '[mem 0xSTART-0xEND] TYPE')", line);
		return LINE_BAD;
	}
	if (hi < lo || hi == UINT64_MAX) {
		*why = say("line %u: range 0x%llx-0x%llx is empty or reaches 2^64", line, (unsigned long long)lo,
			   (unsigned long long)hi);
		return LINE_BAD;
	}
	const char *t = close + 1;
	while (t < end && (*t == ' ' || *t == '\t'))
		t++;
	while (end > t && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	int type = type_named(t, end);
	if (type < 0) {
		*why = say("line %u: unknown memory type '%.*s'", line, (int)(end - t < 40 ? end - t : 40), t);
		return LINE_BAD;
	}
	*r = (struct ptb_mem_range){ lo, hi - lo + 1, (uint32_t)type };
	return type ? LINE_RANGE : LINE_IGNORED;
}

static int by_base(const void *a, const void *b)
{
	const struct e820_entry *x = a, *y = b;
	return x->r.base < y->r.base ? -1 : x->r.base > y->r.base;
}

static const char *type_word(uint32_t t)
{
	static const char *const names[] = { "?", "usable", "reserved", "ACPI data", "ACPI NVS", "unusable",
					     "?", "persistent" };
	return t < 8 ? names[t] : "?";
}

/* Sorted entries: the first overlap, described, or NULL. */
static const char *overlap(const struct e820_entry *e, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		const struct ptb_mem_range *a = &e[i - 1].r, *b = &e[i].r;
		if (b->base < a->base + a->len)
			return say("line %u [mem 0x%llx-0x%llx] %s overlaps line %u [mem 0x%llx-0x%llx] %s",
				   e[i].line, (unsigned long long)b->base, (unsigned long long)(b->base + b->len - 1),
				   type_word(b->type), e[i - 1].line, (unsigned long long)a->base,
				   (unsigned long long)(a->base + a->len - 1), type_word(a->type));
	}
	return NULL;
}

/* A run of map lines with one label: a map as Linux printed it. */
struct block {
	int label;
	const char *start, *end;     /* its text */
	unsigned first, last;        /* its line numbers */
};

/* The maps in the text, split where the label changes or another line
 * comes between: the one taken and (some of) the others. */
struct blocks {
	struct block taken, other[3];
	unsigned n, nother;
	bool have_any, have_firmware;
};

static void close_block(struct blocks *b, const struct block *k)
{
	b->n++;
	if (k->label < FIRMWARE_LABELS && !b->have_firmware) {
		if (b->have_any && b->nother < 3)
			b->other[b->nother++] = b->taken; /* a non-firmware map came first */
		b->taken = *k;
		b->have_any = b->have_firmware = true;
	} else if (!b->have_any) {
		b->taken = *k;
		b->have_any = true;
	} else if (b->nother < 3) {
		b->other[b->nother++] = *k;
	}
}

static void find_blocks(const char *text, size_t len, struct blocks *b)
{
	struct block cur = { .label = -1 };
	unsigned line = 1;
	for (const char *p = text, *end = text + len; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol ? eol : end;
		int label = -1;
		enum line_class c = classify(p, eol, &label);
		if (c == CLASS_MAP && cur.label == label) {
			cur.end = eol, cur.last = line;
		} else if (c != CLASS_BLANK) {
			if (cur.label >= 0)
				close_block(b, &cur);
			cur = (struct block){ .label = label, .start = p, .end = eol, .first = line, .last = line };
		}
		p = eol + 1;
	}
	if (cur.label >= 0)
		close_block(b, &cur);
}

/* Parse the block's map lines into e[0, cap); the count, or -1 with *why. */
static long parse_block(const struct block *k, struct e820_entry *e, size_t cap, const char **why)
{
	size_t n = 0;
	unsigned line = k->first;
	for (const char *p = k->start, *end = k->end; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol ? eol : end;
		int label;
		struct ptb_mem_range r;
		enum line_kind kind = classify(p, eol, &label) != CLASS_MAP ? LINE_IGNORED :
				      parse_line(p, eol, line, &r, why);
		if (kind == LINE_BAD)
			return -1;
		if (kind == LINE_RANGE && n == cap) {
			*why = say("line %u: more than %zu ranges", line, cap);
			return -1;
		}
		if (kind == LINE_RANGE)
			e[n++] = (struct e820_entry){ r, line };
		p = eol + 1;
	}
	return (long)n;
}

static const char *label_name(int label)
{
	return label == BARE ? "unlabelled" : labels[label];
}

static void lines(char *s, size_t len, const struct block *k)
{
	if (k->first == k->last)
		snprintf(s, len, "line %u", k->first);
	else
		snprintf(s, len, "lines %u-%u", k->first, k->last);
}

static const char *describe(const struct blocks *b, long n)
{
	static char note[300];
	char where[40];
	lines(where, sizeof(where), &b->taken);
	int len = snprintf(note, sizeof(note), "memory map: %s, %ld entries (%s)", label_name(b->taken.label), n, where);
	for (unsigned i = 0; i < b->nother && len > 0 && (size_t)len < sizeof(note); i++) {
		lines(where, sizeof(where), &b->other[i]);
		len += snprintf(note + len, sizeof(note) - (size_t)len, "%s%s (%s)", i ? ", " : "; ignored: ",
				label_name(b->other[i].label), where);
	}
	if (b->n - 1 > b->nother && len > 0 && (size_t)len < sizeof(note))
		snprintf(note + len, sizeof(note) - (size_t)len, " and %u more", b->n - 1 - b->nother);
	return note;
}

int e820_parse(const char *text, size_t len, struct ptb_mem_range *out, size_t cap, const char **taken,
	       const char **why)
{
	struct blocks b = { .n = 0 };
	find_blocks(text, len, &b);
	if (!b.have_any) {
		*why = "no memory map lines ('[mem 0xSTART-0xEND] TYPE', alone or after BIOS-e820:, Xen:, ...) found";
		return -1;
	}
	struct e820_entry *e = malloc((cap ? cap : 1) * sizeof(*e));
	if (!e) {
		*why = "out of memory";
		return -1;
	}
	long n = parse_block(&b.taken, e, cap, why);
	if (n == 0)
		*why = "no memory map lines ('[mem 0xSTART-0xEND] TYPE', alone or after BIOS-e820:, Xen:, ...) found";
	if (n > 0) {
		qsort(e, (size_t)n, sizeof(*e), by_base);
		const char *o = overlap(e, (size_t)n);
		if (o)
			*why = o;
		for (long i = 0; i < n && !o; i++)
			out[i] = e[i].r;
		n = o ? -1 : n;
	}
	free(e);
	if (n > 0 && taken)
		*taken = describe(&b, n);
	return n > 0 && n <= (long)cap ? (int)n : -1;
}
