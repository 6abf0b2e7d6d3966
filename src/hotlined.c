/*
 * hotlined.c: the daemon's main: options, configuration, the identity key,
 * the store, the TLS context, the local API, the peer links, signals and
 * the single-threaded event loop. `hotlined -n -c FILE` only checks the
 * configuration and prints it back normalised.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "api.h"
#include "config.h"
#include "cert.h"
#include "deliver.h"
#include "events.h"
#include "hotlined.h"
#include "identity.h"
#include "https.h"
#include "link.h"
#include "log.h"
#include "nrrc.h"
#include "signer.h"
#include "store.h"
#include "tls.h"
#include "tlog.h"
#include "trace.h"
#include "util.h"
#include "witness.h"

static void
usage(void)
{
	fprintf(stderr, "usage: hotlined [-dnsV] -c FILE\n"
	    "  -c FILE  configuration (hotline.conf(5))\n"
	    "  -n       check the configuration, print it back and exit\n"
	    "  -d       debug logging\n"
	    "  -s       log to syslog (daemon facility) instead of stderr\n"
	    "  -V       print the version\n");
	exit(2);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct hotlined *d = arg;

	if (sig == SIGHUP) {
		log_info("SIGHUP: reload is not supported; restart to apply "
		    "configuration changes");
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(d->base);
}

static void
hotlined_free(struct hotlined *d)
{
	int i;

	link_stop(d);
	events_stop(d);
	api_jobs_stop(d);	/* before https_stop: the jobs hold requests */
	https_stop(d);	/* before api_stop: its connections are API clients */
	api_stop(d);
	deliver_stop(d);
	nrrc_stop(d);
	cert_stop(d);
	/* Let libevent run the finalizers of the freed bufferevents. */
	if (d->base != NULL)
		event_base_loop(d->base, EVLOOP_NONBLOCK);
	for (i = 0; i < d->npeers; i++)
		EVP_PKEY_free(d->peers[i].pub);
	free(d->peers);
	if (d->ev_sigterm != NULL)
		event_free(d->ev_sigterm);
	if (d->ev_sigint != NULL)
		event_free(d->ev_sigint);
	if (d->ev_sighup != NULL)
		event_free(d->ev_sighup);
	SSL_CTX_free(d->ssl_ctx);
	witness_free(d->wit);
	tlog_free(d->tlog);
	store_free(d->st);
	signer_free(d->signer);
	identity_verify_cache_clear();
	if (d->base != NULL)
		event_base_free(d->base);
}

int
main(int argc, char **argv)
{
	static struct hotlined d;	/* the daemon's one context */
	const char *conf = NULL;
	char err[512], dbpath[PATH_MAX];
	int ch, checkonly = 0, verbose = 0, use_syslog = 0, i;

	while ((ch = getopt(argc, argv, "c:dnsV")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'd':
			verbose = 1;
			break;
		case 'n':
			checkonly = 1;
			break;
		case 's':
			use_syslog = 1;
			break;
		case 'V':
			printf("hotlined %s\n", HOTLINE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc || conf == NULL)
		usage();
	log_init("hotlined", verbose);
	if (use_syslog && !checkonly)
		log_to_syslog(1);

	if (config_load(conf, &d.cf, err, sizeof(err)) == -1) {
		fprintf(stderr, "hotlined: %s\n", err);
		return 1;
	}
	if (checkonly) {
		config_print(stdout, &d.cf);
		fprintf(stderr, "hotlined: configuration OK\n");
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	umask(077);
	TAILQ_INIT(&d.links);
	d.started = now_utc_ms();
	if ((d.signer = signer_load(d.cf.key_file, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((d.ssl_ctx = tls_ctx_new(d.signer, d.cf.cert_file, link_pin_check,
	    &d, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (snprintf(dbpath, sizeof(dbpath), "%s/hotline.db", d.cf.data_dir) >=
	    (int)sizeof(dbpath))
		fatalx("data_dir too long");
	if ((d.st = store_open(dbpath, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (store_wal_prefill(d.st, err, sizeof(err)) == -1)
		log_warnx("store: %s", err);	/* commits grow the WAL */
	d.npeers = d.cf.npeers;
	d.peers = xcalloc((size_t)d.npeers + 1, sizeof(*d.peers));
	for (i = 0; i < d.npeers; i++) {
		d.peers[i].d = &d;
		d.peers[i].conf = &d.cf.peers[i];
		d.peers[i].state = LINK_DOWN;
	}
	if (deliver_init(&d) == -1)
		fatalx("cannot load stream state from %s", dbpath);
	if ((d.tlog = tlog_open(d.st)) == NULL)
		fatalx("cannot load the transparency log from %s", dbpath);
	if (cert_start(&d) == -1)
		fatalx("cannot start the CERT channel");
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	(void)store_checkpoint_thread(d.st, d.base);
	(void)store_sync_thread(d.st, d.base);
	if (witness_new(&d) == NULL)
		fatalx("cannot start checkpoints");
	d.ev_sigterm = evsignal_new(d.base, SIGTERM, on_signal, &d);
	d.ev_sigint = evsignal_new(d.base, SIGINT, on_signal, &d);
	d.ev_sighup = evsignal_new(d.base, SIGHUP, on_signal, &d);
	evsignal_add(d.ev_sigterm, NULL);
	evsignal_add(d.ev_sigint, NULL);
	evsignal_add(d.ev_sighup, NULL);
	if (nrrc_start(&d) == -1)
		fatalx("cannot start the NRRC module");
	if (api_start(&d) == -1)
		fatalx("cannot start the local API on %s", d.cf.api_socket);
	if (events_start(&d) == -1)
		fatalx("cannot start the event stream");
	if (https_start(&d) == -1)
		fatalx("cannot start the HTTPS listener on %s",
		    d.cf.https_listen);
	if (link_start(&d) == -1)
		fatalx("cannot start peer links");
	log_info("party %s ready: key %s, %d peer(s), API %s", d.cf.party,
	    signer_fingerprint(d.signer), d.npeers, d.cf.api_socket);

	trace_start(d.base);
	event_base_dispatch(d.base);
	trace_stop();

	hotlined_free(&d);
	log_info("stopped");
	return 0;
}
