/* SPDX-License-Identifier: MIT */
#include "e820.h"
#include <stdlib.h>
#include <string.h>

static const char *find(const char *s, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	for (; s + n <= end; s++)
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

/* "0x" hex digits; advances *p; false if none or overflow. */
static bool hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	if (end - s < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	s += 2;
	uint64_t x = 0;
	int digits = 0;
	for (int d; s < end && (d = hexval(*s)) >= 0; s++, digits++) {
		if (x >> 60)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*p = s;
	*v = x;
	return digits > 0;
}

static int type_of(const char *s, const char *end)
{
	static const struct { const char *name; int type; } types[] = {
		{ "usable", PTB_MEM_RAM }, { "reserved", PTB_MEM_RESERVED }, { "ACPI data", PTB_MEM_ACPI },
		{ "ACPI NVS", PTB_MEM_NVS }, { "unusable", PTB_MEM_UNUSABLE }, { "persistent", PTB_MEM_PERSISTENT },
	};
	while (s < end && *s == ' ')
		s++;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t n = strlen(types[i].name);
		if ((size_t)(end - s) >= n && !memcmp(s, types[i].name, n))
			return types[i].type;
	}
	return -1;
}

static int cmp_base(const void *a, const void *b)
{
	const struct ptb_mem_range *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base;
}

int e820_parse(const char *text, size_t len, struct ptb_mem_range *out, size_t cap, const char **why)
{
	size_t n = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *m = find(p, eol, "[mem ");
		if (m) {
			const char *s = m + 5;
			uint64_t lo, hi;
			if (!hex(&s, eol, &lo) || s >= eol || *s++ != '-' || !hex(&s, eol, &hi) || s >= eol || *s++ != ']') {
				*why = "malformed [mem 0xSTART-0xEND] range";
				return -1;
			}
			int type = type_of(s, eol);
			if (type < 0) {
				*why = "unknown memory type";
				return -1;
			}
			if (hi < lo || hi == UINT64_MAX) {
				*why = "range ends before it starts";
				return -1;
			}
			if (n == cap) {
				*why = "too many ranges";
				return -1;
			}
			out[n++] = (struct ptb_mem_range){ lo, hi - lo + 1, (uint32_t)type };
		}
		p = eol + 1;
	}
	if (!n) {
		*why = "no [mem ...] lines";
		return -1;
	}
	qsort(out, n, sizeof(*out), cmp_base);
	for (size_t i = 1; i < n; i++)
		if (out[i].base < out[i - 1].base + out[i - 1].len) {
			*why = "overlapping ranges";
			return -1;
		}
	return (int)n;
}
