/*
 * faketime.c — LD_PRELOAD shim that shifts the clock by an offset, so a test
 * can advance the OTR library's clock (heartbeats, resend window, commit
 * expiry).
 *
 * The offset (integer seconds, may be negative) is read from the file named
 * by the environment variable OTR_FAKETIME_FILE on every call; a missing or
 * unreadable file, or an unset variable, means offset 0.
 *
 * Build: cc -shared -fPIC -o libfaketime_otr.so faketime.c
 * Use:   OTR_FAKETIME_FILE=/tmp/x LD_PRELOAD=/path/libfaketime_otr.so prog
 *
 * time() is overridden (libotr reads the clock with time(NULL) only), and so
 * is clock_gettime() for the realtime, monotonic and boot-time clocks: the
 * drop-in libotr.so.5 built on our engine reads the monotonic clock (Rust's
 * Instant), and the same test must be able to move it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long read_offset(void)
{
    const char *path = getenv("OTR_FAKETIME_FILE");
    char buf[64];
    ssize_t n;
    int fd, saved = errno;
    long v = 0;
    int neg = 0;
    size_t i = 0;

    if (!path || !*path) return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { errno = saved; return 0; }
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    errno = saved;
    if (n <= 0) return 0;
    buf[n] = '\0';
    while (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')
        i++;
    if (buf[i] == '-' || buf[i] == '+') { neg = buf[i] == '-'; i++; }
    for (; buf[i] >= '0' && buf[i] <= '9'; i++) {
        if (v > 100000000000L) break;    /* absurd; stop growing */
        v = v * 10 + (buf[i] - '0');
    }
    return neg ? -v : v;
}

/* The kernel's clock, without going through (our own) clock_gettime. */
static int real_clock_gettime(clockid_t clk, struct timespec *ts)
{
    return (int)syscall(SYS_clock_gettime, clk, ts);
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
    int rc = real_clock_gettime(clk, ts);
    if (rc == 0 && ts && (clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC ||
            clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_MONOTONIC_COARSE ||
            clk == CLOCK_REALTIME_COARSE || clk == CLOCK_BOOTTIME))
        ts->tv_sec += (time_t)read_offset();
    return rc;
}

time_t time(time_t *tloc)
{
    struct timespec ts;
    time_t now;
    if (real_clock_gettime(CLOCK_REALTIME, &ts) != 0) ts.tv_sec = 0;
    now = ts.tv_sec + (time_t)read_offset();
    if (tloc) *tloc = now;
    return now;
}
