# SPDX-License-Identifier: MIT
# The ptboot command-line simulator (hosted), and its tests.
TOOL_SRC := $(sort $(wildcard tools/*.c))

build/host/ptboot: $(patsubst %.c,build/host/%.o,$(TOOL_SRC)) build/host/libptbsim.a build/host/libptboot.a
	@echo "  LD(host) $@"; $(CC) $(HOST_CFLAGS) -o $@ $^ -lm

# The same tool under ASan+UBSan: check-cli runs its tests on both.
build/asan/ptboot: $(patsubst %.c,build/asan/%.o,$(TOOL_SRC)) build/asan/libptbsim.a build/asan/libptboot.a
	@echo "  LD(asan) $@"; $(CC) $(ASAN_CFLAGS) -o $@ $^ -lm

.PHONY: tool check-cli demo-cli
tool: build/host/ptboot

check-cli: build/host/ptboot build/asan/ptboot
	@tests/cli/check-cli build/host/ptboot
	@ASAN_OPTIONS=detect_leaks=1 tests/cli/check-cli build/asan/ptboot

# The simulator's example (make demo boots the demo kernels).
demo-cli: build/host/ptboot
	@build/host/ptboot boot --ram 4G --dump --stats

# ptboot dump|query|check --core on real dumps of the demo kernel (cached in .cache/dumps).
.PHONY: check-core
check-core: build/host/ptboot build/asan/ptboot $(KERNEL_ELF)
	@tests/core/check-core build/host/ptboot $(KERNEL_ELF)
	@ASAN_OPTIONS=detect_leaks=1 tests/core/check-core build/asan/ptboot $(KERNEL_ELF)
