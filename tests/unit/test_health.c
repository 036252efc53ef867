// SPDX-License-Identifier: GPL-2.0-only
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/health.h"

static unsigned long long value_of(const char *text, const char *name)
{
	char key[96];
	const char *p;

	snprintf(key, sizeof(key), "\nwhodunit_%s ", name);
	p = strstr(text, key);
	cr_assert(p, "no sample line for %s", name);
	cr_assert(!strstr(p + 1, key), "%s written twice", name);
	return strtoull(p + strlen(key), NULL, 10);
}

/* Every counter of wd_totals lands under its own name with its own value. */
Test(metrics, each_counter_has_its_field)
{
	struct wd_totals t;
	struct wd_ptable table = { .count = 7, .bytes = 4096, .trimmed = 3 };
	char path[] = "/tmp/wd-metrics-XXXXXX", text[16384];
	uint64_t *f = (uint64_t *)&t;
	size_t i, n;
	FILE *in;
	int fd;

	for (i = 0; i < sizeof(t) / sizeof(*f); i++)
		f[i] = 1000 + i;
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(wd_metrics_write(path, &t, &table, 5), 0);
	in = fopen(path, "r");
	cr_assert(in);
	text[0] = '\n';
	n = fread(text + 1, 1, sizeof(text) - 2, in);
	text[n + 1] = 0;
	fclose(in);
	unlink(path);

	cr_expect_eq(value_of(text, "seen_total"), t.seen);
	cr_expect_eq(value_of(text, "filtered_total"), t.filtered);
	cr_expect_eq(value_of(text, "container_filtered_total"), t.container_filtered);
	cr_expect_eq(value_of(text, "lost_ring_full_total"), t.ring_lost);
	cr_expect_eq(value_of(text, "lost_output_total"), t.output_lost);
	cr_expect_eq(value_of(text, "written_total"), t.written);
	cr_expect_eq(value_of(text, "process_records_lost_total"), t.proc_lost);
	cr_expect_eq(value_of(text, "udp_destinations_truncated_total"), t.udp_truncated);
	cr_expect_eq(value_of(text, "dns_malformed_total"), t.dns_malformed);
	cr_expect_eq(value_of(text, "repeat_uncounted_total"), t.repeat_uncounted);
	cr_expect_eq(value_of(text, "process_table_entries"), 7);
	cr_expect_eq(value_of(text, "process_table_bytes"), 4096);
	cr_expect_eq(value_of(text, "udp_sessions"), 5);
	cr_expect(strstr(text, "# TYPE whodunit_process_table_entries gauge\n"));
	cr_expect(strstr(text, "# TYPE whodunit_seen_total counter\n"));
}
