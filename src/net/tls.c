/* Loading and checking the TLS material of a node or of xroadctl, and the
 * nng listeners and dialers that use it (tls.h, docs/NET.md "TLS").
 *
 * Every check runs before a socket opens, so a wrong file is a configuration
 * error naming the file (exit 2 for the daemon) rather than handshakes that
 * fail later with nng's "Cryptographic error" and nothing else to go by. */
#include "tls.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <nng/supplemental/tls/tls.h>

#include "config.h"
#include "err.h"

#define PEM_MAX (256u * 1024) /* a CA bundle of a few hundred certificates */

struct xr_tls {
	char ca_path[XR_PATH_MAX];
	char *ca;   /* PEM, NUL-terminated */
	char *cert; /* PEM: the certificate, then any intermediates */
	char *key;  /* PEM, unencrypted */
	size_t key_len;
};

void xr_tls_node_name(uint32_t id, char *buf, size_t len)
{
	snprintf(buf, len, "xroad-node-%u", (unsigned)id);
}

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

void xr_tls_free(struct xr_tls *t)
{
	if (t == NULL)
		return;
	if (t->key != NULL) {
		wipe(t->key, t->key_len);
		free(t->key);
	}
	free(t->ca);
	free(t->cert);
	free(t);
}

const char *xr_tls_ca_path(const struct xr_tls *t)
{
	return t->ca_path;
}

/* A file of PEM blocks: read whole, with a message that names it. DER or a
 * binary file is refused here with a hint rather than by the parser with an
 * ASN.1 error code. */
static int read_pem(const char *path, const char *what, const char *begin,
		    char **out, size_t *len, char *err, size_t err_len)
{
	char why[XR_PATH_MAX + 128];
	int rc = xr_read_file(path, PEM_MAX, out, len, why, sizeof why);

	if (rc == XR_ENOMEM)
		return rc;
	if (rc == XR_ECONFIG) /* xr_read_file: a NUL byte */
		return xr_why(
			err, err_len, XR_ECONFIG,
			"%s: binary, not a PEM %s (DER? `openssl x509 -inform der` "
			"or `openssl pkey -inform der` converts it)",
			path, what);
	if (rc != 0)
		return xr_why(err, err_len, XR_ECONFIG, "%s (%s)", why, what);
	if (strstr(*out, begin) == NULL) {
		free(*out);
		*out = NULL;
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: no \"%s\" block: not a PEM %s", path, begin,
			      what);
	}
	return 0;
}

static const char *mbed_why(int rc, char *buf, size_t len)
{
	mbedtls_strerror(rc, buf, len);
	return buf;
}

/* mbed TLS's verification flags, as one line: "expired on 2026-01-02; ...". */
static void verify_why(uint32_t flags, const mbedtls_x509_crt *crt,
		       const char *ca, const char *name, char *buf, size_t len)
{
	size_t o = 0;

#define ADD(...)                                                               \
	do {                                                                   \
		if (o < len) {                                                 \
			int w_ = snprintf(buf + o, len - o, "%s",              \
					  o ? "; " : "");                      \
			o += w_ > 0 ? (size_t)w_ : 0;                          \
		}                                                              \
		if (o < len) {                                                 \
			int w_ = snprintf(buf + o, len - o, __VA_ARGS__);      \
			o += w_ > 0 ? (size_t)w_ : 0;                          \
		}                                                              \
	} while (0)

	buf[0] = '\0';
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
		ADD("not signed by the CA in %s", ca);
		flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_NOT_TRUSTED;
	}
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED) {
		ADD("expired on %04d-%02d-%02d", crt->valid_to.year,
		    crt->valid_to.mon, crt->valid_to.day);
		flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_EXPIRED;
	}
	if (flags & MBEDTLS_X509_BADCERT_FUTURE) {
		ADD("not valid before %04d-%02d-%02d (check the clock)",
		    crt->valid_from.year, crt->valid_from.mon,
		    crt->valid_from.day);
		flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_FUTURE;
	}
	if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
		ADD("does not carry the name %s (a subjectAltName DNS entry; tools/gen-certs writes it)",
		    name != NULL ? name : "?");
		flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
	}
	if (flags != 0) {
		/* The rest in mbed TLS's own words, one line. */
		char more[256];
		mbedtls_x509_crt_verify_info(more, sizeof more, "", flags);
		for (char *p = more; *p != '\0'; p++)
			if (*p == '\n')
				*p = (p[1] != '\0') ? ';' : '\0';
		ADD("%s", more);
	}
#undef ADD
}

/* 1 when the certificate may be used for `oid` (no extendedKeyUsage
 * extension allows every use, as in the handshake). */
static bool eku_allows(const mbedtls_x509_crt *crt, const char *oid, size_t len)
{
	return mbedtls_x509_crt_check_extended_key_usage(crt, oid, len) == 0;
}

static int check_material(const struct xr_tls *t, const char *cert_path,
			  const char *key_path, const char *name, char *err,
			  size_t err_len)
{
	mbedtls_x509_crt ca, crt;
	mbedtls_pk_context pk;
	char why[512], mw[160];
	uint32_t flags = 0;
	int rc, ret = XR_ECONFIG;

	mbedtls_x509_crt_init(&ca);
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	rc = mbedtls_x509_crt_parse(&ca, (const unsigned char *)t->ca,
				    strlen(t->ca) + 1);
	if (rc < 0) {
		xr_why(err, err_len, XR_ECONFIG, "%s: not a CA certificate: %s",
		       t->ca_path, mbed_why(rc, mw, sizeof mw));
		goto out;
	}
	if (rc > 0) {
		xr_why(err, err_len, XR_ECONFIG,
		       "%s: %d of its certificates do not parse", t->ca_path,
		       rc);
		goto out;
	}
	rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *)t->cert,
				    strlen(t->cert) + 1);
	if (rc != 0) {
		if (rc > 0)
			xr_why(err, err_len, XR_ECONFIG,
			       "%s: %d of its certificates do not parse",
			       cert_path, rc);
		else
			xr_why(err, err_len, XR_ECONFIG,
			       "%s: not a certificate: %s", cert_path,
			       mbed_why(rc, mw, sizeof mw));
		goto out;
	}
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	rc = mbedtls_pk_parse_key(&pk, (const unsigned char *)t->key,
				  t->key_len + 1, NULL, 0, NULL, NULL);
#else
	rc = mbedtls_pk_parse_key(&pk, (const unsigned char *)t->key,
				  t->key_len + 1, NULL, 0);
#endif
	if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
		xr_why(err, err_len, XR_ECONFIG,
		       "%s: the key is encrypted; xroad reads unencrypted keys only "
		       "(keep it 0600; `openssl pkey -in KEY -out KEY` decrypts it)",
		       key_path);
		goto out;
	}
	if (rc != 0) {
		xr_why(err, err_len, XR_ECONFIG, "%s: not a private key: %s",
		       key_path, mbed_why(rc, mw, sizeof mw));
		goto out;
	}
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	rc = mbedtls_pk_check_pair(&crt.pk, &pk, NULL, NULL);
#else
	rc = mbedtls_pk_check_pair(&crt.pk, &pk);
#endif
	if (rc != 0) {
		xr_why(err, err_len, XR_ECONFIG,
		       "%s: not the key of the certificate in %s", key_path,
		       cert_path);
		goto out;
	}
	rc = mbedtls_x509_crt_verify(&crt, &ca, NULL, name, &flags, NULL, NULL);
	if (rc != 0 || flags != 0) {
		verify_why(flags, &crt, t->ca_path, name, why, sizeof why);
		xr_why(err, err_len, XR_ECONFIG, "%s: %s", cert_path,
		       why[0] != '\0' ? why : mbed_why(rc, mw, sizeof mw));
		goto out;
	}
	/* The handshake checks these on the peer's side, where the error is a
	 * bare "Cryptographic error": say it here, on ours. */
	if (!eku_allows(&crt, MBEDTLS_OID_CLIENT_AUTH,
			MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH))) {
		xr_why(err, err_len, XR_ECONFIG,
		       "%s: its extendedKeyUsage does not allow clientAuth (every xroad process dials)",
		       cert_path);
		goto out;
	}
	if (name != NULL &&
	    !eku_allows(&crt, MBEDTLS_OID_SERVER_AUTH,
			MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))) {
		xr_why(err, err_len, XR_ECONFIG,
		       "%s: its extendedKeyUsage does not allow serverAuth (a node listens)",
		       cert_path);
		goto out;
	}
	ret = 0;
out:
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_crt_free(&ca);
	return ret;
}

int xr_tls_load(struct xr_tls **out, const char *ca, const char *cert,
		const char *key, const char *name, char *err, size_t err_len)
{
	struct xr_tls *t = calloc(1, sizeof *t);
	size_t n;
	int rc;

	if (t == NULL)
		return XR_ENOMEM;
	if (strlen(ca) >= sizeof t->ca_path) {
		free(t);
		return xr_why(err, err_len, XR_ECONFIG, "%s: path too long",
			      ca);
	}
	memcpy(t->ca_path, ca, strlen(ca) + 1);
	if ((rc = read_pem(ca, "CA certificate", "-----BEGIN CERTIFICATE-----",
			   &t->ca, &n, err, err_len)) != 0 ||
	    (rc = read_pem(cert, "certificate", "-----BEGIN CERTIFICATE-----",
			   &t->cert, &n, err, err_len)) != 0 ||
	    (rc = read_pem(key, "private key", "-----BEGIN", &t->key,
			   &t->key_len, err, err_len)) != 0 ||
	    (rc = check_material(t, cert, key, name, err, err_len)) != 0) {
		xr_tls_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* One nng TLS configuration per listener or dialer: nng holds it for as long
 * as the endpoint lives. */
static int make_config(const struct xr_tls *t, nng_tls_mode mode,
		       const char *peer_name, nng_tls_config **out)
{
	nng_tls_config *cfg;
	int rv;

	if ((rv = nng_tls_config_alloc(&cfg, mode)) != 0)
		return rv;
	if ((rv = nng_tls_config_ca_chain(cfg, t->ca, NULL)) != 0 ||
	    (rv = nng_tls_config_own_cert(cfg, t->cert, t->key, NULL)) != 0 ||
	    (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) !=
		    0 ||
	    (peer_name != NULL &&
	     (rv = nng_tls_config_server_name(cfg, peer_name)) != 0)) {
		nng_tls_config_free(cfg);
		return rv;
	}
	*out = cfg;
	return 0;
}

int xr_tls_listen(nng_socket s, const char *url, const struct xr_tls *t,
		  nng_listener *l)
{
	nng_tls_config *cfg;
	int rv;

	if ((rv = nng_listener_create(l, s, url)) != 0)
		return rv;
	if ((rv = make_config(t, NNG_TLS_MODE_SERVER, NULL, &cfg)) != 0) {
		nng_listener_close(*l);
		return rv;
	}
	rv = nng_listener_set_ptr(*l, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg); /* the listener holds its own reference */
	if (rv == 0)
		rv = nng_listener_start(*l, 0);
	if (rv != 0)
		nng_listener_close(*l);
	return rv;
}

int xr_tls_dial(nng_socket s, const char *url, const struct xr_tls *t,
		const char *peer_name, int flags, nng_dialer *d)
{
	nng_tls_config *cfg;
	int rv;

	if ((rv = nng_dialer_create(d, s, url)) != 0)
		return rv;
	if ((rv = make_config(t, NNG_TLS_MODE_CLIENT, peer_name, &cfg)) != 0) {
		nng_dialer_close(*d);
		return rv;
	}
	rv = nng_dialer_set_ptr(*d, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg);
	if (rv == 0)
		rv = nng_dialer_start(*d, flags);
	if (rv != 0)
		nng_dialer_close(*d);
	return rv;
}
