/* Failure detection and leader election: who coordinates when the light is
 * gone, and how a returning light takes its place back.
 *
 * The rule (Garcia-Molina 1982, "Elections in a distributed computing
 * system", IEEE Trans. Computers C-31(1), the Bully Algorithm): "When a node
 * P notices that the coordinator is no longer responding, it initiates an
 * election: P sends an ELECTION message to all nodes with higher numbers. If
 * no one responds, P wins the election and becomes coordinator. If one of the
 * higher-ups answers, it takes over; P's job is done. When a node gets an
 * ELECTION message from one of its lower-numbered colleagues, it sends an OK
 * back and holds an election of its own. The winner announces itself with a
 * COORDINATOR message to everyone."
 *
 * Ranks: the configured light outranks every car, then cars by id. So the
 * light coordinates whenever it is alive, and when it dies the highest car
 * takes over; when the light returns it wins again. Each new coordinator
 * takes an epoch higher than any it knows; every envelope carries the epoch
 * and a node refuses messages of an older one, so a deposed coordinator (a
 * light that was only paused) cannot act on stale state. Two claims at the
 * same epoch are settled by rank. Messages: an election by node P costs one
 * ELECTION per higher-ranked node, an ANSWER from each live one, and n - 1
 * COORDINATOR messages from the winner: O(n^2) at worst, n - 1 when the light
 * itself returns.
 *
 * Failure detection: the coordinator sends HEARTBEAT to every node every
 * heartbeat_ms; a node that hears nothing from it for fail_ms starts an
 * election. fail_ms = 0 switches all of this off (the light is coordinator
 * for ever), which is what the simulator's fault-free runs use. */
#include <string.h>

#include "internal.h"

static void send_all(struct xr_node *n, enum xr_msg_type type)
{
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(n->members, id) || id == n->cfg.self)
			continue;
		if (type == XR_MSG_HEARTBEAT) {
			xr_heartbeat_to(n, id);
			continue;
		}
		struct xr_msg *m = xr_out_msg(n, id, type);
		if (m != NULL && type == XR_MSG_COORDINATOR)
			m->u.coordinator.coordinator = n->cfg.self;
	}
}

static void set_epoch(struct xr_node *n, uint32_t epoch, uint32_t who)
{
	bool was = n->coordinator == n->cfg.self;
	/* A wave belongs to the coordinator that started it: a node that
	 * follows a new one drops its part in the old one's wave, or its
	 * resends would go out stamped with the new epoch and be taken as
	 * the new coordinator's (a car that crossed taken out, seed 30095558
	 * random). The wave id is kept: ids only grow. */
	if (who != n->coordinator || epoch != n->coordinator_epoch) {
		n->wave.active = false;
		/* A grant is the granting coordinator's: two may share an
		 * epoch for a moment (a restarted light claims the one after
		 * the epoch it remembers, which a car may hold), so a grant
		 * kept across the change let a car enter that the new one
		 * never granted and then took out (a crossing lost, seed
		 * 75285304 star). The new coordinator grants afresh. */
		n->election.grant_round = 0;
		n->election.grant_epoch = 0;
	}
	if (epoch != n->election.rival_epoch)
		n->election.rival_epoch = 0;
	n->coordinator = who;
	n->coordinator_epoch = epoch;
	n->durable.epoch = epoch;
	n->election.running = false;
	n->election.last_heard_ms = n->now_ms;
	if (was && who != n->cfg.self) {
		n->light.phase = XR_LIGHT_IDLE;
		xr_out_effect(n, XR_FX_DEPOSED);
		xr_tracef(n, "coordinator %u at epoch %u -> step down", who,
			  epoch);
	}
}

static void become_coordinator(struct xr_node *n)
{
	uint32_t epoch = n->coordinator_epoch + 1;
	if (n->durable.epoch >= epoch)
		epoch = n->durable.epoch + 1;
	set_epoch(n, epoch, n->cfg.self);
	xr_tracef(n,
		  "no higher-ranked node answered -> coordinator at epoch %u",
		  epoch);
	struct xr_effect *fx = xr_out_effect(n, XR_FX_COORDINATOR);
	if (fx != NULL)
		fx->round = epoch;
	send_all(n, XR_MSG_COORDINATOR);
	n->election.last_beat_ms = n->now_ms;
	xr_light_takeover(n);
}

void xr_election_start(struct xr_node *n, const char *why)
{
	struct xr_election *e = &n->election;
	e->running = true;
	e->answered = false;
	e->started_ms = n->now_ms;
	int asked = 0;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(n->members, id) ||
		    xr_rank(n, id) <= xr_rank(n, n->cfg.self))
			continue;
		xr_out_msg(n, id, XR_MSG_ELECTION);
		asked++;
	}
	xr_tracef(n, "%s -> election, asking %d higher-ranked nodes", why,
		  asked);
	if (asked == 0)
		become_coordinator(n);
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

/* Tells node `to` that `rival` claimed the epoch it coordinates at. */
static void tell_rival(struct xr_node *n, uint32_t to)
{
	struct xr_msg *c = xr_out_msg(n, to, XR_MSG_COORDINATOR);
	if (c != NULL)
		c->u.coordinator.coordinator = n->election.rival;
}

/* A coordinator claim `who` at `epoch`, by a COORDINATOR or HEARTBEAT. */
static void claim(struct xr_node *n, uint32_t who, uint32_t epoch,
		  uint32_t from)
{
	bool newer = epoch > n->coordinator_epoch ||
		     (epoch == n->coordinator_epoch &&
		      xr_rank(n, who) > xr_rank(n, n->coordinator));
	if (newer) {
		/* Two coordinators at one epoch, and we knew the other: we
		 * tell the winner, which then moves to a newer epoch (below),
		 * so that every epoch names one coordinator. Without this a
		 * car that coordinated and heard the restarted light first
		 * just yielded, and the light stayed at the car's epoch for
		 * good (integration_kill9_light). We tell it again at every
		 * heartbeat of that epoch (on_heartbeat): the first telling
		 * may be lost, as to a light that has just restarted. */
		uint32_t rival = n->coordinator;
		bool shared = epoch == n->coordinator_epoch &&
			      rival < XR_MAX_NODES && who != n->cfg.self;
		xr_tracef(n, "%u coordinates at epoch %u -> follow", who,
			  epoch);
		set_epoch(n, epoch, who);
		if (shared) {
			n->election.rival_epoch = epoch;
			n->election.rival = rival;
			tell_rival(n, from);
		}
		xr_car_new_coordinator(n);
		/* A node that outranks the new coordinator takes over (the
		 * returning light). */
		if (xr_rank(n, n->cfg.self) > xr_rank(n, who))
			xr_election_start(n, "outranking the coordinator");
		return;
	}
	if (epoch == n->coordinator_epoch && who == n->coordinator) {
		n->election.last_heard_ms = n->now_ms;
		/* We were cut off from it long enough to hold an election:
		 * the round went on without us (waves that did not wait for
		 * us), so we ask where it is. */
		if (n->election.running) {
			n->election.running = false;
			xr_tracef(
				n,
				"%u still coordinates at epoch %u -> catch up",
				who, epoch);
			xr_car_catch_up(n);
		}
		return;
	}
	/* Two coordinators at one epoch (a light that restarted claimed the
	 * epoch after the one it remembers, which a car had claimed while it
	 * was down): rank settles it, and the winner moves to a newer epoch so
	 * that every epoch names one coordinator. */
	if (epoch == n->coordinator_epoch && n->coordinator == n->cfg.self &&
	    who != n->cfg.self) {
		xr_tracef(n, "%u also claims epoch %u -> claim a newer one",
			  who, epoch);
		become_coordinator(n);
		return;
	}
	/* A stale claim: tell its sender who coordinates now (nobody we
	 * know of after a restart: then our next election tells it our
	 * epoch). */
	if (n->coordinator >= XR_MAX_NODES)
		return;
	struct xr_msg *m = xr_out_msg(n, from, XR_MSG_COORDINATOR);
	if (m != NULL)
		m->u.coordinator.coordinator = n->coordinator;
}

/* A heartbeat. From the coordinator: a claim, a lease and maybe a grant,
 * answered with our clock. A node's answer (ack): its clock, which the
 * coordinator sends back as the node's lease (light.c, "absent cars"). */
static void on_heartbeat(struct xr_node *n, const struct xr_msg *m)
{
	if (m->u.heartbeat.ack) {
		if (n->coordinator == n->cfg.self &&
		    XR_HAS(n->car_set, m->from) &&
		    m->u.heartbeat.stamp_ms > n->light.ack_stamp_ms[m->from])
			/* The car's clock, not ours: stored, never compared. */
			n->light.ack_stamp_ms[m->from] =
				m->u.heartbeat.stamp_ms;
		return;
	}
	/* Told already by the claim if this heartbeat is what made us
	 * follow; told again if the epoch was shared before it. */
	bool shared = n->election.rival_epoch != 0 &&
		      m->epoch == n->election.rival_epoch;
	claim(n, m->from, m->epoch, m->from);
	if (shared && n->coordinator == m->from &&
	    n->election.rival_epoch == m->epoch)
		tell_rival(n, m->from);
	if (n->coordinator != m->from || !n->is_car)
		return;
	/* Answered at most every heartbeat_ms / 2: the coordinator's beats
	 * come every heartbeat_ms and are all answered; a grant (a heartbeat
	 * answering our Blocked, one per crossing) is not answered again
	 * right after (issue 16: an ack per crossing). Our lease then lags by
	 * at most half a beat more; the coordinator hears us by our other
	 * messages meanwhile. */
	if (n->election.acked_ms == 0 ||
	    n->now_ms - n->election.acked_ms >= n->cfg.heartbeat_ms / 2) {
		struct xr_msg *ack = xr_out_msg(n, m->from, XR_MSG_HEARTBEAT);
		if (ack != NULL) {
			ack->u.heartbeat.ack = true;
			ack->u.heartbeat.stamp_ms = n->now_ms;
			n->election.acked_ms = n->now_ms;
		}
	}
	bool renewed = false;
	/* A stamp from the future is not ours: ignore it. */
	if (m->u.heartbeat.stamp_ms > n->election.lease_ms &&
	    m->u.heartbeat.stamp_ms <= n->now_ms) {
		n->election.lease_ms = m->u.heartbeat.stamp_ms;
		renewed = true;
	}
	if (m->u.heartbeat.grant_round != 0 &&
	    (m->u.heartbeat.grant_round != n->election.grant_round ||
	     m->epoch != n->election.grant_epoch)) {
		n->election.grant_round = m->u.heartbeat.grant_round;
		n->election.grant_epoch = m->epoch;
		renewed = true;
	}
	if (renewed)
		xr_car_lease_renewed(n);
}

int xr_election_receive(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_election *e = &n->election;
	switch (m->type) {
	case XR_MSG_HEARTBEAT:
		on_heartbeat(n, m);
		return 0;
	case XR_MSG_COORDINATOR:
		claim(n, m->u.coordinator.coordinator, m->epoch, m->from);
		return 0;
	case XR_MSG_ELECTION:
		if (xr_rank(n, m->from) >= xr_rank(n, n->cfg.self))
			return 0;
		xr_out_msg(n, m->from, XR_MSG_ANSWER);
		/* The asker knows a newer epoch than ours: a coordinator we
		 * never heard of ruled there (elected while cut off from us),
		 * so our claim would be refused. We take over above it. */
		if (m->epoch > n->durable.epoch)
			n->durable.epoch = m->epoch;
		if (n->coordinator == n->cfg.self &&
		    m->epoch > n->coordinator_epoch) {
			become_coordinator(n);
		} else if (n->coordinator == n->cfg.self) {
			struct xr_msg *c =
				xr_out_msg(n, m->from, XR_MSG_COORDINATOR);
			if (c != NULL)
				c->u.coordinator.coordinator = n->cfg.self;
		} else if (!e->running) {
			xr_election_start(n, "asked by a lower-ranked node");
		}
		return 0;
	case XR_MSG_ANSWER:
		if (e->running && !e->answered) {
			e->answered = true;
			e->answered_ms = n->now_ms;
		}
		return 0;
	default:
		return XR_EROLE;
	}
}

void xr_election_tick(struct xr_node *n)
{
	struct xr_election *e = &n->election;
	if (!xr_failover_on(n))
		return;
	if (n->coordinator == n->cfg.self) {
		if (n->now_ms - e->last_beat_ms >= n->cfg.heartbeat_ms) {
			e->last_beat_ms = n->now_ms;
			send_all(n, XR_MSG_HEARTBEAT);
		}
	} else if (e->running) {
		uint64_t waited = n->now_ms - e->started_ms;
		if (!e->answered && waited >= n->cfg.fail_ms / 2)
			become_coordinator(n);
		else if (e->answered &&
			 n->now_ms - e->answered_ms >= n->cfg.fail_ms)
			xr_election_start(n, "no COORDINATOR after an answer");
	} else if (n->now_ms - e->last_heard_ms >= n->cfg.fail_ms) {
		xr_election_start(n, "coordinator silent for fail_ms");
	}
	uint32_t every = n->cfg.heartbeat_ms < n->cfg.resend_ms
				 ? n->cfg.heartbeat_ms
				 : n->cfg.resend_ms;
	xr_timer_arm(n, XR_TIMER_TICK, every ? every : n->cfg.resend_ms);
}
