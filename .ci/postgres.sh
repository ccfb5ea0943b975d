#!/usr/bin/env bash
# Starts a local PostgreSQL for the storage conformance tests and prints the
# DSN they read, so CI (or a developer) can run:
#
#	eval "$(.ci/postgres.sh)" && go test -race ./storage/...
#
# It installs PostgreSQL from Debian's packages when it is missing, creates
# (once) a dedicated cluster named "cognate" that listens on 127.0.0.1 only,
# starts it, and creates (once) a login role and a database owned by it. The
# tests create and drop a schema of their own in that database per test, so
# the role only needs to own the database.
#
# Idempotent: when the server is already up and the DSN works, it only prints
# the DSN. Only the `export` line goes to stdout; everything else to stderr.
#
# The cluster is for tests only: it runs with fsync and synchronous_commit
# off, which loses data on power loss and is never what production wants.
#
# Environment (all optional):
#	COGNATE_PG_PORT      port to listen on (default 55432)
#	COGNATE_PG_CLUSTER   Debian cluster name (default cognate)
#	COGNATE_PG_USER      role the tests log in as (default cognate)
#	COGNATE_PG_PASSWORD  its password (default cognate)
#	COGNATE_PG_DB        database the tests use (default cognate_test)
set -euo pipefail

port=${COGNATE_PG_PORT:-55432}
cluster=${COGNATE_PG_CLUSTER:-cognate}
user=${COGNATE_PG_USER:-cognate}
password=${COGNATE_PG_PASSWORD:-cognate}
db=${COGNATE_PG_DB:-cognate_test}
dsn="postgres://${user}:${password}@127.0.0.1:${port}/${db}?sslmode=disable"

say() { echo "postgres.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}

# root runs things as the postgres user with runuser, anyone else with sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}
as_postgres() {
	if [ "$(id -un)" = postgres ]; then
		"$@"
	elif [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n -u postgres "$@"
	else
		die "need root, sudo or the postgres user to run: $*"
	fi
}

# dsn_works reports whether the tests' DSN already connects.
dsn_works() {
	command -v psql >/dev/null 2>&1 &&
		PGCONNECT_TIMEOUT=3 psql "$dsn" -XAtqc 'SELECT 1' >/dev/null 2>&1
}

# setup brings the server, role and database up. It runs with stdout sent
# to stderr: the server it starts inherits its descriptors, and must not
# hold the caller's $(...) pipe open.
setup() {
	if dsn_works; then
		say "PostgreSQL already running on 127.0.0.1:${port}"
		return 0
	fi

	if ! command -v pg_createcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
		say "installing PostgreSQL from Debian's packages"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
	fi

	# The newest installed major version.
	version=$(ls -1 /usr/lib/postgresql | sort -n | tail -n 1)
	[ -n "$version" ] || die "no PostgreSQL server found under /usr/lib/postgresql"

	if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
		say "creating cluster ${version}/${cluster} on 127.0.0.1:${port}"
		# C.UTF-8 exists on every Debian system; the schema does not depend on
		# the locale anyway (identifier columns are COLLATE "C").
		as_root pg_createcluster --port "$port" --locale C.UTF-8 --start-conf manual \
			"$version" "$cluster" -- --auth-local=peer --auth-host=scram-sha-256 >&2
	fi

	status=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $4 }')
	if [ "$status" != online ]; then
		# Written on every start, so an edited or half-made cluster is fixed.
		# Debian's postgresql.conf reads conf.d last, so these settings win.
		as_root tee "/etc/postgresql/${version}/${cluster}/conf.d/cognate-tests.conf" >/dev/null <<-EOF
	# Written by cognate's .ci/postgres.sh: a throwaway cluster for tests.
	listen_addresses = '127.0.0.1'
	port = ${port}
	max_connections = 200
	fsync = off
	synchronous_commit = off
	full_page_writes = off
	EOF
		say "starting cluster ${version}/${cluster}"
		as_root pg_ctlcluster "$version" "$cluster" start >&2
	fi

	for _ in $(seq 1 100); do
		if pg_isready -q -h 127.0.0.1 -p "$port"; then
			break
		fi
		sleep 0.1
	done
	pg_isready -q -h 127.0.0.1 -p "$port" || die "server on 127.0.0.1:${port} did not become ready"

	# The role and database, created once. The role's password is (re)set each
	# time so a changed COGNATE_PG_PASSWORD takes effect.
	psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@" >&2; }
	psql_admin -d postgres -v user="$user" -v password="$password" -v db="$db" <<-'SQL'
	SELECT format('CREATE ROLE %I LOGIN', :'user')
		WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
	ALTER ROLE :"user" LOGIN PASSWORD :'password';
	SELECT format('CREATE DATABASE %I OWNER %I TEMPLATE template0 ENCODING %L LC_COLLATE %L LC_CTYPE %L',
			:'db', :'user', 'UTF8', 'C.UTF-8', 'C.UTF-8')
		WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
	SQL

	dsn_works || die "cannot connect with $dsn"
	say "PostgreSQL ${version} ready on 127.0.0.1:${port}, database ${db}"
}

setup >&2
printf "export COGNATE_TEST_POSTGRES_DSN='%s'\n" "$dsn"
