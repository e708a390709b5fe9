#include "rpc/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int rpc_addr_split(const char *hostport, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *h = hostport, *colon;
	size_t n;

	if (*h == '[') {
		const char *close = strchr(h, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		h++;
		n = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(h, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - h);
	}
	if (n == 0 || n >= hostlen || strlen(colon + 1) >= portlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

bool rpc_addr_port_ok(const char *port)
{
	if (!*port)
		return false;
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return strtoul(port, NULL, 10) <= 65535;
}

void rpc_addr_host(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	out[0] = '\0';
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, out, (socklen_t)cap);
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, a->s6_addr + 12, out, (socklen_t)cap);
		else
			inet_ntop(AF_INET6, a, out, (socklen_t)cap);
	}
}

bool rpc_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

bool rpc_addr_same_host(const struct sockaddr *peer, const struct sockaddr *local)
{
	if (rpc_addr_is_loopback(peer))
		return true;
	if (peer->sa_family != local->sa_family)
		return false;
	if (peer->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)peer)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)local)->sin_addr.s_addr;
	if (peer->sa_family == AF_INET6)
		return IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr,
					  &((const struct sockaddr_in6 *)(const void *)local)->sin6_addr);
	return false;
}
