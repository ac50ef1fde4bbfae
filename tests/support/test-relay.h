/*
 * A loopback TCP relay for fault tests: a child process that listens on
 * 127.0.0.1:LISTEN_PORT and forwards every connection it accepts to
 * 127.0.0.1:TARGET_PORT, bytes both ways, unchanged (ZeroMQ's ZMTP passes
 * through as it is). Killing it cuts every forwarded connection at once,
 * as a cut link does; starting another on the same port restores the
 * link, and the clients' ZeroMQ sockets reconnect by themselves.
 */
#ifndef TEST_RELAY_H
#define TEST_RELAY_H

#include <sys/types.h>

/* A TCP port on 127.0.0.1 that nobody was listening on a moment ago (the
 * kernel's choice), or -1. Another process could take it meanwhile; the
 * tests live with that small race. */
int     test_relay_free_port(void);
/* Start the relay. It is listening when this returns (the socket is bound
 * before the fork), so a client may connect at once. Its pid, or -1 with
 * the reason on stderr. The relay dies with the test process. */
pid_t   test_relay_start(int listen_port, int target_port);
/* SIGKILL and reap the relay: the link is cut. 0, or -1 if PID is not a
 * running child. */
int     test_relay_stop(pid_t pid);

#endif
