#!/bin/sh
# Installs the Debian packages caucus builds and tests with. Idempotent and
# fast when everything is present: dpkg is asked first, apt-get only runs for
# what is missing (and `apt-get update` only then).
set -eu
PKGS="build-essential cmake pkg-config libre-dev libssl-dev libopus-dev libspandsp-dev libspeexdsp-dev libsqlite3-dev sqlite3 \
liburing-dev libcmocka-dev libxml2-dev sip-tester sipvicious baresip-core libxml2-utils curl iproute2 procps \
python3 chromium openssl gnuplot-nox \
libespeak-ng-dev espeak-ng-data libopusenc-dev libopusfile-dev opus-tools \
libvpx-dev libavcodec-dev libavutil-dev libswscale-dev baresip-ffmpeg \
libpq-dev postgresql postgresql-client kamailio kamailio-postgres-modules"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
		|| missing="$missing $p"
done
# the browser test runs Playwright on Node.js: Debian's, unless a node and
# npm are there already (another Node.js install must not be replaced)
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
