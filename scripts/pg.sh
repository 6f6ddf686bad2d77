# A throwaway PostgreSQL for the tests, the benchmarks and scripts/cluster.sh
# (sourced, POSIX sh): a new cluster made by Debian's initdb in a folder of
# its own, listening on 127.0.0.1 at a free port and on a socket in that
# folder, stopped and deleted by pg_stop. Needs the postgresql package
# (scripts/deps.sh) and scripts/ports.sh sourced first (free_port).
#
#   pg_start DIR   makes and starts it; sets PG_DIR, PG_PORT, PG_URI
#                  (postgresql://caucus@127.0.0.1:PORT/caucus) and
#                  PG_BIN (the server's programs)
#   pg_stop        stops it (fast shutdown) and deletes DIR
#   pg_psql SQL    runs SQL as caucus in database caucus, unaligned output
#   pg_halt        the server dies (immediate stop); pg_resume: back
#
# PostgreSQL refuses to run as root: as root, the server runs as the
# postgres user Debian's package made (runuser), and DIR is given to it.

pg_bin_dir() {
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	PG_DIR=$1
	PG_BIN=$(pg_bin_dir) || { echo "pg: no PostgreSQL server (apt-get install postgresql)" >&2; return 1; }
	mkdir -p "$PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$PG_DIR"
		# the postgres user must reach DIR: its parent (a test's
		# private scratch folder, 0700) is made traversable, not
		# readable
		chmod o+x "$(dirname "$PG_DIR")"
	fi
	chmod 700 "$PG_DIR"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U caucus -A trust \
		-E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 ||
		{ echo "pg: initdb failed, see $PG_DIR/initdb.log" >&2; return 1; }
	for _try in 1 2 3 4 5; do
		PG_PORT=$(free_port)
		if pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
			-w -t 30 -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=200" \
			start >/dev/null 2>&1; then
			PG_URI="postgresql://caucus@127.0.0.1:$PG_PORT/caucus"
			pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U caucus caucus ||
				{ echo "pg: createdb failed" >&2; return 1; }
			export PG_DIR PG_PORT PG_URI PG_BIN
			return 0
		fi
		# the port was taken between the pick and the bind: again
	done
	echo "pg: the server did not start, see $PG_DIR/server.log" >&2
	return 1
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop \
			>/dev/null 2>&1 || true
	fi
	[ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$PG_DIR"
	PG_DIR=""
}

# pg_halt / pg_resume: the server dies (an immediate stop, as a crash)
# and comes back on the same port with its data: for the tests of a
# store that goes away
pg_halt() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop \
		>/dev/null 2>&1
}

pg_resume() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
		-w -t 30 -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=200" \
		start >/dev/null 2>&1
}

pg_psql() {
	PGCONNECT_TIMEOUT=5 psql -X -q -A -t -v ON_ERROR_STOP=1 "$PG_URI" -c "$1"
}
