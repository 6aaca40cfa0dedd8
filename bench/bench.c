/* SPDX-License-Identifier: MIT */
/*
 * ptboot benchmarks (issue 7): map throughput against the store floor,
 * lookups, the bootstrap, unmap and protect.  Each workload runs RUNS times
 * in this process; just before each run the floor (the time to write the
 * same number of 8-byte entries with an unrolled store loop, or memset,
 * whichever is faster) is measured, so the ratio holds on a noisy machine.
 * Prints one machine-readable line per workload, then a table.
 *
 *   bench [--runs N] [--only NAME]     (NAME: w1, w1-1g, w2-2m, w2-1g, w3,
 *                                       w4, w5-native, w5-xen, w6-unmap, w6-protect)
 */
#include <ptboot/boot.h>
#include <ptboot/space.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "flat.h"
#include "workloads.h"

#define MAX_RESULTS 16

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The floor: n entries of computed values with an unrolled store loop, or
 * a memset of a non-zero byte over the same bytes; the faster one. */
static uint64_t *floor_buf;
static uint64_t floor_cap;
static double last_store_ms; /* the store loop alone (memset may skip the read-for-ownership) */

static double floor_ms(uint64_t n)
{
	if (n > floor_cap) {
		free(floor_buf);
		floor_buf = aligned_alloc(4096, (n * 8 + 4095) & ~4095ull);
		floor_cap = n;
		memset(floor_buf, 1, n * 8); /* fault the pages in once */
	}
	volatile uint64_t *sink = floor_buf;
	double t0 = now_ms();
	uint64_t *p = floor_buf, e = 0x8000000000000063ull;
	uint64_t i = 0;
	for (; i + 8 <= n; i += 8, e += 8 << 12) {
		p[i] = e;
		p[i + 1] = e + (1 << 12);
		p[i + 2] = e + (2 << 12);
		p[i + 3] = e + (3 << 12);
		p[i + 4] = e + (4 << 12);
		p[i + 5] = e + (5 << 12);
		p[i + 6] = e + (6 << 12);
		p[i + 7] = e + (7 << 12);
	}
	for (; i < n; i++)
		p[i] = e + ((i & 7) << 12);
	__asm__ volatile("" ::"r"(p) : "memory");
	double t1 = now_ms();
	memset(floor_buf, 0x5a, n * 8);
	__asm__ volatile("" ::"r"(p) : "memory");
	double t2 = now_ms();
	(void)sink;
	last_store_ms = t1 - t0;
	return (t1 - t0) < (t2 - t1) ? (t1 - t0) : (t2 - t1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct result {
	const char *name;
	double ratio, ours, floor;
	uint64_t tables, min_tables;
	char extra[200];
};

static void run_workload(const struct workload *w, int runs, struct flat *mem, struct result *r)
{
	double ours[64], floors[64], ratios[64], store_ratios[64];
	struct wl_out out = { 0 };
	w->run(mem, &out); /* warm-up: faults the table pages in */
	for (int i = 0; i < runs; i++) {
		floors[i] = floor_ms(out.entries ? out.entries : 1);
		double t = w->run(mem, &out);
		if (t < 0) {
			fprintf(stderr, "bench: %s failed\n", w->name);
			exit(1);
		}
		ours[i] = t;
		ratios[i] = t / floors[i];
		store_ratios[i] = t / last_store_ms;
	}
	*r = (struct result){ .name = w->name, .ours = median(ours, runs), .floor = median(floors, runs),
			      .ratio = median(ratios, runs), .tables = out.tables,
			      .min_tables = out.min_tables };
	int n = snprintf(r->extra, 40, "store_loop_ratio=%.2f", median(store_ratios, runs));
	if (out.extra[0] && n > 0)
		snprintf(r->extra + n, sizeof(r->extra) - (size_t)n, " %.159s", out.extra);
}

int main(int argc, char **argv)
{
	int runs = 5;
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: bench [--runs N] [--only NAME]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > 64)
		runs = 5;
	struct flat mem;
	/* Single workloads (bench-instr runs them under valgrind, which cannot
	 * reserve much) get memory for the table pages only. */
	int small = only && strncmp(only, "w5", 2);
	if (flat_init(&mem, small ? WL_TABLE_BASE : 0, small ? 1ull << 30 : WL_MEM_SIZE, WL_TABLE_BASE)) {
		fprintf(stderr, "bench: cannot reserve simulated memory\n");
		return 1;
	}
	struct result res[MAX_RESULTS];
	int nres = 0;
	for (const struct workload *w = workloads; w->name; w++) {
		if (only ? strcmp(only, w->name) : !w->default_on)
			continue;
		run_workload(w, only ? 1 : runs, &mem, &res[nres]);
		const struct result *r = &res[nres++];
		printf("bench: %s ratio=%.2f ours_ms=%.3f floor_ms=%.3f tables=%llu min_tables=%llu%s%s\n",
		       r->name, r->ratio, r->ours, r->floor, (unsigned long long)r->tables,
		       (unsigned long long)r->min_tables, r->extra[0] ? " " : "", r->extra);
		fflush(stdout);
	}
	if (only)
		return 0;
	printf("\n%-12s %8s %10s %10s %9s %9s  %s\n", "workload", "ratio", "ours ms", "floor ms",
	       "tables", "minimum", "notes");
	for (int i = 0; i < nres; i++)
		printf("%-12s %8.2f %10.3f %10.3f %9llu %9llu  %s\n", res[i].name, res[i].ratio, res[i].ours,
		       res[i].floor, (unsigned long long)res[i].tables,
		       (unsigned long long)res[i].min_tables, res[i].extra);
	flat_fini(&mem);
	return 0;
}
