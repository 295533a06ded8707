#ifndef ORCH_CLIBGIT2_SHIM_H
#define ORCH_CLIBGIT2_SHIM_H

#include <git2.h>
/* git_repository_set_index: the merge gate checks out into a folder of its own with an index of its own. */
#include <git2/sys/repository.h>
#include <libssh2.h>
#include <stdio.h>
#include <string.h>

/* git_libgit2_opts is variadic and so not callable from Swift; these wrappers
   expose the options orch sets. */
static inline int orch_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}

static inline int orch_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

/* libgit2 1.5 hands the ssh certificate callback the server's raw host key but
   does not check it against known_hosts itself; libssh2 (which libgit2 already
   links) reads OpenSSH's format, hashed names and [host]:port entries included.
   Returns 0 when the key matches, 1 when the host is not in the file, 2 when the
   file holds another key for it, -1 when the file cannot be read. */
static inline int orch_known_hosts_check(const char *file, const char *host, int port,
                                         const char *key, size_t key_len, int git_raw_type) {
    int key_type;
    switch (git_raw_type) {
    case 1: key_type = LIBSSH2_KNOWNHOST_KEY_SSHRSA; break;
    case 2: key_type = LIBSSH2_KNOWNHOST_KEY_SSHDSS; break;
    case 3: key_type = LIBSSH2_KNOWNHOST_KEY_ECDSA_256; break;
    case 4: key_type = LIBSSH2_KNOWNHOST_KEY_ECDSA_384; break;
    case 5: key_type = LIBSSH2_KNOWNHOST_KEY_ECDSA_521; break;
    case 6: key_type = LIBSSH2_KNOWNHOST_KEY_ED25519; break;
    default: key_type = LIBSSH2_KNOWNHOST_KEY_UNKNOWN; break;
    }
    LIBSSH2_SESSION *session = libssh2_session_init();
    if (!session) return -1;
    LIBSSH2_KNOWNHOSTS *hosts = libssh2_knownhost_init(session);
    int result = -1;
    /* Line by line: libssh2_knownhost_readfile gives up on the first line it cannot
       parse (a marker, an unknown key type), which OpenSSH itself skips. */
    FILE *stream = hosts ? fopen(file, "r") : NULL;
    if (stream) {
        char line[16384];
        while (fgets(line, sizeof line, stream)) {
            size_t length = strlen(line);
            while (length && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = 0;
            if (length && line[0] != '#') (void)libssh2_knownhost_readline(hosts, line, length, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
        }
        fclose(stream);
    }
    if (stream) {
        struct libssh2_knownhost *found = NULL;
        int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | key_type;
        switch (libssh2_knownhost_checkp(hosts, host, port, key, key_len, mask, &found)) {
        case LIBSSH2_KNOWNHOST_CHECK_MATCH: result = 0; break;
        case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND: result = 1; break;
        case LIBSSH2_KNOWNHOST_CHECK_MISMATCH: result = 2; break;
        default: result = -1; break;
        }
    }
    if (hosts) libssh2_knownhost_free(hosts);
    libssh2_session_free(session);
    return result;
}

#endif
