#!/usr/bin/env bash
# A DHT of third-party peers on loopback, in a private network namespace:
# a bittorrent-dht bootstrap node, then 2 bittorrent-dht, 2 libtorrent and
# 2 mainline peers bootstrapped from it. Prints which operation works from
# which implementation to which; exits 1 if any fails.
#
#   tests/interop/smoke.sh     (after the installs of tests/interop/README.md)
#
# Re-runs itself inside `unshare -rn`; OVERLAY_INTEROP_NO_NETNS=1 runs on the
# host's loopback instead. INTEROP_DEBUG=1 keeps the peers' stderr files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${OVERLAY_IN_NETNS:-}" != 1 ]; then
    if unshare -rn true 2>/dev/null; then
        exec unshare -rn env OVERLAY_IN_NETNS=1 bash "$0" "$@"
    elif [ "${OVERLAY_INTEROP_NO_NETNS:-}" = 1 ]; then
        echo "smoke: on the host's loopback (OVERLAY_INTEROP_NO_NETNS=1)"
    else
        echo "smoke: unshare -rn fails here; OVERLAY_INTEROP_NO_NETNS=1 uses the host's loopback" >&2
        exit 2
    fi
else
    ip link set lo up
fi

dir=$(mktemp -d)
declare -A IN OUT PORT KIND ID
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${INTEROP_DEBUG:-}" = 1 ]; then echo "stderr of the peers: $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"; }

# start NAME KIND PORT [BOOTSTRAP_PORT...]
start() {
    local name=$1 kind=$2 port=$3; shift 3
    local args=(--bind "127.0.0.1:$port")
    for b in "$@"; do args+=(--bootstrap "127.0.0.1:$b"); done
    local cmd
    case $kind in
        js) cmd=(node "$here/js/driver.mjs") ;;
        python) cmd=(python3 "$here/py/driver.py") ;;
        mainline) cmd=("$here/mainline-peer/target/release/mainline-peer") ;;
    esac
    mkfifo "$dir/$name.in" "$dir/$name.out"
    "${cmd[@]}" "${args[@]}" <"$dir/$name.in" >"$dir/$name.out" 2>"$dir/$name.err" &
    pids+=($!)
    exec {fd}>"$dir/$name.in"
    IN[$name]=$fd
    exec {fd}<"$dir/$name.out"
    OUT[$name]=$fd
    local ready
    read -r -t 60 ready <&"${OUT[$name]}" || { echo "$name ($kind): no ready line"; cat "$dir/$name.err"; exit 1; }
    KIND[$name]=$kind PORT[$name]=$port ID[$name]=$(field "$ready" id)
    printf '%-4s %-8s 127.0.0.1:%s id %s\n' "$name" "$kind" "$port" "${ID[$name]}"
}

# call NAME JSON: prints the answer line
call() {
    echo "$2" >&"${IN[$1]}"
    local line
    read -r -t 120 line <&"${OUT[$1]}" || line='{"ok":false,"error":"no answer within 120 s"}'
    echo "$line"
}

fails=0
report() { # report WHAT ANSWER-OR-ERROR CHECK
    if [ "$3" = ok ]; then printf '%-40s ok\n' "$1"; else printf '%-40s FAIL %s\n' "$1" "$2"; fails=$((fails + 1)); fi
}

start j0 js 7000
start j1 js 7001 7000
start j2 js 7002 7000
start p1 python 7003 7000
start p2 python 7004 7000
start m1 mainline 7005 7000
start m2 mainline 7006 7000
names=(j0 j1 j2 p1 p2 m1 m2)
for n in "${names[@]}"; do call "$n" "{\"op\":\"find_node\",\"target\":\"${ID[$n]}\"}" >/dev/null; done
sleep 1

echo "== find_node: does the lookup of a peer's id return it?"
for s in j1 p1 m1; do
    for t in j2 p2 m2; do
        a=$(call "$s" "{\"op\":\"find_node\",\"target\":\"${ID[$t]}\"}")
        case $a in *"${ID[$t]}"*) ok=ok ;; *) ok=no ;; esac
        if [ "${KIND[$t]}" = mainline ] && [ "${KIND[$s]}" != mainline ] && [ $ok = no ]; then
            # Known: mainline 8.0.1 answers only 4-byte transaction ids (README).
            printf '%-40s no (known: mainline answers no 2-byte t)\n' "find_node ${KIND[$s]} -> ${KIND[$t]}"
            continue
        fi
        report "find_node ${KIND[$s]} -> ${KIND[$t]}" "$a" $ok
    done
done

n=0
for w in j1 p1 m1; do
    for r in j2 p2 m2; do
        n=$((n + 1))
        tag="${KIND[$w]}>${KIND[$r]}"
        echo "== $tag"
        a=$(call "$w" "{\"op\":\"put_immutable\",\"value\":\"imm $tag\"}")
        b=$(call "$r" "{\"op\":\"get_immutable\",\"target\":\"$(field "$a" target)\"}")
        [ "$(field "$b" value)" = "imm $tag" ] && ok=ok || ok=no
        report "immutable ${KIND[$w]} -> ${KIND[$r]}" "$a / $b" $ok

        seed=$(printf '%064x' $((2000 + n)))
        a=$(call "$w" "{\"op\":\"put_mutable\",\"value\":\"mut $tag\",\"key_seed\":\"$seed\",\"salt\":\"s\",\"seq\":1}")
        b=$(call "$r" "{\"op\":\"get_mutable\",\"pubkey\":\"$(field "$a" pubkey)\",\"salt\":\"s\"}")
        [ "$(field "$b" value)" = "mut $tag" ] && [ "$(field "$b" seq)" = 1 ] && ok=ok || ok=no
        report "mutable ${KIND[$w]} -> ${KIND[$r]}" "$a / $b" $ok

        ih=$(printf '%040x' $((3000 + n)))
        a=$(call "$w" "{\"op\":\"announce\",\"info_hash\":\"$ih\",\"port\":$((20000 + n))}")
        b=$(call "$r" "{\"op\":\"get_peers\",\"info_hash\":\"$ih\"}")
        case $b in *"127.0.0.1:$((20000 + n))"*) ok=ok ;; *) ok=no ;; esac
        report "announce/get_peers ${KIND[$w]} -> ${KIND[$r]}" "$a / $b" $ok
    done
done
for n in "${names[@]}"; do
    printf '%-4s table: %s\n' "$n" "$(call "$n" '{"op":"table"}' | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("nodes") or []), "nodes")')"
done
echo "$fails failed"
[ "$fails" -eq 0 ]
