/* The message layer of one node on nng (docs/NET.md):
 *   - requests: a rep socket listens on the node's address; xroad.Node RPCs
 *     (Deliver, Status, Control) arrive as frames of src/net/rpc.h;
 *   - sending: one req socket per peer, opened at start, a pool of contexts
 *     per peer, nng_aio only (nobody blocks on the network);
 *   - waves: a surveyor listens on the node's wave address, a respondent socket
 *     dials every topology neighbour's wave address; a WaveMsg to neighbour Y
 *     travels either as the response to Y's open survey (when the step that
 *     consumed Y's survey produced it) or as our own survey addressed to Y;
 *   - arrivals: with a handler set (xr_net_set_handler, the daemon's direct
 *     dispatch) nng's callback threads hand each checked item to it at once;
 *     without one they queue it and xr_net_next() hands it to the loop
 *     thread, one item at a time, with a deadline.
 *
 * Malformed frames, oversized messages and senders that are not in the
 * cluster configuration are refused with a counter and one log line each.
 *
 * Threads: xr_net_next and xr_net_close run on the loop thread (xr_net_next
 * also replaces stuck dialers there); xr_net_reply, xr_net_release,
 * xr_net_deliver and xr_net_wave run wherever the caller steps its core, nng's
 * callback threads included (direct dispatch), so they never open or close an
 * nng socket, dialer or listener (nng issue #1428, docs/NET.md). */
#ifndef XR_NET_NET_H
#define XR_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct xr_net;

enum xr_net_kind {
	XR_NET_REQUEST = 1, /* an RPC; answer it with xr_net_reply() */
	XR_NET_WAVE,        /* an Envelope carrying a WaveMsg */
	XR_NET_CARRIED,     /* an Envelope that rode the reply to one of our
			     * Deliver requests (DeliverReply.carried) */
};

/* One received item. `body` points into memory the net layer owns until
 * xr_net_reply() or xr_net_release() is called for the item. */
struct xr_net_item {
	enum xr_net_kind kind;
	unsigned method;     /* REQUEST: xroad.Node method index */
	const uint8_t *body; /* REQUEST: method input; WAVE: Envelope */
	size_t len;
	int wave_peer;    /* WAVE: the neighbour this edge leads to */
	bool can_respond; /* WAVE: a survey we may answer (xr_net_wave) */
	int sender;       /* CARRIED: the node whose reply carried it */
	void *slot;       /* private */
};

struct xr_net_stats {
	uint64_t received; /* frames taken in */
	uint64_t sent;     /* Deliver requests and wave messages sent */
	uint64_t rejected_malformed;
	uint64_t rejected_toobig;
	uint64_t rejected_sender;
	uint64_t rejected_tls;        /* handshakes refused on our listeners
				     * (docs/NET.md, "TLS") */
	uint64_t tls_dial_failed;     /* handshakes that failed on our dials */
	uint64_t send_dropped;        /* send queue full or deadline passed */
	uint64_t surveys;             /* surveys sent (one may carry a wave
				     * message to several neighbours) */
	uint64_t responses;           /* waves sent as a survey's response */
	uint64_t listeners_recreated; /* ipc listeners found deaf and re-created
				       * (docs/NET.md, "Stray connections") */
	uint64_t carried;             /* Envelopes taken from Deliver replies
				     * (docs/NET.md, "Carried") */
};

/* Opens node `self` of cluster `c`: listens on its request and wave
 * endpoints, dials the neighbours' wave endpoints. `tls` is the node's
 * material (tls.h) when the cluster uses TLS, else NULL; it is borrowed and
 * must outlive the net. *out is malloc'ed and freed by xr_net_close().
 * XR_ENET with "listen tcp://...: address in use" and such in `err`. */
struct xr_tls;
int xr_net_open(struct xr_net **out, const struct xr_cluster *c, uint32_t self,
		const struct xr_tls *tls, char *err, size_t err_len);

/* Stops everything: pending sends get up to `grace_ms` to complete, then the
 * sockets close and every callback has returned when this returns. */
void xr_net_close(struct xr_net *n, int grace_ms);

/* xr_net_close() with a bound: the close runs on a thread of its own, and
 * if it has not returned after `limit_ms` this returns XR_ETIMEDOUT and
 * leaves it running (the net is then owned by that thread; the caller must
 * not touch `n` again and should end the process). 0 once closed.
 * Why: nng 1.5.x's nng_close() can wait for ever for a pipe or a task that
 * never finishes (nng issues #1543 and #1813, "Deadlock in nng_close";
 * seen here in 2 of about 8 stops after stray connections, issue 13).
 * XROAD_FAULT_CLOSE_STALL_MS (tests only) makes the close thread sleep that
 * long first, to prove the bound. */
int xr_net_close_within(struct xr_net *n, int grace_ms, int limit_ms);

/* Monotonic milliseconds, the same clock in every process of the host. */
uint64_t xr_net_now(void);

/* Waits for the next item until `deadline_ms` (xr_net_now() clock). 1 and
 * *it filled, or 0 when the deadline passed or xr_net_wake() was called. */
int xr_net_next(struct xr_net *n, uint64_t deadline_ms, struct xr_net_item *it);

/* Direct dispatch: when set, nng's callback threads hand every item to
 * `fn` at once instead of queuing it for xr_net_next() (one thread switch
 * less per message). `fn` must serialise its own work (the daemon holds its
 * core lock) and must answer or release the item before returning, or keep
 * a copy of it and answer or release that later, before xr_net_close() (a
 * survey whose echo the core holds: daemon.h, `held`; its respondent
 * context stays taken until then). */
typedef void (*xr_net_handler)(void *ctx, struct xr_net_item *it);
void xr_net_set_handler(struct xr_net *n, xr_net_handler fn, void *ctx);

/* Wakes xr_net_next() (any thread). */
void xr_net_wake(struct xr_net *n);

/* Answers a REQUEST: ok -> `body` is the method's output message; !ok -> `body`
 * is a one-line reason. Releases the item. */
void xr_net_reply(struct xr_net *n, struct xr_net_item *it, bool ok,
		  const uint8_t *body, size_t len);

/* The most Envelopes one DeliverReply may carry (docs/NET.md, "Carried"). */
#define XR_NET_CARRY_MAX 8

/* Releases an item without answering (WAVE: frees the survey for the next
 * one; REQUEST: replies with a generic error). */
void xr_net_release(struct xr_net *n, struct xr_net_item *it);

/* Sends one encoded Envelope to node `to` as a Deliver request. Returns 0 once
 * queued; XR_EFULL when the peer's queue is full (the core resends). */
int xr_net_deliver(struct xr_net *n, uint32_t to, const uint8_t *env,
		   size_t len);

/* Sends one encoded wave Envelope to neighbour `to`: as the response to
 * `reply_to` when that item is a survey from `to` not yet answered, else as a
 * survey of our own. XR_EINVAL when `to` is not a neighbour. */
int xr_net_wave(struct xr_net *n, struct xr_net_item *reply_to, uint32_t to,
		const uint8_t *env, size_t len);

/* Sends one encoded wave Envelope to every neighbour in `dests` (bit i =
 * node i) as a single survey: the Envelope is the same for all of them (its
 * `to` is rewritten by each receiver from the frame). */
int xr_net_wave_multi(struct xr_net *n, uint32_t dests, const uint8_t *env,
		      size_t len);

/* Counts and logs a refused input the loop found (decode failure, unknown
 * sender, implausible epoch): `what` is "malformed", "toobig", "sender" or
 * "epoch" (counted with the malformed ones, named in the log line). */
void xr_net_reject(struct xr_net *n, const char *what, const char *where,
		   const char *why);

void xr_net_get_stats(struct xr_net *n, struct xr_net_stats *st);

/* Number of sends not completed yet (queued or awaiting a reply). */
unsigned xr_net_pending(struct xr_net *n);

#endif
