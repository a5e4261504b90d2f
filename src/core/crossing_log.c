/* The crossing log as the core keeps it: its running digest, lookups in a
 * round's entries, the durable append (and its effect), and a round as a
 * LogRound answer for the shells. Calls only the outbox. */
#include <string.h>

#include "internal.h"

#define FNV_PRIME 0x100000001b3ULL

uint64_t xr_crossing_log_digest(uint64_t d, const struct xr_crossing *c)
{
	/* A left entry hashes one word more; plain crossings hash as they
	 * always did, so older traces and state files keep their digests. */
	uint32_t words[4] = {c->round, c->index, c->car, 1u};
	for (int w = 0; w < (c->left ? 4 : 3); w++) {
		for (int b = 0; b < 4; b++) {
			d ^= (words[w] >> (8 * b)) & 0xffu;
			d *= FNV_PRIME;
		}
	}
	return d;
}

const struct xr_crossing *xr_crossing_log_find(const struct xr_crossing *log,
					       uint32_t n, uint32_t car)
{
	for (uint32_t i = 0; i < n; i++)
		if (log[i].car == car)
			return &log[i];
	return NULL;
}

void xr_crossing_log_round_answer(const struct xr_node *n,
				  const struct xr_msg *fetch,
				  const struct xr_crossing *log, size_t count,
				  struct xr_msg *out)
{
	struct xr_msg *r = out;
	memset(r, 0, sizeof *r);
	r->from = n->cfg.self;
	r->to = fetch->from;
	r->epoch = n->coordinator_epoch;
	r->type = XR_MSG_LOG_ROUND;
	r->u.log_round.round = fetch->u.log_fetch.round;
	for (size_t i = 0; i < count && r->u.log_round.n_log < XR_MAX_CARS; i++)
		if (log[i].round == r->u.log_round.round)
			r->u.log_round.log[r->u.log_round.n_log++] = log[i];
	r->u.log_round.held = r->u.log_round.n_log > 0;
}

void xr_crossing_log_append(struct xr_node *n, const struct xr_crossing *c)
{
	/* Rounds count from 1, and a log entry names a car of the cluster. */
	XR_ASSERT(c->round != 0 && XR_HAS(n->car_set, c->car));
	n->durable.log_count++;
	n->durable.log_digest =
		xr_crossing_log_digest(n->durable.log_digest, c);
	if (c->left)
		n->durable.left_count++;
	if (c->round != n->durable.last_round)
		n->durable.last_log_n = 0;
	if (n->durable.last_log_n < XR_MAX_CARS)
		n->durable.last_log[n->durable.last_log_n++] = *c;
	if (c->round > n->durable.last_round)
		n->durable.last_round = c->round;
	struct xr_effect *fx = xr_out_effect(n, XR_FX_LOG_APPEND);
	if (fx != NULL) {
		fx->round = c->round;
		fx->car = c->car;
		fx->crossing = *c;
	}
}
