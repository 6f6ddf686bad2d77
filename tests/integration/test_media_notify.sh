#!/bin/bash
# A participant's media is state its subscribers follow: a re-INVITE that
# changes nothing but the codec (PCMU to PCMA, same direction, same
# addresses) gives a partial NOTIFY with the new codec, valid against the
# RFC 4575 schema, and the API shows the new codec too.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
start_caucusd

mkdir -p "$WORK/docs"
python3 "$SRC/tests/integration/media_notify.py" "$SIP_PORT" demo \
	"$WORK/docs" >"$WORK/media_notify.out" 2>&1 ||
	{ cat "$WORK/media_notify.out"; fail "media_notify.py"; }
cat "$WORK/media_notify.out"
doc="$WORK/docs/partial-pcma.xml"
grep -q 'state="partial"' "$doc" || fail "the PCMA NOTIFY is not partial"
grep -q '<display-text>PCMA</display-text>' "$doc" ||
	fail "the partial NOTIFY has no PCMA"
api GET /v1/conferences/demo
log "roster after the re-INVITE: $BODY"
for d in "$WORK"/docs/notify-*.xml; do
	xmllint --noout --schema "$XSD" "$d" 2>"$WORK/xsd.err" ||
		{ cat "$WORK/xsd.err"; fail "$d is not valid RFC 4575"; }
done
alive
stop_caucusd
log PASS
