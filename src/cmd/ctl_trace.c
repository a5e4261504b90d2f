/* `xroadctl trace FILE... [--json]`: a node trace, readable. The text form is
 * xr_trace_rec_describe(), the very lines of a replay's text twin; --json
 * gives one object per file with every record's fields, for scripts:
 *   {"file": F, "records": [{"index", "offset", "kind", "now_ms", "node",
 *    "text", and per kind "config" | "msg" | "timer" | "op"+"rounds" |
 *    "effect"}, ...], "error": null | "what went wrong, where"}
 * A corrupt trace prints every good record before it, then the error (on
 * stderr, and in "error"), and the exit status is 1.
 * --svg and --shiviz draw the files together as one run
 * (ctl_trace_merge.h, ctl_trace_svg.h, ctl_trace_shiviz.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_trace_merge.h"
#include "ctl_trace_shiviz.h"
#include "ctl_trace_svg.h"
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

static void json_ids(FILE *o, const char *key, const uint32_t *ids, uint32_t n)
{
	fprintf(o, ",\"%s\":[", key);
	for (uint32_t i = 0; i < n; i++)
		fprintf(o, i > 0 ? ",%u" : "%u", ids[i]);
	fputc(']', o);
}

static void json_intents(FILE *o, const struct xr_car_intent *in, uint32_t n)
{
	fputs(",\"intents\":[", o);
	static const char *const lanes[] = {"", ",\"lane\":\"empty\"",
					    ",\"lane\":\"done\""};
	for (uint32_t i = 0; i < n; i++)
		fprintf(o,
			"%s{\"car\":%u,\"approach\":\"%s\",\"turn\":\"%s\","
			"\"arrival_ms\":%llu%s}",
			i > 0 ? "," : "", in[i].car,
			xr_approach_name(in[i].approach),
			xr_turn_name(in[i].turn),
			(unsigned long long)in[i].arrival_ms,
			lanes[(unsigned)in[i].lane <= XR_LANE_DONE ? in[i].lane
								   : 0]);
	fputc(']', o);
}

static void json_crossing(FILE *o, const struct xr_crossing *c)
{
	fprintf(o, "{\"round\":%u,\"index\":%u,\"car\":%u}", c->round, c->index,
		c->car);
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
		fprintf(o,
			",\"round\":%u,\"seen\":%u,\"overrides\":%u,"
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
	case XR_MSG_ARRIVED:
		fprintf(o, ",\"round\":%u", m->u.arrived.round);
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
			m->type == XR_MSG_REJOIN_STATE
				? &m->u.rejoin_state
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

	fprintf(o,
		"{\"index\":%u,\"offset\":%llu,\"kind\":\"%s\","
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
		if (r->has_durable) {
			fprintf(o,
				",\"durable\":{\"log_count\":%u,\"log_digest\":"
				"%llu,\"last_round\":%u,\"crossings\":%u,"
				"\"last_crossed_round\":%u,\"acked_round\":%u,"
				"\"snapshot_floor\":%u",
				r->durable.log_count,
				(unsigned long long)r->durable.log_digest,
				r->durable.last_round, r->durable.crossings,
				r->durable.last_crossed_round,
				r->durable.acked_round,
				r->durable.snapshot_floor);
			/* Open rounds only (a car's first start). */
			if (r->durable.arrivals_from_ms != 0)
				fprintf(o, ",\"arrivals_from_ms\":%llu",
					(unsigned long long)
						r->durable.arrivals_from_ms);
			fputs("}", o);
		}
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
		"       xroadctl trace FILE... --svg OUT [--from MS] [--to MS]\n"
		"                                       [--max-messages N]\n"
		"       xroadctl trace FILE... --shiviz OUT\n"
		"Prints node traces (xroad --trace FILE, tests/replay/*.trace):\n"
		"one line per record, inputs at the left margin as\n"
		"  @NOW_MS nNODE start|recv|timer|command ...\n"
		"and under each input the effects (fx ...) and messages (send\n"
		"FROM->TO ...) the core produced. --json prints {\"files\": [...]}"
		"\nwith every field.\n"
		"--svg OUT draws the run of every node given (each node's trace\n"
		"once) as a space-time diagram: a line per node, an arrow per\n"
		"message from send to receive (matched by content: the trace has\n"
		"no message ids), waves, probes and overrides coloured, the\n"
		"deadlocked intervals shaded; at most N messages (default %u:\n"
		"the picture says where it is cut), the window --from/--to MS\n"
		"(after the first record) picks the part drawn.\n"
		"--shiviz OUT writes the same run with vector clocks in ShiViz's\n"
		"log format (its parser regex is the file's first line). OUT may\n"
		"be - for stdout. Exit status 1 if a file is unreadable, empty or\n"
		"corrupt (a picture still shows every whole record before the\n"
		"damage).\n",
		XR_TRACE_SVG_MAX_MESSAGES);
}

/* A number for --from/--to/--max-messages: digits only, no sign, no
 * overflow. */
static int parse_ms(const char *s, uint64_t *out)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Opens OUT for a picture ("-": stdout); NULL after saying why. */
static FILE *open_out(const char *path)
{
	if (strcmp(path, "-") == 0)
		return stdout;
	FILE *o = fopen(path, "w");
	if (o == NULL)
		fprintf(stderr, "xroadctl trace: cannot write %s: %s\n", path,
			strerror(errno));
	return o;
}

/* Flushes and closes OUT; 1 with a line naming it when the picture could
 * not be written whole (a full disk). */
static int close_out(FILE *o, const char *path)
{
	int bad = ferror(o);
	if (o == stdout)
		bad |= fflush(o);
	else
		bad |= fclose(o);
	if (bad != 0) {
		fprintf(stderr, "xroadctl trace: writing %s failed: %s\n", path,
			strerror(errno));
		return 1;
	}
	return 0;
}

/* --svg or --shiviz: every file merged into one run, one picture. */
static int draw_run(char *const *files, int n_files, const char *svg,
		    const char *shiviz, const struct xr_trace_svg_opts *opt)
{
	static struct xr_trace_merge m; /* large; one command at a time */
	char why[700];
	if (xr_trace_merge_load(&m, files, n_files, why, sizeof why) < 0) {
		fprintf(stderr, "xroadctl trace: %s\n", why);
		return 1;
	}
	int status = 0;
	if (m.error[0] != '\0') {
		fprintf(stderr,
			"xroadctl trace: %s (the picture shows the "
			"records before it)\n",
			m.error);
		status = 1;
	}
	const char *path = svg != NULL ? svg : shiviz;
	FILE *o = open_out(path);
	if (o == NULL) {
		xr_trace_merge_free(&m);
		return 1;
	}
	if (svg != NULL) {
		if (xr_trace_svg_write(&m, opt, o, why, sizeof why) != 0) {
			fprintf(stderr, "xroadctl trace: %s\n", why);
			status = 1;
		}
	} else {
		xr_trace_shiviz_write(&m, o);
	}
	if (close_out(o, path) != 0)
		status = 1;
	if (o != stdout && status == 0)
		fprintf(stderr,
			"xroadctl trace: %s: %zu records of %u nodes, %zu "
			"receives matched to their sends, %zu sends never "
			"received, %zu receives whose send is not in the "
			"traces\n",
			path, m.n_ev, m.n_nodes, m.matched, m.unmatched_sends,
			m.unmatched_recvs);
	xr_trace_merge_free(&m);
	return status;
}

int xr_ctl_trace(int argc, char **argv)
{
	bool json = false;
	const char *svg = NULL, *shiviz = NULL;
	struct xr_trace_svg_opts opt = {0};
	bool have_window = false; /* --from, --to or --max-messages */
	/* argv[0] is the command name, free to hold nothing: the files are
	 * gathered in place, argv[1..n_files]. */
	char **files = argv + 1;
	int n_files = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			trace_usage(stdout);
			return 0;
		} else if (strcmp(a, "--svg") == 0 ||
			   strcmp(a, "--shiviz") == 0) {
			if (val == NULL) {
				fprintf(stderr,
					"xroadctl trace: %s needs a "
					"file to write (or -)\n",
					a);
				return 2;
			}
			if (strcmp(a, "--svg") == 0)
				svg = val;
			else
				shiviz = val;
			i++;
		} else if (strcmp(a, "--max-messages") == 0) {
			uint64_t v = 0;
			if (parse_ms(val, &v) != 0 || v == 0 ||
			    v > XR_TRACE_SVG_MAX_MESSAGES * 10) {
				fprintf(stderr,
					"xroadctl trace: --max-messages "
					"needs 1..%u, not %s\n",
					XR_TRACE_SVG_MAX_MESSAGES * 10,
					val ? val : "nothing");
				return 2;
			}
			opt.max_messages = (size_t)v;
			have_window = true;
			i++;
		} else if (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0) {
			bool to = strcmp(a, "--to") == 0;
			if (parse_ms(val, to ? &opt.to_ms : &opt.from_ms) !=
			    0) {
				fprintf(stderr,
					"xroadctl trace: %s needs a "
					"number of ms, not %s\n",
					a, val ? val : "nothing");
				return 2;
			}
			if (to)
				opt.has_to = true;
			have_window = true;
			i++;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "xroadctl trace: unknown option %s\n",
				a);
			trace_usage(stderr);
			return 2;
		} else {
			files[n_files++] = argv[i];
		}
	}
	if (n_files == 0) {
		trace_usage(stderr);
		return 2;
	}
	int pictures = (svg != NULL) + (shiviz != NULL);
	if (pictures + json > 1) {
		fprintf(stderr, "xroadctl trace: --json, --svg and --shiviz "
				"are one at a time\n");
		return 2;
	}
	if (have_window && svg == NULL) {
		fprintf(stderr, "xroadctl trace: --from, --to and "
				"--max-messages go with --svg\n");
		return 2;
	}
	if (opt.has_to && opt.to_ms < opt.from_ms) {
		fprintf(stderr,
			"xroadctl trace: --to %llu is before --from "
			"%llu\n",
			(unsigned long long)opt.to_ms,
			(unsigned long long)opt.from_ms);
		return 2;
	}
	if (pictures == 1)
		return draw_run(files, n_files, svg, shiviz, &opt);

	int status = 0;
	bool first = true;
	if (json)
		fputs("{\"files\":[", stdout);
	for (int i = 0; i < n_files; i++) {
		if (!json && n_files > 1)
			printf("%s# %s\n", first ? "" : "\n", files[i]);
		if (print_trace(files[i], json, first) != 0)
			status = 1;
		first = false;
	}
	if (json)
		fputs("]}\n", stdout);
	return status;
}
