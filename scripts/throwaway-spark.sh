#!/usr/bin/env bash
# Start or stop a throwaway Spark Thrift Server on 127.0.0.1 for tests and CI.
#
#   eval "$(scripts/throwaway-spark.sh start)"   # prints GREENSTREAM_SPARK_* exports
#   scripts/throwaway-spark.sh stop "$GREENSTREAM_SPARK_DIR"
#
# The server comes from pyspark's own jars (pip install -e '.[spark]'), runs a local
# master (local[2]) and has Apache Iceberg from snowpark-connect-deps-iceberg's
# iceberg-spark-runtime-3.5_2.12 jar. A fresh temporary folder holds the Derby
# metastore (metastore_db), the warehouse and the logs; `stop` removes it. The
# embedded Derby metastore allows one Spark process at a time: one server per folder.
#
# Environment: PYTHON (default: the repo's .venv/bin/python, else python3),
# GREENSTREAM_SPARK_DRIVER_MEMORY (default 2g), GREENSTREAM_SPARK_START_TIMEOUT
# (seconds, default 180), GREENSTREAM_SPARK_SHUFFLE_PARTITIONS (default 4: Spark's 200
# suit a cluster, not a test's few thousand rows on two cores), JAVA_HOME (else java on PATH).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

python_bin() {
    if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"
    elif [[ -x "$repo/.venv/bin/python" ]]; then echo "$repo/.venv/bin/python"
    else command -v python3
    fi
}

java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"; return 0; fi
    command -v java >/dev/null 2>&1 && command -v java && return 0
    echo "Java not found: install a JRE 17 (apt-get install openjdk-17-jre-headless) or set JAVA_HOME" >&2
    return 1
}

# The pyspark package folder is a complete SPARK_HOME (bin/, jars/).
spark_home() {
    local home
    home=$("$1" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null) || {
        echo "pyspark not importable by $1: pip install -c constraints.txt -e '.[spark]'" >&2
        return 1
    }
    [[ -x "$home/bin/spark-submit" && -d "$home/jars" ]] || {
        echo "pyspark at $home has no bin/spark-submit or jars/: reinstall it" >&2
        return 1
    }
    echo "$home"
}

# The wheel puts the jar in site-packages/snowpark_connect_deps_iceberg/jars/.
iceberg_jar() {
    local jar
    jar=$("$1" -c 'import snowpark_connect_deps_iceberg as d
print(*sorted(d.get_jars_dir().glob("iceberg-spark-runtime-3.5_2.12-*.jar"))[-1:])' 2>/dev/null) || jar=
    if [[ -z "$jar" || ! -f "$jar" ]]; then
        echo "iceberg-spark-runtime-3.5_2.12 jar not found: pip install -c constraints.txt -e '.[spark]'" \
            "(it ships in snowpark-connect-deps-iceberg==1.0.1)" >&2
        return 1
    fi
    echo "$jar"
}

free_port() {
    "$1" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Kill the server (its own session and process group, see `setsid` below).
kill_server() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

start() {
    local py java home jar dir port pid timeout waited
    py=$(python_bin)
    java=$(java_bin)
    home=$(spark_home "$py")
    jar=$(iceberg_jar "$py")
    timeout=${GREENSTREAM_SPARK_START_TIMEOUT:-180}
    dir=$(mktemp -d /tmp/greenstream-spark.XXXXXX)
    mkdir -p "$dir/warehouse" "$dir/tmp" "$dir/scratch" "$dir/operation_logs" "$dir/conf"
    port=$(free_port "$py")
    # setsid: the server gets its own process group, and `$(...)` in the caller
    # returns because nothing holds its stdout. spark-submit execs java, so $! is
    # the server's pid. The launcher adds the app resource `spark-internal` for the
    # Thrift Server class itself and hands --hiveconf to it. hive.downloaded.resources.dir
    # keeps its per-session default (each session deletes it on close).
    (
        cd "$dir"
        export SPARK_HOME=$home JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$java")")")}
        export SPARK_LOG_DIR=$dir SPARK_LOCAL_DIRS=$dir/tmp SPARK_CONF_DIR=$dir/conf SPARK_LOCAL_IP=127.0.0.1
        exec setsid "$home/bin/spark-submit" \
            --master 'local[2]' \
            --name greenstream-thrift \
            --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 \
            --driver-memory "${GREENSTREAM_SPARK_DRIVER_MEMORY:-2g}" \
            --driver-java-options "-Dderby.system.home=$dir -Djava.io.tmpdir=$dir/tmp" \
            --jars "$jar" \
            --driver-class-path "$jar" \
            --conf spark.ui.enabled=false \
            --conf spark.local.dir="$dir/tmp" \
            --conf spark.sql.warehouse.dir="$dir/warehouse" \
            --conf spark.hadoop.javax.jdo.option.ConnectionURL="jdbc:derby:;databaseName=$dir/metastore_db;create=true" \
            --conf spark.hadoop.datanucleus.schema.autoCreateAll=true \
            --conf spark.hadoop.hive.metastore.schema.verification=false \
            --conf spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions \
            --conf spark.sql.catalog.spark_catalog=org.apache.iceberg.spark.SparkSessionCatalog \
            --conf spark.sql.catalog.spark_catalog.type=hive \
            --conf spark.hadoop.iceberg.engine.hive.lock-enabled=false \
            --conf spark.sql.session.timeZone=UTC \
            --conf spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS \
            --conf spark.sql.legacy.allowNonEmptyLocationInCTAS=true \
            --conf spark.sql.shuffle.partitions="${GREENSTREAM_SPARK_SHUFFLE_PARTITIONS:-4}" \
            --hiveconf hive.server2.thrift.bind.host=127.0.0.1 \
            --hiveconf hive.server2.thrift.port="$port" \
            --hiveconf hive.exec.scratchdir="$dir/scratch" \
            --hiveconf hive.exec.local.scratchdir="$dir/scratch" \
            --hiveconf hive.server2.logging.operation.log.location="$dir/operation_logs"
    ) >"$dir/server.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/server.pid"
    waited=0
    until port_open "$port"; do
        if ! kill -0 "$pid" 2>/dev/null || ((waited >= timeout * 2)); then
            if kill -0 "$pid" 2>/dev/null; then
                echo "Spark Thrift Server not listening on 127.0.0.1:$port after ${timeout}s; log tail:" >&2
            else
                echo "Spark Thrift Server exited before listening; log tail:" >&2
            fi
            tail -n 40 "$dir/server.log" >&2
            kill_server "$pid"
            echo "(full log in $dir; remove it with: $0 stop $dir)" >&2
            return 1
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    echo "export GREENSTREAM_SPARK_HOST=127.0.0.1 GREENSTREAM_SPARK_PORT=$port GREENSTREAM_SPARK_DIR=$dir GREENSTREAM_SPARK_WAREHOUSE=$dir/warehouse"
}

stop() {
    local dir=${1:-${GREENSTREAM_SPARK_DIR:-}} pid
    [[ -n "$dir" && -d "$dir" ]] || return 0
    if [[ ! -f "$dir/server.pid" && $(basename "$dir") != greenstream-spark.* ]]; then
        echo "$dir is not a throwaway Spark folder: left alone" >&2
        return 1
    fi
    if [[ -f "$dir/server.pid" ]]; then
        pid=$(<"$dir/server.pid")
        # Only a live java process is ours (guards against a recycled pid).
        if [[ "$pid" =~ ^[0-9]+$ && $(ps -o comm= -p "$pid" 2>/dev/null) == java ]]; then
            kill_server "$pid"
        fi
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
