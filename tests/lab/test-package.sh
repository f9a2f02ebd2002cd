#!/usr/bin/env bash
# The cluster run from the package's files, not from the build directory: the .deb built by
# scripts/build-deb (a clean copy of this tree, dpkg-buildpackage -b) is unpacked with dpkg-deb -x
# into a staging root, and the 3-node lab runs that root's clusterd, vmctl and vm agent
# (tests/lab/lab with VMHA_INSTALL_ROOT). Checked: every node's clusterd is the packaged binary
# and its OCF provider directory is the package's; two guests are added with the packaged vmctl
# and run at home; a power cut of n3 is fenced (fence_lab) and its guest restarted on a survivor
# after the fence, never on two nodes (dupcheck). About 3 minutes (a minute of it the build, none
# when the scenario test `package` left the same tree's package in VMHA_DEB_CACHE).
. "$(dirname "$0")/recovery-lib.sh" "pk$(echo "${VMHA_BUILD_DIR:-}" | md5sum | cut -c1-4)"

for t in dpkg-buildpackage dh dpkg-deb; do
    if ! command -v "$t" >/dev/null; then
        [ "${CI:-}" != true ] || rl_fail "no $t (scripts/install-deps installs it)"
        echo "SKIP: no $t"
        exit 77
    fi
done

ROOT=$RL_DIR/root
t0=$(rl_now_ms)
DEB=$(DEB_BUILD_OPTIONS=nocheck "$RL_REPO/scripts/build-deb" "$RL_DIR/deb") || rl_fail "scripts/build-deb"
dpkg-deb -x "$DEB" "$ROOT"
rl_log "$(basename "$DEB") built and unpacked in $(($(rl_now_ms) - t0)) ms"
export VMHA_INSTALL_ROOT=$ROOT
VMCTL=$ROOT/usr/sbin/vmctl
[ "$("$VMCTL" --version)" = "vmctl $(dpkg-deb -f "$DEB" Version)" ] || rl_fail "the packaged vmctl's version"

RL_VMS="va ve" # va at home on n1, ve on n3
rl_setup_six

# The programs the nodes run are the package's.
agent_id=$(stat -c %d:%i "$ROOT/usr/lib/ocf/resource.d/vmha/vm")
[ "$agent_id" != "$(stat -c %d:%i "$VMHA_BUILD_DIR/resource-agents/vm" 2>/dev/null)" ] || rl_fail "staging is the build dir"
for n in $RL_NODES; do
    exe=$("$LAB" exec "$n" sh -c 'readlink "/proc/$(pgrep -o -x clusterd)/exe"')
    [ "$exe" = "$ROOT/usr/sbin/clusterd" ] || rl_fail "$n runs clusterd from '$exe', not the package"
    id=$("$LAB" exec "$n" stat -L -c %d:%i /usr/lib/ocf/resource.d/vmha/vm)
    [ "$id" = "$agent_id" ] || rl_fail "$n's vmha:vm agent is not the package's ($id, want $agent_id)"
done
rl_log "n1..n3 run $ROOT/usr/sbin/clusterd and the packaged vmha:vm agent"
vmctl_on n1 help vm add | grep >/dev/null -- '--config' || rl_fail "the packaged vmctl's help"

# A power cut of n3: ve restarted on a survivor after n3's fence.
rl_snap_boots
t0=$(rl_now_ms)
rl_kill n3
rl_log "n3 powered off (lab kill) at $(rl_fmt "$t0")"
rl_wait 60 "ve running on a survivor" rl_really_elsewhere ve n3
rl_wait 30 "n1's vmctl shows va on n1 and ve on $(rl_node_of ve)" rl_placed "va=n1 ve=$(rl_node_of ve)"
rl_check_recovered "$t0" n3 ve
rl_dup_stop
rl_log "PASS"
