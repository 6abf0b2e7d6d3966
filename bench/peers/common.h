/*
 * common.h: what amqp_bench and mqtt_bench share: a monotonic clock, a
 * latency sample set with percentiles, a sampler of a process's resident
 * memory, command-line options, the message payload layout and the one
 * JSON object per run that both print on stdout.
 */
#ifndef BENCH_PEERS_COMMON_H
#define BENCH_PEERS_COMMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum bench_mode { MODE_ACCEPT, MODE_E2E, MODE_THROUGHPUT, MODE_FLASH };

struct opts {
	enum bench_mode	 mode;
	const char	*mode_name;
	const char	*dir;		/* ca.crt client.crt client.key */
	int		 port;
	size_t		 count;		/* messages (bulk in flash mode) */
	size_t		 size;		/* payload bytes */
	size_t		 window;	/* in flight */
	unsigned	 interval_ms;	/* flash period */
	pid_t		 broker_pid;
	size_t		 warmup;
};

struct lat {
	double	*v;		/* milliseconds */
	size_t	 n, cap;
};

struct rss {
	pid_t		 pid;
	long		 peak_kb;	/* highest VmRSS seen */
	long		 hwm_kb;	/* VmHWM at stop */
	volatile int	 stop;
	pthread_t	 th;
	int		 running;
};

/* Payload header: monotonic send time, run id, sequence number. */
#define PAYLOAD_HDR	24

uint64_t	now_ns(void);
void		die(const char *, ...) __attribute__((format(printf, 1, 2),
		    noreturn));
void		opts_parse(struct opts *, int, char **, int default_port);
void		lat_add(struct lat *, double);
double		lat_pct(struct lat *, double);
void		lat_free(struct lat *);
void		rss_start(struct rss *, pid_t);
void		rss_stop(struct rss *);
long		self_maxrss_kb(void);
uint64_t	run_id_new(void);
void		payload_fill(unsigned char *, size_t, uint64_t, uint64_t,
		    uint64_t);
int		payload_read(const unsigned char *, size_t, uint64_t *,
		    uint64_t *, uint64_t *);
void		emit_json(const struct opts *, const char *peer,
		    const char *durability, struct lat *, size_t count,
		    double seconds, const struct rss *, const char *note);

#endif
