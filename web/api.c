#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "clientdoc.h"
#include "drainplan.h"
#include "ipcclient.h"
#include "vmattr.h"
#include "vmha/migration.h"
#include "vmha/result.h"

/* A write waits for a quorum of nodes; clusterd gives up after 30 s itself (as vmctl). */
#define WRITE_TIMEOUT_MS 60000
#define READ_TIMEOUT_MS  15000

int web_api_http_status(int result)
{
    switch (result) {
    case VMHA_RESULT_OK:
        return 200;
    case VMHA_RESULT_USAGE:
        return 400;
    case VMHA_RESULT_DENIED:
        return 403;
    case VMHA_RESULT_NOT_FOUND:
        return 404;
    case VMHA_RESULT_REFUSED:
        return 409;
    case VMHA_RESULT_NO_QUORUM:
    case VMHA_RESULT_NO_DAEMON:
        return 503;
    default:
        return 500;
    }
}

json_object *web_api_error(int result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(false));
    json_object_object_add(o, "exit_code", json_object_new_int(result));
    json_object_object_add(o, "error", json_object_new_string(msg));
    return o;
}

static json_object *ok_doc(const char *result)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(true));
    json_object_object_add(o, "result", json_object_new_string(result));
    return o;
}

typedef struct {
    const WebApi *api;
    const WebSession *session;
    json_object *error; /* set when a step failed */
} Call;

/* One request; the reply on success, else NULL with c->error set. A write carries who asked
 * through the page, as vmctl's carry their command line (the event history shows it). */
static VmhaMsg *ask(Call *c, VmhaMsg *req, const char *what)
{
    g_autoptr(VmhaMsg) reply = NULL;
    g_autofree char *message = NULL, *error = NULL;
    int rc = 0;

    if (vmha_msg_type_is_write(req->type)) {
        g_autofree char *cmd = g_strdup_printf("vmha-web (%s): %s", c->session->user, what);
        if (vmha_msg_add_str(req, VMHA_F_CALLER_COMMAND, cmd) < 0) {
            c->error = web_api_error(VMHA_RESULT_USAGE, "request too large");
            return NULL;
        }
    }
    VmhaIpcError e = vmha_ipc_exchange(c->api->socket, req,
                                       vmha_msg_type_is_write(req->type) ? WRITE_TIMEOUT_MS
                                                                         : READ_TIMEOUT_MS,
                                       &reply, &rc, &message, &error);
    if (e != VMHA_IPC_OK) {
        c->error = web_api_error(e == VMHA_IPC_BAD_REQUEST ? VMHA_RESULT_USAGE
                                 : e == VMHA_IPC_NO_DAEMON || e == VMHA_IPC_LOST
                                         ? VMHA_RESULT_NO_DAEMON
                                         : VMHA_RESULT_FAILURE,
                                 "%s", error);
        return NULL;
    }
    if (rc != VMHA_RESULT_OK) {
        c->error = web_api_error(rc, "%s", message);
        return NULL;
    }
    return g_steal_pointer(&reply);
}

/* The JSON document of clusterd's answer to req (NULL: c->error says why). */
static json_object *ask_doc(Call *c, VmhaMsg *req, const char *what)
{
    g_autoptr(VmhaMsg) reply = ask(c, req, what);
    g_autofree char *json = NULL;

    if (!reply)
        return NULL;
    json_object *o =
            vmha_msg_get_str(reply, VMHA_F_JSON, &json) == 0 ? json_tokener_parse(json) : NULL;
    if (!o)
        c->error = web_api_error(VMHA_RESULT_FAILURE, "malformed JSON from clusterd");
    return o;
}

static json_object *ask_json(Call *c, uint16_t type, const char *what)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(type);
    return ask_doc(c, req, what);
}

static VmhaModel *live_model(Call *c)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_CIB_QUERY);
    g_autoptr(VmhaMsg) reply = ask(c, req, "cib query");
    g_autoptr(GError) error = NULL;
    VmhaModel *m = NULL;

    if (!reply)
        return NULL;
    const VmhaWireField *cib = vmha_msg_get(reply, VMHA_F_CIB);
    if (!cib) {
        c->error = web_api_error(VMHA_RESULT_FAILURE, "clusterd sent no database");
        return NULL;
    }
    if (vmha_model_parse((const char *)cib->data, cib->len, &m, &error) < 0) {
        c->error = web_api_error(VMHA_RESULT_FAILURE, "the live database: %s", error->message);
        return NULL;
    }
    return m;
}

static json_object *status_doc(Call *c)
{
    json_object *status = ask_json(c, VMHA_MSG_STATUS, "status");
    if (!status || vmha_doc_status_add_health(status))
        return status;
    /* An older clusterd: from its history. Without it status still answers; the health then says
     * incidents are unknown. */
    Call quiet = *c;
    json_object *events = ask_json(&quiet, VMHA_MSG_EVENTS, "events");
    json_object_put(quiet.error);
    vmha_doc_status_add_history(status, events);
    json_object_put(events);
    return status;
}

static json_object *events_doc(Call *c, WebQueryFn query, void *qctx)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_EVENTS);
    static const char *const keys[] = {"since_seq", "since_time", "vm", "node"};

    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        const char *v = query(qctx, keys[i]);
        if (!v)
            continue;
        guint64 n = 0;
        bool ok = i < 2    ? g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT64, &n, NULL)
                  : i == 2 ? vmha_vm_name_valid(v)
                           : vmha_node_name_valid(v);
        if (!ok) {
            c->error = web_api_error(VMHA_RESULT_USAGE, "bad %s '%s'", keys[i], v);
            return NULL;
        }
        g_autofree char *kv = g_strdup_printf("%s=%s", keys[i], v);
        if (vmha_msg_add_str(req, VMHA_F_KV, kv) < 0) {
            c->error = web_api_error(VMHA_RESULT_USAGE, "request too large");
            return NULL;
        }
    }
    return ask_doc(c, req, "events");
}

static json_object *incidents_doc(Call *c, const char *id)
{
    json_object *answer = ask_json(c, VMHA_MSG_EVENTS, "events");
    VmhaEvent *events = NULL;
    size_t n = 0;

    if (!answer)
        return NULL;
    int r = vmha_doc_history(answer, &events, &n);
    json_object_put(answer);
    if (r < 0) {
        c->error = web_api_error(VMHA_RESULT_FAILURE, "malformed answer from clusterd");
        return NULL;
    }
    json_object *arr = vmha_doc_incidents(events, n, id != NULL);
    vmha_doc_history_free(events, n);
    if (!id) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "incidents", arr);
        return doc;
    }
    json_object *found = NULL;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *inc = json_object_array_get_idx(arr, i), *v = NULL;
        if (json_object_object_get_ex(inc, "id", &v) &&
            g_strcmp0(json_object_get_string(v), id) == 0)
            found = json_object_get(inc);
    }
    json_object_put(arr);
    if (!found)
        c->error =
                web_api_error(VMHA_RESULT_NOT_FOUND, "no incident %s in this node's history", id);
    return found;
}

static json_object *vm_why_doc(Call *c, const char *name)
{
    json_object *status = ask_json(c, VMHA_MSG_STATUS, "status");
    json_object *list = status ? ask_json(c, VMHA_MSG_VM_LIST, "vm list") : NULL;
    json_object *answer = list ? ask_json(c, VMHA_MSG_EVENTS, "events") : NULL;
    VmhaEvent *events = NULL;
    size_t n = 0;
    json_object *why = NULL;

    if (answer && vmha_doc_history(answer, &events, &n) < 0)
        c->error = web_api_error(VMHA_RESULT_FAILURE, "malformed answer from clusterd");
    else if (answer && !(why = vmha_doc_vm_why(status, list, events, n, name)))
        c->error = web_api_error(VMHA_RESULT_NOT_FOUND, "no VM '%s'", name);
    vmha_doc_history_free(events, n);
    json_object_put(status);
    json_object_put(list);
    json_object_put(answer);
    return why;
}

static const char *body_str(json_object *body, const char *key)
{
    json_object *v = NULL;
    return body && json_object_object_get_ex(body, key, &v) &&
                           json_object_is_type(v, json_type_string)
                   ? json_object_get_string(v)
                   : NULL;
}

static bool body_bool(json_object *body, const char *key)
{
    json_object *v = NULL;
    return body && json_object_object_get_ex(body, key, &v) &&
           json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static int method_of(Call *c, const char *s, VmhaMigrationMethod *ret)
{
    *ret = VMHA_MIGRATION_DEFAULT;
    if (s && vmha_migration_method_from_string(s, ret) < 0) {
        c->error = web_api_error(VMHA_RESULT_USAGE, "bad method '%s': " VMHA_MIGRATION_METHODS, s);
        return -1;
    }
    return 0;
}

/* The drain's plan, as `node drain --dry-run` shows it and checks it before draining. */
static VmhaDrainPlan *drain_plan(Call *c, const char *node, VmhaMigrationMethod method,
                                 VmhaModel **ret_model)
{
    g_autoptr(VmhaModel) model = live_model(c);
    VmhaDrainPlan *plan = NULL;

    if (!model)
        return NULL;
    ssize_t idx = vmha_model_find_node(model, node);
    if (idx < 0) {
        c->error = web_api_error(VMHA_RESULT_NOT_FOUND, "unknown node '%s'", node);
        return NULL;
    }
    vmha_drain_plan(model, (size_t)idx, method, (int64_t)time(NULL), &plan);
    *ret_model = g_steal_pointer(&model);
    return plan;
}

static json_object *drain_plan_doc(Call *c, const char *node, WebQueryFn query, void *qctx)
{
    VmhaMigrationMethod method;
    g_autoptr(VmhaModel) model = NULL;

    if (method_of(c, query(qctx, "method"), &method) < 0)
        return NULL;
    g_autoptr(VmhaDrainPlan) plan = drain_plan(c, node, method, &model);
    return plan ? vmha_doc_drain_plan(model, plan, node) : NULL;
}

static json_object *drain(Call *c, const char *node, json_object *body)
{
    VmhaMigrationMethod method;
    g_autoptr(VmhaModel) model = NULL;
    bool force = body_bool(body, "force");

    if (method_of(c, body_str(body, "method"), &method) < 0)
        return NULL;
    g_autoptr(VmhaDrainPlan) plan = drain_plan(c, node, method, &model);
    if (!plan)
        return NULL;
    if (plan->n_stuck > 0 && !force) {
        g_autoptr(GString) stuck = g_string_new(NULL);
        for (size_t i = 0; i < plan->n_moves; i++)
            if (!plan->moves[i].target)
                g_string_append_printf(stuck, "%s%s (%s)", stuck->len ? ", " : "",
                                       plan->moves[i].vm, plan->moves[i].why);
        c->error = web_api_error(VMHA_RESULT_REFUSED,
                                 "not draining %s: the other nodes cannot take %s; nothing "
                                 "changed (force stops those VMs instead)",
                                 node, stuck->str);
        return NULL;
    }
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_NODE_DRAIN);
    g_autofree char *method_kv =
            method ? g_strdup_printf("method=%s", vmha_migration_method_to_string(method)) : NULL;
    g_autofree char *what = g_strdup_printf("node drain %s%s%s%s", node, method ? " --method " : "",
                                            method ? vmha_migration_method_to_string(method) : "",
                                            force ? " --force" : "");
    if (vmha_msg_add_str(req, VMHA_F_NODE, node) < 0 ||
        (method_kv && vmha_msg_add_str(req, VMHA_F_KV, method_kv) < 0) ||
        (force && vmha_msg_add_str(req, VMHA_F_KV, "force=on") < 0)) {
        c->error = web_api_error(VMHA_RESULT_USAGE, "request too large");
        return NULL;
    }
    g_autoptr(VmhaMsg) reply = ask(c, req, what);
    if (!reply)
        return NULL;
    /* The plan comes back with the answer: the page follows those VMs until they landed. */
    json_object *doc = ok_doc("draining");
    json_object_object_add(doc, "plan", vmha_doc_drain_plan(model, plan, node));
    return doc;
}

static int send_move(Call *c, const char *vm, const char *from, const char *to,
                     VmhaMigrationMethod method, const char *what)
{
    g_autoptr(VmhaMsg) req = vmha_doc_move_request(vm, from, to, method);
    if (!req) {
        c->error = web_api_error(VMHA_RESULT_USAGE, "request too large");
        return -1;
    }
    g_autoptr(VmhaMsg) reply = ask(c, req, what);
    return reply ? 0 : -1;
}

/* Resume, and with failback one pass over the VMs that prefer this node most and run healthy
 * elsewhere: each is asked to move back (vmctl's --failback also waits for VMs still in flight;
 * the page shows those and can be asked again). */
static json_object *resume(Call *c, const char *node, json_object *body)
{
    bool failback = body_bool(body, "failback");
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_NODE_RESUME);
    g_autofree char *what =
            g_strdup_printf("node resume %s%s", node, failback ? " --failback" : "");

    if (vmha_msg_add_str(req, VMHA_F_NODE, node) < 0) {
        c->error = web_api_error(VMHA_RESULT_USAGE, "request too large");
        return NULL;
    }
    g_autoptr(VmhaMsg) reply = ask(c, req, what);
    if (!reply)
        return NULL;
    json_object *doc = ok_doc("resumed");
    if (!failback)
        return doc;
    g_autoptr(VmhaModel) model = live_model(c);
    if (!model) {
        json_object_put(doc);
        return NULL;
    }
    ssize_t idx = vmha_model_find_node(model, node);
    json_object *asked = json_object_new_array(), *skipped = json_object_new_array();
    for (size_t v = 0; idx >= 0 && v < model->n_vms; v++) {
        const VmhaVm *vm = &model->vms[v];
        if (vmha_doc_preferred_node(vm) != idx)
            continue;
        ssize_t from = vmha_doc_running_on(model, vm);
        if (vm->pending_op) {
            json_object_array_add(skipped, json_object_new_string(vm->name));
            continue;
        }
        if (from < 0 || from == idx)
            continue;
        g_autofree char *mwhat = g_strdup_printf("node resume %s --failback: vm move %s --to %s",
                                                 node, vm->name, node);
        if (send_move(c, vm->name, model->nodes[from].name, node, VMHA_MIGRATION_DEFAULT, mwhat) <
            0) {
            json_object_put(asked);
            json_object_put(skipped);
            json_object_put(doc);
            return NULL;
        }
        json_object_array_add(asked, json_object_new_string(vm->name));
    }
    json_object_object_add(doc, "failback", asked);
    json_object_object_add(doc, "in_flight", skipped);
    return doc;
}

static json_object *vm_move(Call *c, const char *name, json_object *body)
{
    const char *to = body_str(body, "to");
    VmhaMigrationMethod method;

    if (method_of(c, body_str(body, "method"), &method) < 0)
        return NULL;
    if (to && !*to)
        to = NULL;
    if (to && !vmha_node_name_valid(to)) {
        c->error = web_api_error(VMHA_RESULT_USAGE, "bad node name '%s'", to);
        return NULL;
    }
    g_autoptr(VmhaModel) model = live_model(c);
    if (!model)
        return NULL;
    ssize_t v = vmha_model_find_vm(model, name);
    if (v < 0) {
        c->error = web_api_error(VMHA_RESULT_NOT_FOUND, "unknown VM '%s'", name);
        return NULL;
    }
    ssize_t target_idx = to ? vmha_model_find_node(model, to) : -1;
    if (to && target_idx < 0) {
        c->error = web_api_error(VMHA_RESULT_NOT_FOUND, "unknown node '%s'", to);
        return NULL;
    }
    const VmhaVm *vm = &model->vms[v];
    ssize_t from = vmha_doc_running_on(model, vm);
    if (from < 0) {
        c->error = web_api_error(VMHA_RESULT_REFUSED,
                                 "not moving %s: it is not running on exactly one node", name);
        return NULL;
    }
    if (vm->pending_op) {
        c->error = web_api_error(VMHA_RESULT_REFUSED,
                                 "not moving %s: a %s is in flight; try again when it is done",
                                 name, vm->pending_op);
        return NULL;
    }
    if (from == target_idx) {
        c->error = web_api_error(VMHA_RESULT_USAGE, "%s already runs on %s", name,
                                 model->nodes[from].name);
        return NULL;
    }
    ssize_t target = -1;
    g_autofree char *why = NULL;
    if (vmha_move_check(model, (size_t)v, from, target_idx, method, (int64_t)time(NULL), &target,
                        &why) < 0) {
        c->error = web_api_error(VMHA_RESULT_REFUSED, "not moving %s%s%s: %s; nothing changed",
                                 name, to ? " to " : "", to ? to : "", why);
        return NULL;
    }
    g_autofree char *what =
            g_strdup_printf("vm move %s%s%s", name, to ? " --to " : "", to ? to : "");
    if (send_move(c, name, model->nodes[from].name, to, method, what) < 0)
        return NULL;
    json_object *doc = ok_doc("moving");
    json_object_object_add(doc, "from", json_object_new_string(model->nodes[from].name));
    json_object_object_add(doc, "to", json_object_new_string(model->nodes[target].name));
    return doc;
}

static json_object *vm_start_stop(Call *c, const char *name, bool start)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_SET);
    g_autofree char *what = g_strdup_printf("vm %s %s", start ? "start" : "stop", name);

    if (vmha_msg_add_str(req, VMHA_F_NAME, name) < 0 ||
        vmha_msg_add_str(req, VMHA_F_KV, start ? "target-role=Started" : "target-role=Stopped") <
                0) {
        c->error = web_api_error(VMHA_RESULT_USAGE, "request too large");
        return NULL;
    }
    g_autoptr(VmhaMsg) reply = ask(c, req, what);
    return reply ? ok_doc(start ? "started" : "stopping") : NULL;
}

int web_api_call(const WebApi *api, const WebRoute *route, const char *arg, WebQueryFn query,
                 void *query_ctx, json_object *body, const WebSession *s, json_object **ret_doc)
{
    Call c = {.api = api, .session = s};
    json_object *doc = NULL;

    switch (route->id) {
    case WEB_R_STATUS:
        doc = status_doc(&c);
        break;
    case WEB_R_EVENTS:
        doc = events_doc(&c, query, query_ctx);
        break;
    case WEB_R_INCIDENTS:
        doc = incidents_doc(&c, NULL);
        break;
    case WEB_R_INCIDENT:
        doc = incidents_doc(&c, arg);
        break;
    case WEB_R_VM_WHY:
        doc = vm_why_doc(&c, arg);
        break;
    case WEB_R_DRAIN_PLAN:
        doc = drain_plan_doc(&c, arg, query, query_ctx);
        break;
    case WEB_R_DRAIN:
        doc = drain(&c, arg, body);
        break;
    case WEB_R_RESUME:
        doc = resume(&c, arg, body);
        break;
    case WEB_R_VM_MOVE:
        doc = vm_move(&c, arg, body);
        break;
    case WEB_R_VM_START:
    case WEB_R_VM_STOP:
        doc = vm_start_stop(&c, arg, route->id == WEB_R_VM_START);
        break;
    case WEB_R_PAGE:
    case WEB_R_LOGIN:
    case WEB_R_LOGOUT:
    case WEB_R_SESSION:
        c.error = web_api_error(VMHA_RESULT_USAGE, "not an API call");
        break;
    }
    if (doc) {
        *ret_doc = doc;
        return 200;
    }
    json_object *code = NULL;
    json_object_object_get_ex(c.error, "exit_code", &code);
    *ret_doc = c.error;
    return web_api_http_status(code ? json_object_get_int(code) : VMHA_RESULT_FAILURE);
}
