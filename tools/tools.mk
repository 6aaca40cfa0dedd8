# SPDX-License-Identifier: MIT
# The ptboot command-line simulator (hosted), and its tests.
TOOL_SRC := $(sort $(wildcard tools/*.c))

build/host/ptboot: $(patsubst %.c,build/host/%.o,$(TOOL_SRC)) build/host/libptbsim.a build/host/libptboot.a
	@echo "  LD(host) $@"; $(CC) $(HOST_CFLAGS) -o $@ $^ -lm

.PHONY: tool check-cli demo
tool: build/host/ptboot

check-cli: build/host/ptboot
	@scripts/check-cli build/host/ptboot
