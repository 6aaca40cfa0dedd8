/* SPDX-License-Identifier: MIT */
/*
 * Statistics of a simulated boot, as text and as JSON.  In JSON, addresses
 * are hex strings ("0xffffffff81000000": a JSON number loses bits above
 * 2^53 in most readers) and counts are numbers.
 */
#include "report.h"

typedef unsigned long long ull;

static const char *const hook_names[PTB_SIM_HOOK_COUNT_] = {
	"alloc_table", "free_table", "seal", "retire", "write_live", "activate", "flush", "frames_of", "pa_of",
};
static const char *const kind_names[] = { "text", "rodata", "data", "bss" };

/* Hook calls that carry an array: each is one batch. */
static uint64_t batches(const struct ptb_sim_stats *s)
{
	return s->calls[PTB_SIM_SEAL] + s->calls[PTB_SIM_RETIRE] + s->calls[PTB_SIM_WRITE_LIVE];
}

static void text_tables(FILE *f, const struct boot_report *r)
{
	const struct ptb_boot_stats *b = &r->boot->stats;
	fprintf(f, "tables          %llu (minimum %llu", (ull)b->tables.by_level[0], (ull)r->min_tables);
	if (r->model_min_tables != r->min_tables)
		fprintf(f, "; ptb_boot_min_tables says %llu", (ull)r->model_min_tables);
	fprintf(f, "):");
	for (unsigned l = r->in->format->levels; l >= 1; l--)
		fprintf(f, " L%u %llu", l, (ull)b->tables.by_level[l]);
	fprintf(f, "\n");
}

static void text_hooks(FILE *f, const struct ptb_sim_stats *s, double gib)
{
	fprintf(f, "hook calls     ");
	for (int h = 0; h < PTB_SIM_HOOK_COUNT_; h++)
		if (s->calls[h])
			fprintf(f, " %s %llu (%llu items)", hook_names[h], (ull)s->calls[h], (ull)s->items[h]);
	fprintf(f, "\ntraps           %llu (%.1f per GiB mapped), %llu batches\n", (ull)s->traps,
		gib > 0 ? s->traps / gib : 0.0, (ull)batches(s));
	fprintf(f, "status flips    RW->RO %llu, RO->RW %llu\n", (ull)s->rw_to_ro, (ull)s->ro_to_rw);
}

void stats_text(FILE *f, const struct boot_report *r)
{
	const struct ptb_boot_stats *b = &r->boot->stats;
	double gib = b->ram_bytes / (double)(1ull << 30);
	fprintf(f, "platform        %s, %s, pages up to %s\n", r->platform, r->in->format->name,
		(const char *[]){ "?", "4K", "2M", "1G" }[r->boot->max_leaf_level]);
	fprintf(f, "RAM mapped      %.3f GiB (%.3f GiB before the switch)\n", gib,
		b->step2_bytes / (double)(1ull << 30));
	text_tables(f, r);
	fprintf(f, "reserve         %llu of %llu pages at 0x%llx\n", (ull)b->reserve_used,
		(ull)r->in->reserve_pages, (ull)r->in->reserve_pa.raw);
	fprintf(f, "from RAM        %llu tables, lowest at 0x%llx\n", (ull)b->ram_tables, (ull)b->lowest_table_pa);
	fprintf(f, "rounds          %llu after the switch, %llu map calls\n", (ull)b->rounds, (ull)b->map_calls);
	text_hooks(f, r->sim, gib);
}

static void json_tables(FILE *f, const struct boot_report *r)
{
	const struct ptb_boot_stats *b = &r->boot->stats;
	fprintf(f, "  \"tables\": {\"total\": %llu, \"by_level\": [", (ull)b->tables.by_level[0]);
	for (unsigned l = 1; l <= r->in->format->levels; l++)
		fprintf(f, "%s%llu", l > 1 ? ", " : "", (ull)b->tables.by_level[l]);
	fprintf(f, "]},\n  \"min_tables\": %llu,\n  \"min_tables_library\": %llu,\n", (ull)r->min_tables,
		(ull)r->model_min_tables);
	fprintf(f, "  \"reserve\": {\"base\": \"0x%llx\", \"pages\": %llu, \"used\": %llu},\n",
		(ull)r->in->reserve_pa.raw, (ull)r->in->reserve_pages, (ull)b->reserve_used);
	fprintf(f, "  \"lowest_table_pa\": \"0x%llx\",\n  \"ram_tables\": %llu,\n", (ull)b->lowest_table_pa,
		(ull)b->ram_tables);
}

static void json_layout(FILE *f, const struct boot_report *r)
{
	const struct ptb_boot_stats *b = &r->boot->stats;
	fprintf(f, "  \"kernel\": [");
	for (size_t i = 0; i < r->in->kernel_len; i++) {
		const struct ptb_segment *k = &r->in->kernel[i];
		fprintf(f, "%s\n    {\"va\": \"0x%llx\", \"pa\": \"0x%llx\", \"len\": %llu, \"kind\": \"%s\"}",
			i ? "," : "", (ull)k->va.raw, (ull)k->pa.raw, (ull)k->len, kind_names[k->kind]);
	}
	fprintf(f, "\n  ],\n  \"direct_map_base\": \"0x%llx\",\n", (ull)r->in->direct_map.raw);
	fprintf(f, "  \"ram_bytes\": %llu,\n  \"ram_bytes_before_switch\": %llu,\n", (ull)b->ram_bytes,
		(ull)b->step2_bytes);
}

static void json_hooks(FILE *f, const struct ptb_sim_stats *s)
{
	fprintf(f, "  \"hooks\": {");
	for (int h = 0; h < PTB_SIM_HOOK_COUNT_; h++)
		fprintf(f, "%s\n    \"%s\": {\"calls\": %llu, \"items\": %llu, \"max_batch\": %llu}", h ? "," : "",
			hook_names[h], (ull)s->calls[h], (ull)s->items[h], (ull)s->max_batch[h]);
	fprintf(f, "\n  },\n  \"table_ptr_calls\": %llu,\n  \"batches\": %llu,\n  \"traps\": %llu,\n",
		(ull)s->table_ptr_calls, (ull)batches(s), (ull)s->traps);
	fprintf(f, "  \"flips\": {\"rw_to_ro\": %llu, \"ro_to_rw\": %llu},\n", (ull)s->rw_to_ro, (ull)s->ro_to_rw);
}

void stats_json(FILE *f, const struct boot_report *r)
{
	const struct ptb_boot_stats *b = &r->boot->stats;
	fprintf(f, "{\n  \"platform\": \"%s\",\n  \"format\": \"%s\",\n  \"max_page\": \"%s\",\n", r->platform,
		r->in->format->name, (const char *[]){ "?", "4k", "2m", "1g" }[r->boot->max_leaf_level]);
	json_tables(f, r);
	json_layout(f, r);
	json_hooks(f, r->sim);
	fprintf(f, "  \"rounds\": %llu,\n  \"map_calls\": %llu,\n  \"boot_tables_freed\": %llu\n}\n",
		(ull)b->rounds, (ull)b->map_calls, (ull)b->boot_tables_freed);
}
