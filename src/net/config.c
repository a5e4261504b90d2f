/* Parser of the cluster configuration file and the routes file
 * (docs/CONFIG.md). Every input line is checked; an error names the file, the
 * line and the key, and the parser never reads past the buffer it was given. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"

#define LINE_MAX_LEN 4096

static int copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Unsigned decimal, the whole token, no sign, no overflow past `max`. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Splits at whitespace into at most `max` tokens; returns the count, or
 * max + 1 when there are more. */
static int split(char *s, char **tok, int max)
{
	int n = 0;

	for (;;) {
		while (*s != '\0' && isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			return n;
		if (n == max)
			return max + 1;
		tok[n++] = s;
		while (*s != '\0' && !isspace((unsigned char)*s))
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

static int resolve_path(const char *dir, const char *p, char *out, size_t cap)
{
	int n;

	if (p[0] == '/' || strncmp(p, "s3://", 5) == 0 || dir == NULL ||
	    dir[0] == '\0')
		return copy_str(out, cap, p);
	n = snprintf(out, cap, "%s/%s", dir, p);
	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

/* A node file template may hold "{id}" and no other brace: "{ID}" or
 * "%d" would otherwise name one file for every node without a word. */
static int check_template(const char *p)
{
	for (; *p != '\0'; p++) {
		if (*p == '{' && strncmp(p, "{id}", 4) == 0)
			p += 3;
		else if (*p == '{' || *p == '}')
			return -1;
	}
	return 0;
}

/* Copies `tmpl` with every "{id}" replaced by `id`. */
static int expand_id(const char *tmpl, uint32_t id, char *out, size_t cap)
{
	char num[16];
	size_t o = 0, nl;

	nl = (size_t)snprintf(num, sizeof num, "%u", (unsigned)id);
	while (*tmpl != '\0') {
		if (strncmp(tmpl, "{id}", 4) == 0) {
			if (o + nl >= cap)
				return -1;
			memcpy(out + o, num, nl);
			o += nl;
			tmpl += 4;
			continue;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = *tmpl++;
	}
	if (cap == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

int xr_config_path_beside(const char *path, const char *name, char *out,
			  size_t cap)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (slash == NULL)
		return copy_str(out, cap, name);
	n = snprintf(out, cap, "%.*s/%s", (int)(slash - path), path, name);
	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

/* tcp://HOST:PORT, tls+tcp://HOST:PORT or ipc:///path. On success the wave
 * endpoint is derived into `wave` and the tcp port (0 for ipc) returned. */
static int check_address(const char *a, char *wave, size_t wave_len, char *host,
			 size_t host_len, unsigned *port, const char **why)
{
	const char *rest, *colon;
	uint64_t p;
	int n;

	*port = 0;
	host[0] = '\0';
	if (strncmp(a, "ipc://", 6) == 0) {
		if (strlen(a + 6) == 0) {
			*why = "ipc address has no path";
			return -1;
		}
		n = snprintf(wave, wave_len, "%s.wave", a);
		if (n < 0 || (size_t)n >= wave_len) {
			*why = "address too long";
			return -1;
		}
		return 0;
	}
	if (strncmp(a, "tcp://", 6) == 0)
		rest = a + 6;
	else if (strncmp(a, "tls+tcp://", 10) == 0)
		rest = a + 10;
	else {
		*why = "expected tcp://HOST:PORT, tls+tcp://HOST:PORT or ipc:///PATH";
		return -1;
	}
	colon = strrchr(rest, ':');
	if (colon == NULL || colon == rest) {
		*why = "expected HOST:PORT";
		return -1;
	}
	if (parse_u64(colon + 1, 65534, &p) != 0 || p == 0) {
		*why = "port must be 1..65534 (the wave endpoint uses PORT+1)";
		return -1;
	}
	if ((size_t)(colon - rest) >= host_len) {
		*why = "host too long";
		return -1;
	}
	memcpy(host, rest, (size_t)(colon - rest));
	host[colon - rest] = '\0';
	*port = (unsigned)p;
	n = snprintf(wave, wave_len, "%.*s%u", (int)(colon + 1 - a), a,
		     (unsigned)p + 1);
	if (n < 0 || (size_t)n >= wave_len) {
		*why = "address too long";
		return -1;
	}
	return 0;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void edge(struct xr_cluster *c, uint32_t a, uint32_t b)
{
	c->adj[a] |= (xr_set)1 << b;
	c->adj[b] |= (xr_set)1 << a;
}

static void build_topology(struct xr_cluster *c)
{
	uint32_t n = c->n_nodes, i, j;
	uint32_t perm[XR_MAX_NODES];
	uint64_t rng = c->seed ^ 0x746f706f6c6f6779ULL; /* "topology" */

	memset(c->adj, 0, sizeof c->adj);
	switch (c->topology) {
	case XR_TOPO_STAR:
		for (i = 0; i < n; i++)
			if (i != c->light)
				edge(c, c->light, i);
		break;
	case XR_TOPO_RING:
		for (i = 0; i + 1 < n; i++)
			edge(c, i, i + 1);
		if (n > 2)
			edge(c, n - 1, 0);
		break;
	case XR_TOPO_LINE:
		for (i = 0; i + 1 < n; i++)
			edge(c, i, i + 1);
		break;
	case XR_TOPO_COMPLETE:
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				edge(c, i, j);
		break;
	case XR_TOPO_RANDOM:
		/* A random spanning tree keeps it connected; every other pair
		 * becomes an edge with probability 1/3. */
		for (i = 0; i < n; i++)
			perm[i] = i;
		for (i = n; i > 1; i--) {
			uint32_t k = (uint32_t)(splitmix64(&rng) % i);
			uint32_t t = perm[i - 1];
			perm[i - 1] = perm[k];
			perm[k] = t;
		}
		for (i = 1; i < n; i++)
			edge(c, perm[i],
			     perm[(uint32_t)(splitmix64(&rng) % i)]);
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (splitmix64(&rng) % 3 == 0)
					edge(c, i, j);
		break;
	}
}

const char *xr_topology_name(enum xr_topology t)
{
	switch (t) {
	case XR_TOPO_STAR:
		return "star";
	case XR_TOPO_RING:
		return "ring";
	case XR_TOPO_LINE:
		return "line";
	case XR_TOPO_COMPLETE:
		return "complete";
	case XR_TOPO_RANDOM:
		return "random";
	}
	return "?";
}

int xr_topology_parse(const char *s, enum xr_topology *out)
{
	static const enum xr_topology all[] = {XR_TOPO_STAR, XR_TOPO_RING,
					       XR_TOPO_LINE, XR_TOPO_COMPLETE,
					       XR_TOPO_RANDOM};
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcasecmp(s, xr_topology_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return XR_EINVAL;
}

enum key_id {
	K_RUN,
	K_SEED,
	K_TOPOLOGY,
	K_ROUTES,
	K_CLOUD,
	K_STATE_DIR,
	K_ROUNDS,
	K_CROSS_MS,
	K_RESEND_MS,
	K_STALL_MS,
	K_MAX_MSG,
	K_TLS_CA,
	K_HEARTBEAT_MS,
	K_FAIL_MS,
	K_TLS_CERT,
	K_TLS_KEY,
	K_POLLER,
	K_SCHEDULE,
	K_ARRIVALS,
	K_HEADWAY_MS,
	K_KEYS
};

static const char *const key_names[K_KEYS] = {
	"run",       "seed",   "topology",     "routes",    "cloud",
	"state_dir", "rounds", "cross_ms",     "resend_ms", "stall_ms",
	"max_msg",   "tls_ca", "heartbeat_ms", "fail_ms",   "tls_cert",
	"tls_key",   "poller", "schedule",     "arrivals",  "headway_ms",
};

static int parse_setting(struct xr_cluster *c, enum key_id k, const char *v,
			 const char *dir, const char *loc, char *err,
			 size_t err_len)
{
	uint64_t u;
	const char *key = key_names[k];

	switch (k) {
	case K_RUN:
		if (strlen(v) >= sizeof c->run)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: run: longer than %zu characters: \"%s\"",
				loc, sizeof c->run - 1, v);
		for (const char *p = v; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '_' && *p != '.')
				return xr_why(
					err, err_len, XR_ECONFIG,
					"%s: run: only letters, digits, '-', '_' and '.' allowed: \"%s\"",
					loc, v);
		copy_str(c->run, sizeof c->run, v);
		return 0;
	case K_SEED:
		if (parse_u64(v, UINT64_MAX, &u) != 0)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s: seed: not a number: \"%s\"", loc, v);
		c->seed = u;
		return 0;
	case K_TOPOLOGY:
		if (xr_topology_parse(v, &c->topology) != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: topology: expected star, ring, line, complete or random: \"%s\"",
				loc, v);
		return 0;
	case K_ROUTES:
	case K_STATE_DIR:
	case K_TLS_CA:
	case K_TLS_CERT:
	case K_TLS_KEY: {
		char *dst = k == K_ROUTES      ? c->routes
			    : k == K_STATE_DIR ? c->state_dir
			    : k == K_TLS_CA    ? c->tls_ca
			    : k == K_TLS_CERT  ? c->tls_cert
					       : c->tls_key;
		if ((k == K_TLS_CERT || k == K_TLS_KEY) &&
		    check_template(v) != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: %s: only {id} is replaced in a path: \"%s\"",
				loc, key, v);
		if (resolve_path(dir, v, dst, XR_PATH_MAX) != 0)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s: %s: path too long", loc, key);
		return 0;
	}
	case K_CLOUD:
		if (strcasecmp(v, "embedded") == 0)
			c->cloud = XR_CLOUD_EMBEDDED;
		else if (strcasecmp(v, "aws") == 0)
			c->cloud = XR_CLOUD_AWS;
		else
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: cloud: expected embedded or aws: \"%s\"",
				loc, v);
		return 0;
	case K_SCHEDULE:
		if (xr_schedule_parse(v, &c->schedule) != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: schedule: expected rules or optimal: \"%s\"",
				loc, v);
		return 0;
	case K_ARRIVALS:
		if (xr_arrivals_parse(v, &c->arrivals) != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: arrivals: expected always or poisson: \"%s\"",
				loc, v);
		return 0;
	case K_HEADWAY_MS:
		if (parse_u64(v, UINT32_MAX, &u) != 0)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s: headway_ms: not a number: \"%s\"",
				      loc, v);
		if (u < 1 || u > XR_HEADWAY_MS_MAX)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s: headway_ms: must be 1..%u ms: %s",
				      loc, (unsigned)XR_HEADWAY_MS_MAX, v);
		c->headway_ms = (uint32_t)u;
		return 0;
	case K_POLLER:
		/* auto resolves once the backend is final (--cloud overrides
		 * `cloud =`): xr_cluster_poller_on(). */
		if (strcasecmp(v, "auto") == 0)
			c->poller = XR_POLLER_AUTO;
		else if (strcasecmp(v, "on") == 0)
			c->poller = XR_POLLER_ON;
		else if (strcasecmp(v, "off") == 0)
			c->poller = XR_POLLER_OFF;
		else
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: poller: expected auto, on or off: \"%s\"",
				loc, v);
		return 0;
	case K_ROUNDS:
	case K_CROSS_MS:
	case K_RESEND_MS:
	case K_STALL_MS:
	case K_MAX_MSG:
	case K_HEARTBEAT_MS:
	case K_FAIL_MS: {
		uint32_t *dst = k == K_ROUNDS         ? &c->rounds
				: k == K_CROSS_MS     ? &c->cross_ms
				: k == K_RESEND_MS    ? &c->resend_ms
				: k == K_STALL_MS     ? &c->stall_ms
				: k == K_HEARTBEAT_MS ? &c->heartbeat_ms
				: k == K_FAIL_MS      ? &c->fail_ms
						      : &c->max_msg;
		if (parse_u64(v, UINT32_MAX, &u) != 0)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s: %s: not a number: \"%s\"", loc, key,
				      v);
		if ((k == K_RESEND_MS || k == K_STALL_MS ||
		     k == K_HEARTBEAT_MS) &&
		    u == 0)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s: %s: must be positive", loc, key);
		if (k == K_MAX_MSG && (u < 1024 || u > (16u << 20)))
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: max_msg: must be 1024..16777216 bytes: %s",
				loc, v);
		*dst = (uint32_t)u;
		return 0;
	}
	case K_KEYS:
		break;
	}
	return xr_why(err, err_len, XR_ECONFIG, "%s: %s: unknown", loc, key);
}

static int parse_node(struct xr_cluster *c, char **tok, int ntok, int line,
		      const char *loc, char *err, size_t err_len)
{
	uint64_t id;
	struct xr_cluster_node *nd;
	const char *why = NULL;
	char host[XR_ADDR_MAX];
	unsigned port;

	if (ntok != 5)
		return xr_why(
			err, err_len, XR_ECONFIG,
			"%s: node: expected \"node ID ROLE APPROACH ADDRESS\" (approach - for the light)",
			loc);
	if (parse_u64(tok[1], XR_MAX_NODES - 1, &id) != 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: node: id must be a number 0..%d: \"%s\"",
			      loc, XR_MAX_NODES - 1, tok[1]);
	nd = &c->nodes[id];
	if (nd->line != 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: node: id %u already declared at line %d",
			      loc, (unsigned)id, nd->line);
	nd->id = (uint32_t)id;
	nd->line = line;
	if (strcasecmp(tok[2], "light") == 0) {
		nd->role = XR_ROLE_LIGHT;
		if (strcmp(tok[3], "-") != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: node %u: the light has no approach, write -: \"%s\"",
				loc, (unsigned)id, tok[3]);
	} else if (strcasecmp(tok[2], "car") == 0) {
		nd->role = XR_ROLE_CAR;
		if (xr_approach_parse(tok[3], &nd->approach) != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: node %u: approach must be S, E, N or W: \"%s\"",
				loc, (unsigned)id, tok[3]);
	} else {
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: node %u: role must be light or car: \"%s\"",
			      loc, (unsigned)id, tok[2]);
	}
	if (copy_str(nd->address, sizeof nd->address, tok[4]) != 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: node %u: address too long", loc,
			      (unsigned)id);
	if (check_address(nd->address, nd->wave_address,
			  sizeof nd->wave_address, host, sizeof host, &port,
			  &why) != 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: node %u: address: %s: \"%s\"", loc,
			      (unsigned)id, why, tok[4]);
	return 0;
}

/* TLS is all or nothing: a cluster where some links are plain would let a
 * rogue process in through them, so a mix is refused, whichever way round. */
static int check_tls(struct xr_cluster *c, const char *name,
		     const int *seen_line, char *err, size_t err_len)
{
	uint32_t i;

	if (c->tls_ca[0] == '\0') {
		if (seen_line[K_TLS_CERT] != 0 || seen_line[K_TLS_KEY] != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s:%d: %s: needs tls_ca (the cluster CA that turns TLS on)",
				name,
				seen_line[K_TLS_CERT] ? seen_line[K_TLS_CERT]
						      : seen_line[K_TLS_KEY],
				seen_line[K_TLS_CERT] ? "tls_cert" : "tls_key");
		for (i = 0; i < c->n_nodes; i++)
			if (strncmp(c->nodes[i].address, "tls+", 4) == 0)
				return xr_why(
					err, err_len, XR_ECONFIG,
					"%s:%d: node %u: tls+tcp address needs tls_ca",
					name, c->nodes[i].line, (unsigned)i);
		return 0;
	}
	for (i = 0; i < c->n_nodes; i++)
		if (strncmp(c->nodes[i].address, "tls+tcp://", 10) != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s:%d: node %u: address %s is not tls+tcp://, but tls_ca is set (line %d): with TLS every node uses tls+tcp://",
				name, c->nodes[i].line, (unsigned)i,
				c->nodes[i].address, seen_line[K_TLS_CA]);
	if (c->tls_cert[0] == '\0' &&
	    xr_config_path_beside(c->tls_ca, "node-{id}.crt", c->tls_cert,
				  sizeof c->tls_cert) != 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s:%d: tls_ca: path too long", name,
			      seen_line[K_TLS_CA]);
	if (c->tls_key[0] == '\0' &&
	    xr_config_path_beside(c->tls_ca, "node-{id}.key", c->tls_key,
				  sizeof c->tls_key) != 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s:%d: tls_ca: path too long", name,
			      seen_line[K_TLS_CA]);
	return 0;
}

int xr_cluster_tls_files(const struct xr_cluster *c, uint32_t id, char *cert,
			 char *key, size_t cap)
{
	if (expand_id(c->tls_cert, id, cert, cap) != 0 ||
	    expand_id(c->tls_key, id, key, cap) != 0)
		return XR_ECONFIG;
	return 0;
}

int xr_cluster_parse(const char *text, const char *name, const char *dir,
		     struct xr_cluster *c, char *err, size_t err_len)
{
	int seen_line[K_KEYS] = {0};
	char buf[LINE_MAX_LEN];
	char loc[XR_PATH_MAX + 32];
	const char *p = text, *nl;
	int line = 0, rc;
	uint32_t i, lights = 0, max_id = 0;
	bool any = false;

	memset(c, 0, sizeof *c);
	if (copy_str(c->path, sizeof c->path, name) != 0)
		c->path[0] = '\0';
	c->seed = 1;
	c->topology = XR_TOPO_STAR;
	c->cloud = XR_CLOUD_EMBEDDED;
	c->poller = XR_POLLER_AUTO;
	c->rounds = 10;
	c->cross_ms = 200;
	c->resend_ms = 50;
	c->stall_ms = 1000;
	c->max_msg = 65536;
	c->heartbeat_ms = 200;
	c->fail_ms = 1000;
	c->arrivals = XR_ARRIVALS_ALWAYS;
	c->headway_ms = 1000;
	if (resolve_path(dir, "state", c->state_dir, sizeof c->state_dir) != 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: state_dir: path too long", name);

	while (*p != '\0') {
		size_t len;
		char *s, *hash, *eq;
		char *tok[6];
		int ntok;

		line++;
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		snprintf(loc, sizeof loc, "%s:%d", name, line);
		if (len >= sizeof buf)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s: line longer than %zu bytes", loc,
				      sizeof buf - 1);
		memcpy(buf, p, len);
		buf[len] = '\0';
		p = nl != NULL ? nl + 1 : p + len;
		if (memchr(buf, '\0', len) != NULL && strlen(buf) != len)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s: NUL byte in line", loc);
		hash = strchr(buf, '#');
		if (hash != NULL)
			*hash = '\0';
		s = trim(buf);
		if (*s == '\0')
			continue;
		eq = strchr(s, '=');
		if (eq != NULL) {
			char *k = s, *v = eq + 1;
			int kid;
			*eq = '\0';
			k = trim(k);
			v = trim(v);
			for (kid = 0; kid < K_KEYS; kid++)
				if (strcmp(k, key_names[kid]) == 0)
					break;
			if (kid == K_KEYS)
				return xr_why(err, err_len, XR_ECONFIG,
					      "%s: %s: unknown key", loc, k);
			if (seen_line[kid] != 0)
				return xr_why(
					err, err_len, XR_ECONFIG,
					"%s: %s: duplicate key (first at line %d)",
					loc, k, seen_line[kid]);
			seen_line[kid] = line;
			if (*v == '\0')
				return xr_why(err, err_len, XR_ECONFIG,
					      "%s: %s: empty value", loc, k);
			rc = parse_setting(c, (enum key_id)kid, v, dir, loc,
					   err, err_len);
			if (rc != 0)
				return rc;
			continue;
		}
		ntok = split(s, tok, 5);
		if (strcmp(tok[0], "node") != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: %s: unknown setting (expected \"key = value\" or \"node ...\")",
				loc, tok[0]);
		rc = parse_node(c, tok, ntok, line, loc, err, err_len);
		if (rc != 0)
			return rc;
		any = true;
	}

	if (seen_line[K_RUN] == 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: run: missing required setting", name);
	if (seen_line[K_ROUTES] == 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: routes: missing required setting", name);
	if (!any)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: node: no nodes declared", name);
	for (i = 0; i < XR_MAX_NODES; i++)
		if (c->nodes[i].line != 0)
			max_id = i;
	c->n_nodes = max_id + 1;
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].line == 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s: node: ids must be 0..%u without gaps, %u is missing",
				name, (unsigned)max_id, (unsigned)i);
		if (c->nodes[i].role == XR_ROLE_LIGHT) {
			if (lights++ > 0)
				return xr_why(
					err, err_len, XR_ECONFIG,
					"%s:%d: node %u: a second light (node %u is the light)",
					name, c->nodes[i].line, (unsigned)i,
					(unsigned)c->light);
			c->light = i;
		}
	}
	if (lights == 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: node: no light declared", name);
	if (c->n_nodes < 2)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: node: at least one car is needed", name);
	for (i = 0; i < c->n_nodes; i++) {
		char hi[XR_ADDR_MAX], hj[XR_ADDR_MAX], w[XR_ADDR_MAX + 8];
		unsigned pi, pj;
		const char *why;
		for (uint32_t j = i + 1; j < c->n_nodes; j++) {
			check_address(c->nodes[i].address, w, sizeof w, hi,
				      sizeof hi, &pi, &why);
			check_address(c->nodes[j].address, w, sizeof w, hj,
				      sizeof hj, &pj, &why);
			if (strcmp(c->nodes[i].address, c->nodes[j].address) ==
				    0 ||
			    (pi != 0 && pj != 0 && strcmp(hi, hj) == 0 &&
			     (pi == pj || pi + 1 == pj || pj + 1 == pi)))
				return xr_why(
					err, err_len, XR_ECONFIG,
					"%s:%d: node %u: address %s clashes with node %u (%s); tcp ports must be at least 2 apart",
					name, c->nodes[j].line, (unsigned)j,
					c->nodes[j].address, (unsigned)i,
					c->nodes[i].address);
		}
	}
	if (c->fail_ms != 0 && c->fail_ms < 2 * c->heartbeat_ms)
		return xr_why(
			err, err_len, XR_ECONFIG,
			"%s:%d: fail_ms: %u is less than two heartbeats (heartbeat_ms %u); a live coordinator would be taken for dead",
			name,
			seen_line[K_FAIL_MS] ? seen_line[K_FAIL_MS]
					     : seen_line[K_HEARTBEAT_MS],
			(unsigned)c->fail_ms, (unsigned)c->heartbeat_ms);
	/* Open rounds: `rounds` is the vehicles each car sends, and the run
	 * ends when all of them crossed; 0 would be a run with no vehicle. */
	if (c->arrivals == XR_ARRIVALS_POISSON &&
	    (c->rounds == 0 || c->rounds > XR_POISSON_VEHICLES_MAX))
		return xr_why(
			err, err_len, XR_ECONFIG,
			"%s:%d: rounds: with arrivals = poisson (line %d) it is the vehicles each car sends: must be 1..%u: %u",
			name, seen_line[K_ROUNDS], seen_line[K_ARRIVALS],
			(unsigned)XR_POISSON_VEHICLES_MAX, (unsigned)c->rounds);
	rc = check_tls(c, name, seen_line, err, err_len);
	if (rc != 0)
		return rc;
	build_topology(c);
	return 0;
}

int xr_read_file(const char *path, size_t max, char **data, size_t *len,
		 char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n = 0, cap = 4096;

	if (f == NULL)
		return xr_why(err, err_len, XR_EIO, "%s: %s", path,
			      strerror(errno));
	buf = malloc(cap);
	if (buf == NULL) {
		fclose(f);
		return XR_ENOMEM;
	}
	for (;;) {
		size_t got;
		if (n + 1 >= cap) {
			char *nb;
			if (cap > max) {
				free(buf);
				fclose(f);
				xr_why(err, err_len, XR_ECONFIG,
				       "%s: larger than %zu bytes", path, max);
				return XR_ETOOBIG;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return XR_ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		xr_why(err, err_len, XR_ECONFIG, "%s: read error", path);
		return XR_EIO;
	}
	fclose(f);
	if (n > max) {
		free(buf);
		xr_why(err, err_len, XR_ECONFIG, "%s: larger than %zu bytes",
		       path, max);
		return XR_ETOOBIG;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		xr_why(err, err_len, XR_ECONFIG,
		       "%s: contains a NUL byte (not a text file)", path);
		return XR_ECONFIG;
	}
	*data = buf;
	if (len != NULL)
		*len = n;
	return 0;
}

int xr_cluster_load(const char *path, struct xr_cluster *c, char *err,
		    size_t err_len)
{
	char *text = NULL;
	char dir[XR_PATH_MAX];
	const char *slash;
	int rc;

	rc = xr_read_file(path, XR_CONFIG_MAX_BYTES, &text, NULL, err, err_len);
	if (rc != 0)
		return rc == XR_ENOMEM ? rc : XR_ECONFIG;
	slash = strrchr(path, '/');
	if (slash == NULL)
		dir[0] = '\0';
	else if ((size_t)(slash - path) < sizeof dir) {
		size_t n = slash == path ? 1 : (size_t)(slash - path);
		memcpy(dir, path, n);
		dir[n] = '\0';
	} else {
		free(text);
		return xr_why(err, err_len, XR_ECONFIG, "%s: path too long",
			      path);
	}
	rc = xr_cluster_parse(text, path, dir, c, err, err_len);
	free(text);
	return rc;
}

int xr_cluster_node_config(const struct xr_cluster *c, uint32_t id,
			   struct xr_node_config *cfg, char *err,
			   size_t err_len)
{
	uint32_t i;

	if (id >= c->n_nodes)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: node %u: not declared (ids 0..%u)", c->path,
			      (unsigned)id, (unsigned)c->n_nodes - 1);
	memset(cfg, 0, sizeof *cfg);
	cfg->self = id;
	cfg->light = c->light;
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role != XR_ROLE_CAR)
			continue;
		cfg->cars[cfg->n_cars] = i;
		cfg->approaches[cfg->n_cars] = c->nodes[i].approach;
		cfg->n_cars++;
	}
	for (i = 0; i < c->n_nodes; i++)
		if (c->adj[id] & ((xr_set)1 << i))
			cfg->neighbours[cfg->n_neighbours++] = i;
	cfg->seed = c->seed;
	cfg->cross_ms = c->cross_ms;
	cfg->resend_ms = c->resend_ms;
	cfg->stall_ms = c->stall_ms;
	cfg->heartbeat_ms = c->heartbeat_ms;
	cfg->fail_ms = c->fail_ms;
	cfg->schedule = c->schedule;
	cfg->arrivals = c->arrivals;
	cfg->headway_ms = c->headway_ms;
	cfg->rounds = c->rounds;
	copy_str(cfg->run, sizeof cfg->run, c->run);
	return 0;
}

int xr_routes_parse(const char *text, const char *name,
		    uint32_t weights[XR_TURNS], char *err, size_t err_len)
{
	char buf[LINE_MAX_LEN];
	int seen[XR_TURNS] = {0};
	const char *p = text, *nl;
	int line = 0;
	uint64_t total = 0;

	memset(weights, 0, sizeof(uint32_t) * XR_TURNS);
	while (*p != '\0') {
		size_t len;
		char *s, *hash, *tok[3];
		int ntok;
		enum xr_turn t;
		uint64_t w;

		line++;
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof buf)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s:%d: line longer than %zu bytes", name,
				      line, sizeof buf - 1);
		memcpy(buf, p, len);
		buf[len] = '\0';
		p = nl != NULL ? nl + 1 : p + len;
		hash = strchr(buf, '#');
		if (hash != NULL)
			*hash = '\0';
		s = trim(buf);
		if (*s == '\0')
			continue;
		ntok = split(s, tok, 2);
		if (ntok != 2)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s:%d: expected \"TURN WEIGHT\" (e.g. \"left 1\")",
				name, line);
		if (xr_turn_parse(tok[0], &t) != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s:%d: %s: turn must be right, straight or left",
				name, line, tok[0]);
		if (seen[t] != 0)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s:%d: %s: duplicate (first at line %d)",
				      name, line, tok[0], seen[t]);
		if (parse_u64(tok[1], 1000000, &w) != 0)
			return xr_why(
				err, err_len, XR_ECONFIG,
				"%s:%d: %s: weight must be a number 0..1000000: \"%s\"",
				name, line, tok[0], tok[1]);
		seen[t] = line;
		weights[t] = (uint32_t)w;
		total += w;
	}
	if (total == 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: no turn has a positive weight", name);
	return 0;
}

bool xr_cluster_poller_on(const struct xr_cluster *c)
{
	/* On AWS the event source mapping is the queue's only consumer: a
	 * second one would race it, with a role that may not write the table. */
	if (c->poller == XR_POLLER_AUTO)
		return c->cloud != XR_CLOUD_AWS;
	return c->poller == XR_POLLER_ON;
}
