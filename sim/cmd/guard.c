/*
 * guard.c - a parent process that outlives a crashing simulation (see
 * guard.h).
 *
 * The child inherits stdout and stderr, so progress, summary and digest
 * appear as before. Signals: while the child runs, the parent catches
 * SIGINT and SIGTERM and passes them on (a Ctrl-C from a terminal reaches
 * both, and the child stops at its next event either way); SIGKILL of the
 * parent leaves the child running to its end.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/cmd/guard.h"

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

int guard_run(guard_body_fn body, guard_killed_fn on_killed, void *ctx)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return body(ctx);
    if (pid == 0)
        exit(body(ctx)); /* exit, not _exit: stdio buffers are flushed */

    child_pid = pid;
    struct sigaction sa = { .sa_handler = forward }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int st = 0;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    child_pid = 0;
    if (r < 0)
        return 1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    int sig = WTERMSIG(st);
    char cause[160];
    if (sig == SIGKILL)
        snprintf(cause, sizeof cause, "the simulation process was killed (SIGKILL; on Linux usually the "
                 "out-of-memory killer)");
    else if (sig == SIGABRT || sig == SIGTRAP)
        snprintf(cause, sizeof cause, "the simulation process aborted (%s; a failed memory allocation or an "
                 "assertion: see the message above)", strsignal(sig));
    else
        snprintf(cause, sizeof cause, "the simulation process ended by signal %d (%s)", sig, strsignal(sig));
    on_killed(ctx, pid, cause);
    return 1;
}
