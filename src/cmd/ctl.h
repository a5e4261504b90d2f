/* xroadctl's command table. A command is one function in its own file
 * (ctl_NAME.c) with the signature below; adding one is a declaration here and
 * a line in the table of xroadctl.c.
 *
 * Convention for every command: argv[0] is the command's name, then its own
 * arguments (global options such as --config are already consumed by main and
 * are in xr_ctl_global). It prints results to stdout and errors to stderr,
 * naming what failed and where, and returns the process exit status:
 *   0 success, 1 the operation failed (unreadable file, node unreachable, an
 *   invariant does not hold), 2 bad usage. */
#ifndef XR_CTL_H
#define XR_CTL_H

#include <stdbool.h>

typedef int (*xr_ctl_fn)(int argc, char **argv);

struct xr_ctl_command {
	const char *name;
	const char *args; /* synopsis after the name, "" if none */
	const char *help; /* one line for `xroadctl --help` */
	xr_ctl_fn run;
};

/* Options given before the command name, for the commands that talk to a
 * cluster (issue 6). NULL when not given. */
struct xr_ctl_global {
	const char *config; /* --config FILE: the cluster configuration */
	const char *node;   /* --node ADDR: one node's address */
	const char *ca;     /* --ca FILE: the cluster CA (TLS) */
	const char *cert;   /* --cert FILE: xroadctl's client certificate */
	const char *key;    /* --key FILE: its private key */
};
extern struct xr_ctl_global xr_ctl_global;

/* ctl_trace.c: `xroadctl trace FILE... [--json]`. */
int xr_ctl_trace(int argc, char **argv);

/* Commands on a live cluster (issue 6), one file each. */
int xr_ctl_status(int argc, char **argv); /* ctl_status.c */
int xr_ctl_graph(int argc, char **argv);  /* ctl_graph.c */
int xr_ctl_watch(int argc, char **argv);  /* ctl_watch.c */
int xr_ctl_log(int argc, char **argv);    /* ctl_log.c */
int xr_ctl_control(
	int argc,
	char **argv); /* ctl_control.c: run, pause, resume, shutdown */
int xr_ctl_snapshot(int argc, char **argv); /* ctl_snapshot.c */

#endif
