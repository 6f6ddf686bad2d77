/*
 * Static files of the web console, GET only. Where they are: web_root
 * when it is set, else found from where caucusd itself is, so that it
 * serves the console from whatever folder it is started in: beside an
 * installed binary (PREFIX/bin/caucusd: PREFIX/share/caucus/web), in the
 * build tree (a build folder of the checkout: its web/). Paths are
 * checked before any file is opened: no "..", no hidden files.
 * Signalling thread; the files are small, read whole.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "api/api_int.h"
#include "util/log.h"

#define WEB_MAX_FILE (1024 * 1024)

static const struct {
	const char *ext;
	const char *ctype;
} ctypes[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".json", "application/json"},
};

static const char *ctype_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(ctypes) / sizeof(ctypes[0]); i++)
		if (!strcmp(dot, ctypes[i].ext))
			return ctypes[i].ctype;
	return "application/octet-stream";
}

static bool path_safe(const char *p)
{
	if (strstr(p, "..") || strstr(p, "/."))
		return false;
	for (; *p; p++) {
		char ch = *p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("/._-", ch)))
			return false;
	}
	return true;
}

static bool has_console(const char *dir)
{
	char index[PATH_MAX];
	struct stat st;
	int n = snprintf(index, sizeof(index), "%s/index.html", dir);

	return n > 0 && (size_t)n < sizeof(index) && !stat(index, &st) &&
		S_ISREG(st.st_mode);
}

/* Where the console is, relative to the running executable: installed
 * (bin/ beside share/caucus/web) or in a build folder of the checkout
 * (build/ beside web/) */
static int web_beside_exe(char *out, size_t sz)
{
	static const char *const rel[] = {"../share/caucus/web", "../web"};
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return ENOENT;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char dir[PATH_MAX];
		int m = snprintf(dir, sizeof(dir), "%s/%s", exe, rel[i]);

		if (m > 0 && (size_t)m < sizeof(dir) && has_console(dir) &&
		    realpath(dir, exe)) {
			snprintf(out, sz, "%s", exe);
			return 0;
		}
	}
	return ENOENT;
}

int api_web_locate(char **rootp, const char *configured)
{
	char dir[PATH_MAX];

	*rootp = NULL;
	if (configured && configured[0]) {
		if (!has_console(configured))
			log_warn("api", "msg=\"no web console: web_root has no "
				 "index.html\" web_root=%s", configured);
		return str_dup(rootp, configured);
	}
	if (web_beside_exe(dir, sizeof(dir))) {
		log_warn("api", "msg=\"no web console: none beside the "
			 "executable (share/caucus/web or web), set web_root\"");
		return 0;
	}
	log_dbg("api", "msg=\"web console\" web_root=%s", dir);
	return str_dup(rootp, dir);
}

void api_web(struct api_req *r)
{
	char rel[128], full[512];
	struct mbuf *mb = NULL;
	FILE *f = NULL;
	size_t n;

	if (!r->api->web_root || r->msg->path.l >= sizeof(rel) - 16) {
		api_error(r, 404, "Not Found", "no such resource", NULL);
		return;
	}
	pl_strcpy(&r->msg->path, rel, sizeof(rel));
	if (!strcmp(rel, "/"))
		strcpy(rel, "/index.html");
	if (!path_safe(rel)) {
		api_error(r, 404, "Not Found", "no such resource", NULL);
		return;
	}
	snprintf(full, sizeof(full), "%s%s", r->api->web_root, rel);
	f = fopen(full, "rb");
	mb = mbuf_alloc(4096);
	if (!f || !mb) {
		api_error(r, 404, "Not Found", "no such resource", NULL);
		goto out;
	}
	while ((n = fread(mb->buf + mb->end, 1, mb->size - mb->end, f)) > 0) {
		mb->end += n;
		if (mb->end == mb->size) {
			if (mb->size >= WEB_MAX_FILE ||
			    mbuf_resize(mb, mb->size * 2))
				break;
		}
	}
	api_count(r, 200);
	(void)http_reply(r->conn, 200, "OK",
			 "Content-Type: %s\r\n"
			 "Cache-Control: no-cache\r\n"
			 "Content-Length: %zu\r\n\r\n%b",
			 ctype_of(rel), mb->end, mb->buf, mb->end);
out:
	if (f)
		fclose(f);
	mem_deref(mb);
}
