#!/usr/bin/env bash
# From bare hosts to a cluster (issue 12): three bare lab nodes (sshd, libvirtd; no corosync.conf,
# no clusterd), `vmctl cluster setup` run inside n1 reaches the others over SSH with the lab's root
# key and builds the cluster:
#  a. every node quorate with 3 votes, clusterd in sync, the database listing n1..n3;
#  b. encrypted: every node's corosync.conf says crypto_cipher aes256 / crypto_hash sha256 and
#     corosync runs with them (cmap), the same authkey on every node, mode 0400; the undo
#     records are gone;
#  c. live migration's transport is authenticated: libvirt answers qemu+tls:// between nodes with
#     the cluster's certificates, and nothing listens for unauthenticated TCP (16509);
#  d. a guest added with vmctl runs on n3; n3's power cut: it is fenced (lab-fence, made by
#     setup) and the guest restarts on n1 or n2; n3 powered on again comes back into the cluster
#     by itself (setup enabled its services).
# The duplicate checker samples throughout: the guest never runs twice.
. "$(dirname "$0")/setup-lib.sh" su
RL_VMS="sg"

su_bare 3
for n in n1 n2 n3; do
    [ ! -e "$RL_VAR/nodes/$n/etc/corosync/corosync.conf" ] || rl_fail "$n: bare but has a corosync.conf"
    "$LAB" exec "$n" pidof corosync >/dev/null && rl_fail "$n: bare but corosync runs"
    "$LAB" exec "$n" pidof clusterd >/dev/null && rl_fail "$n: bare but clusterd runs"
done
rl_log "ok: 3 bare nodes: no corosync.conf, no corosync, no clusterd"

t0=$(rl_now_ms)
# shellcheck disable=SC2046
vmctl_on n1 cluster setup --name prod --storage "$RL_SHARED" $(su_fence_args) n1 n2 n3 \
    >"$RL_DIR/setup.out" 2>&1 || { cat "$RL_DIR/setup.out"; rl_fail "vmctl cluster setup"; }
t1=$(rl_now_ms)
sed 's/^/    /' "$RL_DIR/setup.out"
rl_log "cluster setup of 3 bare nodes: $((t1 - t0)) ms"

# a. quorate, in sync, in the database.
for n in n1 n2 n3; do
    su_quorate "$n" 3 || rl_fail "$n not quorate with 3 votes after setup"
    rl_quorate_in_sync "$n" || rl_fail "$n: clusterd not quorate and in sync after setup"
    [ "$(su_db_nodes "$n")" = "n1 n2 n3" ] || rl_fail "$n: database nodes are '$(su_db_nodes "$n")'"
done
rl_log "ok: a. 3 nodes quorate, clusterd in sync, the database lists n1 n2 n3"

# b. encrypted.
key=""
for n in n1 n2 n3; do
    conf=$RL_VAR/nodes/$n/etc/corosync/corosync.conf
    grep -qx '    crypto_cipher: aes256' "$conf" || rl_fail "$n: corosync.conf without crypto_cipher: aes256"
    grep -qx '    crypto_hash: sha256' "$conf" || rl_fail "$n: corosync.conf without crypto_hash: sha256"
    [ "$("$LAB" exec "$n" corosync-cmapctl -g totem.crypto_cipher | awk '{print $NF}')" = aes256 ] ||
        rl_fail "$n: corosync does not run with aes256"
    [ "$("$LAB" exec "$n" stat -c %a /etc/corosync/authkey)" = 400 ] || rl_fail "$n: authkey is not 0400"
    k=$("$LAB" exec "$n" md5sum /etc/corosync/authkey | cut -c1-32)
    [ -z "$key" ] || [ "$k" = "$key" ] || rl_fail "$n: a different authkey"
    key=$k
    [ ! -e "$RL_VAR/nodes/$n/etc/vmha/setup.undo" ] || rl_fail "$n: setup left its undo record"
    [ -z "$(find "$RL_VAR/nodes/$n" -name '*.vmha-save' -o -name '*.vmha-new')" ] || rl_fail "$n: backups left"
done
cmp -s "$RL_VAR/nodes/n1/etc/corosync/corosync.conf" "$RL_VAR/nodes/n3/etc/corosync/corosync.conf" ||
    rl_fail "n1 and n3 have different corosync.conf"
rl_log "ok: b. corosync.conf with aes256/sha256 (and running so), one authkey, 0400, on every node"

# c. the live migration transport.
for pair in "n1 n2" "n2 n3" "n3 n1"; do
    set -- $pair
    "$LAB" exec "$1" virsh -c "qemu+tls://$2/system" -q version >/dev/null ||
        rl_fail "$1 cannot reach $2's libvirtd over TLS"
    if "$LAB" exec "$1" virsh -c "qemu+tcp://$2/system" -q version >/dev/null 2>&1; then
        rl_fail "$2's libvirtd answers unauthenticated TCP"
    fi
done
"$LAB" exec n1 sh -c 'openssl verify -CAfile /etc/pki/CA/cacert.pem /etc/pki/libvirt/servercert.pem' >/dev/null ||
    rl_fail "n1's certificate does not verify against the cluster CA"
rl_log "ok: c. libvirt over TLS between the nodes with the cluster's certificates; no plain TCP"

# d. a guest, and a power cut.
rl_make_guests 32
rl_dup_start
vmctl_on n1 vm add sg --config "$(rl_xml sg)" --prefer n3 >/dev/null || rl_fail "vm add sg"
rl_wait 90 "sg runs on n3" rl_really_on sg n3
rl_wait 60 "sg's guest booted" rl_booted sg 0
rl_snap_boots
t0=$(rl_now_ms)
rl_kill n3
rl_log "n3 powered off"
rl_wait 90 "sg running on n1 or n2" rl_really_elsewhere sg n3
rl_check_recovered "$t0" n3 sg
rl_log "ok: d. sg restarted on $(rl_node_of sg) after n3's fence"
# fence_lab's reboot powers n3 on again: its services come back by themselves.
"$LAB" status | grep >/dev/null '^n3: running' || rl_start n3
rl_wait 90 "n3 back: quorate with 3 votes" su_quorate n3 3
rl_wait 90 "n3's clusterd back in sync" rl_quorate_in_sync n3
rl_log "ok: d. n3 back in the cluster after its power cut, services started at power-on"
rl_dup_stop
rl_log "PASS"
