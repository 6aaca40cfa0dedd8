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

/* Linux's edits of the map after it printed it. */
static bool is_edit(const char *s, const char *end)
{
	return find(s, end, "==>") || find(s, end, "e820: remove");
}

static enum line_kind parse_line(const char *s, const char *end, unsigned line, struct ptb_mem_range *r,
				 const char **why)
{
	const char *m = find(s, end, "[mem 0x");
	if (!m || is_edit(s, end))
		return LINE_IGNORED;
	const char *p = m + 5, *close = memchr(p, ']', (size_t)(end - p));
	if (close && memchr(p, ' ', (size_t)(close - p)))
		return LINE_IGNORED; /* "[mem 0x...-0x... window]" and the like */
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

/* Parse every line into e[0, cap); the count, or -1 with *why. */
static long parse_lines(const char *text, size_t len, struct e820_entry *e, size_t cap, const char **why)
{
	size_t n = 0;
	unsigned line = 1;
	for (const char *p = text, *end = text + len; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol ? eol : end;
		struct ptb_mem_range r;
		enum line_kind k = parse_line(p, eol, line, &r, why);
		if (k == LINE_BAD)
			return -1;
		if (k == LINE_RANGE && n == cap) {
			*why = say("line %u: more than %zu ranges", line, cap);
			return -1;
		}
		if (k == LINE_RANGE)
			e[n++] = (struct e820_entry){ r, line };
		p = eol + 1;
	}
	return (long)n;
}

int e820_parse(const char *text, size_t len, struct ptb_mem_range *out, size_t cap, const char **why)
{
	struct e820_entry *e = malloc((cap ? cap : 1) * sizeof(*e));
	if (!e) {
		*why = "out of memory";
		return -1;
	}
	long n = parse_lines(text, len, e, cap, why);
	if (n == 0)
		*why = "no memory map lines ('[mem 0xSTART-0xEND] TYPE') found";
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
	return n > 0 && n <= (long)cap ? (int)n : -1;
}
