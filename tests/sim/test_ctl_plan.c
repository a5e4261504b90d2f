/* xr_ctl_plan, the `xroadctl plan` command, called as xroadctl's main calls
 * it: JSON keys and values for the named deadlocks and for --schedule
 * optimal, readable text, and exit status 2 with a message for each class of
 * bad argument. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_plan.h"

#include "checkf.h"

static char captured[8192];

/* Runs the command with stdout and stderr into `captured`. */
static int run(int argc, char **argv)
{
	fflush(stdout);
	fflush(stderr);
	FILE *tmp = tmpfile();
	if (tmp == NULL)
		return -1;
	int out = dup(1), err = dup(2);
	dup2(fileno(tmp), 1);
	dup2(fileno(tmp), 2);
	int rv = xr_ctl_plan(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	rewind(tmp);
	size_t n = fread(captured, 1, sizeof captured - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
	return rv;
}

int main(void)
{
	char a1[] = "S:straight", a2[] = "E:straight", a3[] = "N:straight",
	     a4[] = "W:straight", js[] = "--json";
	char *four[] = {"plan", a1, a2, a3, a4, js, NULL};
	int rv = run(6, four);
	CHECK(rv == 0, "4x straight: status %d", rv);
	CHECK(strstr(captured, "\"deadlock\":true") != NULL, "%s", captured);
	CHECK(strstr(captured, "\"edges\":[[\"S\",\"E\"],[\"E\",\"N\"],"
			       "[\"N\",\"W\"],[\"W\",\"S\"]]") != NULL,
	      "%s", captured);
	CHECK(strstr(captured, "\"cycles\":[[\"S\",\"E\",\"N\",\"W\"]]") != NULL,
	      "%s", captured);
	CHECK(strstr(captured, "\"winners\":[\"S\"]") != NULL, "%s", captured);
	/* S wins; then W (waited only for S), N (for W), E (for N and S). */
	CHECK(strstr(captured, "\"order\":[\"S\",\"W\",\"N\",\"E\"]") != NULL,
	      "%s", captured);
	CHECK(strstr(captured, "\"phases\":4") != NULL, "%s", captured);

	char b1[] = "S:straight", b2[] = "E:left", b3[] = "W:straight";
	char *three[] = {"plan", b1, b2, b3, js, NULL};
	rv = run(5, three);
	CHECK(rv == 0 && strstr(captured, "\"deadlock\":true") != NULL &&
		      strstr(captured, "\"cycles\":[[\"S\",\"E\",\"W\"]]") != NULL,
	      "3-cycle: %s", captured);

	char c1[] = "S:straight", c2[] = "E:left", c3[] = "N:straight",
	     c4[] = "W:right";
	char *example[] = {"plan", c1, c2, c3, c4, NULL};
	rv = run(5, example);
	CHECK(rv == 0 && strstr(captured, "deadlock: ") != NULL &&
		      strstr(captured, "phases: ") != NULL &&
		      strstr(captured, "crossing order:") != NULL,
	      "text output: %s", captured);

	char r1[] = "s:RIGHT", r2[] = "north:right";
	char *rights[] = {"plan", r1, r2, js, NULL};
	rv = run(4, rights);
	CHECK(rv == 0 && strstr(captured, "\"deadlock\":false") != NULL &&
		      strstr(captured, "\"phases\":1") != NULL &&
		      strstr(captured, "\"edges\":[]") != NULL,
	      "rights: %s", captured);

	/* --schedule optimal: the example, 4 phases by the rules, 2
	 * ({S, N} then {E, W}) optimally; the same keys, no deadlock. */
	char e1[] = "W:right", e2[] = "N:straight", e3[] = "E:straight",
	     e4[] = "S:straight", sch[] = "--schedule", opt[] = "optimal",
	     rul[] = "--schedule=rules";
	char *rules_ex[] = {"plan", e1, e2, e3, e4, rul, js, NULL};
	rv = run(7, rules_ex);
	CHECK(rv == 0 && strstr(captured, "\"schedule\":\"rules\"") != NULL &&
		      strstr(captured, "\"phases\":4") != NULL,
	      "rules example: %s", captured);
	char *opt_ex[] = {"plan", e1, e2, e3, e4, sch, opt, js, NULL};
	rv = run(8, opt_ex);
	CHECK(rv == 0 && strstr(captured, "\"schedule\":\"optimal\"") != NULL &&
		      strstr(captured, "\"edges\":[[\"E\",\"S\"],[\"E\",\"N\"],"
				       "[\"W\",\"N\"]]") != NULL &&
		      strstr(captured, "\"deadlock\":false") != NULL &&
		      strstr(captured, "\"cycles\":[]") != NULL &&
		      strstr(captured, "\"order\":[\"S\",\"N\",\"E\",\"W\"]") != NULL &&
		      strstr(captured, "\"phases\":2") != NULL &&
		      strstr(captured, "\"phase_groups\":[[\"S\",\"N\"],"
				       "[\"E\",\"W\"]]") != NULL,
	      "optimal example: %s", captured);
	char *opt_text[] = {"plan", e1, e2, e3, e4, sch, opt, NULL};
	rv = run(7, opt_text);
	CHECK(rv == 0 && strstr(captured, "schedule: optimal") != NULL &&
		      strstr(captured, "phase 1: S N") != NULL,
	      "optimal text: %s", captured);
	char best[] = "best";
	char *bad_sch[] = {"plan", e1, sch, best, NULL};
	rv = run(4, bad_sch);
	CHECK(rv == 2 && strstr(captured, "unknown schedule") != NULL,
	      "--schedule best: %d %s", rv, captured);
	char *no_sch[] = {"plan", e1, sch, NULL};
	rv = run(3, no_sch);
	CHECK(rv == 2 && strstr(captured, "--schedule needs") != NULL,
	      "--schedule alone: %d %s", rv, captured);

	/* Bad arguments: each exits 2 and says what was wrong. */
	struct {
		const char *arg;
		const char *says;
	} bad[] = {
		{"X:straight", "unknown approach"},
		{"S:uturn", "unknown turn"},
		{"Sstraight", "APPROACH:TURN"},
		{":left", "unknown approach"},
		{"--jsonx", "unknown option"},
		{"S:", "unknown turn"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char arg[32];
		snprintf(arg, sizeof arg, "%s", bad[i].arg);
		char *argv[] = {"plan", arg, NULL};
		rv = run(2, argv);
		CHECK(rv == 2 && strstr(captured, bad[i].says) != NULL,
		      "%s: status %d, said: %s", bad[i].arg, rv, captured);
	}
	char d1[] = "S:left", d2[] = "south:right";
	char *dup_[] = {"plan", d1, d2, NULL};
	rv = run(3, dup_);
	CHECK(rv == 2 && strstr(captured, "twice") != NULL, "duplicate: %s",
	      captured);
	char *none[] = {"plan", NULL};
	rv = run(1, none);
	CHECK(rv == 2 && strstr(captured, "no cars") != NULL, "none: %s",
	      captured);

	printf("failures %d\n", failures);
	return failures == 0 ? 0 : 1;
}
