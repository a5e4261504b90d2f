/* xroad: one node of the crossroad (the light or a car) as a process.
 * See usage() and docs/NET.md. Exit status: 0 clean stop, 1 runtime failure
 * (cannot listen, cloud unreachable at start), 2 bad usage, configuration or
 * routes file. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "embedded.h"
#include "err.h"
#include "log.h"
#include "xr_version.h"

/* The core's tracer (node.h): one `decision` line per decision. */
static void log_decision(void *ctx, uint32_t node, uint64_t now_ms,
			 const char *line)
{
	char quoted[600];

	(void)ctx;
	(void)node;
	xr_log(XR_LOG_DEBUG, "decision", "at_ms=%llu what=%s",
	       (unsigned long long)now_ms,
	       xr_log_quote(line, quoted, sizeof quoted));
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xroad --config FILE --id N [--trace FILE] [--cloud embedded|aws]\n"
		"       xroad --config FILE [--id N] [--cloud KIND] --check-config\n"
		"       xroad --version | --help\n"
		"\n"
		"Runs node N of the cluster described by FILE (docs/CONFIG.md): the light or\n"
		"one car, as the file's `node N ROLE APPROACH ADDRESS` line says. The node\n"
		"listens for requests (nng rep) on ADDRESS and for waves (nng surveyor) on\n"
		"ADDRESS's port+1 (tcp) or PATH.wave (ipc), and dials its topology\n"
		"neighbours' wave endpoints (docs/NET.md).\n"
		"\n"
		"  --config FILE     cluster configuration file (required; default\n"
		"                    $XROAD_CONFIG when set)\n"
		"  --id N            this node's id in FILE (required unless --check-config)\n"
		"  --trace FILE      write every event consumed and every message emitted as\n"
		"                    length-delimited TraceRecord protobuf (read it with\n"
		"                    `xroadctl trace FILE`); truncated at a fresh start,\n"
		"                    appended to when the node restarts from its state\n"
		"  --cloud KIND      embedded (files + SQLite in state_dir, the default) or\n"
		"                    aws (S3, Lambda, SQS, DynamoDB); overrides `cloud =`\n"
		"  --check-config    validate FILE (every node, or only --id N) and its routes\n"
		"                    file with the checks the start makes (ipc path lengths and\n"
		"                    directories, routes vs cloud, state_dir, TLS files), print\n"
		"                    a summary and exit 0, or exit 2 with file:line: key: reason\n"
		"  --version         the version and git commit it was built from\n"
		"  --help            this text\n"
		"\n"
		"At start every node fetches the routes file (`routes =`) through the cloud and\n"
		"each car picks its turn per round from its weights. A node keeps in state_dir:\n"
		"node-N.state (durable core state), node-N.log (the crossing log),\n"
		"node-N.pending/ (crossing reports not yet accepted by the cloud); the embedded\n"
		"cloud keeps the queue and the crossings table in state_dir/xroad.db. A node\n"
		"restarted with the same state_dir reloads its state and rejoins the round.\n"
		"The coordinator (the light, or the car elected while the light is away) also\n"
		"runs the queue poller that stores crossings in batches of 5, where `poller =`\n"
		"says so: by default with the embedded cloud, not with aws (there Lambda's\n"
		"event source mapping is the queue's only consumer).\n"
		"\n"
		"Logs: one key=value line per event on stderr (round_start, intent, enter,\n"
		"crossing, deadlock, round_end, done, rejected, ...); level from XROAD_LOG\n"
		"= error | warn | info (default) | debug.\n"
		"\n"
		"Signals: SIGTERM or SIGINT stop the node cleanly: pending crossing reports\n"
		"are sent, a coordinator running the poller drains the queue into the table, the trace is\n"
		"flushed and the durable state is already on disk. Messages in flight are\n"
		"resent by the peers' cores.\n"
		"\n"
		"Exit status: 0 stopped cleanly, 1 runtime failure, 2 bad usage,\n"
		"configuration or routes file.\n");
}

static int parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= XR_MAX_NODES)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* With TLS, node `id`'s material, checked (tls.h): a missing or wrong file
 * is a configuration error, found before any socket opens. */
static int load_tls(const struct xr_cluster *c, uint32_t id,
		    struct xr_tls **out, char *err, size_t err_len)
{
	char cert[XR_PATH_MAX], key[XR_PATH_MAX], name[XR_TLS_NAME_MAX];
	char why[768];
	int rc;

	*out = NULL;
	if (c->tls_ca[0] == '\0')
		return 0;
	if (xr_cluster_tls_files(c, id, cert, key, sizeof cert) != 0) {
		/* A cut message is better than none: snprintf's result is
		 * only looked at to say so to the compiler. */
		if (snprintf(err, err_len,
			     "%s: node %u: tls_cert or tls_key: path too long",
			     c->path, (unsigned)id) < 0)
			err[0] = '\0';
		return XR_ECONFIG;
	}
	xr_tls_node_name(id, name, sizeof name);
	rc = xr_tls_load(out, c->tls_ca, cert, key, name, why, sizeof why);
	if (rc != 0 &&
	    snprintf(err, err_len, "%s: node %u: %s", c->path, (unsigned)id,
		     rc == XR_ENOMEM ? "out of memory" : why) < 0)
		err[0] = '\0';
	return rc;
}

static int check_config(const char *path, const char *cloud, bool one,
			uint32_t id)
{
	static struct xr_cluster c;
	char err[1024];
	uint32_t weights[XR_TURNS] = {1, 1, 1};
	bool have_routes = false;
	int rc = xr_cluster_load(path, &c, err, sizeof err);

	if (rc != 0) {
		fprintf(stderr, "xroad: %s\n", err);
		return 2;
	}
	if (cloud != NULL)
		c.cloud = strcmp(cloud, "aws") == 0 ? XR_CLOUD_AWS
						    : XR_CLOUD_EMBEDDED;
	if (one && id >= c.n_nodes) {
		fprintf(stderr,
			"xroad: %s: node %u: not declared (ids 0..%u)\n", path,
			(unsigned)id, (unsigned)c.n_nodes - 1);
		return 2;
	}
	/* What the start checks before it opens anything, the same code. */
	if (xr_daemon_preflight(&c, one, id, err, sizeof err) != 0) {
		fprintf(stderr, "xroad: %s\n", err);
		return 2;
	}
	if (strncmp(c.routes, "s3://", 5) != 0) {
		char *text = NULL;
		if (xr_read_file(c.routes, 1u << 20, &text, NULL, err,
				 sizeof err) != 0 ||
		    xr_routes_parse(text, c.routes, weights, err, sizeof err) !=
			    0) {
			free(text);
			fprintf(stderr, "xroad: %s\n", err);
			return 2;
		}
		free(text);
		have_routes = true;
	}
	for (uint32_t i = 0; i < c.n_nodes; i++) {
		struct xr_node_config cfg;
		if (one && i != id)
			continue;
		if (xr_cluster_node_config(&c, i, &cfg, err, sizeof err) != 0) {
			fprintf(stderr, "xroad: %s\n", err);
			return 2;
		}
		memcpy(cfg.weights, weights, sizeof weights);
		if (xr_node_config_check(&cfg, err, sizeof err) != 0) {
			fprintf(stderr, "xroad: %s: node %u: %s\n", path,
				(unsigned)i, err);
			return 2;
		}
		struct xr_tls *tls;
		if (load_tls(&c, i, &tls, err, sizeof err) != 0) {
			fprintf(stderr, "xroad: %s\n", err);
			return 2;
		}
		xr_tls_free(tls);
	}
	printf("%s: ok: run=%s nodes=%u light=%u cars=%u topology=%s routes=%s%s "
	       "state_dir=%s tls=%s%s",
	       path, c.run, (unsigned)c.n_nodes, (unsigned)c.light,
	       (unsigned)c.n_nodes - 1, xr_topology_name(c.topology), c.routes,
	       have_routes ? "" : " (not checked: s3)", c.state_dir,
	       c.tls_ca[0] != '\0' ? "on, ca " : "off", c.tls_ca);
	/* Open rounds change what `rounds` means: said when in force. */
	if (c.arrivals != XR_ARRIVALS_ALWAYS)
		printf(" arrivals=%s headway_ms=%u vehicles_per_car=%u",
		       xr_arrivals_name(c.arrivals), (unsigned)c.headway_ms,
		       (unsigned)c.rounds);
	printf("\n");
	return 0;
}

/* How long a stop waits for nng's sockets to close (after the 300 ms
 * grace for pending sends) before it exits without them. */
#define CLOSE_LIMIT_MS 3000

static struct xr_daemon daemon_state;
static sigset_t stop_signals;

static void *signal_thread(void *arg)
{
	struct xr_daemon *d = arg;
	int sig;

	if (sigwait(&stop_signals, &sig) == 0) {
		d->stop = 1;
		xr_log(XR_LOG_INFO, "signal", "sig=%s -> stop",
		       sig == SIGTERM ? "TERM" : "INT");
		if (d->net != NULL)
			xr_net_wake(d->net);
	}
	return NULL;
}

static void shutdown_node(struct xr_daemon *d)
{
	uint64_t until = xr_net_now() + 3000;
	unsigned left;

	/* The worker first: then this thread owns the poller and the reports.
	 * Reports before the drain, so that the coordinator's own last reports
	 * (a car that coordinates) reach the table too. */
	xr_daemon_worker_stop(d);
	while ((left = xr_daemon_reports_flush(d, &d->worker_cloud,
					       xr_net_now(), true)) > 0 &&
	       xr_net_now() < until) {
		bool ready = false;
		for (int i = 0; i < XR_PENDING_MAX; i++)
			if (d->pending[i].used && d->pending[i].ready)
				ready = true;
		if (!ready)
			break;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (left > 0)
		xr_log(XR_LOG_WARN, "reports_left",
		       "count=%u dir=%s why=\"sent at next start\"", left,
		       d->pending_dir);
	if (d->poller_open) {
		int rc = xr_poller_drain(&d->poller, xr_net_now());
		if (rc < 0)
			xr_log(XR_LOG_WARN, "drain_failed", "why=\"%s\"",
			       d->worker_cloud.err);
		else
			d->stored += (uint64_t)rc;
		xr_poller_close(&d->poller);
		d->poller_open = false;
	}
	{
		struct xr_net_stats st;
		xr_net_get_stats(d->net, &st);
		xr_log(XR_LOG_INFO, "net_stats",
		       "received=%llu sent=%llu carried=%llu surveys=%llu responses=%llu dropped=%llu "
		       "rejected_malformed=%llu rejected_toobig=%llu rejected_sender=%llu "
		       "rejected_tls=%llu tls_dial_failed=%llu listeners_recreated=%llu "
		       "core_rejected=%u",
		       (unsigned long long)st.received,
		       (unsigned long long)st.sent,
		       (unsigned long long)st.carried,
		       (unsigned long long)st.surveys,
		       (unsigned long long)st.responses,
		       (unsigned long long)st.send_dropped,
		       (unsigned long long)st.rejected_malformed,
		       (unsigned long long)st.rejected_toobig,
		       (unsigned long long)st.rejected_sender,
		       (unsigned long long)st.rejected_tls,
		       (unsigned long long)st.tls_dial_failed,
		       (unsigned long long)st.listeners_recreated,
		       (unsigned)d->node.rejected);
	}
	pthread_mutex_lock(&d->core_mtx);
	xr_daemon_release_held(d); /* before its slot goes with the net */
	pthread_mutex_unlock(&d->core_mtx);
	/* Bounded (net.h): a close stuck in nng must not keep a stopping node
	 * alive until SIGKILL. Every durable write was synced when it was made
	 * (persist before send), so what is left below is closing files. */
	if (xr_net_close_within(d->net, 300, CLOSE_LIMIT_MS) != 0) {
		xr_log(XR_LOG_ERROR, "net_close_stuck",
		       "waited_ms=%d why=\"nng_close() did not return (nng 1.5 close "
		       "hangs, nng issues #1543 and #1813)\" action=\"closing the "
		       "state and exiting without it\"",
		       CLOSE_LIMIT_MS);
		d->net_stuck = true;
	}
	d->net = NULL;
	xr_tls_free(d->tls);
	d->tls = NULL;
	if (d->trace != NULL && xr_trace_close(d->trace) != 0)
		xr_log(XR_LOG_ERROR, "trace_close_failed",
		       "why=\"incomplete trace\"");
	d->trace = NULL;
	xr_daemon_state_close(d);
	if (d->cloud_open) {
		xr_cloud_close(&d->cloud);
		xr_cloud_close(&d->worker_cloud);
	}
	d->cloud_open = false;
	xr_log(XR_LOG_INFO, "stopped", "crossings=%u reports=%llu stored=%llu",
	       (unsigned)d->node.durable.log_count,
	       (unsigned long long)d->reports_sent,
	       (unsigned long long)d->stored);
}

int main(int argc, char **argv)
{
	struct xr_daemon *d = &daemon_state;
	const char *config = NULL, *trace = NULL, *cloud = NULL;
	bool check = false, have_id = false;
	uint32_t id = 0;
	char err[1024];
	struct xr_durable durable;
	bool have_durable;
	pthread_t sig_thread;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			printf("xroad %s\n", XR_VERSION);
			return 0;
		} else if (strcmp(a, "--check-config") == 0) {
			check = true;
		} else if (strcmp(a, "--config") == 0 && v != NULL) {
			config = v;
			i++;
		} else if (strcmp(a, "--trace") == 0 && v != NULL) {
			trace = v;
			i++;
		} else if (strcmp(a, "--cloud") == 0 && v != NULL) {
			cloud = v;
			i++;
		} else if (strcmp(a, "--id") == 0 && v != NULL) {
			if (parse_id(v, &id) != 0) {
				fprintf(stderr,
					"xroad: --id: expected a node id 0..%d: \"%s\"\n",
					XR_MAX_NODES - 1, v);
				return 2;
			}
			have_id = true;
			i++;
		} else {
			fprintf(stderr,
				"xroad: %s: unknown option or missing value (see --help)\n",
				a);
			return 2;
		}
	}
	/* The environment names the file when --config does not (issue 13):
	 * one export per shell instead of the path on every command. */
	if (config == NULL && getenv("XROAD_CONFIG") != NULL &&
	    getenv("XROAD_CONFIG")[0] != '\0')
		config = getenv("XROAD_CONFIG");
	if (config == NULL) {
		fprintf(stderr,
			"xroad: --config FILE (or XROAD_CONFIG) is required (see --help)\n");
		return 2;
	}
	if (cloud != NULL && strcmp(cloud, "embedded") != 0 &&
	    strcmp(cloud, "aws") != 0) {
		fprintf(stderr,
			"xroad: --cloud: expected embedded or aws: \"%s\"\n",
			cloud);
		return 2;
	}
	if (check)
		return check_config(config, cloud, have_id, id);
	if (!have_id) {
		fprintf(stderr, "xroad: --id N is required (see --help)\n");
		return 2;
	}

	xr_log_init((int)id);
	pthread_mutex_init(&d->rep_mtx, NULL);
	pthread_mutex_init(&d->core_mtx, NULL);
	pthread_cond_init(&d->rep_cv, NULL);
	/* Block the stop signals before nng starts its threads: only the
	 * signal thread takes them, then wakes the loop. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (xr_cluster_load(config, &d->cluster, err, sizeof err) != 0) {
		fprintf(stderr, "xroad: %s\n", err);
		return 2;
	}
	if (cloud != NULL)
		d->cluster.cloud = strcmp(cloud, "aws") == 0
					   ? XR_CLOUD_AWS
					   : XR_CLOUD_EMBEDDED;
	d->self = id;
	if (xr_cluster_node_config(&d->cluster, id, &d->cfg, err, sizeof err) !=
	    0) {
		fprintf(stderr, "xroad: %s\n", err);
		return 2;
	}
	d->is_light = id == d->cluster.light;
	if (xr_daemon_preflight(&d->cluster, true, id, err, sizeof err) != 0) {
		fprintf(stderr, "xroad: %s\n", err);
		return 2;
	}
	if (load_tls(&d->cluster, id, &d->tls, err, sizeof err) != 0) {
		fprintf(stderr, "xroad: %s\n", err);
		return 2;
	}

	if (d->cluster.cloud == XR_CLOUD_AWS)
		rc = xr_cloud_open_aws(&d->cloud);
	else
		rc = xr_cloud_open_embedded(&d->cloud, d->cluster.state_dir);
	if (rc != 0) {
		fprintf(stderr, "xroad: node %u: cloud %s: %s\n", (unsigned)id,
			d->cluster.cloud == XR_CLOUD_AWS ? "aws" : "embedded",
			d->cloud.err);
		return 1;
	}
	d->cloud_open = true;
	rc = xr_daemon_routes(d, d->cfg.weights, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "xroad: %s\n", err);
		xr_cloud_close(&d->cloud);
		return rc == XR_ECONFIG ? 2 : 1;
	}
	d->fingerprint = xr_daemon_fingerprint(&d->cluster, d->cfg.weights);
	if (xr_node_config_check(&d->cfg, err, sizeof err) != 0) {
		fprintf(stderr, "xroad: %s: node %u: %s\n", config,
			(unsigned)id, err);
		xr_cloud_close(&d->cloud);
		return 2;
	}
	if (xr_daemon_state_open(d, &durable, &have_durable) != 0) {
		fprintf(stderr,
			"xroad: node %u: cannot use state_dir %s (see log)\n",
			(unsigned)id, d->cluster.state_dir);
		xr_cloud_close(&d->cloud);
		return 1;
	}
	xr_daemon_reports_load(d);
	/* The core's "condition -> action" lines, at debug level only: the
	 * tracer formats a line per decision, which a node at info level
	 * need not pay for. */
	if (xr_log_enabled(XR_LOG_DEBUG))
		d->cfg.tracer = log_decision;
	rc = xr_node_init(&d->node, &d->cfg, have_durable ? &durable : NULL);
	if (rc != 0) {
		fprintf(stderr, "xroad: node %u: core init: %s\n", (unsigned)id,
			xr_strerror(rc));
		return 1;
	}
	d->restarted = have_durable;
	d->durable_at_start = durable;
	if (trace != NULL) {
		/* A restarted node continues its trace: one file, its whole life. */
		uint64_t dropped = 0;
		rc = have_durable
			     ? xr_trace_open_append(trace, &d->trace, &dropped,
						    err, sizeof err)
			     : xr_trace_open(trace, &d->trace, err, sizeof err);
		if (rc != 0) {
			fprintf(stderr, "xroad: --trace: %s\n", err);
			return 2;
		}
		if (dropped > 0)
			xr_log(XR_LOG_WARN, "trace_repaired",
			       "path=%s dropped_bytes=%llu", trace,
			       (unsigned long long)dropped);
	}
	if (xr_daemon_worker_start(d, err, sizeof err) != 0) {
		fprintf(stderr, "xroad: node %u: %s\n", (unsigned)id, err);
		return 1;
	}
	rc = xr_net_open(&d->net, &d->cluster, id, d->tls, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "xroad: %s\n", err);
		return 1;
	}
	xr_daemon_rpc_init(d);
	pthread_create(&sig_thread, NULL, signal_thread, d);
	pthread_detach(sig_thread);
	xr_log(XR_LOG_INFO, "started",
	       "role=%s address=%s wave=%s tls=%s topology=%s neighbours=%u restarted=%d "
	       "crossings=%u weights=%u/%u/%u run=%s fingerprint=%016llx",
	       d->is_light ? "light" : "car", d->cluster.nodes[id].address,
	       d->cluster.nodes[id].wave_address, d->tls != NULL ? "on" : "off",
	       xr_topology_name(d->cluster.topology),
	       (unsigned)d->cfg.n_neighbours, have_durable ? 1 : 0,
	       (unsigned)durable.log_count, (unsigned)d->cfg.weights[XR_RIGHT],
	       (unsigned)d->cfg.weights[XR_STRAIGHT],
	       (unsigned)d->cfg.weights[XR_LEFT], d->cfg.run,
	       (unsigned long long)d->fingerprint);
	xr_daemon_run(d);
	shutdown_node(d);
	xr_log_flush();
	if (d->net_stuck) {
		/* nng's threads are still inside the close: exit() would run
		 * atexit handlers under them. Everything of ours is closed. */
		fflush(stdout);
		_exit(d->disk_failed ? 1 : 0);
	}
	return d->disk_failed ? 1 : 0;
}
