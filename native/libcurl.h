/* libcurl, loaded on first use. cx is not linked with libcurl: mapping and relocating it and its
 * dependency tree (TLS, SSH, LDAP, Kerberos, IDN ...) cost about 10 ms at every start, which a
 * command that never speaks HTTP should not pay. The first HTTP request opens the library by its
 * soname and resolves the few functions cx calls; http.c and loop.c call them through this table.
 * Only curl's headers are needed to build; calling a curl_* function directly would not link. */
#ifndef CX_LIBCURL_H
#define CX_LIBCURL_H

#include <curl/curl.h>
#include <stddef.h>

/* The soname of the libcurl cx is built against (libcurl4-openssl-dev: libcurl.so.4); when it is
 * missing, Debian's GnuTLS build of the same ABI (libcurl4-gnutls-dev) is tried. */
#ifndef CX_LIBCURL_SONAME
#define CX_LIBCURL_SONAME "libcurl.so.4"
#endif
#define CX_LIBCURL_SONAME_ALT "libcurl-gnutls.so.4"

typedef struct cx_libcurl {
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *easy);
    CURLcode (*easy_setopt)(CURL *easy, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *easy, CURLINFO info, ...);
    CURLcode (*easy_perform)(CURL *easy);
    const char *(*easy_strerror)(CURLcode rc);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *line);
    void (*slist_free_all)(struct curl_slist *list);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *multi);
    CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
    CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
    CURLMcode (*multi_perform)(CURLM *multi, int *running);
    CURLMcode (*multi_poll)(CURLM *multi, struct curl_waitfd *extra, unsigned n, int timeout_ms,
                            int *numfds);
    CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
    /* the URL API: the host of a redirect's Location, without its credentials (http.c) */
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *u);
    CURLUcode (*url_set)(CURLU *u, CURLUPart what, const char *part, unsigned int flags);
    CURLUcode (*url_get)(const CURLU *u, CURLUPart what, char **part, unsigned int flags);
    void (*free)(void *p);
} cx_libcurl;

/* The library, loaded and globally initialised (curl_global_init) on the first call and kept for
 * the life of the process; later calls return the same table. NULL, with the reason in err, when
 * it cannot be loaded; a failed load is tried again by the next call. Thread-safe. */
const cx_libcurl *cx_libcurl_load(char *err, size_t errlen);

/* For tests: the only file name the next load opens (NULL: CX_LIBCURL_SONAME, then
 * CX_LIBCURL_SONAME_ALT). Has no effect once the library is loaded. */
void cx_libcurl_use_file(const char *name);

#endif
