# SPDX-License-Identifier: MIT
# make bench: the real (non-debug) configuration at -O2, loops aligned so
# that code placement does not move the figures (see docs/performance.md).
BENCH_CFLAGS := $(STD) $(WARN) $(INC) -O2 -g -DPTB_DEBUG=0 -falign-loops=64 -Ibackends/sim
$(eval $(call variant,bench,$(BENCH_CFLAGS)))
BENCH_SRC := $(sort $(wildcard bench/*.c backends/sim/*.c))

build/bench/ptboot-bench: $(patsubst %.c,build/bench/%.o,$(BENCH_SRC)) build/bench/libptboot.a
	@echo "  LD(bench) $@"; $(CC) $(BENCH_CFLAGS) -o $@ $^

.PHONY: bench bench-instr
bench: build/bench/ptboot-bench
	build/bench/ptboot-bench

bench-instr: build/bench/ptboot-bench
	@scripts/bench-instr build/bench/ptboot-bench
