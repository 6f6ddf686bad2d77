#!/bin/bash
# make install, staged with DESTDIR: binaries, console, settings file with
# the installed paths (an existing one is kept), docs and a systemd unit
# that names the installed binary; the installed caucusd starts from the
# installed settings and serves the installed console, which it finds
# beside itself (no web_root in the settings); caucusctl works.
. "$(dirname "$0")/lib.sh"
root="$WORK/root"
DESTDIR="$root" cmake --install "$BIN" --prefix /usr/local >"$WORK/i.out"
DESTDIR="$root" PREFIX=/usr/local sh "$SRC/scripts/install.sh" >>"$WORK/i.out"
for f in usr/local/bin/caucusd usr/local/bin/caucusctl \
	usr/local/share/caucus/web/index.html \
	usr/local/share/caucus/caucus.conf.sample etc/caucus/caucus.conf \
	usr/local/lib/systemd/system/caucus.service \
	usr/local/share/doc/caucus/README.md; do
	[ -e "$root/$f" ] || fail "not installed: /$f"
done
unit="$root/usr/local/lib/systemd/system/caucus.service"
grep -q '^ExecStart=/usr/local/bin/caucusd --config /etc/caucus/caucus.conf$' \
	"$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
grep -q '@PREFIX@' "$unit" && fail "unfilled template"
if command -v systemd-analyze >/dev/null 2>&1; then
	# the staged binary is not at /usr/local/bin: that complaint only
	systemd-analyze verify "$unit" >"$WORK/verify.err" 2>&1 || true
	if grep -v 'is not executable' "$WORK/verify.err" | grep -q .; then
		fail "systemd-analyze: $(cat "$WORK/verify.err")"
	fi
fi
conf="$root/etc/caucus/caucus.conf"
grep -q '^db = /var/lib/caucus/caucus.db$' "$conf" || fail "db path"
grep -q '^web_root = *$' "$conf" || fail "web_root is set: $(grep web_root "$conf")"
# again: the operator's file stays, the new one goes beside it
echo "# mine" >>"$conf"
DESTDIR="$root" PREFIX=/usr/local sh "$SRC/scripts/install.sh" >/dev/null
grep -q '^# mine$' "$conf" || fail "install overwrote caucus.conf"
[ -e "$conf.new" ] || fail "no caucus.conf.new"

# the installed binary with the installed settings (paths into the stage)
sed -e "s|^db = .*|db = $WORK/var/caucus.db|" "$conf" >"$WORK/test.conf"
mkdir -p "$WORK/var"
BIN="$root/usr/local/bin" start_caucusd --config "$WORK/test.conf" \
	--web-root ""
curl -sf "$API/" >"$WORK/index.html" || fail "console not served"
cmp -s "$WORK/index.html" "$root/usr/local/share/caucus/web/index.html" ||
	fail "the console served is not the installed one"
CAUCUS_URL="$API" "$root/usr/local/bin/caucusctl" conf list | grep -q demo ||
	fail "installed caucusctl"
stop_caucusd
log PASS
