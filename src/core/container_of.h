/* The object a member is embedded in: how an intrusive link (a list node,
 * a hash-table node, a state object's embedded header) gets back to the
 * structure that holds it. */
#ifndef FERRY_CORE_CONTAINER_OF_H
#define FERRY_CORE_CONTAINER_OF_H

#include <stddef.h>

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif
