/* Node traces merged into one run, for the pictures of `xroadctl trace`
 * (--svg, --shiviz): every record of every node in one order that respects
 * causality, each receive matched to the send it came from, and a vector
 * clock per record.
 *
 * What the trace lacks: a message carries no id or sequence number, so a
 * receive is matched by content. Its send is a SEND record of the sending
 * node with the same rendering (xr_msg_describe: from, to, epoch, snapshot,
 * type and every field), sent at or before the receive (the nodes of one
 * machine share CLOCK_MONOTONIC, which the daemon stamps records with).
 * Among several such sends not yet matched, the latest wins: identical
 * messages are resends (a heartbeat, a wave retry) and the one that arrives
 * after an earlier was lost is the latest; two identical messages in flight
 * at once then match crosswise, which moves no clock past what it knew.
 * A receive with no such send (the sender's trace not given, or its send
 * recorded after the receive) is unmatched, and so is a send nobody
 * received (lost, or the receiver's trace not given); both are counted.
 * Traces of different machines have unrelated clocks: most receives then
 * find no send, and the counts say so.
 *
 * The order: by time; at equal times sends, effects and timers before
 * receives, and a receive whose send is recorded at the same millisecond
 * waits for it. Each node's records keep their order. Vector clocks follow
 * Fidge/Mattern: every record ticks its node's entry by one, and a matched
 * receive first takes the entry-wise maximum with its send's clock. */
#ifndef XR_CTL_TRACE_MERGE_H
#define XR_CTL_TRACE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* A run larger than this is refused rather than drawn: every record's text
 * is kept in memory (~200 bytes each). */
#define XR_TRACE_MERGE_MAX_RECORDS 500000u

/* One record of the run, in merge order. */
struct xr_tm_event {
	enum xr_trace_kind kind;
	uint32_t node;
	uint64_t now_ms;
	/* xr_trace_rec_text(): "recv 1->0 Wave#1 ...", "fx 0 Deadlock r1 ...",
	 * "start config ..." (owned by the run). */
	char *text;
	/* RECEIVE and SEND: the message's envelope and what the pictures
	 * colour by; `waits` is a Blocked message's wait-for set (bit per id). */
	uint32_t from, to;
	enum xr_msg_type type;
	enum xr_wave_kind wave_kind;
	uint32_t waits;
	/* RECEIVE: the index of its SEND; SEND: of its RECEIVE; -1: none. */
	long match;
};

struct xr_tm_node {
	bool present;      /* it has records */
	bool is_light;     /* its START says self == light */
	bool has_approach; /* a car named in some START's car list */
	enum xr_approach approach;
	const char *file; /* the file its records came from */
};

struct xr_trace_merge {
	uint32_t n_nodes; /* highest node id with records, plus one */
	struct xr_tm_node nodes[XR_MAX_NODES];
	char run[64]; /* the run id of the first START, "" without one */
	struct xr_tm_event *ev;
	size_t n_ev;
	/* n_ev x n_nodes entries: clocks[i * n_nodes + k] is record i's
	 * knowledge of node k's records. */
	uint32_t *clocks;
	uint64_t t_first, t_last;
	size_t matched, unmatched_sends, unmatched_recvs;
	/* Set when a file could not be read to its end: what and where (the
	 * reader's "FILE: record N at offset M: ..."). The records before it
	 * are in the run. */
	char error[640];
};

/* Reads every file and merges them. 0: the run is complete; 1: a file
 * could not be read to its end (m->error says which and where) but there
 * are records; -1: nothing to draw, with the reason in `why` (no file
 * readable, no record at all, a node in two files, too many records, out
 * of memory). On 0 and 1 the caller frees `m` with xr_trace_merge_free. */
int xr_trace_merge_load(struct xr_trace_merge *m, char *const *files,
			int n_files, char *why, size_t why_len);

void xr_trace_merge_free(struct xr_trace_merge *m);

/* "light" or "car S" (or "car" when the approach is not known). */
const char *xr_tm_node_role(const struct xr_trace_merge *m, uint32_t node,
			    char *buf, size_t cap);

#endif
