/* RPC frames over nng req/rep, dispatched through protoc-c's generated
 * service descriptor (rpc.h). */
#include "rpc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "err.h"
#include "tls.h"
#include "xroad.pb-c.h"

#define XR_RPC_URL_MAX 1024 /* longest address a call copies */

struct closure_out {
	bool called;
	int rc;
	uint8_t *buf;
	size_t len;
};

static const uint8_t *raw_body;
static size_t raw_len;

void xr_rpc_raw(const uint8_t **body, size_t *len)
{
	*body = raw_body;
	*len = raw_len;
}

static void pack_closure(const ProtobufCMessage *msg, void *data)
{
	struct closure_out *o = data;
	size_t n;

	o->called = true;
	if (msg == NULL) {
		o->rc = XR_EINVAL;
		return;
	}
	n = protobuf_c_message_get_packed_size(msg);
	o->buf = malloc(n > 0 ? n : 1);
	if (o->buf == NULL) {
		o->rc = XR_ENOMEM;
		return;
	}
	o->len = protobuf_c_message_pack(msg, o->buf);
	o->rc = 0;
}

int xr_rpc_dispatch(ProtobufCService *svc, unsigned method, const uint8_t *body,
		    size_t len, uint8_t **out, size_t *out_len, char *why,
		    size_t why_len)
{
	const ProtobufCServiceDescriptor *d = svc->descriptor;
	ProtobufCMessage *in;
	struct closure_out o = {0};

	if (method >= d->n_methods)
		return xr_why(why, why_len, XR_EINVAL, "%s: no method %u",
			      d->name, method);
	in = protobuf_c_message_unpack(d->methods[method].input, NULL, len,
				       body);
	if (in == NULL)
		return xr_why(why, why_len, XR_EDECODE,
			      "%s.%s: %zu bytes are not a valid %s", d->name,
			      d->methods[method].name, len,
			      d->methods[method].input->name);
	raw_body = body;
	raw_len = len;
	svc->invoke(svc, method, in, pack_closure, &o);
	raw_body = NULL;
	raw_len = 0;
	protobuf_c_message_free_unpacked(in, NULL);
	if (!o.called)
		return xr_why(why, why_len, XR_EINVAL, "%s.%s: no reply",
			      d->name, d->methods[method].name);
	if (o.rc != 0)
		return xr_why(why, why_len, o.rc, "%s.%s: reply not packed",
			      d->name, d->methods[method].name);
	*out = o.buf;
	*out_len = o.len;
	return 0;
}

int xr_rpc_frame(unsigned method, const ProtobufCMessage *msg, uint8_t **buf,
		 size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b = malloc(XR_FRAME_HDR + n);

	if (b == NULL)
		return XR_ENOMEM;
	b[0] = 'X';
	b[1] = 'R';
	b[2] = XR_FRAME_VERSION;
	b[3] = (uint8_t)method;
	protobuf_c_message_pack(msg, b + XR_FRAME_HDR);
	*buf = b;
	*len = XR_FRAME_HDR + n;
	return 0;
}

/* The dial, with a reason a person can act on: nng says only "Cryptographic
 * error" or "Connection shutdown" when a handshake fails. */
static int dial(nng_socket s, const char *url, const struct xr_rpc_tls *tls,
		char *err, size_t err_len)
{
	nng_dialer d;
	int rv;

	if (tls == NULL || tls->tls == NULL) {
		rv = nng_dial(s, url, NULL, 0);
		if (rv == 0)
			return 0;
		if (strncmp(url, "tls+", 4) == 0)
			return xr_why(
				err, err_len, XR_ENET,
				"dial: %s (a tls+tcp:// node needs a CA and a client certificate)",
				nng_strerror(rv));
		return xr_why(err, err_len, XR_ENET, "dial: %s",
			      nng_strerror(rv));
	}
	rv = xr_tls_dial(s, url, tls->tls, tls->peer_name, 0, &d);
	if (rv == 0)
		return 0;
	if (rv == NNG_ECRYPTO || rv == NNG_EPEERAUTH || rv == NNG_ECONNSHUT ||
	    rv == NNG_ECLOSED)
		return xr_why(
			err, err_len, XR_ENET,
			"dial: TLS handshake failed (%s): the node refused our "
			"certificate (not signed by its CA?), or its certificate is not "
			"signed by %s%s%s",
			nng_strerror(rv), xr_tls_ca_path(tls->tls),
			tls->peer_name != NULL ? " or is not " : "",
			tls->peer_name != NULL ? tls->peer_name : "");
	return xr_why(err, err_len, XR_ENET, "dial: %s", nng_strerror(rv));
}

/* The deadline of a whole call. nng's send and receive timeouts do not
 * bound a synchronous dial: against a node that accepts the connection but
 * never completes the SP handshake (a stopped process, a deafened listener)
 * nng_dial waits for nng's own negotiation timeout, 10 s (issue 13: status
 * with 3 such nodes took 10 s at a 1 s deadline). So the call runs on a
 * thread of its own, and at the deadline the caller stops waiting and
 * leaves it: the thread finishes (nng's timeout ends the dial), closes its
 * own socket and frees what it holds. Closing the socket from another
 * thread instead made nng 1.5.2 panic ("pthread_mutex_unlock: Invalid
 * argument", integration_stray, 1 of 2 CI runs). The request is encoded
 * before the thread starts, so nothing of the caller's is read after the
 * deadline but `tls`, which lives as long as the program. */
struct rpc_job {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	bool done;      /* the call finished; its result is below */
	bool abandoned; /* the caller stopped waiting: the thread frees all */
	char url[XR_RPC_URL_MAX];
	const struct xr_rpc_tls *tls;
	unsigned method;
	uint8_t *frame;
	size_t flen;
	int timeout_ms;
	ProtobufCMessage *reply;
	int rc;
	char err[512];
};

static int call(nng_socket s, const char *url, const struct xr_rpc_tls *tls,
		unsigned method, const uint8_t *frame, size_t flen,
		ProtobufCMessage **reply, int timeout_ms, char *err,
		size_t err_len);

static void job_free(struct rpc_job *j)
{
	free(j->frame);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mtx);
	free(j);
}

static void job_run(struct rpc_job *j)
{
	ProtobufCMessage *reply = NULL;
	char err[sizeof j->err] = "";
	nng_socket s;
	int rv, rc;

	if ((rv = nng_req0_open(&s)) != 0) {
		rc = xr_why(err, sizeof err, XR_ENET, "nng req: %s",
			    nng_strerror(rv));
	} else {
		rc = call(s, j->url, j->tls, j->method, j->frame, j->flen,
			  &reply, j->timeout_ms, err, sizeof err);
		nng_close(s);
	}
	pthread_mutex_lock(&j->mtx);
	bool abandoned = j->abandoned;
	if (!abandoned) {
		j->reply = reply;
		j->rc = rc;
		memcpy(j->err, err, sizeof err);
		j->done = true;
		pthread_cond_signal(&j->cv);
	}
	pthread_mutex_unlock(&j->mtx);
	if (abandoned) {
		if (reply != NULL)
			protobuf_c_message_free_unpacked(reply, NULL);
		job_free(j);
	}
}

static void *job_main(void *arg)
{
	job_run(arg);
	return NULL;
}

int xr_rpc_call(const char *url, const struct xr_rpc_tls *tls, unsigned method,
		const ProtobufCMessage *req, ProtobufCMessage **reply,
		int timeout_ms, char *err, size_t err_len)
{
	const ProtobufCServiceDescriptor *d = &xroad__node__descriptor;
	struct rpc_job *j;
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t th;
	struct timespec until;
	int rc = 0;

	*reply = NULL;
	if (method >= d->n_methods)
		return xr_why(err, err_len, XR_EINVAL,
			      "xroad.Node has no method %u", method);
	if (req->descriptor != d->methods[method].input)
		return xr_why(err, err_len, XR_EINVAL,
			      "xroad.Node.%s takes %s, not %s",
			      d->methods[method].name,
			      d->methods[method].input->name,
			      req->descriptor->name);
	if (strlen(url) >= XR_RPC_URL_MAX)
		return xr_why(err, err_len, XR_EINVAL,
			      "address too long: %.60s...", url);
	if ((j = calloc(1, sizeof *j)) == NULL)
		return xr_why(err, err_len, XR_ENOMEM,
			      "xroad.Node.%s: out of memory",
			      d->methods[method].name);
	if ((rc = xr_rpc_frame(method, req, &j->frame, &j->flen)) != 0) {
		free(j);
		return xr_why(err, err_len, rc, "xroad.Node.%s: %s",
			      d->methods[method].name, xr_strerror(rc));
	}
	snprintf(j->url, sizeof j->url, "%s", url);
	j->tls = tls;
	j->method = method;
	j->timeout_ms = timeout_ms;
	pthread_mutex_init(&j->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &ta, job_main, j) != 0)
		job_run(j); /* no thread: the call is bounded as nng bounds it */
	pthread_attr_destroy(&ta);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->mtx);
	while (!j->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&j->cv, &j->mtx, &until);
	if (!j->done) {
		j->abandoned = true;
		pthread_mutex_unlock(&j->mtx);
		return xr_why(
			err, err_len, XR_ETIMEDOUT,
			"xroad.Node.%s: no answer within %d ms (the connection was "
			"accepted, but the node does not answer: stopped or hung?)",
			d->methods[method].name, timeout_ms);
	}
	pthread_mutex_unlock(&j->mtx);
	*reply = j->reply;
	rc = j->rc;
	if (rc != 0 && err != NULL && err_len > 0)
		snprintf(err, err_len, "%s", j->err);
	job_free(j);
	return rc;
}

static int call(nng_socket s, const char *url, const struct xr_rpc_tls *tls,
		unsigned method, const uint8_t *frame, size_t flen,
		ProtobufCMessage **reply, int timeout_ms, char *err,
		size_t err_len)
{
	const ProtobufCServiceDescriptor *d = &xroad__node__descriptor;
	nng_msg *m = NULL;
	const uint8_t *b;
	size_t blen;
	int rv, rc;

	*reply = NULL;
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, timeout_ms);
	if ((rc = dial(s, url, tls, err, err_len)) != 0)
		return rc;
	rv = nng_send(s, (void *)frame, flen, 0);
	if (rv == 0)
		rv = nng_recvmsg(s, &m, 0);
	if (rv != 0)
		return xr_why(err, err_len,
			      rv == NNG_ETIMEDOUT ? XR_ETIMEDOUT : XR_ENET,
			      "xroad.Node.%s: %s", d->methods[method].name,
			      nng_strerror(rv));
	b = nng_msg_body(m);
	blen = nng_msg_len(m);
	if (blen < XR_FRAME_HDR || b[0] != 'X' || b[1] != 'R') {
		rc = xr_why(err, err_len, XR_EDECODE,
			    "xroad.Node.%s: reply is not an xroad frame",
			    d->methods[method].name);
	} else if (b[2] == XR_FRAME_ERROR) {
		int k = blen - XR_FRAME_HDR > 400 ? 400
						  : (int)(blen - XR_FRAME_HDR);
		rc = xr_why(err, err_len, XR_EINVAL,
			    "xroad.Node.%s: refused: %.*s",
			    d->methods[method].name, k,
			    (const char *)b + XR_FRAME_HDR);
	} else {
		*reply = protobuf_c_message_unpack(d->methods[method].output,
						   NULL, blen - XR_FRAME_HDR,
						   b + XR_FRAME_HDR);
		rc = *reply == NULL ? xr_why(err, err_len, XR_EDECODE,
					     "xroad.Node.%s: reply is not a %s",
					     d->methods[method].name,
					     d->methods[method].output->name)
				    : 0;
	}
	nng_msg_free(m);
	return rc;
}
