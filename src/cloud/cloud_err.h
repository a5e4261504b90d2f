/* Writing cloud->err: one line, wrapped at each layer with the layer's
 * name in front ("poller: store_crossings: record X: table put: ..."). */
#ifndef XR_CLOUD_ERR_H
#define XR_CLOUD_ERR_H

#include "cloud.h"

/* Sets c->err (truncated to fit) and returns `code`. */
int xr_cloud_errf(struct xr_cloud *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts "prefix: " in front of the current c->err; returns `code`. */
int xr_cloud_err_wrap(struct xr_cloud *c, int code, const char *prefix);

#endif
