/* AWS Signature Version 4, header and query (presigned) signing.
 *
 * "The signing process ... (1) create a canonical request, (2) create a
 * string to sign, (3) derive a signing key, (4) calculate the signature"
 * (AWS General Reference, Signature Version 4 signing process).
 *
 * The signer never reads a clock: `now` comes in, so the AWS test suite can
 * be run as it is (tests/aws/sigv4-suite). It allocates its outputs and owns
 * nothing it was given. */
#ifndef XR_SIGV4_H
#define XR_SIGV4_H

#include <stddef.h>
#include <time.h>

struct xr_sigv4_header {
	const char *name;  /* any case; duplicates are joined with ',' */
	const char *value; /* trimmed, inner runs of whitespace collapsed */
};

struct xr_sigv4_creds {
	const char *access_key;
	const char *secret_key;
	const char *token; /* session token or NULL */
};

struct xr_sigv4_request {
	const char *method;
	const char *path; /* raw (not percent-encoded) absolute path */
	const char *
		query; /* as it would appear after '?', may hold %XX; or NULL */
	const struct xr_sigv4_header *headers; /* must include Host */
	size_t n_headers;
	const void *body;
	size_t body_len;
};

struct xr_sigv4_params {
	const char *region;
	const char *service;
	time_t now;
	int normalize;     /* remove dot segments and double slashes */
	int double_encode; /* every service but S3 encodes the path twice */
	int sign_body;     /* add and sign x-amz-content-sha256 */
	int omit_token; /* add the token after signing (post-sts-header-after) */
	int presign;    /* query signing instead of an Authorization header */
	unsigned expires; /* presign only: X-Amz-Expires in seconds */
};

/* Everything the signer produced; free with xr_sigv4_result_free(). */
struct xr_sigv4_result {
	char amz_date[17]; /* 20150830T123600Z */
	char payload_hash[65];
	char signature[65];
	char *canonical_request;
	char *string_to_sign;
	char *authorization;  /* header mode: the Authorization value */
	char *canonical_path; /* the encoded path to send */
	char *query;          /* the query to send (presign: with X-Amz-*) */
};

/* 0 or XR_EINVAL (bad input: no host, bad percent escape, ...) or
 * XR_ENOMEM. On error *res holds nothing to free. */
int xr_sigv4_sign(const struct xr_sigv4_request *req,
		  const struct xr_sigv4_creds *creds,
		  const struct xr_sigv4_params *p, struct xr_sigv4_result *res);
void xr_sigv4_result_free(struct xr_sigv4_result *res);

/* Lower-case hex SHA-256 of data into out[65]. */
void xr_sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* RFC 3986 percent-encoding as SigV4 wants it (unreserved kept, '/' kept
 * when keep_slash). Returns a malloc'ed string or NULL on ENOMEM. */
char *xr_sigv4_uri_encode(const char *s, size_t len, int keep_slash);

#endif
