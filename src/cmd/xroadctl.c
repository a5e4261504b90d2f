/* xroadctl: global options, then one command from the table below. Each
 * command lives in its own ctl_NAME.c (see ctl.h for the conventions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xr_version.h"

/* Commands whose file may not be in the tree yet are compiled in only when
 * their header is there, so the tool builds at every stage of the project. */
#if defined(__has_include)
#if __has_include("ctl_plan.h")
#include "ctl_plan.h"
#define XR_CTL_HAVE_PLAN 1
#endif
#endif

static int cmd_help(int argc, char **argv);

/* Keep in the order `--help` should list them. */
static const struct xr_ctl_command commands[] = {
#ifdef XR_CTL_HAVE_PLAN
	{"plan", "A:turn... [--schedule rules|optimal] [--json]",
	 "offline: edges, cycles, winner, order for one car per approach",
	 xr_ctl_plan},
#endif
	{"status", "[--json]",
	 "one row per node; the coordinator, paused or running, rounds queued",
	 xr_ctl_status},
	{"graph", "[--dot | --json]",
	 "the live wait-for graph, cycles marked (--dot: as on the road)",
	 xr_ctl_graph},
	{"watch", "[--interval MS] [--frames N] [--json]",
	 "live view of the intersection, redrawn in place (80x24)",
	 xr_ctl_watch},
	{"log", "[--top N] [--run RUN] [--json] [--follow]",
	 "the newest crossings of a run in the table; --follow: as they come",
	 xr_ctl_log},
	{"run", "--rounds N [--json]",
	 "queue N more rounds (at the coordinator)", xr_ctl_control},
	{"pause", "[--json]", "hold the rounds (at the coordinator)",
	 xr_ctl_control},
	{"resume", "[--json]", "let paused rounds go on (at the coordinator)",
	 xr_ctl_control},
	{"shutdown", "[--json]", "stop every node cleanly", xr_ctl_control},
	{"snapshot", "[--at ID] [--json]",
	 "consistent global snapshot (Chandy-Lamport), checks I6",
	 xr_ctl_snapshot},
	{"trace", "FILE... [--json | --svg OUT | --shiviz OUT]",
	 "print node traces, one line per record; or draw the run (SVG, ShiViz)",
	 xr_ctl_trace},
	{"help", "", "this list", cmd_help},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fprintf(out,
		"usage: xroadctl [--config FILE | --node ADDR] [--ca FILE] "
		"[--cert FILE --key FILE]\n"
		"                COMMAND [ARGS]\n"
		"\n"
		"Inspect and drive an xroad crossroad. Global options:\n"
		"  --config FILE  the cluster configuration (docs/CONFIG.md); "
		"default\n"
		"                 $XROAD_CONFIG when neither --config nor --node "
		"is given\n"
		"  --node ADDR    one node's address, instead of --config\n"
		"  --ca FILE      TLS (tls+tcp:// nodes): the cluster CA; default "
		"tls_ca of --config\n"
		"  --cert FILE    TLS: xroadctl's client certificate; default "
		"ctl.crt beside the CA\n"
		"  --key FILE     TLS: its private key; default ctl.key beside "
		"the CA\n"
		"  --version      the version and git commit it was built from\n"
		"  --help         this text; `xroadctl COMMAND --help` for a "
		"command\n"
		"\n"
		"Exit status, every command: 0 success, 1 the operation failed "
		"(a node did not\n"
		"answer, a file cannot be read, an invariant does not hold), 2 "
		"bad usage.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char synopsis[64];
		snprintf(synopsis, sizeof synopsis, "%s %s", commands[i].name,
			 commands[i].args);
		fprintf(out, "  %-24s %s\n", synopsis, commands[i].help);
	}
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

/* A global option's value: argv[*i + 1], or a usage error. */
static int option_value(int argc, char **argv, int *i, const char **out)
{
	if (*i + 1 >= argc || argv[*i + 1][0] == '\0') {
		fprintf(stderr, "xroadctl: %s needs a value\n", argv[*i]);
		return 2;
	}
	*out = argv[++*i];
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		int rc = 0;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("xroadctl %s\n", XR_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--config") == 0) {
			rc = option_value(argc, argv, &i,
					  &xr_ctl_global.config);
		} else if (strcmp(argv[i], "--node") == 0) {
			rc = option_value(argc, argv, &i, &xr_ctl_global.node);
		} else if (strcmp(argv[i], "--ca") == 0) {
			rc = option_value(argc, argv, &i, &xr_ctl_global.ca);
		} else if (strcmp(argv[i], "--cert") == 0) {
			rc = option_value(argc, argv, &i, &xr_ctl_global.cert);
		} else if (strcmp(argv[i], "--key") == 0) {
			rc = option_value(argc, argv, &i, &xr_ctl_global.key);
		} else {
			fprintf(stderr,
				"xroadctl: unknown option %s (try --help)\n",
				argv[i]);
			rc = 2;
		}
		if (rc != 0)
			return rc;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	/* XROAD_CONFIG stands for --config when neither it nor --node is
	 * given (issue 13); an empty value counts as unset. */
	const char *env = getenv("XROAD_CONFIG");
	if (xr_ctl_global.config == NULL && xr_ctl_global.node == NULL &&
	    env != NULL && env[0] != '\0')
		xr_ctl_global.config = env;
	for (size_t c = 0; c < N_COMMANDS; c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(argc - i, argv + i);
	fprintf(stderr, "xroadctl: unknown command \"%s\" (try --help)\n",
		argv[i]);
	return 2;
}
