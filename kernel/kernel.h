/* SPDX-License-Identifier: MIT */
/* The demo kernel's small runtime: console, traps, probes, exit. */
#ifndef PTB_KERNEL_H
#define PTB_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KBASE 0xffffffff80000000ull

void console_init(void);
extern void (*console_sink)(const char *s, size_t n);  /* serial, or Xen's console_io */
extern void (*platform_exit)(uint8_t code);            /* isa-debug-exit port, however reached */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Exception handling: every vector goes to trap_handler; a page fault while
 * a probe is armed is recorded and the probe returns 1. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};
void idt_init(void);
int probe_access(void *addr, int kind); /* 0 read, 1 write, 2 call */
extern volatile uint64_t probe_cr2, probe_error;

/* End the run: PASS (QEMU exit status 33) or FAIL (35), or halt. */
void finish(bool pass, const char *reason) __attribute__((noreturn));
extern bool halt_at_end;

/* The checks both kernels run after the bootstrap (checks.c). */
#include <ptboot/boot.h>
struct kcheck {
	struct ptb_boot *boot;
	uint64_t dm;                       /* direct map base */
	const struct ptb_mem_range *memmap;
	size_t memmap_len;
	uint64_t skip_below;               /* low memory still in use */
	const ptb_pa_t *freed;             /* boot tree pages given back */
	size_t nfreed, expect_freed;
	bool xen;
	const char *cmdline;
};
void kernel_checks(const struct kcheck *k);
/* inner wrapped in the contract checker, which is told the boot tree's
 * pages (read through boot_cfg's backend) are live tables. */
struct ptb_backend kernel_checked_backend(struct ptb_backend inner, const struct ptb_space_config *boot_cfg,
					  ptb_pa_t boot_root);
/* The four segments of this kernel image, from the linker's symbols. */
void kernel_segments(struct ptb_segment seg[4]);
bool contains(const char *hay, const char *needle);

#endif
