# SPDX-License-Identifier: MIT
# The demo kernel: one freestanding ELF, booted by QEMU through the PVH entry.
KERNEL_CFLAGS := $(FREE_CFLAGS) -Ibackends/native -Ibackends/xen -Ibackends/checked -Ikernel -fno-pie
KERNEL_C := $(sort $(wildcard kernel/*.c)) backends/native/native.c backends/xen/xen.c backends/checked/checked.c
KERNEL_S := $(sort $(wildcard kernel/*.S))
KERNEL_OBJ := $(patsubst %.c,build/kernel/%.o,$(KERNEL_C)) $(patsubst %.S,build/kernel/%.o,$(KERNEL_S))
KERNEL_ELF := build/kernel/ptboot-demo.elf

build/kernel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC(kernel) $<"; $(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@
build/kernel/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS(kernel) $<"; $(CC) -c $< -o $@

$(KERNEL_ELF): $(KERNEL_OBJ) build/free/libptboot.a kernel/kernel.ld
	@echo "  LD(kernel) $@"; ld -nostdlib -static -z max-page-size=4096 --no-warn-rwx-segments -T kernel/kernel.ld -o $@ $(KERNEL_OBJ) build/free/libptboot.a

.PHONY: kernel check-qemu check-xen demo demo-boot
kernel: $(KERNEL_ELF)

check-qemu: $(KERNEL_ELF)
	@scripts/check-qemu $(KERNEL_ELF)

check-xen: $(KERNEL_ELF)
	@scripts/check-xen $(KERNEL_ELF)

demo: deps
	@$(MAKE) --no-print-directory demo-boot

demo-boot: $(KERNEL_ELF)
	@scripts/boot-native $(KERNEL_ELF) demo -m 4G -cpu max --show
	@scripts/boot-xen $(KERNEL_ELF) demo 512M 1024 --show | grep -av '^(XEN)'
