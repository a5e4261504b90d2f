/* The `xroad` node daemon: one core (src/core) driven by the nng shell
 * (src/net), its durable state and crossing log in state_dir, the cloud
 * (src/cloud) for routes and crossing reports, and the light's queue poller.
 * Split by job, each calling only the ones after it: daemon_loop.c (the
 * event loop), daemon_rpc.c (the xroad.Node service), daemon_step.c (step
 * the core, apply its outbox), daemon_state.c (files in state_dir),
 * daemon_reports.c (crossing reports not yet stored), daemon_cloud.c (the
 * cloud worker thread). */
#ifndef XR_DAEMON_H
#define XR_DAEMON_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cloud.h"
#include "codec.h"
#include "config.h"
#include "net.h"
#include "node.h"
#include "poller.h"
#include "tls.h"
#include "trace.h"

#define XR_PENDING_MAX 256

/* A crossing report not yet accepted by the cloud (one per round at most). */
struct xr_pending {
	bool used;
	bool ready;    /* index known: may be sent */
	bool inflight; /* the cloud worker is sending it */
	struct xr_crossing_record rec;
	uint64_t next_try_ms;
	uint32_t delay_ms;
	uint32_t tries;
};

struct xr_daemon_opts {
	const char *config_path;
	uint32_t id;
	const char *trace_path; /* NULL: no trace */
	int cloud_kind;         /* 0: from the config file */
};

struct xr_daemon {
	bool net_stuck; /* the net's close timed out (xroad.c, shutdown) */
	struct xr_cluster cluster;
	uint32_t self;
	bool is_light;
	struct xr_node node;
	struct xr_node_config cfg;
	struct xr_net *net;
	struct xr_tls *tls; /* TLS material, NULL without TLS */
	struct xr_cloud cloud;
	bool cloud_open;
	struct xr_poller poller;
	bool poller_open;   /* owned by the worker thread after start */
	bool poller_wanted; /* this node coordinates (rep_mtx) */
	bool poller_on;     /* `poller =` lets this cluster's coordinator
				   * consume the queue (xr_cluster_poller_on) */
	struct xr_trace_writer *trace;
	FILE *log_file;
	int state_fd;   /* node-N.state, rewritten in place */
	bool restarted; /* started from a state file */
	struct xr_durable durable_at_start;
	char state_path[XR_PATH_MAX + 32];
	char log_path[XR_PATH_MAX + 32];
	char pending_dir[XR_PATH_MAX + 32];
	int64_t wall_offset_ms; /* wall clock - monotonic clock */
	volatile sig_atomic_t stop;
	bool shutdown_fx;        /* the core asked to stop */
	bool disk_failed;        /* a durable write failed: mute, then stop */
	uint64_t fingerprint;    /* xr_daemon_fingerprint() of our settings */
	struct xr_net_item *cur; /* the item being stepped (wave responses) */
	/* The survey whose echo the core holds (wave.c, xr_wave_hold): kept,
	 * not released, so that the echo goes back as its response when the
	 * car is out of the box. Answered as a survey of our own, the echo left
	 * the coordinator's survey waiting out its survey time, and 16 rounds
	 * of those held every surveyor context (rounds of 50-100 ms). Kept
	 * while held.slot is set: answering or releasing it clears that. */
	struct xr_net_item held;
	/* Stepping a wave message that came by Deliver, from this node: its
	 * answer goes back by Deliver too (daemon_step.c, wave_by_request). */
	bool deliver_wave;
	uint32_t deliver_from;
	/* Stepping a Deliver from node carry_to (carrying): the step's Deliver
	 * messages to it ride the reply instead (DeliverReply.carried,
	 * docs/NET.md "Carried"), n_carry Envelopes of carry_len bytes one
	 * after the other in carry_buf. */
	bool carrying;
	uint32_t carry_to;
	uint32_t n_carry;
	size_t carry_len[XR_NET_CARRY_MAX], carry_bytes;
	uint8_t carry_buf[XR_MSG_MAX_BYTES];
	/* The core is stepped by nng's callback threads (direct dispatch,
	 * net.h) and by the loop thread (timers): core_mtx serialises them. */
	pthread_mutex_t core_mtx;
	uint64_t loop_deadline; /* when the loop thread wakes next */
	/* The cloud worker thread (daemon_cloud.c) owns every SQLite/HTTP call
	 * after start, on its own cloud handle, so that the loop never waits
	 * for the cloud: it sends the reports and runs the light's poller. */
	pthread_mutex_t rep_mtx; /* pending[], worker_* */
	pthread_cond_t rep_cv;
	pthread_t worker;
	bool worker_running;
	bool worker_stop;
	struct xr_cloud worker_cloud;
	struct xr_pending pending[XR_PENDING_MAX];
	uint64_t reports_sent;
	uint64_t stored; /* light: records the poller stored */
	uint32_t crossings_logged;
};

/* daemon_check.c: what a node checks of `c` before it opens its cloud,
 * state_dir or sockets, for node `id` only when `one`, else for every node;
 * the start and --check-config both run it. XR_ECONFIG with one line in
 * `err` ("FILE:LINE: node N: address ...: why"), or 0. */
int xr_daemon_preflight(const struct xr_cluster *c, bool one, uint32_t id,
			char *err, size_t err_len);

/* daemon_state.c */
int xr_daemon_state_open(struct xr_daemon *d, struct xr_durable *durable,
			 bool *have_durable);
/* Appends one log line to the log file's buffer; xr_daemon_state_flush_log()
 * writes what a step appended (before the step's state and messages). */
int xr_daemon_state_append(struct xr_daemon *d, const struct xr_crossing *c);
int xr_daemon_state_flush_log(struct xr_daemon *d);
/* Round `round` as node-N.log holds it, in index order: the number of
 * entries, 0 when the log holds none of it (LogFetch, node.h). */
uint32_t xr_daemon_state_read_round(struct xr_daemon *d, uint32_t round,
				    struct xr_crossing out[XR_MAX_CARS]);
/* The index of this node's own crossing of `round` in node-N.log, or -1. */
long xr_daemon_state_log_index(struct xr_daemon *d, uint32_t round);
/* Writes `path` whole or not at all (temp file + rename). */
int xr_daemon_state_write_atomic(const char *path, const char *data,
				 size_t len);
int xr_daemon_state_persist(struct xr_daemon *d);
void xr_daemon_state_close(struct xr_daemon *d);
int xr_daemon_routes(struct xr_daemon *d, uint32_t weights[XR_TURNS], char *err,
		     size_t err_len);

/* daemon_reports.c: crossing reports not yet stored. */
/* Reads node-N.pending/ after a restart (after xr_daemon_state_open). */
void xr_daemon_reports_load(struct xr_daemon *d);
void xr_daemon_report_exit(struct xr_daemon *d, const struct xr_effect *fx);
void xr_daemon_report_logged(struct xr_daemon *d, const struct xr_crossing *c);
/* Sends due reports over `cloud`; `force` ignores backoff. Returns the
 * number left. Takes rep_mtx around the pending table only. */
unsigned xr_daemon_reports_flush(struct xr_daemon *d, struct xr_cloud *cloud,
				 uint64_t now, bool force);
/* Caller holds rep_mtx. */
uint64_t xr_daemon_reports_next(const struct xr_daemon *d);

/* daemon_cloud.c */
int xr_daemon_worker_start(struct xr_daemon *d, char *err, size_t err_len);
/* Tells the worker whether this node coordinates: the poller runs on the
 * coordinator only. */
void xr_daemon_worker_follow(struct xr_daemon *d, bool coordinating);
/* Stops and joins the worker; the caller then owns the poller again. */
void xr_daemon_worker_stop(struct xr_daemon *d);

/* daemon_fingerprint.c: the settings every node must share, hashed (never
 * 0); carried in every envelope and checked by the receiver. */
uint64_t xr_daemon_fingerprint(const struct xr_cluster *c,
			       const uint32_t weights[XR_TURNS]);

/* daemon_rpc.c */
void xr_daemon_rpc_init(struct xr_daemon *d);
void xr_daemon_handle(struct xr_daemon *d, struct xr_net_item *it);

/* daemon_step.c: steps the core with `ev` and applies the outbox (node.h
 * order). Caller holds core_mtx. */
int xr_daemon_step(struct xr_daemon *d, struct xr_event *ev);
/* Lets the survey kept for a held echo go unanswered (`held` above). */
void xr_daemon_release_held(struct xr_daemon *d);

/* daemon_loop.c */
int xr_daemon_run(struct xr_daemon *d);

#endif
