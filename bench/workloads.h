/* SPDX-License-Identifier: MIT */
#ifndef PTB_BENCH_WORKLOADS_H
#define PTB_BENCH_WORKLOADS_H

#include <stdint.h>
#include "flat.h"

#define WL_TABLE_BASE (68ull << 30) /* table pages live above every mapped pa */
#define WL_MEM_SIZE (72ull << 30)   /* sparse; small enough for valgrind */

struct wl_out {
	uint64_t entries;      /* entries written: what the floor writes */
	uint64_t tables, min_tables;
	char extra[160];       /* more key=value pairs */
};

struct workload {
	const char *name;
	int default_on;
	double (*run)(struct flat *mem, struct wl_out *out); /* ms, < 0 on failure */
};

extern const struct workload workloads[];

#endif
