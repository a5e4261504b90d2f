/* Node traces merged into one run (see ctl_trace_merge.h for the rules). */
#include "ctl_trace_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One node's records in its own order, before the merge. */
struct node_list {
	struct xr_tm_event *ev;
	size_t n, cap;
};

/* A send not matched yet, for the receives that may come from it. */
struct pending {
	uint64_t hash;
	size_t ev; /* index in the merged order */
};

struct link {
	struct pending *p;
	size_t n, cap;
};

/* FNV-1a: only to skip most strcmp()s in the search for a send. */
static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The message's rendering without "send " / "recv ": what both ends share. */
static const char *msg_key(const struct xr_tm_event *e)
{
	return e->text + 5;
}

static int push_event(struct node_list *l, const struct xr_trace_rec *rec,
		      const char *text)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct xr_tm_event *ev = realloc(l->ev, cap * sizeof *ev);
		if (ev == NULL)
			return -1;
		l->ev = ev;
		l->cap = cap;
	}
	struct xr_tm_event *e = &l->ev[l->n];
	memset(e, 0, sizeof *e);
	e->text = strdup(text);
	if (e->text == NULL)
		return -1;
	e->kind = rec->kind;
	e->node = rec->node;
	e->now_ms = rec->now_ms;
	e->match = -1;
	if (rec->kind == XR_TRACE_RECEIVE || rec->kind == XR_TRACE_SEND) {
		e->from = rec->msg.from;
		e->to = rec->msg.to;
		e->type = rec->msg.type;
		if (rec->msg.type == XR_MSG_WAVE)
			e->wave_kind = rec->msg.u.wave.kind;
		if (rec->msg.type == XR_MSG_BLOCKED)
			for (uint32_t k = 0; k < rec->msg.u.blocked.n_waits;
			     k++)
				if (rec->msg.u.blocked.waits_for[k] <
				    XR_MAX_NODES)
					e->waits |= 1u << rec->msg.u.blocked
								  .waits_for[k];
	}
	l->n++;
	return 0;
}

static void note_start(struct xr_trace_merge *m, const struct xr_trace_rec *rec)
{
	const struct xr_node_config *c = &rec->config;
	if (m->run[0] == '\0')
		snprintf(m->run, sizeof m->run, "%s", c->run);
	if (c->light < XR_MAX_NODES)
		m->nodes[c->light].is_light = true;
	for (uint32_t i = 0; i < c->n_cars && i < XR_MAX_CARS; i++)
		if (c->cars[i] < XR_MAX_NODES) {
			m->nodes[c->cars[i]].has_approach = true;
			m->nodes[c->cars[i]].approach = c->approaches[i];
		}
}

/* Reads one file into the per-node lists. 0, 1 when it stopped at damage
 * (m->error set), -1 with `why` set. */
static int read_file(struct xr_trace_merge *m, struct node_list *lists,
		     const char *path, size_t *total, char *why, size_t why_len)
{
	static struct xr_trace_rec rec; /* large; one load at a time */
	struct xr_trace_reader *r;
	char err[512];

	if (xr_trace_reader_open(path, &r, err, sizeof err) != 0) {
		snprintf(why, why_len, "%s", err);
		return -1;
	}
	int rc;
	bool any = false;
	while ((rc = xr_trace_next(r, &rec)) == 1) {
		any = true;
		if (rec.node >=
		    XR_MAX_NODES) /* the reader validates; be sure */
			continue;
		struct xr_tm_node *nd = &m->nodes[rec.node];
		if (nd->file != NULL && nd->file != path) {
			snprintf(why, why_len,
				 "node %u is in both %s and %s: give each "
				 "node's trace once",
				 rec.node, nd->file, path);
			xr_trace_reader_close(r);
			return -1;
		}
		if (++*total > XR_TRACE_MERGE_MAX_RECORDS) {
			snprintf(why, why_len,
				 "%s: more than %u records in all: too many "
				 "for one picture (give fewer traces)",
				 path, XR_TRACE_MERGE_MAX_RECORDS);
			xr_trace_reader_close(r);
			return -1;
		}
		nd->file = path;
		nd->present = true;
		if (rec.kind == XR_TRACE_START)
			note_start(m, &rec);
		char text[XR_DESCRIBE_MAX];
		xr_trace_rec_text(&rec, text, sizeof text);
		if (push_event(&lists[rec.node], &rec, text) != 0) {
			snprintf(why, why_len, "%s: out of memory", path);
			xr_trace_reader_close(r);
			return -1;
		}
	}
	int status = 0;
	if (rc < 0) {
		if (m->error[0] == '\0')
			snprintf(m->error, sizeof m->error, "%s",
				 xr_trace_reader_error(r));
		status = 1;
	} else if (!any && m->error[0] == '\0') {
		snprintf(m->error, sizeof m->error,
			 "%s: no records (an empty "
			 "file)",
			 path);
		status = 1;
	}
	xr_trace_reader_close(r);
	return status;
}

/* Is there a send of `e`'s message on its sender, not merged yet, recorded
 * no later than `e`? Only records at e's millisecond can be (the merge is
 * by time), so the scan is short. */
static bool send_pending(const struct node_list *lists, const size_t *head,
			 const struct xr_tm_event *e, uint64_t hash)
{
	if (e->from >= XR_MAX_NODES)
		return false;
	const struct node_list *l = &lists[e->from];
	for (size_t i = head[e->from]; i < l->n && l->ev[i].now_ms <= e->now_ms;
	     i++) {
		const struct xr_tm_event *s = &l->ev[i];
		if (s->kind == XR_TRACE_SEND && s->to == e->to &&
		    hash_text(msg_key(s)) == hash &&
		    strcmp(msg_key(s), msg_key(e)) == 0)
			return true;
	}
	return false;
}

/* The latest unmatched send of `e`'s message already merged, removed from
 * its link; -1 if none. */
static long take_send(struct link *links, const struct xr_trace_merge *m,
		      const struct xr_tm_event *e, uint64_t hash)
{
	if (e->from >= XR_MAX_NODES || e->to >= XR_MAX_NODES)
		return -1;
	struct link *k = &links[e->from * XR_MAX_NODES + e->to];
	for (size_t i = k->n; i-- > 0;) {
		if (k->p[i].hash != hash ||
		    strcmp(msg_key(&m->ev[k->p[i].ev]), msg_key(e)) != 0)
			continue;
		long found = (long)k->p[i].ev;
		memmove(&k->p[i], &k->p[i + 1],
			(k->n - i - 1) * sizeof k->p[0]);
		k->n--;
		return found;
	}
	return -1;
}

static int add_send(struct link *links, const struct xr_tm_event *e,
		    uint64_t hash, size_t at)
{
	if (e->from >= XR_MAX_NODES || e->to >= XR_MAX_NODES)
		return 0;
	struct link *k = &links[e->from * XR_MAX_NODES + e->to];
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		struct pending *p = realloc(k->p, cap * sizeof *p);
		if (p == NULL)
			return -1;
		k->p = p;
		k->cap = cap;
	}
	k->p[k->n++] = (struct pending){.hash = hash, .ev = at};
	return 0;
}

/* Merges the per-node lists into m->ev, matching and clocking as it goes.
 * m->n_ev stays 0 unless it succeeds (the caller frees the texts then). */
static int merge(struct xr_trace_merge *m, struct node_list *lists,
		 size_t total)
{
	size_t head[XR_MAX_NODES] = {0};
	uint32_t N = m->n_nodes;
	uint32_t vc[XR_MAX_NODES][XR_MAX_NODES];
	memset(vc, 0, sizeof vc);
	struct link *links =
		calloc((size_t)XR_MAX_NODES * XR_MAX_NODES, sizeof *links);
	m->ev = malloc(total * sizeof *m->ev);
	m->clocks = malloc(total * N * sizeof *m->clocks);
	int rc = 0;
	if (links == NULL || m->ev == NULL || m->clocks == NULL) {
		rc = -1;
		goto out;
	}
	for (size_t out = 0; out < total; out++) {
		/* The head to take: smallest (time, rank); rank 0 for a
		 * send, effect, timer, command or start, 1 for a receive, 2
		 * for a receive waiting for a send of the same millisecond. */
		int best = -1, best_rank = 0;
		uint64_t best_t = 0, best_hash = 0;
		for (uint32_t n = 0; n < N; n++) {
			if (head[n] == lists[n].n)
				continue;
			const struct xr_tm_event *e = &lists[n].ev[head[n]];
			int rank = 0;
			uint64_t h = 0;
			if (e->kind == XR_TRACE_RECEIVE) {
				h = hash_text(msg_key(e));
				rank = send_pending(lists, head, e, h) ? 2 : 1;
			}
			if (best < 0 || e->now_ms < best_t ||
			    (e->now_ms == best_t && rank < best_rank)) {
				best = (int)n;
				best_t = e->now_ms;
				best_rank = rank;
				best_hash = h;
			}
		}
		/* best_rank 2 here: every node's next record at this
		 * millisecond is a receive waiting for another's send, a
		 * cycle no true matching has; it is taken unmatched. */
		struct xr_tm_event *e = &m->ev[out];
		*e = lists[best].ev[head[best]++];
		uint32_t self = e->node;
		if (e->kind == XR_TRACE_RECEIVE) {
			long s = best_rank == 1
					 ? take_send(links, m, e, best_hash)
					 : -1;
			if (s >= 0) {
				e->match = s;
				m->ev[s].match = (long)out;
				m->matched++;
				const uint32_t *sc = &m->clocks[(size_t)s * N];
				for (uint32_t k = 0; k < N; k++)
					if (sc[k] > vc[self][k])
						vc[self][k] = sc[k];
			} else {
				m->unmatched_recvs++;
			}
		}
		vc[self][self]++;
		memcpy(&m->clocks[out * N], vc[self], N * sizeof vc[0][0]);
		if (e->kind == XR_TRACE_SEND &&
		    add_send(links, e, hash_text(msg_key(e)), out) != 0) {
			rc = -1;
			goto out;
		}
	}
	m->n_ev = total;
	for (size_t i = 0; i < total; i++)
		if (m->ev[i].kind == XR_TRACE_SEND && m->ev[i].match < 0)
			m->unmatched_sends++;
	m->t_first = m->ev[0].now_ms;
	m->t_last = m->ev[0].now_ms;
	for (size_t i = 0; i < total; i++) {
		if (m->ev[i].now_ms < m->t_first)
			m->t_first = m->ev[i].now_ms;
		if (m->ev[i].now_ms > m->t_last)
			m->t_last = m->ev[i].now_ms;
	}
out:
	if (links != NULL)
		for (size_t i = 0; i < (size_t)XR_MAX_NODES * XR_MAX_NODES; i++)
			free(links[i].p);
	free(links);
	return rc;
}

int xr_trace_merge_load(struct xr_trace_merge *m, char *const *files,
			int n_files, char *why, size_t why_len)
{
	memset(m, 0, sizeof *m);
	struct node_list lists[XR_MAX_NODES];
	memset(lists, 0, sizeof lists);
	size_t total = 0;
	int status = 0;
	for (int f = 0; f < n_files; f++) {
		int rc = read_file(m, lists, files[f], &total, why, why_len);
		if (rc < 0) {
			status = -1;
			break;
		}
		if (rc > 0)
			status = 1;
	}
	if (status >= 0 && total == 0) {
		snprintf(why, why_len, "%s",
			 m->error[0] != '\0' ? m->error : "no records");
		status = -1;
	}
	if (status >= 0) {
		for (uint32_t n = 0; n < XR_MAX_NODES; n++)
			if (m->nodes[n].present)
				m->n_nodes = n + 1;
		if (merge(m, lists, total) != 0) {
			snprintf(why, why_len,
				 "out of memory merging %zu "
				 "records",
				 total);
			status = -1;
		}
	}
	/* The texts belong to the run once merged; until then, and when the
	 * merge failed, to the lists. */
	for (uint32_t n = 0; n < XR_MAX_NODES; n++) {
		if (m->n_ev == 0)
			for (size_t i = 0; i < lists[n].n; i++)
				free(lists[n].ev[i].text);
		free(lists[n].ev);
	}
	if (status < 0) {
		free(m->ev);
		free(m->clocks);
		m->ev = NULL;
		m->clocks = NULL;
	}
	return status;
}

void xr_trace_merge_free(struct xr_trace_merge *m)
{
	for (size_t i = 0; i < m->n_ev; i++)
		free(m->ev[i].text);
	free(m->ev);
	free(m->clocks);
	m->ev = NULL;
	m->clocks = NULL;
	m->n_ev = 0;
}

const char *xr_tm_node_role(const struct xr_trace_merge *m, uint32_t node,
			    char *buf, size_t cap)
{
	const struct xr_tm_node *nd = &m->nodes[node];
	if (nd->is_light)
		snprintf(buf, cap, "light");
	else if (nd->has_approach)
		snprintf(buf, cap, "car %s", xr_approach_name(nd->approach));
	else
		snprintf(buf, cap, "car");
	return buf;
}
