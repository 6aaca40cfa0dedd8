/* SPDX-License-Identifier: MIT */
/*
 * Scrambled frames: frame = P(pfn) for a seeded pseudo-random bijection P
 * of [0, npages), so that code storing a pa where a frame belongs (or
 * assuming consecutive pages have consecutive frames) breaks host tests.
 *
 * P is an xorshift-multiply permutation of [0, 2^bits) (each step is
 * invertible modulo 2^bits), restricted to [0, npages) by cycle-walking:
 * apply it again while the result is out of range.  Since 2^bits < 2 *
 * npages, that takes under two steps on average.
 */
#include "sim_internal.h"

static uint64_t xorshift(const struct sim_perm *p, uint64_t x)
{
	return x ^ (x >> p->shift);
}

/* Each pass fixes `shift` more bits, from the top down. */
static uint64_t xorshift_inverse(const struct sim_perm *p, uint64_t y)
{
	uint64_t x = y;
	for (unsigned fixed = p->shift; fixed < p->bits; fixed += p->shift)
		x = y ^ (x >> p->shift);
	return x;
}

/* The inverse of an odd number modulo 2^64 (Newton: each step doubles the
 * correct low bits, 3 -> 6 -> ... -> 96). */
static uint64_t odd_inverse(uint64_t a)
{
	uint64_t inv = a;
	for (int i = 0; i < 5; i++)
		inv *= 2 - a * inv;
	return inv;
}

void sim_perm_init(struct sim_perm *p, uint64_t npages, uint64_t seed)
{
	p->bits = 1;
	while (p->bits < 64 && (1ull << p->bits) < npages)
		p->bits++;
	p->shift = (p->bits + 1) / 2;
	p->mask = p->bits == 64 ? ~0ull : (1ull << p->bits) - 1;
	p->key = sim_mix(seed) & p->mask;
	for (int i = 0; i < 2; i++) {
		p->mul[i] = sim_mix(seed + 1 + (uint64_t)i) | 1;
		p->inv[i] = odd_inverse(p->mul[i]);
	}
}

static uint64_t forward(const struct sim_perm *p, uint64_t x)
{
	x = xorshift(p, x ^ p->key);
	x = xorshift(p, (x * p->mul[0]) & p->mask);
	return xorshift(p, (x * p->mul[1]) & p->mask);
}

static uint64_t backward(const struct sim_perm *p, uint64_t x)
{
	x = (xorshift_inverse(p, x) * p->inv[1]) & p->mask;
	x = (xorshift_inverse(p, x) * p->inv[0]) & p->mask;
	return xorshift_inverse(p, x) ^ p->key;
}

/* Frames and pfns outside memory map to themselves (the hooks refuse them). */
uint64_t sim_frame(const struct ptb_sim *s, uint64_t pfn)
{
	if (!s->cfg.scramble_frames || pfn >= s->npages)
		return pfn;
	do
		pfn = forward(&s->perm, pfn);
	while (pfn >= s->npages);
	return pfn;
}

uint64_t sim_pfn(const struct ptb_sim *s, uint64_t frame)
{
	if (!s->cfg.scramble_frames || frame >= s->npages)
		return frame;
	do
		frame = backward(&s->perm, frame);
	while (frame >= s->npages);
	return frame;
}
