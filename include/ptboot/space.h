/* SPDX-License-Identifier: MIT */
/*
 * Address spaces: a tree of page tables over one backend.
 *
 * The caller owns the struct ptb_space (ptboot allocates nothing of its
 * own).  Every table page comes from and returns to the backend.  Tables
 * are either all NEW (a space under construction: plain stores) or, once the
 * space is sealed, all SEALED (changes only through the write_live hook),
 * except root slots shared from another space, which belong to that space.
 *
 * Error policy, for every function below: bad input is refused with its code
 * before anything changes.  PTB_E_NOMEM: all pages an operation needs are
 * taken before its first write, so on failure the space is bit-identical to
 * before and every page taken was given back.  PTB_E_REFUSED (the platform
 * refused a seal, a live write, or the retire of a table the change
 * detached): the writes this call made are undone, what it retired is sealed
 * again, what it sealed is retired, and its pages are given back.  The undo
 * restores states the platform accepted before, so a conforming platform
 * accepts it; one that refuses an undo retire keeps that table and the older
 * new ones SEALED, and ptboot never frees a SEALED page (they stay with it).
 *
 * Misuse policy, for every function below: a NULL space, config, out or
 * callback pointer, and a space that was destroyed (destroy zeroes it) or
 * never created, are refused with PTB_E_INVAL and nothing is touched; the
 * void functions do nothing (count_tables reports zero).  A struct that
 * holds garbage cannot be told from a space: Pre of every function is a
 * space last written by create, adopt or destroy.  Unknown flag bits (config,
 * map, check rules) are PTB_E_INVAL.
 */
#ifndef PTBOOT_SPACE_H
#define PTBOOT_SPACE_H

#include <ptboot/backend.h>
#include <ptboot/format.h>

/* ptb_space_config.flags */
#define PTB_SPACE_NX        (1u << 0) /* NX usable: non-exec leaves set NX */
#define PTB_SPACE_WX_STRICT (1u << 1) /* refuse writable+executable leaves */
#define PTB_SPACE_INSPECT   (1u << 2) /* adopt only: the tree is read, never changed */
#define PTB_SPACE_FLAGS_KNOWN 0x7u

struct ptb_space_config {
	const struct ptb_format *format;
	const struct ptb_pat *pat;   /* NULL: ptb_pat_linux */
	struct ptb_backend backend;
	unsigned max_leaf_level;     /* largest page: 1 = 4K, 2 = 2M, 3 = 1G; a backend
					without PTB_BACKEND_FRAME_IS_PFN gets 4K only
					(ptboot cannot know its frames are contiguous) */
	unsigned pa_bits;            /* MAXPHYADDR; 0: the format's width */
	unsigned flags;              /* PTB_SPACE_* */
	unsigned reserved_first;     /* root slots the platform owns ... */
	unsigned reserved_count;     /* ... (Xen: 256, 16); 0: none */
};

#define PTB_SLOT_WORDS 8 /* 512 root slots as a bitmap */

struct ptb_space {
	struct ptb_encoding enc;
	struct ptb_backend be;
	ptb_pa_t root;
	unsigned root_level;
	unsigned max_leaf_level;
	unsigned pa_bits;
	unsigned flags;
	bool sealed;
	uint64_t reserved[PTB_SLOT_WORDS];  /* root slots ptboot never touches */
	uint64_t imported[PTB_SLOT_WORDS];  /* root slots linked from another space */
	uint64_t exported[PTB_SLOT_WORDS];  /* root slots another space links to */
};

/*
 * ptb_space_create: a new, empty space with a NEW root.
 * Pre: s points to writable memory; cfg->backend.ops is complete.
 * Post: s describes an empty, unsealed space; one page was allocated.
 * On error: PTB_E_INVAL (bad config: level out of range for the format,
 *   pa_bits too wide, reserved slots beyond the root), PTB_E_NOMEM;
 *   nothing allocated.
 * May: allocate one page.  Must not: seal, activate.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_create(struct ptb_space *s, const struct ptb_space_config *cfg);

/*
 * ptb_space_adopt: take over a tree someone else built (a boot loader, the
 * Xen domain builder, the kernel's own boot code), to extend it without
 * clobbering what is present (seed 001).
 * Pre: root is the pa of a root-level table whose tree uses cfg's format
 *   and is a tree: no table is linked from two entries (a shared table
 *   would be retired and freed twice by ptb_space_destroy).
 *   `live`: the tree is SEALED (e.g. pinned by Xen, or in use as CR3 under a
 *   platform with SEAL_NOOP); else every table of it is NEW.
 * Post: s describes that tree; nothing was written.
 * With PTB_SPACE_INSPECT in cfg->flags the tree is only read (a memory dump,
 *   a table image, a tree of unknown quality): adopt checks nothing below
 *   the root, every changing call (map, unmap, protect, seal, activate,
 *   share, cursor hold/release) is PTB_E_INVAL, destroy gives nothing back,
 *   and the read-only walks (query, ranges, cursor inspect, check,
 *   count/for_each_table) never follow a malformed entry or a table pointer
 *   for which table_ptr says NULL (backend.h): query and cursor inspect
 *   answer PTB_E_NOTTABLE at such an entry, ranges skips it, and
 *   ptb_space_check reports it with its rule.
 * On error: PTB_E_INVAL (config), PTB_E_ALIGN (root not page aligned),
 *   PTB_E_NOTTABLE (an entry of the tree is invalid for its level: reserved
 *   bits, an address beyond pa_bits, unknown frame, a leaf where the format
 *   allows none, a table linking itself; with INSPECT: only a root for which
 *   table_ptr says NULL).
 * Must not: write any entry.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_adopt(struct ptb_space *s, const struct ptb_space_config *cfg,
					 ptb_pa_t root, bool live);

/*
 * ptb_space_destroy: give every table of the space back to the backend
 * (retired first when sealed), except those under imported slots.
 * Pre: the root is not active on any CPU; no other space imports from s.
 * Post: s is zeroed (every later call on it is PTB_E_INVAL) and may be
 *   discarded or re-created.  An inspected space gives nothing back.
 * On error: PTB_E_REFUSED (the platform refused a retire): what this call
 *   retired is sealed again, children first; s is as before and usable, and
 *   destroy may be tried again.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_destroy(struct ptb_space *s);

/*
 * ptb_space_seal: seal every NEW table of the space, children before parents
 * (batched), so that the root may be activated.
 * Pre: the space is unsealed.  Post: s->sealed; all tables SEALED.
 * On error: PTB_E_INVAL (already sealed), PTB_E_REFUSED: tables sealed by
 *   this call are retired again, so the space is unsealed as before.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_seal(struct ptb_space *s);

/*
 * ptb_space_activate: make the space's root the CPU's translation root.
 * Pre: s->sealed; the code and stack running now are mapped alike in the old
 *   and the new tree.
 * On error: PTB_E_INVAL (not sealed), PTB_E_REFUSED.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_activate(struct ptb_space *s);

/* ptb_space_map flags */
#define PTB_MAP_KEEP      (1u << 0) /* skip pages already mapped instead of failing */
#define PTB_MAP_4K_ONLY   (1u << 1) /* use 4 KiB leaves even where larger fit */

/*
 * ptb_space_map: map [va, va+len) to [pa, pa+len) with attr, choosing at
 * each spot the largest leaf allowed (max_leaf_level, the format's leaf
 * levels, alignment of va and pa), mixing sizes across the range.
 * Pre: none beyond the arguments (all checked).
 * Post: every page of the range translates to pa + offset with attr;
 *   tables were allocated only where none was present; NEW tables linked
 *   into a sealed tree were sealed first.  Existing mappings outside the
 *   range are untouched.  No flush is needed (only empty entries change).
 * On error: PTB_E_ALIGN (va, pa, len not 4K aligned), PTB_E_INVAL (len 0),
 *   PTB_E_NONCANON, PTB_E_RANGE (wraps; beyond va or pa width),
 *   PTB_E_RESERVED (platform slots), PTB_E_ATTR, PTB_E_WX, PTB_E_CONFLICT (a
 *   page of the range is mapped, or a non-zero non-present entry or a larger
 *   leaf covers it; with PTB_MAP_KEEP mapped pages are skipped instead and a
 *   leaf is never split), PTB_E_NOMEM, PTB_E_REFUSED; space unchanged.
 * May: allocate tables, seal them, write live entries.  Must not: change or
 *   remove a present entry; flush.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_map(struct ptb_space *s, ptb_va_t va, ptb_pa_t pa, uint64_t len,
				       ptb_attr_t attr, unsigned flags);

/*
 * ptb_space_unmap: remove every mapping in [va, va+len); large leaves that
 * straddle the range ends are split (keeping their attributes outside it);
 * tables that become empty are unlinked, the range flushed, then retired and
 * freed (never a table under a shared root slot, never the root).
 * Post: nothing in the range translates; flushed when the space is sealed.
 * On error: argument codes as map, PTB_E_NOMEM (a split needed a table),
 *   PTB_E_REFUSED; space unchanged.  Unmapping a hole is not an error.
 * May: allocate (splits), write live entries, flush, retire, free.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_unmap(struct ptb_space *s, ptb_va_t va, uint64_t len);

/*
 * ptb_space_protect: set the attributes of every mapped page in [va,
 * va+len) to attr, splitting a large leaf into the next size (keeping its
 * other pages' attributes) only where it straddles the range ends.
 * Post: every mapped page of the range has attr and the same pa; holes stay
 *   holes; flushed when the space is sealed.
 * On error: as unmap, plus PTB_E_ATTR, PTB_E_WX; space unchanged.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_protect(struct ptb_space *s, ptb_va_t va, uint64_t len,
					   ptb_attr_t attr);

/* What one va translates to. */
struct ptb_mapping {
	ptb_pa_t pa;           /* of the va itself (page base + offset) */
	ptb_attr_t attr;
	unsigned level;        /* level of the leaf: 1 = 4K, 2 = 2M, 3 = 1G */
	uint64_t page_size;
};

/*
 * ptb_space_query: translate va.
 * On error: PTB_E_NONCANON, PTB_E_NOTMAPPED (*out unchanged), PTB_E_RANGE (a
 *   frame the backend cannot translate).  Must not: allocate or write.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_query(const struct ptb_space *s, ptb_va_t va,
					 struct ptb_mapping *out);

/* A run of pages with contiguous pa, equal attributes and equal page size. */
struct ptb_range {
	ptb_va_t va;
	ptb_pa_t pa;
	uint64_t len;
	ptb_attr_t attr;
	unsigned level;
};

typedef bool (*ptb_range_fn)(void *arg, const struct ptb_range *r); /* false: stop */

/*
 * ptb_space_ranges: call fn for every coalesced run of leaves in VA order.
 * Runs join when va and pa are contiguous and attr and level are equal.
 * On error: PTB_E_RANGE (untranslatable frame).  Must not: write.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_ranges(const struct ptb_space *s, ptb_range_fn fn, void *arg);

/*
 * ptb_space_share: link root slots [va, va+len) of src into dst, so that both
 * use the same lower tables (the kernel half shared by every address space).
 * Pre: src and dst use the same format; a table below a shared slot is
 *   sealed if dst is.
 * Post: dst's slots point at src's tables (written through write_live when
 *   dst is sealed); the slots are marked imported in dst and exported in
 *   src, and neither frees those tables.  Below an imported slot dst only
 *   reads: map, unmap, protect, cursor hold and release of a va there are
 *   PTB_E_RESERVED (change the mapping through src: dst sees it).
 * On error: PTB_E_ALIGN (not root-slot aligned), PTB_E_NOTMAPPED (a src
 *   slot is empty or a leaf), PTB_E_CONFLICT (a dst slot is in use),
 *   PTB_E_INVAL (formats differ, src unsealed but dst sealed), PTB_E_REFUSED;
 *   both unchanged.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_share(struct ptb_space *dst, struct ptb_space *src, ptb_va_t va,
					 uint64_t len);

/* Tables of the space by level (index = level), and their sum in [0]. */
struct ptb_table_count {
	uint64_t by_level[PTB_MAX_LEVELS + 1];
};

/* ptb_space_count_tables: count tables reachable from the root. */
void ptb_space_count_tables(const struct ptb_space *s, struct ptb_table_count *out);

/*
 * ptb_space_for_each_table: call fn(arg, table) for every table reachable
 * from the root (children before parents), imported slots included when
 * `with_imported`.  Stops early when fn returns false.
 */
typedef bool (*ptb_table_fn)(void *arg, const struct ptb_table_ref *t);
void ptb_space_for_each_table(const struct ptb_space *s, bool with_imported, ptb_table_fn fn,
			      void *arg);

#endif
