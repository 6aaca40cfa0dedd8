// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a sequence of address-space operations decoded from the input,
 * on any format and either platform mode (Xen rules with scrambled frames),
 * with injected allocation failures and refusals; after every operation the
 * tree is compared with a flat model through the independent reference
 * walker; at the end every page taken must have been given back.
 */
#include <stdlib.h>
#include <string.h>
#include <ptboot/cursor.h>
#include "model.h"
#include "ptb_checked.h"
#include "ptb_sim.h"

#define WINDOW 1024ull /* pages */

static void die(const char *what)
{
	__builtin_printf("fuzz_ops: %s\n", what);
	abort();
}

static void on_violation(void *arg, const char *what)
{
	(void)arg;
	die(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const struct ptb_format *const fmts[4] = { &ptb_format_x86_64_4level, &ptb_format_x86_64_5level,
							  &ptb_format_pae, &ptb_format_test };
	static const int rwf[4] = { RW_4LEVEL, RW_5LEVEL, RW_PAE, RW_TEST };
	static const uint64_t bases[4] = { 0xffff888040000000ull - (2ull << 20), 0xff11000040000000ull - (2ull << 20),
					   0x40000000ull - (2ull << 20), 0x00007fffc0000000ull - (2ull << 20) };
	if (n < 1)
		return 0;
	unsigned f = d[0] & 3;
	bool xen = (d[0] & 4) && f == 0, sealed = xen || (d[0] & 8);
	d++, n--;
	struct ptb_sim_config sc = { .mem_bytes = 1ull << 32, .xen_rules = xen, .scramble_frames = xen, .seed = 7 };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	ptb_sim_set_pool(sim, ptb_pa(3ull << 30), ptb_pa(4ull << 30));
	static struct ptb_checked chk;
	static struct ptb_checked_slot slots[1 << 12];
	ptb_checked_init(&chk, ptb_sim_backend(sim), fmts[f], slots, 1 << 12);
	chk.on_violation = on_violation;
	struct ptb_space s;
	struct ptb_space_config cfg = { .format = fmts[f], .backend = ptb_checked_backend(&chk),
					.max_leaf_level = f == 2 ? 2 : xen ? 1 : 3, .flags = PTB_SPACE_NX,
					.reserved_first = xen ? 256 : 0, .reserved_count = xen ? 16 : 0 };
	if (ptb_space_create(&s, &cfg))
		die("create");
	if (sealed && (ptb_space_seal(&s) || ptb_space_activate(&s)))
		die("seal");
	struct model m;
	model_init(&m, ptb_pat_linux.type, true);
	struct rw_tree tree = { sim, rwf[f], s.root.raw, xen ? 256 : 0, xen ? 16 : 0 };
	uint64_t base = bases[f];
	for (; n >= 8; d += 8, n -= 8) {
		uint64_t p0 = (d[1] | (unsigned)d[2] << 8) % WINDOW;
		uint64_t np = 1 + (d[3] | (unsigned)d[4] << 8) % WINDOW;
		if (np > WINDOW - p0)
			np = WINDOW - p0;
		uint64_t va = base + p0 * 4096, len = np * 4096;
		uint64_t pa = ((uint64_t)d[5] << 21 | (uint64_t)(d[6] & 0x3f) << 12) % (3ull << 30);
		if (d[6] & 0x40)
			pa = (pa & ~((2ull << 20) - 1)) | (va & ((2ull << 20) - 1));
		if (pa + len > (3ull << 30))
			pa = 0;
		ptb_attr_t attr = d[7] & (PTB_ATTR_WRITE | PTB_ATTR_EXEC | PTB_ATTR_USER | PTB_ATTR_GLOBAL);
		unsigned fail = d[0] >> 5;
		if (fail && (d[0] & 16) && sealed)
			ptb_sim_fail_write_at(sim, fail);
		else if (fail)
			ptb_sim_fail_alloc_at(sim, fail);
		uint64_t h = refwalk_hash(&tree), pages = ptb_sim_stats(sim)->pages_allocated;
		ptb_err_t err;
		struct ptb_cursor c;
		switch (d[0] & 7) { /* 7: adopt, share or query */
		case 0: case 1: {
			bool conflict = model_any(&m, va, len);
			unsigned fl = d[0] & 8 ? PTB_MAP_KEEP : 0;
			err = ptb_space_map(&s, ptb_va(va), ptb_pa(pa), len, attr, fl);
			if (!err && conflict && !fl)
				die("map over a conflict");
			if (err == PTB_E_CONFLICT && !conflict)
				die("spurious conflict");
			if (!err)
				model_map(&m, va, pa, len, attr);
			break;
		}
		case 2: case 3:
			err = ptb_space_unmap(&s, ptb_va(va), len);
			if (!err)
				model_unmap(&m, va, len);
			break;
		case 4:
			err = ptb_space_protect(&s, ptb_va(va), len, attr);
			if (!err)
				model_protect(&m, va, len, attr);
			break;
		case 5:
			err = ptb_cursor_hold(&c, &s, ptb_va(va), 1 + (d[7] & 1));
			break;
		case 6:
			err = ptb_cursor_release(&c, &s, ptb_va(va));
			break;
		case 7:
			if (d[7] & 0x80) {
				/* adopt the live tree into a second handle: it must
				 * validate and change nothing */
				struct ptb_space again;
				if (ptb_space_adopt(&again, &cfg, s.root, sealed) || refwalk_hash(&tree) != h)
					die("adopting our own tree failed or changed it");
				err = PTB_OK;
				break;
			}
			if (d[7] & 0x40 && f != 2) {
				/* share the window's root slot into a new space: the
				 * same translations through both */
				struct ptb_space u;
				uint64_t slot = 1ull << fmts[f]->shift[fmts[f]->levels];
				ptb_sim_fail_alloc_at(sim, 0); /* the helper space is not under test */
				ptb_sim_fail_write_at(sim, 0);
				fail = 0;
				if (ptb_space_create(&u, &cfg))
					die("create");
				err = ptb_space_share(&u, &s, ptb_va(base & ~(slot - 1)), slot);
				if (!err) {
					struct ptb_mapping a, b;
					ptb_err_t ea = ptb_space_query(&s, ptb_va(va), &a), eb = ptb_space_query(&u, ptb_va(va), &b);
					if (ea != eb || (!ea && (a.pa.raw != b.pa.raw || a.attr != b.attr)))
						die("a shared slot translates differently");
					memset(s.exported, 0, sizeof(s.exported)); /* u goes away */
				} else if (err != PTB_E_NOTMAPPED && err != PTB_E_INVAL) {
					die("share failed unexpectedly");
				}
				if (ptb_space_destroy(&u))
					die("destroy");
				err = PTB_OK;
				break;
			}
			/* fall through */
		default: {
			struct ptb_mapping mp;
			err = ptb_space_query(&s, ptb_va(va), &mp);
			const struct model_slot *ms = model_get(&m, va);
			if (ms ? err || mp.pa.raw != ms->pa || mp.attr != ms->attr : err != PTB_E_NOTMAPPED)
				die("query disagrees with the model");
			err = PTB_OK;
		}
		}
		ptb_sim_fail_alloc_at(sim, 0);
		ptb_sim_fail_write_at(sim, 0);
		if (err && err != PTB_E_CONFLICT && err != PTB_E_NOMEM && err != PTB_E_REFUSED)
			die("unexpected error code");
		if ((err == PTB_E_NOMEM || err == PTB_E_REFUSED) && !fail)
			die("failure without injection");
		if (err && (refwalk_hash(&tree) != h || ptb_sim_stats(sim)->pages_allocated != pages))
			die("a failed operation changed the tree or leaked");
		uint64_t where;
		if (model_compare(&m, &tree, &where))
			die("tree and model differ");
		if (ptb_sim_stats(sim)->pages_allocated != refwalk_count_tables(&tree))
			die("pages allocated != tables reachable");
	}
	if (ptb_space_unmap(&s, ptb_va(base), WINDOW * 4096) || refwalk_count_tables(&tree) != 1 ||
	    ptb_sim_stats(sim)->pages_allocated != 1)
		die("unmapping everything did not give every table back");
	model_free(&m);
	ptb_sim_delete(sim);
	return 0;
}
