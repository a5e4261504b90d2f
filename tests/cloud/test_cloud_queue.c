/* Embedded queue semantics, as SQS's: receive hides a message for the
 * visibility window, a message not deleted comes back with a new receipt,
 * only the latest receipt deletes, poison messages are dead-lettered, and
 * everything survives closing and reopening the database. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cloud.h"
#include "cloud_fixture.h"
#include "embedded.h"
#include "err.h"

static struct xr_cloud c;
static char dir[512];

static size_t receive(struct xr_queue_msg *m, size_t max)
{
	size_t n = 99;

	CHECK_EQ(c.ops->queue_receive(&c, m, max, 0, &n), 0);
	return n;
}

static void open_at(void)
{
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), 0);
	CHECK_EQ(xr_emb_set_clock(&c, fx_clock, &fx_clock_ms), 0);
	CHECK_EQ(xr_emb_set_visibility(&c, 1000), 0);
}

static void test_visibility(void)
{
	struct xr_queue_msg m[XR_QUEUE_BATCH_MAX], again[XR_QUEUE_BATCH_MAX];
	char first_receipt[1024];

	CHECK_EQ(c.ops->queue_send(&c, "one"), 0);
	CHECK_EQ(c.ops->queue_send(&c, "two"), 0);
	CHECK_EQ(c.ops->queue_send(&c, "three"), 0);

	/* FIFO in practice (SQS standard does not promise it; we do). */
	CHECK_EQ(receive(m, 2), 2);
	CHECK_STR(m[0].body, "one");
	CHECK_STR(m[1].body, "two");
	CHECK(strcmp(m[0].id, m[1].id) != 0);
	CHECK_EQ(strlen(m[0].id), 36);
	snprintf(first_receipt, sizeof first_receipt, "%s", m[0].receipt);
	CHECK_EQ(receive(again, 10), 1);
	CHECK_STR(again[0].body, "three");
	xr_queue_msgs_free(again, 1);
	/* Hidden: nothing during the window ... */
	CHECK_EQ(receive(again, 10), 0);
	fx_clock_ms += 999;
	CHECK_EQ(receive(again, 10), 0);
	/* ... and all three back after it, with new receipts, same ids. */
	fx_clock_ms += 1;
	CHECK_EQ(receive(again, 10), 3);
	CHECK_STR(again[0].id, m[0].id);
	CHECK(strcmp(again[0].receipt, first_receipt) != 0);

	/* The stale receipt deletes nothing (accepted, as SQS does) ... */
	CHECK_EQ(c.ops->queue_delete(&c, m, 2), 0);
	CHECK_EQ(fx_query(dir, "select count(*) from queue"), 3);
	/* ... the latest one does. */
	CHECK_EQ(c.ops->queue_delete(&c, again, 2), 0);
	CHECK_EQ(fx_query(dir, "select count(*) from queue"), 1);
	CHECK_EQ(c.ops->queue_delete(&c, again, 2), 0); /* twice: no-op */
	xr_queue_msgs_free(m, 2);
	xr_queue_msgs_free(again, 3);
	fx_clock_ms += 1000;
	CHECK_EQ(receive(m, 10), 1);
	CHECK_STR(m[0].body, "three");
	CHECK_EQ(fx_query(dir, "select receives from queue"), 3);
	CHECK_EQ(c.ops->queue_delete(&c, m, 1), 0);
	xr_queue_msgs_free(m, 1);
	fx_clock_ms += 1000;
	CHECK_EQ(receive(m, 10), 0);
	CHECK_EQ(fx_query(dir, "select count(*) from queue"), 0);

	/* Visibility 0: visible again at once. */
	CHECK_EQ(xr_emb_set_visibility(&c, 0), 0);
	CHECK_EQ(c.ops->queue_send(&c, "again"), 0);
	CHECK_EQ(receive(m, 1), 1);
	xr_queue_msgs_free(m, 1);
	CHECK_EQ(receive(m, 1), 1);
	CHECK_EQ(c.ops->queue_delete(&c, m, 1), 0);
	xr_queue_msgs_free(m, 1);
	CHECK_EQ(xr_emb_set_visibility(&c, 1000), 0);
}

static void test_batch_limits(void)
{
	struct xr_queue_msg m[XR_QUEUE_BATCH_MAX + 1];
	size_t n = 99;
	char *big;

	for (int i = 0; i < 12; i++)
		CHECK_EQ(c.ops->queue_send(&c, "x"), 0);
	CHECK_EQ(c.ops->queue_receive(&c, m, 0, 0, &n), XR_EINVAL);
	CHECK_EQ(c.ops->queue_receive(&c, m, 11, 0, &n), XR_EINVAL);
	CHECK_HAS(c.err, "max");
	CHECK_EQ(receive(m, 10), 10);
	CHECK_EQ(c.ops->queue_delete(&c, m, 10), 0);
	xr_queue_msgs_free(m, 10);
	CHECK_EQ(receive(m, 10), 2);
	CHECK_EQ(c.ops->queue_delete(&c, m, 2), 0);
	xr_queue_msgs_free(m, 2);
	CHECK_EQ(c.ops->queue_delete(&c, m, 11), XR_EINVAL);
	CHECK_EQ(c.ops->queue_delete(&c, m, 0), 0);

	CHECK_EQ(c.ops->queue_send(&c, NULL), XR_EINVAL);
	CHECK_EQ(c.ops->queue_send(&c, ""), XR_EINVAL);
	big = malloc(XR_EMBEDDED_BODY_MAX + 2);
	memset(big, 'b', XR_EMBEDDED_BODY_MAX + 1);
	big[XR_EMBEDDED_BODY_MAX + 1] = '\0';
	CHECK_EQ(c.ops->queue_send(&c, big), XR_ETOOBIG);
	CHECK_HAS(c.err, "larger than");
	big[XR_EMBEDDED_BODY_MAX] = '\0';
	CHECK_EQ(c.ops->queue_send(&c, big), 0);
	CHECK_EQ(receive(m, 1), 1);
	CHECK_EQ(strlen(m[0].body), XR_EMBEDDED_BODY_MAX);
	CHECK_EQ(c.ops->queue_delete(&c, m, 1), 0);
	xr_queue_msgs_free(m, 1);
	free(big);
}

static void test_dead_letter(void)
{
	struct xr_queue_msg m[1];

	CHECK_EQ(xr_emb_set_max_receives(&c, 2), 0);
	CHECK_EQ(c.ops->queue_send(&c, "poison"), 0);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(receive(m, 1), 1);
		xr_queue_msgs_free(m, 1);
		fx_clock_ms += 1000;
	}
	CHECK_EQ(receive(m, 1), 0);
	CHECK_EQ(fx_query(dir, "select count(*) from queue"), 0);
	CHECK_EQ(fx_query(dir, "select count(*) from queue_dead"), 1);
	CHECK_EQ(fx_query(dir, "select receives from queue_dead"), 2);
	CHECK_EQ(xr_emb_set_max_receives(&c, 0), 0);
}

static void test_persistence(void)
{
	struct xr_queue_msg m[2];

	CHECK_EQ(c.ops->queue_send(&c, "kept"), 0);
	CHECK_EQ(c.ops->queue_send(&c, "hidden"), 0);
	CHECK_EQ(receive(m, 1), 1); /* "kept" */
	xr_queue_msgs_free(m, 1);
	xr_cloud_close(&c);
	open_at();
	/* Reopened: the hidden one stays hidden until its deadline. */
	CHECK_EQ(receive(m, 2), 1);
	CHECK_STR(m[0].body, "hidden");
	xr_queue_msgs_free(m, 1);
	fx_clock_ms += 1000;
	CHECK_EQ(receive(m, 2), 2);
	CHECK_EQ(c.ops->queue_delete(&c, m, 2), 0);
	xr_queue_msgs_free(m, 2);
}

static void test_long_poll(void)
{
	struct xr_queue_msg m[1];
	struct timespec a, b;
	size_t n = 9;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ(c.ops->queue_receive(&c, m, 1, 150, &n), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK_EQ(n, 0);
	CHECK(ms >= 140 && ms < 2000);
	/* Something there: returns at once. */
	CHECK_EQ(c.ops->queue_send(&c, "now"), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ(c.ops->queue_receive(&c, m, 1, 5000, &n), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK_EQ(n, 1);
	CHECK(ms < 1000);
	CHECK_EQ(c.ops->queue_delete(&c, m, n), 0);
	xr_queue_msgs_free(m, n);
}

int main(void)
{
	CHECK_EQ(fx_tempdir(dir, sizeof dir, "queue"), 0);
	open_at();
	test_visibility();
	test_batch_limits();
	test_dead_letter();
	test_persistence();
	test_long_poll();
	xr_cloud_close(&c);
	fx_rmdir(dir);
	CHECK_DONE("test_cloud_queue");
}
