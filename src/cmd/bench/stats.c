#include "cmd/bench/stats.h"

#include <stdio.h>
#include <string.h>

void stats_reset(struct bench_stats *s) { memset(s, 0, sizeof(*s)); }

static unsigned bucket_of(uint64_t v)
{
	if (v < STATS_SUB)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - STATS_SUB_BITS;
	if (shift > STATS_MAX_SHIFT)
		return STATS_BUCKETS - 1;
	/* v >> shift lies in [SUB, 2*SUB). */
	return STATS_SUB + shift * STATS_SUB + (unsigned)((v >> shift) - STATS_SUB);
}

/* The middle of a bucket's range. */
static uint64_t bucket_value(unsigned idx)
{
	if (idx < STATS_SUB)
		return idx;
	unsigned shift = (idx - STATS_SUB) / STATS_SUB;
	uint64_t mant = STATS_SUB + (idx - STATS_SUB) % STATS_SUB;
	return (mant << shift) + ((1ull << shift) >> 1);
}

void stats_record_latency(struct bench_stats *s, uint64_t ns)
{
	s->hist[bucket_of(ns)]++;
	s->lat_sum_ns += ns;
	if (ns > s->lat_max_ns)
		s->lat_max_ns = ns;
}

void stats_record_error(struct bench_errors *e, uint32_t opnum, uint32_t status)
{
	e->total++;
	for (unsigned i = 0; i < e->nkinds; i++) {
		if (e->kinds[i].opnum == opnum && e->kinds[i].status == status) {
			e->kinds[i].count++;
			return;
		}
	}
	/* Past the table's size the rest land on the last kind: the total
	 * stays right, and 32 distinct kinds already say enough. */
	unsigned i = e->nkinds < STATS_MAX_ERROR_KINDS ? e->nkinds++ : STATS_MAX_ERROR_KINDS - 1;
	if (e->kinds[i].count == 0) {
		e->kinds[i].opnum = opnum;
		e->kinds[i].status = status;
	}
	e->kinds[i].count++;
}

uint64_t stats_quantile(const struct bench_stats *s, double q)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < STATS_BUCKETS; i++)
		total += s->hist[i];
	if (total == 0)
		return 0;
	/* The smallest value with at least q of the samples at or below it. */
	uint64_t rank = (uint64_t)(q * (double)total + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > total)
		rank = total;
	uint64_t seen = 0;
	for (unsigned i = 0; i < STATS_BUCKETS; i++) {
		seen += s->hist[i];
		if (seen >= rank) {
			uint64_t v = bucket_value(i);
			return v > s->lat_max_ns ? s->lat_max_ns : v;
		}
	}
	return s->lat_max_ns;
}

void bench_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}
