#!/bin/bash
# Sidebars in the conference event package (RFC 4575 s. 5.9):
#  - the conference's subscriber sees sidebars made, renamed and ended
#    and people moving in and out of them (sidebars-by-ref whole,
#    sidebars-by-val entries partial or deleted): its NOTIFYs, applied in
#    order with RFC 4575 s. 4.6's rules, give what the API serves;
#  - a subscriber to a sidebar's URI (sip:<conf>+<sidebar>) gets the
#    sidebar's own document (its members only, versions of its own); its
#    NOTIFYs reduce to what a fetch of that URI returns; when the sidebar
#    ends, terminated;reason=noresource, as for a destroyed conference;
#  - a SUBSCRIBE to a sidebar that does not exist: 404;
#  - every body validates against the schema.
# Drives the sidebar API: POST /v1/conferences/{id}/sidebars, PATCH and
# DELETE .../sidebars/{sid}, POST .../sidebars/{sid}/members and DELETE
# .../sidebars/{sid}/members/{pid}.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
[ -f "$XSD" ] || fail "schema not found at $XSD"
start_caucusd --notify-interval-ms 50

# An RFC 4575 subscriber's state from a sipp message log (bodies up to the
# terminating NOTIFY), compared with a reference document: partial
# documents merge by the state attributes of users, user, sidebars-by-val
# and its entries (keyed by entity); other elements are replaced whole;
# state="deleted" removes. Exit 1 with both documents when they differ.
cat >"$WORK/reduce_sb.py" <<'PY'
import sys
import xml.etree.ElementTree as ET
sys.path.insert(0, sys.argv[3])
from reduce import NS, bodies, merge_user

ORDER = ["conference-description", "host-info", "conference-state",
         "users", "sidebars-by-ref", "sidebars-by-val"]


def merge_keyed(cur, part, tag, merge):
    for item in part.findall(NS + tag):
        ent, st = item.get("entity"), item.get("state", "full")
        old = [x for x in cur.findall(NS + tag) if x.get("entity") == ent]
        if st == "partial":
            if not old:
                raise SystemExit("partial %s %s not held" % (tag, ent))
            merge(old[0], item)
            continue
        for x in old:
            cur.remove(x)
        if st != "deleted":
            cur.append(item)


def merge_conf(doc, part):
    """a conference-type element (the root, a sidebars-by-val entry)"""
    for child in list(part):
        cur = doc.find(child.tag)
        st = child.get("state", "full")
        name = child.tag[len(NS):]
        if st == "deleted":
            if cur is None:
                raise SystemExit("deleted %s not held" % name)
            doc.remove(cur)
        elif st == "partial":
            if cur is None:
                raise SystemExit("partial %s not held" % name)
            if name == "users":
                merge_keyed(cur, child, "user", merge_user)
            elif name == "sidebars-by-val":
                merge_keyed(cur, child, "entry", merge_conf)
            else:
                raise SystemExit("partial %s: no rule for it" % name)
        else:
            if cur is not None:
                doc.remove(cur)
            doc.append(child)


def canon(e, root=True):
    e = ET.fromstring(ET.tostring(e)) if root else e
    if root:
        e.attrib.pop("version", None)
        e.attrib.pop("state", None)
    kids = sorted(list(e), key=lambda k: ORDER.index(k.tag[len(NS):])
                  if k.tag[len(NS):] in ORDER else 99)
    for k in list(e):
        e.remove(k)
    for k in kids:
        e.append(k)
    for lst, tag in (("users", "user"), ("sidebars-by-val", "entry")):
        for c in e.findall(NS + lst):
            c.attrib.pop("state", None)
            items = sorted(c.findall(NS + tag), key=lambda u: u.get("entity"))
            for u in list(c):
                c.remove(u)
            for u in items:
                c.append(u)
                if tag == "entry":
                    canon(u, False)
    return ET.tostring(e, encoding="unicode") if root else e


docs = bodies(sys.argv[1])
if not docs or docs[0].get("state", "full") != "full":
    raise SystemExit("no full first document in " + sys.argv[1])
state = docs[0]
for d in docs[1:]:
    v = int(d.get("version"))
    if v != int(state.get("version")) + 1:
        raise SystemExit("version %s after %s" % (v, state.get("version")))
    if d.get("state", "full") == "full":
        state = d
        continue
    merge_conf(state, d)
    state.set("version", str(v))
a, b = canon(state), canon(ET.parse(sys.argv[2]).getroot())
if a != b:
    print("reduced:\n" + a + "\nreference:\n" + b)
    sys.exit(1)
print("%d NOTIFYs reduced to version %s" % (len(docs), state.get("version")))
PY
reduce_sb() {
	python3 "$WORK/reduce_sb.py" "$1" "$2" "$SRC/tests/integration"
}

# a SUBSCRIBE over UDP and the status of its answer
sub_status() {
	python3 - "$SIP_PORT" "$1" <<'PY'
import random, socket, sys
port, user = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)
lp = s.getsockname()[1]
tag = "%08x" % random.getrandbits(32)
req = ("SUBSCRIBE sip:%s@127.0.0.1:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
       "From: <sip:probe@127.0.0.1:%d>;tag=%s\r\n"
       "To: <sip:%s@127.0.0.1:%d>\r\n"
       "Call-ID: %s@probe\r\nCSeq: 1 SUBSCRIBE\r\n"
       "Contact: <sip:probe@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n"
       "Event: conference\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n" %
       (user, port, lp, tag, lp, tag, user, port, tag, lp))
s.sendto(req.encode(), ("127.0.0.1", port))
while True:
    data = s.recv(65535).decode(errors="replace")
    if data.startswith("SIP/2.0 "):
        code = data.split()[1]
        if not code.startswith("1"):
            print(code)
            break
PY
}

# ann and ben in the conference, a subscriber watching it
pids=""
for who in ann ben; do
	sipp_bg "$who" uac_wait_bye.xml -s demo -key who "$who"
	pids="$pids $SIPP_PID"
done
wait_connected 8 demo 2 "ann and ben did not connect"
api GET /v1/conferences/demo
ann=$(pid_of ann)
ben=$(pid_of ben)
sipp_bg watch uac_sub_loop.xml -s demo
watch=$SIPP_PID
got() { grep -q 'version="1"' "$WORK/watch.msg"; }
wait_for 5 got || fail "no first NOTIFY for the conference's subscriber"

# sidebars: two listed by value (s3 stays empty), one by reference only
api POST /v1/conferences/demo/sidebars \
	'{"id":"s1","display_text":"Huddle","by_val":true}'
expect_status 201 "create s1"
api POST /v1/conferences/demo/sidebars \
	'{"id":"s2","display_text":"Quiet corner","by_val":false}'
expect_status 201 "create s2"
api POST /v1/conferences/demo/sidebars \
	'{"id":"s3","display_text":"Spare","by_val":true}'
expect_status 201 "create s3"
[ "$(sub_status demo+nope)" = 404 ] || fail "no 404 for a sidebar not there"

# the sidebar's subscriber: its own document, nobody in it yet
sipp_bg side uac_sub_loop.xml -s demo+s1
side=$SIPP_PID
got_side() { grep -q 'version="1"' "$WORK/side.msg"; }
wait_for 5 got_side || fail "no first NOTIFY for the sidebar's subscriber"
grep -q 'entity="sip:demo+s1@[^"]*" state="full" version="1"' \
	"$WORK/side.msg" || fail "the sidebar's document is not its own"
grep -q '<user-count>0</user-count>' "$WORK/side.msg" ||
	fail "the sidebar should be empty"
grep -q 'Contact: <sip:demo+s1@' "$WORK/side.msg" ||
	fail "the sidebar's NOTIFY does not come from its URI"

# people move: ann into s1, ben into s2; s1 renamed; ann back out, in again
api POST /v1/conferences/demo/sidebars/s1/members "{\"participant\":\"$ann\"}"
expect_status 200 "ann into s1"
ann_in() { grep -q '<user entity="sip:ann@' "$WORK/side.msg"; }
wait_for 5 ann_in || fail "the sidebar's subscriber did not see ann come in"
api POST /v1/conferences/demo/sidebars/s2/members "{\"participant\":\"$ben\"}"
expect_status 200 "ben into s2"
api PATCH /v1/conferences/demo/sidebars/s1 '{"display_text":"Huddle 2"}'
expect_status 200 "rename s1"
api DELETE "/v1/conferences/demo/sidebars/s1/members/$ann"
expect_status 204 "ann out of s1"
ann_out() {
	grep -q '<user entity="sip:ann@[^"]*" state="deleted">' "$WORK/side.msg"
}
wait_for 5 ann_out || fail "the sidebar's subscriber did not see ann leave"
api POST /v1/conferences/demo/sidebars/s1/members "{\"participant\":\"$ann\"}"
expect_status 200 "ann into s1 again"

# both subscribers catch up: the conference's with the API's document,
# the sidebar's with a fetch of the sidebar's URI
caught_up() {
	curl -s -H 'Accept: application/conference-info+xml' \
		"$API/v1/conferences/demo/info" >"$WORK/now.xml" &&
		reduce_sb "$WORK/watch.msg" "$WORK/now.xml"
}
wait_for 10 caught_up ||
	{ caught_up || true; fail "the conference's NOTIFYs never caught up"; }
grep -q '<sidebars-by-ref state="full"><entry><uri>sip:demo+s1@[^<]*</uri><display-text>Huddle 2</display-text></entry><entry><uri>sip:demo+s2@' \
	"$WORK/now.xml" || fail "sidebars-by-ref: $(cat "$WORK/now.xml")"
grep -q '<sidebars-by-val><entry entity="sip:demo+s1@[^"]*" state="full"><conference-description><display-text>Huddle 2</display-text></conference-description><users><user entity="sip:ann@' \
	"$WORK/now.xml" || fail "sidebars-by-val: $(cat "$WORK/now.xml")"
grep -q 'entity="sip:demo+s2@' "$WORK/now.xml" &&
	fail "s2 is by reference only: not in sidebars-by-val"
side_caught_up() {
	rm -f "$WORK/fetch_side.msg"
	sipp_run fetch_side uac_fetch.xml -s demo+s1 >/dev/null &&
		awk '/<\?xml/ { on = 1 } on { print }
			/<\/conference-info>/ { on = 0 }' \
			"$WORK/fetch_side.msg" >"$WORK/side_now.xml" &&
		reduce_sb "$WORK/side.msg" "$WORK/side_now.xml"
}
wait_for 10 side_caught_up ||
	{ side_caught_up || true; fail "the sidebar's NOTIFYs never caught up"; }
grep -q '<user-count>1</user-count>' "$WORK/side_now.xml" ||
	fail "the sidebar's document should count ann alone"
grep -q 'sip:ben@' "$WORK/side_now.xml" && fail "ben is not in s1"

# s1 ends: its subscriber's subscription with it (noresource); the
# conference's subscriber sees the entry deleted
api DELETE /v1/conferences/demo/sidebars/s1
expect_status 204 "end s1"
sipp_wait "$side" side
grep -q 'Subscription-State: terminated;reason=noresource' "$WORK/side.msg" ||
	fail "the sidebar's subscription did not end with noresource"
wait_for 10 caught_up ||
	{ caught_up || true; fail "the conference's NOTIFYs never caught up"; }
grep -q '<entry entity="sip:demo+s1@[^"]*" state="deleted"></entry>' \
	"$WORK/watch.msg" || fail "no deleted sidebars-by-val entry"
grep -q '<sidebars-by-val state="partial"><entry entity="sip:demo+s1@[^"]*" state="partial"><users state="partial"><user entity="sip:ann@' \
	"$WORK/watch.msg" || fail "no partial sidebars-by-val entry"
# and the others: the last takes both lists
api DELETE /v1/conferences/demo/sidebars/s2
expect_status 204 "end s2"
api DELETE /v1/conferences/demo/sidebars/s3
expect_status 204 "end s3"
wait_for 10 caught_up ||
	{ caught_up || true; fail "the conference's NOTIFYs never caught up"; }
grep -q 'sidebars' "$WORK/now.xml" && fail "sidebars listed without sidebars"
grep -q '<sidebars-by-val state="deleted"></sidebars-by-val>' \
	"$WORK/watch.msg" || fail "sidebars-by-val never deleted"

api DELETE /v1/conferences/demo     # ends the watch (noresource)
sipp_wait "$watch" watch
for p in $pids; do wait "$p" || true; done

# every body both subscribers got is valid
awk -v out="$WORK/b" '/<\?xml/ { n++; f = out "-" n ".xml"; on = 1 }
	on { print > f } /<\/conference-info>/ { on = 0; close(f) }' \
	"$WORK/watch.msg" "$WORK/side.msg"
n=0
for b in "$WORK"/b-*.xml; do
	xmllint --noout --schema "$XSD" "$b" 2>"$WORK/xsd.err" ||
		{ cat "$WORK/xsd.err" "$b"; fail "$(basename "$b") invalid"; }
	n=$((n + 1))
done
partials=$(grep -c 'state="partial" version=' "$WORK/watch.msg" || true)
side_partials=$(grep -c 'state="partial" version=' "$WORK/side.msg" || true)
log "$n bodies valid; partial: $partials of the conference's," \
	"$side_partials of the sidebar's"
[ "$partials" -ge 5 ] || fail "only $partials partial NOTIFYs"
[ "$side_partials" -ge 2 ] || fail "only $side_partials partial NOTIFYs"
stop_caucusd
log PASS
