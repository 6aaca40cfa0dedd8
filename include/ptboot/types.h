/* SPDX-License-Identifier: MIT */
/*
 * ptboot basic types: addresses, frames, levels, attributes, error codes.
 *
 * Terminology, used everywhere in ptboot:
 *   pa     a (guest-)physical address: what the kernel's memory map lists.
 *   pfn    pa >> 12.
 *   frame  the page number an entry stores.  Natively frame == pfn; under
 *          Xen PV it is the machine frame (mfn), found through the p2m.
 *   va     a virtual address.
 *   level  1 = the table of 4 KiB entries (PT), 2 = PD, 3 = PDPT,
 *          4 = PML4, 5 = PML5.  A "level-N table" holds level-N entries;
 *          a leaf at level N maps a page of 1 << shift(N) bytes.  The root
 *          of a format with L levels is a level-L table.
 */
#ifndef PTBOOT_TYPES_H
#define PTBOOT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTB_MUST_CHECK __attribute__((warn_unused_result))

#define PTB_PAGE_SHIFT 12
#define PTB_PAGE_SIZE  4096ull
#define PTB_MAX_LEVELS 5

/* Distinct types so that a pa can never be passed where a va is expected. */
typedef struct ptb_pa    { uint64_t raw; } ptb_pa_t;
typedef struct ptb_va    { uint64_t raw; } ptb_va_t;
typedef struct ptb_frame { uint64_t raw; } ptb_frame_t;

static inline ptb_pa_t ptb_pa(uint64_t raw) { return (ptb_pa_t){ raw }; }
static inline ptb_va_t ptb_va(uint64_t raw) { return (ptb_va_t){ raw }; }
static inline ptb_frame_t ptb_frame(uint64_t raw) { return (ptb_frame_t){ raw }; }
static inline uint64_t ptb_pa_to_pfn(ptb_pa_t pa) { return pa.raw >> PTB_PAGE_SHIFT; }
static inline ptb_pa_t ptb_pfn_to_pa(uint64_t pfn) { return ptb_pa(pfn << PTB_PAGE_SHIFT); }

/*
 * Error codes.  0 is success; every fallible function returns one of these.
 * The policy: a caller's bad input is refused with a code before anything
 * changes; resources (out of memory) and platform refusals are codes too,
 * and the operation is undone (see each function's "On error").
 */
typedef enum ptb_err {
	PTB_OK = 0,
	PTB_E_INVAL,      /* invalid argument (NULL, zero length, bad level, ...) */
	PTB_E_ALIGN,      /* va, pa or length not aligned to the page size */
	PTB_E_NONCANON,   /* va not canonical for the format */
	PTB_E_RANGE,      /* range wraps, or va/pa beyond the format's width */
	PTB_E_ATTR,       /* unknown attribute bits or unsupported cache type */
	PTB_E_WX,         /* writable and executable while W^X is enforced */
	PTB_E_CONFLICT,   /* an existing mapping or table is in the way */
	PTB_E_NOMEM,      /* the backend had no table page to give */
	PTB_E_REFUSED,    /* the platform (hook) refused the operation */
	PTB_E_NOTMAPPED,  /* nothing is mapped at the address */
	PTB_E_RESERVED,   /* va lies in root slots the space does not own: the
			     platform's (Xen 256-271) or imported from another space */
	PTB_E_NOTTABLE,   /* the page given as a table is not a valid table */
	PTB_E_MEMMAP,     /* malformed memory map (overlap, unsorted, ...) */
	PTB_E_IMAGE,      /* malformed table image */
	PTB_E_COUNT_
} ptb_err_t;

/* A short, constant description of an error code; never NULL. */
const char *ptb_strerror(ptb_err_t err);

/*
 * Attributes of a mapping, portable across formats.  Read access is implied
 * by every mapping.  Bits not listed here are refused with PTB_E_ATTR.
 */
typedef uint32_t ptb_attr_t;
#define PTB_ATTR_WRITE   (1u << 0)  /* writable */
#define PTB_ATTR_EXEC    (1u << 1)  /* executable (else NX where NX is usable) */
#define PTB_ATTR_USER    (1u << 2)  /* user accessible */
#define PTB_ATTR_GLOBAL  (1u << 3)  /* global (survives CR3 reloads) */
#define PTB_ATTR_CACHE_SHIFT 4      /* cache type, 3 bits, see enum ptb_cache */
#define PTB_ATTR_CACHE_MASK  (7u << PTB_ATTR_CACHE_SHIFT)
#define PTB_ATTR_KNOWN   (PTB_ATTR_WRITE | PTB_ATTR_EXEC | PTB_ATTR_USER | \
			  PTB_ATTR_GLOBAL | PTB_ATTR_CACHE_MASK)

/* Cache types, selected through the PAT index of the entry. */
enum ptb_cache {
	PTB_CACHE_WB = 0,
	PTB_CACHE_WT = 1,
	PTB_CACHE_UC_MINUS = 2,
	PTB_CACHE_UC = 3,
	PTB_CACHE_WC = 4,
	PTB_CACHE_WP = 5,
	PTB_CACHE_COUNT_
};

static inline ptb_attr_t ptb_attr_cache(enum ptb_cache c)
{
	return (ptb_attr_t)c << PTB_ATTR_CACHE_SHIFT;
}

static inline enum ptb_cache ptb_attr_get_cache(ptb_attr_t a)
{
	return (enum ptb_cache)((a & PTB_ATTR_CACHE_MASK) >> PTB_ATTR_CACHE_SHIFT);
}

/* Common kernel attribute sets. */
#define PTB_ATTR_KERNEL_TEXT   (PTB_ATTR_EXEC)
#define PTB_ATTR_KERNEL_RODATA (0u)
#define PTB_ATTR_KERNEL_DATA   (PTB_ATTR_WRITE)

#endif
