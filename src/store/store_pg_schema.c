/*
 * The PostgreSQL backend's own part of the schema: what the shared
 * migrations (store.c) cannot say in SQL both dialects accept. Run by
 * store.c in the same transaction as the shared step of the same number.
 * Like the shared steps, a released step is never edited: a change to a
 * function or trigger is CREATE OR REPLACE in a new step.
 */
#include "store/store_int.h"
#include "store/store_pg.h"

/*
 * Migration 3.
 *
 * Triggers announce changes on the channel "caucus" (store.h: so that a
 * change made with psql is announced too). Payloads, parsed by
 * store_pg_listen.c: "conf <id>", "user <name>", "roster <conf> <node>"
 * (node has no spaces: split at the last one), "lease <conf>", and
 * "resync" for a key too long for pg_notify (8000 bytes), which cannot
 * be ours but must not make the writer's statement fail. Nodes' rows are
 * not announced: they change every second. A lease update that keeps
 * the holder (a renewal) is not announced: only a new holder matters.
 *
 * caucus_owner and caucus_route are what Kamailio's routing script
 * (dist/kamailio) calls: names and results are an interface. Both read
 * the database's clock, as Kamailio has no time of its own to pass.
 */
static const char pg_extra_v3[] =
	"CREATE FUNCTION caucus_now_ms() RETURNS BIGINT LANGUAGE sql "
	"VOLATILE AS $$"
	" SELECT (extract(epoch from clock_timestamp())*1000)::bigint $$;"

	"CREATE FUNCTION caucus_notify(payload TEXT) RETURNS void "
	"LANGUAGE plpgsql AS $$ BEGIN"
	" IF octet_length(payload) < 8000 THEN"
	"  PERFORM pg_notify('caucus', payload);"
	" ELSE"
	"  PERFORM pg_notify('caucus', 'resync');"
	" END IF;"
	" END $$;"

	"CREATE FUNCTION caucus_conf_chg() RETURNS trigger "
	"LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'DELETE' THEN PERFORM caucus_notify('conf ' || OLD.id);"
	" ELSE PERFORM caucus_notify('conf ' || NEW.id); END IF;"
	" RETURN NULL; END $$;"
	"CREATE TRIGGER caucus_chg AFTER INSERT OR UPDATE OR DELETE "
	"ON conferences FOR EACH ROW EXECUTE FUNCTION caucus_conf_chg();"

	"CREATE FUNCTION caucus_user_chg() RETURNS trigger "
	"LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'DELETE' THEN"
	"  PERFORM caucus_notify('user ' || OLD.name);"
	" ELSE PERFORM caucus_notify('user ' || NEW.name); END IF;"
	" RETURN NULL; END $$;"
	"CREATE TRIGGER caucus_chg AFTER INSERT OR UPDATE OR DELETE "
	"ON users FOR EACH ROW EXECUTE FUNCTION caucus_user_chg();"

	"CREATE FUNCTION caucus_roster_chg() RETURNS trigger "
	"LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'DELETE' THEN"
	"  PERFORM caucus_notify('roster ' || OLD.conf_id || ' ' || OLD.node);"
	" ELSE"
	"  PERFORM caucus_notify('roster ' || NEW.conf_id || ' ' || NEW.node);"
	" END IF;"
	" RETURN NULL; END $$;"
	"CREATE TRIGGER caucus_chg AFTER INSERT OR UPDATE OR DELETE "
	"ON rosters FOR EACH ROW EXECUTE FUNCTION caucus_roster_chg();"

	"CREATE FUNCTION caucus_lease_chg() RETURNS trigger "
	"LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'DELETE' THEN"
	"  PERFORM caucus_notify('lease ' || OLD.conf_id);"
	" ELSE PERFORM caucus_notify('lease ' || NEW.conf_id); END IF;"
	" RETURN NULL; END $$;"
	"CREATE TRIGGER caucus_chg AFTER INSERT OR DELETE "
	"ON leases FOR EACH ROW EXECUTE FUNCTION caucus_lease_chg();"
	"CREATE TRIGGER caucus_chg_holder AFTER UPDATE ON leases "
	"FOR EACH ROW WHEN (OLD.node IS DISTINCT FROM NEW.node "
	"OR OLD.conf_id IS DISTINCT FROM NEW.conf_id) "
	"EXECUTE FUNCTION caucus_lease_chg();"

	/* the SIP URI of the node holding a live lease on conf, or NULL */
	"CREATE FUNCTION caucus_owner(conf TEXT) RETURNS TEXT "
	"LANGUAGE sql VOLATILE AS $$"
	" WITH t(now_ms) AS (SELECT caucus_now_ms())"
	" SELECT 'sip:' || n.sip_addr FROM t, leases l"
	" JOIN nodes n ON n.node = l.node"
	" WHERE l.conf_id = conf AND l.expires_at > t.now_ms"
	" AND n.expires_at > t.now_ms $$;"

	/* where a new join of conf goes: its owner while it has room, else
	 * the live node with the most room (by name among equals), else
	 * NULL (no node alive) */
	"CREATE FUNCTION caucus_route(conf TEXT) RETURNS TEXT "
	"LANGUAGE plpgsql VOLATILE AS $$"
	" DECLARE t BIGINT := caucus_now_ms(); r TEXT;"
	" BEGIN"
	" SELECT 'sip:' || n.sip_addr INTO r FROM leases l"
	"  JOIN nodes n ON n.node = l.node"
	"  WHERE l.conf_id = conf AND l.expires_at > t AND n.expires_at > t"
	"  AND n.participants < n.capacity;"
	" IF r IS NULL THEN"
	"  SELECT 'sip:' || n.sip_addr INTO r FROM nodes n"
	"   WHERE n.expires_at > t"
	"   ORDER BY n.capacity - n.participants DESC, n.node LIMIT 1;"
	" END IF;"
	" RETURN r;"
	" END $$";

const char *const store_pg_extra[CAUCUS_STORE_SCHEMA + 1] = {
	[3] = pg_extra_v3,
};

