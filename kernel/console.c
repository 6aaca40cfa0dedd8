/* SPDX-License-Identifier: MIT */
/* COM1 output and a small printf. */
#include "kernel.h"

#define COM1 0x3f8

void console_init(void)
{
	outb(COM1 + 1, 0);    /* no interrupts */
	outb(COM1 + 3, 0x80); /* divisor: 115200 baud */
	outb(COM1 + 0, 1);
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 3);    /* 8N1 */
	outb(COM1 + 2, 0xc7);
}

static void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 100000 && !(inb(COM1 + 5) & 0x20); k++)
			;
		outb(COM1, (uint8_t)s[i]);
	}
}

void (*console_sink)(const char *s, size_t n) = serial_write;

/* Characters are collected per line: under Xen each flush is a hypercall. */
static char line[160];
static size_t line_len;

static void putc_serial(char c)
{
	if (c == '\n' && line_len < sizeof(line))
		line[line_len++] = '\r';
	if (line_len < sizeof(line))
		line[line_len++] = c;
	if (c == '\n' || line_len >= sizeof(line) - 1) {
		console_sink(line, line_len);
		line_len = 0;
	}
}

static void put_num(uint64_t v, unsigned base, int width, char pad, bool neg)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width--)
		putc_serial(pad);
	while (n)
		putc_serial(buf[--n]);
}

static void vkprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putc_serial(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, longs = 0;
		if (*++fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		switch (*fmt) {
		case 'd': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(v < 0 ? (uint64_t)-v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u': put_num(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad, false); break;
		case 'x': put_num(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, false); break;
		case 'p': put_num((uint64_t)va_arg(ap, void *), 16, width, pad, false); break;
		case 'c': putc_serial((char)va_arg(ap, int)); break;
		case 's': for (const char *s = va_arg(ap, const char *); *s; s++) putc_serial(*s); break;
		default: putc_serial(*fmt); break;
		}
	}
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
}
