/*
 * The loopback TCP relay (test-relay.h).
 *
 * One process, one poll() loop: the listening socket, and for each
 * accepted connection a pair of sockets (the client's, and ours to the
 * target) with one buffer per direction. A direction reads only while its
 * buffer is empty and writes while it is not, so a slow reader slows its
 * writer down (TCP's own flow control) instead of the relay buffering
 * without bound. When either side of a pair closes or fails, both are
 * closed: ZMTP has no use for a half-open connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-relay.h"

#define RELAY_MAX_PAIRS 32
#define RELAY_BUF 65536

/* One direction of a pair: bytes read from FROM, not yet written to TO. */
struct relay_dir {
	int from, to;
	char buf[RELAY_BUF];
	size_t len, off;
};

struct relay_pair {
	int used;
	struct relay_dir dir[2]; /* client -> target, target -> client */
};

static struct relay_pair pairs[RELAY_MAX_PAIRS];

/* 127.0.0.1:PORT. */
static struct sockaddr_in
relay_addr(int port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

int
test_relay_free_port(void)
{
	struct sockaddr_in sa = relay_addr(0);
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
relay_pair_close(struct relay_pair *p)
{
	close(p->dir[0].from);
	close(p->dir[0].to);
	p->used = 0;
}

/* A new client on LFD: connect it to the target, or drop it. */
static void
relay_accept(int lfd, int target_port)
{
	struct sockaddr_in sa = relay_addr(target_port);
	int one = 1, c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A blocking connect on loopback answers at once, either way. */
	if (t < 0 || connect(t, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(c);
		if (t >= 0)
			close(t);
		return;
	}
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	for (int i = 0; i < RELAY_MAX_PAIRS; i++) {
		if (!pairs[i].used) {
			pairs[i].used = 1;
			pairs[i].dir[0] = (struct relay_dir){ .from = c, .to = t };
			pairs[i].dir[1] = (struct relay_dir){ .from = t, .to = c };
			return;
		}
	}
	close(c); /* full: the client sees a cut link and retries */
	close(t);
}

/* Move bytes in direction D as far as poll said it could: -1 when the
 * pair is done (EOF or an error on either side). */
static int
relay_move(struct relay_dir *d, short from_ev, short to_ev)
{
	ssize_t n;

	if (d->len == 0 && (from_ev & (POLLIN | POLLHUP | POLLERR))) {
		n = read(d->from, d->buf, sizeof d->buf);
		if (n <= 0)
			return n < 0 && errno == EINTR ? 0 : -1;
		d->len = (size_t)n;
		d->off = 0;
	}
	if (d->len > 0 && (to_ev & (POLLOUT | POLLERR | POLLHUP))) {
		/* MSG_NOSIGNAL: a closed peer is an error here, not SIGPIPE. */
		n = send(d->to, d->buf + d->off, d->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EINTR || errno == EAGAIN ? 0 : -1;
		d->off += (size_t)n;
		d->len -= (size_t)n;
	}
	return 0;
}

/* The relay's life: never returns. */
static void __attribute__((noreturn))
relay_run(int lfd, int target_port)
{
	struct pollfd pfd[1 + 2 * RELAY_MAX_PAIRS];

	for (;;) {
		int n = 0;
		pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < RELAY_MAX_PAIRS; i++) {
			struct relay_pair *p = &pairs[i];
			/* Slot 2i+1 is the client's socket, 2i+2 the target's:
			 * unused pairs poll fd -1, which poll() skips. */
			pfd[n].fd = p->used ? p->dir[0].from : -1;
			pfd[n++].events = p->used ? (short)((p->dir[0].len == 0 ? POLLIN : 0) |
			    (p->dir[1].len > 0 ? POLLOUT : 0)) : 0;
			pfd[n].fd = p->used ? p->dir[1].from : -1;
			pfd[n++].events = p->used ? (short)((p->dir[1].len == 0 ? POLLIN : 0) |
			    (p->dir[0].len > 0 ? POLLOUT : 0)) : 0;
		}
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (int i = 0; i < RELAY_MAX_PAIRS; i++) {
			struct relay_pair *p = &pairs[i];
			short ce = pfd[2 * i + 1].revents, te = pfd[2 * i + 2].revents;
			if (!p->used || (ce == 0 && te == 0))
				continue;
			if (relay_move(&p->dir[0], ce, te) < 0 ||
			    relay_move(&p->dir[1], te, ce) < 0)
				relay_pair_close(p);
		}
		/* New clients last: their slots were not in this poll. */
		if (pfd[0].revents & POLLIN)
			relay_accept(lfd, target_port);
	}
}

pid_t
test_relay_start(int listen_port, int target_port)
{
	struct sockaddr_in sa = relay_addr(listen_port);
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t parent = getpid();

	/* SO_REUSEADDR: a relay started again on the port of one just killed
	 * must not wait for the old connections' TIME_WAIT. */
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 16) != 0) {
		fprintf(stderr, "test-relay: cannot listen on 127.0.0.1:%d: %s\n", listen_port,
		    strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "test-relay: fork: %s\n", strerror(errno));
		close(lfd);
		return -1;
	}
	if (pid == 0) {
		/* The test's descriptors (its ZeroMQ sockets, a console's pty)
		 * must not live on in the relay: a connection the test closes
		 * must close. And the relay must not outlive the test. */
		if (lfd > 3)
			close_range(3, (unsigned)lfd - 1, 0);
		close_range((unsigned)lfd + 1, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGPIPE, SIG_IGN);
		relay_run(lfd, target_port);
	}
	close(lfd);
	return pid;
}

int
test_relay_stop(pid_t pid)
{
	int status;

	if (pid <= 0 || kill(pid, SIGKILL) != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}
