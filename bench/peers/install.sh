#!/bin/sh
# install.sh: installs the two peer brokers (RabbitMQ, Mosquitto) and the C
# client libraries that bench/peers needs, from Debian packages, only when
# missing.  The packages' own system services must not stay running: the
# benchmarks start each broker by hand, bound to 127.0.0.1, in a throwaway
# directory.  Debian starts services on install unless policy-rc.d forbids
# it; we stop and disable whatever the install started, by PID when there
# is no init system to ask.
set -eu

PKGS="rabbitmq-server mosquitto mosquitto-clients librabbitmq-dev libmosquitto-dev openssl gcc make"

# PIDs of broker processes, matched by exact process name (never by command
# line, which would also match any shell that merely mentions them).
brokers() {
	for n in beam.smp epmd mosquitto; do
		pgrep -x "$n" || true
	done | tr '\n' ' '
}

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

# Brokers already running before the install are not ours to stop.
before=$(brokers)

echo "install.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if [ "${PEERS_APT_UPDATED:-0}" != 1 ]; then
	apt-get update -qq >/dev/null
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null

# Stop the system services the packages may have started.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	for s in rabbitmq-server mosquitto epmd.socket epmd; do
		systemctl stop "$s" >/dev/null 2>&1 || true
		systemctl disable "$s" >/dev/null 2>&1 || true
	done
elif command -v invoke-rc.d >/dev/null 2>&1; then
	for s in rabbitmq-server mosquitto; do
		invoke-rc.d "$s" stop >/dev/null 2>&1 || true
	done
	if command -v update-rc.d >/dev/null 2>&1; then
		for s in rabbitmq-server mosquitto; do
			update-rc.d "$s" disable >/dev/null 2>&1 || true
		done
	fi
fi

# Whatever is still running and was not running before: kill by PID.
sleep 1
after=$(brokers)
for pid in $after; do
	case " $before " in
	*" $pid "*) continue ;;
	esac
	echo "install.sh: stopping service process $pid ($(ps -o comm= -p "$pid" 2>/dev/null))" >&2
	kill "$pid" 2>/dev/null || true
done
exit 0
