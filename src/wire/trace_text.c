/* The text form of trace records (trace.h), shared by `xroadctl trace` and
 * the text twins of replay traces, so that both always read the same. */
#include <stdio.h>
#include <string.h>

#include "trace.h"

const char *xr_trace_kind_name(enum xr_trace_kind k)
{
	switch (k) {
	case XR_TRACE_START:
		return "start";
	case XR_TRACE_RECEIVE:
		return "recv";
	case XR_TRACE_TIMER:
		return "timer";
	case XR_TRACE_COMMAND:
		return "command";
	case XR_TRACE_SEND:
		return "send";
	case XR_TRACE_EFFECT:
		return "effect";
	}
	return "?";
}

const char *xr_timer_name(enum xr_timer t)
{
	switch (t) {
	case XR_TIMER_TICK:
		return "tick";
	case XR_TIMER_CROSS:
		return "cross";
	case XR_TIMER_ARRIVAL:
		return "arrival";
	case XR_TIMERS:
		break;
	}
	return "?";
}

const char *xr_command_name(enum xr_command_op op)
{
	switch (op) {
	case XR_CMD_RUN:
		return "run";
	case XR_CMD_PAUSE:
		return "pause";
	case XR_CMD_RESUME:
		return "resume";
	case XR_CMD_SHUTDOWN:
		return "shutdown";
	case XR_CMD_SNAPSHOT:
		return "snapshot";
	}
	return "?";
}

static bool is_output(enum xr_trace_kind k)
{
	return k == XR_TRACE_SEND || k == XR_TRACE_EFFECT;
}

size_t xr_trace_rec_text(const struct xr_trace_rec *r, char *buf, size_t cap)
{
	char body[XR_DESCRIBE_MAX];

	switch (r->kind) {
	case XR_TRACE_START: {
		size_t n = xr_config_describe(&r->config, body, sizeof body);
		if (r->has_durable && n < sizeof body) {
			const struct xr_durable *d = &r->durable;
			snprintf(body + n, sizeof body - n,
				 " durable=log:%u/%016llx last_round=%u "
				 "crossings=%u last_crossed=%u acked=%u "
				 "snapshot_floor=%u",
				 d->log_count,
				 (unsigned long long)d->log_digest,
				 d->last_round, d->crossings,
				 d->last_crossed_round, d->acked_round,
				 d->snapshot_floor);
			/* Open rounds only: other traces' text is unchanged. */
			n = strlen(body);
			if (d->arrivals_from_ms != 0 && n < sizeof body)
				snprintf(body + n, sizeof body - n,
					 " arrivals_from=%llu",
					 (unsigned long long)
						 d->arrivals_from_ms);
		}
		break;
	}
	case XR_TRACE_RECEIVE:
	case XR_TRACE_SEND:
		xr_msg_describe(&r->msg, body, sizeof body);
		break;
	case XR_TRACE_TIMER:
		snprintf(body, sizeof body, "%s", xr_timer_name(r->timer));
		break;
	case XR_TRACE_COMMAND:
		if (r->op == XR_CMD_RUN)
			snprintf(body, sizeof body, "run rounds=%u", r->rounds);
		else
			snprintf(body, sizeof body, "%s",
				 xr_command_name(r->op));
		break;
	case XR_TRACE_EFFECT: {
		/* The line is already "fx NODE ...": no kind word. */
		int n = snprintf(buf, cap, "%s", r->effect);
		return n < 0 ? 0 : (size_t)n;
	}
	default:
		snprintf(body, sizeof body, "?%u", (unsigned)r->kind);
		break;
	}
	int n = snprintf(buf, cap, "%s %s", xr_trace_kind_name(r->kind), body);
	return n < 0 ? 0 : (size_t)n;
}

size_t xr_trace_rec_describe(const struct xr_trace_rec *r,
			     const struct xr_trace_rec *prev, char *buf,
			     size_t cap)
{
	char text[XR_DESCRIBE_MAX + 16];
	const char *indent = "";
	char head[64];

	snprintf(head, sizeof head, "@%llu n%u ", (unsigned long long)r->now_ms,
		 r->node);
	if (is_output(r->kind)) {
		indent = "  ";
		/* Under its input, time and node go without saying. */
		if (prev != NULL && prev->now_ms == r->now_ms &&
		    prev->node == r->node)
			head[0] = '\0';
	}
	xr_trace_rec_text(r, text, sizeof text);
	int n = snprintf(buf, cap, "%s%s%s", indent, head, text);
	return n < 0 ? 0 : (size_t)n;
}
