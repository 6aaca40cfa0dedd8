/* SPDX-License-Identifier: MIT */
/*
 * The invariant checker: walks a whole space and reports the first broken
 * rule.  Used by tests, by `ptboot check`, and by the demo kernels on their
 * live tables.
 */
#ifndef PTBOOT_CHECK_H
#define PTBOOT_CHECK_H

#include <ptboot/space.h>

/* Rules (bits of ptb_check_policy.rules). */
#define PTB_CHECK_RESERVED_BITS (1u << 0) /* entries set only allowed bits */
#define PTB_CHECK_L1TF          (1u << 1) /* non-present entries hold no address */
#define PTB_CHECK_WX            (1u << 2) /* no leaf writable and executable */
#define PTB_CHECK_TABLE_RO      (1u << 3) /* no leaf maps a table page writable */
#define PTB_CHECK_LEAF_LEVELS   (1u << 4) /* leaves only where policy allows */
#define PTB_CHECK_NO_SHARED_TABLE (1u << 5) /* a table reachable once only */
#define PTB_CHECK_TABLE_IN_MEMORY (1u << 6) /* inspected spaces: every table
						 pointer leads to a page the
						 backend holds a table for */
#define PTB_CHECK_ALL           0x7fu

struct ptb_check_report;

/* Called for each finding; return false to stop the walk. */
typedef bool (*ptb_check_fn)(void *arg, const struct ptb_check_report *finding);

struct ptb_check_policy {
	unsigned rules;
	unsigned max_leaf_level;   /* for PTB_CHECK_LEAF_LEVELS */
	/* Scratch for the table set (PTB_CHECK_TABLE_RO, NO_SHARED_TABLE):
	 * at least one slot per table of the space.  No allocation in ptboot. */
	ptb_pa_t *scratch;
	size_t scratch_len;
	/* NULL: stop at the first finding.  Else called for every finding
	 * (the report then describes that one), until it returns false. */
	ptb_check_fn on_finding;
	void *arg;
};

struct ptb_check_report {
	unsigned rule;             /* the rule broken (the last finding), 0 when all hold */
	ptb_va_t va;               /* where: the first va the entry covers */
	uint64_t len;              /* bytes the entry covers */
	unsigned level;            /* level of the table holding the entry */
	uint64_t entry;            /* the stored entry (NO_SHARED_TABLE: a link to a
				      table the walk reaches by another path too) */
	uint64_t findings;         /* findings so far */
	uint64_t tables;           /* tables visited */
	uint64_t leaves;           /* leaves visited */
};

/*
 * ptb_space_check: check the rules over every table reachable from the root,
 * never following an entry that breaks RESERVED_BITS, L1TF or
 * TABLE_IN_MEMORY.  On a space adopted with PTB_SPACE_INSPECT every rule is
 * reported here rather than refused by adopt.  The walk visits a table once
 * per path to it: on a tree that may link tables twice (an inspected one),
 * ask for NO_SHARED_TABLE, whose table set, bounded by scratch_len (one slot
 * per path), is built first and bounds the walk; each link to a table
 * reached by more than one path is then a finding at the link's va.
 * Pre: s usable; policy->scratch holds scratch_len slots when TABLE_RO or
 *   NO_SHARED_TABLE is asked for.
 * Post: *report filled (the last finding, counts); PTB_OK when every rule
 *   holds.
 * On error: PTB_E_NOTTABLE (a rule is broken: see report and the callback),
 *   PTB_E_INVAL (NULL argument, unknown rule bits, or scratch too small for
 *   the table set), PTB_E_RANGE (a frame the backend cannot translate, not
 *   in an inspected space).  Must not: write, allocate.
 */
PTB_MUST_CHECK ptb_err_t ptb_space_check(const struct ptb_space *s,
					 const struct ptb_check_policy *policy,
					 struct ptb_check_report *report);

/* The name of a rule bit, e.g. "W^X". */
const char *ptb_check_rule_name(unsigned rule);

#endif
