/* The vmha wire codec: pure encoding and strictly bounded decoding, no I/O. */
#include "vmha/wire.h"

#include <errno.h>
#include <string.h>

static void field_free(gpointer p)
{
    VmhaWireField *f = p;

    if (!f)
        return;
    g_free(f->data);
    g_free(f);
}

static size_t clamp_max(size_t max_size)
{
    return CLAMP(max_size, VMHA_WIRE_MAX_SIZE, VMHA_WIRE_MAX_REPLY_SIZE);
}

VmhaMsg *vmha_msg_new_bounded(uint16_t type, size_t max_size)
{
    VmhaMsg *msg = g_new0(VmhaMsg, 1);

    msg->type = type;
    msg->fields = g_ptr_array_new_with_free_func(field_free);
    msg->size = VMHA_WIRE_HEADER_SIZE;
    msg->max_size = clamp_max(max_size);
    return msg;
}

VmhaMsg *vmha_msg_new(uint16_t type)
{
    return vmha_msg_new_bounded(type, VMHA_WIRE_MAX_SIZE);
}

void vmha_msg_free(VmhaMsg *msg)
{
    if (!msg)
        return;
    g_ptr_array_unref(msg->fields);
    g_free(msg);
}

int vmha_msg_add_bytes(VmhaMsg *msg, uint16_t tag, const void *data, size_t len)
{
    if (len > msg->max_size || msg->fields->len >= VMHA_WIRE_MAX_FIELDS ||
        msg->size + VMHA_WIRE_FIELD_HEADER_SIZE + len > msg->max_size)
        return -E2BIG;

    VmhaWireField *f = g_new0(VmhaWireField, 1);
    f->tag = tag;
    f->len = (uint32_t)len;
    f->data = g_malloc(len + 1);
    if (len > 0)
        memcpy(f->data, data, len);
    f->data[len] = '\0';
    g_ptr_array_add(msg->fields, f);
    msg->size += VMHA_WIRE_FIELD_HEADER_SIZE + len;
    return 0;
}

int vmha_msg_add_str(VmhaMsg *msg, uint16_t tag, const char *s)
{
    return vmha_msg_add_bytes(msg, tag, s, strlen(s));
}

int vmha_msg_add_u64(VmhaMsg *msg, uint16_t tag, uint64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return vmha_msg_add_bytes(msg, tag, b, sizeof(b));
}

int vmha_msg_copy_fields(VmhaMsg *dst, const VmhaMsg *src)
{
    for (guint i = 0; i < src->fields->len; i++) {
        const VmhaWireField *f = g_ptr_array_index(src->fields, i);
        if (vmha_msg_add_bytes(dst, f->tag, f->data, f->len) < 0)
            return -E2BIG;
    }
    return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Header: magic u32, version u16, type u16, field count u16, reserved u16, payload length u32. */
int vmha_msg_encode(const VmhaMsg *msg, uint8_t **ret_buf, size_t *ret_len)
{
    if (msg->size > msg->max_size || msg->fields->len > VMHA_WIRE_MAX_FIELDS)
        return -E2BIG;

    uint8_t *buf = g_malloc(msg->size);
    put32(buf, VMHA_WIRE_MAGIC);
    put16(buf + 4, VMHA_WIRE_VERSION);
    put16(buf + 6, msg->type);
    put16(buf + 8, (uint16_t)msg->fields->len);
    put16(buf + 10, 0);
    put32(buf + 12, (uint32_t)(msg->size - VMHA_WIRE_HEADER_SIZE));

    size_t off = VMHA_WIRE_HEADER_SIZE;
    for (guint i = 0; i < msg->fields->len; i++) {
        const VmhaWireField *f = g_ptr_array_index(msg->fields, i);
        put16(buf + off, f->tag);
        put16(buf + off + 2, 0);
        put32(buf + off + 4, f->len);
        off += VMHA_WIRE_FIELD_HEADER_SIZE;
        memcpy(buf + off, f->data, f->len);
        off += f->len;
    }
    *ret_buf = buf;
    *ret_len = off;
    return 0;
}

int vmha_msg_peek_length_bounded(const uint8_t *buf, size_t len, size_t max_size, size_t *ret_total)
{
    max_size = clamp_max(max_size);
    if (len < VMHA_WIRE_HEADER_SIZE)
        return -EBADMSG;
    if (get32(buf) != VMHA_WIRE_MAGIC || get16(buf + 4) != VMHA_WIRE_VERSION)
        return -EBADMSG;
    uint32_t payload = get32(buf + 12);
    if (payload > max_size - VMHA_WIRE_HEADER_SIZE)
        return -E2BIG;
    if (get16(buf + 8) > VMHA_WIRE_MAX_FIELDS)
        return -E2BIG;
    *ret_total = VMHA_WIRE_HEADER_SIZE + (size_t)payload;
    return 0;
}

int vmha_msg_peek_length(const uint8_t *buf, size_t len, size_t *ret_total)
{
    return vmha_msg_peek_length_bounded(buf, len, VMHA_WIRE_MAX_SIZE, ret_total);
}

int vmha_msg_decode_bounded(const uint8_t *buf, size_t len, size_t max_size, VmhaMsg **ret_msg)
{
    size_t total = 0;
    int r = vmha_msg_peek_length_bounded(buf, len, max_size, &total);

    if (r < 0)
        return r;
    if (total != len || get16(buf + 10) != 0)
        return -EBADMSG;

    g_autoptr(VmhaMsg) msg = vmha_msg_new_bounded(get16(buf + 6), max_size);
    uint16_t nfields = get16(buf + 8);
    size_t off = VMHA_WIRE_HEADER_SIZE;
    for (uint16_t i = 0; i < nfields; i++) {
        if (len - off < VMHA_WIRE_FIELD_HEADER_SIZE)
            return -EBADMSG;
        uint16_t tag = get16(buf + off);
        uint32_t flen = get32(buf + off + 4);
        if (get16(buf + off + 2) != 0)
            return -EBADMSG;
        off += VMHA_WIRE_FIELD_HEADER_SIZE;
        if (flen > len - off)
            return -EBADMSG;
        if (vmha_msg_add_bytes(msg, tag, buf + off, flen) < 0)
            return -E2BIG;
        off += flen;
    }
    if (off != len)
        return -EBADMSG;
    *ret_msg = g_steal_pointer(&msg);
    return 0;
}

int vmha_msg_decode(const uint8_t *buf, size_t len, VmhaMsg **ret_msg)
{
    return vmha_msg_decode_bounded(buf, len, VMHA_WIRE_MAX_SIZE, ret_msg);
}

const VmhaWireField *vmha_msg_get(const VmhaMsg *msg, uint16_t tag)
{
    for (guint i = 0; i < msg->fields->len; i++) {
        const VmhaWireField *f = g_ptr_array_index(msg->fields, i);
        if (f->tag == tag)
            return f;
    }
    return NULL;
}

static bool field_is_text(const VmhaWireField *f)
{
    return memchr(f->data, '\0', f->len) == NULL &&
           g_utf8_validate((const char *)f->data, f->len, NULL);
}

int vmha_msg_get_str(const VmhaMsg *msg, uint16_t tag, char **ret)
{
    const VmhaWireField *f = vmha_msg_get(msg, tag);

    if (!f)
        return -ENOENT;
    if (!field_is_text(f))
        return -EBADMSG;
    *ret = g_strndup((const char *)f->data, f->len);
    return 0;
}

int vmha_msg_get_u64(const VmhaMsg *msg, uint16_t tag, uint64_t *ret)
{
    const VmhaWireField *f = vmha_msg_get(msg, tag);
    uint64_t v = 0;

    if (!f)
        return -ENOENT;
    if (f->len != 8)
        return -EBADMSG;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)f->data[i] << (8 * i);
    *ret = v;
    return 0;
}

int vmha_msg_get_strv(const VmhaMsg *msg, uint16_t tag, char ***ret)
{
    g_autoptr(GPtrArray) v = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < msg->fields->len; i++) {
        const VmhaWireField *f = g_ptr_array_index(msg->fields, i);
        if (f->tag != tag)
            continue;
        if (!field_is_text(f))
            return -EBADMSG;
        g_ptr_array_add(v, g_strndup((const char *)f->data, f->len));
    }
    g_ptr_array_add(v, NULL);
    *ret = (char **)g_ptr_array_steal(v, NULL);
    return 0;
}

const char *vmha_msg_type_to_str(uint16_t type)
{
    switch (type) {
    case VMHA_MSG_STATUS:
        return "status";
    case VMHA_MSG_NODE_LIST:
        return "node-list";
    case VMHA_MSG_VM_LIST:
        return "vm-list";
    case VMHA_MSG_CONFIG_SHOW:
        return "config-show";
    case VMHA_MSG_CIB_QUERY:
        return "cib-query";
    case VMHA_MSG_FENCE_LIST:
        return "fence-list";
    case VMHA_MSG_EVENTS:
        return "events";
    case VMHA_MSG_ALERT_ADD:
        return "alert-add";
    case VMHA_MSG_ALERT_REMOVE:
        return "alert-remove";
    case VMHA_MSG_ALERT_LIST:
        return "alert-list";
    case VMHA_MSG_VM_ADD:
        return "vm-add";
    case VMHA_MSG_VM_ADD_MANY:
        return "vm-add-many";
    case VMHA_MSG_VM_REMOVE:
        return "vm-remove";
    case VMHA_MSG_VM_SET:
        return "vm-set";
    case VMHA_MSG_PROBE:
        return "probe";
    case VMHA_MSG_VM_CLEANUP:
        return "vm-cleanup";
    case VMHA_MSG_NODE_FENCE:
        return "node-fence";
    case VMHA_MSG_FENCE_ADD:
        return "fence-add";
    case VMHA_MSG_FENCE_REMOVE:
        return "fence-remove";
    case VMHA_MSG_FENCE_SET:
        return "fence-set";
    case VMHA_MSG_ACTIONS:
        return "actions";
    case VMHA_MSG_RESULT:
        return "result";
    case VMHA_MSG_FENCED:
        return "fenced";
    case VMHA_MSG_NODE_DRAIN:
        return "node-drain";
    case VMHA_MSG_NODE_RESUME:
        return "node-resume";
    case VMHA_MSG_VM_MOVE:
        return "vm-move";
    case VMHA_MSG_CONFIG_SET:
        return "config-set";
    case VMHA_MSG_REPLY:
        return "reply";
    case VMHA_MSG_SYNC_STATE:
        return "sync-state";
    case VMHA_MSG_SYNC_DATA:
        return "sync-data";
    case VMHA_MSG_APPLIED:
        return "applied";
    case VMHA_MSG_BUMP:
        return "bump";
    case VMHA_MSG_NODE_EXEC:
        return "node-exec";
    case VMHA_MSG_EXEC_REQUEST:
        return "exec-request";
    case VMHA_MSG_EXEC_RESULT:
        return "exec-result";
    case VMHA_MSG_NODES:
        return "nodes";
    case VMHA_MSG_HISTORY:
        return "history";
    }
    return "unknown";
}

bool vmha_msg_type_is_write(uint16_t type)
{
    switch (type) {
    case VMHA_MSG_VM_ADD:
    case VMHA_MSG_VM_ADD_MANY:
    case VMHA_MSG_VM_REMOVE:
    case VMHA_MSG_VM_SET:
    case VMHA_MSG_PROBE:
    case VMHA_MSG_VM_CLEANUP:
    case VMHA_MSG_NODE_FENCE:
    case VMHA_MSG_FENCE_ADD:
    case VMHA_MSG_FENCE_REMOVE:
    case VMHA_MSG_FENCE_SET:
    case VMHA_MSG_ALERT_ADD:
    case VMHA_MSG_ALERT_REMOVE:
    case VMHA_MSG_ACTIONS:
    case VMHA_MSG_RESULT:
    case VMHA_MSG_FENCED:
    case VMHA_MSG_NODE_DRAIN:
    case VMHA_MSG_NODE_RESUME:
    case VMHA_MSG_VM_MOVE:
    case VMHA_MSG_CONFIG_SET:
    case VMHA_MSG_NODES:
        return true;
    }
    return false;
}

bool vmha_msg_type_is_internal(uint16_t type)
{
    /* Written by clusterd for itself; accepted from vmctl, they would let any writer forge
     * agent results or fencing outcomes. */
    return type == VMHA_MSG_PROBE || type == VMHA_MSG_ACTIONS || type == VMHA_MSG_RESULT ||
           type == VMHA_MSG_FENCED || type >= VMHA_MSG_REPLY;
}
