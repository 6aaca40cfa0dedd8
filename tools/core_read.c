/* SPDX-License-Identifier: MIT */
/* ELF cores and raw memory files (see core_read.h). */
#include "core_read.h"
#include <stdlib.h>
#include <string.h>

/* ELF64 layout facts (the System V gABI), little-endian only. */
#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define SHDR_SIZE 64
#define ET_CORE 4
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_NOTE 4
#define PN_XNUM 0xffff

/* QEMU's QEMUCPUState (target/i386/arch_dump.c), version 1: offsets. */
#define QEMU_NOTE_TYPE 0
#define QS_MIN_SIZE 432      /* through cr[4]; kernel_gs_base may follow */
#define QS_RIP 136
#define QS_CS_FLAGS 160      /* cs at 152: selector, limit, flags, pad, base */
#define QS_GDT_BASE 360
#define QS_IDT_BASE 384
#define QS_CR 392

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* [off, off + n) lies inside a buffer of len bytes. */
static bool inside(uint64_t off, uint64_t n, size_t len)
{
	return off <= len && n <= len - off;
}

static ptb_err_t bad(struct core *c, const char **why, const char *what)
{
	core_free(c);
	*why = what;
	return PTB_E_IMAGE;
}

bool core_is_elf(const uint8_t *buf, size_t len)
{
	return len >= 4 && !memcmp(buf, "\177ELF", 4);
}

static int cmp_seg(const void *a, const void *b)
{
	const struct ptb_dump_seg *x = a, *y = b;
	if (x->pa != y->pa)
		return x->pa < y->pa ? -1 : 1;
	return x->len > y->len ? -1 : x->len < y->len; /* longest first */
}

/* Sort; drop segments contained in another (a vmcore maps the kernel text
 * twice), refuse partial overlaps. */
static const char *normalise(struct core *c)
{
	qsort(c->seg, c->nseg, sizeof(c->seg[0]), cmp_seg);
	size_t n = 0;
	for (size_t i = 0; i < c->nseg; i++) {
		struct ptb_dump_seg *s = &c->seg[i];
		if (n) {
			const struct ptb_dump_seg *p = &c->seg[n - 1];
			uint64_t pend = p->pa + p->len;
			if (s->pa < pend && s->pa + s->len <= pend)
				continue;
			if (s->pa < pend)
				return "PT_LOAD segments overlap in physical memory";
		}
		c->seg[n++] = *s;
	}
	c->nseg = n;
	c->bytes = 0;
	for (size_t i = 0; i < n; i++)
		c->bytes += c->seg[i].len;
	return NULL;
}

/* Segment data must be 8-byte aligned for table_ptr: copy when it is not. */
static bool add_seg(struct core *c, uint64_t pa, const uint8_t *data, uint64_t len)
{
	if ((uintptr_t)data & 7) {
		uint8_t *copy = malloc(len);
		if (!copy)
			return false;
		memcpy(copy, data, len);
		c->copies[c->ncopies++] = copy;
		data = copy;
	}
	c->seg[c->nseg++] = (struct ptb_dump_seg){ pa, len, data };
	return true;
}

static void add_cpu(struct core *c, const uint8_t *d)
{
	struct core_cpu *p = &c->cpu[c->ncpu++];
	p->rip = get(d + QS_RIP, 8);
	p->cs_flags = (uint32_t)get(d + QS_CS_FLAGS, 4);
	p->gdt_base = get(d + QS_GDT_BASE, 8);
	p->idt_base = get(d + QS_IDT_BASE, 8);
	p->cr0 = get(d + QS_CR, 8);
	p->cr3 = get(d + QS_CR + 24, 8);
	p->cr4 = get(d + QS_CR + 32, 8);
}

/* The notes of one PT_NOTE segment: QEMU's CPU states, in order. */
static const char *read_notes(struct core *c, const uint8_t *p, uint64_t len)
{
	uint64_t off = 0;
	while (len - off >= 12) {
		uint64_t namesz = get(p + off, 4), descsz = get(p + off + 4, 4), type = get(p + off + 8, 4);
		uint64_t name_at = off + 12, desc_at = name_at + ((namesz + 3) & ~3ull);
		uint64_t next = desc_at + ((descsz + 3) & ~3ull);
		if (next > len)
			return "a note runs past its PT_NOTE segment";
		const uint8_t *d = p + desc_at;
		if (namesz == 5 && !memcmp(p + name_at, "QEMU", 5) && type == QEMU_NOTE_TYPE) {
			if (descsz < QS_MIN_SIZE || get(d, 4) != 1 || get(d + 4, 4) < QS_MIN_SIZE ||
			    get(d + 4, 4) > descsz)
				return "a QEMU CPU-state note has an unknown version or size";
			if (c->ncpu == CORE_MAX_CPUS)
				return "more than 1024 CPU-state notes";
			add_cpu(c, d);
		}
		off = next;
	}
	return NULL;
}

/* e_phnum, or with PN_XNUM the count held in section header 0. */
static bool phnum_of(const uint8_t *buf, size_t len, uint64_t *phnum)
{
	*phnum = get(buf + 56, 2);
	if (*phnum != PN_XNUM)
		return true;
	uint64_t shoff = get(buf + 40, 8);
	if (get(buf + 58, 2) != SHDR_SIZE || !inside(shoff, SHDR_SIZE, len))
		return false;
	*phnum = get(buf + shoff + 44, 4); /* sh_info */
	return true;
}

static const char *check_header(const uint8_t *buf, size_t len, uint64_t *phoff, uint64_t *phnum)
{
	if (len < EHDR_SIZE || !core_is_elf(buf, len))
		return "not an ELF file (truncated header or bad magic)";
	if (buf[4] != 2)
		return "not a 64-bit ELF core (EI_CLASS): only x86-64 cores are read";
	if (buf[5] != 1)
		return "not a little-endian ELF core (EI_DATA): only x86-64 cores are read";
	if (get(buf + 18, 2) != EM_X86_64)
		return "a core of another architecture (e_machine is not EM_X86_64)";
	if (get(buf + 16, 2) != ET_CORE)
		return "not a core file (e_type is not ET_CORE)";
	*phoff = get(buf + 32, 8);
	if (get(buf + 54, 2) != PHDR_SIZE || !phnum_of(buf, len, phnum))
		return "bad program header size or count";
	if (*phnum == 0 || *phnum > CORE_MAX_SEGS)
		return "no program headers, or more than 4096";
	if (!inside(*phoff, *phnum * PHDR_SIZE, len))
		return "program headers run past the end of the file (truncated core?)";
	return NULL;
}

static const char *read_phdrs(struct core *c, const uint8_t *buf, size_t len, uint64_t phoff,
			      uint64_t phnum)
{
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + i * PHDR_SIZE;
		uint64_t type = get(ph, 4), off = get(ph + 8, 8), pa = get(ph + 24, 8);
		uint64_t filesz = get(ph + 32, 8), memsz = get(ph + 40, 8);
		if (type != PT_LOAD && type != PT_NOTE)
			continue;
		if (!inside(off, filesz, len))
			return "a segment runs past the end of the file (truncated core?)";
		const char *err = NULL;
		if (type == PT_NOTE)
			err = read_notes(c, buf + off, filesz);
		else if (filesz > memsz)
			err = "a PT_LOAD segment has p_filesz > p_memsz";
		else if (pa + filesz < pa)
			err = "a PT_LOAD segment wraps the physical address space";
		else if (filesz && !add_seg(c, pa, buf + off, filesz))
			err = "out of memory";
		if (err)
			return err;
	}
	return NULL;
}

ptb_err_t core_read_elf(struct core *c, const uint8_t *buf, size_t len, const char **why)
{
	uint64_t phoff, phnum;
	memset(c, 0, sizeof(*c));
	const char *err = check_header(buf, len, &phoff, &phnum);
	if (err)
		return bad(c, why, err);
	c->seg = calloc(phnum, sizeof(*c->seg));
	c->copies = calloc(phnum, sizeof(*c->copies));
	c->cpu = calloc(CORE_MAX_CPUS, sizeof(*c->cpu));
	if (!c->seg || !c->copies || !c->cpu) {
		core_free(c);
		*why = "out of memory";
		return PTB_E_NOMEM;
	}
	err = read_phdrs(c, buf, len, phoff, phnum);
	if (!err)
		err = c->nseg ? normalise(c) : "no PT_LOAD segment with memory in it";
	return err ? bad(c, why, err) : PTB_OK;
}

ptb_err_t core_read_raw(struct core *c, const uint8_t *buf, size_t len, uint64_t phys_base,
			const char **why)
{
	memset(c, 0, sizeof(*c));
	if (phys_base & (PTB_PAGE_SIZE - 1))
		return bad(c, why, "--phys-base is not page aligned");
	if (len == 0 || phys_base + len < phys_base)
		return bad(c, why, "the raw file is empty, or wraps the physical address space");
	c->seg = calloc(1, sizeof(*c->seg));
	c->copies = calloc(1, sizeof(*c->copies));
	if (!c->seg || !c->copies || !add_seg(c, phys_base, buf, len)) {
		core_free(c);
		*why = "out of memory";
		return PTB_E_NOMEM;
	}
	c->bytes = len;
	return PTB_OK;
}

void core_free(struct core *c)
{
	for (size_t i = 0; c->copies && i < c->ncopies; i++)
		free(c->copies[i]);
	free(c->copies);
	free(c->seg);
	free(c->cpu);
	memset(c, 0, sizeof(*c));
}
