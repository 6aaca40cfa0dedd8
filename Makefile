# SPDX-License-Identifier: MIT
# ptboot build.  `make` builds the hosted and freestanding libraries;
# `make check` runs every test suite.  Variants live in build/<variant>/.

CC      ?= gcc
CC      := $(if $(filter default,$(origin CC)),gcc,$(CC))
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
STD     := -std=gnu11
INC     := -Iinclude -Isrc
DEBUG   ?= 1

LIB_SRC := $(sort $(wildcard src/format/*.c src/space/*.c src/boot/*.c))
# backends/xen/xen.c too: tests/test_xen_backend.c runs it on the host against
# a fake hypercall transport (tests/support/xenfake.c).
SIM_SRC := $(sort $(wildcard backends/sim/*.c backends/checked/*.c backends/dump/*.c)) backends/xen/xen.c
TSUP_SRC:= $(sort $(wildcard tests/support/*.c))
TEST_SRC:= $(sort $(wildcard tests/test_*.c))
TESTS   := $(patsubst tests/%.c,%,$(TEST_SRC))

HOST_CFLAGS := $(STD) $(WARN) $(INC) -O2 -g -DPTB_DEBUG=$(DEBUG) -Ibackends/sim -Ibackends/checked -Ibackends/dump -Ibackends/xen -Itests/support
ASAN_CFLAGS := $(STD) $(WARN) $(INC) -O1 -g -DPTB_DEBUG=1 -Ibackends/sim -Ibackends/checked -Ibackends/dump -Ibackends/xen -Itests/support \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FREE_CFLAGS := $(STD) $(WARN) $(INC) -O2 -g -DPTB_DEBUG=$(DEBUG) -ffreestanding -nostdlib \
	-Wframe-larger-than=1024 -fno-pic -mno-red-zone -mgeneral-regs-only -mcmodel=kernel -fno-stack-protector \
	-fno-asynchronous-unwind-tables $(if $(filter 1,$(DEBUG)),-fsanitize=undefined -fsanitize-undefined-trap-on-error)

.PHONY: all lib deps check check-suites check-host check-asan check-free clean mutate
all: lib build/host/ptboot

# obj-rule(variant, cflags)
define variant
build/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC($(1)) $$<"; $$(CC) $(2) -MMD -MP -c $$< -o $$@
build/$(1)/libptboot.a: $$(patsubst %.c,build/$(1)/%.o,$$(LIB_SRC))
	@rm -f $$@; ar rcs $$@ $$^
build/$(1)/libptbsim.a: $$(patsubst %.c,build/$(1)/%.o,$$(SIM_SRC) $$(TSUP_SRC))
	@rm -f $$@; ar rcs $$@ $$^
build/$(1)/tests/%: build/$(1)/tests/%.o build/$(1)/libptbsim.a build/$(1)/libptboot.a
	@echo "  LD($(1)) $$@"; $$(CC) $(2) -o $$@ $$^ -lcmocka
endef

$(eval $(call variant,host,$(HOST_CFLAGS)))
$(eval $(call variant,asan,$(ASAN_CFLAGS)))
$(eval $(call variant,free,$(FREE_CFLAGS)))

lib: build/host/libptboot.a build/free/libptboot.a

# The freestanding library may need only these from its environment.
FREE_ALLOWED := memcpy memset memmove memcmp
check-free: build/free/libptboot.a
	@scripts/check-freestanding build/free/libptboot.a $(FREE_ALLOWED)
	@scripts/stack-depth 3072 $(CC) $(FREE_CFLAGS) -- $(LIB_SRC)

check-host: $(addprefix build/host/tests/,$(TESTS))
	@scripts/run-tests build/host/tests $(TESTS)

check-asan: $(addprefix build/asan/tests/,$(TESTS))
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		scripts/run-tests build/asan/tests $(TESTS)

# `make check` and `make demo` work on a fresh machine: they install what is
# missing first (scripts/setup-deps is idempotent and quiet when nothing is).
deps:
	@scripts/setup-deps

check: deps
	@$(MAKE) --no-print-directory check-suites

check-suites: check-free check-host check-asan check-cli check-core check-fuzz check-qemu check-xen check-install check-examples
	@echo "make check: all suites passed"

# ptboot against Debian's own Linux kernel booted under QEMU (TCG, about
# 1 min; not in `make check`: see tests/core/check-linux and README).
.PHONY: check-linux
check-linux: deps build/host/ptboot build/asan/ptboot
	@tests/core/check-linux build/host/ptboot build/asan/ptboot

# Mutation testing (slow, not part of check): scripts/mutate lists its
# settings, e.g. make mutate MUTATE_FILES='src/boot/*.c' MUTATE_SAMPLE=50
mutate:
	@MUTATE_FILES="$(MUTATE_FILES)" MUTATE_SAMPLE="$(MUTATE_SAMPLE)" MUTATE_SEED="$(MUTATE_SEED)" \
		MUTATE_JOBS="$(MUTATE_JOBS)" nice -n 10 scripts/mutate

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

include bench/bench.mk
include kernel/kernel.mk # before tools.mk: check-core depends on $(KERNEL_ELF)
include tools/tools.mk
include fuzz/fuzz.mk
include mk/install.mk
