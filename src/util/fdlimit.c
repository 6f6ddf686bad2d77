/* Descriptor limits (fdlimit.h). Startup only. */
#include <sys/resource.h>
#include <re.h>
#include "util/fdlimit.h"

unsigned fd_limit_raise(int *table_ok)
{
	struct rlimit rl;
	rlim_t want;

	*table_ok = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	want = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	/* only the table's first size counts: free it first (nothing
	 * listens yet); libre then picks epoll, which has no 1024 limit */
	(void)fd_setsize(0);
	*table_ok = fd_setsize((int)rl.rlim_cur) == 0;
	return (unsigned)rl.rlim_cur;
}
