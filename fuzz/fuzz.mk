# SPDX-License-Identifier: MIT
# libFuzzer targets (Debian's clang), ASan+UBSan.  `make fuzz FUZZ_SECONDS=N`
# runs each for N seconds; `make check-fuzz` for a short fixed time.
FUZZ_CC := clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Iinclude -Isrc -Ibackends/sim -Ibackends/checked -Ibackends/dump -Ibackends/xen -Itests/support -Itools \
	-DPTB_DEBUG=1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_LIB := $(LIB_SRC) $(SIM_SRC) $(TSUP_SRC)
FUZZ_TARGETS := ops boot parsers cli
FUZZ_SECONDS ?= 60
FUZZ_BIN := $(addprefix build/fuzz/fuzz_,$(FUZZ_TARGETS))

build/fuzz/fuzz_ops: fuzz/fuzz_ops.c $(FUZZ_LIB)
build/fuzz/fuzz_boot: fuzz/fuzz_boot.c $(FUZZ_LIB)
build/fuzz/fuzz_parsers: fuzz/fuzz_parsers.c $(FUZZ_LIB) tools/e820.c tools/image.c tools/core_read.c
# The whole CLI but its main().
build/fuzz/fuzz_cli: fuzz/fuzz_cli.c $(FUZZ_LIB) $(filter-out tools/main.c,$(TOOL_SRC))
build/fuzz/fuzz_%:
	@mkdir -p build/fuzz
	@echo "  FUZZ $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lm

.PHONY: fuzz check-fuzz
fuzz: $(FUZZ_BIN)
	@scripts/run-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check-fuzz: $(FUZZ_BIN)
	@scripts/run-fuzz 15 $(FUZZ_TARGETS)
