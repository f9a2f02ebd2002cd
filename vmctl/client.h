/* vmctl's connection to the local clusterd. */
#pragma once

#include <json-c/json.h>

#include "model.h"
#include "report.h"
#include "vmctl.h"
#include "vmha/wire.h"

/* The command line (argv, its secrets hidden) that every write from here on carries. */
void vmctl_set_command_line(int argc, char *const *argv);

/* Sends req and waits for the reply. Returns a VMHA_RESULT_* code; on failure the reason has been
 * reported (report.h). On success *ret_json holds the reply's JSON document when it carried
 * one. */
int vmctl_call(const VmctlOptions *opts, const VmhaMsg *req, json_object **ret_json);
/* Sends a request that changes something and, once it is done, reports done (vmctl_print_ok:
 * {"ok": true, "result": done} with --json). A VMHA_RESULT_* code, the reason reported. */
int vmctl_change(const VmctlOptions *opts, const VmhaMsg *req, const char *done);
/* The same, handing back the whole reply (for payloads other than JSON). */
int vmctl_request(const VmctlOptions *opts, const VmhaMsg *req, VmhaMsg **ret_reply);
/* Any answer of clusterd, whatever its rc: VMHA_RESULT_OK with the reply, its rc and its message;
 * another VMHA_RESULT_* code (reason printed) when there is no answer. */
int vmctl_request_any(const VmctlOptions *opts, const VmhaMsg *req, int timeout_ms,
                      VmhaMsg **ret_reply, int *ret_rc, char **ret_message);
/* The same, waiting up to timeout_ms for the reply (requests that run long, like node exec). */
int vmctl_request_timeout(const VmctlOptions *opts, const VmhaMsg *req, int timeout_ms,
                          VmhaMsg **ret_reply);

/* Reads a libvirt domain XML for `vm add`: name, memory in MiB and vCPUs. Returns 0, or a
 * VMHA_RESULT_* code with the reason printed. */
int vmctl_read_domain(const VmctlOptions *opts, const char *path, char **ret_name,
                      unsigned long long *ret_memory_mib, unsigned *ret_vcpus);

/* The live database (CIB_QUERY: with quorum and node states as clusterd sees them now) as a
 * model. Returns a VMHA_RESULT_* code, the reason printed prefixed with `who`. */
int vmctl_load_live_model(const VmctlOptions *opts, const char *who, VmhaModel **ret_model);

/* Reading clusterd's JSON answers: a member (NULL when o is NULL or has no such member), its
 * string (NULL also for null), boolean (false when absent) and integer (0 when absent). */
json_object *vmctl_json_get(json_object *o, const char *key);
const char *vmctl_json_str(json_object *o, const char *key);
bool vmctl_json_bool(json_object *o, const char *key);
int64_t vmctl_json_int(json_object *o, const char *key);
/* Appends the strings of o's array member key to out, sep between them (nothing when absent). */
void vmctl_json_join(GString *out, json_object *o, const char *key, const char *sep);
/* The element of an array of objects whose "name" is name, or NULL. */
json_object *vmctl_find_named(json_object *arr, const char *name);

/* A read-only listing (node list, vm list, fence list, config show): no operands; asks clusterd
 * with a request of type and prints its JSON answer as it is with --json, else as table() lays it
 * out. A VMHA_RESULT_* code, the reason reported. */
int vmctl_show(const VmctlOptions *opts, int argc, char **argv, uint16_t type, const char *usage,
               void (*table)(json_object *answer));
