/*
 * Preloaded into mcsim (tests/sim/mcsim-exit.js): SIGPIPE stays ignored, as a
 * device has no such signal. The SDK's Linux tcp.c writes with write() (no
 * MSG_NOSIGNAL) and lin_xs.c sets SIGPIPE back to its default once the
 * debugger is connected, so a write to a connection the peer closed kills the
 * simulator, where a device's write fails and tcp.c reports kTCPError (its own
 * path for write() < 0). With this, mcsim takes that path too.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>

typedef void (*handler_t)(int);

handler_t signal(int number, handler_t handler)
{
	static handler_t (*real)(int, handler_t);
	if (!real)
		real = (handler_t (*)(int, handler_t))dlsym(RTLD_NEXT, "signal");
	return real(number, number == SIGPIPE ? SIG_IGN : handler);
}

__attribute__((constructor)) static void ignorePipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}
