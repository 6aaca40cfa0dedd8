/* SPDX-License-Identifier: MIT */
/* Segmented scales: linear inside each segment, segment widths by weight. */
#include "svg.h"

void svg_scale_init(struct svg_scale *s, const uint64_t *b, const double *w, size_t n, double x0, double width)
{
	double sum = 0;
	n = n > SVG_MAX_SEGS ? SVG_MAX_SEGS : n;
	for (size_t i = 0; i < n; i++)
		sum += w[i];
	s->n = n;
	s->x[0] = x0;
	for (size_t i = 0; i < n; i++) {
		s->lo[i] = b[i];
		s->x[i + 1] = s->x[i] + (sum > 0 ? width * w[i] / sum : 0);
	}
	s->lo[n] = b[n];
}

double svg_scale_x(const struct svg_scale *s, uint64_t a)
{
	if (!s->n || a <= s->lo[0])
		return s->x[0];
	size_t lo = 0, hi = s->n; /* find i with lo[i] <= a < lo[i+1] */
	while (hi - lo > 1) {
		size_t m = (lo + hi) / 2;
		if (s->lo[m] <= a)
			lo = m;
		else
			hi = m;
	}
	if (a >= s->lo[s->n])
		return s->x[s->n];
	/* the segment's length may be 2^64 - lo: compute in long double */
	long double frac = (long double)(a - s->lo[lo]) / (long double)(s->lo[lo + 1] - s->lo[lo]);
	return s->x[lo] + (double)frac * (s->x[lo + 1] - s->x[lo]);
}
