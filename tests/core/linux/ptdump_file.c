// SPDX-License-Identifier: GPL-2.0-only
/*
 * Gives Debian's kernel (CONFIG_PTDUMP_DEBUGFS is not set there) the file
 * /sys/kernel/debug/page_tables/kernel back, through the walker the kernel
 * exports (ptdump_walk_pgd_level_debugfs, built in for DEBUG_WX), and
 * page_tables/markers: the address markers that walker uses, several of
 * which move with KASLR, as `ptboot dump --linux-markers` takes them.
 * The walk is of the reader's mm: its kernel half is init_mm's (init_mm is
 * not exported).  GPL because the symbol is EXPORT_SYMBOL_GPL; a test
 * helper for tests/core/check-linux, not part of ptboot.
 * No __init/__exit: nothing of the module is freed after it is loaded, so
 * the Modules area stays as the ptdump printed it.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/pgtable.h>
#include <asm/fixmap.h>

static int kernel_show(struct seq_file *m, void *v)
{
	if (current->mm)
		ptdump_walk_pgd_level_debugfs(m, current->mm, false);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kernel);

static int markers_show(struct seq_file *m, void *v)
{
	seq_printf(m, "ldt=0x%lx,page_offset=0x%lx,vmalloc=0x%lx,vmemmap=0x%lx,cpu_entry=0x%lx,"
		   "espfix=0x%lx,efi_end=0x%lx,high_kernel=0x%lx,modules=0x%lx,modules_end=0x%lx,"
		   "fixmap=0x%lx\n",
		   (unsigned long)LDT_BASE_ADDR, (unsigned long)PAGE_OFFSET, (unsigned long)VMALLOC_START,
		   (unsigned long)VMEMMAP_START, (unsigned long)CPU_ENTRY_AREA_BASE,
		   (unsigned long)ESPFIX_BASE_ADDR, (unsigned long)EFI_VA_END,
		   (unsigned long)__START_KERNEL_map, (unsigned long)MODULES_VADDR,
		   (unsigned long)MODULES_END, (unsigned long)FIXADDR_START);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(markers);

static struct dentry *dir;

static int ptdump_file_init(void)
{
	dir = debugfs_create_dir("page_tables", NULL);
	debugfs_create_file("kernel", 0400, dir, NULL, &kernel_fops);
	debugfs_create_file("markers", 0400, dir, NULL, &markers_fops);
	return 0;
}

static void ptdump_file_exit(void)
{
	debugfs_remove_recursive(dir);
}

module_init(ptdump_file_init);
module_exit(ptdump_file_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("page_tables/kernel for kernels without CONFIG_PTDUMP_DEBUGFS (ptboot's tests)");
