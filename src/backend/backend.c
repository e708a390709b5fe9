#include "backend/backend.h"

#include <string.h>

const struct backend_ops *backend_find(const char *name)
{
	if (strcmp(name, "local") == 0)
		return &backend_local_ops;
	if (strcmp(name, "ceph") == 0)
		return &backend_ceph_ops;
	if (strcmp(name, "memory") == 0)
		return &backend_memory_ops;
	return NULL;
}
