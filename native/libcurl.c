/* libcurl through dlopen: see libcurl.h for why. */
#include "libcurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static cx_libcurl api;
static int loaded;
static const char *file_name;

/* Stores symbol's address in *slot (a function pointer's storage: POSIX lets dlsym's object
 * pointer stand for a function). Returns 0, or -1 when the library lacks it. */
static int resolve(void *lib, const char *symbol, void *slot)
{
    void *p = dlsym(lib, symbol);
    if (!p)
        return -1;
    memcpy(slot, &p, sizeof p);
    return 0;
}

static int load_locked(char *err, size_t errlen)
{
    const char *name = file_name ? file_name : CX_LIBCURL_SONAME;
    void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib && !file_name) {
        char first[256];
        const char *why = dlerror();
        snprintf(first, sizeof first, "%s", why ? why : name);
        lib = dlopen(CX_LIBCURL_SONAME_ALT, RTLD_NOW | RTLD_LOCAL);
        if (!lib) { /* report the library cx was built for */
            snprintf(err, errlen, "cannot load libcurl for HTTP: %s", first);
            return -1;
        }
        name = CX_LIBCURL_SONAME_ALT;
    }
    if (!lib) {
        const char *why = dlerror();
        snprintf(err, errlen, "cannot load libcurl for HTTP: %s", why ? why : name);
        return -1;
    }
    CURLcode (*global_init)(long flags) = NULL;
    const struct {
        const char *symbol;
        void *slot;
    } symbols[] = {
        {"curl_global_init", &global_init},
        {"curl_easy_init", &api.easy_init},
        {"curl_easy_cleanup", &api.easy_cleanup},
        {"curl_easy_setopt", &api.easy_setopt},
        {"curl_easy_getinfo", &api.easy_getinfo},
        {"curl_easy_perform", &api.easy_perform},
        {"curl_easy_strerror", &api.easy_strerror},
        {"curl_slist_append", &api.slist_append},
        {"curl_slist_free_all", &api.slist_free_all},
        {"curl_multi_init", &api.multi_init},
        {"curl_multi_cleanup", &api.multi_cleanup},
        {"curl_multi_add_handle", &api.multi_add_handle},
        {"curl_multi_remove_handle", &api.multi_remove_handle},
        {"curl_multi_perform", &api.multi_perform},
        {"curl_multi_poll", &api.multi_poll},
        {"curl_multi_info_read", &api.multi_info_read},
        {"curl_url", &api.url},
        {"curl_url_cleanup", &api.url_cleanup},
        {"curl_url_set", &api.url_set},
        {"curl_url_get", &api.url_get},
        {"curl_free", &api.free},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        if (resolve(lib, symbols[i].symbol, symbols[i].slot) != 0) {
            snprintf(err, errlen, "cannot load libcurl for HTTP: %s has no %s", name,
                     symbols[i].symbol);
            dlclose(lib);
            return -1;
        }
    }
    /* Once per process, never undone: a global cleanup would tear TLS down for the next loop. */
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "cannot load libcurl for HTTP: curl_global_init failed");
        dlclose(lib);
        return -1;
    }
    return 0;
}

const cx_libcurl *cx_libcurl_load(char *err, size_t errlen)
{
    pthread_mutex_lock(&load_lock);
    if (!loaded && load_locked(err, errlen) == 0)
        loaded = 1;
    const cx_libcurl *out = loaded ? &api : NULL;
    pthread_mutex_unlock(&load_lock);
    return out;
}

void cx_libcurl_use_file(const char *name)
{
    pthread_mutex_lock(&load_lock);
    file_name = name;
    pthread_mutex_unlock(&load_lock);
}
