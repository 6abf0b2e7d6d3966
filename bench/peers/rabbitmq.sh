#!/bin/sh
# rabbitmq.sh start|stop DIR: runs a RabbitMQ 3.10 broker by hand for the
# peer benchmarks, with all its state under DIR (a scratch directory that
# certs.sh has filled with ca.crt, server.crt, server.key).  Everything is
# bound to 127.0.0.1: AMQP over TLS 1.3 on 5671 with client certificates
# required, plain AMQP on 5672, Erlang distribution and epmd.  We start epmd
# ourselves so that it, too, can be stopped by PID.  PIDs are kept in
# DIR/epmd.pid, DIR/rabbit-sh.pid (the rabbitmq-server shell, which turns
# SIGTERM into an orderly stop) and DIR/rabbit.pid (the Erlang VM).
# The quorum queues themselves are declared by amqp_bench.
set -eu

[ $# -eq 2 ] || { echo "usage: rabbitmq.sh start|stop DIR" >&2; exit 2; }
cmd=$1
dir=$(cd "$2" && pwd)

export HOME="$dir" RABBITMQ_NODENAME=rabbit@localhost \
	RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
	RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
	RABBITMQ_PID_FILE="$dir/rabbit.pid" \
	RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
	ERL_EPMD_ADDRESS=127.0.0.1 \
	RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
	RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
RMQ=/usr/lib/rabbitmq/bin

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid FILE SECONDS: TERM the PID in FILE, wait, then KILL.
stop_pid() {
	alive "$1" || { rm -f "$1"; return 0; }
	pid=$(cat "$1")
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "rabbitmq.sh: $1 ($pid) did not stop, killing" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$1"
}

case $cmd in
start)
	if alive "$dir/rabbit.pid"; then
		echo "rabbitmq.sh: already running in $dir" >&2
		exit 1
	fi
	if ss -ltn | grep -Eq ':(4369|5671|5672|25672) '; then
		echo "rabbitmq.sh: a port of 4369/5671/5672/25672 is in use" >&2
		exit 1
	fi
	mkdir -p "$dir/mnesia" "$dir/log"
	echo '[].' > "$dir/enabled_plugins"
	cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:5672
listeners.ssl.default = 127.0.0.1:5671
ssl_options.cacertfile = $dir/ca.crt
ssl_options.certfile   = $dir/server.crt
ssl_options.keyfile    = $dir/server.key
ssl_options.verify     = verify_peer
ssl_options.fail_if_no_peer_cert = true
ssl_options.versions.1 = tlsv1.3
log.console = false
log.file.level = warning
CONF
	# epmd in the foreground of a background job, so that $! is its PID.
	epmd >"$dir/log/epmd.out" 2>&1 </dev/null &
	echo $! > "$dir/epmd.pid"
	sleep 0.3
	"$RMQ/rabbitmq-server" >"$dir/log/server.out" 2>&1 </dev/null &
	echo $! > "$dir/rabbit-sh.pid"
	if ! timeout 90 "$RMQ/rabbitmqctl" -q wait --timeout 80 "$dir/rabbit.pid" \
	    >"$dir/log/await.out" 2>&1; then
		echo "rabbitmq.sh: broker did not start; see $dir/log" >&2
		"$0" stop "$dir"
		exit 1
	fi
	# wait until the TLS listener accepts
	i=0
	until ss -ltn | grep -q '127.0.0.1:5671 '; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "rabbitmq.sh: no TLS listener" >&2; "$0" stop "$dir"; exit 1; }
		sleep 0.1
	done
	echo "rabbitmq.sh: running, VM pid $(cat "$dir/rabbit.pid")" >&2
	;;
stop)
	if alive "$dir/rabbit.pid"; then
		timeout 60 "$RMQ/rabbitmqctl" -q stop >/dev/null 2>&1 || true
	fi
	stop_pid "$dir/rabbit-sh.pid" 30
	stop_pid "$dir/rabbit.pid" 10
	stop_pid "$dir/epmd.pid" 5
	;;
*)
	echo "usage: rabbitmq.sh start|stop DIR" >&2
	exit 2
	;;
esac
exit 0
