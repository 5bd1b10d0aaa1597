# shellcheck shell=bash
# Throwaway PostgreSQL cluster for tests and benchmarks. Meant to be `source`d:
#
#   source .ci/postgres.sh
#   pg_start            # exports CALL_CAPACITY_DATABASE_URL
#   swift test
#   pg_stop
#
# pg_start installs PostgreSQL 15 from Debian when `initdb` is missing, creates a
# cluster in a fresh mktemp directory owned by a non-root user (PostgreSQL refuses
# to run as root), listens on 127.0.0.1 only, on a free port, waits until the
# server accepts connections, creates a role and a database and exports
#   CALL_CAPACITY_DATABASE_URL=postgres://capacity:capacity@127.0.0.1:PORT/capacity
# pg_stop stops the server and removes the directory. Both are safe to call twice.

PG_VERSION="${PG_VERSION:-15}"

_pg_log() { printf 'postgres.sh: %s\n' "$*" >&2; }

# Finds the directory holding initdb/pg_ctl, installing the Debian package if needed.
_pg_bindir() {
    local dir
    for dir in "/usr/lib/postgresql/${PG_VERSION}/bin" /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

_pg_install() {
    _pg_log "initdb not found; installing postgresql-${PG_VERSION} with apt-get"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "postgresql-${PG_VERSION}" >&2
}

# Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0, read it, close).
_pg_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local port
    for _ in $(seq 1 50); do
        port=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return
        fi
    done
    return 1
}

# Runs a command as the cluster owner (the current user when not root).
_pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u "$PG_OWNER" -- "$@"
        else
            su "$PG_OWNER" -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

pg_start() {
    if [ -n "${PG_DATA_ROOT:-}" ] && [ -d "${PG_DATA_ROOT}" ]; then
        _pg_log "already running in ${PG_DATA_ROOT}"
        return 0
    fi
    local bindir
    if ! bindir="$(_pg_bindir)"; then
        _pg_install || { _pg_log "could not install PostgreSQL"; return 1; }
        bindir="$(_pg_bindir)" || { _pg_log "initdb still missing after install"; return 1; }
    fi
    PG_BINDIR="$bindir"

    if [ "$(id -u)" -eq 0 ]; then
        PG_OWNER="${PG_OWNER:-postgres}"
        if ! id "$PG_OWNER" >/dev/null 2>&1; then
            useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OWNER" ||
                { _pg_log "cannot create user $PG_OWNER"; return 1; }
        fi
    else
        PG_OWNER="$(id -un)"
    fi

    local tmpbase="${TMPDIR:-/tmp}"
    # The cluster owner must be able to reach the directory; root's TMPDIR may be private.
    if [ "$(id -u)" -eq 0 ]; then tmpbase=/tmp; fi
    PG_DATA_ROOT="$(mktemp -d "${tmpbase}/call-capacity-pg.XXXXXX")" || return 1
    chmod 0755 "$PG_DATA_ROOT"
    if [ "$(id -u)" -eq 0 ]; then chown "$PG_OWNER" "$PG_DATA_ROOT"; fi
    export PG_DATA_ROOT PG_BINDIR PG_OWNER

    local pwfile="$PG_DATA_ROOT/pwfile"
    printf 'postgres\n' > "$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown "$PG_OWNER" "$pwfile"; fi

    if ! _pg_as_owner "$bindir/initdb" -D "$PG_DATA_ROOT/data" -U postgres --pwfile="$pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$PG_DATA_ROOT/initdb.log" 2>&1; then
        _pg_log "initdb failed:"; cat "$PG_DATA_ROOT/initdb.log" >&2
        return 1
    fi

    local port attempt
    for attempt in 1 2 3 4 5; do
        port="$(_pg_free_port)" || { _pg_log "no free port"; return 1; }
        # Throwaway cluster: durability off for speed, sockets in our own directory.
        if _pg_as_owner "$bindir/pg_ctl" -D "$PG_DATA_ROOT/data" -l "$PG_DATA_ROOT/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$PG_DATA_ROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
            break
        fi
        _pg_log "start on port $port failed (attempt $attempt)"
        port=""
    done
    if [ -z "$port" ]; then
        _pg_log "server did not start:"; tail -n 30 "$PG_DATA_ROOT/server.log" >&2
        return 1
    fi
    PG_PORT="$port"
    export PG_PORT

    # Wait for readiness over TCP (pg_ctl -w already waited on the socket).
    local i
    for i in $(seq 1 100); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
        sleep 0.1
    done

    if ! PGPASSWORD=postgres "$bindir/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE capacity LOGIN PASSWORD 'capacity'" \
        -c "CREATE DATABASE capacity OWNER capacity" >/dev/null; then
        _pg_log "could not create the database"
        return 1
    fi
    export CALL_CAPACITY_DATABASE_URL="postgres://capacity:capacity@127.0.0.1:${port}/capacity"
    _pg_log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') ready: ${CALL_CAPACITY_DATABASE_URL}"
}

pg_stop() {
    if [ -z "${PG_DATA_ROOT:-}" ]; then return 0; fi
    if [ -d "$PG_DATA_ROOT/data" ]; then
        _pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATA_ROOT/data" -m fast -w stop >/dev/null 2>&1 ||
            _pg_log "pg_ctl stop failed (server may already be down)"
    fi
    rm -rf "$PG_DATA_ROOT"
    unset PG_DATA_ROOT PG_PORT CALL_CAPACITY_DATABASE_URL
}
