/*
 * The conference notification service's documents (RFC 4575). The state
 * of a conference is built once per view as a tree (a libre odict shaped
 * like the XML: "@name" keys are attributes, "#text" an element's text
 * beside them, arrays are repeated elements)
 * and printed either as application/conference-info+xml or as its JSON
 * equivalent. Signalling thread.
 */
#ifndef CAUCUS_NOTIFY_H
#define CAUCUS_NOTIFY_H

/* caucus's namespace for what RFC 4575 has no element for (an element
 * <caucus> at the end of an endpoint: hand-raised, lobby) */
#define NOTIFY_EXT_NS "urn:x-caucus:params:xml:ns:conference-info"
/* RFC 6501's (XCON) namespace: its <floor id="N">true|false</floor> in an
 * endpoint's media says whether the endpoint holds that floor */
#define NOTIFY_XCON_NS "urn:ietf:params:xml:ns:xcon-conference-info"


#include <stdbool.h>
#include <stdint.h>
#include <re.h>

struct conf;
struct sidebar;

/* Who the document is for: others see anonymous participants without
 * their identity and do not see hidden ones; moderators see all. And of
 * what: the conference (its users, and its sidebars by reference and, for
 * those that say so, by value: RFC 4575 s. 5.9), or one of its sidebars
 * (sidebar: a document of its own, entity its URI, users its members
 * only). A sidebar that has ended is named by its URI alone (ended, with
 * sidebar NULL): the empty document its subscribers get last. */
struct notify_view {
	bool moderator;
	const struct sidebar *sidebar;
	const char *ended;
};

#define NOTIFY_CTYPE "application/conference-info+xml"

/* The full state of c, with the given version, in the view. */
int notify_doc_full(struct odict **docp, const struct conf *c,
		    uint32_t version, const struct notify_view *view);
/* XML of a document tree, for re_printf's %H. */
int notify_xml_print(struct re_printf *pf, const struct odict *doc);
/* XML of one element of a tree (no declaration, no namespace) */
int notify_xml_element(struct re_printf *pf, const char *name,
		       const struct odict_entry *e);

/* What one subscriber has seen, to send it only what changed. */
struct notify_snap;
int notify_snap_alloc(struct notify_snap **sp);
/* The next document for a subscriber whose last one is in snap, as a tree
 * (for JSON; SIP NOTIFYs use notify_render_delta): the partial document when
 * the subscriber has one, else full itself. ENODATA: nothing it sees
 * changed. snap then holds the new state. */
int notify_doc_diff(struct odict **docp, struct notify_snap *snap,
		    const struct odict *full, bool *partialp);

/* A conference's full state in one view, rendered once and shared by all
 * its subscribers (render.c) */
struct notify_render;
int notify_render_alloc(struct notify_render **rp, const struct conf *c,
			const struct notify_view *view);
/* The NOTIFY body taking a subscriber from render `from` (the last one
 * it got; NULL: none) to r: what differs (partial), or the full state when
 * that is not longer, or when force_full or from is NULL. ENODATA when
 * nothing differs. Computed once per (from, r) and shared: *bodyp is
 * referenced and read-only. It lacks the root element's opening tag,
 * which carries the subscriber's own version: notify_render_head. */
int notify_render_delta(struct mbuf **bodyp, bool *partialp,
			struct notify_render *r,
			const struct notify_render *from, bool force_full);
int notify_render_head(char *buf, size_t sz, const struct notify_render *r,
		       bool partial, uint32_t version);

/* The notifier: SUBSCRIBE/NOTIFY for the conference package on the
 * focus's SIP stack. Create it after the focus and before focus_start(),
 * so that it sees SUBSCRIBE before the focus's catch-all. laddr (the SIP
 * listen address) must outlive it. */
struct notifier;
struct confs;
int notifier_alloc(struct notifier **np, struct sip *sip, struct confs *cs,
		   const struct sa *laddr, uint32_t interval_ms,
		   uint32_t min_expires);
unsigned notifier_count(const struct notifier *n);
/* Who may subscribe: called for each new SUBSCRIBE to an existing
 * conference (to one of its sidebars: with the conference). 0: accept,
 * *moderator picks the view; else the gate has replied (a digest
 * challenge, a refusal) and the notifier stays out. */
struct sip_msg;
struct conf;
typedef int (notify_gate_h)(struct conf *c, const struct sip_msg *msg,
			    bool *moderator, void *arg);
void notifier_set_gate(struct notifier *n, notify_gate_h *h, void *arg);
/* Admission by load: called for each new SUBSCRIBE (outside a dialog)
 * before anything else; false: it has replied (503) and the notifier
 * stays out */
typedef bool (notify_admit_h)(const struct sip_msg *msg, void *arg);
void notifier_set_admit(struct notifier *n, notify_admit_h *h, void *arg);
/* The focus's own URI for a conference over a transport (its Contact:
 * sips: at the TLS port over TLS); without one, the notifier's laddr.
 * conf_id is the URI's user part: for a sidebar, <conf>+<sidebar> */
typedef int (notify_contact_h)(char *buf, size_t sz, const char *conf_id,
			       const struct sip_msg *msg, void *arg);
void notifier_set_contact(struct notifier *n, notify_contact_h *h,
			  void *arg);
/* Per-source limits: subscriptions from one address at once, and a 404
 * for a conference that does not exist counted as an offence */
struct srclimit;
void notifier_set_limit(struct notifier *n, struct srclimit *sl);

#define NOTIFY_DELAY_BUCKETS 10001     /* 0..9999 ms, then "more" */
struct notify_stats {
	uint64_t subscriptions;
	uint64_t notifies;       /* NOTIFYs sent */
	uint64_t partial;        /* of them, partial documents */
	uint64_t bytes;          /* body bytes */
	uint64_t delayed;        /* NOTIFYs that carried a change */
	uint32_t delay_p50_ms;   /* change to NOTIFY, over those */
	uint32_t delay_p99_ms;
	uint32_t delay_max_ms;
};
void notifier_stats(const struct notifier *n, struct notify_stats *st);
/* NOTIFY every subscriber that its subscription ended (shutdown). */
void notifier_terminate_all(struct notifier *n);


#endif
