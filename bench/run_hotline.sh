#!/bin/sh
# run_hotline.sh [--runs N] [--flash-runs N] [--quick] [--bulk N]
#                [--build DIR] [--out FILE]
#                [--modes "accept e2e oneway throughput flash"]
#                [--callgrind us|ru|both [--count N] [--cg-mode MODE]]
#
# Runs hotline's benchmarks (issue 4): builds hotlined/hotline if needed
# (cmake --build DIR, default ./build) and hotline_bench (bench/Makefile),
# makes two nodes (us -> ru) in a fresh mktemp directory on free 127.0.0.1
# ports, starts their daemons (no -d), waits for the link, and runs each mode
# N times with hotline_bench against us's API socket (oneway also waits on
# ru's).  accept, e2e and oneway share one pair of nodes; every throughput and flash run gets a fresh pair (fresh
# databases).  Every daemon it starts is stopped by PID, also on interrupt.
# Raw results (one JSON object per run) go to --out (default
# /tmp/bench-hotline-DATE.jsonl); the medians are printed at the end with
# bench/peers/summarize.py.
#
# Sizes (full / --quick):
#   accept, e2e, oneway
#                 2000 / 500 sequential messages, 256 B and 1 KiB bodies
#   throughput    100,000 / 20,000 of 1 KiB, batches of 1000 on 1 connection (HB_BATCH, HB_CONNS;
#               500x2 and 250x4 measured slower)
#   flash         1,000,000 / 50,000 bulk of 1 KiB (--bulk N to change),
#                 a flash message every 50 ms
#   runs          5 / 1 (flash: --flash-runs, default 3 / 1)
#
# Durability: SQLite WAL, synchronous=FULL, commit before every answer, on
# both nodes; a message is "delivered" when the receiver's signed receipt is
# verified and committed at the sender (its sync follows within 2 ms).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
runs=5
flash_runs=3
quick=0
bulk=""
out=""
build="$top/build"
modes="accept e2e oneway throughput flash"
runs_set=0
flash_set=0
callgrind=""
cg_mode=throughput
pcount=10000
VG_A=""
VG_B=""
batch=${HB_BATCH:-1000}
conns=${HB_CONNS:-1}

while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; runs_set=1; shift 2 ;;
	--flash-runs) flash_runs=$2; flash_set=1; shift 2 ;;
	--quick) quick=1; shift ;;
	--bulk) bulk=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--callgrind) callgrind=$2; shift 2 ;;
	--count) pcount=$2; shift 2 ;;
	--cg-mode) cg_mode=$2; shift 2 ;;
	*) echo "usage: run_hotline.sh [--runs N] [--flash-runs N] [--quick]" \
	    "[--bulk N] [--build DIR] [--out FILE] [--modes LIST]" >&2
	   exit 2 ;;
	esac
done

if [ $quick = 1 ]; then
	seq_n=500; tp=20000; dbulk=50000
	[ $runs_set = 1 ] || runs=1
	[ $flash_set = 1 ] || flash_runs=1
else
	seq_n=2000; tp=100000; dbulk=1000000
fi
[ -n "$bulk" ] || bulk=$dbulk
[ $flash_runs -le $runs ] || flash_runs=$runs
[ -n "$out" ] || out=/tmp/bench-hotline-$(date +%Y%m%d-%H%M%S).jsonl

if [ ! -x "$build/hotlined" ] || [ ! -x "$build/hotline" ]; then
	[ -f "$build/CMakeCache.txt" ] || cmake -S "$top" -B "$build" \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j2 --target hotlined hotline
fi
HOTLINED=$build/hotlined
HOTLINE=$build/hotline
make -s -C "$here" hotline_bench
BENCH=$here/hotline_bench

work=$(mktemp -d /tmp/bench-hotline.XXXXXX)
pids=""
stop_nodes() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		w=0
		while kill -0 "$p" 2>/dev/null && [ $w -lt 100 ]; do
			sleep 0.1; w=$((w + 1))
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	pids=""
}
cleanup() {
	stop_nodes
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
: > "$out"

log() { echo "run_hotline.sh: $(date +%H:%M:%S) $*" >&2; }

# A free TCP port on 127.0.0.1 outside the ephemeral range.
free_port() {
	python3 - <<'EOF'
import random, socket
lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
for _ in range(200):
    p = random.randint(10000, lo - 1)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
EOF
}

# api GET PATH on node dir $1
api() {
	curl -s --max-time 5 --unix-socket "$1/api.sock" "http://localhost$2"
}

# nodes: a fresh pair in $work/pair.N; sets A B PID_A PID_B.
npair=0
nodes() {
	npair=$((npair + 1))
	d=$work/pair.$npair
	A=$d/us
	mkdir -p "$d"
	B=$d/ru
	pa=$(free_port)
	pb=$(free_port)
	"$HOTLINE" init --party us --dir "$A" --listen 127.0.0.1:$pa >/dev/null
	"$HOTLINE" init --party ru --dir "$B" --listen 127.0.0.1:$pb >/dev/null
	for nd in "$A" "$B"; do
		# Batches of 500 x 1 KiB need more than the 64 KiB default.
		sed -i 's/^\[limits\]$/[limits]\napi_max_request = 16777216/' \
		    "$nd/hotline.conf"
	done
	fa=$("$HOTLINE" fingerprint --dir "$A" | grep -oE '[0-9a-f]{64}' |
	    head -1)
	fb=$("$HOTLINE" fingerprint --dir "$B" | grep -oE '[0-9a-f]{64}' |
	    head -1)
	"$HOTLINE" -c "$A/hotline.conf" peer add --party ru --fingerprint \
	    "$fb" --address 127.0.0.1:$pb >/dev/null
	"$HOTLINE" -c "$B/hotline.conf" peer add --party us --fingerprint \
	    "$fa" --address 127.0.0.1:$pa >/dev/null
	$VG_A "$HOTLINED" -c "$A/hotline.conf" >"$d/us.log" 2>&1 &
	PID_A=$!
	pids="$pids $PID_A"
	$VG_B "$HOTLINED" -c "$B/hotline.conf" >"$d/ru.log" 2>&1 &
	PID_B=$!
	pids="$pids $PID_B"
	w=0
	until api "$A" /v1/peers 2>/dev/null | grep -q '"state":"up"'; do
		w=$((w + 1))
		if [ $w -gt 600 ]; then
			log "link did not come up; logs in $d"
			cat "$d/us.log" "$d/ru.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# bench N MODE ARGS...: N runs, appended to $out.  fresh=1: new nodes per run.
bench() {
	n=$1 fresh=$2
	shift 2
	i=1
	while [ $i -le "$n" ]; do
		if [ "$fresh" = 1 ]; then
			stop_nodes
			rm -rf "$work"/pair.*
			nodes
		fi
		log "hotline_bench $* (run $i/$n)"
		if ! timeout 3600 "$BENCH" "$@" --sock "$A/api.sock" \
		    --pid-a "$PID_A" --pid-b "$PID_B" >>"$out"; then
			log "FAILED: hotline_bench $*"
		fi
		# HB_LOGDIR: keep both daemons' logs (and HB_FLASH_TRACE's
		# file, if set) of each run, e.g. for bench/trace_flash.py.
		if [ -n "${HB_LOGDIR:-}" ]; then
			# fresh nodes per run: stop them first, so the logs
			# end with what they log on exit (store: checkpoints)
			[ "$fresh" = 1 ] && stop_nodes
			mkdir -p "$HB_LOGDIR"
			cp "$d/us.log" "$HB_LOGDIR/run$npair.us.log"
			cp "$d/ru.log" "$HB_LOGDIR/run$npair.ru.log"
			[ -z "${HB_FLASH_TRACE:-}" ] ||
			    cp "$HB_FLASH_TRACE" "$HB_LOGDIR/run$npair.client"
		fi
		i=$((i + 1))
	done
}

# --callgrind us|ru|both: one run of --count messages (--cg-mode:
# throughput, the default, or e2e or oneway, 1 KiB each) with that daemon
# under callgrind, then the top functions by instructions.
if [ -n "$callgrind" ]; then
	cg="valgrind --tool=callgrind --callgrind-out-file=${out%.jsonl}.callgrind"
	case $callgrind in
	us) VG_A="$cg.us" ;;
	ru) VG_B="$cg.ru" ;;
	both) VG_A="$cg.us"; VG_B="$cg.ru" ;;
	*) echo "run_hotline.sh: --callgrind us|ru|both" >&2; exit 2 ;;
	esac
	nodes
	log "callgrind: $cg_mode of $pcount (daemons: us $PID_A, ru $PID_B)"
	case $cg_mode in
	throughput) set -- --batch "$batch" --conns "$conns" ;;
	e2e) set -- ;;
	oneway) set -- --recv-sock "$B/api.sock" ;;
	*) echo "run_hotline.sh: --cg-mode throughput|e2e|oneway" >&2
	    stop_nodes; exit 2 ;;
	esac
	"$BENCH" "$cg_mode" --count "$pcount" --size 1024 "$@" \
	    --sock "$A/api.sock" --pid-a "$PID_A" --pid-b "$PID_B" |
	    tee -a "$out"
	stop_nodes
	for f in "${out%.jsonl}".callgrind.*; do
		echo "== $f"
		callgrind_annotate --inclusive=no "$f" 2>/dev/null | head -45
		echo "== $f (inclusive)"
		callgrind_annotate --inclusive=yes "$f" 2>/dev/null | head -60
	done
	exit 0
fi

start=$(date +%s)
for m in $modes; do
	case $m in
	accept|e2e)
		[ -n "${A:-}" ] && [ "${seqpair:-}" = 1 ] || { stop_nodes; nodes;
		    seqpair=1; }
		for size in 256 1024; do
			bench "$runs" 0 "$m" --count $seq_n --size $size
		done
		;;
	oneway)
		# request -> a client waiting at the receiver has it, like a
		# broker's publish -> consumer (daemons from session 8 on).
		[ -n "${A:-}" ] && [ "${seqpair:-}" = 1 ] || { stop_nodes; nodes;
		    seqpair=1; }
		for size in 256 1024; do
			bench "$runs" 0 oneway --count $seq_n --size $size \
			    --recv-sock "$B/api.sock"
		done
		;;
	throughput)
		seqpair=0
		bench "$runs" 1 throughput --count $tp --size 1024 \
		    --batch "$batch" --conns "$conns"
		;;
	flash)
		seqpair=0
		bench "$flash_runs" 1 flash --bulk "$bulk" --size 1024 \
		    --batch "$batch" --conns "$conns" --interval-ms 50
		;;
	*) echo "run_hotline.sh: unknown mode $m" >&2; exit 2 ;;
	esac
done
stop_nodes
log "done in $(($(date +%s) - start)) s; raw results in $out"
echo "machine: $(nproc) cores, $(uname -r), load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 "$here/peers/summarize.py" "$out"
