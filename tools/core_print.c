/* SPDX-License-Identifier: MIT */
/* What `ptboot dump|query|check --core` print: text and JSON. */
#include <inttypes.h>
#include <stdlib.h>
#include <ptboot/check.h>
#include <ptboot/cursor.h>
#include "cli.h"
#include "core_cmd.h"
#include "report.h"

static const char *cache_name[] = { "WB", "WT", "UC-", "UC", "WC", "WP" };
static const char *level_name[] = { "", "4K", "2M", "1G", "512G", "256T" };

/* Where the root came from, as a comment line (text) or JSON members. */
static void header(FILE *f, const struct core_view *v, bool json)
{
	if (json) {
		fprintf(f, "\"core\": {\"root\": \"0x%" PRIx64 "\", \"cr3\": \"0x%" PRIx64 "\", \"format\": \"%s\"",
			v->space.root.raw, v->cr3, v->format->name);
		if (v->from_note)
			fprintf(f, ", \"cpu\": %u, \"cr4\": \"0x%" PRIx64 "\"", v->cpu, v->cr4);
		fprintf(f, ", \"memory_bytes\": %" PRIu64 "}", v->core.bytes);
		return;
	}
	fprintf(f, "# %s: ", v->path);
	if (v->from_note)
		fprintf(f, "cpu %u cr3 0x%" PRIx64 " cr4 0x%" PRIx64, v->cpu, v->cr3, v->cr4);
	else
		fprintf(f, "--cr3 0x%" PRIx64, v->cr3);
	fprintf(f, ": %s, root 0x%" PRIx64 ", %" PRIu64 " MiB of memory in the dump\n", v->format->name,
		v->space.root.raw, v->core.bytes >> 20);
}

struct json_out {
	FILE *f;
	uint64_t n;
};

static bool json_range(void *arg, const struct ptb_range *r)
{
	struct json_out *o = arg;
	fprintf(o->f, "%s\n  {\"va\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\", \"pa\": \"0x%" PRIx64
		"\", \"page\": \"%s\", \"write\": %s, \"exec\": %s, \"user\": %s, \"global\": %s, \"cache\": \"%s\"}",
		o->n++ ? "," : "", r->va.raw, r->va.raw + r->len, r->pa.raw, level_name[r->level],
		r->attr & PTB_ATTR_WRITE ? "true" : "false", r->attr & PTB_ATTR_EXEC ? "true" : "false",
		r->attr & PTB_ATTR_USER ? "true" : "false", r->attr & PTB_ATTR_GLOBAL ? "true" : "false",
		cache_name[ptb_attr_get_cache(r->attr)]);
	return true;
}

int core_print_dump(FILE *f, struct core_view *v, bool json)
{
	if (!json) {
		header(f, v, false);
		return dump_space(f, &v->space) ? CLI_BAD_INPUT : CLI_OK;
	}
	struct json_out o = { f, 0 };
	fputc('{', f);
	header(f, v, true);
	fputs(", \"ranges\": [", f);
	ptb_err_t err = ptb_space_ranges(&v->space, json_range, &o);
	fputs("\n]}\n", f);
	return err ? CLI_BAD_INPUT : CLI_OK;
}

/* The x86 bits of an entry, for reading a walk (not for walking). */
static void entry_bits(char *buf, size_t n, unsigned level, uint64_t e)
{
	static const char *names[] = { "P", "RW", "US", "PWT", "PCD", "A", "D", "PS", "G" };
	size_t used = 0;
	buf[0] = 0;
	for (unsigned b = 0; b < 9; b++) {
		const char *name = b == 7 && level == 1 ? "PAT" : names[b];
		if (e >> b & 1)
			used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? " " : "", name);
	}
	if (level > 1 && (e >> 7 & 1) && (e >> 12 & 1))
		used += (size_t)snprintf(buf + used, n - used, " PAT");
	if (e >> 63)
		snprintf(buf + used, n - used, "%sNX", used ? " " : "");
}

static int query_one(FILE *f, struct core_view *v, const char *arg, bool json, bool first)
{
	uint64_t va;
	if (!cli_parse_u64(arg, &va))
		return cli_bad_input("query", "bad VA '%s'", arg);
	struct ptb_cursor c;
	uint64_t last;
	ptb_err_t err = ptb_cursor_inspect(&c, &v->space, ptb_va(va), &last);
	if (err)
		return cli_bad_input("query", "VA 0x%" PRIx64 ": %s", va, ptb_strerror(err));
	struct ptb_mapping m;
	ptb_err_t qerr = ptb_space_query(&v->space, ptb_va(va), &m);
	const struct ptb_format *fm = v->format;
	fprintf(f, json ? "%s\n  {\"va\": \"0x%" PRIx64 "\", \"walk\": [" : "%s0x%016" PRIx64 ":\n",
		json ? (first ? "" : ",") : "", va);
	for (unsigned l = fm->levels; l >= c.level; l--) {
		unsigned i = ptb_format_index(fm, l, ptb_va(va));
		uint64_t e = c.table[l][i];
		char bits[64];
		entry_bits(bits, sizeof(bits), l, e);
		if (json)
			fprintf(f, "%s{\"level\": %u, \"table\": \"0x%" PRIx64 "\", \"index\": %u, \"entry\": \"0x%" PRIx64
				"\"}", l == fm->levels ? "" : ", ", l, c.table_pa[l].raw, i, e);
		else
			fprintf(f, "  L%u table 0x%-12" PRIx64 " [%3u] = 0x%016" PRIx64 "  %s\n", l, c.table_pa[l].raw,
				i, e, bits);
		if (l == 1)
			break;
	}
	if (qerr && json)
		fprintf(f, "], \"mapped\": false, \"why\": \"%s\"}", ptb_strerror(qerr));
	else if (qerr)
		fprintf(f, "  -> not mapped (%s)\n", ptb_strerror(qerr));
	else if (json)
		fprintf(f, "], \"mapped\": true, \"pa\": \"0x%" PRIx64 "\", \"page\": \"%s\", \"write\": %s, \"exec\": %s, "
			"\"user\": %s, \"global\": %s, \"cache\": \"%s\"}", m.pa.raw, level_name[m.level],
			m.attr & PTB_ATTR_WRITE ? "true" : "false", m.attr & PTB_ATTR_EXEC ? "true" : "false",
			m.attr & PTB_ATTR_USER ? "true" : "false", m.attr & PTB_ATTR_GLOBAL ? "true" : "false",
			cache_name[ptb_attr_get_cache(m.attr)]);
	else
		fprintf(f, "  -> pa 0x%" PRIx64 " (%s page, %s %s %s%s %s)\n", m.pa.raw, level_name[m.level],
			m.attr & PTB_ATTR_WRITE ? "RW" : "ro", m.attr & PTB_ATTR_EXEC ? "x" : "NX",
			m.attr & PTB_ATTR_USER ? "USR" : "ker", m.attr & PTB_ATTR_GLOBAL ? " GLB" : "",
			cache_name[ptb_attr_get_cache(m.attr)]);
	return qerr ? CLI_FAILED : CLI_OK;
}

int core_print_query(FILE *f, struct core_view *v, char **vas, int nvas, bool json)
{
	int rc = CLI_OK;
	if (json) {
		fputc('{', f);
		header(f, v, true);
		fputs(", \"queries\": [", f);
	} else {
		header(f, v, false);
	}
	for (int i = 0; i < nvas; i++) {
		int r = query_one(f, v, vas[i], json, i == 0);
		if (r == CLI_BAD_INPUT)
			return r;
		if (r)
			rc = r;
	}
	if (json)
		fputs("\n]}\n", f);
	return rc;
}

/* Every finding, not just the first: a real kernel's tree may break a rule
 * by design (Linux's ESPfix area links one table from many entries), and
 * that must not hide another broken rule.  The checker reports each link
 * into a table reached by more than one path (a finding per path): those
 * are gathered into one line per table, with its path count, printed after
 * the others; past `max` lines the rest are only counted. */
struct findings {
	FILE *f;
	bool json;
	uint64_t printed, more, max;
	const struct ptb_format *format;
	struct { uint64_t pa, paths; } shared[64]; /* distinct shared tables */
	unsigned nshared;
	uint64_t shared_more;          /* links to shared tables beyond those */
};

static void finding_out(struct findings *o, const struct ptb_check_report *r, uint64_t links)
{
	if (o->printed == o->max) {
		o->more++;
		return;
	}
	const char *sep = o->printed++ ? "," : "";
	if (r->rule == PTB_CHECK_NO_SHARED_TABLE && o->json)
		fprintf(o->f, "%s\n  {\"rule\": \"%s\", \"table\": \"0x%" PRIx64 "\", \"paths\": %" PRIu64 "}", sep,
			ptb_check_rule_name(r->rule), r->entry, links);
	else if (r->rule == PTB_CHECK_NO_SHARED_TABLE)
		fprintf(o->f, "FAIL: %s: table 0x%" PRIx64 " is reached along %" PRIu64 " paths from the root\n",
			ptb_check_rule_name(r->rule), r->entry, links);
	else if (o->json)
		fprintf(o->f, "%s\n  {\"rule\": \"%s\", \"va\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64
			"\", \"level\": %u, \"entry\": \"0x%" PRIx64 "\"}", sep, ptb_check_rule_name(r->rule),
			r->va.raw, r->va.raw + r->len, r->level, r->entry);
	else
		fprintf(o->f, "FAIL: %s: 0x%016" PRIx64 "-0x%016" PRIx64 " (level %u entry 0x%" PRIx64 ")\n",
			ptb_check_rule_name(r->rule), r->va.raw, r->va.raw + r->len, r->level, r->entry);
}

static void flush_shared(struct findings *o)
{
	for (unsigned i = 0; i < o->nshared; i++) {
		struct ptb_check_report r = { .rule = PTB_CHECK_NO_SHARED_TABLE, .entry = o->shared[i].pa };
		finding_out(o, &r, o->shared[i].paths);
	}
	o->more += o->shared_more;
	o->nshared = 0;
}

/* One more path to the table the link entry e points to (x86 dumps). */
static void count_shared(struct findings *o, uint64_t e)
{
	uint64_t pa = e & 0x000ffffffffff000ull;
	unsigned i = 0;
	while (i < o->nshared && o->shared[i].pa != pa)
		i++;
	if (i == sizeof(o->shared) / sizeof(o->shared[0])) {
		o->shared_more++;
		return;
	}
	if (i == o->nshared)
		o->shared[o->nshared++] = (typeof(o->shared[0])){ pa, 0 };
	o->shared[i].paths++;
}

static bool on_finding(void *arg, const struct ptb_check_report *r)
{
	struct findings *o = arg;
	if (r->rule == PTB_CHECK_NO_SHARED_TABLE)
		count_shared(o, r->entry);
	else
		finding_out(o, r, 0);
	return true;
}

int core_print_check(FILE *f, struct core_view *v, bool json)
{
	struct ptb_table_count n;
	ptb_space_count_tables(&v->space, &n);
	size_t slots = (size_t)n.by_level[0] + 1;
	ptb_pa_t *scratch = calloc(slots, sizeof(*scratch));
	if (!scratch)
		return fprintf(stderr, "ptboot check: out of memory\n"), CLI_FAILED;
	struct findings o = { .f = f, .json = json, .max = 64, .format = v->format };
	struct ptb_check_policy pol = {
		.rules = PTB_CHECK_ALL & ~PTB_CHECK_TABLE_RO, .max_leaf_level = 3,
		.scratch = scratch, .scratch_len = slots, .on_finding = on_finding, .arg = &o,
	};
	struct ptb_check_report rep;
	if (json) {
		fputc('{', f);
		header(f, v, true);
		fputs(", \"findings\": [", f);
	} else {
		header(f, v, false);
	}
	ptb_err_t err = ptb_space_check(&v->space, &pol, &rep);
	free(scratch);
	if (err && err != PTB_E_NOTTABLE) {
		if (json)
			fputs("]}\n", f);
		fprintf(stderr, "ptboot check: the checker could not run: %s\n", ptb_strerror(err));
		return CLI_BAD_INPUT;
	}
	flush_shared(&o);
	if (json) {
		fprintf(f, "%s], \"more_findings\": %" PRIu64 ", \"tables\": %" PRIu64 ", \"leaves\": %" PRIu64 "}\n",
			o.printed ? "\n" : "", o.more, rep.tables, rep.leaves);
		return err ? CLI_FAILED : CLI_OK;
	}
	if (o.more)
		fprintf(f, "FAIL: ... and %" PRIu64 " more findings\n", o.more);
	if (!err) {
		fprintf(f, "ok: %" PRIu64 " tables, %" PRIu64 " leaves, every rule holds\n", rep.tables, rep.leaves);
		return CLI_OK;
	}
	fprintf(f, "%" PRIu64 " tables, %" PRIu64 " leaves, %" PRIu64 " findings\n", rep.tables, rep.leaves,
		rep.findings);
	return CLI_FAILED;
}
