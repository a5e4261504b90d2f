/* The embedded crossings table: writes keyed by (run, round, car) are
 * idempotent, invalid records are refused one by one, and the demo's
 * printout reads the rows back. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cloud.h"
#include "cloud_fixture.h"
#include "embedded.h"
#include "err.h"

int main(void)
{
	struct xr_crossing_record r[4];
	struct xr_cloud c;
	char dir[512], path[600];
	long long rows, distinct;
	int failed[4];
	char *text = NULL;
	size_t text_len = 0;
	FILE *out;

	CHECK_EQ(fx_tempdir(dir, sizeof dir, "table"), 0);
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), 0);

	/* Same record twice, in two calls and within one call: one row. */
	fx_record(&r[0], "run-a", 7);
	r[1] = r[0];
	CHECK_EQ(c.ops->table_put(&c, r, 1, failed), 0);
	CHECK_EQ(failed[0], 0);
	CHECK_EQ(c.ops->table_put(&c, r, 2, failed), 0);
	CHECK_EQ(failed[0], 0);
	CHECK_EQ(failed[1], 0);
	fx_counts(dir, &rows, &distinct);
	CHECK_EQ(rows, 1);
	CHECK_EQ(distinct, 1);

	/* A later copy with other fields does not overwrite the first. */
	r[1].crossed_ms += 5;
	CHECK_EQ(c.ops->table_put(&c, &r[1], 1, failed), 0);
	CHECK_EQ(fx_query(dir, "select crossed_ms from crossings"),
		 (long long)r[0].crossed_ms);

	/* The same (round, car) in another run is another crossing. */
	fx_record(&r[2], "run-b", 7);
	CHECK_EQ(c.ops->table_put(&c, &r[2], 1, failed), 0);
	fx_counts(dir, &rows, &distinct);
	CHECK_EQ(rows, 2);

	/* An invalid record fails alone; its neighbours are written. */
	fx_record(&r[0], "run-a", 1);
	fx_record(&r[1], "run-a", 2);
	r[1].car = 99;
	fx_record(&r[2], "run-a", 3);
	fx_record(&r[3], "run-a", 4);
	memcpy(r[3].run, "bad run", 8);
	CHECK_EQ(c.ops->table_put(&c, r, 4, failed), 0);
	CHECK_EQ(failed[0], 0);
	CHECK_EQ(failed[1], 1);
	CHECK_EQ(failed[2], 0);
	CHECK_EQ(failed[3], 1);
	CHECK_HAS(c.err, "table put: record");
	fx_counts(dir, &rows, &distinct);
	CHECK_EQ(rows, 4);
	CHECK_EQ(distinct, 4);
	CHECK_EQ(fx_query(dir, "select count(*) from crossings where "
			       "run='run-a' and round=1 and car=4 and "
			       "approach='W' and turn='right' and idx=3 and "
			       "crossed_ms=1700000000003 and after_deadlock=1"),
		 1);

	CHECK_EQ(c.ops->table_put(&c, r, 0, failed), 0);
	CHECK_EQ(c.ops->table_put(&c, NULL, 1, failed), XR_EINVAL);

	/* The printout: the rows of one run, ordered, then a count. */
	snprintf(path, sizeof path, "%s/%s", dir, XR_EMBEDDED_DB);
	out = open_memstream(&text, &text_len);
	CHECK_EQ(xr_emb_print_crossings(path, "run-a", out), 3);
	fclose(out);
	CHECK_HAS(text, "crossed_ms");
	CHECK_HAS(text, "3 crossings of run run-a in ");
	CHECK(strstr(text, "run-b") == NULL);
	CHECK(strstr(text, "run-a") < strstr(text, "1700000000003"));
	free(text);
	out = open_memstream(&text, &text_len);
	CHECK_EQ(xr_emb_print_crossings(path, NULL, out), 4);
	fclose(out);
	CHECK_HAS(text, "run-b");
	free(text);
	out = open_memstream(&text, &text_len);
	CHECK(xr_emb_print_crossings("/nonexistent/xroad.db", NULL, out) <
	      0);
	fclose(out);
	free(text);

	xr_cloud_close(&c);
	fx_rmdir(dir);
	CHECK_DONE("test_cloud_table");
}
