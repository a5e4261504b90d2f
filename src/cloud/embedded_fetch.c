/* Embedded fetch: the routes file is a local file. It is read whole, with a
 * size cap, because a routes file is a few lines and anything large is a
 * wrong path (a log, a device) that must be refused, not slurped. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embedded.h"
#include "embedded_impl.h"
#include "err.h"

int xr_emb_fetch(struct xr_cloud *c, const char *source, char **data,
		 size_t *len)
{
	struct stat st;
	size_t have = 0;
	char *buf;
	int fd;

	if (data == NULL || len == NULL)
		return xr_cloud_errf(c, XR_EINVAL, "fetch: no output");
	*data = NULL;
	*len = 0;
	if (source == NULL || *source == '\0')
		return xr_cloud_errf(c, XR_EINVAL, "fetch: empty source");
	if (strncmp(source, "s3://", 5) == 0)
		return xr_cloud_errf(
			c, XR_EINVAL,
			"fetch %.200s: s3:// needs the aws backend "
			"(cloud = aws)",
			source);
	fd = open(source, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return xr_cloud_errf(c, errno == ENOENT ? XR_ENOTFOUND : XR_EIO,
				     "fetch %.200s: %s", source,
				     strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return xr_cloud_errf(
			c, XR_EIO, "fetch %.200s: not a regular file", source);
	}
	if (st.st_size > (off_t)XR_EMBEDDED_FETCH_MAX) {
		close(fd);
		return xr_cloud_errf(
			c, XR_ETOOBIG, "fetch %.200s: %lld bytes, more than %u",
			source, (long long)st.st_size, XR_EMBEDDED_FETCH_MAX);
	}
	buf = malloc(XR_EMBEDDED_FETCH_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return xr_cloud_errf(c, XR_ENOMEM,
				     "fetch %.200s: out of memory", source);
	}
	/* Read to EOF rather than trusting st_size: the file may grow. One
	 * byte of room past the cap tells "exactly at the cap" from "over". */
	for (;;) {
		ssize_t r =
			read(fd, buf + have, XR_EMBEDDED_FETCH_MAX + 1 - have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;

			close(fd);
			free(buf);
			return xr_cloud_errf(c, XR_EIO,
					     "fetch %.200s: read: %s", source,
					     strerror(saved));
		}
		if (r == 0)
			break;
		have += (size_t)r;
		if (have > XR_EMBEDDED_FETCH_MAX) {
			close(fd);
			free(buf);
			return xr_cloud_errf(c, XR_ETOOBIG,
					     "fetch %.200s: more than %u bytes",
					     source, XR_EMBEDDED_FETCH_MAX);
		}
	}
	close(fd);
	buf[have] = '\0';
	*data = buf;
	*len = have;
	return 0;
}
