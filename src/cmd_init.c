/*
 * cmd_init.c: the offline identity commands of the hotline tool.
 *
 *	hotline init --party ID --dir DIR [--listen ADDR]
 *	hotline fingerprint [--dir DIR | FILE.pem] [--json]
 *	hotline peer add --party ID --fingerprint HEX [--address ADDR ...]
 *	hotline peer list [--json]
 *
 * init creates a node directory (identity.c does the work); fingerprint
 * prints the key fingerprint an operator reads out to the other party; peer
 * add pins that party's key by appending a [peer ID] section to the
 * configuration, keeping the existing text and comments as they are and
 * replacing the file atomically only after the result has been parsed
 * successfully. None of these talk to the daemon; a running daemon reads a
 * changed configuration when it is restarted.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "config.h"
#include "identity.h"
#include "util.h"

#define CMD_CONF_MAX	(1024 * 1024)	/* as config.c accepts */

/* The configuration file: -c, else $HOTLINE_CONF, else ./hotline.conf. */
static const char *
cmd_config_path(const struct cli *cli)
{
	const char *path = cli->config;

	if (path == NULL)
		path = getenv("HOTLINE_CONF");
	if (path == NULL || *path == '\0')
		path = "./hotline.conf";
	return path;
}

/* Print obj as one line of JSON and release it. 0 or 1 (exit status). */
static int
cmd_print_json(json_t *obj)
{
	char *s;

	if (obj == NULL || (s = json_dumps(obj, JSON_COMPACT)) == NULL) {
		json_decref(obj);
		fprintf(stderr, "hotline: cannot encode JSON\n");
		return 1;
	}
	printf("%s\n", s);
	free(s);
	json_decref(obj);
	return 0;
}

/*
 * Fingerprint of the certificate at path into fpr, and the party named in
 * its subject ("hotline <party>") into party, or "" if it names none.
 * 0 or -1 with the reason printed.
 */
static int
cmd_cert_fpr(const char *path, char fpr[FPR_HEX_LEN + 1],
    char party[PARTY_MAX + 1])
{
	static const char prefix[] = "hotline ";
	char cn[128];
	FILE *fp;
	X509 *x = NULL;
	EVP_PKEY *pk;
	int n;

	party[0] = '\0';
	if ((fp = fopen(path, "re")) == NULL) {
		fprintf(stderr, "hotline: %s: %s\n", path, strerror(errno));
		return -1;
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL) {
		fprintf(stderr, "hotline: %s: not a PEM certificate\n", path);
		return -1;
	}
	if ((pk = X509_get0_pubkey(x)) == NULL ||
	    identity_fingerprint(pk, fpr) == -1) {
		fprintf(stderr, "hotline: %s: not an Ed25519 certificate\n",
		    path);
		X509_free(x);
		return -1;
	}
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn));
	if (n > 0 && (size_t)n < sizeof(cn) &&
	    strncmp(cn, prefix, sizeof(prefix) - 1) == 0 &&
	    party_id_valid(cn + sizeof(prefix) - 1))
		(void)snprintf(party, PARTY_MAX + 1, "%.*s", PARTY_MAX,
		    cn + sizeof(prefix) - 1);
	X509_free(x);
	return 0;
}

static int
init_usage(void)
{
	fprintf(stderr, "usage: hotline init --party ID --dir DIR "
	    "[--listen ADDR]\n"
	    "  Create DIR with a new Ed25519 key (key.pem, mode 0600), its\n"
	    "  certificate (cert.pem) and hotline.conf. ADDR is the address\n"
	    "  peers dial (default 127.0.0.1:7701; \"\" to only dial out).\n");
	return 2;
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "party",	required_argument,	NULL, 'p' },
		{ "dir",	required_argument,	NULL, 'd' },
		{ "listen",	required_argument,	NULL, 'l' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *party = NULL, *dir = NULL, *listen_addr = NULL;
	char err[512], cert[PATH_MAX], fpr[FPR_HEX_LEN + 1], cp[PARTY_MAX + 1];
	bool json = cli->json;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "p:d:l:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			party = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'l':
			listen_addr = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
		default:
			return init_usage();
		}
	}
	if (optind != argc || party == NULL || dir == NULL)
		return init_usage();
	if (!party_id_valid(party)) {
		fprintf(stderr, "hotline: bad party id \"%s\" (want "
		    "[a-z0-9-]{1,%d})\n", party, PARTY_MAX);
		return 2;
	}
	if (listen_addr != NULL && *listen_addr != '\0' &&
	    config_addr_split(listen_addr, NULL, 0, NULL, 0) == -1) {
		fprintf(stderr, "hotline: bad listen address \"%s\" (want "
		    "HOST:PORT or [V6ADDR]:PORT)\n", listen_addr);
		return 2;
	}
	if (identity_init(dir, party, listen_addr, err, sizeof(err)) == -1) {
		fprintf(stderr, "hotline: init: %s\n", err);
		return 1;
	}
	if (snprintf(cert, sizeof(cert), "%s/cert.pem", dir) >=
	    (int)sizeof(cert) || cmd_cert_fpr(cert, fpr, cp) == -1)
		return 1;
	if (listen_addr == NULL)
		listen_addr = "127.0.0.1:7701";

	if (json)
		return cmd_print_json(json_pack("{s:s, s:s, s:s, s:s}",
		    "party", party, "dir", dir, "listen", listen_addr,
		    "fingerprint", fpr));
	printf("Created node \"%s\" in %s:\n"
	    "  %s/key.pem       Ed25519 private key (mode 0600: keep it "
	    "secret, never copy it)\n"
	    "  %s/cert.pem      self-signed certificate for that key\n"
	    "  %s/hotline.conf  configuration (listen = %s)\n"
	    "\n"
	    "Fingerprint of this node's key:\n"
	    "  %s\n"
	    "\n"
	    "Give this fingerprint to the peer party over a trusted channel\n"
	    "(read it out and have it read back). On their node they pin it "
	    "with:\n"
	    "  hotline peer add --party %s --fingerprint %s \\\n"
	    "      --address %s\n"
	    "They give you theirs, which you pin the same way:\n"
	    "  hotline -c %s/hotline.conf peer add --party ID "
	    "--fingerprint HEX --address HOST:PORT\n",
	    party, dir, dir, dir, dir,
	    *listen_addr ? listen_addr : "(none)", fpr, party, fpr,
	    *listen_addr ? listen_addr : "HOST:PORT", dir);
	return 0;
}

static int
fingerprint_usage(void)
{
	fprintf(stderr, "usage: hotline fingerprint [--json] "
	    "[--dir DIR | FILE.pem]\n"
	    "  Print the SHA-256 fingerprint of the node's key (from DIR/"
	    "cert.pem,\n"
	    "  a certificate file, or the configuration's cert).\n");
	return 2;
}

int
cmd_fingerprint(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir",	required_argument,	NULL, 'd' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *dir = NULL, *file = NULL, *path;
	char cert[PATH_MAX], fpr[FPR_HEX_LEN + 1], party[PARTY_MAX + 1];
	char err[512];
	struct config *cf = NULL;
	bool json = cli->json;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
		default:
			return fingerprint_usage();
		}
	}
	if (optind < argc)
		file = argv[optind++];
	if (optind != argc || (dir != NULL && file != NULL))
		return fingerprint_usage();

	if (file != NULL)
		path = file;
	else if (dir != NULL) {
		if (snprintf(cert, sizeof(cert), "%s/cert.pem", dir) >=
		    (int)sizeof(cert)) {
			fprintf(stderr, "hotline: %s: path too long\n", dir);
			return 1;
		}
		path = cert;
	} else {
		cf = xcalloc(1, sizeof(*cf));
		if (config_load(cmd_config_path(cli), cf, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "hotline: %s\n(give the node with "
			    "--dir DIR, a certificate file, or the "
			    "configuration with -c FILE)\n", err);
			free(cf);
			return 1;
		}
		(void)snprintf(cert, sizeof(cert), "%s", cf->cert_file);
		path = cert;
	}
	if (cmd_cert_fpr(path, fpr, party) == -1) {
		free(cf);
		return 1;
	}
	/* The configuration names the party even if the cert does not. */
	if (cf != NULL)
		(void)snprintf(party, sizeof(party), "%s", cf->party);
	free(cf);

	if (json)
		return cmd_print_json(json_pack("{s:s?, s:s, s:s}",
		    "party", *party ? party : NULL, "fingerprint", fpr,
		    "cert", path));
	printf("%s\n", fpr);
	return 0;
}

static int
peer_usage(void)
{
	fprintf(stderr, "usage: hotline peer add --party ID --fingerprint HEX "
	    "[--address HOST:PORT ...]\n"
	    "       hotline peer list [--json]\n"
	    "  add pins a peer party's key (its `hotline fingerprint`) in the "
	    "configuration;\n"
	    "  addresses are dialled in order (primary first, then backups); "
	    "with none,\n"
	    "  this node only accepts that peer's connections.\n");
	return 2;
}

/*
 * Read the whole regular file at path (at most CMD_CONF_MAX bytes) into a
 * NUL-terminated buffer the caller frees, and its status into *st.
 * 0 or -1 with the reason printed.
 */
static int
cmd_read_text(const char *path, char **out, size_t *outlen, struct stat *st)
{
	char *data = NULL;
	size_t len = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "hotline: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		fprintf(stderr, "hotline: %s: not a regular file\n", path);
		goto fail;
	}
	data = xmalloc(CMD_CONF_MAX + 1);
	for (;;) {
		if (len == CMD_CONF_MAX) {
			fprintf(stderr, "hotline: %s: too large\n", path);
			goto fail;
		}
		r = read(fd, data + len, CMD_CONF_MAX - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			fprintf(stderr, "hotline: %s: %s\n", path,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	data[len] = '\0';
	*out = data;
	*outlen = len;
	return 0;
fail:
	free(data);
	close(fd);
	return -1;
}

/* 64 hex digits, either case; written to out in lowercase. */
static int
cmd_fpr_parse(const char *s, char out[FPR_HEX_LEN + 1])
{
	uint8_t raw[FPR_HEX_LEN / 2];

	if (hex_decode(s, raw, sizeof(raw)) == -1)
		return -1;
	hex_encode(raw, sizeof(raw), out);
	return 0;
}

static int
peer_add(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "party",	required_argument,	NULL, 'p' },
		{ "fingerprint", required_argument,	NULL, 'f' },
		{ "address",	required_argument,	NULL, 'a' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *party = NULL, *fprarg = NULL, *addrs[CONFIG_MAX_ADDRS];
	const char *cfpath;
	char fpr[FPR_HEX_LEN + 1], target[PATH_MAX], ts[32], err[512];
	char *old = NULL, *text = NULL;
	struct config *cf = NULL;
	const struct peer_conf *pc;
	struct stat st;
	size_t oldlen;
	int ch, naddrs = 0, i, j, n, rv = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "p:f:a:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			party = optarg;
			break;
		case 'f':
			fprarg = optarg;
			break;
		case 'a':
			if (naddrs == CONFIG_MAX_ADDRS) {
				fprintf(stderr, "hotline: at most %d "
				    "addresses\n", CONFIG_MAX_ADDRS);
				return 2;
			}
			addrs[naddrs++] = optarg;
			break;
		case 'h':
		default:
			return peer_usage();
		}
	}
	if (optind != argc || party == NULL || fprarg == NULL)
		return peer_usage();
	if (!party_id_valid(party)) {
		fprintf(stderr, "hotline: bad party id \"%s\" (want "
		    "[a-z0-9-]{1,%d})\n", party, PARTY_MAX);
		return 2;
	}
	if (cmd_fpr_parse(fprarg, fpr) == -1) {
		fprintf(stderr, "hotline: bad fingerprint \"%s\" (want %d hex "
		    "digits, from `hotline fingerprint` on the peer's node)\n",
		    fprarg, FPR_HEX_LEN);
		return 2;
	}
	for (i = 0; i < naddrs; i++) {
		if (config_addr_split(addrs[i], NULL, 0, NULL, 0) == -1) {
			fprintf(stderr, "hotline: bad address \"%s\" (want "
			    "HOST:PORT or [V6ADDR]:PORT)\n", addrs[i]);
			return 2;
		}
		for (j = 0; j < i; j++)
			if (strcmp(addrs[i], addrs[j]) == 0) {
				fprintf(stderr, "hotline: address %s given "
				    "twice\n", addrs[i]);
				return 2;
			}
	}

	/* The file a symlinked configuration points to is the one replaced. */
	cfpath = cmd_config_path(cli);
	if (realpath(cfpath, target) == NULL) {
		fprintf(stderr, "hotline: %s: %s\n", cfpath, strerror(errno));
		return 1;
	}
	cf = xcalloc(1, sizeof(*cf));
	if (config_load(target, cf, err, sizeof(err)) == -1) {
		fprintf(stderr, "hotline: %s\n", err);
		goto done;
	}
	if (strcmp(cf->party, party) == 0) {
		fprintf(stderr, "hotline: %s is this node's own party\n",
		    party);
		goto done;
	}
	if (config_peer_find(cf, party) != NULL) {
		fprintf(stderr, "hotline: %s: peer %s is already configured; "
		    "edit its [peer %s] section instead\n", cfpath, party,
		    party);
		goto done;
	}
	for (i = 0; i < cf->npeers; i++) {
		pc = &cf->peers[i];
		if (strcmp(pc->fingerprint, fpr) == 0) {
			fprintf(stderr, "hotline: %s: peer %s already has "
			    "this fingerprint\n", cfpath, pc->party);
			goto done;
		}
	}
	if (cmd_read_text(target, &old, &oldlen, &st) == -1)
		goto done;

	fmt_utc_ms(now_utc_ms(), ts);
	text = xmalloc(oldlen + 1024 + (size_t)naddrs * (CONFIG_ADDR_MAX + 16));
	n = snprintf(text, oldlen + 1024, "%s%s\n# Added by `hotline peer "
	    "add` at %s.\n[peer %s]\nfingerprint = %s\n", old,
	    oldlen > 0 && old[oldlen - 1] != '\n' ? "\n" : "", ts, party, fpr);
	if (n < 0 || (size_t)n >= oldlen + 1024) {
		fprintf(stderr, "hotline: cannot build the new "
		    "configuration\n");
		goto done;
	}
	for (i = 0; i < naddrs; i++) {
		j = snprintf(text + n, CONFIG_ADDR_MAX + 16, "address = %s\n",
		    addrs[i]);
		if (j < 0 || j >= CONFIG_ADDR_MAX + 16) {
			fprintf(stderr, "hotline: address too long\n");
			goto done;
		}
		n += j;
	}
	/* Never write a file the daemon would refuse. */
	if (config_load_string(text, cfpath, cf, err, sizeof(err)) == -1) {
		fprintf(stderr, "hotline: the new configuration would not "
		    "load, left unchanged: %s\n", err);
		goto done;
	}
	if (write_file_atomic(target, text, (size_t)n,
	    (int)(st.st_mode & 07777)) == -1) {
		fprintf(stderr, "hotline: %s: %s\n", target, strerror(errno));
		goto done;
	}
	/* Run as root on the daemon's file: keep its owner and group. */
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    chown(target, st.st_uid, st.st_gid) == -1)
		fprintf(stderr, "hotline: warning: %s: cannot restore owner "
		    "%lu:%lu: %s\n", target, (unsigned long)st.st_uid,
		    (unsigned long)st.st_gid, strerror(errno));
	printf("Added peer %s (fingerprint %s, %d address%s) to %s.\n"
	    "Restart hotlined for the change to take effect.\n", party, fpr,
	    naddrs, naddrs == 1 ? "" : "es", cfpath);
	rv = 0;
done:
	free(text);
	free(old);
	free(cf);
	return rv;
}

static int
peer_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const struct peer_conf *pc;
	struct config *cf;
	json_t *arr = NULL, *obj, *addrs;
	char err[512];
	bool json = cli->json;
	int ch, i, j, rv = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
		default:
			return peer_usage();
		}
	}
	if (optind != argc)
		return peer_usage();
	cf = xcalloc(1, sizeof(*cf));
	if (config_load(cmd_config_path(cli), cf, err, sizeof(err)) == -1) {
		fprintf(stderr, "hotline: %s\n", err);
		goto done;
	}
	if (json) {
		if ((arr = json_array()) == NULL)
			goto nomem;
		for (i = 0; i < cf->npeers; i++) {
			pc = &cf->peers[i];
			if ((addrs = json_array()) == NULL)
				goto nomem;
			for (j = 0; j < pc->naddrs; j++)
				if (json_array_append_new(addrs,
				    json_string(pc->addrs[j])) == -1) {
					json_decref(addrs);
					goto nomem;
				}
			if ((obj = json_pack("{s:s, s:s, s:o}", "party",
			    pc->party, "fingerprint", pc->fingerprint,
			    "addresses", addrs)) == NULL ||
			    json_array_append_new(arr, obj) == -1)
				goto nomem;
		}
		rv = cmd_print_json(json_pack("{s:s, s:o}", "party", cf->party,
		    "peers", arr));
		arr = NULL;
		goto done;
	}
	if (cf->npeers == 0)
		printf("No peers in %s (add one with `hotline peer add`).\n",
		    cmd_config_path(cli));
	for (i = 0; i < cf->npeers; i++) {
		pc = &cf->peers[i];
		printf("%-8s %s", pc->party,
		    pc->fingerprint);
		if (pc->naddrs == 0)
			printf("  (accept only)");
		for (j = 0; j < pc->naddrs; j++)
			printf("%s%s", j == 0 ? "  " : ", ", pc->addrs[j]);
		printf("\n");
	}
	rv = 0;
	goto done;
nomem:
	fprintf(stderr, "hotline: out of memory\n");
done:
	json_decref(arr);
	free(cf);
	return rv;
}

int
cmd_peer(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return peer_usage();
	if (strcmp(argv[1], "add") == 0)
		return peer_add(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return peer_list(cli, argc - 1, argv + 1);
	return peer_usage();
}
