/* The protocol core of one xroad node, light or car: one entry point,
 * xr_node_step(), an event in and an outbox out (after cowsql's raft_step and
 * etcd raft's Step/Ready).
 *
 * The core is pure: no sockets, no clock, no randomness of its own, no
 * printing, no allocation. Time arrives in every event; the car's turn per
 * round comes from the configured seed through a hash, so a trace replays to
 * the same bytes. Decisions are reported as one-line "condition -> action"
 * strings through the injected tracer.
 *
 * Applying the outbox (every driver does it in this order: the nng daemon, the
 * simulator, the replay test; see docs/PROTOCOL.md "Outbox"):
 *   1. effects, in order: XR_FX_LOG_APPEND entries are made durable, crossings
 *      reported to the cloud, before anything is sent;
 *   2. messages, in order;
 *   3. timers: node->timer_at[k] is the absolute deadline of timer k, or
 *      XR_NEVER. The driver fires XR_EV_TIMER for every k whose deadline has
 *      passed.
 * The outbox (node->out) is valid until the next call to xr_node_step().
 * node->durable must be on stable storage before step 2 whenever the step
 * changed it (a crossing made, acknowledged or logged; a snapshot started):
 * node->out.durable_changed says so (as etcd raft's Ready.MustSync).
 *
 * Callers read a node through xr_node_view(), never its role state. */
#ifndef XR_NODE_H
#define XR_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "geometry.h"
#include "schedule.h"

#define XR_MAX_NODES 32
#define XR_MAX_CARS (XR_MAX_NODES - 1)
/* An override reverses one edge between two cars, and never the same pair
 * twice (docs/PROTOCOL.md), so a round has at most one per pair of cars, and
 * a car takes part in at most one per other car. */
#define XR_MAX_OVERRIDES XR_MAX_CARS /* per car, and per message */
#define XR_MAX_ROUND_OVERRIDES (XR_MAX_CARS * (XR_MAX_CARS - 1) / 2)
#define XR_OUTBOX_MSGS 128
#define XR_OUTBOX_EFFECTS 64
#define XR_RUN_MAX 40
#define XR_NEVER UINT64_MAX

typedef uint64_t xr_set; /* bit i = node id i */

/* When vehicles come to a car node (xr_node_config.arrivals). */
enum xr_arrivals { XR_ARRIVALS_ALWAYS = 0, XR_ARRIVALS_POISSON = 1 };
/* With poisson, `rounds` is the vehicles each car sends: at most this many,
 * so that the light's round budget, 2 x rounds x cars, fits 32 bits. */
#define XR_POISSON_VEHICLES_MAX 1000000u

/* ------------------------------------------------------------------ messages */

enum xr_msg_type {
	XR_MSG_NONE = 0,
	XR_MSG_WAVE,
	XR_MSG_CROSSED,
	XR_MSG_NOTICE,
	XR_MSG_BLOCKED,
	XR_MSG_DETECT,
	XR_MSG_PROBE,
	XR_MSG_DEADLOCK,
	XR_MSG_PROCEED,
	XR_MSG_REJOIN,
	XR_MSG_REJOIN_STATE,
	XR_MSG_MARKER,
	XR_MSG_HEARTBEAT,     /* coordinator -> all: alive, at this epoch */
	XR_MSG_ELECTION,      /* bully: a node asks every higher-ranked one */
	XR_MSG_ANSWER,        /* bully: a higher-ranked node is alive */
	XR_MSG_COORDINATOR,   /* bully: the winner, at the envelope's epoch */
	XR_MSG_RECOVER,       /* new coordinator -> cars: your round state? */
	XR_MSG_RECOVER_STATE, /* car -> new coordinator */
	XR_MSG_LOG_FETCH,     /* light taking over -> cars, or a car -> every
			       * node: that round's log, please */
	XR_MSG_LOG_ROUND,     /* the answer, from the node's shell (its log) */
	XR_MSG_ARRIVED,       /* car -> coordinator: a vehicle waits at my
			       * line and no round has it (open rounds) */
	XR_MSG_TYPES
};

enum xr_wave_kind {
	XR_WAVE_NONE = 0,
	XR_WAVE_COLLECT_INTENTS,
	XR_WAVE_INTENT_SET,
	XR_WAVE_OVERRIDE,
	XR_WAVE_ROUND_END,
	XR_WAVE_KINDS
};

struct xr_crossing {
	uint32_t round;
	uint32_t index;
	uint32_t car;
	/* The coordinator took the car out of the round after fail_ms of
	 * silence (docs/FAILURES.md, "a dead car"): nobody waits for it any
	 * more. Not a crossing: only a car never granted the box is taken
	 * out (light.c, "absent cars"). */
	bool left;
};

struct xr_override {
	uint32_t epoch;
	uint32_t winner;
	uint32_t loser;
	/* The other cars the winner goes before (light.c, "breaking a
	 * cycle"): every later car it waits for on a cycle through it. */
	xr_set also;
};

struct xr_wave_msg {
	uint32_t wave;
	enum xr_wave_kind kind;
	uint32_t round;
	bool echo;
	bool retry; /* resent for want of an answer; see proto WaveMsg.retry */
	bool star;  /* over a star around the coordinator (failover) */
	uint32_t target_round; /* COLLECT, and ROUND_END with collect_next:
				* the last round the cluster runs */
	bool collect_next;     /* ROUND_END: also the next round's COLLECT (the
			    * echo brings its intents; light.c) */
	xr_set crossed; /* INTENT_SET echo: cars of the subtree that crossed
			 * before echoing (their Crossed, issue 16) */
	uint32_t n_intents;
	struct xr_car_intent intents[XR_MAX_CARS];
	bool has_override;
	struct xr_override override;
	uint32_t n_log;
	struct xr_crossing log[XR_MAX_CARS];
};

struct xr_rejoin_state {
	uint32_t round;
	bool intents_fixed;
	uint32_t n_intents;
	struct xr_car_intent intents[XR_MAX_CARS];
	uint32_t n_log;
	struct xr_crossing log[XR_MAX_CARS];
	uint32_t n_overrides;
	struct xr_override overrides[XR_MAX_OVERRIDES];
	uint32_t n_proceed;
	uint32_t proceed[XR_MAX_CARS];
};

/* The core's view of an Envelope (proto/xroad.proto); src/wire/codec.c maps
 * one to the other and validates. Field meanings are documented there. */
struct xr_msg {
	uint32_t from;
	uint32_t to;
	uint32_t epoch;
	uint32_t snapshot; /* newest snapshot the sender had recorded */
	uint64_t cluster;  /* the sender's settings, hashed (the daemon's; the
			    * core leaves it 0 and never reads it) */
	enum xr_msg_type type;
	union {
		struct xr_wave_msg wave;
		struct {
			uint32_t round;
			uint64_t crossed_ms;
		} crossed;
		struct {
			struct xr_crossing crossing;
		} notice;
		struct {
			uint32_t round;
			uint32_t seen;
			uint32_t overrides;
			bool held;
			uint64_t stamp_ms; /* the car's clock (its lease) */
			uint32_t n_waits;
			uint32_t waits_for[XR_MAX_CARS];
		} blocked;
		struct {
			uint32_t round;
			uint32_t epoch;
		} detect;
		struct {
			uint32_t round;
			uint32_t epoch;
			uint32_t initiator;
			uint32_t n_path;
			uint32_t path[XR_MAX_CARS];
		} probe;
		struct {
			uint32_t round;
			uint32_t epoch;
			uint32_t n_cycle;
			uint32_t cycle[XR_MAX_CARS];
		} deadlock;
		struct {
			uint32_t round;
			uint32_t epoch;
		} proceed;
		struct {
			uint32_t round;
		} rejoin;
		struct {
			uint32_t round; /* the car's round, whose collect it
					 * answered with an empty lane */
		} arrived;
		struct xr_rejoin_state rejoin_state;
		struct {
			uint32_t snapshot;
		} marker;
		struct {
			uint32_t coordinator;
		} coordinator;
		struct {
			/* coordinator -> node: the newest stamp it has had
			 * back from that node (the node's lease, see car.c);
			 * node -> coordinator (ack): the node's own clock. */
			bool ack;
			uint64_t stamp_ms;
			/* coordinator -> car: may enter in this round (0 =
			 * no); light.c, "absent cars". */
			uint32_t grant_round;
		} heartbeat;
		struct {
			uint32_t round;
		} log_fetch;
		/* A round's whole log as the answering node's log holds
		 * it; `held` false: it does not hold that round (it was
		 * away). A node's shell answers a LogFetch from its log file
		 * (xr_crossing_log_round_answer): the core keeps only the last round
		 * (light_takeover.c, "catching up"; car.c, a crossing's index). */
		struct {
			uint32_t round;
			bool held;
			uint32_t n_log;
			struct xr_crossing log[XR_MAX_CARS];
		} log_round;
		struct xr_recover_state {
			struct xr_rejoin_state state; /* the car's view */
			uint32_t crossed_round; /* durable: its last crossing */
			bool held; /* override winner without Proceed */
			uint32_t override_epoch;
			bool has_last_override;
			struct xr_override last_override;
			uint32_t logged_round; /* durable.last_round */
			uint32_t target_round;
			uint32_t detect_epoch;
			uint32_t log_count;  /* durable log, for a light */
			uint64_t log_digest; /* that comes back */
			uint32_t left_count;
			uint32_t n_last_log; /* durable log of logged_round */
			struct xr_crossing last_log[XR_MAX_CARS];
		} recover_state;
	} u;
};

const char *xr_msg_type_name(enum xr_msg_type t);   /* "Probe" */
const char *xr_wave_kind_name(enum xr_wave_kind k); /* "IntentSet" */

/* ------------------------------------------------------------------ effects */

enum xr_effect_type {
	XR_FX_ROUND_START = 1, /* light: round begins; car: joined round */
	XR_FX_INTENT,          /* car: its intent for the round */
	XR_FX_ENTER,           /* car: entered the box */
	XR_FX_EXIT,            /* car: left the box; report the crossing */
	XR_FX_LOG_APPEND,      /* any: crossing appended to the durable log */
	XR_FX_DEADLOCK,        /* light: cycle declared, winner picked */
	XR_FX_ROUND_END,       /* light: every node has the round's log */
	XR_FX_DONE,            /* light: no rounds left */
	XR_FX_SHUTDOWN,        /* shutdown command: stop after this outbox */
	XR_FX_SNAPSHOT_DONE, /* every incoming channel of the snapshot closed */
	XR_FX_COORDINATOR,   /* this node became coordinator (round = epoch) */
	XR_FX_DEPOSED,       /* this node stopped being coordinator */
	XR_FX_CAR_LEFT,      /* coordinator: `car` silent for fail_ms, taken
				* out of `round` (crossing.left) or of rounds
				* to come (round 0) */
	XR_FX_CAR_AWAITED,   /* coordinator: `car` silent for fail_ms after
				* it was granted `round`: the round waits for
				* it (light.c, "absent cars") */
	XR_FX_CROSSING_INDEXED, /* car: its own crossing has its final place
				 * in the round's log (`crossing`), learnt
				 * from the round's end or a LogRound (car.c):
				 * its report can go */
};

struct xr_effect {
	enum xr_effect_type type;
	uint32_t round;
	uint32_t car;
	struct xr_car_intent intent; /* INTENT, ENTER, EXIT */
	uint32_t vehicle; /* INTENT, ENTER, EXIT: which of the car's vehicles
			   * (arrivals = poisson; 0 with always) */
	struct xr_crossing crossing; /* LOG_APPEND */
	uint64_t at_ms;              /* EXIT: when the car left the box */
	bool after_deadlock;         /* EXIT: the round needed an override */
	struct xr_override override; /* DEADLOCK */
	uint32_t n_cycle;            /* DEADLOCK */
	uint32_t cycle[XR_MAX_CARS];
};

const char *xr_effect_type_name(enum xr_effect_type t);

/* ------------------------------------------------------------------ events */

enum xr_timer {
	XR_TIMER_TICK = 0, /* resends, stall checks; periodic while useful */
	XR_TIMER_CROSS,    /* car: leaves the box */
	XR_TIMER_ARRIVAL,  /* car: its next vehicle arrives (poisson) */
	XR_TIMERS
};

enum xr_command_op {
	XR_CMD_RUN = 1, /* queue `rounds` more rounds */
	XR_CMD_PAUSE,
	XR_CMD_RESUME,
	XR_CMD_SHUTDOWN,
	XR_CMD_SNAPSHOT, /* start a new Chandy-Lamport snapshot here */
};

enum xr_event_type {
	XR_EV_START = 1, /* first event after init (also after a restart) */
	XR_EV_RECEIVE,
	XR_EV_TIMER,
	XR_EV_COMMAND,
};

struct xr_event {
	enum xr_event_type type;
	uint64_t now_ms;
	const struct xr_msg *msg; /* RECEIVE: borrowed for the call */
	enum xr_timer timer;      /* TIMER */
	enum xr_command_op op;    /* COMMAND */
	uint32_t rounds;          /* COMMAND RUN */
};

/* ------------------------------------------------------------------ config */

/* One decision, one line: "probe (1,3,1) back at initiator -> deadlock". */
typedef void (*xr_tracer_fn)(void *ctx, uint32_t node, uint64_t now_ms,
			     const char *line);

struct xr_node_config {
	uint32_t self;
	uint32_t light; /* coordinator at start */
	uint32_t n_cars;
	uint32_t cars[XR_MAX_CARS]; /* car ids, distinct, != light */
	enum xr_approach approaches[XR_MAX_CARS]; /* approaches[i] of cars[i] */
	uint32_t n_neighbours; /* wave topology edges of self */
	uint32_t neighbours[XR_MAX_NODES - 1];
	uint64_t seed;
	uint32_t weights[XR_TURNS]; /* routes: relative weights */
	uint32_t cross_ms;          /* time in the box */
	uint32_t resend_ms;         /* retransmission period */
	uint32_t stall_ms;          /* no progress -> detection anyway */
	uint32_t rounds;            /* light: rounds to run at start */
	uint32_t heartbeat_ms;      /* failover: 0 = off */
	uint32_t fail_ms;           /* silence that means dead; 0 = off */
	/* Who waits for whom in a round: rules (priority to the right,
	 * deadlocks found and broken at run time) or optimal (the fewest
	 * phases, no cycle; every car computes the same edges from the
	 * intent set, car.c). Every node must run the same one. */
	enum xr_schedule schedule;
	/* When vehicles come (docs/CONFIG.md): always (every car has one for
	 * every round, and `rounds` is the rounds to run) or poisson (each
	 * car node sends `rounds` vehicles, gaps exponential with mean
	 * headway_ms, from its first start; rounds open as they come). */
	enum xr_arrivals arrivals;
	uint32_t headway_ms;
	char run[XR_RUN_MAX]; /* run id, for crossing records */
	xr_tracer_fn tracer;  /* may be NULL */
	void *tracer_ctx;
};

/* Validates a configuration; XR_ECONFIG with a reason in `why`. */
int xr_node_config_check(const struct xr_node_config *cfg, char *why,
			 size_t why_len);

/* ------------------------------------------------------------------ state */

/* What survives a crash: the shell persists it after every LOG_APPEND (a
 * small file in the daemon, kept across restarts by the simulator). The log
 * itself goes to the shell through LOG_APPEND effects; the core keeps its
 * length and a running digest so I4 is checkable in O(1) memory. */
struct xr_durable {
	uint32_t log_count;
	uint64_t log_digest;
	uint32_t last_round;         /* last round whose log was appended */
	uint32_t crossings;          /* car: crossings it made (I6) */
	uint32_t last_crossed_round; /* car: round of its last crossing */
	uint32_t entered_round;      /* car: round it last entered the box */
	uint32_t acked_round;    /* car: rounds up to it seen whole (car.c) */
	uint32_t snapshot_floor; /* newest snapshot recorded before a crash */
	uint32_t epoch;          /* newest coordinator epoch known */
	uint32_t target_round;   /* last round to run, from COLLECT waves */
	uint32_t left_count; /* log entries that are `left`, not crossings */
	uint32_t last_log_n; /* the log of last_round, in its order: */
	struct xr_crossing last_log[XR_MAX_CARS]; /* a takeover re-runs it */
	uint64_t arrivals_from_ms; /* car, poisson: its first start, where its
				    * vehicles' times count from */
};

/* The digest after appending `c` to a log whose digest is `d`. */
uint64_t xr_crossing_log_digest(uint64_t d, const struct xr_crossing *c);

/* Echo wave state of one node for the current wave (src/core/wave.c). */
struct xr_wave_state {
	bool active;
	bool is_root;
	bool done; /* root: heard from every neighbour; other: echoed */
	uint32_t id;
	uint32_t parent;
	xr_set nbrs;  /* this wave's neighbours (topology or star) */
	xr_set heard; /* neighbours whose message on our edge arrived */
	xr_set sent;  /* neighbours we have sent our message to */
	uint64_t last_send_ms;
	/* A car free to go when the intent set reached it holds its echo
	 * until it is out of the box, so that the echo carries its crossing
	 * (car.c, hold_echo), for at most resend_ms from held_ms. */
	bool held;
	uint64_t held_ms;
	struct xr_wave_msg down; /* what travels down (and is resent) */
	struct xr_wave_msg up;   /* aggregate of the subtree (COLLECT) */
};

enum xr_light_phase {
	XR_LIGHT_IDLE = 0,   /* between rounds */
	XR_LIGHT_RECOVERING, /* new coordinator: collecting the cars' state */
	XR_LIGHT_COLLECTING,
	XR_LIGHT_WAITING, /* open rounds: no car had a vehicle; the round
			   * is collected again when one arrives */
	XR_LIGHT_SPREADING,
	XR_LIGHT_CROSSING, /* cars are crossing; stall watch on */
	XR_LIGHT_OVERRIDING,
	XR_LIGHT_ENDING,
	XR_LIGHT_DONE,
};

struct xr_car_report { /* the light's record of a car's last Blocked */
	bool valid;
	uint64_t at_ms;
	bool held;
	uint32_t seen;
	uint32_t overrides;
	xr_set waits; /* the cars it waits for, as reported */
};

struct xr_light {
	enum xr_light_phase phase;
	uint32_t round;
	uint32_t rounds_left;
	bool paused;
	uint32_t next_wave;
	uint64_t wave_started_ms;
	uint32_t n_intents;
	struct xr_car_intent intents[XR_MAX_CARS];
	xr_set have_intent;
	uint32_t n_log;
	struct xr_crossing log[XR_MAX_CARS];
	xr_set crossed;
	uint32_t epoch;   /* Chandy-Misra-Haas detection epoch, all rounds */
	bool epoch_acted; /* a cycle of this epoch is being resolved */
	bool detecting;   /* an epoch is running, not yet acted on */
	uint64_t epoch_started_ms;
	uint32_t n_overrides; /* overrides whose wave has completed */
	struct xr_override overrides[XR_MAX_ROUND_OVERRIDES];
	uint32_t override_epoch;    /* epoch of the last of them, 0: none */
	struct xr_override pending; /* the override whose wave is running */
	xr_set proceeding;   /* winners told to go that have not crossed */
	xr_set proceed_sent; /* winners told to go this round */
	struct xr_car_report reports[XR_MAX_NODES];
	uint64_t last_progress_ms;
	uint32_t deadlocks; /* resolved, all rounds */
	uint32_t n_last_cycle;
	uint32_t last_cycle[XR_MAX_CARS];
	uint32_t rounds_done;
	/* Takeover by a new coordinator (light_takeover.c). */
	xr_set recover_have; /* cars whose RecoverState arrived */
	struct xr_recover_state recovered[XR_MAX_NODES];
	bool star; /* waves run as a star around us */
	/* A light taking over after missing whole rounds fetches them, in
	 * order, before it resumes (light_takeover.c, "catching up"): the next round
	 * to fetch (0: none) and the last one. */
	uint32_t catchup_round;
	uint32_t catchup_to;
	bool respread_pending; /* spread `pending` again before Proceed */
	/* Dead cars (light.c, "absent cars"): when each car was last heard
	 * from, the stamp its last heartbeat answer carried, and the cars
	 * silent for fail_ms, whom no round waits for until they speak. */
	uint64_t heard_ms[XR_MAX_NODES];
	uint64_t ack_stamp_ms[XR_MAX_NODES];
	xr_set absent;
	xr_set granted; /* cars told they may enter this round */
	bool minority;  /* hears from no majority: takes nobody out */
	/* Open rounds (arrivals = poisson): cars that answered a collect
	 * with XR_LANE_DONE (they stay so), and an Arrived heard while a
	 * collect ran, whose answer may have come before the vehicle. */
	xr_set lanes_done;
	bool arrival_heard;
};

/* A car's vehicles (arrivals.c), times counted from its first start
 * (durable.arrivals_from_ms). Not durable: recomputed after a restart. Two
 * cursors along the car's stream, each moved one gap at a time: the last
 * vehicle arrived, and the one an intent was last made for (its arrival
 * time, without summing every gap before it again). */
struct xr_queue {
	uint32_t arrived; /* vehicles arrived so far */
	uint64_t arrived_ms;
	uint32_t head; /* xr_vehicle_arrived_ms's last vehicle */
	uint64_t head_ms;
};

/* Bully election and failure detection (election.c). */
struct xr_election {
	bool running;
	bool answered;
	uint64_t started_ms;
	uint64_t answered_ms;
	uint64_t last_heard_ms; /* from the coordinator */
	uint64_t last_beat_ms;  /* coordinator: last heartbeat sent */
	/* A car's lease: the newest of its own stamps the coordinator sent
	 * back. The coordinator takes nobody out of a round before fail_ms
	 * after hearing it, so a car may enter the box only while
	 * now + cross_ms stays before lease_ms + fail_ms (car.c). */
	uint64_t lease_ms;
	uint64_t acked_ms; /* a car: when it last answered a heartbeat */
	/* A car's grant: the round, and the coordinator's epoch, in which it
	 * may enter (light.c, "absent cars"). */
	uint32_t grant_round;
	uint32_t grant_epoch;
	/* The epoch our coordinator shares with another claimant we knew
	 * (`rival`), 0 if none: we tell our coordinator at every heartbeat
	 * until it moves to a newer epoch (election.c, claim). */
	uint32_t rival_epoch;
	uint32_t rival;
};

enum xr_car_phase {
	XR_CAR_IDLE = 0, /* no round, or round over */
	XR_CAR_INTENT,   /* intent given, waiting for the intent set */
	XR_CAR_WAITING,
	XR_CAR_CROSSING,
	XR_CAR_CROSSED,
};

struct xr_car {
	enum xr_car_phase phase;
	bool rejoining;        /* restarted: waiting for RejoinState */
	uint32_t closed_epoch; /* its override is applied: probes are stale */
	uint32_t round;
	struct xr_car_intent intent;
	bool have_set;
	uint32_t n_intents;
	struct xr_car_intent intents[XR_MAX_CARS];
	xr_set schedule_waits; /* optimal: whom the set makes us wait for */
	xr_set crossed;        /* cars of this round known to have crossed */
	xr_set log_have;       /* indexes of the round log received */
	struct xr_crossing log[XR_MAX_CARS];
	uint32_t seen;        /* length of the contiguous log prefix held */
	uint32_t n_overrides; /* the overrides this car is winner or loser of */
	struct xr_override overrides[XR_MAX_OVERRIDES];
	uint32_t
		override_epoch; /* newest override of the round known, 0: none */
	bool held;              /* override winner, waiting for Proceed */
	uint32_t held_epoch;
	xr_set waits; /* the cars it waits for now: its own edges */
	/* Our last Blocked asked for the grant (no wait, not held), knowing
	 * overrides up to asked_overrides, with the lease and grant we then
	 * held: news of crossings does not make us ask again, only a change of
	 * those (car.c, reconsider). */
	bool asked_grant;
	uint32_t asked_overrides;
	uint64_t asked_lease_ms;
	uint32_t asked_grant_round;
	bool after_deadlock;
	bool crossed_acked; /* the light logged our crossing */
	uint64_t crossed_ms;
	bool round_over;         /* told the coordinator is past this round */
	uint32_t epoch;          /* highest detection epoch seen */
	xr_set probed;           /* initiators already forwarded this epoch */
	uint32_t reported_epoch; /* epoch whose cycle we reported */
	uint32_t deadlocks;
	uint32_t n_last_cycle;
	uint32_t last_cycle[XR_MAX_CARS];
	bool has_last_override; /* newest override of the round, any cars */
	struct xr_override last_override;
	uint32_t vehicle; /* the one it drives this round (car.c, vehicle_of) */
};

/* Chandy-Lamport snapshot (src/core/snapshot.c): what this node recorded for
 * its newest snapshot and what arrived on each incoming channel after that. */
#define XR_SNAP_CHAN_MAX 16
#define XR_SNAP_MARKER_RESENDS 20

struct xr_snap_inflight {
	enum xr_msg_type type;
	uint32_t round;
	uint32_t car;
};

struct xr_snap_channel {
	bool closed;
	uint32_t n;
	uint32_t overflow;
	struct xr_snap_inflight msgs[XR_SNAP_CHAN_MAX];
};

struct xr_snapshot {
	uint32_t id; /* newest snapshot recorded here, 0: none */
	uint32_t node;
	bool is_light;  /* recorded as the coordinator: counts what it logged */
	bool is_car;    /* recorded as a car: counts what it crossed */
	bool unusable;  /* coordinator still taking over: no count to give */
	uint32_t epoch; /* newest coordinator epoch the node knew */
	uint32_t car_crossings; /* car: crossings it made (I6) */
	bool complete;          /* every incoming channel closed */
	uint32_t resends;       /* marker resends left */
	/* the recorded state */
	uint32_t round;
	uint32_t crossings;     /* coordinator: crossings logged */
	uint32_t pending_round; /* car: made, not yet acknowledged */
	enum xr_car_phase car_phase;
	uint32_t n_logged; /* light: cars logged in `round` */
	uint32_t logged[XR_MAX_CARS];
	struct xr_snap_channel channels[XR_MAX_NODES];
};

/* I6 over one snapshot's recorded states (one per node, any order): the
 * crossings the cars counted equal the crossings the light counted plus the
 * crossings in flight (Crossed messages recorded on channels to the light,
 * and crossings a car made that the light had not acknowledged, each once).
 * Returns 1 when it holds, 0 when not, XR_EINVAL when the set is unusable
 * (no coordinator, one mid-takeover or stale, an incomplete or foreign
 * snapshot); `why` says which. */
int xr_snapshot_check_i6(const struct xr_snapshot *const *snaps, size_t n,
			 char *why, size_t why_len);

struct xr_node {
	struct xr_node_config cfg;
	bool restarted; /* init was given durable state */
	bool is_light;  /* the configured light (no car) */
	bool is_car;
	uint32_t coordinator; /* who coordinates at coordinator_epoch */
	uint32_t coordinator_epoch;
	struct xr_election election;
	struct xr_durable durable;
	xr_set members; /* light + cars */
	xr_set car_set;
	xr_set neighbour_set;
	struct xr_wave_state wave;
	struct xr_light light;
	struct xr_car car;
	struct xr_queue queue;
	uint64_t now_ms;
	uint64_t timer_at[XR_TIMERS];
	uint32_t rejected; /* inputs refused: unknown sender, bad values */
	struct xr_snapshot snap;
	/* Messages a coordinator that is also a car sends itself. */
	uint32_t n_local;
	struct xr_msg local[16];
	struct xr_outbox {
		uint32_t n_msgs;
		struct xr_msg msgs[XR_OUTBOX_MSGS];
		uint32_t n_effects;
		struct xr_effect effects[XR_OUTBOX_EFFECTS];
		/* The step changed `durable`: write it before any message. */
		bool durable_changed;
	} out;
};

/* What a caller (the daemon's Status, its log lines) may know of a node,
 * copied out so that no caller reads the roles' state. */
struct xr_node_view {
	uint32_t coordinator; /* XR_MAX_NODES: not known yet */
	uint32_t epoch;
	bool coordinating;
	/* The coordinator's rounds: the light's, or a car's own while it
	 * coordinates (zero on a car that never did). */
	struct {
		uint32_t round;
		uint32_t rounds_done;
		uint32_t rounds_left;
		bool paused;
		uint32_t deadlocks;
		uint32_t n_last_cycle;
		uint32_t last_cycle[XR_MAX_CARS];
	} light;
	/* A car's own round (zero on the light). */
	struct {
		enum xr_car_phase phase;
		uint32_t round;
		struct xr_car_intent intent; /* valid unless phase is IDLE */
		xr_set waits;                /* bit i: waits for node i */
		uint32_t deadlocks;
		uint32_t n_last_cycle;
		uint32_t last_cycle[XR_MAX_CARS];
		/* arrivals = poisson: vehicles arrived so far; those not yet
		 * crossed (durable.crossings) wait in the car's queue. */
		uint32_t arrived;
	} car;
	uint32_t snapshot; /* the newest snapshot recorded, 0: none */
	uint32_t rejected; /* messages the core refused */
	struct xr_durable durable;
};

/* ------------------------------------------------------------------ API */

/* Initialises `n` (caller-owned, no allocation). `durable` is what survived a
 * crash, or NULL for a fresh node. The configuration is copied. */
int xr_node_init(struct xr_node *n, const struct xr_node_config *cfg,
		 const struct xr_durable *durable);

/* Consumes one event and fills n->out. Returns 0, or a negative XR_E* code
 * when the event was refused (unknown sender, value out of range, message for
 * a role or round it does not fit); a refused event changes nothing but the
 * `rejected` counter, and the outbox is then empty. */
int xr_node_step(struct xr_node *n, const struct xr_event *ev);

/* Fills `v` from `n`. */
void xr_node_view(const struct xr_node *n, struct xr_node_view *v);

/* A shell's answer to a LogFetch (the core keeps only its last round, so
 * the process answers from its log, light_takeover.c "catching up", car.c): node
 * `n`'s LogRound to the asker of `fetch`, at n's epoch, with the entries of
 * the fetched round among the `count` entries of `log`, in log order; held
 * when there is any. The daemon, the simulator and the core fault harness
 * answer with it. */
void xr_crossing_log_round_answer(const struct xr_node *n,
				  const struct xr_msg *fetch,
				  const struct xr_crossing *log, size_t count,
				  struct xr_msg *out);

/* Index of car id `car` in cfg.cars, or -1. */
int xr_node_car_index(const struct xr_node *n, uint32_t car);

/* SplitMix64's mix of x + its golden gamma: a well-spread 64-bit hash, and
 * with x stepped by 0x9e3779b97f4a7c15 a small generator (tests, bench). */
uint64_t xr_splitmix64(uint64_t x);

/* Arrivals (arrivals.c). Vehicle k's arrival (k >= 1), ms after its car
 * node's first start, on a Poisson stream of mean gap headway_ms drawn from
 * a hash of (seed, car, k): the simulator's fixed light sees the same. */
uint64_t xr_vehicle_arrival_ms(uint64_t seed, uint32_t car, uint32_t k,
			       uint32_t headway_ms);
const char *xr_arrivals_name(enum xr_arrivals a); /* "poisson" */
/* 0 and *out set, or XR_EINVAL. */
int xr_arrivals_parse(const char *s, enum xr_arrivals *out);

/* The car's turn in `round`: a weighted pick from the routes weights driven by
 * a hash of (seed, car, round), so a restarted car picks the same again. */
enum xr_turn xr_pick_turn(uint64_t seed, uint32_t car, uint32_t round,
			  const uint32_t weights[XR_TURNS]);

#endif
