/* config/facts.c: the user and host names msmtp's %U %H %C %M stand
 * for. Callers may scrub the environment (cron, at, sudo): the password
 * database and gethostname() are the fallbacks. */
#include "config.h"

#include "config/config.h"

#include <fcntl.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Copy src into dst[size], cut to fit; always terminated. */
static void
copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* The first line of /etc/mailname, trimmed. */
static void
read_mailname(char *out, size_t size)
{
	char buf[512];
	ssize_t n;
	int fd = open("/etc/mailname", O_RDONLY | O_CLOEXEC | O_NOCTTY);

	out[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strpbrk(buf, " \t") == NULL)
		copy(out, size, buf);
}

void
cfg_facts_gather(struct cfg_facts *f, bool want_canonical)
{
	const char *user = getenv("USER");
	const char *host = getenv("HOSTNAME");

	memset(f, 0, sizeof(*f));
	if (user == NULL || *user == '\0')
		user = getenv("LOGNAME");
	if (user == NULL || *user == '\0') {
		struct passwd *pw = getpwuid(getuid());
		user = pw ? pw->pw_name : NULL;
	}
	copy(f->user, sizeof(f->user), user ? user : "nobody");
	if (host && *host) {
		copy(f->host, sizeof(f->host), host);
	} else if (gethostname(f->host, sizeof(f->host) - 1) != 0 ||
		   f->host[0] == '\0') {
		copy(f->host, sizeof(f->host), "localhost");
	}
	read_mailname(f->mailname, sizeof(f->mailname));
	if (want_canonical) {
		struct addrinfo hints = { .ai_flags = AI_CANONNAME,
					  .ai_socktype = SOCK_STREAM };
		struct addrinfo *res = NULL;
		if (getaddrinfo(f->host, NULL, &hints, &res) == 0 && res &&
		    res->ai_canonname)
			copy(f->canonical, sizeof(f->canonical),
			     res->ai_canonname);
		if (res)
			freeaddrinfo(res);
	}
}
