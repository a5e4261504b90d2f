/* RPC frames over nng req/rep, dispatched through protoc-c's generated
 * service descriptor (rpc.h). */
#include "rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "err.h"
#include "tls.h"
#include "xroad.pb-c.h"

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
		return xr_why(why, why_len, XR_EINVAL, "%s: no method %u", d->name,
			       method);
	in = protobuf_c_message_unpack(d->methods[method].input, NULL, len, body);
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
		return xr_why(why, why_len, XR_EINVAL, "%s.%s: no reply", d->name,
			       d->methods[method].name);
	if (o.rc != 0)
		return xr_why(why, why_len, o.rc, "%s.%s: reply not packed", d->name,
			       d->methods[method].name);
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
			return xr_why(err, err_len, XR_ENET,
				       "dial %s: %s (a tls+tcp:// node needs a CA and a client certificate)",
				       url, nng_strerror(rv));
		return xr_why(err, err_len, XR_ENET, "dial %s: %s", url, nng_strerror(rv));
	}
	rv = xr_tls_dial(s, url, tls->tls, tls->peer_name, 0, &d);
	if (rv == 0)
		return 0;
	if (rv == NNG_ECRYPTO || rv == NNG_EPEERAUTH || rv == NNG_ECONNSHUT ||
	    rv == NNG_ECLOSED)
		return xr_why(err, err_len, XR_ENET,
			       "dial %s: TLS handshake failed (%s): the node refused our "
			       "certificate (not signed by its CA?), or its certificate is not "
			       "signed by %s%s%s",
			       url, nng_strerror(rv), xr_tls_ca_path(tls->tls),
			       tls->peer_name != NULL ? " or is not " : "",
			       tls->peer_name != NULL ? tls->peer_name : "");
	return xr_why(err, err_len, XR_ENET, "dial %s: %s", url, nng_strerror(rv));
}

int xr_rpc_call(const char *url, const struct xr_rpc_tls *tls, unsigned method,
		const ProtobufCMessage *req, ProtobufCMessage **reply,
		int timeout_ms, char *err, size_t err_len)
{
	const ProtobufCServiceDescriptor *d = &xroad__node__descriptor;
	nng_socket s;
	nng_msg *m = NULL;
	uint8_t *frame;
	size_t flen;
	const uint8_t *b;
	size_t blen;
	int rv, rc;

	if (method >= d->n_methods)
		return xr_why(err, err_len, XR_EINVAL, "xroad.Node has no method %u",
			       method);
	if (req->descriptor != d->methods[method].input)
		return xr_why(err, err_len, XR_EINVAL, "xroad.Node.%s takes %s, not %s",
			       d->methods[method].name, d->methods[method].input->name,
			       req->descriptor->name);
	if ((rv = nng_req0_open(&s)) != 0)
		return xr_why(err, err_len, XR_ENET, "nng req: %s", nng_strerror(rv));
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, timeout_ms);
	if ((rc = dial(s, url, tls, err, err_len)) != 0) {
		nng_close(s);
		return rc;
	}
	if ((rc = xr_rpc_frame(method, req, &frame, &flen)) != 0) {
		nng_close(s);
		return xr_why(err, err_len, rc, "xroad.Node.%s: %s", d->methods[method].name,
			       xr_strerror(rc));
	}
	rv = nng_send(s, frame, flen, 0);
	free(frame);
	if (rv == 0)
		rv = nng_recvmsg(s, &m, 0);
	if (rv != 0) {
		nng_close(s);
		return xr_why(err, err_len, rv == NNG_ETIMEDOUT ? XR_ETIMEDOUT : XR_ENET,
			       "%s xroad.Node.%s: %s", url, d->methods[method].name,
			       nng_strerror(rv));
	}
	b = nng_msg_body(m);
	blen = nng_msg_len(m);
	if (blen < XR_FRAME_HDR || b[0] != 'X' || b[1] != 'R') {
		rc = xr_why(err, err_len, XR_EDECODE, "%s xroad.Node.%s: reply is not an xroad frame",
			     url, d->methods[method].name);
	} else if (b[2] == XR_FRAME_ERROR) {
		int k = blen - XR_FRAME_HDR > 400 ? 400 : (int)(blen - XR_FRAME_HDR);
		rc = xr_why(err, err_len, XR_EINVAL, "%s xroad.Node.%s: refused: %.*s", url,
			     d->methods[method].name, k, (const char *)b + XR_FRAME_HDR);
	} else {
		*reply = protobuf_c_message_unpack(d->methods[method].output, NULL,
						   blen - XR_FRAME_HDR, b + XR_FRAME_HDR);
		rc = *reply == NULL
			     ? xr_why(err, err_len, XR_EDECODE, "%s xroad.Node.%s: reply is not a %s",
				       url, d->methods[method].name,
				       d->methods[method].output->name)
			     : 0;
	}
	nng_msg_free(m);
	nng_close(s);
	return rc;
}
