/* Targets and calls shared by the cluster commands of xroadctl. */
#include "ctl_cluster.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "err.h"
#include "rpc.h"
#include "tls.h"

/* Filled by xroadctl.c's option parsing before a command runs; here, with
 * the commands that read it, so that the command table calls down only. */
struct xr_ctl_global xr_ctl_global;

static int deadline_from_env(void)
{
	const char *s = getenv("XROADCTL_DEADLINE_MS");
	if (s == NULL || *s == '\0')
		return XR_CTL_DEADLINE_MS;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 10 || v > 600000) {
		fprintf(stderr,
			"xroadctl: XROADCTL_DEADLINE_MS=%s is not a number of ms "
			"in 10..600000; using %d\n",
			s, XR_CTL_DEADLINE_MS);
		return XR_CTL_DEADLINE_MS;
	}
	return (int)v;
}

/* The material of the process: watch opens its cluster once, but a command
 * may open it again; one load, kept until exit. */
static struct xr_tls *ctl_tls;

static int open_tls(struct xr_ctl_cluster *c, bool want, const char *what)
{
	const struct xr_ctl_global *g = &xr_ctl_global;
	char cert[XR_PATH_MAX], key[XR_PATH_MAX], err[1024];
	const char *ca;

	if (!want) {
		if (g->ca != NULL || g->cert != NULL || g->key != NULL) {
			fprintf(stderr,
				"xroadctl: --ca, --cert and --key are for TLS, and %s "
				"has no tls+tcp:// address\n",
				what);
			return 2;
		}
		return 0;
	}
	if ((g->cert == NULL) != (g->key == NULL)) {
		fprintf(stderr, "xroadctl: --cert and --key go together\n");
		return 2;
	}
	ca = g->ca != NULL ? g->ca : c->have_config ? c->config.tls_ca : NULL;
	if (ca == NULL) {
		fprintf(stderr,
			"xroadctl: %s is a tls+tcp:// node: give the cluster CA "
			"with --ca FILE (and --cert/--key, or ctl.crt and ctl.key "
			"beside the CA)\n",
			what);
		return 2;
	}
	if (ctl_tls == NULL) {
		if (g->cert != NULL) {
			snprintf(cert, sizeof cert, "%s", g->cert);
			snprintf(key, sizeof key, "%s", g->key);
		} else {
			/* Too long a path makes a file that fails to load,
			 * named in the error. */
			(void)xr_config_path_beside(ca, "ctl.crt", cert,
						    sizeof cert);
			(void)xr_config_path_beside(ca, "ctl.key", key,
						    sizeof key);
		}
		int rc = xr_tls_load(&ctl_tls, ca, cert, key, NULL, err,
				     sizeof err);
		if (rc != 0) {
			fprintf(stderr,
				"xroadctl: %s\nxroadctl: %s uses TLS: xroadctl needs "
				"the cluster CA and a client certificate it signed "
				"(--ca, --cert, --key; by default ctl.crt and ctl.key "
				"beside the CA, made by tools/gen-certs)\n",
				rc == XR_ENOMEM ? "out of memory" : err, what);
			return 1;
		}
	}
	c->tls = ctl_tls;
	return 0;
}

int xr_ctl_cluster_open(struct xr_ctl_cluster *c)
{
	memset(c, 0, sizeof *c);
	c->deadline_ms = deadline_from_env();
	if (xr_ctl_global.config != NULL) {
		char err[512];
		if (xr_cluster_load(xr_ctl_global.config, &c->config, err,
				    sizeof err) != 0) {
			fprintf(stderr, "xroadctl: %s\n", err);
			return 1;
		}
		c->have_config = true;
		for (uint32_t i = 0; i < c->config.n_nodes; i++) {
			struct xr_ctl_target *t = &c->nodes[c->n++];
			t->id = c->config.nodes[i].id;
			t->is_light = c->config.nodes[i].role == XR_ROLE_LIGHT;
			/* Same size, NUL-terminated by the parser. */
			memcpy(t->address, c->config.nodes[i].address,
			       sizeof t->address);
			t->address[sizeof t->address - 1] = '\0';
		}
		return open_tls(c, c->config.tls_ca[0] != '\0',
				xr_ctl_global.config);
	}
	if (xr_ctl_global.node != NULL) {
		struct xr_ctl_target *t = &c->nodes[c->n++];
		t->id = 0;
		t->is_light = true; /* placeholders: see id_unknown */
		t->id_unknown = true;
		snprintf(t->address, sizeof t->address, "%s",
			 xr_ctl_global.node);
		return open_tls(c, strncmp(t->address, "tls+", 4) == 0,
				t->address);
	}
	fprintf(stderr, "xroadctl: this command needs --config FILE or "
			"--node ADDR before it\n");
	return 2;
}

const struct xr_ctl_target *xr_ctl_light(const struct xr_ctl_cluster *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->nodes[i].is_light)
			return &c->nodes[i];
	return c->n > 0 ? &c->nodes[0] : NULL;
}

const struct xr_ctl_target *xr_ctl_target_by_id(const struct xr_ctl_cluster *c,
						uint32_t id)
{
	/* With --node the one target's id is a placeholder (id_unknown). */
	for (uint32_t i = 0; i < c->n; i++)
		if (!c->nodes[i].id_unknown && c->nodes[i].id == id)
			return &c->nodes[i];
	return NULL;
}

/* The call, with the reason alone in `why` (rpc.c does not repeat the
 * address either). */
static int call_bare(const struct xr_ctl_cluster *c,
		     const struct xr_ctl_target *t, unsigned method,
		     const ProtobufCMessage *req, ProtobufCMessage **reply,
		     char *why, size_t why_len)
{
	char name[XR_TLS_NAME_MAX];
	/* With --config the node's id is known, and so the name its
	 * certificate must carry; --node gets any node the CA signed. */
	struct xr_rpc_tls tls = {c->tls, NULL};
	if (c->have_config) {
		xr_tls_node_name(t->id, name, sizeof name);
		tls.peer_name = name;
	}
	return xr_rpc_call(t->address, c->tls != NULL ? &tls : NULL, method,
			   req, reply, c->deadline_ms, why, why_len);
}

static void name_error(const struct xr_ctl_target *t, const char *why,
		       char *err, size_t err_len)
{
	if (!t->id_unknown)
		snprintf(err, err_len, "node %u (%s): %s", t->id, t->address,
			 why);
	else
		snprintf(err, err_len, "%s: %s", t->address, why);
}

int xr_ctl_call(const struct xr_ctl_cluster *c, const struct xr_ctl_target *t,
		unsigned method, const ProtobufCMessage *req,
		ProtobufCMessage **reply, char *err, size_t err_len)
{
	char why[512];
	int rv = call_bare(c, t, method, req, reply, why, sizeof why);
	if (rv != 0)
		name_error(t, why, err, err_len);
	return rv;
}

void xr_ctl_json_string(const char *s)
{
	putchar('"');
	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

struct call_job {
	const struct xr_ctl_cluster *c;
	unsigned method;
	const ProtobufCMessage *req;
	struct xr_ctl_each *out;
	uint32_t i;
};

static void *call_job_run(void *arg)
{
	const struct call_job *j = arg;
	const struct xr_ctl_target *t = &j->c->nodes[j->i];
	ProtobufCMessage *reply = NULL;
	char why[sizeof j->out->why[0]];

	if (call_bare(j->c, t, j->method, j->req, &reply, why, sizeof why) ==
	    0) {
		j->out->replies[j->i] = reply;
		return NULL;
	}
	memcpy(j->out->why[j->i], why, sizeof why);
	name_error(t, why, j->out->errs[j->i], sizeof j->out->errs[j->i]);
	return NULL;
}

void xr_ctl_call_each(const struct xr_ctl_cluster *c, unsigned method,
		      const ProtobufCMessage *req, uint64_t skip,
		      struct xr_ctl_each *out)
{
	struct call_job jobs[XR_MAX_NODES];
	pthread_t th[XR_MAX_NODES];
	bool started[XR_MAX_NODES];

	memset(out, 0, sizeof *out);
	/* One thread per node: each call waits for its own deadline, so the
	 * whole costs the slowest node, not the sum (issue 13: 3 deaf nodes
	 * cost 3 s). A thread that cannot start is done inline. */
	for (uint32_t i = 0; i < c->n; i++) {
		started[i] = false;
		if ((skip >> i) & 1)
			continue;
		jobs[i] = (struct call_job){c, method, req, out, i};
		started[i] = pthread_create(&th[i], NULL, call_job_run,
					    &jobs[i]) == 0;
		if (!started[i])
			call_job_run(&jobs[i]);
	}
	for (uint32_t i = 0; i < c->n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
}

void xr_ctl_status_all(const struct xr_ctl_cluster *c, struct xr_ctl_status *s)
{
	static struct xr_ctl_each each; /* 36 KiB: not on the stack */
	Xroad__StatusRequest req = XROAD__STATUS_REQUEST__INIT;

	xr_ctl_call_each(c, XR_METHOD_STATUS, &req.base, 0, &each);
	memset(s, 0, sizeof *s);
	for (uint32_t i = 0; i < c->n; i++) {
		s->replies[i] = (Xroad__StatusReply *)each.replies[i];
		memcpy(s->errs[i], each.errs[i], sizeof s->errs[i]);
		memcpy(s->why[i], each.why[i], sizeof s->why[i]);
	}
}

uint32_t xr_ctl_status_answered(const struct xr_ctl_cluster *c,
				const struct xr_ctl_status *s)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < c->n; i++)
		k += s->replies[i] != NULL;
	return k;
}

uint32_t xr_ctl_node_id(const struct xr_ctl_cluster *c,
			const struct xr_ctl_status *s, uint32_t i)
{
	if (c->nodes[i].id_unknown && s->replies[i] != NULL &&
	    s->replies[i]->node != NULL)
		return s->replies[i]->node->id;
	return c->nodes[i].id;
}

bool xr_ctl_node_is_light(const struct xr_ctl_cluster *c,
			  const struct xr_ctl_status *s, uint32_t i)
{
	if (c->nodes[i].id_unknown && s->replies[i] != NULL &&
	    s->replies[i]->node != NULL)
		return s->replies[i]->node->is_light;
	return c->nodes[i].is_light;
}

void xr_ctl_status_free(const struct xr_ctl_cluster *c, struct xr_ctl_status *s)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (s->replies[i] != NULL)
			protobuf_c_message_free_unpacked(&s->replies[i]->base,
							 NULL);
}

bool xr_ctl_poisson(const Xroad__NodeStatus *n)
{
	return n->arrivals == XR_ARRIVALS_POISSON;
}

uint32_t xr_ctl_vehicles_waiting(const Xroad__NodeStatus *n)
{
	return n->arrived > n->own_crossings ? n->arrived - n->own_crossings
					     : 0;
}

const char *xr_ctl_car_state_name(int state)
{
	switch (state) {
	case XROAD__CAR_STATE__CAR_IDLE:
		return "idle";
	case XROAD__CAR_STATE__CAR_WAITING:
		return "waiting";
	case XROAD__CAR_STATE__CAR_CROSSING:
		return "crossing";
	case XROAD__CAR_STATE__CAR_CROSSED:
		return "crossed";
	default:
		return "-";
	}
}

/* The election's ranks (src/core/election.c): the light above every car,
 * then cars by id. */
static uint32_t rank(const struct xr_ctl_cluster *c, uint32_t id)
{
	const struct xr_ctl_target *t = xr_ctl_target_by_id(c, id);
	return t != NULL && t->is_light ? XR_MAX_NODES : id;
}

void xr_ctl_find_coordinator(const struct xr_ctl_cluster *c,
			     const struct xr_ctl_status *s,
			     struct xr_ctl_coordinator *out)
{
	memset(out, 0, sizeof *out);
	out->index = -1;
	for (uint32_t i = 0; i < c->n; i++) {
		out->answered = out->answered || s->replies[i] != NULL;
		const Xroad__NodeStatus *n =
			s->replies[i] ? s->replies[i]->node : NULL;
		if (n == NULL)
			continue;
		/* A node back from a crash follows nobody (an id out of
		 * range) until it hears from the coordinator. */
		if (n->coordinator >= XR_MAX_NODES) {
			if (!out->known && n->epoch > out->epoch)
				out->epoch = n->epoch;
			continue;
		}
		bool newer = !out->known || n->epoch > out->epoch ||
			     (n->epoch == out->epoch &&
			      rank(c, n->coordinator) > rank(c, out->id));
		if (newer) {
			out->known = true;
			out->id = n->coordinator;
			out->epoch = n->epoch;
		}
	}
	if (out->known) {
		const struct xr_ctl_target *t = xr_ctl_target_by_id(c, out->id);
		out->index = t != NULL ? (int)(t - c->nodes) : -1;
	}
}
