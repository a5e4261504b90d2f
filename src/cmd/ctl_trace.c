/* `xroadctl trace FILE... [--json]`: a node trace, readable. The text form is
 * xr_trace_rec_describe(), the very lines of a replay's text twin; --json
 * gives one object per file with every record's fields, for scripts:
 *   {"file": F, "records": [{"index", "offset", "kind", "now_ms", "node",
 *    "text", and per kind "config" | "msg" | "timer" | "op"+"rounds" |
 *    "effect"}, ...], "error": null | "what went wrong, where"}
 * A corrupt trace prints every good record before it, then the error (on
 * stderr, and in "error"), and the exit status is 1. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "err.h"
#include "trace.h"

/* ------------------------------------------------------------ JSON */

static void json_str(FILE *o, const char *s)
{
	fputc('"', o);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(o, "\\u%04x", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

static void json_ids(FILE *o, const char *key, const uint32_t *ids,
		     uint32_t n)
{
	fprintf(o, ",\"%s\":[", key);
	for (uint32_t i = 0; i < n; i++)
		fprintf(o, i > 0 ? ",%u" : "%u", ids[i]);
	fputc(']', o);
}

static void json_intents(FILE *o, const struct xr_car_intent *in, uint32_t n)
{
	fputs(",\"intents\":[", o);
	for (uint32_t i = 0; i < n; i++)
		fprintf(o,
			"%s{\"car\":%u,\"approach\":\"%s\",\"turn\":\"%s\","
			"\"arrival_ms\":%llu}",
			i > 0 ? "," : "", in[i].car,
			xr_approach_name(in[i].approach),
			xr_turn_name(in[i].turn),
			(unsigned long long)in[i].arrival_ms);
	fputc(']', o);
}

static void json_crossing(FILE *o, const struct xr_crossing *c)
{
	fprintf(o, "{\"round\":%u,\"index\":%u,\"car\":%u}", c->round,
		c->index, c->car);
}

static void json_log(FILE *o, const struct xr_crossing *c, uint32_t n)
{
	fputs(",\"log\":[", o);
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', o);
		json_crossing(o, &c[i]);
	}
	fputc(']', o);
}

static void json_override(FILE *o, const struct xr_override *v)
{
	fprintf(o, "{\"epoch\":%u,\"winner\":%u,\"loser\":%u}", v->epoch,
		v->winner, v->loser);
}

/* Records come out of the validating reader: every enum is in range. */
static void json_msg(FILE *o, const struct xr_msg *m)
{
	fprintf(o,
		"{\"from\":%u,\"to\":%u,\"epoch\":%u,\"snapshot\":%u,"
		"\"type\":",
		m->from, m->to, m->epoch, m->snapshot);
	json_str(o, xr_msg_type_name(m->type));
	switch (m->type) {
	case XR_MSG_WAVE: {
		const struct xr_wave_msg *w = &m->u.wave;
		fprintf(o, ",\"wave\":%u,\"kind\":", w->wave);
		json_str(o, xr_wave_kind_name(w->kind));
		fprintf(o, ",\"round\":%u,\"echo\":%s", w->round,
			w->echo ? "true" : "false");
		json_intents(o, w->intents, w->n_intents);
		if (w->has_override) {
			fputs(",\"override\":", o);
			json_override(o, &w->override);
		}
		json_log(o, w->log, w->n_log);
		break;
	}
	case XR_MSG_CROSSED:
		fprintf(o, ",\"round\":%u,\"crossed_ms\":%llu",
			m->u.crossed.round,
			(unsigned long long)m->u.crossed.crossed_ms);
		break;
	case XR_MSG_NOTICE:
		fputs(",\"crossing\":", o);
		json_crossing(o, &m->u.notice.crossing);
		break;
	case XR_MSG_BLOCKED:
		fprintf(o, ",\"round\":%u,\"seen\":%u,\"overrides\":%u,"
			   "\"held\":%s",
			m->u.blocked.round, m->u.blocked.seen,
			m->u.blocked.overrides,
			m->u.blocked.held ? "true" : "false");
		json_ids(o, "waits_for", m->u.blocked.waits_for,
			 m->u.blocked.n_waits);
		break;
	case XR_MSG_DETECT:
		fprintf(o, ",\"round\":%u,\"epoch\":%u", m->u.detect.round,
			m->u.detect.epoch);
		break;
	case XR_MSG_PROBE:
		fprintf(o, ",\"round\":%u,\"epoch\":%u,\"initiator\":%u",
			m->u.probe.round, m->u.probe.epoch,
			m->u.probe.initiator);
		json_ids(o, "path", m->u.probe.path, m->u.probe.n_path);
		break;
	case XR_MSG_DEADLOCK:
		fprintf(o, ",\"round\":%u,\"epoch\":%u", m->u.deadlock.round,
			m->u.deadlock.epoch);
		json_ids(o, "cycle", m->u.deadlock.cycle,
			 m->u.deadlock.n_cycle);
		break;
	case XR_MSG_PROCEED:
		fprintf(o, ",\"round\":%u,\"epoch\":%u", m->u.proceed.round,
			m->u.proceed.epoch);
		break;
	case XR_MSG_REJOIN:
		fprintf(o, ",\"round\":%u", m->u.rejoin.round);
		break;
	case XR_MSG_LOG_FETCH:
		fprintf(o, ",\"round\":%u", m->u.log_fetch.round);
		break;
	case XR_MSG_LOG_ROUND:
		fprintf(o, ",\"round\":%u,\"held\":%s", m->u.log_round.round,
			m->u.log_round.held ? "true" : "false");
		json_log(o, m->u.log_round.log, m->u.log_round.n_log);
		break;
	case XR_MSG_RECOVER_STATE:
	case XR_MSG_REJOIN_STATE: {
		const struct xr_rejoin_state *r =
			m->type == XR_MSG_REJOIN_STATE ? &m->u.rejoin_state
						       : &m->u.recover_state.state;
		if (m->type == XR_MSG_RECOVER_STATE) {
			const struct xr_recover_state *v = &m->u.recover_state;
			fprintf(o,
				",\"crossed_round\":%u,\"logged_round\":%u,"
				"\"target_round\":%u,\"override_epoch\":%u,"
				"\"held\":%s",
				v->crossed_round, v->logged_round,
				v->target_round, v->override_epoch,
				v->held ? "true" : "false");
		}
		fprintf(o, ",\"round\":%u,\"intents_fixed\":%s", r->round,
			r->intents_fixed ? "true" : "false");
		json_intents(o, r->intents, r->n_intents);
		json_log(o, r->log, r->n_log);
		fputs(",\"overrides\":[", o);
		for (uint32_t i = 0; i < r->n_overrides; i++) {
			if (i > 0)
				fputc(',', o);
			json_override(o, &r->overrides[i]);
		}
		fputc(']', o);
		json_ids(o, "proceed", r->proceed, r->n_proceed);
		break;
	}
	case XR_MSG_MARKER:
		fprintf(o, ",\"marker\":%u", m->u.marker.snapshot);
		break;
	case XR_MSG_COORDINATOR:
		fprintf(o, ",\"coordinator\":%u", m->u.coordinator.coordinator);
		break;
	case XR_MSG_HEARTBEAT:
		fprintf(o, ",\"ack\":%s,\"stamp_ms\":%llu,\"grant_round\":%u",
			m->u.heartbeat.ack ? "true" : "false",
			(unsigned long long)m->u.heartbeat.stamp_ms,
			m->u.heartbeat.grant_round);
		break;
	case XR_MSG_ELECTION:
	case XR_MSG_ANSWER:
	case XR_MSG_RECOVER:
	case XR_MSG_NONE:
	case XR_MSG_TYPES:
		break;
	}
	fputc('}', o);
}

static void json_config(FILE *o, const struct xr_node_config *c)
{
	fprintf(o, "{\"self\":%u,\"light\":%u,\"cars\":[", c->self, c->light);
	for (uint32_t i = 0; i < c->n_cars; i++)
		fprintf(o, "%s{\"id\":%u,\"approach\":\"%s\"}",
			i > 0 ? "," : "", c->cars[i],
			xr_approach_name(c->approaches[i]));
	fputc(']', o);
	json_ids(o, "neighbours", c->neighbours, c->n_neighbours);
	fprintf(o,
		",\"seed\":%llu,\"weights\":{\"right\":%u,\"straight\":%u,"
		"\"left\":%u},\"cross_ms\":%u,\"resend_ms\":%u,"
		"\"stall_ms\":%u,\"rounds\":%u,\"heartbeat_ms\":%u,"
		"\"fail_ms\":%u,\"run\":",
		(unsigned long long)c->seed, c->weights[XR_RIGHT],
		c->weights[XR_STRAIGHT], c->weights[XR_LEFT], c->cross_ms,
		c->resend_ms, c->stall_ms, c->rounds, c->heartbeat_ms,
		c->fail_ms);
	json_str(o, c->run);
	fputc('}', o);
}

static void json_record(FILE *o, const struct xr_trace_rec *r)
{
	char text[XR_DESCRIBE_MAX];

	fprintf(o, "{\"index\":%u,\"offset\":%llu,\"kind\":\"%s\","
		   "\"now_ms\":%llu,\"node\":%u,\"text\":",
		r->index, (unsigned long long)r->offset,
		xr_trace_kind_name(r->kind), (unsigned long long)r->now_ms,
		r->node);
	xr_trace_rec_text(r, text, sizeof text);
	json_str(o, text);
	switch (r->kind) {
	case XR_TRACE_START:
		fputs(",\"config\":", o);
		json_config(o, &r->config);
		if (r->has_durable)
			fprintf(o,
				",\"durable\":{\"log_count\":%u,\"log_digest\":"
				"%llu,\"last_round\":%u,\"crossings\":%u,"
				"\"last_crossed_round\":%u,\"acked_round\":%u,"
				"\"snapshot_floor\":%u}",
				r->durable.log_count,
				(unsigned long long)r->durable.log_digest,
				r->durable.last_round, r->durable.crossings,
				r->durable.last_crossed_round,
				r->durable.acked_round, r->durable.snapshot_floor);
		break;
	case XR_TRACE_RECEIVE:
	case XR_TRACE_SEND:
		fputs(",\"msg\":", o);
		json_msg(o, &r->msg);
		break;
	case XR_TRACE_TIMER:
		fprintf(o, ",\"timer\":\"%s\"", xr_timer_name(r->timer));
		break;
	case XR_TRACE_COMMAND:
		fprintf(o, ",\"op\":\"%s\",\"rounds\":%u",
			xr_command_name(r->op), r->rounds);
		break;
	case XR_TRACE_EFFECT:
		fputs(",\"effect\":", o);
		json_str(o, r->effect);
		break;
	}
	fputc('}', o);
}

/* ------------------------------------------------------------ command */

/* Prints one file; 0, or 1 when it could not be read to its end. */
static int print_trace(const char *path, bool json, bool first_file)
{
	static struct xr_trace_rec rec, prev; /* large; one command at a time */
	struct xr_trace_reader *r;
	char why[512];
	int rc = xr_trace_reader_open(path, &r, why, sizeof why);

	if (json) {
		fputs(first_file ? "" : ",\n", stdout);
		fputs("{\"file\":", stdout);
		json_str(stdout, path);
		fputs(",\"records\":[", stdout);
	}
	if (rc != 0) {
		fprintf(stderr, "xroadctl trace: %s\n", why);
		if (json) {
			fputs("],\"error\":", stdout);
			json_str(stdout, why);
			fputs("}", stdout);
		}
		return 1;
	}

	memset(&prev, 0, sizeof prev);
	bool have_prev = false;
	while ((rc = xr_trace_next(r, &rec)) == 1) {
		if (json) {
			fputs(rec.index > 1 ? ",\n" : "\n", stdout);
			json_record(stdout, &rec);
			continue;
		}
		char line[XR_DESCRIBE_MAX + 128];
		xr_trace_rec_describe(&rec, have_prev ? &prev : NULL, line,
				      sizeof line);
		puts(line);
		if (rec.kind != XR_TRACE_SEND && rec.kind != XR_TRACE_EFFECT) {
			prev = rec;
			have_prev = true;
		}
	}
	if (rc < 0)
		fprintf(stderr, "xroadctl trace: %s\n",
			xr_trace_reader_error(r));
	if (json) {
		fputs("],\"error\":", stdout);
		if (rc < 0)
			json_str(stdout, xr_trace_reader_error(r));
		else
			fputs("null", stdout);
		fputs("}", stdout);
	}
	xr_trace_reader_close(r);
	return rc < 0 ? 1 : 0;
}

static void trace_usage(FILE *out)
{
	fprintf(out,
		"usage: xroadctl trace FILE... [--json]\n"
		"Prints node traces (xroad --trace FILE, tests/replay/*.trace):\n"
		"one line per record, inputs at the left margin as\n"
		"  @NOW_MS nNODE start|recv|timer|command ...\n"
		"and under each input the effects (fx ...) and messages (send\n"
		"FROM->TO ...) the core produced. --json prints {\"files\": [...]}"
		"\nwith every field. Exit status 1 if a file is unreadable or "
		"corrupt.\n");
}

int xr_ctl_trace(int argc, char **argv)
{
	bool json = false;
	int n_files = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0 ||
			   strcmp(argv[i], "-h") == 0) {
			trace_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "xroadctl trace: unknown option %s\n",
				argv[i]);
			trace_usage(stderr);
			return 2;
		} else {
			n_files++;
		}
	}
	if (n_files == 0) {
		trace_usage(stderr);
		return 2;
	}

	int status = 0;
	bool first = true;
	if (json)
		fputs("{\"files\":[", stdout);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			continue;
		if (!json && n_files > 1)
			printf("%s# %s\n", first ? "" : "\n", argv[i]);
		if (print_trace(argv[i], json, first) != 0)
			status = 1;
		first = false;
	}
	if (json)
		fputs("]}\n", stdout);
	return status;
}
