#!/bin/bash
# Runs a command (a test) with CAUCUS_TEST_PG set to the URI of a
# throwaway PostgreSQL made for it (scripts/pg.sh) in a temporary folder,
# stops the server afterwards and exits with the command's status.
# PostgreSQL not starting is a failure, never a skip: a test registered
# to run against PostgreSQL that silently ran without it proves nothing.
#
#   tests/unit/with_pg.sh ./test_store
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/scripts/ports.sh"
. "$src/scripts/pg.sh"

if [ $# -eq 0 ]; then
	echo "usage: $0 command [args...]" >&2
	exit 2
fi
dir=$(mktemp -d /tmp/caucus-pg-XXXXXX) || exit 1
trap pg_stop EXIT
if ! pg_start "$dir"; then
	echo "with_pg: FAILED: PostgreSQL did not start" >&2
	[ -f "$dir/server.log" ] && tail -n 20 "$dir/server.log" >&2
	exit 1
fi
CAUCUS_TEST_PG=$PG_URI "$@"
status=$?
exit $status
