#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <string.h>

#include "health.h"

#define GROUP "vmha-health"

int vm_health_mode_parse(const char *s, VmHealthMode *ret)
{
    if (!s || !*s || strcmp(s, "none") == 0)
        *ret = VM_HEALTH_NONE;
    else if (strcmp(s, "guest-agent") == 0)
        *ret = VM_HEALTH_GUEST_AGENT;
    else if (strcmp(s, "console") == 0)
        *ret = VM_HEALTH_CONSOLE;
    else
        return -1;
    return 0;
}

const char *vm_health_mode_to_string(VmHealthMode mode)
{
    switch (mode) {
    case VM_HEALTH_NONE:
        return "none";
    case VM_HEALTH_GUEST_AGENT:
        return "guest-agent";
    case VM_HEALTH_CONSOLE:
        return "console";
    }
    return "unknown";
}

/* The string value of @xpath in the document, or NULL. */
static char *xpath_string(const char *xml, size_t len, const char *xpath)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)MIN(len, (size_t)G_MAXINT), "domain.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    char *r = NULL;

    if (!doc)
        return NULL;
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression((const xmlChar *)xpath, ctx) : NULL;
    if (o && o->type == XPATH_STRING && o->stringval && *o->stringval)
        r = g_strdup((const char *)o->stringval);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return r;
}

char *vm_health_console_log(const char *domain_xml, size_t len)
{
    /* The first serial port (else console) that writes to a file: its source, or its log. */
    static const char *const paths[] = {
            "string((/domain/devices/serial | /domain/devices/console)[@type='file'][1]"
            "/source/@path)",
            "string((/domain/devices/serial | /domain/devices/console)[log/@file][1]/log/@file)",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
        char *p = xpath_string(domain_xml, len, paths[i]);
        if (p)
            return p;
    }
    return NULL;
}

bool vm_health_has_agent_channel(const char *domain_xml, size_t len)
{
    g_autofree char *name = xpath_string(domain_xml, len,
                                         "string(/domain/devices/channel/target[@type='virtio']"
                                         "[@name='org.qemu.guest_agent.0']/@name)");
    return name != NULL;
}

void vm_health_state_clear(VmHealthState *s)
{
    g_clear_pointer(&s->instance, g_free);
}

char *vm_health_state_format(const VmHealthState *s)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *alive = g_strdup_printf("%" PRId64, s->last_alive_us);
    g_autofree char *size = g_strdup_printf("%" PRId64, s->console_size);

    g_key_file_set_string(kf, GROUP, "instance", s->instance ? s->instance : "");
    g_key_file_set_string(kf, GROUP, "last-alive-us", alive);
    g_key_file_set_string(kf, GROUP, "console-size", size);
    g_key_file_set_boolean(kf, GROUP, "armed", s->armed);
    g_key_file_set_boolean(kf, GROUP, "failed", s->failed);
    return g_key_file_to_data(kf, NULL, NULL);
}

int vm_health_state_parse(const char *buf, size_t len, VmHealthState *ret)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *instance = NULL, *alive = NULL, *size = NULL;
    VmHealthState s = {0};

    if (!g_key_file_load_from_data(kf, buf, len, G_KEY_FILE_NONE, NULL))
        return -1;
    instance = g_key_file_get_string(kf, GROUP, "instance", NULL);
    alive = g_key_file_get_string(kf, GROUP, "last-alive-us", NULL);
    size = g_key_file_get_string(kf, GROUP, "console-size", NULL);
    if (!instance || !*instance || !alive || !size ||
        !g_ascii_string_to_signed(alive, 10, 0, G_MAXINT64, &s.last_alive_us, NULL) ||
        !g_ascii_string_to_signed(size, 10, -1, G_MAXINT64, &s.console_size, NULL))
        return -1;
    s.armed = g_key_file_get_boolean(kf, GROUP, "armed", &err);
    if (err)
        return -1;
    s.failed = g_key_file_get_boolean(kf, GROUP, "failed", &err);
    if (err)
        return -1;
    s.instance = g_steal_pointer(&instance);
    *ret = s;
    return 0;
}

bool vm_health_judge(VmHealthMode mode, const VmHealthState *prev, const VmHealthObservation *obs,
                     int64_t timeout_us, VmHealthState *ret_next, char **ret_reason)
{
    bool same_run = prev && prev->instance && g_strcmp0(prev->instance, obs->instance) == 0;
    VmHealthState next = {
            .instance = g_strdup(obs->instance),
            .last_alive_us = same_run ? prev->last_alive_us : obs->now_us,
            .console_size = obs->console_size,
            .armed = same_run && prev->armed,
    };
    bool heartbeat =
            mode == VM_HEALTH_GUEST_AGENT
                    ? obs->agent_answered
                    : same_run && obs->console_size >= 0 && obs->console_size != prev->console_size;

    *ret_reason = NULL;
    if (mode == VM_HEALTH_NONE || obs->paused || heartbeat || !same_run) {
        /* A first look at this run starts the clock; a pause stops it. */
        if (obs->paused || heartbeat || !same_run)
            next.last_alive_us = obs->now_us;
        next.armed = next.armed || heartbeat;
        *ret_next = next;
        return true;
    }
    int64_t silent_us = obs->now_us - next.last_alive_us;
    if (!next.armed || silent_us < timeout_us) {
        *ret_next = next;
        return true;
    }
    next.failed = true;
    *ret_next = next;
    if (mode == VM_HEALTH_GUEST_AGENT)
        *ret_reason = g_strdup_printf("guest hung: the qemu guest agent has not answered a "
                                      "guest-ping for %" PRId64 " s",
                                      silent_us / G_USEC_PER_SEC);
    else if (obs->console_size < 0)
        *ret_reason = g_strdup_printf("guest hung?: its console log cannot be read, no "
                                      "heartbeat for %" PRId64 " s",
                                      silent_us / G_USEC_PER_SEC);
    else
        *ret_reason = g_strdup_printf("guest hung: its console log has not grown for %" PRId64 " s",
                                      silent_us / G_USEC_PER_SEC);
    return false;
}
