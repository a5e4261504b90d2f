/* The cluster configuration file of docs/CONFIG.md and the routes file: parsed
 * into plain structs, every error naming file, line and key
 * ("cluster.conf:7: cross_ms: not a number: \"fast\"").
 *
 * Ownership: every struct here is caller-owned and holds no pointers; the
 * parsers allocate nothing the caller has to free. */
#ifndef XR_NET_CONFIG_H
#define XR_NET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"

#define XR_ADDR_MAX 256
#define XR_PATH_MAX 1024
#define XR_CONFIG_MAX_BYTES (1u << 20) /* a larger file is refused */
#define XR_HEADWAY_MS_MAX 3600000u     /* headway_ms: an hour at most */

enum xr_role { XR_ROLE_LIGHT = 1, XR_ROLE_CAR = 2 };

enum xr_topology {
	XR_TOPO_STAR = 1, /* the light is the hub */
	XR_TOPO_RING,     /* ids in order, last back to first */
	XR_TOPO_LINE,     /* ids in order */
	XR_TOPO_COMPLETE,
	XR_TOPO_RANDOM, /* connected, drawn from `seed` */
};

enum xr_cloud_kind { XR_CLOUD_EMBEDDED = 1, XR_CLOUD_AWS = 2 };

/* `poller =`: who consumes the crossings queue. auto: the coordinator with the
 * embedded backend, nobody with aws (Lambda's event source mapping does). */
enum xr_poller_mode { XR_POLLER_AUTO = 0, XR_POLLER_ON = 1, XR_POLLER_OFF = 2 };

struct xr_cluster_node {
	uint32_t id;
	enum xr_role role;
	enum xr_approach approach; /* cars only */
	char address[XR_ADDR_MAX]; /* requests: nng rep listens here */
	char wave_address[XR_ADDR_MAX +
			  8]; /* waves: nng surveyor listens here */
	int line;             /* where it was declared */
};

struct xr_cluster {
	char path[XR_PATH_MAX]; /* the file it came from */
	char run[XR_RUN_MAX];
	uint64_t seed;
	enum xr_topology topology;
	char routes[XR_PATH_MAX]; /* resolved against the file's directory */
	enum xr_cloud_kind cloud;
	enum xr_poller_mode poller;
	char state_dir[XR_PATH_MAX]; /* resolved against the file's directory */
	uint32_t rounds;
	uint32_t cross_ms;
	uint32_t resend_ms;
	uint32_t stall_ms;
	uint32_t heartbeat_ms;     /* coordinator's heartbeat period */
	uint32_t fail_ms;          /* silence that means dead; 0: no failover */
	enum xr_schedule schedule; /* rules (default) or optimal (node.h) */
	/* always (default: a vehicle every round, `rounds` rounds) or poisson
	 * (each car sends `rounds` vehicles, mean gap headway_ms). */
	enum xr_arrivals arrivals;
	uint32_t headway_ms; /* 1..3600000, default 1000 */
	uint32_t max_msg;    /* bytes; larger messages are refused */
	/* Mutual TLS (docs/CONFIG.md): all or nothing. tls_ca empty: no TLS
	 * and no tls+tcp:// address; set: every address is tls+tcp://. The
	 * node files are templates, "{id}" standing for the node's id; by
	 * default node-{id}.crt and node-{id}.key beside tls_ca. All three are
	 * resolved against the file's directory. */
	char tls_ca[XR_PATH_MAX];
	char tls_cert[XR_PATH_MAX];
	char tls_key[XR_PATH_MAX];
	uint32_t n_nodes;
	uint32_t light;                             /* id of the light */
	struct xr_cluster_node nodes[XR_MAX_NODES]; /* nodes[i].id == i */
	xr_set adj
		[XR_MAX_NODES]; /* wave topology: bit j of adj[i] = edge i-j */
};

/* Parses `text` (NUL-terminated) read from `name`; relative paths are resolved
 * against `dir` (NULL: the current directory). 0, or XR_ECONFIG with
 * "name:line: key: reason" in `err`. */
int xr_cluster_parse(const char *text, const char *name, const char *dir,
		     struct xr_cluster *c, char *err, size_t err_len);

/* Reads and parses the file at `path`. */
int xr_cluster_load(const char *path, struct xr_cluster *c, char *err,
		    size_t err_len);

/* With TLS: node `id`'s certificate and key files (tls_cert and tls_key
 * with "{id}" replaced), each into a buffer of `cap` bytes. 0, or
 * XR_ECONFIG when a path does not fit. */
int xr_cluster_tls_files(const struct xr_cluster *c, uint32_t id, char *cert,
			 char *key, size_t cap);

/* Topology name <-> enum ("star"). */
const char *xr_topology_name(enum xr_topology t);
int xr_topology_parse(const char *s, enum xr_topology *out);

/* Whether the coordinator runs the queue poller, from `poller =` and the
 * backend in c->cloud (set it first if --cloud overrides the file). */
bool xr_cluster_poller_on(const struct xr_cluster *c);

/* Fills the core's configuration of node `id` (routes weights excluded: they
 * come from the routes file, see xr_routes_parse). */
int xr_cluster_node_config(const struct xr_cluster *c, uint32_t id,
			   struct xr_node_config *cfg, char *err,
			   size_t err_len);

/* Parses a routes file ("right 1" lines) into weights[XR_TURNS]; at least one
 * weight must be positive. XR_ECONFIG with "name:line: reason" in `err`. */
int xr_routes_parse(const char *text, const char *name,
		    uint32_t weights[XR_TURNS], char *err, size_t err_len);

/* Reads a whole small file into a malloc'ed NUL-terminated buffer (caller
 * frees). At most `max` bytes. */
/* `name` in the directory of `path` (tls_ca's directory for the default
 * node and ctl files); -1 when it does not fit in `cap`. */
int xr_config_path_beside(const char *path, const char *name, char *out,
			  size_t cap);

int xr_read_file(const char *path, size_t max, char **data, size_t *len,
		 char *err, size_t err_len);

#endif
