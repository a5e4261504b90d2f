/* Targets and calls shared by the cluster commands of xroadctl. */
#include "ctl_cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "err.h"
#include "rpc.h"

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
		return 0;
	}
	if (xr_ctl_global.node != NULL) {
		struct xr_ctl_target *t = &c->nodes[c->n++];
		t->id = 0;
		t->is_light = true; /* unknown until it answers */
		snprintf(t->address, sizeof t->address, "%s",
			 xr_ctl_global.node);
		return 0;
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

int xr_ctl_call(const struct xr_ctl_cluster *c, const struct xr_ctl_target *t,
		unsigned method, const ProtobufCMessage *req,
		ProtobufCMessage **reply, char *err, size_t err_len)
{
	char why[384];
	int rv = xr_rpc_call(t->address, method, req, reply, c->deadline_ms,
			     why, sizeof why);
	if (rv != 0)
		snprintf(err, err_len, "node %u (%s): %s", t->id, t->address,
			 why);
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

void xr_ctl_status_all(const struct xr_ctl_cluster *c, struct xr_ctl_status *s)
{
	memset(s, 0, sizeof *s);
	for (uint32_t i = 0; i < c->n; i++) {
		Xroad__StatusRequest req = XROAD__STATUS_REQUEST__INIT;
		ProtobufCMessage *reply = NULL;
		if (xr_ctl_call(c, &c->nodes[i], XR_METHOD_STATUS, &req.base,
				&reply, s->errs[i], sizeof s->errs[i]) == 0)
			s->replies[i] = (Xroad__StatusReply *)reply;
	}
}

void xr_ctl_status_free(const struct xr_ctl_cluster *c, struct xr_ctl_status *s)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (s->replies[i] != NULL)
			protobuf_c_message_free_unpacked(&s->replies[i]->base,
							 NULL);
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
