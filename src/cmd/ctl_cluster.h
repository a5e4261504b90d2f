/* What every cluster command of xroadctl shares: the list of nodes to talk to
 * (from --config, or the one --node), and one RPC to one node with a deadline
 * and an error that names the node that did not answer. */
#ifndef XR_CTL_CLUSTER_H
#define XR_CTL_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "xroad.pb-c.h"

#include "config.h"

#define XR_CTL_DEADLINE_MS 1000 /* per node and call; XROADCTL_DEADLINE_MS */

struct xr_ctl_target {
	uint32_t id;
	bool is_light;
	/* true with --node: id and is_light are placeholders until the node
	 * answers, and output takes them from its Status (issue 13: --node
	 * showed every node as "0 light"). */
	bool id_unknown;
	char address[XR_ADDR_MAX];
};

struct xr_tls;

struct xr_ctl_cluster {
	bool have_config;
	struct xr_cluster config; /* when have_config */
	uint32_t n;
	struct xr_ctl_target nodes[XR_MAX_NODES];
	int deadline_ms;
	/* TLS (tls+tcp:// nodes): the CA and xroadctl's client certificate,
	 * loaded once per process and kept until it exits; NULL without. */
	const struct xr_tls *tls;
};

/* Loads the targets from the global --config or --node, and with TLS the CA
 * and client certificate (--ca, --cert, --key, by default the tls_ca of the
 * configuration and ctl.crt, ctl.key beside it). Prints the reason and
 * returns 2 (usage) or 1 (unreadable config or certificate) on failure, 0 on
 * success. */
int xr_ctl_cluster_open(struct xr_ctl_cluster *c);

/* The light's target, or NULL (with --node, the one node). */
const struct xr_ctl_target *xr_ctl_light(const struct xr_ctl_cluster *c);

/* The node with id `id`, or NULL (with --node: not known). */
const struct xr_ctl_target *xr_ctl_target_by_id(const struct xr_ctl_cluster *c,
						uint32_t id);

/* One call; on failure `err` names the node once: "node 3 (tcp://...):
 * xroad.Node.Status: Timed out" with --config, "tcp://...: ..." with --node
 * (its id is not known). */
int xr_ctl_call(const struct xr_ctl_cluster *c, const struct xr_ctl_target *t,
		unsigned method, const ProtobufCMessage *req,
		ProtobufCMessage **reply, char *err, size_t err_len);

/* One method with one request to every node whose bit in `skip` is clear,
 * in parallel: out->replies[i] (the method's output; the caller frees it)
 * or NULL with out->errs[i] naming the node and out->why[i] the reason
 * alone. Not reentrant for one `out`. */
struct xr_ctl_each {
	ProtobufCMessage *replies[XR_MAX_NODES];
	char errs[XR_MAX_NODES][640];
	char why[XR_MAX_NODES][512];
};
void xr_ctl_call_each(const struct xr_ctl_cluster *c, unsigned method,
		      const ProtobufCMessage *req, uint64_t skip,
		      struct xr_ctl_each *out);

/* JSON string escaping for the --json outputs (quotes included). */
void xr_ctl_json_string(const char *s);

/* The Status of every node: replies[i] for c->nodes[i], NULL when the node
 * did not answer (errs[i] says why, naming the node; why[i] is the reason
 * alone, for a table row that already shows the id and address). The nodes
 * are asked in parallel, one thread each: a cluster with dead nodes costs
 * one deadline, not one per dead node. Free with xr_ctl_status_free. */
struct xr_ctl_status {
	Xroad__StatusReply *replies[XR_MAX_NODES];
	char errs[XR_MAX_NODES][640];
	char why[XR_MAX_NODES][512];
};
void xr_ctl_status_all(const struct xr_ctl_cluster *c, struct xr_ctl_status *s);
void xr_ctl_status_free(const struct xr_ctl_cluster *c,
			struct xr_ctl_status *s);
/* How many of the nodes answered. */
uint32_t xr_ctl_status_answered(const struct xr_ctl_cluster *c,
				const struct xr_ctl_status *s);
/* Node i's id and role as output shows them: from its own answer when the
 * target's are not known (--node), else from the configuration. */
uint32_t xr_ctl_node_id(const struct xr_ctl_cluster *c,
			const struct xr_ctl_status *s, uint32_t i);
bool xr_ctl_node_is_light(const struct xr_ctl_cluster *c,
			  const struct xr_ctl_status *s, uint32_t i);
const char *xr_ctl_car_state_name(int state);
/* Open rounds: does node `n` run arrivals = poisson; and how many of a car's
 * vehicles have arrived and not crossed yet (the one in the box too). */
bool xr_ctl_poisson(const Xroad__NodeStatus *n);
uint32_t xr_ctl_vehicles_waiting(const Xroad__NodeStatus *n);

/* Who coordinates now, read from the answers in `s` (as `status` shows it):
 * the coordinator named at the newest epoch any node knows; of two named at
 * one epoch (a claim still being settled), the higher-ranked, the light
 * before the cars, then the highest car id, as the election settles it.
 * Answers that name no coordinator (a node back from a crash, before it
 * hears from one) are skipped. */
struct xr_ctl_coordinator {
	bool answered;  /* some node answered at all */
	bool known;     /* some answer names a coordinator */
	uint32_t id;    /* when known */
	uint32_t epoch; /* when known, its epoch; else the newest answered */
	int index;      /* its entry in c->nodes; -1 if unknown or not there
			   * (--node: only the node asked is listed) */
};
void xr_ctl_find_coordinator(const struct xr_ctl_cluster *c,
			     const struct xr_ctl_status *s,
			     struct xr_ctl_coordinator *out);
/* status --json's object ({"nodes":[...]}), no newline (ctl_status.c). */
void xr_ctl_status_print_json(const struct xr_ctl_cluster *c,
			      const struct xr_ctl_status *s);

#endif
