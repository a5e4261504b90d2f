/* What a step produces, the core's bottom layer: messages (the outbox and
 * the local queue of a node talking to itself), effects, timers and trace
 * lines. Every other file of the core calls it; it calls nothing of theirs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *xr_ids_str(const uint32_t *ids, uint32_t n, char *buf, size_t len)
{
	size_t used = 0;
	int w = snprintf(buf, len, "[");
	used = w > 0 ? (size_t)w : 0;
	for (uint32_t i = 0; i < n && used < len; i++) {
		w = snprintf(buf + used, len - used, i ? " %u" : "%u", ids[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used < len)
		snprintf(buf + used, len - used, "]");
	return buf;
}

void xr_tracef(struct xr_node *n, const char *fmt, ...)
{
	if (n->cfg.tracer == NULL)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	n->cfg.tracer(n->cfg.tracer_ctx, n->cfg.self, n->now_ms, line);
}

struct xr_msg *xr_out_msg(struct xr_node *n, uint32_t to, enum xr_msg_type type)
{
	XR_ASSERT(to < XR_MAX_NODES);
	if (to == n->cfg.self) {
		/* A coordinator that is also a car talking to itself: kept
		 * inside the step, never on the wire. */
		if (n->n_local >= sizeof n->local / sizeof n->local[0]) {
			xr_tracef(n, "local queue full -> drop %s",
				  xr_msg_type_name(type));
			return NULL;
		}
		struct xr_msg *m = &n->local[n->n_local++];
		memset(m, 0, sizeof *m);
		m->from = m->to = to;
		m->epoch = n->coordinator_epoch;
		m->type = type;
		return m;
	}
	if (n->out.n_msgs >= XR_OUTBOX_MSGS) {
		xr_tracef(n, "outbox full -> drop %s to %u",
			  xr_msg_type_name(type), to);
		return NULL;
	}
	struct xr_msg *m = &n->out.msgs[n->out.n_msgs++];
	memset(m, 0, sizeof *m);
	m->from = n->cfg.self;
	m->to = to;
	m->epoch = n->coordinator_epoch;
	m->snapshot = n->snap.id;
	m->type = type;
	return m;
}

struct xr_effect *xr_out_effect(struct xr_node *n, enum xr_effect_type type)
{
	if (n->out.n_effects >= XR_OUTBOX_EFFECTS) {
		xr_tracef(n, "effect list full -> drop %s",
			  xr_effect_type_name(type));
		return NULL;
	}
	struct xr_effect *fx = &n->out.effects[n->out.n_effects++];
	memset(fx, 0, sizeof *fx);
	fx->type = type;
	return fx;
}

void xr_timer_arm(struct xr_node *n, enum xr_timer k, uint64_t after_ms)
{
	uint64_t at = n->now_ms + after_ms;
	if (n->timer_at[k] == XR_NEVER || n->timer_at[k] > at ||
	    n->timer_at[k] < n->now_ms)
		n->timer_at[k] = at;
}

/* A message to whoever coordinates now, or NULL while nobody is known (a
 * node back from a crash learns it from the next heartbeat). */
struct xr_msg *xr_out_to_coordinator(struct xr_node *n, enum xr_msg_type t)
{
	if (n->coordinator >= XR_MAX_NODES)
		return NULL; /* not known yet: a heartbeat will tell */
	return xr_out_msg(n, n->coordinator, t);
}
