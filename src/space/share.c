/* SPDX-License-Identifier: MIT */
/* Sharing root slots between spaces (seed 001: one set of kernel tables). */
#include "space/internal.h"

ptb_err_t ptb_space_share(struct ptb_space *dst, struct ptb_space *src, ptb_va_t va, uint64_t len)
{
	if (!space_writable(dst) || !space_writable(src) || dst == src || dst->enc.format != src->enc.format ||
	    (dst->sealed && !src->sealed))
		return PTB_E_INVAL;
	const struct ptb_format *f = dst->enc.format;
	unsigned root = dst->root_level;
	uint64_t slot = space_slot_size(dst, root);
	ptb_err_t err = space_check_range(dst, va.raw, len, NULL);
	if (err)
		return err;
	if ((va.raw | len) & (slot - 1))
		return PTB_E_ALIGN;
	const uint64_t *st = space_table(src, src->root), *dt = space_table(dst, dst->root);
	uint64_t last = va.raw + (len - 1);
	unsigned first = space_index(dst, root, va.raw), end = space_index(dst, root, last);
	for (unsigned i = first; i <= end; i++) {
		if (!ptb_entry_is_table(f, root, st[i]))
			return PTB_E_NOTMAPPED;
		if (dt[i])
			return PTB_E_CONFLICT;
	}
	struct txn t;
	err = txn_begin(&t, dst, 0, end - first + 1);
	if (err)
		return err;
	for (unsigned i = first; i <= end; i++)
		txn_write(&t, dst->root, space_table(dst, dst->root), root, i, st[i], false);
	err = txn_commit(&t);
	if (err)
		return err;
	for (unsigned i = first; i <= end; i++) {
		dst->imported[i / 64] |= 1ull << (i % 64);
		src->exported[i / 64] |= 1ull << (i % 64);
	}
	return PTB_OK;
}
