/* SPDX-License-Identifier: MIT */
/* Statistics of a simulated boot, as text and as JSON. */
#include "report.h"

static const char *const hook_names[PTB_SIM_HOOK_COUNT_] = {
	"alloc_table", "free_table", "seal", "retire", "write_live", "activate", "flush", "frames_of", "pa_of",
};
static const char *const kind_names[] = { "text", "rodata", "data", "bss" };

static uint64_t batches(const struct ptb_sim_stats *s)
{
	return s->calls[PTB_SIM_SEAL] + s->calls[PTB_SIM_RETIRE] + s->calls[PTB_SIM_WRITE_LIVE];
}

void stats_text(FILE *f, const struct boot_report *r)
{
	const struct ptb_boot_stats *b = &r->boot->stats;
	const struct ptb_sim_stats *s = r->sim;
	double gib = b->ram_bytes / (double)(1ull << 30);
	fprintf(f, "platform        %s, %s\n", r->platform, r->in->format->name);
	fprintf(f, "RAM mapped      %.3f GiB (%.3f GiB before the switch)\n", gib,
		b->step2_bytes / (double)(1ull << 30));
	fprintf(f, "tables          %llu (minimum %llu):", (unsigned long long)b->tables.by_level[0],
		(unsigned long long)r->min_tables);
	for (unsigned l = r->in->format->levels; l >= 1; l--)
		fprintf(f, " L%u %llu", l, (unsigned long long)b->tables.by_level[l]);
	fprintf(f, "\nreserve         %llu of %llu pages at 0x%llx\n", (unsigned long long)b->reserve_used,
		(unsigned long long)r->in->reserve_pages, (unsigned long long)r->in->reserve_pa.raw);
	fprintf(f, "from RAM        %llu tables, lowest at 0x%llx\n", (unsigned long long)b->ram_tables,
		(unsigned long long)b->lowest_table_pa);
	fprintf(f, "rounds          %llu after the switch, %llu map calls\n", (unsigned long long)b->rounds,
		(unsigned long long)b->map_calls);
	fprintf(f, "hook calls     ");
	for (int h = 0; h < PTB_SIM_HOOK_COUNT_; h++)
		if (s->calls[h])
			fprintf(f, " %s %llu (%llu items)", hook_names[h], (unsigned long long)s->calls[h],
				(unsigned long long)s->items[h]);
	fprintf(f, "\ntraps           %llu (%.1f per GiB mapped), %llu batches\n", (unsigned long long)s->traps,
		gib > 0 ? s->traps / gib : 0.0, (unsigned long long)batches(s));
	fprintf(f, "status flips    RW->RO %llu, RO->RW %llu\n", (unsigned long long)s->rw_to_ro,
		(unsigned long long)s->ro_to_rw);
}

void stats_json(FILE *f, const struct boot_report *r)
{
	const struct ptb_boot_stats *b = &r->boot->stats;
	const struct ptb_sim_stats *s = r->sim;
	fprintf(f, "{\n  \"platform\": \"%s\",\n  \"format\": \"%s\",\n", r->platform, r->in->format->name);
	fprintf(f, "  \"tables\": {\"total\": %llu, \"by_level\": [", (unsigned long long)b->tables.by_level[0]);
	for (unsigned l = 1; l <= r->in->format->levels; l++)
		fprintf(f, "%s%llu", l > 1 ? ", " : "", (unsigned long long)b->tables.by_level[l]);
	fprintf(f, "]},\n  \"min_tables\": %llu,\n  \"min_tables_model\": %llu,\n", (unsigned long long)r->min_tables,
		(unsigned long long)b->min_tables);
	fprintf(f, "  \"reserve\": {\"base\": %llu, \"pages\": %llu, \"used\": %llu},\n",
		(unsigned long long)r->in->reserve_pa.raw, (unsigned long long)r->in->reserve_pages,
		(unsigned long long)b->reserve_used);
	fprintf(f, "  \"kernel\": [");
	for (size_t i = 0; i < r->in->kernel_len; i++) {
		const struct ptb_segment *k = &r->in->kernel[i];
		fprintf(f, "%s\n    {\"va\": %llu, \"pa\": %llu, \"len\": %llu, \"kind\": \"%s\"}", i ? "," : "",
			(unsigned long long)k->va.raw, (unsigned long long)k->pa.raw, (unsigned long long)k->len,
			kind_names[k->kind]);
	}
	fprintf(f, "\n  ],\n  \"direct_map_base\": %llu,\n  \"ram_bytes\": %llu,\n",
		(unsigned long long)r->in->direct_map.raw, (unsigned long long)b->ram_bytes);
	fprintf(f, "  \"hooks\": {");
	for (int h = 0; h < PTB_SIM_HOOK_COUNT_; h++)
		fprintf(f, "%s\"%s\": {\"calls\": %llu, \"items\": %llu, \"max_batch\": %llu}", h ? ", " : "",
			hook_names[h], (unsigned long long)s->calls[h], (unsigned long long)s->items[h],
			(unsigned long long)s->max_batch[h]);
	fprintf(f, "},\n  \"batches\": %llu,\n  \"traps\": %llu,\n", (unsigned long long)batches(s),
		(unsigned long long)s->traps);
	fprintf(f, "  \"flips\": {\"rw_to_ro\": %llu, \"ro_to_rw\": %llu},\n", (unsigned long long)s->rw_to_ro,
		(unsigned long long)s->ro_to_rw);
	fprintf(f, "  \"lowest_table_pa\": %llu,\n  \"ram_tables\": %llu,\n  \"rounds\": %llu,\n  \"map_calls\": %llu\n}\n",
		(unsigned long long)b->lowest_table_pa, (unsigned long long)b->ram_tables,
		(unsigned long long)b->rounds, (unsigned long long)b->map_calls);
}
