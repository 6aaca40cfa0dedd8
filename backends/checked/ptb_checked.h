/* SPDX-License-Identifier: MIT */
/*
 * The contract checker: a backend that wraps another and checks, at every
 * hook call, the preconditions backend.h writes down, then forwards.  It
 * runs in every host test and in debug kernels.  A violation is recorded
 * (first one wins), the call is refused (PTB_E_REFUSED) without reaching the
 * wrapped backend, and `on_violation` (if set) is called: a kernel panics
 * there, a test fails there.
 *
 * Checked: alloc returns a page not already a table; free only NEW, never
 * linked; seal only NEW pages, once, whose table entries point to SEALED
 * tables; write_live only into SEALED tables, linking only SEALED tables;
 * retire only SEALED tables no SEALED table links, after a flush that
 * followed their unlinking, never the active root; activate only a SEALED
 * root of the format's root level.  The inner table_window is passed
 * through (hide_window turns it off, so that tests run every query both
 * ways).  Freestanding; the caller provides the
 * slot array (one slot per table page alive at once, plus headroom).
 */
#ifndef PTB_CHECKED_H
#define PTB_CHECKED_H

#include <ptboot/backend.h>
#include <ptboot/format.h>

struct ptb_checked_slot {
	uint64_t pa;           /* 0: empty slot */
	uint8_t state;         /* enum in checked.c */
	uint8_t level;
	uint16_t links;        /* entries of SEALED tables pointing here */
	uint32_t unlinked_at;  /* flush epoch when the last link went away */
};

struct ptb_checked {
	struct ptb_backend_ops ops;  /* ptb_checked_ops with the inner flags */
	struct ptb_backend inner;
	const struct ptb_format *format;
	struct ptb_checked_slot *slots;
	size_t nslots;         /* a power of two */
	uint32_t flush_epoch;
	ptb_pa_t active_root;
	unsigned violations;
	bool hide_window;      /* table_window answers 0: walks take the slow path */
	uint64_t table_ptr_calls;
	char what[96];         /* the first violation */
	void (*on_violation)(void *arg, const char *what);
	void *arg;
};

extern const struct ptb_backend_ops ptb_checked_ops;

/* Wrap `inner`.  Pre: nslots is a power of two; slots zeroed by this call. */
void ptb_checked_init(struct ptb_checked *c, struct ptb_backend inner, const struct ptb_format *f,
		      struct ptb_checked_slot *slots, size_t nslots);

/* Declare pages built by someone else (a boot tree): SEALED when live, in
 * which case the links its entries make are counted too. */
void ptb_checked_adopt(struct ptb_checked *c, ptb_pa_t pa, unsigned level, bool sealed);

static inline struct ptb_backend ptb_checked_backend(struct ptb_checked *c)
{
	return (struct ptb_backend){ &c->ops, c };
}

#endif
