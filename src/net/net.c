/* nng sockets, contexts and callbacks of one node (see net.h, docs/NET.md).
 *
 * Every socket is driven by nng_aio callbacks; a callback never blocks and
 * never calls into the core: it checks the frame, queues it in the inbox and
 * signals the loop. State per context is a tiny state machine:
 *   rep:        RECV -> (inbox) -> SEND -> RECV
 *   req:        IDLE -> SEND -> RECV -> IDLE (next queued message)
 *   surveyor:   IDLE -> SEND -> RECV -> (inbox) -> IDLE
 *   respondent: RECV -> (inbox) -> SEND | RECV                                */
#define _GNU_SOURCE /* memmem */
#include "net.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/protocol/survey0/respond.h>
#include <nng/protocol/survey0/survey.h>
#include <nng/supplemental/util/platform.h>

#include "err.h"
#include "log.h"
#include "rpc.h"
#include "tls.h"
#include "xroad.pb-c.h"

#define N_REP 8
#define N_REQ 16       /* in-flight requests per peer */
#define N_SURV 16      /* open surveys */
#define N_RESP 8       /* surveys being answered */
#define QUEUE_CAP 1024 /* waiting sends per peer / surveys */
#define SEND_DEADLINE_MS 2000
#define REDIAL_AFTER 2      /* send timeouts in a row before a new dialer */
#define TLS_POLL_MS 500     /* how often nng's handshake counters are read */
#define GUARD_EVERY_MS 1000 /* ipc listener guard: a new probe connection */
#define GUARD_WAIT_MS                                                          \
	2000 /* ... which must be accepted within this (2 s:
			     * a loaded 2-core machine can take 1 s) */

enum slot_kind {
	SLOT_REP,
	SLOT_REQ,
	SLOT_SURV,
	SLOT_RESP,
	SLOT_ANSWER, /* a survey's response, an item of its own (heap) */
	SLOT_CARRIED /* an Envelope from a Deliver reply (heap) */
};
enum slot_state { ST_IDLE, ST_RECV, ST_SEND, ST_HELD, ST_DEAD };

struct peer;

struct slot {
	enum slot_kind kind;
	enum slot_state state;
	struct xr_net *net;
	struct peer *peer; /* REQ */
	nng_ctx ctx;
	nng_aio *aio;
	nng_msg *msg;      /* held: the received message */
	uint32_t dest;     /* SURV: nodes the survey is addressed to (bit set);
			    * ANSWER: the node that answered;
			    * CARRIED: the node whose reply carried it */
	uint32_t waiting;  /* SURV: addressees that have not answered yet */
	int from;          /* RESP: neighbour of the pipe */
	bool answered;     /* RESP */
	struct slot *next; /* inbox link */
};

struct queued {
	nng_msg *msg;
	uint32_t dest;
};

struct ring {
	struct queued q[QUEUE_CAP];
	unsigned head, count;
};

struct peer {
	struct xr_net *net;
	uint32_t id;
	bool open; /* set under n->mtx (the TLS poll reads it) */
	nng_socket sock;
	nng_dialer dialer;
	struct slot slots[N_REQ];
	struct ring queue;
	/* Sends that no pipe took within SEND_DEADLINE_MS, in a row. nng's
	 * ipc dialer can stay stuck in one connect to a peer that was killed
	 * and restarted (nng issue #652: no dial timeout on UNIX sockets);
	 * then every send times out, for ever. After REDIAL_AFTER of them the
	 * loop thread replaces the dialer (redial_if_stuck). Under n->mtx. */
	uint32_t send_timeouts;
};

/* The guard of one ipc listener (see "listener guard" below). */
struct guard {
	bool on;          /* an ipc:// listener */
	int kind;         /* 0 requests, 1 waves */
	const char *what; /* "requests" or "waves" */
	const char *url;
	nng_socket sock;   /* the listening socket */
	nng_listener *l;   /* where the net keeps its listener (under mtx) */
	uint64_t accepted; /* pipes the listener accepted (under mtx) */
	/* guard thread only: */
	nng_socket probe; /* req0 or respondent0, open while probing */
	bool probe_open;
	uint64_t seen; /* `accepted` when the probe was dialed */
	uint64_t dialed_at, done_at;
};

struct xr_net {
	const struct xr_cluster *c;
	uint32_t self;
	uint32_t max_msg;
	bool closing;
	nng_mtx *mtx; /* inbox, queues, stats */
	nng_cv *cv;
	struct slot *in_head, *in_tail;
	bool woken;
	nng_socket rep, surv, resp;
	bool rep_open, surv_open, resp_open;
	struct slot rep_slots[N_REP];
	struct slot surv_slots[N_SURV];
	struct slot resp_slots[N_RESP];
	struct ring surv_queue;
	nng_dialer resp_d[XR_MAX_NODES]; /* per neighbour; id 0: not dialed */
	const struct xr_tls *tls;        /* NULL: tcp:// or ipc:// */
	nng_listener rep_l, surv_l;
	nng_aio *tls_aio; /* TLS_POLL_MS timer */
	/* nng's handshake failure counts already turned into ours, per
	 * listener (0 requests, 1 waves) and per peer dialed */
	uint64_t tls_seen_in[2];
	uint64_t tls_seen_out[XR_MAX_NODES];
	struct peer peers[XR_MAX_NODES];
	struct guard guards[2]; /* 0 requests, 1 waves */
	nng_thread *guard_thr;
	nng_cv *guard_cv; /* wakes the guard to stop */
	bool guard_stop;
	struct xr_net_stats st;
	xr_net_handler handler;
	void *handler_ctx;
};

static void item_fill(struct slot *s, struct xr_net_item *it);

uint64_t xr_net_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool ring_push(struct ring *r, nng_msg *m, uint32_t dest)
{
	if (r->count == QUEUE_CAP)
		return false;
	r->q[(r->head + r->count) % QUEUE_CAP] = (struct queued){m, dest};
	r->count++;
	return true;
}

static bool ring_pop(struct ring *r, struct queued *out)
{
	if (r->count == 0)
		return false;
	*out = r->q[r->head];
	r->head = (r->head + 1) % QUEUE_CAP;
	r->count--;
	return true;
}

static void ring_clear(struct ring *r)
{
	struct queued q;

	while (ring_pop(r, &q))
		nng_msg_free(q.msg);
}

/* Caller holds n->mtx. */
static void inbox_push(struct xr_net *n, struct slot *s)
{
	if (n->handler != NULL && !n->closing) {
		/* Direct dispatch, outside our lock (the handler sends). */
		struct xr_net_item it;
		n->st.received++;
		nng_mtx_unlock(n->mtx);
		item_fill(s, &it);
		n->handler(n->handler_ctx, &it);
		nng_mtx_lock(n->mtx);
		return;
	}
	s->next = NULL;
	if (n->in_tail != NULL)
		n->in_tail->next = s;
	else
		n->in_head = s;
	n->in_tail = s;
	n->st.received++;
	nng_cv_wake1(n->cv);
}

static void log_reject(struct xr_net *n, const char *what, const char *where,
		       const char *why)
{
	char q[256], w[160];

	/* `where` is an address, or words ("reply of node 4"): quoted then. */
	xr_log(XR_LOG_WARN, "rejected", "what=%s where=%s why=%s total=%llu",
	       what,
	       strchr(where, ' ') != NULL ? xr_log_quote(where, w, sizeof w)
					  : where,
	       xr_log_quote(why, q, sizeof q),
	       (unsigned long long)(n->st.rejected_malformed +
				    n->st.rejected_toobig +
				    n->st.rejected_sender +
				    n->st.rejected_tls));
}

void xr_net_reject(struct xr_net *n, const char *what, const char *where,
		   const char *why)
{
	nng_mtx_lock(n->mtx);
	if (strcmp(what, "toobig") == 0)
		n->st.rejected_toobig++;
	else if (strcmp(what, "sender") == 0)
		n->st.rejected_sender++;
	else
		n->st.rejected_malformed++;
	nng_mtx_unlock(n->mtx);
	log_reject(n, what, where, why);
}

/* ------------------------------------------------------------------ tls */

/* A handshake that fails never becomes an nng pipe: no pipe event, no
 * callback, no address. nng counts it, though, as an "auth" error of the
 * listener or dialer (its statistics, on in Debian's build), whether our
 * side refused the peer's certificate (none, or not signed by the CA) or the
 * peer refused ours, or the peer did not speak TLS at all. This turns the
 * growth of those counters into ours and into log lines: one line per
 * endpoint and poll, with the number of new failures. */
static uint64_t auth_errors(nng_stat *endpoint)
{
	nng_stat *a = endpoint != NULL ? nng_stat_find(endpoint, "auth") : NULL;

	return a != NULL ? nng_stat_value(a) : 0;
}

/* The statistics of listener or dialer `id` ("listener" or "dialer" scope
 * whose "id" is `id`). Not nng_stat_find_listener(): nng 1.5.2's returns the
 * first listener whatever the id. */
static nng_stat *find_endpoint(nng_stat *all, const char *kind, int id)
{
	for (nng_stat *c = nng_stat_child(all); c != NULL;
	     c = nng_stat_next(c)) {
		nng_stat *i;
		if (strcmp(nng_stat_name(c), kind) != 0)
			continue;
		i = nng_stat_find(c, "id");
		if (i != NULL && nng_stat_value(i) == (uint64_t)id)
			return c;
	}
	return NULL;
}

static void tls_poll(struct xr_net *n)
{
	nng_stat *all;
	nng_dialer req_d[XR_MAX_NODES], resp_d[XR_MAX_NODES];
	bool req_open[XR_MAX_NODES];
	uint64_t in[2], out[XR_MAX_NODES], new_in[2] = {0, 0},
					   new_out[XR_MAX_NODES];
	uint64_t total = 0;
	uint32_t j, nn = n->c->n_nodes;

	nng_mtx_lock(n->mtx);
	for (j = 0; j < nn; j++) {
		req_open[j] = n->peers[j].open;
		req_d[j] = n->peers[j].dialer;
		resp_d[j] = n->resp_d[j];
	}
	nng_mtx_unlock(n->mtx);
	if (nng_stats_get(&all) != 0)
		return;
	in[0] = auth_errors(
		find_endpoint(all, "listener", nng_listener_id(n->rep_l)));
	in[1] = auth_errors(
		find_endpoint(all, "listener", nng_listener_id(n->surv_l)));
	for (j = 0; j < nn; j++) {
		out[j] = 0;
		if (req_open[j])
			out[j] += auth_errors(find_endpoint(
				all, "dialer", nng_dialer_id(req_d[j])));
		if (nng_dialer_id(resp_d[j]) > 0)
			out[j] += auth_errors(find_endpoint(
				all, "dialer", nng_dialer_id(resp_d[j])));
	}
	nng_stats_free(all);

	/* Under the lock, so that two polls (the timer and a Status) count
	 * each failure once. */
	nng_mtx_lock(n->mtx);
	for (int k = 0; k < 2; k++)
		if (in[k] > n->tls_seen_in[k]) {
			new_in[k] = in[k] - n->tls_seen_in[k];
			n->tls_seen_in[k] = in[k];
			n->st.rejected_tls += new_in[k];
		}
	for (j = 0; j < nn; j++) {
		new_out[j] = 0;
		if (out[j] > n->tls_seen_out[j]) {
			new_out[j] = out[j] - n->tls_seen_out[j];
			n->tls_seen_out[j] = out[j];
			n->st.tls_dial_failed += new_out[j];
		}
	}
	total = n->st.rejected_malformed + n->st.rejected_toobig +
		n->st.rejected_sender + n->st.rejected_tls;
	nng_mtx_unlock(n->mtx);

	for (int k = 0; k < 2; k++)
		if (new_in[k] > 0)
			xr_log(XR_LOG_WARN, "rejected",
			       "what=tls where=%s count=%llu why=\"TLS handshake failed: "
			       "no client certificate, one the cluster CA did not sign, or not TLS\" "
			       "total=%llu",
			       k == 0 ? n->c->nodes[n->self].address
				      : n->c->nodes[n->self].wave_address,
			       (unsigned long long)new_in[k],
			       (unsigned long long)total);
	for (j = 0; j < nn; j++)
		if (new_out[j] > 0) {
			char name[XR_TLS_NAME_MAX];
			xr_tls_node_name(j, name, sizeof name);
			xr_log(XR_LOG_WARN, "tls_dial_failed",
			       "to=%u url=%s count=%llu why=\"TLS handshake failed: the node refused "
			       "our certificate, or its own is not signed by the CA or is not %s\"",
			       (unsigned)j, n->c->nodes[j].address,
			       (unsigned long long)new_out[j], name);
		}
}

static void tls_timer_cb(void *arg)
{
	struct xr_net *n = arg;

	if (nng_aio_result(n->tls_aio) != 0)
		return; /* stopped: the net is closing */
	tls_poll(n);
	nng_mtx_lock(n->mtx);
	if (!n->closing)
		nng_sleep_aio(TLS_POLL_MS, n->tls_aio);
	nng_mtx_unlock(n->mtx);
}

/* Listens on `url`: TLS when the cluster uses it. */
static int listen_on(struct xr_net *n, nng_socket s, const char *url,
		     nng_listener *l)
{
	if (n->tls != NULL)
		return xr_tls_listen(s, url, n->tls, l);
	return nng_listen(s, url, l, 0);
}

/* ------------------------------------------------------------- listener guard
 *
 * nng 1.5.2's ipc transport (Debian 12's) has a bug, nng issue #1518, fixed
 * upstream by PR #1519 after 1.5.2: when a peer disconnects during the SP
 * handshake, the transport reports NNG_ECLOSED to the listener's accept,
 * and nng's listener takes that for "the listener was closed" and never
 * accepts again. The handshake still completes at the transport (a raw
 * probe gets nng's 8-byte header back), but no new pipe ever reaches the
 * socket: the node answers nobody new, for good, and nng's poll thread
 * spins. A plain unix-socket connect-and-close does it, and so does
 * starting a second node with the same id (nng's listen, on "Address in
 * use", connects to the path to see whether it is stale, and closes).
 * tcp:// had the right mapping already in 1.5.2 and is not affected.
 *
 * We cannot fix nng here, so each ipc listener is watched: every
 * GUARD_EVERY_MS a fresh probe socket of the peer protocol (req for the
 * request endpoint, respondent for the wave endpoint) dials it, and the
 * listening socket's pipe notification counts what the listener accepts.
 * Nothing accepted within GUARD_WAIT_MS: the listener is deaf; it is
 * closed (its pipes with it: peers redial) and a new one listens on the
 * same path. The probe socket is closed (nng_close, what every xroadctl
 * does) only once the listener accepted something or was re-created, so
 * the probe never hangs up during a handshake itself. (Reusing one probe
 * socket and closing its dialer, or its pipe, made nng 1.5.2 panic within
 * seconds: "pthread_mutex_lock: Invalid argument" in its own threads.)
 * One thread, so that nng_listener_close() never runs on nng's own. */
static void guard_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct xr_net *n = arg;
	int id = nng_listener_id(nng_pipe_listener(p));

	(void)ev;
	if (id <= 0)
		return;
	nng_mtx_lock(n->mtx);
	for (int k = 0; k < 2; k++)
		if (n->guards[k].on && nng_listener_id(*n->guards[k].l) == id)
			n->guards[k].accepted++;
	nng_mtx_unlock(n->mtx);
}

static void guard_recreate(struct xr_net *n, struct guard *g, const char *why)
{
	nng_listener old, nl;
	int rv;

	nng_mtx_lock(n->mtx);
	old = *g->l;
	nng_mtx_unlock(n->mtx);
	nng_listener_close(old);
	rv = listen_on(n, g->sock, g->url, &nl);
	nng_mtx_lock(n->mtx);
	if (rv == 0) {
		*g->l = nl;
		n->st.listeners_recreated++;
	}
	nng_mtx_unlock(n->mtx);
	xr_log(rv == 0 ? XR_LOG_WARN : XR_LOG_ERROR, "listener_deaf",
	       "what=%s url=%s why=\"%s: nng 1.5.2's ipc listener stops for good "
	       "after a peer hangs up during the handshake (nng issue #1518)\" "
	       "result=\"%s\"",
	       g->what, g->url, why,
	       rv == 0 ? "listener re-created" : nng_strerror(rv));
}

static void guard_step(struct xr_net *n, struct guard *g, uint64_t now)
{
	uint64_t accepted;

	nng_mtx_lock(n->mtx);
	accepted = g->accepted;
	nng_mtx_unlock(n->mtx);
	if (g->probe_open) {
		if (accepted > g->seen || now - g->dialed_at >= GUARD_WAIT_MS) {
			if (accepted <= g->seen) {
				char why[64];
				snprintf(why, sizeof why,
					 "no connection accepted in %d ms",
					 GUARD_WAIT_MS);
				guard_recreate(n, g, why);
			}
			nng_close(g->probe);
			g->probe_open = false;
			g->done_at = now;
		}
		return;
	}
	if (now - g->done_at < GUARD_EVERY_MS)
		return;
	if ((g->kind == 0 ? nng_req0_open(&g->probe)
			  : nng_respondent0_open(&g->probe)) != 0)
		return; /* tried again at the next tick */
	g->probe_open = true;
	g->seen = accepted;
	g->dialed_at = now;
	/* Non-blocking: a deaf listener's transport still connects. A dial
	 * that fails at once (no such path) leaves nothing accepted, and the
	 * listener is re-created after GUARD_WAIT_MS like a deaf one. */
	nng_dial(g->probe, g->url, NULL, NNG_FLAG_NONBLOCK);
}

static void guard_thread(void *arg)
{
	struct xr_net *n = arg;

	for (;;) {
		uint64_t now;
		nng_mtx_lock(n->mtx);
		if (n->guard_stop) {
			nng_mtx_unlock(n->mtx);
			break;
		}
		nng_cv_until(n->guard_cv, nng_clock() + 100);
		bool stop = n->guard_stop;
		nng_mtx_unlock(n->mtx);
		if (stop)
			break;
		now = xr_net_now();
		for (int k = 0; k < 2; k++)
			if (n->guards[k].on)
				guard_step(n, &n->guards[k], now);
	}
}

/* Guards listener k (0 requests, 1 waves) when it is an ipc one. */
static int guard_open(struct xr_net *n, int k, nng_socket sock, nng_listener *l,
		      const char *url)
{
	struct guard *g = &n->guards[k];
	int rv;

	if (strncmp(url, "ipc://", 6) != 0)
		return 0;
	if (getenv("XROAD_IPC_GUARD") != NULL &&
	    strcmp(getenv("XROAD_IPC_GUARD"), "0") == 0)
		return 0;
	g->kind = k;
	g->what = k == 0 ? "requests" : "waves";
	g->url = url;
	g->sock = sock;
	g->l = l;
	g->done_at = xr_net_now();
	if ((rv = nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, guard_pipe_cb,
				  n)) != 0)
		return rv;
	nng_mtx_lock(n->mtx);
	g->on = true;
	nng_mtx_unlock(n->mtx);
	return 0;
}

/* Dials node `to` at `url` without waiting (nng redials on its own); with
 * TLS the node must show the certificate with its own name. */
static int dial_to(struct xr_net *n, nng_socket s, uint32_t to, const char *url,
		   nng_dialer *d)
{
	char name[XR_TLS_NAME_MAX];

	if (n->tls == NULL)
		return nng_dial(s, url, d, NNG_FLAG_NONBLOCK);
	xr_tls_node_name(to, name, sizeof name);
	return xr_tls_dial(s, url, n->tls, name, NNG_FLAG_NONBLOCK, d);
}

static void pipe_where(nng_msg *m, char *buf, size_t len)
{
	nng_pipe p = nng_msg_get_pipe(m);
	nng_sockaddr sa;
	char a[64];

	snprintf(buf, len, "pipe:%d", nng_pipe_id(p));
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
		return;
	if (sa.s_family == NNG_AF_INET) {
		const uint8_t *ip = (const uint8_t *)&sa.s_in.sa_addr;
		snprintf(a, sizeof a, "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2],
			 ip[3],
			 (unsigned)((sa.s_in.sa_port >> 8) |
				    ((sa.s_in.sa_port & 0xff) << 8)));
		snprintf(buf, len, "tcp://%s", a);
	} else if (sa.s_family == NNG_AF_IPC) {
		/* For log lines: a long socket path may be cut short. */
		int room = len > 7 ? (int)(len - 7) : 0;
		snprintf(buf, len, "ipc://%.*s", room, sa.s_ipc.sa_path);
	}
}

/* ------------------------------------------------------------------ rep */

static void rep_recv(struct slot *s)
{
	s->state = ST_RECV;
	nng_aio_set_timeout(s->aio, NNG_DURATION_INFINITE);
	nng_ctx_recv(s->ctx, s->aio);
}

/* Answers a request the callback refused itself (frame or size). */
static void rep_refuse(struct slot *s, nng_msg *m, unsigned method,
		       const char *what, const char *why)
{
	struct xr_net *n = s->net;
	char where[128];
	uint8_t hdr[XR_FRAME_HDR] = {'X', 'R', XR_FRAME_ERROR, (uint8_t)method};

	pipe_where(m, where, sizeof where);
	xr_net_reject(n, what, where, why);
	nng_msg_clear(m);
	if (nng_msg_append(m, hdr, sizeof hdr) != 0 ||
	    nng_msg_append(m, why, strlen(why)) != 0) {
		nng_msg_free(m);
		rep_recv(s);
		return;
	}
	s->state = ST_SEND;
	nng_aio_set_msg(s->aio, m);
	nng_ctx_send(s->ctx, s->aio);
}

static void rep_cb(void *arg)
{
	struct slot *s = arg;
	struct xr_net *n = s->net;
	int rv = nng_aio_result(s->aio);
	nng_msg *m;
	const uint8_t *b;
	size_t len;
	char why[96];

	if (s->state == ST_SEND) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(s->aio));
			if (rv == NNG_ECLOSED) {
				s->state = ST_DEAD;
				return;
			}
		}
		rep_recv(s);
		return;
	}
	if (rv != 0) {
		if (rv == NNG_ECLOSED) {
			s->state = ST_DEAD;
			return;
		}
		rep_recv(s);
		return;
	}
	m = nng_aio_get_msg(s->aio);
	b = nng_msg_body(m);
	len = nng_msg_len(m);
	if (len > (size_t)n->max_msg + XR_FRAME_HDR) {
		snprintf(why, sizeof why, "request of %zu bytes, maximum %u",
			 len, (unsigned)n->max_msg);
		rep_refuse(s, m, len >= XR_FRAME_HDR ? b[3] : 0, "toobig", why);
		return;
	}
	if (len < XR_FRAME_HDR || b[0] != 'X' || b[1] != 'R' ||
	    b[2] != XR_FRAME_VERSION) {
		rep_refuse(
			s, m, 0xff, "malformed",
			"not an xroad request frame (expected 'X' 'R' 1 METHOD)");
		return;
	}
	if (b[3] >= xroad__node__descriptor.n_methods) {
		snprintf(why, sizeof why,
			 "method %u not in xroad.Node (%u methods)", b[3],
			 xroad__node__descriptor.n_methods);
		rep_refuse(s, m, b[3], "malformed", why);
		return;
	}
	s->msg = m;
	s->state = ST_HELD;
	nng_mtx_lock(n->mtx);
	inbox_push(n, s);
	nng_mtx_unlock(n->mtx);
}

/* ------------------------------------------------------------------ req */

/* Starts a send on a slot the caller claimed (state ST_SEND) under n->mtx.
 * Never called with n->mtx held: nng may take its own locks, and its
 * callbacks take n->mtx. */
static void req_start(struct slot *s, nng_msg *m)
{
	nng_aio_set_msg(s->aio, m);
	nng_aio_set_timeout(s->aio, SEND_DEADLINE_MS);
	nng_ctx_send(s->ctx, s->aio);
}

/* A DeliverReply from `from` with more in it than `accepted`.
 * - Refused because the peer runs another configuration: the operator's to
 *   fix, so said on this side too (rate-limited, log.c), with its reason.
 * - Envelopes it carries (proto/xroad.proto, DeliverReply.carried; docs/NET.md,
 *   "Carried"): each becomes an item of its own, admitted by the daemon as a
 *   Deliver from `from` would be. A reply that carries more than
 *   XR_NET_CARRY_MAX is refused whole, an Envelope larger than max_msg alone:
 *   no honest node sends either. */
static void deliver_reply(struct xr_net *n, uint32_t from, const uint8_t *b,
			  size_t len)
{
	Xroad__DeliverReply *dr = xroad__deliver_reply__unpack(NULL, len, b);
	char where[32], why[96];

	if (dr == NULL)
		return;
	if (!dr->accepted && dr->error != NULL &&
	    strstr(dr->error, "refused (config)") != NULL)
		xr_log(XR_LOG_ERROR, "config_mismatch", "to=%u why=\"%s\"",
		       (unsigned)from, dr->error);
	if (dr->n_carried == 0) {
		xroad__deliver_reply__free_unpacked(dr, NULL);
		return;
	}
	snprintf(where, sizeof where, "reply of node %u", (unsigned)from);
	if (dr->n_carried > XR_NET_CARRY_MAX) {
		snprintf(why, sizeof why,
			 "%zu Envelopes carried by one reply, at most %d",
			 dr->n_carried, XR_NET_CARRY_MAX);
		xr_net_reject(n, "malformed", where, why);
		xroad__deliver_reply__free_unpacked(dr, NULL);
		return;
	}
	for (size_t i = 0; i < dr->n_carried; i++) {
		const ProtobufCBinaryData *e = &dr->carried[i];
		struct slot *c;
		nng_msg *m;

		if (e->len > n->max_msg) {
			snprintf(why, sizeof why,
				 "carried Envelope of %zu bytes, maximum %u",
				 e->len, (unsigned)n->max_msg);
			xr_net_reject(n, "toobig", where, why);
			continue;
		}
		if (nng_msg_alloc(&m, 0) != 0)
			break;
		if (nng_msg_append(m, e->data, e->len) != 0 ||
		    (c = calloc(1, sizeof *c)) == NULL) {
			nng_msg_free(m);
			break;
		}
		c->kind = SLOT_CARRIED;
		c->net = n;
		c->msg = m;
		c->state = ST_HELD;
		c->dest = from;
		nng_mtx_lock(n->mtx);
		n->st.carried++;
		inbox_push(n, c);
		nng_mtx_unlock(n->mtx);
	}
	xroad__deliver_reply__free_unpacked(dr, NULL);
}

static void req_cb(void *arg)
{
	struct slot *s = arg;
	struct peer *p = s->peer;
	struct xr_net *n = s->net;
	int rv = nng_aio_result(s->aio);
	struct queued q;

	if (s->state == ST_SEND) {
		if (rv == 0) {
			s->state = ST_RECV;
			nng_aio_set_timeout(s->aio, SEND_DEADLINE_MS);
			nng_ctx_recv(s->ctx, s->aio);
			return;
		}
		nng_msg_free(nng_aio_get_msg(s->aio));
	} else if (rv == 0) {
		nng_msg *r = nng_aio_get_msg(s->aio);
		const uint8_t *b = nng_msg_body(r);
		size_t len = nng_msg_len(r);
		if (len >= XR_FRAME_HDR && b[2] == XR_FRAME_ERROR &&
		    xr_log_enabled(XR_LOG_DEBUG)) {
			char why[160];
			size_t k = len - XR_FRAME_HDR < sizeof why - 1
					   ? len - XR_FRAME_HDR
					   : sizeof why - 1;
			memcpy(why, b + XR_FRAME_HDR, k);
			why[k] = '\0';
			xr_log(XR_LOG_DEBUG, "deliver_refused",
			       "to=%u why=\"%s\"", (unsigned)p->id, why);
		} else if (len > XR_FRAME_HDR + 2 && b[2] == XR_FRAME_VERSION) {
			/* Longer than a bare `accepted`: a refusal to
			 * read, or Envelopes riding the reply. */
			deliver_reply(n, p->id, b + XR_FRAME_HDR,
				      len - XR_FRAME_HDR);
		}
		nng_msg_free(r);
	}
	nng_mtx_lock(n->mtx);
	if (s->state == ST_SEND) {
		if (rv == NNG_ETIMEDOUT)
			p->send_timeouts++;
	} else {
		p->send_timeouts = 0; /* a pipe took the request */
	}
	if (rv != 0 && rv != NNG_ECLOSED && rv != NNG_ECANCELED) {
		n->st.send_dropped++;
		xr_log(XR_LOG_DEBUG, "send_failed", "to=%u why=\"%s\"",
		       (unsigned)p->id, nng_strerror(rv));
	}
	if (rv == NNG_ECLOSED || n->closing) {
		s->state = ST_DEAD;
		nng_mtx_unlock(n->mtx);
		return;
	}
	s->state = ST_IDLE;
	if (!ring_pop(&p->queue, &q)) {
		nng_mtx_unlock(n->mtx);
		return;
	}
	s->state = ST_SEND;
	nng_mtx_unlock(n->mtx);
	req_start(s, q.msg);
}

static int peer_open(struct xr_net *n, struct peer *p)
{
	const char *url = n->c->nodes[p->id].address;
	nng_dialer d;
	int rv, i;

	if ((rv = nng_req0_open(&p->sock)) != 0)
		return rv;
	nng_socket_set_ms(p->sock, NNG_OPT_REQ_RESENDTIME, 1000);
	nng_socket_set_ms(p->sock, NNG_OPT_RECONNMINT, 10);
	nng_socket_set_ms(p->sock, NNG_OPT_RECONNMAXT, 200);
	nng_socket_set_size(p->sock, NNG_OPT_RECVMAXSZ, (size_t)n->max_msg * 4);
	for (i = 0; i < N_REQ; i++) {
		struct slot *s = &p->slots[i];
		s->kind = SLOT_REQ;
		s->net = n;
		s->peer = p;
		s->state = ST_IDLE;
		if ((rv = nng_aio_alloc(&s->aio, req_cb, s)) != 0 ||
		    (rv = nng_ctx_open(&s->ctx, p->sock)) != 0)
			return rv;
	}
	if ((rv = dial_to(n, p->sock, p->id, url, &d)) != 0)
		return rv;
	nng_mtx_lock(n->mtx);
	p->dialer = d;
	p->open = true;
	nng_mtx_unlock(n->mtx);
	return 0;
}

/* Replaces the dialer of a peer whose sends all time out (see struct
 * peer). Only from the loop thread (xr_net_next): never from a callback. */
static void redial_if_stuck(struct xr_net *n, struct peer *p)
{
	nng_dialer d;
	int rv;

	nng_mtx_lock(n->mtx);
	bool stuck = p->send_timeouts >= REDIAL_AFTER;
	if (stuck)
		p->send_timeouts = 0;
	nng_mtx_unlock(n->mtx);
	if (!stuck)
		return;
	nng_dialer_close(p->dialer);
	rv = dial_to(n, p->sock, p->id, n->c->nodes[p->id].address, &d);
	xr_log(rv == 0 ? XR_LOG_WARN : XR_LOG_ERROR, "redial",
	       "to=%u url=%s why=\"%d sends in a row found no connection\" "
	       "result=\"%s\"",
	       (unsigned)p->id, n->c->nodes[p->id].address, REDIAL_AFTER,
	       rv == 0 ? "new dialer" : nng_strerror(rv));
	nng_mtx_lock(n->mtx);
	if (rv == 0)
		p->dialer = d;
	nng_mtx_unlock(n->mtx);
}

int xr_net_deliver(struct xr_net *n, uint32_t to, const uint8_t *env,
		   size_t len)
{
	struct peer *p;
	nng_msg *m;
	uint8_t hdr[XR_FRAME_HDR] = {'X', 'R', XR_FRAME_VERSION,
				     XR_METHOD_DELIVER};
	int i;

	if (to >= n->c->n_nodes || to == n->self)
		return XR_EINVAL;
	p = &n->peers[to];
	/* Peers are opened at start and redialled by the loop thread
	 * (xr_net_next): this runs on nng's callback threads too (direct
	 * dispatch), where opening or closing a socket or a dialer may
	 * deadlock nng (nng issue #1428; a light hung for good on
	 * nng_dialer_close here, integration_netns_cut_after_crossing). */
	if (!p->open)
		return XR_ENET;
	if (nng_msg_alloc(&m, 0) != 0)
		return XR_ENOMEM;
	if (nng_msg_append(m, hdr, sizeof hdr) != 0 ||
	    nng_msg_append(m, env, len) != 0) {
		nng_msg_free(m);
		return XR_ENOMEM;
	}
	nng_mtx_lock(n->mtx);
	n->st.sent++;
	for (i = 0; i < N_REQ; i++)
		if (p->slots[i].state == ST_IDLE) {
			p->slots[i].state = ST_SEND;
			nng_mtx_unlock(n->mtx);
			req_start(&p->slots[i], m);
			return 0;
		}
	if (!ring_push(&p->queue, m, to)) {
		n->st.send_dropped++;
		nng_mtx_unlock(n->mtx);
		nng_msg_free(m);
		return XR_EFULL;
	}
	nng_mtx_unlock(n->mtx);
	return 0;
}

/* ------------------------------------------------------------------ waves */

/* `dest`: a set of node ids (bit i = node i); in a response, the one bit
 * of the node that answers. */
static nng_msg *wave_frame(uint32_t dest, const uint8_t *env, size_t len)
{
	nng_msg *m;
	uint8_t hdr[XR_WAVE_HDR] = {'X',
				    'W',
				    XR_FRAME_VERSION,
				    0,
				    (uint8_t)(dest >> 24),
				    (uint8_t)(dest >> 16),
				    (uint8_t)(dest >> 8),
				    (uint8_t)dest};

	if (nng_msg_alloc(&m, 0) != 0)
		return NULL;
	if (nng_msg_append(m, hdr, sizeof hdr) != 0 ||
	    nng_msg_append(m, env, len) != 0) {
		nng_msg_free(m);
		return NULL;
	}
	return m;
}

/* Checks a wave frame; 0 and its node set, or -1 with `why`. */
static int wave_check(struct xr_net *n, nng_msg *m, uint32_t *dest,
		      const char **what, char *why, size_t why_len)
{
	const uint8_t *b = nng_msg_body(m);
	size_t len = nng_msg_len(m);

	if (len > (size_t)n->max_msg + XR_WAVE_HDR) {
		*what = "toobig";
		snprintf(why, why_len, "wave message of %zu bytes, maximum %u",
			 len, (unsigned)n->max_msg);
		return -1;
	}
	if (len < XR_WAVE_HDR || b[0] != 'X' || b[1] != 'W' ||
	    b[2] != XR_FRAME_VERSION) {
		*what = "malformed";
		snprintf(why, why_len, "not an xroad wave frame");
		return -1;
	}
	*dest = ((uint32_t)b[4] << 24) | ((uint32_t)b[5] << 16) |
		((uint32_t)b[6] << 8) | b[7];
	return 0;
}

/* Like req_start: the slot was claimed (ST_SEND, dest set) under n->mtx,
 * which is not held here. */
static void surv_start(struct slot *s, nng_msg *m)
{
	nng_aio_set_msg(s->aio, m);
	nng_aio_set_timeout(s->aio, NNG_DURATION_DEFAULT);
	nng_ctx_send(s->ctx, s->aio);
}

/* s just became free: takes the next queued survey, if any. Takes n->mtx. */
static void surv_next(struct xr_net *n, struct slot *s)
{
	struct queued q;

	nng_mtx_lock(n->mtx);
	if (n->closing) {
		s->state = ST_DEAD;
		nng_mtx_unlock(n->mtx);
		return;
	}
	s->state = ST_IDLE;
	if (!ring_pop(&n->surv_queue, &q)) {
		nng_mtx_unlock(n->mtx);
		return;
	}
	s->state = ST_SEND;
	s->dest = q.dest;
	s->waiting = q.dest;
	nng_mtx_unlock(n->mtx);
	surv_start(s, q.msg);
}

static void surv_cb(void *arg)
{
	struct slot *s = arg;
	struct xr_net *n = s->net;
	int rv = nng_aio_result(s->aio);
	nng_msg *m;
	uint32_t who = 0;
	const char *what = "malformed";
	char why[96] = "";

	if (s->state == ST_SEND) {
		if (rv == 0) {
			s->state = ST_RECV;
			nng_ctx_recv(s->ctx, s->aio);
			return;
		}
		nng_msg_free(nng_aio_get_msg(s->aio));
	} else if (rv == 0) {
		m = nng_aio_get_msg(s->aio);
		bool bad = wave_check(n, m, &who, &what, why, sizeof why) != 0;
		if (!bad && (who == 0 || (who & (who - 1)) != 0 ||
			     (who & s->waiting) == 0)) {
			bad = true;
			snprintf(why, sizeof why,
				 "response from node set 0x%x, asked 0x%x",
				 (unsigned)who, (unsigned)s->waiting);
		}
		if (bad) {
			char where[128];
			pipe_where(m, where, sizeof where);
			nng_msg_free(m);
			xr_net_reject(n, what, where, why);
		} else {
			/* The answer becomes an item of its own: the context
			 * keeps listening for the other addressees. */
			struct slot *a = calloc(1, sizeof *a);
			if (a == NULL) {
				nng_msg_free(m);
			} else {
				a->kind = SLOT_ANSWER;
				a->net = n;
				a->msg = m;
				a->state = ST_HELD;
				a->dest = (uint32_t)__builtin_ctz(who);
				nng_mtx_lock(n->mtx);
				inbox_push(n, a);
				nng_mtx_unlock(n->mtx);
			}
			s->waiting &= ~who;
		}
		if (s->waiting != 0) {
			nng_ctx_recv(s->ctx, s->aio);
			return;
		}
	}
	/* Every addressee answered, the survey timed out (an addressee answers
	 * later with a survey of its own), or the socket closed. */
	if (rv == NNG_ECLOSED) {
		s->state = ST_DEAD;
		return;
	}
	surv_next(n, s);
}

static void resp_recv(struct slot *s)
{
	s->state = ST_RECV;
	s->answered = false;
	nng_ctx_recv(s->ctx, s->aio);
}

static void resp_cb(void *arg)
{
	struct slot *s = arg;
	struct xr_net *n = s->net;
	int rv = nng_aio_result(s->aio);
	nng_msg *m;
	uint32_t dest;
	const char *what;
	char why[96];

	if (rv == NNG_ECLOSED) {
		if (s->state == ST_SEND)
			nng_msg_free(nng_aio_get_msg(s->aio));
		s->state = ST_DEAD;
		return;
	}
	if (s->state == ST_SEND) {
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(s->aio));
		resp_recv(s);
		return;
	}
	if (rv != 0) {
		resp_recv(s);
		return;
	}
	m = nng_aio_get_msg(s->aio);
	if (wave_check(n, m, &dest, &what, why, sizeof why) != 0) {
		char where[128];
		pipe_where(m, where, sizeof where);
		nng_msg_free(m);
		xr_net_reject(n, what, where, why);
		resp_recv(s);
		return;
	}
	if ((dest & ((uint32_t)1 << n->self)) == 0) {
		/* A survey reaches every neighbour: not ours, not an error. */
		nng_msg_free(m);
		resp_recv(s);
		return;
	}
	s->from = -1;
	{
		nng_dialer d = nng_pipe_dialer(nng_msg_get_pipe(m));
		for (uint32_t i = 0; i < n->c->n_nodes; i++)
			if (nng_dialer_id(n->resp_d[i]) > 0 &&
			    nng_dialer_id(n->resp_d[i]) == nng_dialer_id(d))
				s->from = (int)i;
	}
	s->msg = m;
	s->state = ST_HELD;
	nng_mtx_lock(n->mtx);
	inbox_push(n, s);
	nng_mtx_unlock(n->mtx);
}

int xr_net_wave(struct xr_net *n, struct xr_net_item *reply_to, uint32_t to,
		const uint8_t *env, size_t len)
{
	if (to >= n->c->n_nodes)
		return XR_EINVAL;
	if (reply_to != NULL && reply_to->kind == XR_NET_WAVE &&
	    reply_to->can_respond && reply_to->wave_peer == (int)to) {
		struct slot *s = reply_to->slot;
		if (s->kind == SLOT_RESP && s->state == ST_HELD &&
		    !s->answered) {
			nng_msg *m =
				wave_frame((uint32_t)1 << n->self, env, len);
			if (m == NULL)
				return XR_ENOMEM;
			s->answered = true;
			reply_to->can_respond = false;
			/* The slot goes back to nng: the item no longer owns it
			 * (the send may complete and a new survey arrive in it
			 * before the loop releases the item). */
			reply_to->slot = NULL;
			nng_mtx_lock(n->mtx);
			n->st.sent++;
			n->st.responses++;
			nng_mtx_unlock(n->mtx);
			nng_msg_free(s->msg);
			s->msg = NULL;
			s->state = ST_SEND;
			nng_aio_set_msg(s->aio, m);
			nng_ctx_send(s->ctx, s->aio);
			return 0;
		}
	}
	return xr_net_wave_multi(n, (uint32_t)1 << to, env, len);
}

int xr_net_wave_multi(struct xr_net *n, uint32_t dests, const uint8_t *env,
		      size_t len)
{
	nng_msg *m;
	int i;

	if (dests == 0 || (dests & ~(uint32_t)n->c->adj[n->self]) != 0)
		return XR_EINVAL;
	m = wave_frame(dests, env, len);
	if (m == NULL)
		return XR_ENOMEM;
	nng_mtx_lock(n->mtx);
	n->st.sent += (uint64_t)__builtin_popcount(dests);
	n->st.surveys++;
	for (i = 0; i < N_SURV; i++)
		if (n->surv_slots[i].state == ST_IDLE) {
			struct slot *s = &n->surv_slots[i];
			s->state = ST_SEND;
			s->dest = dests;
			s->waiting = dests;
			nng_mtx_unlock(n->mtx);
			surv_start(s, m);
			return 0;
		}
	if (!ring_push(&n->surv_queue, m, dests)) {
		n->st.send_dropped++;
		nng_mtx_unlock(n->mtx);
		nng_msg_free(m);
		return XR_EFULL;
	}
	nng_mtx_unlock(n->mtx);
	return 0;
}

/* ------------------------------------------------------------------ loop */

int xr_net_next(struct xr_net *n, uint64_t deadline_ms, struct xr_net_item *it)
{
	struct slot *s;

	/* The loop thread, never a callback, replaces stuck dialers. */
	for (uint32_t j = 0; j < n->c->n_nodes; j++)
		if (n->peers[j].open)
			redial_if_stuck(n, &n->peers[j]);
	nng_mtx_lock(n->mtx);
	while (n->in_head == NULL && !n->woken) {
		uint64_t now = xr_net_now();
		if (now >= deadline_ms)
			break;
		/* nng's clock is not ours: wait a relative time on it. */
		if (nng_cv_until(n->cv,
				 nng_clock() + (nng_time)(deadline_ms - now)) ==
		    NNG_ETIMEDOUT)
			break;
	}
	n->woken = false;
	s = n->in_head;
	if (s != NULL) {
		n->in_head = s->next;
		if (n->in_head == NULL)
			n->in_tail = NULL;
	}
	nng_mtx_unlock(n->mtx);
	if (s == NULL)
		return 0;
	item_fill(s, it);
	return 1;
}

static void item_fill(struct slot *s, struct xr_net_item *it)
{
	const uint8_t *b;

	memset(it, 0, sizeof *it);
	it->slot = s;
	b = nng_msg_body(s->msg);
	switch (s->kind) {
	case SLOT_REP:
		it->kind = XR_NET_REQUEST;
		it->method = b[3];
		it->body = b + XR_FRAME_HDR;
		it->len = nng_msg_len(s->msg) - XR_FRAME_HDR;
		break;
	case SLOT_ANSWER:
		it->kind = XR_NET_WAVE;
		it->wave_peer = (int)s->dest;
		it->body = b + XR_WAVE_HDR;
		it->len = nng_msg_len(s->msg) - XR_WAVE_HDR;
		break;
	case SLOT_RESP:
		it->kind = XR_NET_WAVE;
		it->wave_peer = s->from;
		it->can_respond = s->from >= 0;
		it->body = b + XR_WAVE_HDR;
		it->len = nng_msg_len(s->msg) - XR_WAVE_HDR;
		break;
	case SLOT_CARRIED:
		it->kind = XR_NET_CARRIED;
		it->sender = (int)s->dest;
		it->body = b;
		it->len = nng_msg_len(s->msg);
		break;
	case SLOT_REQ:
	case SLOT_SURV:
		break;
	}
}

void xr_net_set_handler(struct xr_net *n, xr_net_handler fn, void *ctx)
{
	nng_mtx_lock(n->mtx);
	n->handler = fn;
	n->handler_ctx = ctx;
	nng_mtx_unlock(n->mtx);
}

void xr_net_wake(struct xr_net *n)
{
	nng_mtx_lock(n->mtx);
	n->woken = true;
	nng_cv_wake1(n->cv);
	nng_mtx_unlock(n->mtx);
}

void xr_net_reply(struct xr_net *n, struct xr_net_item *it, bool ok,
		  const uint8_t *body, size_t len)
{
	struct slot *s = it->slot;
	nng_msg *m = s->msg;
	uint8_t hdr[XR_FRAME_HDR] = {'X', 'R',
				     ok ? XR_FRAME_VERSION : XR_FRAME_ERROR,
				     (uint8_t)it->method};

	(void)n;
	it->slot = NULL;
	if (s->kind != SLOT_REP)
		return;
	s->msg = NULL;
	nng_msg_clear(m);
	if (nng_msg_append(m, hdr, sizeof hdr) != 0 ||
	    (len > 0 && nng_msg_append(m, body, len) != 0)) {
		nng_msg_free(m);
		rep_recv(s);
		return;
	}
	s->state = ST_SEND;
	nng_aio_set_msg(s->aio, m);
	nng_ctx_send(s->ctx, s->aio);
}

void xr_net_release(struct xr_net *n, struct xr_net_item *it)
{
	struct slot *s = it->slot;

	if (s == NULL)
		return;
	if (s->kind == SLOT_REP) {
		static const char why[] = "request not handled";
		xr_net_reply(n, it, false, (const uint8_t *)why,
			     sizeof why - 1);
		return;
	}
	it->slot = NULL;
	if (s->msg != NULL) {
		nng_msg_free(s->msg);
		s->msg = NULL;
	}
	if (s->kind == SLOT_RESP) {
		if (s->state == ST_HELD)
			resp_recv(s);
		return;
	}
	if (s->kind == SLOT_ANSWER || s->kind == SLOT_CARRIED)
		free(s);
}

void xr_net_get_stats(struct xr_net *n, struct xr_net_stats *st)
{
	if (n->tls != NULL)
		tls_poll(n); /* a Status right after a refusal shows it */
	nng_mtx_lock(n->mtx);
	*st = n->st;
	nng_mtx_unlock(n->mtx);
}

unsigned xr_net_pending(struct xr_net *n)
{
	unsigned k = 0;

	nng_mtx_lock(n->mtx);
	for (uint32_t p = 0; p < XR_MAX_NODES; p++) {
		if (!n->peers[p].open)
			continue;
		k += n->peers[p].queue.count;
		for (int i = 0; i < N_REQ; i++)
			if (n->peers[p].slots[i].state == ST_SEND)
				k++;
	}
	k += n->surv_queue.count;
	nng_mtx_unlock(n->mtx);
	return k;
}

/* ------------------------------------------------------------------ open */

static int open_slots(struct xr_net *n, struct slot *slots, int count,
		      enum slot_kind kind, nng_socket sock, void (*cb)(void *))
{
	int rv;

	for (int i = 0; i < count; i++) {
		struct slot *s = &slots[i];
		s->kind = kind;
		s->net = n;
		s->state = ST_IDLE;
		if ((rv = nng_aio_alloc(&s->aio, cb, s)) != 0 ||
		    (rv = nng_ctx_open(&s->ctx, sock)) != 0)
			return rv;
	}
	return 0;
}

int xr_net_open(struct xr_net **out, const struct xr_cluster *c, uint32_t self,
		const struct xr_tls *tls, char *err, size_t err_len)
{
	struct xr_net *n;
	const struct xr_cluster_node *me;
	int rv, i;
	uint32_t j;
	size_t hard;

	if (self >= c->n_nodes)
		return xr_why(err, err_len, XR_EINVAL, "node %u not in %s",
			      (unsigned)self, c->path);
	me = &c->nodes[self];
	if ((c->tls_ca[0] != '\0') != (tls != NULL))
		return xr_why(
			err, err_len, XR_EINVAL,
			"%s: node %u: TLS material %s, but the configuration %s TLS",
			c->path, (unsigned)self,
			tls != NULL ? "given" : "not loaded",
			c->tls_ca[0] != '\0' ? "uses" : "does not use");
	n = calloc(1, sizeof *n);
	if (n == NULL)
		return XR_ENOMEM;
	n->c = c;
	n->tls = tls;
	n->self = self;
	n->max_msg = c->max_msg;
	hard = (size_t)n->max_msg * 4;
	if ((rv = nng_mtx_alloc(&n->mtx)) != 0 ||
	    (rv = nng_cv_alloc(&n->cv, n->mtx)) != 0) {
		free(n);
		return XR_ENOMEM;
	}
	for (j = 0; j < c->n_nodes; j++) {
		n->peers[j].net = n;
		n->peers[j].id = j;
	}
	*out = n;

	if ((rv = nng_rep0_open(&n->rep)) != 0)
		goto nng_fail;
	n->rep_open = true;
	/* Frames up to 4x the limit reach the callback, which counts and
	 * refuses them; beyond that nng drops the connection on its own. */
	nng_socket_set_size(n->rep, NNG_OPT_RECVMAXSZ, hard);
	if ((rv = open_slots(n, n->rep_slots, N_REP, SLOT_REP, n->rep,
			     rep_cb)) != 0)
		goto nng_fail;
	if ((rv = listen_on(n, n->rep, me->address, &n->rep_l)) != 0) {
		xr_net_close(n, 0);
		return xr_why(err, err_len, XR_ENET,
			      "listen %s (node %u requests): %s", me->address,
			      (unsigned)self, nng_strerror(rv));
	}
	if ((rv = guard_open(n, 0, n->rep, &n->rep_l, me->address)) != 0)
		goto nng_fail;

	if ((rv = nng_surveyor0_open(&n->surv)) != 0)
		goto nng_fail;
	n->surv_open = true;
	nng_socket_set_size(n->surv, NNG_OPT_RECVMAXSZ, hard);
	if ((rv = open_slots(n, n->surv_slots, N_SURV, SLOT_SURV, n->surv,
			     surv_cb)) != 0)
		goto nng_fail;
	for (i = 0; i < N_SURV; i++)
		nng_ctx_set_ms(
			n->surv_slots[i].ctx, NNG_OPT_SURVEYOR_SURVEYTIME,
			(nng_duration)(c->resend_ms * 4 > 250 ? c->resend_ms * 4
							      : 250));
	if ((rv = listen_on(n, n->surv, me->wave_address, &n->surv_l)) != 0) {
		xr_net_close(n, 0);
		return xr_why(err, err_len, XR_ENET,
			      "listen %s (node %u waves): %s", me->wave_address,
			      (unsigned)self, nng_strerror(rv));
	}
	if ((rv = guard_open(n, 1, n->surv, &n->surv_l, me->wave_address)) != 0)
		goto nng_fail;
	if (n->guards[0].on || n->guards[1].on) {
		if ((rv = nng_cv_alloc(&n->guard_cv, n->mtx)) != 0 ||
		    (rv = nng_thread_create(&n->guard_thr, guard_thread, n)) !=
			    0)
			goto nng_fail;
	}

	if ((rv = nng_respondent0_open(&n->resp)) != 0)
		goto nng_fail;
	n->resp_open = true;
	nng_socket_set_size(n->resp, NNG_OPT_RECVMAXSZ, hard);
	nng_socket_set_ms(n->resp, NNG_OPT_RECONNMINT, 10);
	nng_socket_set_ms(n->resp, NNG_OPT_RECONNMAXT, 200);
	if ((rv = open_slots(n, n->resp_slots, N_RESP, SLOT_RESP, n->resp,
			     resp_cb)) != 0)
		goto nng_fail;
	for (j = 0; j < c->n_nodes; j++) {
		nng_dialer d;
		if (!(c->adj[self] & ((xr_set)1 << j)))
			continue;
		if ((rv = dial_to(n, n->resp, j, c->nodes[j].wave_address,
				  &d)) != 0) {
			xr_net_close(n, 0);
			return xr_why(err, err_len, XR_ENET,
				      "dial %s (node %u waves): %s",
				      c->nodes[j].wave_address, (unsigned)j,
				      nng_strerror(rv));
		}
		n->resp_d[j] = d;
	}
	if (tls != NULL) {
		if ((rv = nng_aio_alloc(&n->tls_aio, tls_timer_cb, n)) != 0)
			goto nng_fail;
		nng_sleep_aio(TLS_POLL_MS, n->tls_aio);
	}

	/* Every peer's request socket, now: not at its first Deliver, which
	 * may run on an nng callback thread (see xr_net_deliver). */
	for (j = 0; j < c->n_nodes; j++) {
		if (j == self)
			continue;
		if ((rv = peer_open(n, &n->peers[j])) != 0) {
			xr_net_close(n, 0);
			return xr_why(err, err_len, XR_ENET,
				      "dial %s (node %u requests): %s",
				      c->nodes[j].address, (unsigned)j,
				      nng_strerror(rv));
		}
	}
	for (i = 0; i < N_REP; i++)
		rep_recv(&n->rep_slots[i]);
	for (i = 0; i < N_RESP; i++)
		resp_recv(&n->resp_slots[i]);
	return 0;

nng_fail:
	xr_net_close(n, 0);
	return xr_why(err, err_len, XR_ENET, "node %u: nng: %s", (unsigned)self,
		      nng_strerror(rv));
}

static void free_slots(struct slot *slots, int count)
{
	for (int i = 0; i < count; i++) {
		if (slots[i].aio != NULL) {
			nng_aio_stop(slots[i].aio);
			nng_aio_free(slots[i].aio);
		}
		if (slots[i].msg != NULL)
			nng_msg_free(slots[i].msg);
	}
}

void xr_net_close(struct xr_net *n, int grace_ms)
{
	uint64_t until = xr_net_now() + (uint64_t)(grace_ms > 0 ? grace_ms : 0);

	if (n == NULL)
		return;
	while (grace_ms > 0 && xr_net_pending(n) > 0 && xr_net_now() < until)
		nng_msleep(5);
	nng_mtx_lock(n->mtx);
	n->closing = true;
	/* Items the loop never took: slots free their messages below; answers
	 * are items of their own. */
	for (struct slot *s = n->in_head, *next; s != NULL; s = next) {
		next = s->next;
		if (s->kind == SLOT_ANSWER || s->kind == SLOT_CARRIED) {
			nng_msg_free(s->msg);
			free(s);
		}
	}
	n->in_head = n->in_tail = NULL;
	nng_mtx_unlock(n->mtx);
	if (n->tls_aio != NULL) {
		nng_aio_stop(n->tls_aio);
		nng_aio_free(n->tls_aio);
	}
	if (n->guard_thr != NULL) {
		nng_mtx_lock(n->mtx);
		n->guard_stop = true;
		nng_cv_wake(n->guard_cv);
		nng_mtx_unlock(n->mtx);
		nng_thread_destroy(n->guard_thr); /* joins it */
	}
	for (int k = 0; k < 2; k++)
		if (n->guards[k].probe_open)
			nng_close(n->guards[k].probe);
	if (n->guard_cv != NULL)
		nng_cv_free(n->guard_cv);
	if (n->rep_open)
		nng_close(n->rep);
	if (n->surv_open)
		nng_close(n->surv);
	if (n->resp_open)
		nng_close(n->resp);
	for (uint32_t p = 0; p < XR_MAX_NODES; p++)
		if (n->peers[p].open)
			nng_close(n->peers[p].sock);
	free_slots(n->rep_slots, N_REP);
	free_slots(n->surv_slots, N_SURV);
	free_slots(n->resp_slots, N_RESP);
	for (uint32_t p = 0; p < XR_MAX_NODES; p++) {
		free_slots(n->peers[p].slots, N_REQ);
		ring_clear(&n->peers[p].queue);
	}
	ring_clear(&n->surv_queue);
	nng_cv_free(n->cv);
	nng_mtx_free(n->mtx);
	free(n);
}

/* ------------------------------------------------------------ bounded close */

struct closer {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	struct xr_net *n;
	int grace_ms;
	bool done;      /* xr_net_close returned */
	bool abandoned; /* the caller stopped waiting: the thread frees this */
};

static void *closer_thread(void *arg)
{
	struct closer *c = arg;
	const char *stall = getenv("XROAD_FAULT_CLOSE_STALL_MS");
	bool free_it;

	if (stall != NULL) {
		char *end;
		long ms = strtol(stall, &end, 10);
		if (*end == '\0' && ms > 0 && ms <= 3600000)
			nng_msleep((nng_duration)ms);
	}
	xr_net_close(c->n, c->grace_ms);
	pthread_mutex_lock(&c->mtx);
	c->done = true;
	free_it = c->abandoned;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	if (free_it) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mtx);
		free(c);
	}
	return NULL;
}

int xr_net_close_within(struct xr_net *n, int grace_ms, int limit_ms)
{
	struct closer *c;
	pthread_t t;
	struct timespec until;
	bool done;

	if (n == NULL)
		return 0;
	c = calloc(1, sizeof *c);
	if (c == NULL) {
		xr_net_close(n, grace_ms);
		return 0;
	}
	/* The bound is on the monotonic clock: a wall clock set back (NTP,
	 * an operator) must not stretch a shutdown. */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	c->n = n;
	c->grace_ms = grace_ms;
	if (pthread_create(&t, NULL, closer_thread, c) != 0) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mtx);
		free(c);
		xr_net_close(n, grace_ms);
		return 0;
	}
	pthread_detach(t);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (grace_ms + limit_ms) / 1000;
	until.tv_nsec += (long)((grace_ms + limit_ms) % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mtx);
	while (!c->done)
		if (pthread_cond_timedwait(&c->cv, &c->mtx, &until) ==
		    ETIMEDOUT)
			break;
	done = c->done;
	if (!done)
		c->abandoned = true;
	pthread_mutex_unlock(&c->mtx);
	if (!done)
		return XR_ETIMEDOUT;
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mtx);
	free(c);
	return 0;
}
