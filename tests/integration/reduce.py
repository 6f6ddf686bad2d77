#!/usr/bin/env python3
"""Applies RFC 4575 NOTIFY bodies in order, as a subscriber would, and
compares the result with a reference document (a fetch).

    reduce.py MESSAGE_LOG FETCHED.xml

MESSAGE_LOG is sipp's -trace_msg log of one subscription. Bodies are taken
in order up to (not including) the first NOTIFY whose Subscription-State is
terminated. Rules (RFC 4575 s. 4.6): the first document is full; a partial
document replaces the top-level elements it carries, and inside
<users state="partial"> each <user> replaces (state full), is removed
(state deleted), or is merged endpoint by endpoint (state partial). The
comparison ignores the root's version and state, and the order of users.
Exit 0 when equal, 1 with a diff otherwise.
"""
import re
import sys
import xml.etree.ElementTree as ET

NS = "{urn:ietf:params:xml:ns:conference-info}"


def bodies(log):
    text = open(log, encoding="utf-8", errors="replace").read()
    out = []
    for msg in re.split(r"\n-{20,}[^\n]*\n", text):
        if not re.search(r"^NOTIFY sip:", msg, re.M):
            continue
        if re.search(r"^Subscription-State: terminated", msg, re.M):
            break
        m = re.search(r"<\?xml.*?</conference-info>", msg, re.S)
        if m:
            out.append(ET.fromstring(m.group(0).encode()))
    return out


def merge_user(old, new):
    """state="partial" user: endpoints by entity"""
    for ep in new.findall(NS + "endpoint"):
        ent = ep.get("entity")
        cur = [e for e in old.findall(NS + "endpoint") if e.get("entity") == ent]
        state = ep.get("state", "full")
        for c in cur:
            old.remove(c)
        if state != "deleted":
            old.append(ep)


def apply(doc, part):
    version = int(part.get("version"))
    if int(doc.get("version")) >= version:
        raise SystemExit("version %d after %s" % (version, doc.get("version")))
    if version != int(doc.get("version")) + 1:
        raise SystemExit("version skipped: %s -> %d" % (doc.get("version"), version))
    doc.set("version", str(version))
    if part.get("state", "full") == "full":
        return part
    for child in part:
        tag = child.tag
        cur = doc.find(tag)
        if tag == NS + "users" and child.get("state") == "partial" and cur is not None:
            for u in child.findall(NS + "user"):
                ent = u.get("entity")
                old = [x for x in cur.findall(NS + "user") if x.get("entity") == ent]
                st = u.get("state", "full")
                if st == "partial" and old:
                    merge_user(old[0], u)
                    continue
                for x in old:
                    cur.remove(x)
                if st != "deleted":
                    cur.append(u)
            continue
        if cur is not None:
            doc.remove(cur)
        doc.append(child)
    return doc


def canon(doc):
    """XML text with the root's version/state dropped and users sorted"""
    doc = ET.fromstring(ET.tostring(doc))
    doc.attrib.pop("version", None)
    doc.attrib.pop("state", None)
    users = doc.find(NS + "users")
    if users is not None:
        items = sorted(users.findall(NS + "user"), key=lambda u: u.get("entity"))
        for u in list(users):
            users.remove(u)
        users.attrib.pop("state", None)
        for u in items:
            users.append(u)
    order = ["conference-description", "host-info", "conference-state", "users"]
    kids = sorted(list(doc), key=lambda e: order.index(e.tag[len(NS):])
                  if e.tag[len(NS):] in order else 99)
    for k in list(doc):
        doc.remove(k)
    for k in kids:
        doc.append(k)
    return ET.tostring(doc, encoding="unicode")


def main():
    docs = bodies(sys.argv[1])
    if not docs:
        raise SystemExit("no NOTIFY bodies in " + sys.argv[1])
    if docs[0].get("state", "full") != "full":
        raise SystemExit("the first NOTIFY is not a full document")
    state = docs[0]
    partials = 0
    for d in docs[1:]:
        partials += d.get("state") == "partial"
        state = apply(state, d)
    fetched = ET.parse(sys.argv[2]).getroot()
    a, b = canon(state), canon(fetched)
    print("%d NOTIFYs (%d partial), reduced to version %s" %
          (len(docs), partials, state.get("version")))
    if a != b:
        print("reduced:\n" + a + "\nfetched:\n" + b)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
