/* xroadctl status [--json]: one row per node, asked over the nodes' own RPC
 * service. A node that does not answer within the deadline is listed as
 * unreachable, with the reason, and the others are still shown. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_cluster.h"

static const char *approach_name(int a)
{
	static const char *const names[] = {"-", "S", "E", "N", "W"};
	return a >= 0 && a <= 4 ? names[a] : "?";
}

static const char *turn_name(int t)
{
	static const char *const names[] = {"-", "right", "straight", "left"};
	return t >= 0 && t <= 3 ? names[t] : "?";
}

static void ids(char *buf, size_t len, const uint32_t *v, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, len, "-");
		return;
	}
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, i ? ",%u" : "%u",
				 v[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void json_ids(const char *key, const uint32_t *v, size_t n)
{
	printf("\"%s\":[", key);
	for (size_t i = 0; i < n; i++)
		printf(i ? ",%u" : "%u", v[i]);
	printf("]");
}

static const char *arrivals_name(const Xroad__NodeStatus *n)
{
	return xr_arrivals_name((enum xr_arrivals)n->arrivals);
}

void xr_ctl_status_print_json(const struct xr_ctl_cluster *c,
			      const struct xr_ctl_status *s)
{
	printf("{\"nodes\":[");
	for (uint32_t i = 0; i < c->n; i++) {
		const struct xr_ctl_target *t = &c->nodes[i];
		const Xroad__NodeStatus *n =
			s->replies[i] ? s->replies[i]->node : NULL;
		/* --node and no answer: the id and role are not known. */
		if (n == NULL && t->id_unknown)
			printf("%s{\"id\":null,\"role\":null,\"address\":",
			       i ? "," : "");
		else
			printf("%s{\"id\":%u,\"role\":\"%s\",\"address\":",
			       i ? "," : "", xr_ctl_node_id(c, s, i),
			       xr_ctl_node_is_light(c, s, i) ? "light" : "car");
		xr_ctl_json_string(t->address);
		printf(",\"reachable\":%s", n ? "true" : "false");
		if (n == NULL) {
			printf(",\"error\":");
			xr_ctl_json_string(s->errs[i]);
			printf("}");
			continue;
		}
		/* "crossings" is the node's log (every car's crossings, the
		 * cluster's), kept under its old name for scripts; "logged" is
		 * the same number under an honest one, "own" a car's own. */
		printf(",\"round\":%u,\"epoch\":%u,\"coordinator\":%u,"
		       "\"crossings\":%u,\"logged\":%u,\"deadlocks\":%u,\"rounds_done\":%u,"
		       "\"rejected\":%u,\"rejected_tls\":%u,\"tls_dial_failed\":%u",
		       n->round, n->epoch, n->coordinator, n->crossings,
		       n->crossings, n->deadlocks, n->rounds_done, n->rejected,
		       n->rejected_tls, n->tls_dial_failed);
		if (n->coordinator == n->id)
			printf(",\"paused\":%s,\"rounds_queued\":%u",
			       n->paused ? "true" : "false", n->rounds_queued);
		if (!n->is_light)
			printf(",\"own\":%u", n->own_crossings);
		printf(",\"cluster\":\"%016llx\"",
		       (unsigned long long)n->cluster);
		/* Open rounds: the node's setting; a car's vehicles. */
		printf(",\"arrivals\":\"%s\"", arrivals_name(n));
		if (xr_ctl_poisson(n)) {
			printf(",\"headway_ms\":%u", n->headway_ms);
			if (!n->is_light)
				printf(",\"queue\":{\"vehicles\":%u,\"arrived\":"
				       "%u,\"crossed\":%u,\"waiting\":%u}",
				       n->vehicles, n->arrived,
				       n->own_crossings,
				       xr_ctl_vehicles_waiting(n));
		}
		if (!n->is_light) {
			printf(",\"state\":\"%s\"",
			       xr_ctl_car_state_name(n->state));
			if (n->intent != NULL)
				printf(",\"intent\":{\"approach\":\"%s\","
				       "\"turn\":\"%s\",\"arrival_ms\":%llu}",
				       approach_name(n->intent->approach),
				       turn_name(n->intent->turn),
				       (unsigned long long)
					       n->intent->arrival_ms);
			else
				printf(",\"intent\":null");
			printf(",");
			json_ids("waits_for", n->waits_for, n->n_waits_for);
		}
		printf(",");
		json_ids("last_deadlock", n->last_deadlock, n->n_last_deadlock);
		printf("}");
	}
	printf("]}");
}

/* The newest epoch any reachable node knows, and who coordinates in it:
 * after a failover this is a car, and the line says so. The same choice as
 * run, pause and resume make (ctl_control.c). */
static void print_coordinator(const struct xr_ctl_cluster *c,
			      const struct xr_ctl_status *s)
{
	struct xr_ctl_coordinator co;
	xr_ctl_find_coordinator(c, s, &co);
	if (!co.answered)
		return;
	if (!co.known) {
		printf("coordinator: none known yet (an election is under "
		       "way), epoch %u\n",
		       co.epoch);
		return;
	}
	/* The coordinator's own answer, if we have it: with --config its
	 * entry; with --node the one node, when it is the coordinator. */
	const Xroad__NodeStatus *n = NULL;
	if (co.index >= 0 && s->replies[co.index] != NULL)
		n = s->replies[co.index]->node;
	else if (!c->have_config && s->replies[0] != NULL &&
		 s->replies[0]->node != NULL &&
		 s->replies[0]->node->id == co.id)
		n = s->replies[0]->node;
	if (n == NULL) {
		/* Its role is not known here (--node at another node). */
		printf("coordinator: node %u, epoch %u\n", co.id, co.epoch);
		return;
	}
	printf("coordinator: node %u (%s), epoch %u", co.id,
	       n->is_light ? "the light" : "a car, elected", co.epoch);
	/* Its pause and queue: only the coordinator knows them. With open
	 * rounds there is no queue of rounds (rounds_queued is the light's
	 * budget, docs/CONFIG.md): rounds open as vehicles come. */
	if (n->coordinator == n->id && xr_ctl_poisson(n))
		printf(", %s, %u rounds done, open rounds (as vehicles come)",
		       n->paused ? "PAUSED" : "running", n->rounds_done);
	else if (n->coordinator == n->id)
		printf(", %s, %u rounds done, %u queued",
		       n->paused ? "PAUSED" : "running", n->rounds_done,
		       n->rounds_queued);
	printf("\n");
}

/* Config drift (daemon_fingerprint.c): nodes whose settings' fingerprint
 * is not the one most nodes answered with. Such a node's messages are
 * refused by the others, and theirs by it. */
static void print_drift(const struct xr_ctl_cluster *c,
			const struct xr_ctl_status *s)
{
	uint64_t common = 0;
	uint32_t best = 0;
	for (uint32_t i = 0; i < c->n; i++) {
		const Xroad__NodeStatus *a =
			s->replies[i] ? s->replies[i]->node : NULL;
		uint32_t same = 0;
		for (uint32_t j = 0; a != NULL && j < c->n; j++) {
			const Xroad__NodeStatus *b =
				s->replies[j] ? s->replies[j]->node : NULL;
			same += b != NULL && b->cluster == a->cluster;
		}
		if (same > best) {
			best = same;
			common = a->cluster;
		}
	}
	for (uint32_t i = 0; i < c->n; i++) {
		const Xroad__NodeStatus *n =
			s->replies[i] ? s->replies[i]->node : NULL;
		if (n != NULL && n->cluster != common)
			printf("config: node %u runs another configuration "
			       "(fingerprint %016llx, most nodes %016llx): the others "
			       "refuse its messages\n",
			       n->id, (unsigned long long)n->cluster,
			       (unsigned long long)common);
	}
}

static void print_table(const struct xr_ctl_cluster *c,
			const struct xr_ctl_status *s)
{
	printf("%-3s %-6s %-24s %-5s %5s %-15s %-9s %-9s %6s %4s %9s %s\n",
	       "id", "role", "address", "reach", "round", "intent", "state",
	       "waits-for", "logged", "own", "deadlocks", "last deadlock");
	for (uint32_t i = 0; i < c->n; i++) {
		const struct xr_ctl_target *t = &c->nodes[i];
		const Xroad__NodeStatus *n =
			s->replies[i] ? s->replies[i]->node : NULL;
		if (n == NULL) {
			/* The row names the node; the reason alone follows. */
			if (!t->id_unknown)
				printf("%-3u %-6s", t->id,
				       t->is_light ? "light" : "car");
			else
				printf("%-3s %-6s", "?", "?");
			printf(" %-24s %-5s  %s\n", t->address, "NO",
			       s->why[i]);
			continue;
		}
		char own[16] = "-";
		if (!n->is_light)
			snprintf(own, sizeof own, "%u", n->own_crossings);
		char intent[32] = "-", waits[64], last[96];
		if (n->intent != NULL)
			snprintf(intent, sizeof intent, "%s %s",
				 approach_name(n->intent->approach),
				 turn_name(n->intent->turn));
		ids(waits, sizeof waits, n->waits_for, n->n_waits_for);
		ids(last, sizeof last, n->last_deadlock, n->n_last_deadlock);
		printf("%-3u %-6s %-24s %-5s %5u %-15s %-9s %-9s %6u %4s %9u %s%s\n",
		       xr_ctl_node_id(c, s, i), n->is_light ? "light" : "car",
		       t->address, "yes", n->round, n->is_light ? "-" : intent,
		       n->is_light ? "-" : xr_ctl_car_state_name(n->state),
		       n->is_light ? "-" : waits, n->crossings, own,
		       n->deadlocks, n->n_last_deadlock ? "cycle " : "-",
		       n->n_last_deadlock ? last : "");
		if (n->is_light)
			printf("    epoch %u, %u rounds done, %u messages "
			       "refused\n",
			       n->epoch, n->rounds_done, n->rejected);
		/* Open rounds: the car's queue. With always, nothing. */
		if (!n->is_light && xr_ctl_poisson(n))
			printf("    vehicles: %u of %u arrived, %u crossed, %u "
			       "waiting\n",
			       n->arrived, n->vehicles, n->own_crossings,
			       xr_ctl_vehicles_waiting(n));
		/* Only where it happened: on a healthy cluster, nothing. */
		if (n->rejected_tls > 0 || n->tls_dial_failed > 0)
			printf("    TLS: %u handshakes refused, %u dials "
			       "failed\n",
			       n->rejected_tls, n->tls_dial_failed);
	}
	print_coordinator(c, s);
	print_drift(c, s);
	printf("(logged: entries in the node's crossing log, every car's; own: the "
	       "crossings a car made itself, as `snapshot` counts them)\n");
}

/* "arrivals: poisson, mean headway 150 ms, 6 vehicles per car". `vehicles`
 * 0: not known (--node at the light, which sends none). */
static void print_arrivals(enum xr_arrivals a, uint32_t headway_ms,
			   uint32_t vehicles)
{
	if (a != XR_ARRIVALS_POISSON) {
		printf("arrivals: %s\n", xr_arrivals_name(a));
		return;
	}
	printf("arrivals: %s, mean headway %u ms", xr_arrivals_name(a),
	       headway_ms);
	if (vehicles > 0)
		printf(", %u vehicles per car", vehicles);
	printf("\n");
}

int xr_ctl_status(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: xroadctl --config FILE status [--json]\n"
			       "One row per node (logged: entries in the node's "
			       "crossing log, every car's;\nown: a car's own "
			       "crossings), then the coordinator, whether it is "
			       "paused and how\nmany rounds it has queued; with "
			       "arrivals = poisson, every car's vehicles\n(arrived, "
			       "crossed, waiting). Exit 1 when a node is unreachable "
			       "(it is still\nlisted).\n");
			return 0;
		} else {
			fprintf(stderr,
				"xroadctl status: unknown argument %s\n",
				argv[i]);
			return 2;
		}
	}
	struct xr_ctl_cluster c;
	int rc = xr_ctl_cluster_open(&c);
	if (rc != 0)
		return rc;
	static struct xr_ctl_status s;
	xr_ctl_status_all(&c, &s);
	if (json) {
		xr_ctl_status_print_json(&c, &s);
		printf("\n");
	} else {
		print_table(&c, &s);
		/* The run keys every crossing in the table; terraform makes a
		 * new one per deployment, and `log --run` reads another. */
		if (c.have_config) {
			printf("run: %s\nschedule: %s\n", c.config.run,
			       xr_schedule_name(c.config.schedule));
			print_arrivals(c.config.arrivals, c.config.headway_ms,
				       c.config.rounds);
		} else if (s.replies[0] != NULL && s.replies[0]->node != NULL) {
			/* --node: the one node's own setting. */
			const Xroad__NodeStatus *n = s.replies[0]->node;
			print_arrivals((enum xr_arrivals)n->arrivals,
				       n->headway_ms, n->vehicles);
		}
	}
	int missing = 0;
	for (uint32_t i = 0; i < c.n; i++)
		missing += s.replies[i] == NULL;
	xr_ctl_status_free(&c, &s);
	return missing ? 1 : 0;
}
