/* The signature kept beside the local copy of the cluster database (cib.xml.sig beside cib.xml, as
 * Pacemaker keeps one beside its own cib.xml): the SHA-256 of the file's bytes as clusterd saved
 * them, so a copy changed behind clusterd's back (edited by hand while clusterd was stopped,
 * damaged on disk) is recognised at start-up and never spread to the cluster (issue 11, defect 5).
 *
 * Format: one line per accepted digest, "sha256 HEX". The first is the copy being saved; the
 * second, the copy saved before it: clusterd writes the signature first and the file second, so a
 * crash between the two leaves the previous copy, which still matches. Pure: the caller reads and
 * writes the files. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* "sha256 HEX" of content: the digest as the signature file names it (g_free). */
char *vmha_cibsig_digest(const char *content, size_t len);

/* The signature file's text for a copy whose digest is `digest` (vmha_cibsig_digest), saved after
 * the copy whose digest was `previous` (NULL: none, or the same). */
char *vmha_cibsig_format(const char *digest, const char *previous);

typedef enum {
    VMHA_CIBSIG_MATCH,     /* the content is a copy the signature names */
    VMHA_CIBSIG_MISMATCH,  /* it is not: changed since clusterd saved it */
    VMHA_CIBSIG_MALFORMED, /* the signature itself is not one this code writes */
} VmhaCibSigCheck;

/* Checks content against the signature file's text. */
VmhaCibSigCheck vmha_cibsig_check(const char *sig, const char *content, size_t len);
