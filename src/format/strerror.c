/* SPDX-License-Identifier: MIT */
#include <ptboot/types.h>

const char *ptb_strerror(ptb_err_t err)
{
	static const char *const msg[PTB_E_COUNT_] = {
		[PTB_OK] = "ok",
		[PTB_E_INVAL] = "invalid argument",
		[PTB_E_ALIGN] = "misaligned address or length",
		[PTB_E_NONCANON] = "non-canonical virtual address",
		[PTB_E_RANGE] = "range wraps or exceeds the format",
		[PTB_E_ATTR] = "unknown attribute bits or cache type",
		[PTB_E_WX] = "writable and executable refused (W^X)",
		[PTB_E_CONFLICT] = "conflicts with an existing mapping",
		[PTB_E_NOMEM] = "out of table pages",
		[PTB_E_REFUSED] = "refused by the platform",
		[PTB_E_NOTMAPPED] = "not mapped",
		[PTB_E_RESERVED] = "address in root slots the space does not own (platform or imported)",
		[PTB_E_NOTTABLE] = "not a valid page table",
		[PTB_E_MEMMAP] = "malformed memory map",
		[PTB_E_IMAGE] = "malformed table image",
	};
	if ((unsigned)err >= PTB_E_COUNT_)
		return "unknown error";
	return msg[err];
}
