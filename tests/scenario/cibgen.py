"""Builds scenario CIBs in the shape regen-expected and crm_simulate accept (imported by
gen-scenarios and crosscheck). The status section mimics crm_simulate's own injected operations."""
import os

OUT = os.path.dirname(os.path.abspath(__file__))

def nv(prefix, d):
    return "".join('<nvpair id="%s-%s" name="%s" value="%s"/>' % (prefix, k, k, v) for k, v in d.items())

def cib_xml(nodes, vms, props=None, defaults=None, locs=(), colocs=(), status=None, quorum="1",
            fence=False, extra_resources="", fence_hosts=None, node_attrs=None):
    props = dict(props or {})
    props.setdefault("stonith-enabled", "true" if fence else "false")
    x = ['<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"%s>' %
         ('' if quorum is None else ' have-quorum="%s"' % quorum)]
    x.append('  <configuration>\n    <crm_config>\n      <cluster_property_set id="cib-bootstrap-options">')
    for k, v in props.items():
        x.append('        <nvpair id="opt-%s" name="%s" value="%s"/>' % (k, k, v))
    x.append('      </cluster_property_set>\n    </crm_config>\n    <nodes>')
    for i, n in enumerate(nodes):
        if isinstance(n, str):
            n = (n, None)
        nm, mem = n[0], n[1]
        cpu = n[2] if len(n) > 2 else None
        inner = ""
        attrs = (node_attrs or {}).get(nm)
        if attrs:
            inner += '<instance_attributes id="%s-ia">%s</instance_attributes>' % (nm, nv(nm + "-ia", attrs))
        u = {}
        if mem is not None: u["memory"] = mem
        if cpu is not None: u["cpu"] = cpu
        if u:
            inner += '<utilization id="%s-u">%s</utilization>' % (nm, nv(nm + "-u", u))
        x.append('      <node id="%d" uname="%s">%s</node>' % (i + 1, nm, inner))
    x.append('    </nodes>\n    <resources>')
    if fence:
        hl = ' '.join(fence_hosts or [n if isinstance(n, str) else n[0] for n in nodes])
        x.append('      <primitive id="fence-lab" class="stonith" type="fence_dummy"><instance_attributes id="fence-lab-ia"><nvpair id="fence-lab-hl" name="pcmk_host_list" value="%s"/></instance_attributes></primitive>' % hl)
    x.append(extra_resources)
    for v in vms:
        v = dict(v)
        nm = v.pop("name")
        meta = {}
        inst = {}  # no parameters: without the agent installed Pacemaker would see a definition change
        util = {}
        if "mem" in v: util["memory"] = v.pop("mem")
        if "cpu" in v: util["cpu"] = v.pop("cpu")
        if "prio" in v: meta["priority"] = v.pop("prio")
        meta.update(v.pop("meta", {}))
        inst.update(v.pop("inst", {}))
        assert not v, v
        s = '      <primitive id="%s" class="ocf" provider="vmha" type="vm">' % nm
        if inst: s += '<instance_attributes id="%s-instance_attributes">%s</instance_attributes>' % (nm, nv(nm + "-ia", inst))
        if meta:
            s += '<meta_attributes id="%s-meta_attributes">%s</meta_attributes>' % (nm, nv(nm + "-ma", meta))
        if util:
            s += '<utilization id="%s-utilization">%s</utilization>' % (nm, nv(nm + "-u", util))
        s += '<operations><op id="%s-monitor-10s" name="monitor" interval="10s" timeout="30s"/></operations>' % nm
        s += '</primitive>'
        x.append(s)
    x.append('    </resources>')
    if defaults:
        x.append('    <rsc_defaults><meta_attributes id="rsc-options">%s</meta_attributes></rsc_defaults>' % nv("rsc-options", defaults))
    x.append('    <constraints>')
    for vm, node, score in locs:
        x.append('      <rsc_location id="prefer-%s-%s" rsc="%s" node="%s" score="%s"/>' % (vm, node, vm, node, score))
    for c in colocs:
        # (rsc, with-rsc, score[, {extra attributes}]): rsc is placed with (or apart from) with-rsc
        a, b, score = c[:3]
        extra = "".join(' %s="%s"' % kv for kv in (c[3] if len(c) > 3 else {}).items())
        kind = "together" if not str(score).startswith("-") else "apart"
        x.append('      <rsc_colocation id="%s-%s-%s" rsc="%s" with-rsc="%s" score="%s"%s/>' % (kind, a, b, a, b, score, extra))
    x.append('    </constraints>\n  </configuration>\n  <status>')
    names = [n if isinstance(n, str) else n[0] for n in nodes]
    call = [10]
    def op(rsc, opname, rc, interval=0, oid=None, when=1699990000):
        # Shaped like crm_simulate's own injected operations (transition -1), which Pacemaker
        # accepts without an op-digest; other shapes read as a changed resource definition.
        call[0] += 1
        if oid is None:
            oid = "%s_monitor_%d" % (rsc, interval) if interval else ("%s_last_0" % rsc if rc == 0 else "%s_last_failure_0" % rsc)
        else:
            oid = oid % rsc
        return ('<lrm_rsc_op id="%s" operation_key="%s_%s_%d" operation="%s" crm-debug-origin="crm_simulate" crm_feature_set="3.16.1" '
                'transition-key="%d:-1:%d:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" transition-magic="0:%d;%d:-1:%d:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" '
                'exit-reason="" op-digest="%s" call-id="%d" rc-code="%d" op-status="0" interval="%d" last-rc-change="%d" exec-time="0" queue-time="0"/>' % (
                    oid, rsc, opname, interval, opname, call[0], 0, rc, call[0], 0,
                    # digests of <parameters/> and of the 10 s monitor, from `crm_resource --digests`
                    "02a5bcf940fc8d3239701acb11438d6a" if interval else "f2317cad3d54cec5d7d7aa7d0bf35cf8",
                    call[0], rc, interval, when))
    for i, node in enumerate(names):
        st = (status or {}).get(node)
        if st is None:
            continue
        state = st.get("state", "online")
        a = {"online": 'in_ccm="true" crmd="online" join="member" expected="member"',
             "down": 'in_ccm="false" crmd="offline" join="down" expected="down"',
             "lost": 'in_ccm="false" crmd="offline" join="down" expected="member"'}[state]
        s = '    <node_state id="%d" uname="%s" %s>' % (i + 1, node, a)
        fc = st.get("failcounts", {})
        tattrs = st.get("transient", {})
        if fc or tattrs:
            pairs = ""
            for vm, (count, last) in fc.items():
                pairs += '<nvpair id="status-%d-fc-%s" name="fail-count-%s#monitor_10000" value="%s"/>' % (i + 1, vm, vm, count)
                if last:
                    pairs += '<nvpair id="status-%d-lf-%s" name="last-failure-%s#monitor_10000" value="%s"/>' % (i + 1, vm, vm, last)
            for k, v in tattrs.items():
                pairs += '<nvpair id="status-%d-%s" name="%s" value="%s"/>' % (i + 1, k, k, v)
            s += '<transient_attributes id="%d"><instance_attributes id="status-%d">%s</instance_attributes></transient_attributes>' % (i + 1, i + 1, pairs)
        rs = ""
        for vm in st.get("running", []):
            rs += '<lrm_resource id="%s" class="ocf" provider="vmha" type="vm">%s%s</lrm_resource>' % (vm, op(vm, "start", 0), op(vm, "monitor", 0, 10000))
        for vm in st.get("failed", []):  # running, then the monitor failed
            rs += '<lrm_resource id="%s" class="ocf" provider="vmha" type="vm">%s%s</lrm_resource>' % (vm, op(vm, "start", 0), op(vm, "monitor", 1, 10000))
        for vm in st.get("start_failed", []):
            rs += '<lrm_resource id="%s" class="ocf" provider="vmha" type="vm">%s</lrm_resource>' % (vm, op(vm, "start", 1))
        for vm in st.get("stop_failed", []):
            rs += '<lrm_resource id="%s" class="ocf" provider="vmha" type="vm">%s%s</lrm_resource>' % (vm, op(vm, "start", 0), op(vm, "stop", 1, oid="%s_last_failure_0"))
        for vm in st.get("stopped", []):
            # failed once (the monitor), then stopped: Pacemaker keeps the last failure and the last op
            rs += '<lrm_resource id="%s" class="ocf" provider="vmha" type="vm">%s%s</lrm_resource>' % (vm, op(vm, "monitor", 1, 10000, oid="%s_last_failure_0"), op(vm, "stop", 0))
        for rid in st.get("fence_running", []):
            rs += '<lrm_resource id="%s" class="stonith" type="fence_dummy">%s</lrm_resource>' % (rid, op(rid, "start", 0))
        if rs:
            s += '<lrm id="%d"><lrm_resources>%s</lrm_resources></lrm>' % (i + 1, rs)
        s += '</node_state>'
        x.append(s)
    x.append('  </status>\n</cib>\n')
    return "\n".join(l for l in x if l)


def S(name, nodes, vms, args="", hand=None, reasons=None, **kw):
    """Writes scenario `name`: cib.xml, and args, a hand-written expected and reasons if given."""
    xml = cib_xml(nodes, vms, **kw)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "cib.xml"), "w").write(xml)
    if args:
        open(os.path.join(d, "args"), "w").write(args + "\n")
    if hand is not None:
        open(os.path.join(d, "expected"), "w").write("# hand-written: " + hand[0] + "\n" + "\n".join(hand[1:]) + "\n")
    if reasons:
        open(os.path.join(d, "reasons"), "w").write("\n".join("%s: %s" % kv for kv in reasons.items()) + "\n")
