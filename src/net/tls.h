/* Mutual TLS between nodes (docs/NET.md, "TLS"): the cluster CA, one
 * certificate and key per process, checked when they are loaded, and the nng
 * listeners and dialers that use them.
 *
 * Who is who: a node's certificate names it "xroad-node-ID" (a subjectAltName
 * DNS entry, tools/gen-certs), and whoever dials node ID asks for exactly that
 * name. A listener can only require that its peers hold a certificate the CA
 * signed: nng 1.5 does not tell the listener which one (no peer certificate
 * option), so a client is authenticated as a member of the cluster, not as a
 * particular node.
 *
 * Files are checked with mbed TLS, the library nng itself does TLS with, so
 * what passes the check is what the handshake accepts. */
#ifndef XR_NET_TLS_H
#define XR_NET_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

/* Name a node's certificate carries and its dialers ask for. */
#define XR_TLS_NAME_MAX 32
void xr_tls_node_name(uint32_t id, char *buf, size_t len);

struct xr_tls;

/* Reads the CA, certificate and key files and checks them: each parses (PEM),
 * the key is the certificate's, the CA signed the certificate, it is valid
 * now, and its extended key usage allows the roles it plays. `name` is the
 * name the certificate must carry (xr_tls_node_name() for a node, which also
 * serves TLS and needs serverAuth), or NULL for a client-only certificate
 * (xroadctl). On failure *out is untouched and `err` names the file and the
 * problem ("certs/node-2.crt: not signed by the CA in certs/ca.crt").
 * Returns 0, XR_ECONFIG or XR_ENOMEM. *out is freed by xr_tls_free(). */
int xr_tls_load(struct xr_tls **out, const char *ca, const char *cert,
		const char *key, const char *name, char *err, size_t err_len);

/* Frees the material; the key's bytes are wiped first. NULL is fine. */
void xr_tls_free(struct xr_tls *t);

/* The CA file the material was loaded with (for messages). */
const char *xr_tls_ca_path(const struct xr_tls *t);

/* Listens on `url` (tls+tcp://) with `t`: the handshake requires a
 * certificate the CA signed. *l is the started listener. nng error code. */
int xr_tls_listen(nng_socket s, const char *url, const struct xr_tls *t,
		  nng_listener *l);

/* Dials `url` (tls+tcp://) with `t`, presenting our certificate and
 * requiring one the CA signed that names `peer_name` (NULL: any name, for
 * `xroadctl --node` which does not know the node's id). `flags` as for
 * nng_dial(). *d is the started dialer. nng error code. */
int xr_tls_dial(nng_socket s, const char *url, const struct xr_tls *t,
		const char *peer_name, int flags, nng_dialer *d);

#endif
