/* Consistent global snapshots: the state of every node and of the messages
 * in flight, on demand (xroadctl snapshot).
 *
 * The rule (Chandy and Lamport 1985, "Distributed snapshots: determining
 * global states of distributed systems", ACM TOCS 3(1), section 3):
 *   "Marker-Sending Rule for a process p. For each channel c, incident on,
 *    and directed away from p: p sends one marker along c after p records
 *    its state and before p sends further messages along c.
 *    Marker-Receiving Rule for a process q. On receiving a marker along a
 *    channel c: if q has not recorded its state then q records its state and
 *    records the state of c as the empty sequence; else q records the state
 *    of c as the sequence of messages received along c after q's state was
 *    recorded and before q received the marker along c."
 *
 * Channels: every ordered pair of nodes (any node may send to any other).
 * The paper assumes FIFO, lossless channels. Ours may lose or reorder, so
 * every envelope also carries the newest snapshot its sender has recorded
 * (its colour): a message of snapshot S arriving before S's marker proves the
 * sender recorded S before sending it, and closes the channel exactly as the
 * marker would (the piggybacked marker of Lai and Yang 1987). Markers are
 * resent XR_SNAP_MARKER_RESENDS times, one per tick, in case one is lost. A
 * node that crashes loses its recording; it will not record again any
 * snapshot up to the newest it had recorded (durable.snapshot_floor), so a
 * snapshot spanning a crash stays incomplete instead of turning inconsistent.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void send_markers(struct xr_node *n)
{
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(n->members, id) || id == n->cfg.self)
			continue;
		struct xr_msg *m = xr_out_msg(n, id, XR_MSG_MARKER);
		if (m != NULL)
			m->u.marker.snapshot = n->snap.id;
	}
}

static void check_complete(struct xr_node *n)
{
	struct xr_snapshot *s = &n->snap;
	if (s->complete || s->id == 0)
		return;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++)
		if (XR_HAS(n->members, id) && id != n->cfg.self &&
		    !s->channels[id].closed)
			return;
	s->complete = true;
	xr_tracef(n, "snapshot %u: every channel closed -> recorded", s->id);
	struct xr_effect *fx = xr_out_effect(n, XR_FX_SNAPSHOT_DONE);
	if (fx != NULL)
		fx->round = s->id;
}

/* Records this node's state as snapshot `id` and sends the markers. */
static void record(struct xr_node *n, uint32_t id)
{
	struct xr_snapshot *s = &n->snap;
	memset(s, 0, sizeof *s);
	s->id = id;
	s->node = n->cfg.self;
	s->is_light = n->is_light;
	s->epoch = n->durable.epoch;
	s->resends = XR_SNAP_MARKER_RESENDS;
	/* The coordinator (the light, or a car that took over) counts what it
	 * logged; a car counts what it crossed; a coordinator that is a car
	 * records both. */
	if (n->coordinator == n->cfg.self) {
		const struct xr_light *l = &n->light;
		/* The round's log counts unless the durable log has it
		 * already (a takeover re-running a round's end). */
		bool open = l->phase == XR_LIGHT_SPREADING ||
			    l->phase == XR_LIGHT_CROSSING ||
			    l->phase == XR_LIGHT_OVERRIDING ||
			    l->phase == XR_LIGHT_ENDING;
		bool counted = n->durable.last_round >= l->round;
		s->is_light = true;
		s->unusable = l->phase == XR_LIGHT_RECOVERING;
		s->round = l->round;
		/* Entries of cars taken out of a round are not crossings. */
		uint32_t round_left = 0;
		for (uint32_t i = 0; i < l->n_log; i++)
			round_left += l->log[i].left;
		s->crossings = n->durable.log_count - n->durable.left_count +
			       (open && !counted ? l->n_log - round_left : 0);
		if (counted) {
			/* The round is whole in the durable log: every car of
			 * it is logged, and a late Crossed of it is no
			 * crossing in flight (the log's copy may be gone: a
			 * takeover starts from the cars' views). */
			s->n_logged = n->cfg.n_cars;
			for (uint32_t i = 0; i < n->cfg.n_cars; i++)
				s->logged[i] = n->cfg.cars[i];
		} else if (open) {
			s->n_logged = l->n_log;
			for (uint32_t i = 0; i < l->n_log; i++)
				s->logged[i] = l->log[i].car;
		}
	}
	if (n->is_car) {
		s->is_car = true;
		if (!s->is_light)
			s->round = n->car.round;
		s->car_phase = n->car.phase;
		s->car_crossings = n->durable.crossings;
		/* Crossed in a round its own log does not hold yet: the
		 * coordinator may not have logged it (or may have lost it in
		 * a takeover); it is in flight until the round's end. A car
		 * away when its round ended never holds that round's log:
		 * once it is in a later round, the round it crossed in is
		 * over and logged. */
		if (n->durable.last_crossed_round > n->durable.last_round &&
		    n->durable.last_crossed_round >= n->car.round)
			s->pending_round = n->durable.last_crossed_round;
	}
	n->durable.snapshot_floor = id;
	xr_tracef(n, "snapshot %u: record state (%u crossings) -> markers out",
		  id, s->crossings);
	send_markers(n);
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
	check_complete(n);
}

int xr_snapshot_start(struct xr_node *n)
{
	uint32_t id = n->snap.id > n->durable.snapshot_floor
			      ? n->snap.id
			      : n->durable.snapshot_floor;
	record(n, id + 1);
	return 0;
}

bool xr_snapshot_observe(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_snapshot *s = &n->snap;
	uint32_t color = m->snapshot;
	if (m->type == XR_MSG_MARKER && m->u.marker.snapshot > color)
		color = m->u.marker.snapshot;
	if (color > s->id && color > n->durable.snapshot_floor)
		record(n, color);
	if (s->id == 0)
		return m->type == XR_MSG_MARKER;
	struct xr_snap_channel *ch = &s->channels[m->from];
	if (color >= s->id) {
		if (!ch->closed) {
			ch->closed = true;
			check_complete(n);
		}
	} else if (!ch->closed && m->type != XR_MSG_MARKER) {
		/* Sent before the sender recorded, received after we did:
		 * in flight across the cut. */
		if (ch->n < XR_SNAP_CHAN_MAX) {
			struct xr_snap_inflight *f = &ch->msgs[ch->n++];
			f->type = m->type;
			f->car = m->from;
			switch (m->type) {
			case XR_MSG_CROSSED:
				f->round = m->u.crossed.round;
				break;
			case XR_MSG_NOTICE:
				f->round = m->u.notice.crossing.round;
				f->car = m->u.notice.crossing.car;
				break;
			case XR_MSG_WAVE:
				f->round = m->u.wave.round;
				break;
			case XR_MSG_BLOCKED:
				f->round = m->u.blocked.round;
				break;
			default:
				break;
			}
		} else {
			ch->overflow++;
		}
	}
	return m->type == XR_MSG_MARKER;
}

void xr_snapshot_tick(struct xr_node *n)
{
	struct xr_snapshot *s = &n->snap;
	if (s->id == 0 || s->resends == 0)
		return;
	s->resends--;
	send_markers(n);
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

/* One (round, car) crossing seen in flight, kept once. */
struct flight_set {
	size_t n;
	uint32_t round[XR_MAX_NODES * (XR_SNAP_CHAN_MAX + 1)];
	uint32_t car[XR_MAX_NODES * (XR_SNAP_CHAN_MAX + 1)];
};

static void flight_add(struct flight_set *f, const struct xr_snapshot *light,
		       uint32_t round, uint32_t car)
{
	/* Rounds before the light's current one are complete: logged. */
	if (round < light->round)
		return;
	for (uint32_t j = 0; j < light->n_logged; j++)
		if (round == light->round && light->logged[j] == car)
			return;
	for (size_t j = 0; j < f->n; j++)
		if (f->round[j] == round && f->car[j] == car)
			return;
	if (f->n < sizeof f->round / sizeof f->round[0]) {
		f->round[f->n] = round;
		f->car[f->n++] = car;
	}
}

int xr_snapshot_check_i6(const struct xr_snapshot *const *snaps, size_t n,
			 char *why, size_t why_len)
{
	const struct xr_snapshot *light = NULL;
	char scratch[8];
	if (why == NULL || why_len == 0) {
		why = scratch;
		why_len = sizeof scratch;
	}
	for (size_t i = 0; i < n; i++) {
		if (!snaps[i]->complete || snaps[i]->id != snaps[0]->id) {
			snprintf(why, why_len,
				 "node %u has not completed snapshot %u",
				 snaps[i]->node, snaps[0]->id);
			return XR_EINVAL;
		}
		if (snaps[i]->is_light) {
			if (light != NULL || snaps[i]->unusable) {
				snprintf(why, why_len,
					 "snapshot %u caught a change of "
					 "coordinator (node %u)",
					 snaps[0]->id, snaps[i]->node);
				return XR_EINVAL;
			}
			light = snaps[i];
		}
	}
	if (light == NULL) {
		snprintf(why, why_len, "no coordinator among the %zu nodes", n);
		return XR_EINVAL;
	}
	/* A node that knew a newer epoch than the one recording as
	 * coordinator followed another coordinator, which may have logged
	 * crossings this one never saw (a light cut off by a partition goes
	 * on believing it coordinates): no current coordinator's count. */
	for (size_t i = 0; i < n; i++) {
		if (snaps[i]->epoch > light->epoch) {
			snprintf(why, why_len,
				 "snapshot %u: node %u recorded as coordinator "
				 "at epoch %u, node %u knew epoch %u",
				 light->id, light->node, light->epoch,
				 snaps[i]->node, snaps[i]->epoch);
			return XR_EINVAL;
		}
	}
	struct flight_set flight = {0};
	uint32_t by_cars = 0;
	for (size_t i = 0; i < n; i++) {
		const struct xr_snapshot *s = snaps[i];
		if (s->is_car) {
			by_cars += s->car_crossings;
			if (s->pending_round != 0)
				flight_add(&flight, light, s->pending_round,
					   s->node);
		}
		if (!s->is_light)
			continue;
		for (uint32_t from = 0; from < XR_MAX_NODES; from++)
			for (uint32_t j = 0; j < s->channels[from].n; j++)
				if (s->channels[from].msgs[j].type ==
				    XR_MSG_CROSSED)
					flight_add(
						&flight, light,
						s->channels[from].msgs[j].round,
						s->channels[from].msgs[j].car);
	}
	uint32_t in_flight = (uint32_t)flight.n;
	snprintf(why, why_len,
		 "snapshot %u: cars counted %u, light counted %u, in flight %u",
		 light->id, by_cars, light->crossings, in_flight);
	return by_cars == light->crossings + in_flight ? 1 : 0;
}
