/* Shared between the files of the core; not part of its API. */
#ifndef XR_CORE_INTERNAL_H
#define XR_CORE_INTERNAL_H

#include "err.h"
#include "node.h"

#define XR_SET(id) ((xr_set)1 << (id))
#define XR_HAS(set, id) (((set) >> (id)) & 1u)
#define XR_NOBODY XR_MAX_NODES /* coordinator not known (after a restart) */
/* An invariant the core relies on. Broken, the node stops (abort) rather
 * than act on a state it cannot be in: the shell restarts it from its
 * durable state as after a crash, and the simulator counts a crash (tools/
 * soak's `crash` class). Cheap checks only: they run in every build. */
#define XR_ASSERT(cond)                                                        \
	((cond) ? (void)0 : xr_assert_fail(#cond, __FILE__, __LINE__))
_Noreturn void xr_assert_fail(const char *what, const char *file, int line);

/* The digest of an empty crossing log: FNV-1a's offset basis. */
#define XR_LOG_DIGEST_EMPTY 0xcbf29ce484222325ULL

/* The core's files in layers, each calling only the ones below it
 * (docs/ARCHITECTURE.md; tools/callgraph checks it):
 *   node.c                      dispatch of events and messages
 *   election.c                  who coordinates; role changes
 *   light_takeover.c            a new coordinator takes over a round
 *   light.c                     the coordinator's rounds
 *   car.c, car_probe.c          the car's rounds and its deadlock probes
 *   wave.c, snapshot.c,         echo waves, Chandy-Lamport snapshots, the
 *   light_lease.c               coordinator's promises as others read them
 *   crossing_log.c, outbox.c,   leaves
 *   members.c, names.c, pick_turn.c, arrivals.c, geometry.c, err.c */

/* Outbox (outbox.c). A full outbox drops the message (it then behaves as a
 * lost message, which every protocol path already survives) and traces it. */
struct xr_msg *xr_out_msg(struct xr_node *n, uint32_t to,
			  enum xr_msg_type type);
/* A message to whoever coordinates now; NULL while nobody is known. */
struct xr_msg *xr_out_to_coordinator(struct xr_node *n, enum xr_msg_type t);
struct xr_effect *xr_out_effect(struct xr_node *n, enum xr_effect_type type);
void xr_tracef(struct xr_node *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Arms timer k at now + after_ms unless it is already due sooner. */
void xr_timer_arm(struct xr_node *n, enum xr_timer k, uint64_t after_ms);
/* "[1 2 3]" into buf. */
const char *xr_ids_str(const uint32_t *ids, uint32_t n, char *buf, size_t len);

/* Who is who (members.c). */
int xr_set_count(xr_set s);
bool xr_failover_on(const struct xr_node *n);
uint32_t xr_rank(const struct xr_node *n, uint32_t id);

/* Echo wave (wave.c). The root begins a wave (and joins it as a car if it
 * is one) and sends it down; every node feeds the wave messages it receives
 * to xr_wave_receive. The wave never calls a role: it says what it needs,
 * and node.c asks the role (light.c decides or restarts, car.c joins). */
enum xr_wave_event {
	XR_WAVE_NOTHING,
	XR_WAVE_JOINED,  /* a new wave reached this node: join it as a car,
			  * then xr_wave_joined() */
	XR_WAVE_DONE,    /* the root heard from all: xr_light_wave_done() */
	XR_WAVE_STALLED, /* the root's wave did not complete in 2 x stall_ms:
			  * xr_light_wave_restart() */
};
void xr_wave_begin(struct xr_node *n, const struct xr_wave_msg *down);
void xr_wave_send_down(struct xr_node *n);
int xr_wave_receive(struct xr_node *n, const struct xr_msg *m,
		    enum xr_wave_event *ev);
void xr_wave_joined(struct xr_node *n);
enum xr_wave_event xr_wave_tick(struct xr_node *n);
/* A car that is not the wave's root keeps its echo until
 * xr_wave_release(): what it is about to do (cross) rides the echo. For
 * XR_WAVE_HOLD_MS at most: half a resend period. */
#define XR_WAVE_HOLD_MS(n) ((uint64_t)(n)->cfg.resend_ms / 2)
void xr_wave_hold(struct xr_node *n);
void xr_wave_release(struct xr_node *n);
bool xr_wave_pending(const struct xr_node *n);

/* Failover (election.c, light_takeover.c). */
void xr_election_start(struct xr_node *n, const char *why);
int xr_election_receive(struct xr_node *n, const struct xr_msg *m);
void xr_election_tick(struct xr_node *n);
void xr_light_takeover(struct xr_node *n);
int xr_light_on_recover_state(struct xr_node *n, const struct xr_msg *m);
int xr_light_on_log_round(struct xr_node *n, const struct xr_msg *m);
void xr_light_recover_tick(struct xr_node *n);
void xr_car_on_recover(struct xr_node *n);
/* A car cut off from its coordinator (it held an election) hears it again:
 * it asks for the round's state, as after a restart. */
void xr_car_catch_up(struct xr_node *n);
void xr_car_new_coordinator(struct xr_node *n);

/* Light (light.c). */
void xr_light_next_round(struct xr_node *n);
void xr_light_collect(struct xr_node *n);
void xr_light_spread(struct xr_node *n);
void xr_light_resume_crossing(struct xr_node *n);
void xr_light_start(struct xr_node *n);
int xr_light_receive(struct xr_node *n, const struct xr_msg *m);
void xr_light_tick(struct xr_node *n);
int xr_light_command(struct xr_node *n, const struct xr_event *ev);
/* The entry of `car` in a round's log, or NULL (crossing_log.c). */
const struct xr_crossing *xr_crossing_log_find(const struct xr_crossing *log,
					       uint32_t n, uint32_t car);
/* Absent cars (light.c): a car was heard from; everyone was (a start). */
void xr_light_heard(struct xr_node *n, uint32_t car);
void xr_light_hear_all(struct xr_node *n);
void xr_light_wave_done(struct xr_node *n, const struct xr_wave_state *w);
/* Crossings an echo of the round's intent-set wave carries (car.c,
 * hold_echo): logged as each echo arrives, as a Crossed would be. */
void xr_light_echo_crossed(struct xr_node *n, const struct xr_wave_msg *w);
/* Starts the stalled wave again under a new id. */
void xr_light_wave_restart(struct xr_node *n);

/* The coordinator's promises as others read them (light_lease.c). */
bool xr_light_round_open(const struct xr_light *l);
bool xr_light_left_round(const struct xr_light *l, uint32_t car);
/* The stamp to send back to node `id` in a heartbeat (0: no lease). */
uint64_t xr_light_lease_for(const struct xr_node *n, uint32_t id);
/* Has this coordinator taken `car` out of `round`? */
bool xr_light_took_out(const struct xr_node *n, uint32_t car, uint32_t round);
/* The newest override epoch decided in the round (its wave may still run). */
uint32_t xr_light_decided_override(const struct xr_node *n);
/* The round in which car `id` may enter (it is granted), or 0. */
uint32_t xr_light_grant_for(const struct xr_node *n, uint32_t id);
/* A heartbeat to node `id`: its lease, and its grant if it has one. */
void xr_heartbeat_to(struct xr_node *n, uint32_t id);
/* A car's lease was renewed (car.c). */
void xr_car_lease_renewed(struct xr_node *n);

/* Car (car.c, car_probe.c). */
void xr_car_start(struct xr_node *n);
int xr_car_receive(struct xr_node *n, const struct xr_msg *m);
void xr_car_tick(struct xr_node *n);
void xr_car_cross_done(struct xr_node *n);
/* XR_TIMER_ARRIVAL: a vehicle of ours may wait with no round to take it. */
void xr_car_vehicle_arrived(struct xr_node *n);
/* A wave reached this car for the first time: apply what it carries and
 * put the car's own contribution to the echo into `up`. */
void xr_car_wave_join(struct xr_node *n, const struct xr_wave_msg *down,
		      struct xr_wave_msg *up);
int xr_car_on_probe(struct xr_node *n, const struct xr_msg *m);
int xr_car_on_detect(struct xr_node *n, const struct xr_msg *m);
void xr_car_send_blocked(struct xr_node *n);

/* Chandy-Lamport snapshot (snapshot.c). observe() runs on every accepted
 * message before its handler and returns true for a marker (consumed). */
int xr_snapshot_start(struct xr_node *n);
bool xr_snapshot_observe(struct xr_node *n, const struct xr_msg *m);
void xr_snapshot_tick(struct xr_node *n);

/* A car's vehicles (arrivals.c; arrivals = poisson, else nothing to do):
 * counts those arrived by now and arms XR_TIMER_ARRIVAL for the next. */
void xr_queue_advance(struct xr_node *n);
/* What the car has at its stop line now: always a vehicle with arrivals =
 * always; with poisson, its next vehicle (number durable.crossings + 1) once
 * arrived, and DONE once all have crossed. */
enum xr_lane xr_lane_now(const struct xr_node *n);
/* When vehicle k of this car arrived, on its clock (moves a cursor). */
uint64_t xr_vehicle_arrived_ms(struct xr_node *n, uint32_t k);

/* The durable log (crossing_log.c). */
void xr_crossing_log_append(struct xr_node *n, const struct xr_crossing *c);

#endif
