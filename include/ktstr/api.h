/* KTSTR_API marks what the public headers declare.  libktstr is compiled
 * with -fvisibility=hidden: only KTSTR_API functions and objects are
 * visible outside a shared object or a relocatable link made from it;
 * everything else (the kt_* internals under src/) stays private to the
 * library, however it is linked.  A static link (the usual libktstr.a)
 * resolves both alike. */
#ifndef KTSTR_API_H
#define KTSTR_API_H

#if defined(__GNUC__) || defined(__clang__)
#define KTSTR_API __attribute__((visibility("default")))
#else
#define KTSTR_API
#endif

#endif
