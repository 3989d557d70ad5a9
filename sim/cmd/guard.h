/*
 * guard.h - runs a simulation in a child process, so that a run the process
 * cannot finish itself (an allocation that fails and aborts, the kernel's
 * out-of-memory killer, any crash) still ends with a clear message, exit
 * status 1 and its run marked failed instead of left 'running'.
 *
 * The parent forwards SIGINT and SIGTERM to the child (which stops cleanly,
 * marks its run interrupted and exits 130) and otherwise only waits. When
 * the child ends by a signal, the parent calls the caller's on_killed
 * function with the child's process id and a description of the cause.
 */
#ifndef CHAINSIM_GUARD_H
#define CHAINSIM_GUARD_H

#include <sys/types.h>

/* The body: runs in the child; returns its exit status. */
typedef int (*guard_body_fn)(void *ctx);
/* Called in the parent when the child was killed by a signal. */
typedef void (*guard_killed_fn)(void *ctx, pid_t child, const char *cause);

/* Runs body(ctx) in a child process and returns its exit status; when the
 * child is killed by a signal, calls on_killed and returns 1. When the
 * process cannot fork, runs body in this process (returns its status). */
int guard_run(guard_body_fn body, guard_killed_fn on_killed, void *ctx);

#endif
