/* Echo waves: how the light reaches every car and learns that every car got
 * the message, carrying data down and aggregating data up.
 *
 * The rule (Chang 1982, "Echo algorithms: depth parallel operations on general
 * graphs"; in the form of Segall 1983 and Tel, "Introduction to Distributed
 * Algorithms", Algorithm 6.5):
 *   "The initiator sends a message to all its neighbours. When a
 *    non-initiator receives a message for the first time it makes the sender
 *    its father and sends a message to all neighbours except its father.
 *    When a non-initiator has received a message from all its neighbours it
 *    sends a message to its father. When the initiator has received a message
 *    from all its neighbours it decides."
 * Every edge carries exactly one message in each direction: 2|E| per wave.
 *
 * Loss and duplication: a node resends its message on every edge it has not
 * yet heard back on (every resend_ms), and answers a duplicate on an edge it
 * has already sent on by sending its own message again, so a lost message on
 * either side heals. A wave id only grows, so a message of an older wave is
 * dropped. The root restarts a wave that does not complete in 2 x stall_ms
 * under a new id (a car that crashed mid-wave lost its part of it). */
#include <string.h>

#include "internal.h"

static void send_wave(struct xr_node *n, uint32_t to, bool echo, bool retry)
{
	struct xr_wave_state *w = &n->wave;
	struct xr_msg *m = xr_out_msg(n, to, XR_MSG_WAVE);
	if (m == NULL)
		return;
	if (echo) {
		/* The echo carries the subtree's aggregate, not the down data. */
		m->u.wave = w->up;
		m->u.wave.wave = w->id;
		m->u.wave.kind = w->down.kind;
		m->u.wave.round = w->down.round;
		m->u.wave.echo = true;
		/* A star wave's echo must say so too: the coordinator admits
		 * it from a car that is not its topology neighbour. */
		m->u.wave.star = w->down.star;
	} else {
		m->u.wave = w->down;
		m->u.wave.echo = false;
	}
	m->u.wave.retry = retry;
	w->sent |= XR_SET(to);
	w->last_send_ms = n->now_ms;
}

static void send_down_to_all_but(struct xr_node *n, uint32_t except)
{
	for (uint32_t v = 0; v < XR_MAX_NODES; v++)
		if (XR_HAS(n->wave.nbrs, v) && v != except)
			send_wave(n, v, false, false);
}

void xr_wave_begin(struct xr_node *n, const struct xr_wave_msg *down)
{
	struct xr_wave_state *w = &n->wave;
	uint32_t id = w->id + 1;
	if (n->light.next_wave > id)
		id = n->light.next_wave;
	n->light.next_wave = id + 1;
	memset(w, 0, sizeof *w);
	w->active = true;
	w->is_root = true;
	w->id = id;
	w->parent = n->cfg.self;
	w->down = *down;
	w->down.wave = id;
	w->down.echo = false;
	/* A coordinator that is not the light runs waves as a star around
	 * itself: the configured topology may have had the light at its
	 * centre. So does any coordinator while a car is absent: the
	 * topology may need the absent car to reach the others. */
	w->down.star = n->light.star || n->light.absent != 0;
	w->nbrs = w->down.star
			  ? n->car_set & ~XR_SET(n->cfg.self) & ~n->light.absent
			  : n->neighbour_set;
	w->up.kind = down->kind;
	w->up.round = down->round;
	w->last_send_ms = n->now_ms;
	n->light.wave_started_ms = n->now_ms;
	xr_tracef(n, "start wave %u %s r%u -> %d neighbours", id,
		  xr_wave_kind_name(down->kind), down->round,
		  xr_set_count(w->nbrs));
}

void xr_wave_send_down(struct xr_node *n)
{
	send_down_to_all_but(n, n->cfg.self);
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

/* Folds a child's echo into our aggregate: the union of intents by car. */
static void merge_up(struct xr_wave_msg *up, const struct xr_wave_msg *echo)
{
	up->crossed |= echo->crossed;
	for (uint32_t i = 0; i < echo->n_intents; i++) {
		bool have = false;
		for (uint32_t j = 0; j < up->n_intents; j++)
			have = have ||
			       up->intents[j].car == echo->intents[i].car;
		if (!have && up->n_intents < XR_MAX_CARS)
			up->intents[up->n_intents++] = echo->intents[i];
	}
}

/* XR_WAVE_DONE when the root has heard from every neighbour; a node that
 * is not the root echoes to its father instead. */
static enum xr_wave_event maybe_finish(struct xr_node *n)
{
	struct xr_wave_state *w = &n->wave;
	if (w->done || (w->heard & w->nbrs) != w->nbrs ||
	    (w->held && !w->is_root))
		return XR_WAVE_NOTHING;
	w->done = true;
	if (w->is_root) {
		xr_tracef(n, "wave %u heard from all %d neighbours -> decide",
			  w->id, xr_set_count(w->nbrs));
		return XR_WAVE_DONE;
	}
	send_wave(n, w->parent, true, false);
	return XR_WAVE_NOTHING;
}

static void join(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_wave_state *w = &n->wave;
	memset(w, 0, sizeof *w);
	w->active = true;
	w->id = m->u.wave.wave;
	w->parent = m->from;
	w->down = m->u.wave;
	w->down.echo = false;
	w->up.kind = m->u.wave.kind;
	w->up.round = m->u.wave.round;
	w->nbrs = m->u.wave.star ? XR_SET(m->from) : n->neighbour_set;
	w->heard = XR_SET(m->from);
}

void xr_wave_joined(struct xr_node *n)
{
	send_down_to_all_but(n, n->wave.parent);
	(void)maybe_finish(n); /* not the root: an echo at most */
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

int xr_wave_receive(struct xr_node *n, const struct xr_msg *m,
		    enum xr_wave_event *ev)
{
	struct xr_wave_state *w = &n->wave;
	const struct xr_wave_msg *in = &m->u.wave;
	*ev = XR_WAVE_NOTHING;
	if (in->wave < w->id)
		return XR_EROUND; /* an older wave: its messages are stale */
	/* Only the coordinator starts waves, so one it did not start (or no
	 * longer runs) is another coordinator's, stale: never joined. */
	if (n->coordinator == n->cfg.self &&
	    !(w->active && w->is_root && in->wave == w->id))
		return XR_EROUND;
	if (in->wave > w->id || !w->active) {
		/* A first message of a new wave. An echo cannot start a wave:
		 * it means we joined it, crashed and forgot; the root will
		 * restart the wave. */
		if (in->echo)
			return XR_ESTATE;
		join(n, m);
		*ev = XR_WAVE_JOINED;
		return 0;
	}
	if (XR_HAS(w->heard, m->from)) {
		/* A retry means the sender has not heard our message on this
		 * edge: send it again, as an answer (never a retry itself). A
		 * plain duplicate needs nothing. */
		if (in->retry && XR_HAS(w->sent, m->from))
			send_wave(n, m->from,
				  m->from == w->parent && !w->is_root, false);
		return 0;
	}
	w->heard |= XR_SET(m->from);
	if (in->echo)
		merge_up(&w->up, in);
	*ev = maybe_finish(n);
	return 0;
}

void xr_wave_hold(struct xr_node *n)
{
	struct xr_wave_state *w = &n->wave;
	if (!w->active || w->is_root || w->done)
		return;
	w->held = true;
	w->held_ms = n->now_ms;
	xr_timer_arm(n, XR_TIMER_TICK, XR_WAVE_HOLD_MS(n));
}

void xr_wave_release(struct xr_node *n)
{
	struct xr_wave_state *w = &n->wave;
	if (!w->held)
		return;
	w->held = false;
	(void)maybe_finish(n); /* not the root: an echo at most */
}

bool xr_wave_pending(const struct xr_node *n)
{
	return n->wave.active && !n->wave.done;
}

enum xr_wave_event xr_wave_tick(struct xr_node *n)
{
	struct xr_wave_state *w = &n->wave;
	if (!w->active)
		return XR_WAVE_NOTHING;
	/* A car coordinating a cluster of one car has nobody on its star:
	 * no message will ever arrive to complete its waves, so the tick
	 * does (not the start itself: deciding there would start the next
	 * wave from inside this one). */
	if (w->is_root && w->nbrs == 0 && maybe_finish(n) == XR_WAVE_DONE)
		return XR_WAVE_DONE;
	/* A hold is for a crossing under way, not for a wait: after
	 * XR_WAVE_HOLD_MS the echo goes without it (its Crossed follows
	 * alone), before our father's retry, due resend_ms after it sent,
	 * crosses it (a wave is 2|E| messages when nothing is lost). */
	if (w->held && n->now_ms - w->held_ms >= XR_WAVE_HOLD_MS(n)) {
		xr_tracef(n,
			  "echo of wave %u held %u ms -> echo without "
			  "a crossing",
			  w->id, (unsigned)XR_WAVE_HOLD_MS(n));
		xr_wave_release(n);
	}
	/* Resend on every edge we have sent on but not heard back, once
	 * resend_ms has passed since we last sent. A node that has echoed
	 * waits for its father to ask again (a retry). */
	if (!w->done && n->now_ms - w->last_send_ms >= n->cfg.resend_ms)
		for (uint32_t v = 0; v < XR_MAX_NODES; v++)
			if (XR_HAS(w->nbrs, v) && XR_HAS(w->sent, v) &&
			    !XR_HAS(w->heard, v))
				send_wave(n, v, false, true);
	if (w->is_root && !w->done &&
	    n->now_ms - n->light.wave_started_ms >= 2ull * n->cfg.stall_ms) {
		xr_tracef(n, "wave %u incomplete after %u ms -> restart", w->id,
			  2 * n->cfg.stall_ms);
		return XR_WAVE_STALLED; /* the restart arms the timer */
	}
	if (!w->done) {
		uint64_t since = n->now_ms - w->last_send_ms;
		xr_timer_arm(n, XR_TIMER_TICK,
			     since >= n->cfg.resend_ms
				     ? n->cfg.resend_ms
				     : n->cfg.resend_ms - since);
	}
	return XR_WAVE_NOTHING;
}
