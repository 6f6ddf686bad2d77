#!/bin/sh
# The parts of `make install` that are not build products: the settings
# file (never overwritten: an existing one is kept and the new defaults go
# beside it as caucus.conf.new) and the systemd unit. DESTDIR and PREFIX
# as usual.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
etc="$DESTDIR/etc/caucus"
mkdir -p "$etc" "$DESTDIR$PREFIX/lib/systemd/system" \
	"$DESTDIR$PREFIX/share/doc/caucus"
conf="$etc/caucus.conf"
[ -e "$conf" ] && conf="$etc/caucus.conf.new"
# web_root stays empty: caucusd finds PREFIX/share/caucus/web beside
# itself (PREFIX/bin), wherever it is started from
sed -e "s|^db = .*|db = /var/lib/caucus/caucus.db|" \
    "$SRC/caucus.conf.sample" > "$conf"
echo "installed $conf"
sed "s|@PREFIX@|$PREFIX|g" "$SRC/dist/caucus.service.in" \
	> "$DESTDIR$PREFIX/lib/systemd/system/caucus.service"
echo "installed $DESTDIR$PREFIX/lib/systemd/system/caucus.service"
cp "$SRC/README.md" "$SRC"/docs/*.md "$DESTDIR$PREFIX/share/doc/caucus/"
if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1 &&
   [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	echo "start it with: systemctl enable --now caucus"
fi
