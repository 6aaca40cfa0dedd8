/* SPDX-License-Identifier: MIT */
/* The refusing wrapper backend (see refuse.h). */
#include "refuse.h"

/* How many of n items pass before the refusal; n when none is due. */
static size_t passing(struct refuser *r, enum refuse_hook h, size_t n)
{
	if (!r->at[h] || r->at[h] > n) {
		if (r->at[h])
			r->at[h] -= n;
		return n;
	}
	size_t pass = (size_t)(r->at[h] - 1);
	r->at[h] = 0;
	r->refused[h]++;
	return pass;
}

/* The answer of a hook whose first `pass` of n items went to the inner one. */
static ptb_err_t finish(ptb_err_t inner_err, size_t inner_done, size_t pass, size_t n, size_t *done)
{
	if (inner_err) {
		*done = inner_done;
		return inner_err;
	}
	*done = pass;
	return pass == n ? PTB_OK : PTB_E_REFUSED;
}

static ptb_err_t r_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	struct refuser *r = ctx;
	return r->inner.ops->alloc_table(r->inner.ctx, level, pa);
}

static void r_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct refuser *r = ctx;
	r->inner.ops->free_table(r->inner.ctx, pa, level);
}

static uint64_t *r_ptr(void *ctx, ptb_pa_t pa)
{
	struct refuser *r = ctx;
	return r->inner.ops->table_ptr(r->inner.ctx, pa);
}

static uintptr_t r_window(void *ctx)
{
	struct refuser *r = ctx;
	return r->inner.ops->table_window(r->inner.ctx);
}

static ptb_err_t r_frames_of(void *ctx, ptb_pa_t pa, size_t n, ptb_frame_t *out)
{
	struct refuser *r = ctx;
	return r->inner.ops->frames_of(r->inner.ctx, pa, n, out);
}

static ptb_err_t r_pa_of(void *ctx, ptb_frame_t fr, ptb_pa_t *pa)
{
	struct refuser *r = ctx;
	return r->inner.ops->pa_of(r->inner.ctx, fr, pa);
}

static ptb_err_t r_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct refuser *r = ctx;
	size_t pass = passing(r, REFUSE_SEAL, n), d = 0;
	ptb_err_t err = pass ? r->inner.ops->seal(r->inner.ctx, t, pass, &d) : PTB_OK;
	return finish(err, d, pass, n, done);
}

static ptb_err_t r_retire(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct refuser *r = ctx;
	size_t pass = passing(r, REFUSE_RETIRE, n), d = 0;
	ptb_err_t err = pass ? r->inner.ops->retire(r->inner.ctx, t, pass, &d) : PTB_OK;
	return finish(err, d, pass, n, done);
}

static ptb_err_t r_write(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	struct refuser *r = ctx;
	size_t pass = passing(r, REFUSE_WRITE, n), d = 0;
	ptb_err_t err = pass ? r->inner.ops->write_live(r->inner.ctx, w, pass, &d) : PTB_OK;
	return finish(err, d, pass, n, done);
}

static ptb_err_t r_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	struct refuser *r = ctx;
	if (!passing(r, REFUSE_ACTIVATE, 1))
		return PTB_E_REFUSED;
	return r->inner.ops->activate(r->inner.ctx, root, level);
}

static void r_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	struct refuser *r = ctx;
	r->inner.ops->flush(r->inner.ctx, va, len);
}

struct ptb_backend refuse_wrap(struct refuser *r, struct ptb_backend inner)
{
	const struct ptb_backend_ops *in = inner.ops;
	*r = (struct refuser){
		.ops = {
			.flags = in->flags,
			.alloc_table = r_alloc,
			.free_table = r_free,
			.table_ptr = r_ptr,
			.table_window = in->table_window ? r_window : NULL,
			.frames_of = in->frames_of ? r_frames_of : NULL,
			.pa_of = in->pa_of ? r_pa_of : NULL,
			.seal = r_seal,
			.retire = r_retire,
			.write_live = r_write,
			.activate = r_activate,
			.flush = r_flush,
		},
		.inner = inner,
	};
	return (struct ptb_backend){ &r->ops, r };
}

void refuse_at(struct refuser *r, enum refuse_hook h, uint64_t k)
{
	r->at[h] = k;
}
