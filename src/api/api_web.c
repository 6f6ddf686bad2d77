/*
 * Static files of the web console (web_root, default ./web), GET only.
 * Paths are checked before any file is opened: no "..", no hidden files.
 * Signalling thread; the files are small, read whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "api/api_int.h"

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
