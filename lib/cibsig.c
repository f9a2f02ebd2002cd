#include "cibsig.h"

#include <string.h>

#define DIGEST_PREFIX "sha256 "
#define DIGEST_HEX    64

char *vmha_cibsig_digest(const char *content, size_t len)
{
    g_autofree char *hex =
            g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)content, len);
    return g_strconcat(DIGEST_PREFIX, hex, NULL);
}

char *vmha_cibsig_format(const char *digest, const char *previous)
{
    if (!previous || strcmp(previous, digest) == 0)
        return g_strdup_printf("%s\n", digest);
    return g_strdup_printf("%s\n%s\n", digest, previous);
}

static bool line_valid(const char *line)
{
    if (!g_str_has_prefix(line, DIGEST_PREFIX) ||
        strlen(line) != strlen(DIGEST_PREFIX) + DIGEST_HEX)
        return false;
    for (const char *p = line + strlen(DIGEST_PREFIX); *p; p++)
        if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
            return false;
    return true;
}

VmhaCibSigCheck vmha_cibsig_check(const char *sig, const char *content, size_t len)
{
    g_auto(GStrv) lines = g_strsplit(sig ? sig : "", "\n", -1);
    g_autofree char *digest = vmha_cibsig_digest(content, len);
    size_t n = 0;
    bool match = false;

    for (size_t i = 0; lines[i]; i++) {
        if (!*lines[i] && !lines[i + 1])
            break; /* the final newline */
        if (!line_valid(lines[i]) || ++n > 2)
            return VMHA_CIBSIG_MALFORMED;
        match = match || strcmp(lines[i], digest) == 0;
    }
    if (n == 0)
        return VMHA_CIBSIG_MALFORMED;
    return match ? VMHA_CIBSIG_MATCH : VMHA_CIBSIG_MISMATCH;
}
