/* SPDX-License-Identifier: MIT */
/* The IDT and the trap handler (page faults feed the probes). */
#include "kernel.h"

struct idt_entry {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_entry idt[32];
extern const uint64_t isr_table[32];
extern char probe_resume[];
volatile uint8_t probe_armed;
volatile uint64_t probe_rsp, probe_cr2, probe_error;

void idt_init(void)
{
	for (int v = 0; v < 32; v++) {
		uint64_t a = isr_table[v];
		idt[v] = (struct idt_entry){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

void trap_handler(struct trap_frame *f);
void trap_handler(struct trap_frame *f)
{
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	if (f->vector == 14 && probe_armed) {
		probe_cr2 = cr2;
		probe_error = f->error;
		f->rip = (uint64_t)probe_resume;
		f->rsp = probe_rsp;
		return;
	}
	kprintf("\nunexpected exception %lu error %lx rip %lx cr2 %lx rsp %lx\n", f->vector, f->error, f->rip,
		cr2, f->rsp);
	finish(false, "unexpected exception");
}
