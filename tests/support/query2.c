/* SPDX-License-Identifier: MIT */
#include "query2.h"

const char *query2(const struct ptb_space *s, struct ptb_checked *c, ptb_va_t va, struct query2 *q)
{
	struct ptb_mapping fast = { 0 };
	bool hidden = c->hide_window;
	uint64_t calls = c->table_ptr_calls;
	c->hide_window = false;
	ptb_err_t ef = ptb_space_query(s, va, &fast);
	q->fast += c->table_ptr_calls == calls;
	q->queries++;
	c->hide_window = true;
	q->m = (struct ptb_mapping){ 0 };
	q->err = ptb_space_query(s, va, &q->m);
	c->hide_window = hidden;
	if (ef != q->err)
		return "the window walk and the table_ptr walk return different codes";
	if (ef == PTB_OK && (fast.pa.raw != q->m.pa.raw || fast.attr != q->m.attr ||
			     fast.level != q->m.level || fast.page_size != q->m.page_size))
		return "the window walk and the table_ptr walk map va differently";
	return 0;
}
