#!/bin/sh
# run.sh [--runs N] [--flash-runs N] [--quick] [--out FILE]
#        [--peers "rabbitmq mosquitto"] [--modes "accept e2e throughput flash"]
#
# Runs the peer benchmarks: installs the brokers if needed (install.sh),
# builds amqp_bench and mqtt_bench, makes throwaway certificates, starts
# RabbitMQ (quorum queues, publisher confirms) and then Mosquitto (QoS 2,
# persistence), each by hand on 127.0.0.1 with mutual TLS 1.3, runs every
# mode N times against it, stops it, and prints a markdown table of the
# medians (summarize.py).  Raw results (one JSON object per run) go to
# --out (default /tmp/bench-peers-DATE.jsonl).  Every broker it starts is
# stopped on exit, also when interrupted.
#
# Sizes (full / --quick):
#   accept, e2e     2000 / 500 sequential messages, 256 B and 1 KiB
#   throughput      RabbitMQ 100,000 / 20,000 of 1 KiB, window 64;
#                   Mosquitto 10,000 / 2,000 (it writes and fsyncs a snapshot
#                   per change, a few hundred messages/s here: 100,000 would
#                   take most of an hour)
#   flash           RabbitMQ 1,000,000 / 50,000 bulk of 1 KiB, window 64,
#                   a flash message every 50 ms; Mosquitto 10,000 / 2,000
#   runs            5 / 1 (flash: 3 / 1 for RabbitMQ, ~1.5-2 min per run)
#   time            full ~11 min, --quick ~1 min (2 cores, busy machine)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
runs=5
flash_runs=3
quick=0
out=""
peers="rabbitmq mosquitto"
modes="accept e2e throughput flash"
runs_set=0
flash_set=0

while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; runs_set=1; shift 2 ;;
	--flash-runs) flash_runs=$2; flash_set=1; shift 2 ;;
	--quick) quick=1; shift ;;
	--out) out=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--peers) peers=$2; shift 2 ;;
	*) echo "usage: run.sh [--runs N] [--flash-runs N] [--quick]" \
	    "[--out FILE] [--peers LIST] [--modes LIST]" >&2; exit 2 ;;
	esac
done

if [ $quick = 1 ]; then
	seq_n=500; rmq_tp=20000; rmq_bulk=50000; mqtt_tp=2000; mqtt_bulk=2000
	[ $runs_set = 1 ] || runs=1
	[ $flash_set = 1 ] || flash_runs=1
else
	seq_n=2000; rmq_tp=100000; rmq_bulk=1000000; mqtt_tp=10000
	mqtt_bulk=10000
fi
[ $flash_runs -le $runs ] || flash_runs=$runs
[ -n "$out" ] || out=/tmp/bench-peers-$(date +%Y%m%d-%H%M%S).jsonl

"$here/install.sh"
make -s -C "$here" all

work=$(mktemp -d /tmp/bench-peers.XXXXXX)
cleanup() {
	"$here/rabbitmq.sh" stop "$work" 2>/dev/null || true
	"$here/mosquitto.sh" stop "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$here/certs.sh" "$work"
: > "$out"

log() { echo "run.sh: $(date +%H:%M:%S) $*" >&2; }

# bench CLIENT BROKER_PID N MODE ARGS...: N runs, appended to $out.
bench() {
	client=$1 pid=$2 n=$3
	shift 3
	i=1
	while [ $i -le $n ]; do
		log "$client $* (run $i/$n)"
		if ! timeout 1800 "$here/$client" "$@" --dir "$work" \
		    --broker-pid "$pid" >>"$out"; then
			log "FAILED: $client $*"
		fi
		i=$((i + 1))
	done
}

# suite CLIENT PID TP_COUNT BULK FLASH_RUNS
suite() {
	for m in $modes; do
		case $m in
		accept|e2e)
			for size in 256 1024; do
				bench "$1" "$2" "$runs" $m --count $seq_n \
				    --size $size
			done ;;
		throughput)
			bench "$1" "$2" "$runs" throughput --count "$3" \
			    --size 1024 --window 64 ;;
		flash)
			bench "$1" "$2" "$5" flash --bulk "$4" --size 1024 \
			    --window 64 --interval-ms 50 ;;
		*) echo "run.sh: unknown mode $m" >&2; exit 2 ;;
		esac
	done
}

start=$(date +%s)
for p in $peers; do
	case $p in
	rabbitmq)
		"$here/rabbitmq.sh" start "$work"
		suite amqp_bench "$(cat "$work/rabbit.pid")" $rmq_tp $rmq_bulk \
		    $flash_runs
		"$here/rabbitmq.sh" stop "$work"
		;;
	mosquitto)
		"$here/mosquitto.sh" start "$work"
		suite mqtt_bench "$(cat "$work/mosquitto.pid")" $mqtt_tp \
		    $mqtt_bulk $runs
		"$here/mosquitto.sh" stop "$work"
		;;
	*)
		echo "run.sh: unknown peer $p" >&2
		exit 2
		;;
	esac
done
log "done in $(($(date +%s) - start)) s; raw results in $out"
echo "machine: $(nproc) cores, $(uname -r), load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 "$here/summarize.py" "$out"
