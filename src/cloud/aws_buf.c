/* Growable, bounded byte buffer; see aws_buf.h. */
#include "aws_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void xr_buf_init(struct xr_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

int xr_buf_add(struct xr_buf *b, const void *data, size_t n)
{
	if (b->err != 0)
		return b->err;
	if (n > b->max || b->len > b->max - n) {
		b->err = XR_ETOOBIG;
		return b->err;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->err = XR_ENOMEM;
			return b->err;
		}
		b->p = p;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int xr_buf_adds(struct xr_buf *b, const char *s)
{
	return xr_buf_add(b, s, strlen(s));
}

int xr_buf_addc(struct xr_buf *b, char c)
{
	return xr_buf_add(b, &c, 1);
}

int xr_buf_addf(struct xr_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (b->err == 0)
			b->err = XR_EINVAL;
		return b->err;
	}
	if ((size_t)n < sizeof(small))
		return xr_buf_add(b, small, (size_t)n);
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		if (b->err == 0)
			b->err = XR_ENOMEM;
		return b->err;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = xr_buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

int xr_buf_err(const struct xr_buf *b)
{
	return b->err;
}

char *xr_buf_take(struct xr_buf *b)
{
	if (b->err == 0 && b->p == NULL)
		xr_buf_add(b, "", 0);
	if (b->err != 0) {
		xr_buf_free(b);
		return NULL;
	}
	char *p = b->p;
	size_t max = b->max;
	xr_buf_init(b, max);
	return p;
}

void xr_buf_free(struct xr_buf *b)
{
	free(b->p);
	size_t max = b->max;
	xr_buf_init(b, max);
}
