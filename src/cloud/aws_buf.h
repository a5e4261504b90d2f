/* A growable byte buffer with a maximum size (after curl's dynbuf), shared by
 * the signer and the AWS clients. Errors are sticky: after the first failed
 * append every later one is a no-op and xr_buf_err() tells why, so a caller
 * builds a whole string and checks once. */
#ifndef XR_AWS_BUF_H
#define XR_AWS_BUF_H

#include <stddef.h>

struct xr_buf {
	char *p; /* NUL-terminated when non-NULL; owned by the buffer */
	size_t len;
	size_t cap;
	size_t max; /* appends past this fail with XR_ETOOBIG */
	int err;    /* 0, XR_ENOMEM or XR_ETOOBIG */
};

void xr_buf_init(struct xr_buf *b, size_t max);
int xr_buf_add(struct xr_buf *b, const void *data, size_t n);
int xr_buf_adds(struct xr_buf *b, const char *s);
int xr_buf_addc(struct xr_buf *b, char c);
int xr_buf_addf(struct xr_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* 0 or the sticky error. */
int xr_buf_err(const struct xr_buf *b);
/* Hands the string to the caller (never NULL unless the buffer failed:
 * then NULL and the buffer is freed). The buffer is empty afterwards. */
char *xr_buf_take(struct xr_buf *b);
void xr_buf_free(struct xr_buf *b);

#endif
