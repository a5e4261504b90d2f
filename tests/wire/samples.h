/* One sample message of every type, for the codec tests and the fuzz seed
 * corpus. `full` fills every repeated field to the core's array size, the
 * largest message the codec must carry; otherwise small realistic values. */
#ifndef XR_TEST_SAMPLES_H
#define XR_TEST_SAMPLES_H

#include <string.h>

#include "codec.h"
#include "node.h"

static inline void sample_intent(struct xr_car_intent *in, uint32_t i)
{
	in->car = 1 + i % XR_MAX_CARS;
	in->approach = (enum xr_approach)(i % XR_APPROACHES);
	in->turn = (enum xr_turn)((i + 1) % XR_TURNS);
	in->arrival_ms = 1000u * i + 7u;
}

static inline void sample_crossing(struct xr_crossing *c, uint32_t i)
{
	c->round = 3;
	c->index = i;
	c->car = 1 + (i * 7) % XR_MAX_CARS;
}

static inline void sample_msg(enum xr_msg_type t, bool full, struct xr_msg *m)
{
	uint32_t n = full ? XR_MAX_CARS : 2;
	memset(m, 0, sizeof *m);
	m->from = 1;
	m->to = full ? XR_MAX_NODES - 1 : 2;
	m->epoch =
		full ? XR_EPOCH_MAX : 1; /* the largest epoch codec.h allows */
	m->snapshot = full ? 0xfffffffeu : 0;
	m->type = t;
	switch (t) {
	case XR_MSG_WAVE:
		m->u.wave.wave = 9;
		m->u.wave.kind = full ? XR_WAVE_ROUND_END : XR_WAVE_INTENT_SET;
		m->u.wave.round = 3;
		m->u.wave.echo = full;
		m->u.wave.star = full;
		m->u.wave.target_round = full ? 0xffffffffu : 0;
		m->u.wave.n_intents = n;
		for (uint32_t i = 0; i < n; i++)
			sample_intent(&m->u.wave.intents[i], i);
		m->u.wave.has_override = full;
		m->u.wave.override.epoch = full ? 4 : 0;
		m->u.wave.override.winner = full ? 2 : 0;
		m->u.wave.override.loser = full ? 3 : 0;
		m->u.wave.n_log = full ? n : 0;
		for (uint32_t i = 0; i < m->u.wave.n_log; i++)
			sample_crossing(&m->u.wave.log[i], i);
		break;
	case XR_MSG_CROSSED:
		m->u.crossed.round = 3;
		m->u.crossed.crossed_ms = full ? UINT64_MAX : 1234;
		break;
	case XR_MSG_NOTICE:
		sample_crossing(&m->u.notice.crossing,
				full ? XR_MAX_CARS - 1 : 1);
		break;
	case XR_MSG_BLOCKED:
		m->u.blocked.round = 3;
		m->u.blocked.seen = 1;
		m->u.blocked.overrides = 2;
		m->u.blocked.held = full;
		m->u.blocked.n_waits = n;
		for (uint32_t i = 0; i < n; i++)
			m->u.blocked.waits_for[i] = 1 + i;
		break;
	case XR_MSG_DETECT:
		m->u.detect.round = 3;
		m->u.detect.epoch = 5;
		break;
	case XR_MSG_PROBE:
		m->u.probe.round = 3;
		m->u.probe.epoch = 5;
		m->u.probe.initiator = 1;
		m->u.probe.n_path = n;
		for (uint32_t i = 0; i < n; i++)
			m->u.probe.path[i] = 1 + i;
		break;
	case XR_MSG_DEADLOCK:
		m->u.deadlock.round = 3;
		m->u.deadlock.epoch = 5;
		m->u.deadlock.n_cycle = n;
		for (uint32_t i = 0; i < n; i++)
			m->u.deadlock.cycle[i] = n - i;
		break;
	case XR_MSG_PROCEED:
		m->u.proceed.round = 3;
		m->u.proceed.epoch = 5;
		break;
	case XR_MSG_REJOIN:
		m->u.rejoin.round = full ? 0 : 3;
		break;
	case XR_MSG_ARRIVED:
		m->u.arrived.round = full ? 0xffffffffu : 3;
		break;
	case XR_MSG_REJOIN_STATE: {
		struct xr_rejoin_state *r = &m->u.rejoin_state;
		r->round = 3;
		r->intents_fixed = true;
		r->n_intents = n;
		for (uint32_t i = 0; i < n; i++)
			sample_intent(&r->intents[i], i);
		r->n_log = n;
		for (uint32_t i = 0; i < n; i++)
			sample_crossing(&r->log[i], i);
		r->n_overrides = full ? XR_MAX_OVERRIDES : 1;
		for (uint32_t i = 0; i < r->n_overrides; i++) {
			r->overrides[i].epoch = i + 1;
			r->overrides[i].winner = 1 + i % XR_MAX_CARS;
			r->overrides[i].loser = 1 + (i + 1) % XR_MAX_CARS;
		}
		r->n_proceed = full ? n : 1;
		for (uint32_t i = 0; i < r->n_proceed; i++)
			r->proceed[i] = 1 + i;
		break;
	}
	case XR_MSG_MARKER:
		m->u.marker.snapshot = full ? 0xffffffffu : 2;
		break;
	case XR_MSG_HEARTBEAT:
		m->u.heartbeat.ack = full;
		m->u.heartbeat.stamp_ms = full ? UINT64_MAX : 5;
		break;
	case XR_MSG_ELECTION:
	case XR_MSG_ANSWER:
	case XR_MSG_RECOVER:
		break;
	case XR_MSG_COORDINATOR:
		m->u.coordinator.coordinator = full ? XR_MAX_NODES - 1 : 4;
		break;
	case XR_MSG_RECOVER_STATE: {
		struct xr_recover_state *r = &m->u.recover_state;
		struct xr_msg inner;
		sample_msg(XR_MSG_REJOIN_STATE, full, &inner);
		r->state = inner.u.rejoin_state;
		r->crossed_round = 3;
		r->held = full;
		r->override_epoch = full ? XR_EPOCH_MAX : 2;
		r->has_last_override = full;
		r->last_override.epoch = full ? 7 : 0;
		r->last_override.winner = full ? 1 : 0;
		r->last_override.loser = full ? 2 : 0;
		r->logged_round = 2;
		r->target_round = full ? 0xffffffffu : 10;
		r->detect_epoch = 5;
		r->log_count = full ? 0xffffffffu : 8;
		r->log_digest = full ? 0xffffffffffffffffULL : 99;
		r->left_count = full ? 0xffffffffu : 1;
		r->n_last_log = n;
		for (uint32_t i = 0; i < n; i++)
			r->last_log[i] = (struct xr_crossing){
				2, i, (i % (XR_MAX_NODES - 1)) + 1, i == 0};
		break;
	}
	case XR_MSG_LOG_FETCH:
		m->u.log_fetch.round = full ? 0xffffffffu : 4;
		break;
	case XR_MSG_LOG_ROUND:
		m->u.log_round.round = full ? 0xffffffffu : 4;
		m->u.log_round.held = full;
		m->u.log_round.n_log = n;
		for (uint32_t i = 0; i < n; i++)
			m->u.log_round.log[i] = (struct xr_crossing){
				4, i, (i % (XR_MAX_NODES - 1)) + 1, i == 1};
		break;
	case XR_MSG_NONE:
	case XR_MSG_TYPES:
		break;
	}
}

#endif
