/* Raw nng baselines for bench/run-bench, on the transport the cluster uses:
 *   - req/rep round trip: one requester, one replier echoing, sequential;
 *   - survey: one surveyor, 4 respondents echoing; a survey is done when all
 *     4 responses are in (what one Echo wave over a star needs).
 * Each side is its own socket in its own thread and the bytes cross the
 * kernel exactly as between processes;
 *   - the same survey with the 4 respondents in 4 child processes, as the
 *     cluster's cars are (survey4_proc_rtt_us): what a wave between
 *     processes costs on this machine, address-space switches included.
 * Prints key=value lines.
 *
 * usage: xroad-bench-raw ipc|tcp ITERATIONS */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/protocol/survey0/respond.h>
#include <nng/protocol/survey0/survey.h>

#define RESPONDENTS 4
#define PAYLOAD 64 /* about the size of a wave Envelope */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, int rv)
{
	fprintf(stderr, "xroad-bench-raw: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

static void *echo(void *arg)
{
	nng_socket s = *(nng_socket *)arg;
	nng_msg *m;

	while (nng_recvmsg(s, &m, 0) == 0)
		if (nng_sendmsg(s, m, 0) != 0)
			nng_msg_free(m);
	return NULL;
}

static void url_for(const char *transport, int k, char *buf, size_t len)
{
	if (strcmp(transport, "tcp") == 0)
		snprintf(buf, len, "tcp://127.0.0.1:%d",
			 31000 + (int)(getpid() % 2000) * 3 + k);
	else
		snprintf(buf, len, "ipc:///tmp/xroad-bench-%d-%d",
			 (int)getpid(), k);
}

/* A respondent process: forked before the parent touches nng (nng's threads
 * do not survive a fork), it dials until the surveyor listens and echoes
 * until it is killed. */
static pid_t respondent_process(const char *url)
{
	pid_t pid = fork();
	nng_socket s;
	int rv;

	if (pid != 0)
		return pid;
	if ((rv = nng_respondent0_open(&s)) != 0)
		die("respondent process", rv);
	nng_socket_set_ms(s, NNG_OPT_RECONNMINT, 10);
	nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, 50);
	if ((rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK)) != 0)
		die("respondent process", rv);
	echo(&s);
	_exit(0);
}

/* Mean round trip of a survey answered by RESPONDENTS, over `iters`
 * surveys after a warm-up of a tenth of them. */
static double survey_rtt(nng_socket surv, int iters)
{
	uint8_t payload[PAYLOAD] = {0};
	double t0, sv = 0;
	int rv;

	for (int pass = 0; pass < 2; pass++) {
		int n = pass == 0 ? iters / 10 + 1 : iters;
		t0 = now_us();
		for (int i = 0; i < n; i++) {
			if ((rv = nng_send(surv, payload, sizeof payload, 0)) !=
			    0)
				die("survey send", rv);
			for (int k = 0; k < RESPONDENTS; k++) {
				nng_msg *m;
				if ((rv = nng_recvmsg(surv, &m, 0)) != 0)
					die("survey recv", rv);
				nng_msg_free(m);
			}
		}
		sv = (now_us() - t0) / n;
	}
	return sv;
}

int main(int argc, char **argv)
{
	char url[128], purl[128];
	nng_socket rep, req, surv, psurv, resp[RESPONDENTS];
	pthread_t t[RESPONDENTS + 1];
	pid_t kids[RESPONDENTS];
	uint8_t payload[PAYLOAD] = {0};
	int iters, rv, i;
	double t0, rr, sv, psv;

	if (argc != 3 ||
	    (strcmp(argv[1], "ipc") != 0 && strcmp(argv[1], "tcp") != 0) ||
	    (iters = (int)strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: xroad-bench-raw ipc|tcp ITERATIONS\n");
		return 2;
	}
	url_for(argv[1], 2, purl, sizeof purl);
	for (i = 0; i < RESPONDENTS; i++)
		kids[i] = respondent_process(purl);

	/* req/rep */
	url_for(argv[1], 0, url, sizeof url);
	if ((rv = nng_rep0_open(&rep)) != 0 ||
	    (rv = nng_listen(rep, url, NULL, 0)) != 0)
		die("rep listen", rv);
	if ((rv = nng_req0_open(&req)) != 0 ||
	    (rv = nng_dial(req, url, NULL, 0)) != 0)
		die("req dial", rv);
	pthread_create(&t[0], NULL, echo, &rep);
	for (i = 0; i < iters / 10 + 1; i++) { /* warm up */
		nng_msg *m;
		nng_send(req, payload, sizeof payload, 0);
		if (nng_recvmsg(req, &m, 0) == 0)
			nng_msg_free(m);
	}
	t0 = now_us();
	for (i = 0; i < iters; i++) {
		nng_msg *m;
		if ((rv = nng_send(req, payload, sizeof payload, 0)) != 0)
			die("req send", rv);
		if ((rv = nng_recvmsg(req, &m, 0)) != 0)
			die("req recv", rv);
		nng_msg_free(m);
	}
	rr = (now_us() - t0) / iters;

	/* survey to 4 respondents */
	url_for(argv[1], 1, url, sizeof url);
	if ((rv = nng_surveyor0_open(&surv)) != 0 ||
	    (rv = nng_listen(surv, url, NULL, 0)) != 0)
		die("surveyor listen", rv);
	nng_socket_set_ms(surv, NNG_OPT_SURVEYOR_SURVEYTIME, 5000);
	for (i = 0; i < RESPONDENTS; i++) {
		if ((rv = nng_respondent0_open(&resp[i])) != 0 ||
		    (rv = nng_dial(resp[i], url, NULL, 0)) != 0)
			die("respondent dial", rv);
		pthread_create(&t[i + 1], NULL, echo, &resp[i]);
	}
	nanosleep(&(struct timespec){0, 200000000L},
		  NULL); /* every respondent connected */
	sv = survey_rtt(surv, iters);

	/* survey to 4 respondent processes */
	if ((rv = nng_surveyor0_open(&psurv)) != 0 ||
	    (rv = nng_listen(psurv, purl, NULL, 0)) != 0)
		die("surveyor listen", rv);
	nng_socket_set_ms(psurv, NNG_OPT_SURVEYOR_SURVEYTIME, 5000);
	nanosleep(&(struct timespec){0, 500000000L},
		  NULL); /* they redial within 100 ms */
	psv = survey_rtt(psurv, iters);
	for (i = 0; i < RESPONDENTS; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	printf("transport=%s iterations=%d reqrep_rtt_us=%.1f survey4_rtt_us=%.1f "
	       "survey4_proc_rtt_us=%.1f\n",
	       argv[1], iters, rr, sv, psv);
	nng_close(req);
	nng_close(rep);
	nng_close(surv);
	nng_close(psurv);
	for (i = 0; i < RESPONDENTS; i++)
		nng_close(resp[i]);
	/* The echo threads end when their sockets close. */
	for (i = 0; i <= RESPONDENTS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
