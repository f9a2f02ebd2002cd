/* The event dispatcher (events.h): a list of subscriptions, called in the order they were made.
 * About thirty subscriptions in all, so a publish is a walk over the list. */
#include "config.h"

#include <glib.h>

#include "events.h"

typedef struct {
    CdEventType type;
    uint16_t msg_type;                  /* CD_EVENT_MESSAGE, unless accepts */
    bool (*accepts)(uint16_t msg_type); /* CD_EVENT_MESSAGE: a set of types */
    CdEventHandler handler;
    void *user_data;
} Subscription;

static struct {
    GArray *subs;        /* Subscription, in the order they were made */
    unsigned publishing; /* depth: a handler may publish in turn */
} E;

void cd_events_init(void)
{
    E.subs = g_array_new(FALSE, TRUE, sizeof(Subscription));
}

void cd_events_finalise(void)
{
    if (E.subs && E.subs->len)
        g_warning("%u event subscription(s) left at exit", E.subs->len);
    g_clear_pointer(&E.subs, g_array_unref);
}

static void add(const Subscription *s)
{
    /* The list is walked by publish: it may not change under it. */
    g_return_if_fail(E.subs && E.publishing == 0);
    g_array_append_val(E.subs, *s);
}

void cd_events_subscribe(CdEventType type, CdEventHandler handler, void *user_data)
{
    g_return_if_fail(type != CD_EVENT_MESSAGE);
    add(&(Subscription){.type = type, .handler = handler, .user_data = user_data});
}

void cd_events_subscribe_message(uint16_t msg_type, CdEventHandler handler, void *user_data)
{
    add(&(Subscription){.type = CD_EVENT_MESSAGE,
                        .msg_type = msg_type,
                        .handler = handler,
                        .user_data = user_data});
}

void cd_events_subscribe_messages(bool (*accepts)(uint16_t msg_type), CdEventHandler handler,
                                  void *user_data)
{
    add(&(Subscription){.type = CD_EVENT_MESSAGE,
                        .accepts = accepts,
                        .handler = handler,
                        .user_data = user_data});
}

void cd_events_unsubscribe(CdEventHandler handler)
{
    g_return_if_fail(E.publishing == 0);
    for (guint i = E.subs ? E.subs->len : 0; i-- > 0;)
        if (g_array_index(E.subs, Subscription, i).handler == handler)
            g_array_remove_index(E.subs, i);
}

static bool wants(const Subscription *s, const CdEvent *event)
{
    if (s->type != event->type)
        return false;
    if (event->type != CD_EVENT_MESSAGE)
        return true;
    return s->accepts ? s->accepts(event->msg->type) : s->msg_type == event->msg->type;
}

void cd_events_publish(const CdEvent *event)
{
    unsigned called = 0;

    if (!E.subs)
        return;
    E.publishing++;
    for (guint i = 0; i < E.subs->len; i++) {
        const Subscription *s = &g_array_index(E.subs, Subscription, i);
        if (!wants(s, event))
            continue;
        s->handler(event, s->user_data);
        called++;
    }
    E.publishing--;
    if (event->type == CD_EVENT_MESSAGE && called == 0)
        g_warning("ignoring a %s message from node %u", vmha_msg_type_to_str(event->msg->type),
                  event->nodeid);
}
