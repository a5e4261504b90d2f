/* The checks a node makes on its configuration before it opens its cloud,
 * its state_dir or a socket, in one place: `xroad --id N` runs them at start
 * and `xroad --check-config` runs the very same ones, so that a config the
 * check calls ok does not fail at start (issue 13: an ipc path over 108
 * bytes, s3:// routes with the embedded cloud and a state_dir that is a file
 * were all "ok"). Each failure is one line naming the file, the setting and
 * why. Only what can be known without side effects is checked: nothing is
 * created, bound or fetched (a tcp port taken by another process, or an s3
 * object, is only found at start). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "err.h"

/* sun_path holds the socket path and its NUL; nng refuses longer paths with
 * "Invalid address", after the node has opened its cloud and state. */
#define IPC_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* An ipc:// address whose path (and its .wave twin, NET.md) fits a unix
 * socket, in a directory that exists: nng does not create it. */
static int check_ipc(const struct xr_cluster *c, uint32_t id, char *err,
		     size_t err_len)
{
	const struct xr_cluster_node *nd = &c->nodes[id];
	const char *path, *wave, *slash;
	char dir[XR_ADDR_MAX];
	struct stat st;

	if (strncmp(nd->address, "ipc://", 6) != 0)
		return 0;
	path = nd->address + 6;
	wave = nd->wave_address + 6;
	if (strlen(wave) > IPC_PATH_MAX)
		return xr_why(
			err, err_len, XR_ECONFIG,
			"%s:%d: node %u: address %s: the path of its wave socket %s is "
			"%zu bytes, a unix socket path holds at most %zu (use a "
			"shorter directory, e.g. under /tmp, or tcp://)",
			c->path, nd->line, (unsigned)id, nd->address, wave,
			strlen(wave), (size_t)IPC_PATH_MAX);
	slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return 0; /* relative to the cwd, or in / */
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) != 0)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s:%d: node %u: address %s: directory %s: %s",
			      c->path, nd->line, (unsigned)id, nd->address, dir,
			      strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return xr_why(
			err, err_len, XR_ECONFIG,
			"%s:%d: node %u: address %s: %s is not a directory",
			c->path, nd->line, (unsigned)id, nd->address, dir);
	return 0;
}

/* state_dir is created at start (with its parents): every part of it that
 * exists must be a directory, and the deepest existing one writable. */
static int check_state_dir(const struct xr_cluster *c, char *err,
			   size_t err_len)
{
	char buf[XR_PATH_MAX];
	struct stat st;
	size_t n = strlen(c->state_dir);

	if (n == 0 || n >= sizeof buf)
		return xr_why(err, err_len, XR_ECONFIG,
			      "%s: state_dir: empty or too long", c->path);
	memcpy(buf, c->state_dir, n + 1);
	for (;;) {
		if (stat(buf, &st) == 0) {
			if (!S_ISDIR(st.st_mode) &&
			    strcmp(buf, c->state_dir) == 0)
				return xr_why(
					err, err_len, XR_ECONFIG,
					"%s: state_dir %s: not a directory",
					c->path, c->state_dir);
			if (!S_ISDIR(st.st_mode))
				return xr_why(
					err, err_len, XR_ECONFIG,
					"%s: state_dir %s: %s is not a directory",
					c->path, c->state_dir, buf);
			if (access(buf, W_OK | X_OK) != 0)
				return xr_why(err, err_len, XR_ECONFIG,
					      "%s: state_dir %s: %s: %s",
					      c->path, c->state_dir, buf,
					      strerror(errno));
			return 0;
		}
		/* ENOTDIR: a part of it is a file, found on the way up. */
		if (errno != ENOENT && errno != ENOTDIR)
			return xr_why(err, err_len, XR_ECONFIG,
				      "%s: state_dir %s: %s: %s", c->path,
				      c->state_dir, buf, strerror(errno));
		/* Missing: start makes it; look at its parent. */
		char *slash = strrchr(buf, '/');
		if (slash == NULL)
			return 0; /* relative and nothing of it exists: the cwd */
		if (slash == buf) {
			buf[1] = '\0';
			continue;
		}
		*slash = '\0';
	}
}

int xr_daemon_preflight(const struct xr_cluster *c, bool one, uint32_t id,
			char *err, size_t err_len)
{
	int rc;

	if (c->cloud != XR_CLOUD_AWS && strncmp(c->routes, "s3://", 5) == 0)
		return xr_why(
			err, err_len, XR_ECONFIG,
			"%s: routes %s: s3:// needs cloud = aws (or --cloud aws); "
			"the embedded cloud reads a local file",
			c->path, c->routes);
	if ((rc = check_state_dir(c, err, err_len)) != 0)
		return rc;
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		if (one && i != id)
			continue;
		if ((rc = check_ipc(c, i, err, err_len)) != 0)
			return rc;
	}
	return 0;
}
