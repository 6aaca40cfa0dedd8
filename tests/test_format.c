/* SPDX-License-Identifier: MIT */
/* Formats: encode/decode round trips, bit placement, validity, linearity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <ptboot/format.h>

static const struct ptb_format *const formats[] = {
	&ptb_format_x86_64_4level, &ptb_format_x86_64_5level, &ptb_format_pae, &ptb_format_test,
};

static uint64_t unrot(const struct ptb_format *f, unsigned level, uint64_t e)
{
	unsigned r = f->rot[level];
	return r ? (e >> r) | (e << (64 - r)) : e;
}

static void test_round_trip(void **state)
{
	(void)state;
	unsigned checked = 0;
	for (size_t fi = 0; fi < 4; fi++) {
		const struct ptb_format *f = formats[fi];
		for (int nx = 0; nx < 2; nx++) {
			struct ptb_encoding enc = { f, &ptb_pat_linux, nx };
			for (unsigned level = 1; level <= 3; level++) {
				if (level > 1 && !(f->leaf_levels & (1u << level)))
					continue;
				uint64_t pages = ptb_format_page_size(f, level) >> 12;
				for (ptb_attr_t a = 0; a <= PTB_ATTR_KNOWN; a++) {
					if ((a & ~PTB_ATTR_KNOWN) || ptb_attr_get_cache(a) >= PTB_CACHE_COUNT_)
						continue;
					uint64_t e;
					ptb_frame_t fr = ptb_frame(pages * 12345);
					assert_int_equal(ptb_format_leaf(&enc, level, fr, a, &e), PTB_OK);
					struct ptb_entry_info info;
					ptb_format_decode(&enc, level, e, &info);
					assert_true(info.present && info.leaf);
					assert_int_equal(info.frame.raw, fr.raw);
					ptb_attr_t want = nx ? a : a | PTB_ATTR_EXEC;
					assert_int_equal(info.attr, want);
					assert_true(ptb_format_entry_valid(f, level, e));
					checked++;
				}
			}
		}
	}
	assert_true(checked > 1000);
}

static const struct ptb_pat *const pats[] = { &ptb_pat_linux, &ptb_pat_xen, &ptb_pat_default };

/* The PAT index an x86 leaf selects, decoded here from the SDM's bit
 * positions: PWT 3, PCD 4, and PAT at 7 (L1) or 12 (L2/L3 leaves). */
static unsigned pat_index_of(unsigned level, uint64_t x86)
{
	unsigned hi = level == 1 ? (unsigned)(x86 >> 7) & 1 : (unsigned)(x86 >> 12) & 1;
	return (unsigned)((x86 >> 3) & 3) | hi << 2;
}

/* Every cache type under every PAT: the index it lands on selects that
 * type, or the type is refused when the PAT lacks it; a large leaf keeps
 * PS at bit 7 and moves PAT to bit 12, at L2 and at L3. */
static void test_cache_types_through_every_pat(void **state)
{
	(void)state;
	for (size_t pi = 0; pi < 3; pi++) {
		struct ptb_encoding enc = { &ptb_format_x86_64_4level, pats[pi], true };
		for (unsigned level = 1; level <= 3; level++) {
			for (int c = 0; c < PTB_CACHE_COUNT_; c++) {
				bool present = memchr(pats[pi]->type, c, 8) != NULL;
				uint64_t e = 0, frame = 1ull << (9 * (level - 1));
				ptb_err_t err = ptb_format_leaf(&enc, level, ptb_frame(frame), ptb_attr_cache((enum ptb_cache)c), &e);
				if (!present) {
					assert_int_equal(err, PTB_E_ATTR);
					continue;
				}
				assert_int_equal(err, PTB_OK);
				assert_int_equal(pats[pi]->type[pat_index_of(level, e)], c);
				if (level > 1)
					assert_true(e & (1ull << 7)); /* PS */
				uint64_t pat_bit = level > 1 ? 1ull << 12 : 0;
				assert_int_equal(e & 0x000ffffffffff000ull & ~pat_bit, frame << 12);
			}
		}
	}
	assert_int_equal(ptb_pat_msr(&ptb_pat_xen), 0x0000050100070406ull);
	assert_int_equal(ptb_pat_msr(&ptb_pat_default), 0x0007040600070406ull);
}

/* Reserved bits, checked against the SDM rather than the format's own
 * masks: no leaf sets bits 52-62, a large leaf no address bit below its
 * size except PAT (bit 12), and each entry is valid by entry_valid. */
static void test_leaves_set_no_reserved_bits(void **state)
{
	(void)state;
	for (size_t fi = 0; fi < 4; fi++) {
		const struct ptb_format *f = formats[fi];
		struct ptb_encoding enc = { f, &ptb_pat_linux, true };
		for (unsigned level = 1; level <= 3; level++) {
			if (level > 1 && !(f->leaf_levels & (1u << level)))
				continue;
			uint64_t pages = ptb_format_page_size(f, level) >> 12;
			uint64_t below = (ptb_format_page_size(f, level) - 1) & ~0xfffull & ~(1ull << 12);
			uint64_t top_frame = ((1ull << (f->pa_bits - 12)) - 1) & ~(pages - 1);
			const uint64_t frames[] = { 0, pages, 77 * pages, top_frame };
			for (size_t k = 0; k < 4; k++) {
				for (ptb_attr_t a = 0; a <= PTB_ATTR_KNOWN; a++) {
					uint64_t e;
					if ((a & ~PTB_ATTR_KNOWN) || ptb_attr_get_cache(a) >= PTB_CACHE_COUNT_)
						continue;
					assert_int_equal(ptb_format_leaf(&enc, level, ptb_frame(frames[k]), a, &e), PTB_OK);
					uint64_t x = unrot(f, level, e);
					assert_int_equal(x & (0x7ffull << 52), 0);
					assert_int_equal(x & below, 0);
					assert_int_equal(x >> f->pa_bits & ((1ull << (52 - f->pa_bits)) - 1), 0);
					assert_true(ptb_format_entry_valid(f, level, e));
				}
			}
			uint64_t e;
			assert_int_equal(ptb_format_leaf(&enc, level, ptb_frame(1ull << (f->pa_bits - 12)), 0, &e),
					 PTB_E_RANGE);
		}
	}
}

/* Table pointers decode back to their frame, at every level of every
 * format; zero decodes as not present. */
/* The physical width each format declares, at its edge: x86-64 (4- and
 * 5-level) 52 bits, PAE 52 bits of entry (the CPU's MAXPHYADDR limits it). */
static void test_pa_width_edges(void **state)
{
	(void)state;
	for (size_t fi = 0; fi < 3; fi++) {
		const struct ptb_format *f = formats[fi];
		assert_int_equal(f->pa_bits, 52);
		struct ptb_encoding enc = { f, &ptb_pat_linux, true };
		uint64_t e;
		assert_int_equal(ptb_format_leaf(&enc, 1, ptb_frame((1ull << 40) - 1), 0, &e), PTB_OK);
		assert_int_equal(ptb_format_leaf(&enc, 1, ptb_frame(1ull << 40), 0, &e), PTB_E_RANGE);
	}
}

static void test_table_entries_round_trip(void **state)
{
	(void)state;
	for (size_t fi = 0; fi < 4; fi++) {
		const struct ptb_format *f = formats[fi];
		struct ptb_encoding enc = { f, &ptb_pat_linux, true };
		for (unsigned level = 2; level <= f->levels; level++) {
			struct ptb_entry_info info;
			memset(&info, 0xa5, sizeof(info)); /* decode sets every field */
			uint64_t e = ptb_format_table(f, level, ptb_frame(0x12345));
			ptb_format_decode(&enc, level, e, &info);
			assert_true(info.present);
			assert_false(info.leaf);
			assert_int_equal(info.attr, 0);
			assert_int_equal(info.frame.raw, 0x12345);
			assert_true(ptb_format_entry_valid(f, level, e));
			assert_int_equal(unrot(f, level, e) & 0x000ffffffffff000ull, 0x12345ull << 12);
			ptb_format_decode(&enc, level, 0, &info);
			assert_false(info.present);
		}
	}
}

/* PAT bit 2 is bit 7 in an L1 entry, bit 12 in a large leaf (where 7 is PS). */
static void test_pat_bit_placement(void **state)
{
	(void)state;
	struct ptb_encoding enc = { &ptb_format_x86_64_4level, &ptb_pat_linux, true };
	uint64_t e;
	/* Linux layout: index 7 is WT, index 5 WP: both have PAT bit 2 set. */
	assert_int_equal(ptb_format_leaf(&enc, 1, ptb_frame(1), ptb_attr_cache(PTB_CACHE_WT), &e), PTB_OK);
	assert_true(e & (1ull << 7));
	assert_true((e & 0x18) == 0x18);
	assert_int_equal(ptb_format_leaf(&enc, 2, ptb_frame(512), ptb_attr_cache(PTB_CACHE_WT), &e), PTB_OK);
	assert_true(e & (1ull << 7));  /* PS */
	assert_true(e & (1ull << 12)); /* PAT */
	assert_int_equal(ptb_format_leaf(&enc, 2, ptb_frame(512), 0, &e), PTB_OK);
	assert_false(e & (1ull << 12));
	assert_int_equal(e & 0x000ffffffffff000ull, 512ull << 12);
	/* WC is index 1: PWT only. */
	assert_int_equal(ptb_format_leaf(&enc, 1, ptb_frame(1), ptb_attr_cache(PTB_CACHE_WC), &e), PTB_OK);
	assert_int_equal(e & 0x98, 0x08);
	/* Under the power-on PAT there is no WC: refused. */
	struct ptb_encoding def = { &ptb_format_x86_64_4level, &ptb_pat_default, true };
	assert_int_equal(ptb_format_leaf(&def, 1, ptb_frame(1), ptb_attr_cache(PTB_CACHE_WC), &e), PTB_E_ATTR);
	assert_int_equal(ptb_pat_msr(&ptb_pat_linux), 0x0407050600070106ull);
}

static void test_reserved_bits_and_validity(void **state)
{
	(void)state;
	const struct ptb_format *f = &ptb_format_x86_64_4level;
	struct ptb_encoding enc = { f, &ptb_pat_linux, true };
	uint64_t e;
	assert_int_equal(ptb_format_leaf(&enc, 1, ptb_frame(1), 1u << 20, &e), PTB_E_ATTR);
	assert_int_equal(ptb_format_leaf(&enc, 1, ptb_frame(1ull << 40), 0, &e), PTB_E_RANGE);
	assert_true(ptb_format_entry_valid(f, 1, 0));
	assert_false(ptb_format_entry_valid(f, 1, 0x5000));          /* L1TF: address, not present */
	assert_false(ptb_format_entry_valid(f, 4, 0x1000 | 0x81));   /* PS in an L4 entry */
	assert_false(ptb_format_entry_valid(f, 2, 0x2000 | 0x81));   /* a 2M leaf not 2M aligned */
	assert_true(ptb_format_entry_valid(f, 2, 0x200000 | 0x81));
	assert_true(ptb_format_entry_valid(f, 2, 0x200000 | 0x1000 | 0x81)); /* bit 12: PAT */
	/* PAE's root allows P, PWT, PCD only. */
	assert_false(ptb_format_entry_valid(&ptb_format_pae, 3, 0x1000 | 0x3));
	assert_true(ptb_format_entry_valid(&ptb_format_pae, 3, ptb_format_table(&ptb_format_pae, 3, ptb_frame(1))));
	assert_int_equal(ptb_format_table(&ptb_format_pae, 3, ptb_frame(1)), 0x1001);
}

/* The core relies on entry(frame + k) == entry(frame) + k * step. */
static void test_linear_encoding(void **state)
{
	(void)state;
	for (size_t fi = 0; fi < 4; fi++) {
		const struct ptb_format *f = formats[fi];
		struct ptb_encoding enc = { f, &ptb_pat_linux, true };
		for (unsigned level = 1; level <= 3; level++) {
			if (level > 1 && !(f->leaf_levels & (1u << level)))
				continue;
			uint64_t pages = ptb_format_page_size(f, level) >> 12, e0, e1, ek;
			for (ptb_attr_t a = 0; a <= PTB_ATTR_KNOWN; a++) {
				if ((a & ~PTB_ATTR_KNOWN) || ptb_attr_get_cache(a) >= PTB_CACHE_COUNT_)
					continue;
				assert_int_equal(ptb_format_leaf(&enc, level, ptb_frame(0), a, &e0), PTB_OK);
				assert_int_equal(ptb_format_leaf(&enc, level, ptb_frame(pages), a, &e1), PTB_OK);
				for (uint64_t k = 1; k < (1ull << (f->pa_bits - 13)) / pages; k = k * 3 + 7) {
					assert_int_equal(ptb_format_leaf(&enc, level, ptb_frame(k * pages), a, &ek), PTB_OK);
					assert_int_equal(ek, e0 + k * (e1 - e0));
				}
			}
		}
	}
}

/* The test format stores each entry rotated by its level, so decoding an
 * entry at the wrong level gives something else. */
static void test_test_format_levels_differ(void **state)
{
	(void)state;
	const struct ptb_format *f = &ptb_format_test;
	uint64_t t3 = ptb_format_table(f, 3, ptb_frame(0x1234)), t2 = ptb_format_table(f, 2, ptb_frame(0x1234));
	assert_int_not_equal(t3, t2);
	assert_int_equal(unrot(f, 3, t3), unrot(f, 2, t2));
	struct ptb_encoding enc = { f, &ptb_pat_linux, true };
	struct ptb_entry_info info;
	ptb_format_decode(&enc, 2, t3, &info);
	assert_false(info.present && info.frame.raw == 0x1234 && !info.leaf);
}

static void test_va_ok(void **state)
{
	(void)state;
	const struct ptb_format *f = &ptb_format_x86_64_4level;
	assert_true(ptb_format_va_ok(f, ptb_va(0x00007ffffffff000ull)));
	assert_false(ptb_format_va_ok(f, ptb_va(0x0000800000000000ull)));
	assert_false(ptb_format_va_ok(f, ptb_va(0xffff7ffffffff000ull)));
	assert_true(ptb_format_va_ok(f, ptb_va(0xffff800000000000ull)));
	assert_true(ptb_format_va_ok(f, ptb_va(0xfffffffffffff000ull)));
	assert_true(ptb_format_va_ok(&ptb_format_x86_64_5level, ptb_va(0x00ff800000000000ull)));
	assert_false(ptb_format_va_ok(&ptb_format_x86_64_5level, ptb_va(0x0100000000000000ull)));
	assert_true(ptb_format_va_ok(f, ptb_va(0)));
	assert_false(ptb_format_va_ok(f, ptb_va(0x8000000000000000ull)));
	assert_true(ptb_format_va_ok(&ptb_format_x86_64_5level, ptb_va(0x00ffffffffffffffull)));
	assert_true(ptb_format_va_ok(&ptb_format_x86_64_5level, ptb_va(0xff00000000000000ull)));
	assert_false(ptb_format_va_ok(&ptb_format_x86_64_5level, ptb_va(0xfeffffffffffffffull)));
	assert_true(ptb_format_va_ok(&ptb_format_x86_64_5level, ptb_va(0xffff800000000000ull)));
	assert_true(ptb_format_va_ok(&ptb_format_test, ptb_va(0xffff800000000000ull)));
	assert_false(ptb_format_va_ok(&ptb_format_test, ptb_va(0x0000800000000000ull)));
	assert_true(ptb_format_va_ok(&ptb_format_pae, ptb_va(0)));
	assert_true(ptb_format_va_ok(&ptb_format_pae, ptb_va(0xfffff000ull)));
	assert_false(ptb_format_va_ok(&ptb_format_pae, ptb_va(0x100000000ull)));
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = 0; e < PTB_E_COUNT_; e++) {
		assert_non_null(ptb_strerror((ptb_err_t)e));
		assert_true(strlen(ptb_strerror((ptb_err_t)e)) > 1);
		for (int k = 0; k < e; k++)
			assert_string_not_equal(ptb_strerror((ptb_err_t)e), ptb_strerror((ptb_err_t)k));
	}
	assert_string_equal(ptb_strerror(PTB_E_COUNT_), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_pat_bit_placement),
		cmocka_unit_test(test_cache_types_through_every_pat),
		cmocka_unit_test(test_leaves_set_no_reserved_bits),
		cmocka_unit_test(test_table_entries_round_trip),
		cmocka_unit_test(test_pa_width_edges),
		cmocka_unit_test(test_reserved_bits_and_validity),
		cmocka_unit_test(test_linear_encoding),
		cmocka_unit_test(test_test_format_levels_differ),
		cmocka_unit_test(test_va_ok),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
