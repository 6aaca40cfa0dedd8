/* SPDX-License-Identifier: MIT */
/*
 * A backend that wraps another and refuses chosen hook items, the way a
 * platform may refuse: the k-th item of seal, retire, write_live, or the
 * k-th activate.  Items before the refused one reach the inner backend (a
 * batch is cut there, with *done saying how far it went); the refused one and
 * the rest of its batch do not.  For tests of ptboot's refusal paths.
 */
#ifndef PTB_REFUSE_H
#define PTB_REFUSE_H

#include <ptboot/backend.h>

enum refuse_hook { REFUSE_SEAL, REFUSE_RETIRE, REFUSE_WRITE, REFUSE_ACTIVATE, REFUSE_HOOKS_ };

struct refuser {
	struct ptb_backend_ops ops;        /* the inner ops' flags, these hooks */
	struct ptb_backend inner;
	uint64_t at[REFUSE_HOOKS_];        /* countdown to the refused item; 0: off */
	uint64_t refused[REFUSE_HOOKS_];   /* items refused so far */
};

/* Wrap inner; nothing is refused until refuse_at is called. */
struct ptb_backend refuse_wrap(struct refuser *r, struct ptb_backend inner);

/* Refuse the k-th item of hook h from now (1 = the next), once; 0: off. */
void refuse_at(struct refuser *r, enum refuse_hook h, uint64_t k);

#endif
