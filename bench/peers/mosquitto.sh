#!/bin/sh
# mosquitto.sh start|stop DIR: runs a Mosquitto 2.0 broker by hand for the
# peer benchmarks, configured in DIR (a scratch directory that certs.sh has
# filled with ca.crt, server.crt, server.key).  One listener, 127.0.0.1:8883,
# MQTT over TLS 1.3 with client certificates required; persistence on with
# a snapshot after every change (autosave_on_changes true,
# autosave_interval 1), the most durable setting mosquitto has: it still
# sends PUBCOMP before the snapshot is fsync'ed.  The in-flight window is
# raised to 1000 (the benchmark keeps at most 64 in flight) and the per
# client queue is unbounded, so that a lagging subscriber loses nothing.
# The broker's PID is kept in DIR/mosquitto.pid; stop kills it by that PID.
set -eu

[ $# -eq 2 ] || { echo "usage: mosquitto.sh start|stop DIR" >&2; exit 2; }
cmd=$1
dir=$(cd "$2" && pwd)
pidf="$dir/mosquitto.pid"

alive() { [ -s "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }

case $cmd in
start)
	if alive; then
		echo "mosquitto.sh: already running in $dir" >&2
		exit 1
	fi
	if ss -ltn | grep -q '127.0.0.1:8883 '; then
		echo "mosquitto.sh: port 8883 is in use" >&2
		exit 1
	fi
	# When started as root mosquitto becomes the mosquitto user, which
	# must reach DIR and write its persistence directory.
	runas=root
	if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
		runas=mosquitto
	fi
	mkdir -p "$dir/mosq"
	chmod 755 "$dir"
	[ "$runas" = mosquitto ] && chown mosquitto "$dir/mosq"
	cat > "$dir/mosquitto.conf" <<CONF
listener 8883 127.0.0.1
cafile $dir/ca.crt
certfile $dir/server.crt
keyfile $dir/server.key
require_certificate true
use_identity_as_username true
tls_version tlsv1.3
persistence true
persistence_location $dir/mosq/
autosave_on_changes true
autosave_interval 1
max_inflight_messages 1000
max_queued_messages 0
set_tcp_nodelay true
user $runas
log_dest file $dir/mosquitto.log
log_type error
log_type warning
CONF
	[ "$runas" = mosquitto ] && touch "$dir/mosquitto.log" &&
	    chown mosquitto "$dir/mosquitto.log"
	mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.out" 2>&1 </dev/null &
	echo $! > "$pidf"
	i=0
	until ss -ltn | grep -q '127.0.0.1:8883 '; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! alive; then
			echo "mosquitto.sh: broker did not start; see $dir" >&2
			"$0" stop "$dir"
			exit 1
		fi
		sleep 0.1
	done
	echo "mosquitto.sh: running, pid $(cat "$pidf")" >&2
	;;
stop)
	if alive; then
		pid=$(cat "$pidf")
		kill -TERM "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "mosquitto.sh: $pid did not stop, killing" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$pidf"
	;;
*)
	echo "usage: mosquitto.sh start|stop DIR" >&2
	exit 2
	;;
esac
exit 0
