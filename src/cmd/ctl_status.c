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
		int w = snprintf(buf + used, len - used, i ? ",%u" : "%u", v[i]);
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

void xr_ctl_status_print_json(const struct xr_ctl_cluster *c,
			      const struct xr_ctl_status *s)
{
	printf("{\"nodes\":[");
	for (uint32_t i = 0; i < c->n; i++) {
		const struct xr_ctl_target *t = &c->nodes[i];
		const Xroad__NodeStatus *n =
			s->replies[i] ? s->replies[i]->node : NULL;
		printf("%s{\"id\":%u,\"role\":\"%s\",\"address\":", i ? "," : "",
		       t->id, t->is_light ? "light" : "car");
		xr_ctl_json_string(t->address);
		printf(",\"reachable\":%s", n ? "true" : "false");
		if (n == NULL) {
			printf(",\"error\":");
			xr_ctl_json_string(s->errs[i]);
			printf("}");
			continue;
		}
		printf(",\"round\":%u,\"epoch\":%u,\"coordinator\":%u,"
		       "\"crossings\":%u,\"deadlocks\":%u,\"rounds_done\":%u,"
		       "\"rejected\":%u,\"rejected_tls\":%u,\"tls_dial_failed\":%u",
		       n->round, n->epoch, n->coordinator, n->crossings,
		       n->deadlocks, n->rounds_done, n->rejected, n->rejected_tls,
		       n->tls_dial_failed);
		if (!n->is_light) {
			printf(",\"state\":\"%s\"", xr_ctl_car_state_name(n->state));
			if (n->intent != NULL)
				printf(",\"intent\":{\"approach\":\"%s\","
				       "\"turn\":\"%s\",\"arrival_ms\":%llu}",
				       approach_name(n->intent->approach),
				       turn_name(n->intent->turn),
				       (unsigned long long)n->intent->arrival_ms);
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
		       "way), epoch %u\n", co.epoch);
		return;
	}
	bool light = co.index >= 0 && c->nodes[co.index].is_light;
	printf("coordinator: node %u (%s), epoch %u\n", co.id,
	       light ? "the light" : "a car, elected", co.epoch);
}

static void print_table(const struct xr_ctl_cluster *c,
			const struct xr_ctl_status *s)
{
	printf("%-3s %-6s %-24s %-5s %5s %-15s %-9s %-9s %9s %9s %s\n", "id",
	       "role", "address", "reach", "round", "intent", "state",
	       "waits-for", "crossings", "deadlocks", "last deadlock");
	for (uint32_t i = 0; i < c->n; i++) {
		const struct xr_ctl_target *t = &c->nodes[i];
		const Xroad__NodeStatus *n =
			s->replies[i] ? s->replies[i]->node : NULL;
		if (n == NULL) {
			printf("%-3u %-6s %-24s %-5s  %s\n", t->id,
			       t->is_light ? "light" : "car", t->address, "NO",
			       s->errs[i]);
			continue;
		}
		char intent[32] = "-", waits[64], last[96];
		if (n->intent != NULL)
			snprintf(intent, sizeof intent, "%s %s",
				 approach_name(n->intent->approach),
				 turn_name(n->intent->turn));
		ids(waits, sizeof waits, n->waits_for, n->n_waits_for);
		ids(last, sizeof last, n->last_deadlock, n->n_last_deadlock);
		printf("%-3u %-6s %-24s %-5s %5u %-15s %-9s %-9s %9u %9u %s%s\n",
		       t->id, n->is_light ? "light" : "car", t->address, "yes",
		       n->round, n->is_light ? "-" : intent,
		       n->is_light ? "-" : xr_ctl_car_state_name(n->state),
		       n->is_light ? "-" : waits, n->crossings, n->deadlocks,
		       n->n_last_deadlock ? "cycle " : "-",
		       n->n_last_deadlock ? last : "");
		if (n->is_light)
			printf("    epoch %u, %u rounds done, %u messages "
			       "refused\n",
			       n->epoch, n->rounds_done, n->rejected);
		/* Only where it happened: on a healthy cluster, nothing. */
		if (n->rejected_tls > 0 || n->tls_dial_failed > 0)
			printf("    TLS: %u handshakes refused, %u dials "
			       "failed\n",
			       n->rejected_tls, n->tls_dial_failed);
	}
	print_coordinator(c, s);
}

int xr_ctl_status(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: xroadctl --config FILE status [--json]\n"
			       "One row per node; exit 1 when a node is "
			       "unreachable (it is still listed).\n");
			return 0;
		} else {
			fprintf(stderr, "xroadctl status: unknown argument %s\n",
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
	}
	else {
		print_table(&c, &s);
		/* The run keys every crossing in the table; terraform makes a
		 * new one per deployment, and `log --run` reads another. */
		if (c.have_config)
			printf("run: %s\n", c.config.run);
	}
	int missing = 0;
	for (uint32_t i = 0; i < c.n; i++)
		missing += s.replies[i] == NULL;
	xr_ctl_status_free(&c, &s);
	return missing ? 1 : 0;
}
