/* xr_ctl_find_coordinator: whom `xroadctl run/pause/resume` send to and
 * what `status` prints on its `coordinator:` line, from the nodes' Status
 * answers: the coordinator named at the newest epoch; of two named at one
 * epoch, the higher-ranked (the light, then the highest car id); answers
 * that name nobody (a node back from a crash) are skipped; no answer, no
 * coordinator. */
#include <string.h>

#include "checkf.h"
#include "ctl.h"
#include "ctl_cluster.h"

#define NOBODY XR_MAX_NODES /* what a node back from a crash reports */
#define DOWN UINT32_MAX

static struct xr_ctl_cluster c;
static Xroad__StatusReply replies[5];
static Xroad__NodeStatus st[5];

/* Five nodes, 0 the light; answers[i] = {coordinator, epoch}, or DOWN. */
static void find(const uint32_t answers[5][2], struct xr_ctl_coordinator *co)
{
	static struct xr_ctl_status s;

	memset(&c, 0, sizeof c);
	memset(&s, 0, sizeof s);
	c.have_config = true;
	c.n = 5;
	for (uint32_t i = 0; i < 5; i++) {
		c.nodes[i].id = i;
		c.nodes[i].is_light = i == 0;
		if (answers[i][0] == DOWN)
			continue;
		xroad__status_reply__init(&replies[i]);
		xroad__node_status__init(&st[i]);
		st[i].id = i;
		st[i].is_light = i == 0;
		st[i].coordinator = answers[i][0];
		st[i].epoch = answers[i][1];
		replies[i].node = &st[i];
		s.replies[i] = &replies[i];
	}
	xr_ctl_find_coordinator(&c, &s, co);
}

#define EXPECT(what, answers, want_id, want_epoch)                            \
	do {                                                                  \
		struct xr_ctl_coordinator co;                                 \
		find(answers, &co);                                           \
		CHECK(co.known && co.id == (want_id) &&                       \
			      co.epoch == (want_epoch) &&                     \
			      co.index == (int)(want_id),                     \
		      "%s: got known %d node %u epoch %u index %d, want "    \
		      "node %u epoch %u",                                     \
		      what, co.known, co.id, co.epoch, co.index,              \
		      (unsigned)(want_id), (unsigned)(want_epoch));           \
	} while (0)

int main(void)
{
	const uint32_t healthy[5][2] = {{0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}};
	EXPECT("the light coordinates", healthy, 0, 1);

	/* The light was killed; car 4 won, the others have not heard yet. */
	const uint32_t electing[5][2] = {
		{DOWN, 0}, {0, 1}, {0, 1}, {0, 1}, {4, 2}};
	EXPECT("car 4 elected, others behind", electing, 4, 2);

	const uint32_t elected[5][2] = {
		{DOWN, 0}, {4, 2}, {4, 2}, {4, 2}, {4, 2}};
	EXPECT("car 4 elected", elected, 4, 2);

	/* A light cut off still believes it coordinates at epoch 1. */
	const uint32_t cut_off[5][2] = {{0, 1}, {4, 2}, {4, 2}, {4, 2}, {4, 2}};
	EXPECT("stale light", cut_off, 4, 2);

	/* Two claims at one epoch: rank settles them. */
	const uint32_t two_cars[5][2] = {
		{DOWN, 0}, {3, 2}, {4, 2}, {3, 2}, {4, 2}};
	EXPECT("cars 3 and 4 at epoch 2", two_cars, 4, 2);
	const uint32_t light_and_car[5][2] = {
		{0, 3}, {4, 3}, {4, 3}, {0, 3}, {4, 3}};
	EXPECT("light and car 4 at epoch 3", light_and_car, 0, 3);

	/* The light is back from a crash and follows nobody yet. */
	const uint32_t restarted[5][2] = {
		{NOBODY, 2}, {4, 2}, {4, 2}, {4, 2}, {4, 2}};
	EXPECT("restarted light", restarted, 4, 2);

	/* Nobody named: the newest epoch is still reported. */
	const uint32_t none[5][2] = {
		{NOBODY, 2}, {NOBODY, 3}, {DOWN, 0}, {DOWN, 0}, {DOWN, 0}};
	struct xr_ctl_coordinator co;
	find(none, &co);
	CHECK(!co.known && co.epoch == 3 && co.index == -1,
	      "nobody named: known %d epoch %u index %d", co.known, co.epoch,
	      co.index);

	const uint32_t silent[5][2] = {
		{DOWN, 0}, {DOWN, 0}, {DOWN, 0}, {DOWN, 0}, {DOWN, 0}};
	find(silent, &co);
	CHECK(!co.known && co.index == -1, "no answer: known %d index %d",
	      co.known, co.index);

	if (failures == 0)
		printf("test_ctl_coordinator: ok\n");
	return failures != 0;
}
